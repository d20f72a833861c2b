#![cfg(feature = "ssr")]
//! The share API, share pages and share downloads, through the real router.

use crate::common::{
    body_text, create, get, html_escape, json_error, post, send, test_app, test_app_with,
};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use syncplan::model::{Plan, MAX_BODY_BYTES};
use syncplan::template::default_plan;

fn authorized(method: &str, uri: &str, token: Option<&str>, body: Option<String>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(b) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

async fn fetch_plan(app: &axum::Router, id: &str) -> (StatusCode, Option<Plan>) {
    let (status, body) = get(app, &format!("/api/shares/{id}")).await;
    (status, serde_json::from_str(&body).ok())
}

fn edited() -> Plan {
    let mut plan = default_plan();
    plan.title = "Edited & shared".into();
    plan.rows[0].owner = "Priya".into();
    plan
}

#[tokio::test]
async fn create_then_read_a_share() {
    let app = test_app().await;
    let created = create(&app, &default_plan()).await;
    assert_eq!(created.id.len(), 22, "128-bit id in base64url");
    assert!(
        created.token.len() >= 43,
        "owner token of at least 256 bits"
    );
    assert!(created.url.ends_with(&format!("/s/{}", created.id)));
    let (status, plan) = fetch_plan(&app, &created.id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(plan.unwrap(), default_plan());
}

#[tokio::test]
async fn only_the_owner_token_updates_and_a_refusal_changes_nothing() {
    let app = test_app().await;
    let created = create(&app, &default_plan()).await;
    let uri = format!("/api/shares/{}", created.id);

    for token in [None, Some("wrong-token"), Some("")] {
        json_error(
            &app,
            authorized("PUT", &uri, token, Some(edited().to_json())),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let other = create(&app, &default_plan()).await;
    json_error(
        &app,
        authorized("PUT", &uri, Some(&other.token), Some(edited().to_json())),
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        fetch_plan(&app, &created.id).await.1.unwrap(),
        default_plan()
    );

    let response = send(
        &app,
        authorized("PUT", &uri, Some(&created.token), Some(edited().to_json())),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(fetch_plan(&app, &created.id).await.1.unwrap(), edited());
    // The link stays the same.
    let (_, page) = get(&app, &format!("/s/{}", created.id)).await;
    assert!(page.contains(&html_escape("Edited & shared")));
}

#[tokio::test]
async fn revoke_ends_the_link_for_good() {
    let app = test_app().await;
    let created = create(&app, &default_plan()).await;
    let uri = format!("/api/shares/{}", created.id);
    json_error(
        &app,
        authorized("DELETE", &uri, Some("nope"), None),
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(fetch_plan(&app, &created.id).await.0, StatusCode::OK);

    let response = send(&app, authorized("DELETE", &uri, Some(&created.token), None)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    json_error(
        &app,
        Request::get(&uri).body(Body::empty()).unwrap(),
        StatusCode::GONE,
    )
    .await;
    json_error(
        &app,
        authorized("PUT", &uri, Some(&created.token), Some(edited().to_json())),
        StatusCode::GONE,
    )
    .await;
    json_error(
        &app,
        authorized("DELETE", &uri, Some(&created.token), None),
        StatusCode::GONE,
    )
    .await;
    let (status, page) = get(&app, &format!("/s/{}", created.id)).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("taken down"));
    assert!(!page.contains("Map every sync trigger"), "the plan is gone");
    json_error(
        &app,
        Request::get(format!("/s/{}/export/csv", created.id))
            .body(Body::empty())
            .unwrap(),
        StatusCode::GONE,
    )
    .await;
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404() {
    let app = test_app().await;
    for id in [
        "AAAAAAAAAAAAAAAAAAAAAA",
        "short",
        "..%2F..%2Fetc",
        "AAAAAAAAAAAAAAAAAAAAA!",
    ] {
        json_error(
            &app,
            Request::get(format!("/api/shares/{id}"))
                .body(Body::empty())
                .unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
        json_error(
            &app,
            authorized(
                "PUT",
                &format!("/api/shares/{id}"),
                Some("t"),
                Some(default_plan().to_json()),
            ),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let (status, page) = get(&app, "/s/AAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("does not exist"));
}

#[tokio::test]
async fn bad_bodies_are_refused_with_the_right_status() {
    let app = test_app().await;
    json_error(
        &app,
        post(
            "/api/shares",
            "application/json",
            r#"{"rows":[{"status":"later"}]}"#,
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    json_error(
        &app,
        post(
            "/api/shares",
            "application/json",
            "x".repeat(MAX_BODY_BYTES + 1),
        ),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    json_error(
        &app,
        post("/api/shares", "text/plain", "hello"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    let created = create(&app, &default_plan()).await;
    json_error(
        &app,
        authorized(
            "PUT",
            &format!("/api/shares/{}", created.id),
            Some(&created.token),
            Some("{".into()),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        fetch_plan(&app, &created.id).await.1.unwrap(),
        default_plan()
    );
}

#[tokio::test]
async fn creating_is_rate_limited_per_client() {
    let app = test_app_with(|c| c.share_rate_per_minute = 2).await;
    let from = |ip: &str| {
        let mut request = post("/api/shares", "application/json", default_plan().to_json());
        let addr: SocketAddr = format!("{ip}:5000").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(addr));
        request
    };
    for _ in 0..2 {
        assert_eq!(
            send(&app, from("10.0.0.1")).await.status(),
            StatusCode::CREATED
        );
    }
    let response = send(&app, from("10.0.0.1")).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body: Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert!(body["error"].as_str().unwrap().contains("Try again in"));
    assert_eq!(
        send(&app, from("10.0.0.2")).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn share_responses_stay_private() {
    let app = test_app().await;
    let created = create(&app, &default_plan()).await;
    for uri in [
        format!("/s/{}", created.id),
        format!("/api/shares/{}", created.id),
        format!("/s/{}/export/csv", created.id),
        "/s/AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
    ] {
        let response = send(&app, Request::get(&uri).body(Body::empty()).unwrap()).await;
        assert_eq!(
            response.headers()["x-robots-tag"],
            "noindex, nofollow",
            "{uri}"
        );
        assert_eq!(
            response.headers()[header::REFERRER_POLICY],
            "no-referrer",
            "{uri}"
        );
    }
    let response = send(&app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert!(response.headers().get("x-robots-tag").is_none());
}

#[tokio::test]
async fn the_share_page_is_read_only_and_offers_downloads_and_a_live_sheet() {
    let app = test_app_with(|c| c.public_url = Some("https://plans.example.com".into())).await;
    let created = create(&app, &edited()).await;
    assert_eq!(
        created.url,
        format!("https://plans.example.com/s/{}", created.id)
    );
    let (status, page) = get(&app, &format!("/s/{}", created.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&html_escape("Edited & shared")));
    assert!(page.contains("Last updated"));
    for row in &edited().rows {
        assert!(page.contains(&html_escape(&row.item)), "{}", row.item);
    }
    // The rows hold text only; the header's buttons sort the view and change nothing.
    let body = &page[page.find("<tbody").unwrap()..page.find("</tbody>").unwrap()];
    for control in ["<input", "<textarea", "<select", "<button"] {
        assert!(!body.contains(control), "the shared rows have no {control}");
    }
    let table = &page[page.find("<table").unwrap()..page.find("</table>").unwrap()];
    assert_eq!(
        table.matches("<button").count(),
        table.matches("class=\"sort-button\"").count()
    );
    assert!(
        page.contains(&format!(
            "=IMPORTDATA(&quot;https://plans.example.com/s/{}/export/csv&quot;)",
            created.id
        )) || page.contains(&format!(
            "=IMPORTDATA(\"https://plans.example.com/s/{}/export/csv\")",
            created.id
        ))
    );
    for format in ["csv", "excel-csv", "notion-csv", "markdown", "json"] {
        assert!(page.contains(&format!("/s/{}/export/{format}", created.id)));
    }
    assert!(page.contains("Make a copy"));
    assert!(
        page.contains("How do I test sync reliability at scale?"),
        "the FAQ"
    );
    assert!(page.contains("class=\"faq-sources\""), "the FAQ's sources");

    let response = send(
        &app,
        Request::get(format!("/s/{}/export/csv", created.id))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert!(body_text(response).await.contains("Priya"));
}

#[tokio::test]
async fn eight_clients_creating_and_reading_at_once_never_fail() {
    let app = test_app().await;
    let router = app.router.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut tasks = Vec::new();
    for client in 0..8 {
        let router = router.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0;
            while std::time::Instant::now() < deadline {
                let mut plan = default_plan();
                plan.title = format!("client {client} plan {done}");
                let mut request = post("/api/shares", "application/json", plan.to_json());
                let addr: SocketAddr = format!("10.1.0.{client}:1").parse().unwrap();
                request.extensions_mut().insert(ConnectInfo(addr));
                let response = send(&router, request).await;
                let status = response.status();
                if status == StatusCode::TOO_MANY_REQUESTS {
                    // Over this client's per-minute budget: keep reading instead.
                    break;
                }
                assert_eq!(status, StatusCode::CREATED, "{}", body_text(response).await);
                let body: Value = serde_json::from_str(&body_text(response).await).unwrap();
                let id = body["id"].as_str().unwrap();
                let (status, read) = fetch_plan(&router, id).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(read.unwrap().title, plan.title);
                done += 1;
            }
            // Reads keep going for the rest of the time.
            let mut reads = 0;
            while std::time::Instant::now() < deadline {
                assert_eq!(get(&router, "/healthz").await.0, StatusCode::OK);
                reads += 1;
            }
            (done, reads)
        }));
    }
    let mut created = 0;
    for task in tasks {
        let (done, _) = task.await.expect("no client failed");
        created += done;
    }
    assert!(created >= 8, "every client created shares");
}
