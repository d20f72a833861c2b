//! Helpers for the integration tests: the real router, requests, bodies.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use syncplan::server::{app, AppState, Config};
use tower::ServiceExt;

pub fn test_app() -> Router {
    let config = Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        site_root: "target/site".into(),
    };
    app(AppState {
        leptos_options: config.leptos_options(),
    })
}

pub async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone()
        .oneshot(request)
        .await
        .expect("the router answers")
}

pub async fn get(app: &Router, uri: &str) -> (StatusCode, String) {
    let response = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    let status = response.status();
    (status, body_text(response).await)
}

pub async fn body_text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).expect("UTF-8 body")
}

/// How text appears in server-rendered HTML.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
