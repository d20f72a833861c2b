#![cfg(feature = "ssr")]
//! The promises a share link must keep against someone who holds it and wants to abuse it
//! (issue "Share links under attack"): revoked links end everywhere within the bound, what
//! one viewer sends never reaches another, limits count clients, memory and storage stay
//! bounded, only the app's own scripts run, and no cross-site form can write.

use crate::common::{
    body_text, create, fresh_backends, get, json_error, post, send, sql, state_with, with_token,
};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use futures_util::StreamExt;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use syncplan::model::{Plan, Row, RowId};
use syncplan::server::{inline_scripts, SHARE_PAGE_MAX_AGE};
use syncplan::template::default_plan;

mod addresses;

async fn create_from(app: &Router, plan: &Plan, forwarded: Option<&str>) -> (StatusCode, Value) {
    let mut request = post("/api/shares", "application/json", plan.to_json());
    if let Some(f) = forwarded {
        request
            .headers_mut()
            .insert("x-forwarded-for", f.parse().unwrap());
    }
    let response = send(app, request).await;
    let status = response.status();
    let text = body_text(response).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A random-looking client address, so runs against a long-lived database never share one.
fn fresh_client() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("198.18.{}.{}", (n >> 8) & 0xff, n & 0xff)
}

// ----- 1. A revoked link is gone -----

