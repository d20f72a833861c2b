//! Router assembly: the Leptos pages, the API, static files, and the layers around them.

use super::api::{exports, history, live as live_api, share_page, shares as share_api, versions};
use super::http::error::AppError;
use super::http::security_headers::{self, security_headers, PathKind};
use super::pages::page_cache;
use super::state::AppState;
use crate::app::shell;
use crate::model::MAX_BODY_BYTES;
use crate::shared::paths::{self, patterns};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The whole application as a router, so tests can drive it without a socket.
pub fn app(state: AppState) -> Router {
    // `/` and `/e/{id}`: the editor, streamed (the app picks the page from the path).
    let options = state.leptos_options.clone();
    let page_state = state.clone();
    let editor_page = leptos_axum::render_app_to_stream_with_context(
        move || provide_context(page_state.clone()),
        move || shell(options.clone()),
    );
    Router::new()
        .route(patterns::EDITOR, get(editor_page.clone()))
        // An edit link: the editor, which joins the plan (the secret is after `#`).
        .route(patterns::EDIT_LINK, get(editor_page))
        .route(patterns::HEALTH, get(healthz))
        .route(patterns::EXPORT, post(exports::export_plan))
        .route(patterns::EXPORT_TICKETS, post(exports::export_tickets))
        .route(patterns::IMPORT, post(exports::import_plan))
        .route(patterns::SHARES, post(share_api::create_share))
        .route(
            patterns::SHARE_API,
            get(share_api::get_share)
                .put(share_api::update_share)
                .delete(share_api::revoke_share),
        )
        .route(
            patterns::SHARE_EDIT,
            post(live_api::enable_editing).delete(live_api::disable_editing),
        )
        .route(patterns::SHARE_HISTORY, get(history::history))
        .route(
            patterns::SHARE_VERSIONS,
            get(versions::list).post(versions::name),
        )
        .route(
            patterns::SHARE_VERSION,
            get(versions::get).delete(versions::unname),
        )
        .route(patterns::LIVE, get(live_api::socket))
        .route(patterns::LIVE_EVENTS, post(live_api::events))
        .route(patterns::LIVE_SEND, post(live_api::send))
        // Loads the share before rendering: the whole page, with its 404 or 410 status.
        .route(patterns::SHARE, get(share_page::share_page))
        .route(patterns::SHARE_EXPORT, get(share_api::export_share))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            page_cache::serve_pages,
        ))
        .layer(middleware::from_fn_with_state(
            state.leptos_options.hash_files,
            cache_headers,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::map_response(json_rejections))
        .layer(middleware::from_fn_with_state(
            state.policy.clone(),
            security_headers,
        ))
        .layer(CompressionLayer::new())
        // Static files and fresh cached pages skip the layers above: an answer from memory
        // costs little more than its bytes.
        .layer(middleware::from_fn_with_state(state.clone(), from_memory))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::debug_span!(
                    "request",
                    method = %request.method(),
                    path = %paths::redacted(request.uri().path()),
                )
            }),
        )
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
        StatusCode::PAYLOAD_TOO_LARGE if plain => AppError::body_too_large().into_response(),
        StatusCode::REQUEST_TIMEOUT if plain => AppError::Timeout.into_response(),
        _ => response,
    }
}

/// How long browsers may keep static files: hashed build files never change under their
/// name, so a year; the service worker is checked on every visit.
fn cache_policy(path: &str, hashed: bool) -> Option<&'static str> {
    Some(if path.starts_with("/pkg/") {
        if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }
    } else if matches!(path, "/favicon.ico" | "/favicon.svg" | "/robots.txt") {
        "public, max-age=86400"
    } else if path == "/sw.js" {
        "no-cache"
    } else {
        return None;
    })
}

fn set_cache_policy(policy: &'static str, response: &mut Response) {
    if response.status().is_success() && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
}

async fn cache_headers(State(hashed): State<bool>, request: Request, next: Next) -> Response {
    let Some(policy) = cache_policy(request.uri().path(), hashed) else {
        return next.run(request).await;
    };
    let mut response = next.run(request).await;
    set_cache_policy(policy, &mut response);
    response
}

/// The fast path: a static file held in memory, or a fresh page from the page cache, with
/// the headers the full path would give it. Anything else goes the full path.
async fn from_memory(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (method, path, headers) = (request.method(), request.uri().path(), request.headers());
    let mut response = match state.files.respond(method, path, headers) {
        Some(mut response) => {
            if let Some(policy) = cache_policy(path, state.leptos_options.hash_files) {
                set_cache_policy(policy, &mut response);
            }
            response
        }
        None => match page_cache::fresh_hit(&state.pages, method, path, headers).await {
            Some(response) => response,
            None => return next.run(request).await,
        },
    };
    security_headers::apply(&state.policy, PathKind::of(path), response.headers_mut());
    response
}
