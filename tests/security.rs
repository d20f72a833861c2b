#![cfg(feature = "ssr")]
//! Response hardening and hostile input, through the real router.

use crate::common::{body_text, get, html_escape, json_error, post, send, test_app};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http_body_util::BodyExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use syncplan::model::{Plan, Priority, Row, RowId, Status, MAX_BODY_BYTES};

/// Hostile text for every field: script tags, event-handler attributes, script URLs.
const NASTY: [&str; 4] = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=\"window.__xss=1\">",
    "javascript:window.__xss=1",
    "\"><svg onload=window.__xss=1>",
];

fn nasty_plan() -> Plan {
    // The title tries to close <title> (leptos_meta writes titles unescaped).
    let rows = NASTY
        .iter()
        .enumerate()
        .map(|(i, text)| Row {
            id: RowId(format!("x{i}")),
            item: text.to_string(),
            category: text.to_string(),
            priority: Priority::P1,
            owner: text.to_string(),
            status: Status::Blocked,
            notes: format!("{text}\n[link]({})", NASTY[2]),
        })
        .collect();
    Plan::new(format!("</title>{}", NASTY[0]), rows)
}

#[tokio::test]
async fn every_response_carries_the_hardening_headers() {
    let app = test_app().await;
    for uri in [
        "/",
        "/healthz",
        "/robots.txt",
        "/no/such/page",
        "/api/shares/AAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let response = send(&app, Request::get(uri).body(Body::empty()).unwrap()).await;
        let h = response.headers();
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{uri}");
        assert!(h.contains_key(header::REFERRER_POLICY), "{uri}");
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(
            !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
            "{uri}: {csp}"
        );
    }
}

#[tokio::test]
async fn html_pages_allow_exactly_their_own_inline_scripts() {
    let app = test_app().await;
    for uri in ["/", "/no/such/page"] {
        let response = send(&app, Request::get(uri).body(Body::empty()).unwrap()).await;
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        let html = body_text(response).await;
        for directive in [
            "script-src 'self' 'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{uri}: {directive} in {csp}");
        }
        let mut scripts = 0;
        let mut rest = html.as_str();
        while let Some(start) = rest.find("<script") {
            let after = &rest[start..];
            let open_end = after.find('>').unwrap();
            let body = &after[open_end + 1..];
            let close = body.find("</script>").unwrap();
            if !after[..open_end].contains(" src=") {
                let hash = STANDARD.encode(Sha256::digest(&body.as_bytes()[..close]));
                assert!(
                    csp.contains(&format!("'sha256-{hash}'")),
                    "{uri}: script not allowed"
                );
                scripts += 1;
            }
            rest = &body[close..];
        }
        assert!(scripts >= 1, "{uri}: the hydration script is inline");
    }
}

