//! Router assembly: the Leptos pages, the API, static files, response headers.

use super::config::Config;
use super::error::AppError;
use super::page_cache::{self, PageCache};
use super::rate_limit::RateLimiter;
use super::shares::ShareStore;
use super::{exports, share_api};
use crate::app::{shell, App};
use crate::model::MAX_BODY_BYTES;
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
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
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
    /// Prepares the share store and builds the state the router needs. Fails only on a
    /// configuration error; an unreachable database makes sharing answer 503 until it is back.
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
            page_cache::serve_pages,
        ))
        .layer(middleware::from_fn(share_privacy_headers))
        .layer(middleware::from_fn_with_state(
            state.leptos_options.hash_files,
            static_cache_headers,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::map_response(json_rejections))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
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

/// A request taking longer than this is answered 408 (the server keeps serving others).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The body-limit and timeout layers answer in plain text; our clients get JSON sentences.
async fn json_rejections(response: Response) -> Response {
    let plain = !response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE if plain => AppError::TooLarge(format!(
            "The request is larger than {} MiB. Split the plan or remove long notes.",
            MAX_BODY_BYTES / (1024 * 1024)
        ))
        .into_response(),
        StatusCode::REQUEST_TIMEOUT if plain => AppError::Timeout.into_response(),
        _ => response,
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
    } else if path == "/sw.js" {
        // A service worker runs under the CSP it is served with: it may fetch from this
        // origin and nothing else. Browsers check it for updates on every visit.
        let mut response = next.run(request).await;
        if response.status().is_success() {
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; connect-src 'self'"),
            );
        }
        return response;
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
