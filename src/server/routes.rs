//! Router assembly: the Leptos pages, the API, static files, response headers.

use super::config::Config;
use super::page_cache::{self, PageCache};
use super::rate_limit::RateLimiter;
use super::shares::ShareStore;
use super::{exports, share_api};
use crate::app::{shell, App};
use axum::extract::{FromRef, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub store: Arc<ShareStore>,
    pub limiter: Arc<RateLimiter>,
    pub pages: Arc<PageCache>,
}

impl AppState {
    /// Opens the share store and builds the state the router needs.
    pub async fn new(config: Config) -> Result<AppState, super::shares::StoreError> {
        let store = ShareStore::open(&config.database_url).await?;
        Ok(AppState {
            leptos_options: config.leptos_options(),
            limiter: Arc::new(RateLimiter::new(
                config.share_rate_per_minute,
                Duration::from_secs(60),
            )),
            config: Arc::new(config),
            store: Arc::new(store),
            pages: Arc::default(),
        })
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

/// The whole application as a router, so tests can drive it without a socket.
pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let page_state = state.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/export/{format}", post(exports::export_plan))
        .route("/api/import", post(exports::import_plan))
        .route("/api/shares", post(share_api::create_share))
        .route(
            "/api/shares/{id}",
            get(share_api::get_share)
                .put(share_api::update_share)
                .delete(share_api::revoke_share),
        )
        .route("/s/{id}/export/{format}", get(share_api::export_share))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(page_state.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(
            state.pages.clone(),
            page_cache::serve_cached_pages,
        ))
        .layer(middleware::from_fn(share_privacy_headers))
        .layer(middleware::from_fn_with_state(
            state.leptos_options.hash_files,
            static_cache_headers,
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ok".into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Shared plans are for the people who have the link: keep them out of search engines and
/// keep the link out of Referer headers.
async fn share_privacy_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let private =
        path.starts_with("/s/") || path == "/api/shares" || path.starts_with("/api/shares/");
    let mut response = next.run(request).await;
    if private {
        let headers = response.headers_mut();
        headers.insert(
            "x-robots-tag",
            HeaderValue::from_static("noindex, nofollow"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}

/// Hashed build files never change under their name: browsers may keep them for a year.
async fn static_cache_headers(
    State(hashed): State<bool>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let policy = if path.starts_with("/pkg/") {
        if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }
    } else if matches!(path, "/favicon.ico" | "/favicon.svg" | "/robots.txt") {
        "public, max-age=86400"
    } else {
        return next.run(request).await;
    };
    let mut response = next.run(request).await;
    if response.status().is_success() && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}
