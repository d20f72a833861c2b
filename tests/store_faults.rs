#![cfg(feature = "ssr")]
//! The app keeps working when its database does not: sharing answers 503 with a sentence,
//! the editor is served, and everything recovers without a restart.

use crate::common::{get, json_error, post, send};
use axum::http::StatusCode;
use syncplan::server::{app, AppState, Config};
use syncplan::template::default_plan;

#[tokio::test]
async fn an_unreachable_database_means_503s_then_recovery_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the database's folder should be: SQLite cannot open it.
    let blocker = dir.path().join("later");
    std::fs::write(&blocker, "not a folder").unwrap();
    let url = format!("sqlite://{}?mode=rwc", blocker.join("shares.db").display());
    let app = app(AppState::new(Config::for_tests(&url))
        .await
        .expect("the app starts anyway"));

    let (status, html) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK, "the editor is still served");
    assert!(html.contains("Background sync planning template"));
    let body = json_error(
        &app,
        post("/api/shares", "application/json", default_plan().to_json()),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("still saved in this browser"));
    assert_eq!(
        get(&app, "/healthz").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let export = send(
        &app,
        post(
            "/api/export/csv",
            "application/json",
            default_plan().to_json(),
        ),
    )
    .await;
    assert_eq!(export.status(), StatusCode::OK, "exports need no database");

    // The folder appears: the next request connects and runs the migrations.
    std::fs::remove_file(&blocker).unwrap();
    let response = send(
        &app,
        post("/api/shares", "application/json", default_plan().to_json()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(get(&app, "/healthz").await, (StatusCode::OK, "ok".into()));
}
