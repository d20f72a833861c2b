//! Helpers for the integration tests: the real router, requests, bodies.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use syncplan::server::{app, AppState, Config};
use tempfile::TempDir;
use tower::ServiceExt;

mod process;
#[allow(unused_imports)]
pub use process::{free_addr, free_port, live_plan_over_http, spawn_server};

/// The real router over a fresh SQLite file; keep the `TempDir` alive while testing.
pub struct TestApp {
    pub router: Router,
    pub dir: TempDir,
}

impl std::ops::Deref for TestApp {
    type Target = Router;
    fn deref(&self) -> &Router {
        &self.router
    }
}

pub async fn test_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("shares.db").display()
    ));
    configure(&mut config);
    let state = AppState::new(config).await.expect("the store opens");
    TestApp {
        router: app(state),
        dir,
    }
}

pub async fn test_app() -> TestApp {
    test_app_with(|_| {}).await
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

pub fn post(uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

/// Sends `request`, checks the status and that the error is JSON with a real sentence.
pub async fn json_error(app: &Router, request: Request<Body>, status: StatusCode) -> Value {
    let response = send(app, request).await;
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/json",
        "errors are JSON"
    );
    let body: Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert!(
        body["error"].as_str().is_some_and(|e| e.len() > 10),
        "{body}"
    );
    body
}

/// The real router and its state over a fresh SQLite file (or `database_url`).
pub async fn state_with(
    database_url: Option<&str>,
    configure: impl FnOnce(&mut Config),
) -> (AppState, Router, Option<TempDir>) {
    let (url, dir) = match database_url {
        Some(url) => (url.to_owned(), None),
        None => {
            let dir = tempfile::tempdir().unwrap();
            (
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("shares.db").display()
                ),
                Some(dir),
            )
        }
    };
    let mut config = Config::for_tests(&url);
    configure(&mut config);
    let state = AppState::new(config).await.expect("the store opens");
    let router = app(state.clone());
    (state, router, dir)
}

/// The test PostgreSQL server, when `SYNCPLAN_TEST_POSTGRES_URL` names one. `make test`
/// starts one and sets `SYNCPLAN_REQUIRE_POSTGRES=1`: there a missing server fails the test
/// that needs it (a green run has run every PostgreSQL leg); a plain `cargo test` skips
/// those legs and says so.
pub fn postgres_url(what: &str) -> Option<String> {
    match std::env::var("SYNCPLAN_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("SYNCPLAN_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => panic!(
            "{what} needs PostgreSQL, and SYNCPLAN_TEST_POSTGRES_URL is empty: \
             scripts/test-postgres.sh could not start one (its notice above says why)"
        ),
        _ => {
            eprintln!(
                "notice: {what} skipped on PostgreSQL: SYNCPLAN_TEST_POSTGRES_URL is not set \
                 (`make test` starts a PostgreSQL and sets it)"
            );
            None
        }
    }
}

/// Database URLs to test: a fresh SQLite file, and a fresh PostgreSQL database when
/// `SYNCPLAN_TEST_POSTGRES_URL` names a server (`make test` starts one). Each call gets
/// databases of its own, so tests that count what the store holds run side by side.
pub async fn fresh_backends() -> Vec<(&'static str, String, Option<TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("shares.db").display()
    );
    let mut list = vec![("SQLite", sqlite, Some(dir))];
    if let Some(url) = postgres_url("this test") {
        list.push(("PostgreSQL", fresh_pg(&url).await, None));
    }
    list
}

/// A new, empty database on the server `base` points at.
async fn fresh_pg(base: &str) -> String {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(base)
        .await
        .expect("the test PostgreSQL answers");
    let name = format!(
        "syncplan_t{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("a test database can be created");
    match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("SYNCPLAN_TEST_POSTGRES_URL has no database name"),
    }
}

/// Runs one SQL statement on the database at `url` (to set up what the API cannot).
pub async fn sql(url: &str, statement: &'static str, text: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url)
        .await
        .expect("the database answers");
    sqlx::query(statement)
        .bind(text.to_owned())
        .execute(&pool)
        .await
        .expect("the statement runs");
    pool.close().await;
}

/// A share just created through the API.
pub struct Created {
    pub id: String,
    pub url: String,
    pub token: String,
}

impl Created {
    /// `(id, owner token)`.
    pub fn pair(self) -> (String, String) {
        (self.id, self.token)
    }
}

/// `POST /api/shares` with `plan`: checks the 201 and its `Location`.
pub async fn create(app: &Router, plan: &syncplan::model::Plan) -> Created {
    let response = send(app, post("/api/shares", "application/json", plan.to_json())).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = serde_json::from_str(&body_text(response).await).unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/shares/{id}"));
    Created {
        url: body["url"].as_str().unwrap().to_owned(),
        token: body["owner_token"].as_str().unwrap().to_owned(),
        id,
    }
}

/// A request with the owner token (`Authorization: Bearer`) and a JSON body, if any.
pub fn with_token(method: &str, uri: &str, token: &str, body: Option<String>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map(Body::from).unwrap_or_default())
        .unwrap()
}
