#![cfg(feature = "ssr")]
//! The share store's behaviour on every backend: SQLite always, and PostgreSQL when
//! `SYNCPLAN_TEST_POSTGRES_URL` names one (`make test` starts one). Includes two app
//! instances sharing one database, as behind a load balancer.

use crate::common::{create, get, send, with_token};
use axum::http::StatusCode;
use axum::Router;
use syncplan::model::Plan;
use syncplan::server::{app, AppState, Config};
use syncplan::template::default_plan;
use tempfile::TempDir;

/// Database URLs to test: a fresh SQLite file, and PostgreSQL when available.
fn backends() -> Vec<(&'static str, String, Option<TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("shares.db").display()
    );
    let mut list = vec![("SQLite", sqlite, Some(dir))];
    if let Some(url) = crate::common::postgres_url("the share-store test") {
        list.push(("PostgreSQL", url, None));
    }
    list
}

async fn instance(url: &str) -> Router {
    let mut config = Config::for_tests(url);
    // Every request here comes from the same (unknown) client, and PostgreSQL's database
    // lives across runs: no per-client or size limit may get in the way.
    config.share_rate_per_minute = 100_000;
    config.store_limits.shares_per_day = u32::MAX;
    config.store_limits.max_bytes = u64::MAX / 2;
    app(AppState::new(config).await.expect("the store opens"))
}

async fn read(app: &Router, id: &str) -> (StatusCode, Option<Plan>) {
    let (status, body) = get(app, &format!("/api/shares/{id}")).await;
    (status, serde_json::from_str(&body).ok())
}

fn changed(title: &str) -> Plan {
    let mut plan = default_plan();
    plan.title = title.into();
    plan.rows[3].notes = "Updated with ünïcödé and \"quotes\"".into();
    plan
}

#[tokio::test]
async fn the_share_lifecycle_works_on_every_backend() {
    for (name, url, _dir) in backends() {
        let app = instance(&url).await;
        let (id, token) = create(&app, &default_plan()).await.pair();
        assert_eq!(
            read(&app, &id).await,
            (StatusCode::OK, Some(default_plan())),
            "{name}"
        );

        let uri = format!("/api/shares/{id}");
        let wrong = send(
            &app,
            with_token("PUT", &uri, "not-the-token", Some(changed("x").to_json())),
        )
        .await;
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN, "{name}");
        assert_eq!(
            read(&app, &id).await.1,
            Some(default_plan()),
            "{name}: refusal changed nothing"
        );

        let ok = send(
            &app,
            with_token("PUT", &uri, &token, Some(changed("v2").to_json())),
        )
        .await;
        assert_eq!(ok.status(), StatusCode::NO_CONTENT, "{name}");
        assert_eq!(read(&app, &id).await.1, Some(changed("v2")), "{name}");

        let gone = send(&app, with_token("DELETE", &uri, &token, None)).await;
        assert_eq!(gone.status(), StatusCode::NO_CONTENT, "{name}");
        assert_eq!(read(&app, &id).await.0, StatusCode::GONE, "{name}");
        assert_eq!(
            get(&app, "/healthz").await,
            (StatusCode::OK, "ok".into()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn two_instances_on_one_database_see_each_others_shares() {
    for (name, url, _dir) in backends() {
        let a = instance(&url).await;
        let b = instance(&url).await;
        let (id, token) = create(&a, &changed("made on A")).await.pair();
        assert_eq!(
            read(&b, &id).await.1,
            Some(changed("made on A")),
            "{name}: B serves A's share"
        );
        let (status, page) = get(&b, &format!("/s/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(
            page.contains("made on A"),
            "{name}: B renders the share page"
        );

        let uri = format!("/api/shares/{id}");
        let updated = send(
            &b,
            with_token("PUT", &uri, &token, Some(changed("updated on B").to_json())),
        )
        .await;
        assert_eq!(updated.status(), StatusCode::NO_CONTENT, "{name}");
        assert_eq!(
            read(&a, &id).await.1,
            Some(changed("updated on B")),
            "{name}: A sees B's update"
        );

        let revoked = send(&a, with_token("DELETE", &uri, &token, None)).await;
        assert_eq!(revoked.status(), StatusCode::NO_CONTENT, "{name}");
        assert_eq!(
            read(&b, &id).await.0,
            StatusCode::GONE,
            "{name}: B sees A's revoke"
        );
        // B's page cache may hold the page for a moment; never past its maximum age.
        tokio::time::sleep(
            syncplan::server::SHARE_PAGE_MAX_AGE + std::time::Duration::from_millis(100),
        )
        .await;
        assert_eq!(
            get(&b, &format!("/s/{id}")).await.0,
            StatusCode::GONE,
            "{name}"
        );
    }
}

#[tokio::test]
async fn concurrent_writers_never_fail_on_any_backend() {
    for (name, url, _dir) in backends() {
        let app = instance(&url).await;
        let tasks: Vec<_> = (0..8)
            .map(|client| {
                let app = app.clone();
                tokio::spawn(async move {
                    for n in 0..10 {
                        let plan = changed(&format!("client {client} share {n}"));
                        let (id, token) = create(&app, &plan).await.pair();
                        let uri = format!("/api/shares/{id}");
                        let next = changed(&format!("client {client} share {n} v2"));
                        let r =
                            send(&app, with_token("PUT", &uri, &token, Some(next.to_json()))).await;
                        assert_eq!(r.status(), StatusCode::NO_CONTENT);
                        assert_eq!(read(&app, &id).await.1, Some(next));
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await
                .unwrap_or_else(|e| panic!("{name}: a writer failed: {e}"));
        }
    }
}

/// SQLite's write-ahead log is copied back into the database as writes go (by the store,
/// beside the writes): it stays a fraction of what was written, however long the server
/// takes writes without a pause.
#[tokio::test]
async fn the_sqlite_log_is_copied_back_as_writes_go() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shares.db");
    let app = instance(&format!("sqlite://{}?mode=rwc", file.display())).await;
    let wal = dir.path().join("shares.db-wal");
    let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let before = size(&file);
    for n in 0..400 {
        create(&app, &changed(&format!("share {n}"))).await;
    }
    // The last checkpoint runs beside the writes: give it a moment.
    let mut copied = 0;
    for _ in 0..100 {
        copied = size(&file).saturating_sub(before);
        if copied > 0 && size(&wal) < copied / 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        copied > 1 << 20,
        "the shares reached the database file ({copied} bytes)"
    );
    assert!(
        size(&wal) < copied / 2,
        "the log stays small: {} bytes beside {copied} written",
        size(&wal)
    );
}