/// Shares `nasty_plan()`; its share id.
async fn share_nasty_plan(app: &axum::Router) -> String {
    let response = send(
        app,
        post("/api/shares", "application/json", nasty_plan().to_json()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    serde_json::from_str::<Value>(&body_text(response).await).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn user_text_is_never_markup_on_the_share_page_or_in_markdown() {
    let app = test_app().await;
    let id = share_nasty_plan(&app).await;
    let (status, page) = get(&app, &format!("/s/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for text in [NASTY[0], NASTY[1], NASTY[3]] {
        assert!(!page.contains(text), "raw {text:?} in the share page");
    }
    assert!(
        page.contains(&html_escape(NASTY[0])),
        "the text is shown, escaped"
    );
    assert!(
        !page.contains("href=\"javascript:"),
        "no script URL becomes a link"
    );
    // (The readiness chart is an <svg> of the app's own; none may carry user attributes.)
    for tag in ["<img", "<svg onload", "<script>window"] {
        assert!(!page.contains(tag), "no {tag} element from user text");
    }

    let response = send(
        &app,
        post(
            "/api/export/markdown",
            "application/json",
            nasty_plan().to_json(),
        ),
    )
    .await;
    let md = body_text(response).await;
    for tag in ["<script", "<img", "<svg"] {
        assert!(!md.contains(tag), "{tag} in the Markdown export");
    }
    assert!(md.contains("&lt;script&gt;"), "escaped, still readable");
    assert!(!md.contains("[link]("), "no Markdown link from user text");
}

#[tokio::test]
async fn the_global_body_limit_answers_in_json() {
    let app = test_app().await;
    let request = Request::post("/api/shares")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, MAX_BODY_BYTES + 10)
        .body(Body::from(vec![b' '; MAX_BODY_BYTES + 10]))
        .unwrap();
    let body = json_error(&app, request, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(body["error"].as_str().unwrap().contains("2 MiB"));
}

#[tokio::test]
async fn hostile_paths_and_methods_get_4xx_not_5xx() {
    let app = test_app().await;
    for uri in [
        "/s/..%2F..%2Fetc%2Fpasswd",
        "/s/%00",
        "/api/shares/%ZZ",
        "/s/AAAAAAAAAAAAAAAAAAAAAA/export/..%2Fx",
        "/pkg/../../Cargo.toml",
        "/api/export/csv%20",
    ] {
        let (status, _) = get(&app, uri).await;
        assert!(status.is_client_error(), "{uri}: {status}");
    }
    let response = send(
        &app,
        Request::delete("/api/shares").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// A page served from the page cache (its fast path) carries exactly the headers of the
/// page as first rendered, in every encoding.
#[tokio::test]
async fn cached_pages_carry_the_headers_of_a_render() {
    let app = test_app().await;
    let id = share_nasty_plan(&app).await;
    let headers_of = |response: &axum::http::Response<Body>| {
        let mut all: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(name, _)| *name != header::DATE)
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        all.sort();
        all
    };
    for uri in ["/".to_owned(), format!("/s/{id}")] {
        for encoding in ["", "br", "gzip"] {
            let request = || {
                Request::get(uri.as_str())
                    .header(header::ACCEPT_ENCODING, encoding)
                    .body(Body::empty())
                    .unwrap()
            };
            let first = send(&app, request()).await;
            let second = send(&app, request()).await;
            assert_eq!(first.status(), StatusCode::OK, "{uri} {encoding}");
            assert_eq!(headers_of(&first), headers_of(&second), "{uri} {encoding}");
            let h = second.headers();
            assert!(h.contains_key(header::CONTENT_SECURITY_POLICY), "{uri}");
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
            if uri.starts_with("/s/") {
                assert_eq!(h["x-robots-tag"], "noindex, nofollow");
                assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
            }
            let first = first.into_body().collect().await.unwrap().to_bytes();
            let second = second.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(first, second, "{uri} {encoding}");
        }
    }
}

/// The site's files served from memory (production) answer as Leptos' file fallback does
/// from disk: same bytes, type, encoding, caching and hardening headers; plus an ETag that
/// makes a revalidation a 304.
#[tokio::test]
async fn static_files_from_memory_match_the_files_on_disk() {
    let site = tempfile::tempdir().unwrap();
    let root = site.path().to_str().unwrap().to_owned();
    std::fs::write(site.path().join("robots.txt"), "User-agent: *\nAllow: /\n").unwrap();
    std::fs::write(site.path().join("robots.txt.br"), [11u8, 9, 128]).unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/app.css"), "body{color:red}").unwrap();
    std::fs::write(
        site.path().join("sw.js"),
        "self.addEventListener('fetch',()=>{})",
    )
    .unwrap();
    let disk = {
        let root = root.clone();
        crate::common::test_app_with(move |c| c.site_root = root).await
    };
    let memory = crate::common::test_app_with(move |c| {
        c.site_root = root;
        c.static_in_memory = true;
    })
    .await;
    let compared = [
        header::CONTENT_TYPE,
        header::CONTENT_ENCODING,
        header::CACHE_CONTROL,
        header::CONTENT_SECURITY_POLICY,
        header::X_CONTENT_TYPE_OPTIONS,
        header::X_FRAME_OPTIONS,
        header::REFERRER_POLICY,
    ];
    for (uri, encoding) in [
        ("/robots.txt", ""),
        ("/robots.txt", "gzip, br"),
        ("/pkg/app.css", "br"),
        ("/sw.js", ""),
    ] {
        let request = || {
            Request::get(uri)
                .header(header::ACCEPT_ENCODING, encoding)
                .body(Body::empty())
                .unwrap()
        };
        let from_disk = send(&disk, request()).await;
        let from_memory = send(&memory, request()).await;
        assert_eq!(from_disk.status(), StatusCode::OK, "{uri}");
        assert_eq!(from_memory.status(), StatusCode::OK, "{uri}");
        assert!(from_memory.headers().contains_key(header::ETAG), "{uri}");
        if uri == "/robots.txt" {
            // Shared caches must keep the plain and the brotli copy apart (the file
            // fallback says so only when it sent a compressed copy).
            assert_eq!(from_memory.headers()[header::VARY], "accept-encoding");
        }
        for name in &compared {
            assert_eq!(
                from_disk.headers().get(name),
                from_memory.headers().get(name),
                "{uri} {encoding}: {name}"
            );
        }
        let etag = from_memory.headers()[header::ETAG].clone();
        let a = from_disk.into_body().collect().await.unwrap().to_bytes();
        let b = from_memory.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(a, b, "{uri} {encoding}");
        let revalidate = Request::get(uri)
            .header(header::IF_NONE_MATCH, etag)
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            send(&memory, revalidate).await.status(),
            StatusCode::NOT_MODIFIED
        );
    }
    // What is not a file still gets the app's 404 page.
    let (status, _) = get(&memory, "/robots.txt.br.nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