#[tokio::test]
async fn a_revoke_elsewhere_ends_the_page_within_the_bound_even_after_an_abandoned_refresh() {
    for (name, url, _dir) in fresh_backends().await {
        let (_, a, _) = state_with(Some(&url), |_| {}).await;
        let (_, b, _) = state_with(Some(&url), |_| {}).await;
        let (id, token) = create(&a, &default_plan()).await.pair();
        let page = format!("/s/{id}");
        assert_eq!(get(&a, &page).await.0, StatusCode::OK, "{name}");
        // The copy on A goes stale; a viewer asks for it and hangs up mid-render.
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        let abandoned = send(&a, Request::get(&page).body(Body::empty()).unwrap());
        let _ = tokio::time::timeout(Duration::from_millis(1), abandoned).await;
        // The owner revokes on the other instance.
        let revoked = send(
            &b,
            with_token("DELETE", &format!("/api/shares/{id}"), &token, None),
        );
        assert_eq!(revoked.await.status(), StatusCode::NO_CONTENT, "{name}");
        let at = Instant::now();
        loop {
            let status = get(&a, &page).await.0;
            if status == StatusCode::GONE {
                break;
            }
            assert_eq!(status, StatusCode::OK, "{name}");
            assert!(
                at.elapsed() < SHARE_PAGE_MAX_AGE + Duration::from_secs(1),
                "{name}: A still serves the revoked plan after {:?}",
                at.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for uri in [format!("/api/shares/{id}"), format!("/s/{id}/export/csv")] {
            assert_eq!(get(&a, &uri).await.0, StatusCode::GONE, "{name}: {uri}");
        }
    }
}

#[tokio::test]
async fn an_unchanged_share_is_not_rendered_again_and_a_change_elsewhere_still_shows_in_time() {
    for (name, url, _dir) in fresh_backends().await {
        let (state, a, _) = state_with(Some(&url), |_| {}).await;
        let (_, b, _) = state_with(Some(&url), |_| {}).await;
        let (id, token) = create(&a, &default_plan()).await.pair();
        let page = format!("/s/{id}");
        // Viewed without a break for twice the maximum age and more: the copy is refreshed
        // every second, but the share did not change, so it is not rendered again each time.
        let watched = Instant::now();
        while watched.elapsed() < SHARE_PAGE_MAX_AGE * 2 + Duration::from_millis(500) {
            let (status, html) = get(&a, &page).await;
            assert_eq!(status, StatusCode::OK, "{name}");
            assert!(html.contains(&default_plan().title), "{name}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The first view and the first refresh render; then one render per second would
        // make five or more.
        let renders = state.pages.share_renders();
        assert!((1..=3).contains(&renders), "{name}: {renders} renders");

        // The owner changes the plan on the other instance: this one shows it in time.
        let mut plan = default_plan();
        plan.title = "Changed on B".into();
        let uri = format!("/api/shares/{id}");
        let put = with_token("PUT", &uri, &token, Some(plan.to_json()));
        assert_eq!(
            send(&b, put).await.status(),
            StatusCode::NO_CONTENT,
            "{name}"
        );
        let at = Instant::now();
        while !get(&a, &page).await.1.contains("Changed on B") {
            assert!(
                at.elapsed() < SHARE_PAGE_MAX_AGE + Duration::from_secs(1),
                "{name}: A still shows the old plan after {:?}",
                at.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn an_update_here_shows_at_once_and_pages_expire_by_age() {
    for (name, url, _dir) in fresh_backends().await {
        let (_, app, _) = state_with(Some(&url), |_| {}).await;
        let (id, token) = create(&app, &default_plan()).await.pair();
        let page = format!("/s/{id}");
        assert_eq!(get(&app, &page).await.0, StatusCode::OK);
        let mut plan = default_plan();
        plan.title = "Changed title".into();
        let put = with_token(
            "PUT",
            &format!("/api/shares/{id}"),
            &token,
            Some(plan.to_json()),
        );
        assert_eq!(send(&app, put).await.status(), StatusCode::NO_CONTENT);
        assert!(get(&app, &page).await.1.contains("Changed title"), "{name}");

        // Changed behind this instance's back (as another instance would, its note lost):
        // the cached page is served no longer than its maximum age.
        plan.title = "Changed elsewhere".into();
        let statement: &'static str = Box::leak(
            format!("UPDATE shares SET plan = $1, version = version + 1 WHERE id = '{id}'")
                .into_boxed_str(),
        );
        sql(&url, statement, &plan.to_json()).await;
        let at = Instant::now();
        let mut served_stale = false;
        loop {
            let html = get(&app, &page).await.1;
            if html.contains("Changed elsewhere") {
                break;
            }
            served_stale = true;
            assert!(
                at.elapsed() < SHARE_PAGE_MAX_AGE + Duration::from_millis(500),
                "{name}: the page is older than its maximum age ({:?})",
                at.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            served_stale,
            "{name}: the page was cached (else this proves nothing)"
        );
    }
}

// ----- 2. What one viewer sends never reaches another -----

#[tokio::test]
async fn a_burst_of_heavy_requests_gets_503_with_retry_after() {
    let (_, app, _dir) = state_with(None, |c| c.max_heavy_requests = 1).await;
    // The first request holds the only permit: its body never finishes arriving.
    let stuck = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"rows\":["))
    })
    .chain(futures_util::stream::pending());
    let holding = {
        let app = app.clone();
        tokio::spawn(async move {
            send(
                &app,
                post(
                    "/api/export/csv",
                    "application/json",
                    Body::from_stream(stuck),
                ),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let response = send(
        &app,
        post(
            "/api/export/csv",
            "application/json",
            default_plan().to_json(),
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry));
    let body: Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert!(body["error"].as_str().unwrap().contains("busy"));
    // Pages served from memory and light requests are not held up.
    assert_eq!(get(&app, "/healthz").await.0, StatusCode::OK);
    holding.abort();
}

// ----- 5. The page cache has a byte budget -----

#[tokio::test]
async fn the_page_cache_keeps_to_its_byte_budget() {
    let budget = 2 * 1024 * 1024;
    let (state, app, _dir) = state_with(None, |c| {
        c.page_cache_bytes = budget;
        c.share_rate_per_minute = 1000;
    })
    .await;
    for n in 0..40 {
        let mut plan = default_plan();
        plan.title = format!("Plan {n}");
        let (id, _) = create(&app, &plan).await.pair();
        let (status, page) = get(&app, &format!("/s/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("Plan {n}")));
        assert!(state.pages.share_bytes() <= budget);
    }
    assert!(state.pages.share_pages() > 0, "pages are kept");
    assert!(state.pages.share_pages() < 40, "old pages were evicted");
}

#[tokio::test]
async fn a_share_page_too_large_to_cache_is_still_served() {
    let (state, app, _dir) = state_with(None, |_| {}).await;
    // About 1.9 MiB of plan; every `<` grows fourfold in HTML, in the table and the data.
    let rows: Vec<Row> = (0..190)
        .map(|i| Row {
            notes: "<".repeat(9_990),
            ..Row::blank(RowId(format!("r{i}")))
        })
        .collect();
    let plan = Plan::new("Huge but allowed", rows);
    let (id, _) = create(&app, &plan).await.pair();
    let (status, page) = get(&app, &format!("/s/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.len() > 8 * 1024 * 1024, "{} bytes", page.len());
    assert!(page.contains("Huge but allowed"));
    assert!(page.contains("</html>"), "the whole page");
    let (status, again) = get(&app, &format!("/s/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again.len(), page.len());
    assert!(state.pages.share_bytes() <= 128 * 1024 * 1024);
}

// ----- 6. Storage is bounded -----

#[tokio::test]
async fn the_daily_quota_answers_429_and_existing_shares_keep_working() {
    for (name, url, _dir) in fresh_backends().await {
        let (_, app, _) = state_with(Some(&url), |c| {
            c.proxies.trusted_proxies = 1;
            c.store_limits.shares_per_day = 2;
        })
        .await;
        let client = fresh_client();
        let mut made = Vec::new();
        for _ in 0..2 {
            let (status, body) = create_from(&app, &default_plan(), Some(&client)).await;
            assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
            made.push(body);
        }
        let mut request = post("/api/shares", "application/json", default_plan().to_json());
        request
            .headers_mut()
            .insert("x-forwarded-for", client.parse().unwrap());
        let response = send(&app, request).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{name}");
        let retry: u64 = response.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=86_400).contains(&retry), "{name}");
        let body: Value = serde_json::from_str(&body_text(response).await).unwrap();
        assert!(body["error"].as_str().unwrap().contains("today"), "{name}");
        // What was made keeps working, including updates.
        let id = made[0]["id"].as_str().unwrap();
        let token = made[0]["owner_token"].as_str().unwrap();
        assert_eq!(
            get(&app, &format!("/api/shares/{id}")).await.0,
            StatusCode::OK
        );
        let put = with_token(
            "PUT",
            &format!("/api/shares/{id}"),
            token,
            Some(default_plan().to_json()),
        );
        assert_eq!(
            send(&app, put).await.status(),
            StatusCode::NO_CONTENT,
            "{name}"
        );
        // Another client still may.
        let other = create_from(&app, &default_plan(), Some(&fresh_client())).await;
        assert_eq!(other.0, StatusCode::CREATED, "{name}");
    }
}

#[tokio::test]
async fn a_full_store_answers_507_and_existing_shares_keep_working() {
    let size = default_plan().to_json().len() as u64;
    for (name, url, _dir) in fresh_backends().await {
        let (_, app, _) = state_with(Some(&url), |c| {
            c.store_limits.max_bytes = size * 3 / 2;
        })
        .await;
        let (id, token) = create(&app, &default_plan()).await.pair();
        let body = json_error(
            &app,
            post("/api/shares", "application/json", default_plan().to_json()),
            StatusCode::INSUFFICIENT_STORAGE,
        )
        .await;
        assert!(
            body["error"].as_str().unwrap().contains("existing links"),
            "{name}"
        );
        assert_eq!(
            get(&app, &format!("/s/{id}")).await.0,
            StatusCode::OK,
            "{name}"
        );
        assert_eq!(
            get(&app, &format!("/api/shares/{id}")).await.0,
            StatusCode::OK,
            "{name}"
        );
        // Revoking frees the space.
        let revoke = with_token("DELETE", &format!("/api/shares/{id}"), &token, None);
        assert_eq!(send(&app, revoke).await.status(), StatusCode::NO_CONTENT);
        create(&app, &default_plan()).await.pair();
    }
}

#[tokio::test]
async fn shares_nobody_opens_expire_when_retention_is_on() {
    for (name, url, _dir) in fresh_backends().await {
        let (state, app, _) = state_with(Some(&url), |c| c.retention_days = Some(30)).await;
        let (old, _) = create(&app, &default_plan()).await.pair();
        let (fresh, _) = create(&app, &default_plan()).await.pair();
        let before = state.store.used_bytes().await.unwrap();
        sql(
            &url,
            "UPDATE shares SET updated_at = 0, visited_at = NULL WHERE id = $1",
            &old,
        )
        .await;
        assert_eq!(state.store.expire_unvisited(30).await.unwrap(), 1, "{name}");
        let (status, page) = get(&app, &format!("/s/{old}")).await;
        assert_eq!(status, StatusCode::GONE, "{name}");
        assert!(page.contains("expired"), "{name}");
        let body = json_error(
            &app,
            Request::get(format!("/api/shares/{old}"))
                .body(Body::empty())
                .unwrap(),
            StatusCode::GONE,
        )
        .await;
        assert!(
            body["error"].as_str().unwrap().contains("expired"),
            "{name}"
        );
        assert_eq!(
            get(&app, &format!("/s/{fresh}")).await.0,
            StatusCode::OK,
            "{name}"
        );
        assert!(state.store.used_bytes().await.unwrap() < before, "{name}");
    }
}

// ----- 8. Scripts run only when we wrote them -----

#[tokio::test]
async fn every_page_allows_the_same_app_scripts_whatever_its_content() {
    let (_, app, _dir) = state_with(None, |_| {}).await;
    let hostile = "</script><script>window.__xss=1</script><!--";
    let mut plan = default_plan();
    plan.title = hostile.into();
    plan.rows[0].notes = hostile.into();
    plan.rows[1].item = "</div><script>alert(1)</script>".into();
    let (id, _) = create(&app, &plan).await.pair();
    let mut policies = Vec::new();
    for uri in [
        "/".to_owned(),
        "/no/such/page".to_owned(),
        format!("/s/{id}"),
    ] {
        let response = send(&app, Request::get(&uri).body(Body::empty()).unwrap()).await;
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        let html = body_text(response).await;
        let scripts = inline_scripts(html.as_bytes());
        for script in &scripts {
            assert!(
                !String::from_utf8_lossy(script).contains("__xss"),
                "{uri}: user text became a script"
            );
            use base64::Engine as _;
            use sha2::Digest as _;
            let hash =
                base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
            assert!(
                csp.contains(&hash),
                "{uri}: an inline script is not allowed"
            );
        }
        assert!(!scripts.is_empty(), "{uri}");
        policies.push(csp);
    }
    assert!(
        policies.windows(2).all(|w| w[0] == w[1]),
        "page content never changes the policy: {policies:#?}"
    );
}

// ----- 9. No cross-site writes; the right caching -----

#[tokio::test]
async fn the_share_api_takes_json_only() {
    let (_, app, _dir) = state_with(None, |_| {}).await;
    let form = format!("plan={}", url_escape(&default_plan().to_json()));
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        json_error(
            &app,
            post("/api/shares", content_type, form.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        )
        .await;
    }
    let (id, token) = create(&app, &default_plan()).await.pair();
    let mut put = with_token("PUT", &format!("/api/shares/{id}"), &token, Some(form));
    put.headers_mut().insert(
        header::CONTENT_TYPE,
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    assert_eq!(
        send(&app, put).await.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn owner_tokens_are_never_cached_and_shares_are_private() {
    let (_, app, _dir) = state_with(None, |_| {}).await;
    let response = send(
        &app,
        post("/api/shares", "application/json", default_plan().to_json()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let body: Value = serde_json::from_str(&body_text(response).await).unwrap();
    let id = body["id"].as_str().unwrap();
    for uri in [
        format!("/s/{id}"),
        format!("/api/shares/{id}"),
        format!("/s/{id}/export/csv"),
    ] {
        let response = send(&app, Request::get(&uri).body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let cache = response.headers()[header::CACHE_CONTROL].to_str().unwrap();
        assert!(cache.contains("private"), "{uri}: {cache}");
        assert!(
            response
                .headers()
                .get(header::STRICT_TRANSPORT_SECURITY)
                .is_none(),
            "no HSTS over plain http"
        );
    }
    let (_, https, _d) = state_with(None, |c| {
        c.public_url = Some("https://plans.example.com".into())
    })
    .await;
    let response = send(&https, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(
        response.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn the_security_headers_do_not_depend_on_the_page_cache() {
    let (_, app, _dir) = state_with(None, |c| c.page_cache_bytes = 0).await;
    let (id, _) = create(&app, &default_plan()).await.pair();
    for uri in ["/".to_owned(), format!("/s/{id}")] {
        let response = send(&app, Request::get(&uri).body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{uri}"
        );
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    }
}
