//! Addresses a client claims: a forged `Host` never reaches a page, forwarding headers are
//! trusted only from configured proxies, and limits count the right hop.

use super::*;

#[tokio::test]
async fn forged_host_headers_never_reach_the_page_or_other_viewers() {
    for proxies in [0, 1] {
        let (_, app, _dir) = state_with(None, |c| c.proxies.trusted_proxies = proxies).await;
        let (id, _) = create(&app, &default_plan()).await.pair();
        let page = format!("/s/{id}");
        let forged = Request::get(&page)
            .header(header::HOST, "evil.example")
            .header("x-forwarded-host", "evil.example")
            .header("x-forwarded-proto", "https")
            .body(Body::empty())
            .unwrap();
        let response = send(&app, forged).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!body_text(response).await.contains("evil.example"));
        let (_, later) = get(&app, &page).await;
        assert!(!later.contains("evil.example"), "a later viewer's page");
        assert!(later.contains(&format!("/s/{id}/export/csv")));
    }
}

#[tokio::test]
async fn forwarded_proto_is_trusted_only_behind_configured_proxies() {
    let forged = |app: Router| async move {
        let mut request = post("/api/shares", "application/json", default_plan().to_json());
        request
            .headers_mut()
            .insert(header::HOST, "plans.example.com".parse().unwrap());
        request
            .headers_mut()
            .insert("x-forwarded-proto", "https".parse().unwrap());
        let response = send(&app, request).await;
        let body: Value = serde_json::from_str(&body_text(response).await).unwrap();
        body["url"].as_str().unwrap().to_owned()
    };
    let (_, direct, _d1) = state_with(None, |_| {}).await;
    assert!(forged(direct)
        .await
        .starts_with("http://plans.example.com/s/"));
    let (_, proxied, _d2) = state_with(None, |c| c.proxies.trusted_proxies = 1).await;
    assert!(forged(proxied)
        .await
        .starts_with("https://plans.example.com/s/"));
    let (_, configured, _d3) =
        state_with(None, |c| c.public_url = Some("https://p.example".into())).await;
    assert!(forged(configured).await.starts_with("https://p.example/s/"));
}

// ----- 3. Per-client limits count clients -----

#[tokio::test]
async fn behind_a_proxy_the_right_most_untrusted_hop_is_counted() {
    let (_, app, _dir) = state_with(None, |c| {
        c.proxies.trusted_proxies = 1;
        c.share_rate_per_minute = 2;
    })
    .await;
    let plan = default_plan();
    // A client forging a new left-most address on every request is still one client.
    for forged in ["1.1.1.1", "2.2.2.2"] {
        let f = format!("{forged}, 198.51.100.7");
        assert_eq!(
            create_from(&app, &plan, Some(&f)).await.0,
            StatusCode::CREATED
        );
    }
    let (status, _) = create_from(&app, &plan, Some("3.3.3.3, 198.51.100.7")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        create_from(&app, &plan, Some("198.51.100.8")).await.0,
        StatusCode::CREATED,
        "another client"
    );
    // One IPv6 user holds a whole /64.
    for n in 1..=2 {
        let f = format!("2001:db8:7:7::{n}");
        assert_eq!(
            create_from(&app, &plan, Some(&f)).await.0,
            StatusCode::CREATED
        );
    }
    let (status, _) = create_from(&app, &plan, Some("2001:db8:7:7:ffff::3")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // A proxy hop that is not an address is refused, not counted as some other client.
    let body = json_error(
        &app,
        {
            let mut r = post("/api/shares", "application/json", plan.to_json());
            r.headers_mut().insert(
                "x-forwarded-for",
                "198.51.100.9, not-an-ip".parse().unwrap(),
            );
            r
        },
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["error"].as_str().unwrap().contains("x-forwarded-for"));
}

#[tokio::test]
async fn without_proxies_the_socket_address_is_counted_and_headers_ignored() {
    let (_, app, _dir) = state_with(None, |c| c.share_rate_per_minute = 1).await;
    let from = |forwarded: &str| {
        let mut r = post("/api/shares", "application/json", default_plan().to_json());
        let addr: SocketAddr = "192.0.2.44:5000".parse().unwrap();
        r.extensions_mut().insert(ConnectInfo(addr));
        r.headers_mut()
            .insert("x-forwarded-for", forwarded.parse().unwrap());
        r
    };
    assert_eq!(
        send(&app, from("10.0.0.1")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        send(&app, from("10.0.0.2")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

// ----- 4. Heavy requests are capped -----
