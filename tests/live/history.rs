//! A live plan's history over HTTP: who wrote which value of a cell and when, kept past the
//! op log's pruning, a page at a time, for editors and the owner only.

use super::support::*;
use crate::common::{body_text, create, send, with_token};
use axum::http::{header, StatusCode};
use axum::Router;
use syncplan::shared::api::HistoryPage;
use syncplan::shared::wire::{ClientMsg, ServerMsg};

/// `GET` of a history page with `secret`: the status, and the page when it is a 200.
async fn history(
    router: &Router,
    id: &str,
    secret: Option<&str>,
    query: &str,
) -> (StatusCode, Option<HistoryPage>, String) {
    let uri = format!("/api/shares/{id}/history?{query}");
    let request = match secret {
        Some(secret) => with_token("GET", &uri, secret, None),
        None => axum::http::Request::get(&uri)
            .body(axum::body::Body::empty())
            .unwrap(),
    };
    let response = send(router, request).await;
    let status = response.status();
    let cache = response
        .headers()
        .get(header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = body_text(response).await;
    if status == StatusCode::OK {
        assert_eq!(cache, "no-store", "a history is never cached");
        (status, Some(serde_json::from_str(&text).unwrap()), text)
    } else {
        (status, None, text)
    }
}

/// The sequence of the newest entry of a history.
async fn page_seq(router: &Router, id: &str, secret: &str, query: &str) -> u64 {
    let (_, page, _) = history(router, id, Some(secret), query).await;
    page.unwrap().entries[0].seq
}

/// Sends one batch and reads until its acknowledgement.
async fn write(c: &mut Client, id: u64, ops: Vec<syncplan::model::Op>) {
    c.send(&ClientMsg::Ops(batch_of(id, ops))).await;
    loop {
        if let ServerMsg::Ack { refused, .. } = c.next().await {
            assert!(refused.is_empty(), "{refused:?}");
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_value_of_a_cell_is_kept_with_who_and_when_past_the_op_logs_pruning() {
    for url in backends() {
        // The op log keeps two batches: the history must not depend on it.
        let server = start(url.as_deref(), |c| c.store_limits.log_batches = 2).await;
        let (id, owner, edit) = live_share(&server.router).await;
        let mut ana = Client::hello_as(server.addr, &id, &edit, 1, "Ana", None).await;
        ana.joined().await;
        let mut bo = Client::hello_as(server.addr, &id, &edit, 2, "  ", None).await;
        bo.joined().await;
        let start = now() as i64;
        for (i, value) in ["first", "second", "third"].into_iter().enumerate() {
            let i = i as u64;
            write(
                &mut ana,
                (1 << 32) | (i + 1),
                vec![owner_op("r1", value, now() + i, 1)],
            )
            .await;
        }
        write(
            &mut bo,
            (2 << 32) | 1,
            vec![owner_op("r1", "Bo's", now() + 10, 2)],
        )
        .await;
        write(
            &mut bo,
            (2 << 32) | 2,
            vec![owner_op("r2", "elsewhere", now() + 11, 2)],
        )
        .await;

        let (status, page, _) =
            history(&server.router, &id, Some(&edit), "row=r1&field=owner").await;
        assert_eq!(status, StatusCode::OK);
        let page = page.unwrap();
        let values: Vec<&str> = page.entries.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(
            values,
            ["Bo's", "third", "second", "first"],
            "newest first, none lost"
        );
        let names: Vec<&str> = page.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["", "Ana", "Ana", "Ana"], "a blank name is no name");
        assert_eq!(page.entries[0].replica, 2);
        assert!(page
            .entries
            .iter()
            .all(|e| e.at >= start && e.at <= now() as i64 + 1));
        assert!(page.next.is_none());

        // The whole plan, a page at a time: every write once, newest first.
        let mut seen = Vec::new();
        let mut query = "limit=2".to_owned();
        loop {
            let (status, page, _) = history(&server.router, &id, Some(&owner), &query).await;
            assert_eq!(status, StatusCode::OK, "the owner reads it too");
            let page = page.unwrap();
            assert!(page.entries.len() <= 2);
            seen.extend(
                page.entries
                    .iter()
                    .map(|e| (e.row.clone(), e.value.clone())),
            );
            match page.next {
                Some(next) => query = format!("limit=2&before={next}"),
                None => break,
            }
        }
        // What changed after a sequence (a browser that last saw the plan there).
        let last = page_seq(&server.router, &id, &edit, "row=r1&field=owner").await;
        let (_, page, _) = history(
            &server.router,
            &id,
            Some(&edit),
            &format!("after={}", last - 1),
        )
        .await;
        let since: Vec<&str> = page
            .as_ref()
            .unwrap()
            .entries
            .iter()
            .map(|e| e.value.as_str())
            .collect();
        assert_eq!(since, ["elsewhere", "Bo's"]);
        let rows: Vec<(&str, &str)> = seen.iter().map(|(r, v)| (r.as_str(), v.as_str())).collect();
        assert_eq!(
            rows,
            [
                ("r2", "elsewhere"),
                ("r1", "Bo's"),
                ("r1", "third"),
                ("r1", "second"),
                ("r1", "first")
            ]
        );
        drop((ana, bo));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_is_only_for_its_editors_and_says_why_not() {
    let server = start(None, |_| {}).await;
    let (id, owner, edit) = live_share(&server.router).await;
    let (status, _, text) = history(&server.router, &id, None, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("edit link"), "{text}");
    let (status, _, _) = history(&server.router, &id, Some("not-the-secret"), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another plan's secret reads nothing of this one.
    let (other, other_owner, other_edit) = live_share(&server.router).await;
    for secret in [&other_owner, &other_edit] {
        let (status, _, _) = history(&server.router, &id, Some(secret), "").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _, _) = history(&server.router, &other, Some(&other_edit), "").await;
    assert_eq!(status, StatusCode::OK);
    // A bad query is a sentence.
    let (status, _, text) = history(&server.router, &id, Some(&edit), "row=r1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("both its row and its field"), "{text}");
    // A plan shared read-only has no history; an unknown one is not there.
    let (plain, plain_owner) = create(&server.router, &plan()).await.pair();
    let (status, _, text) = history(&server.router, &plain, Some(&plain_owner), "").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(text.contains("not edited together"), "{text}");
    let (status, _, _) = history(&server.router, "AAAAAAAAAAAAAAAAAAAAAA", Some(&edit), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Taken down: gone, and its history with it.
    let response = send(
        &server.router,
        with_token("DELETE", &format!("/api/shares/{id}"), &owner, None),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _, _) = history(&server.router, &id, Some(&owner), "").await;
    assert_eq!(status, StatusCode::GONE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plans_history_stays_within_its_size_bound() {
    // 64 KiB of history at most (the bound is in MiB in the configuration; the store's
    // limit is in bytes).
    let server = start(None, |c| c.store_limits.history_bytes = 64 * 1024).await;
    let (id, _, edit) = live_share(&server.router).await;
    let mut ana = Client::hello_as(server.addr, &id, &edit, 1, "Ana", None).await;
    ana.joined().await;
    let text = "x".repeat(200);
    for i in 0..600u64 {
        write(
            &mut ana,
            (1 << 32) | (i + 1),
            vec![owner_op("r1", &format!("{i} {text}"), now() + i, 1)],
        )
        .await;
    }
    let (_, page, _) = history(&server.router, &id, Some(&edit), "limit=500").await;
    let page = page.unwrap();
    assert!(
        page.entries[0].value.starts_with("599 "),
        "the newest is kept"
    );
    // 600 writes of ~250 bytes each reached the store; at most 64 KiB of them are kept.
    let mut kept = page.entries.len();
    let mut next = page.next;
    while let Some(before) = next {
        let (_, page, _) = history(
            &server.router,
            &id,
            Some(&edit),
            &format!("limit=500&before={before}"),
        )
        .await;
        let page = page.unwrap();
        kept += page.entries.len();
        next = page.next;
    }
    assert!(kept < 600, "{kept} entries kept");
    assert!(kept * 250 <= 64 * 1024 + 250 * 8, "{kept} entries kept");
    // Each entry also keeps its op (about twice its value's bytes in all).
    assert!(kept >= 64 * 1024 / 2 / 600, "{kept}: the newer half stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_past_the_retention_go_and_newer_ones_stay() {
    // A retention of zero days: each sweep (every 256 batches) drops what came before it.
    let server = start(None, |c| c.store_limits.history_days = 0).await;
    let (id, _, edit) = live_share(&server.router).await;
    let mut ana = Client::hello_as(server.addr, &id, &edit, 1, "Ana", None).await;
    ana.joined().await;
    for i in 0..255u64 {
        write(
            &mut ana,
            (1 << 32) | (i + 1),
            vec![owner_op("r1", &format!("old {i}"), now() + i, 1)],
        )
        .await;
    }
    let (_, page, _) = history(&server.router, &id, Some(&edit), "limit=500").await;
    assert_eq!(page.unwrap().entries.len(), 255, "no sweep yet");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    // The 256th batch sweeps; the ones after it stay until the next sweep.
    for i in 255..260u64 {
        write(
            &mut ana,
            (1 << 32) | (i + 1),
            vec![owner_op("r1", &format!("new {i}"), now() + i, 1)],
        )
        .await;
    }
    let (_, page, _) = history(&server.router, &id, Some(&edit), "limit=500").await;
    let page = page.unwrap();
    let values: Vec<&str> = page.entries.iter().map(|e| e.value.as_str()).collect();
    assert!(values.iter().all(|v| v.starts_with("new ")), "{values:?}");
    assert!(values.len() >= 4, "{values:?}");
    assert_eq!(values[0], "new 259");
    assert!(page
        .kept_since
        .is_some_and(|at| at >= page.entries.last().unwrap().at));
}
