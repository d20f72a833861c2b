//! Load and abuse: limits that hold, caps that never lock honest people out.

use super::support::*;
use axum::http::StatusCode;
use std::time::Duration;
use syncplan::model::{CellValue, Op, Refusal, RowId, SentBatch, Stamp, Why};
use syncplan::shared::wire::{
    self, ClientMsg, ErrorCode, Hello, Role, ServerMsg, PROTOCOL, TOKEN_HEADER,
};
use tokio::net::TcpStream;

/// Sends `batch` and reads until its answer: `Ok(refusals)` or the close code.
async fn answer_of(c: &mut Client, batch: SentBatch) -> Result<Vec<Refusal>, Option<u16>> {
    let id = batch.id;
    c.send(&ClientMsg::Ops(batch)).await;
    loop {
        match c.next_any(false).await? {
            ServerMsg::Ack { batch, refused, .. } if batch == id => return Ok(refused),
            _ => {}
        }
    }
}

fn many_ops(replica: u32, n: u32, wall: u64) -> Vec<Op> {
    (0..n)
        .map(|i| Op::Cell {
            row: RowId::from("r1"),
            value: CellValue::Owner(format!("v{i}")),
            stamp: Stamp {
                wall,
                count: i,
                replica,
            },
        })
        .collect()
}

/// Issue 24, defect 1: the rate of edits was kept per connection (refilled by reconnecting)
/// and, for the fallback, per room and per a header the client chose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_across_reconnects_and_requests() {
    let server = start(None, |c| {
        c.live.ops_per_second = 1;
        c.live.ops_burst = 50;
        c.live.client_ops_factor = 3;
    })
    .await;
    let (id, _, edit) = live_share(&server.router).await;
    let mut a = Client::hello(server.addr, &id, Some(&edit), None, 1).await;
    a.joined().await;
    let t = now();
    assert_eq!(
        answer_of(&mut a, batch_of((1 << 32) | 1, many_ops(1, 50, t))).await,
        Ok(vec![])
    );
    drop(a);
    // Reconnecting does not refill the bucket.
    let mut a = Client::hello(server.addr, &id, Some(&edit), None, 1).await;
    a.joined().await;
    let again = answer_of(&mut a, batch_of((1 << 32) | 2, many_ops(1, 10, t + 1))).await;
    assert_eq!(again, Err(Some(4429)), "a reconnect refilled the rate");
    // Another page from the same address: its own 50, then the address's 150 are spent.
    let mut b = Client::hello(server.addr, &id, Some(&edit), None, 2).await;
    b.joined().await;
    assert_eq!(
        answer_of(&mut b, batch_of((2 << 32) | 1, many_ops(2, 50, t + 2))).await,
        Ok(vec![])
    );
    // The fallback, from a page with its stream open: the same buckets.
    let hello = wire::encode(&ClientMsg::Hello(Hello {
        protocol: PROTOCOL,
        token: Some(edit.as_str().into()),
        known: None,
        replica: 3,
        key: key_of(3),
        name: "Fallback".into(),
        owner: None,
    }));
    let _stream =
        reqwest_like::post(server.addr, &format!("/api/live/{id}/events"), &[], &hello).await;
    let mut statuses = Vec::new();
    for i in 0..6u32 {
        let body = wire::encode(&ClientMsg::Ops(batch_of(
            (3 << 32) | u64::from(i + 1),
            many_ops(3, 20, t + 10 + u64::from(i)),
        )));
        let r = reqwest_like::post(
            server.addr,
            &format!("/api/live/{id}/send"),
            &[(TOKEN_HEADER, &edit)],
            &body,
        )
        .await;
        statuses.push(r.status);
    }
    // 150 for the address, 100 spent by A and B: two batches of 20 go in, then 429.
    assert_eq!(statuses, [200, 200, 429, 429, 429, 429]);
    // A replica with no stream open cannot get a fresh bucket by naming itself.
    let r = reqwest_like::post(
        server.addr,
        &format!("/api/live/{id}/send"),
        &[(TOKEN_HEADER, &edit)],
        &wire::encode(&ClientMsg::Ops(batch_of(
            (99 << 32) | 1,
            many_ops(99, 5, t + 20),
        ))),
    )
    .await;
    assert_eq!(r.status, 403);
}

/// Issue 24, defect 4: read-only viewers counted against the editors' cap, and each was
/// listed to everyone as a peer (3,001 peers in one welcome).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_never_keep_editors_out_and_only_a_few_are_listed() {
    let server = start(None, |c| {
        c.live.connections_per_plan = 2;
        c.live.viewers_per_plan = 25;
    })
    .await;
    let (id, _, edit) = live_share(&server.router).await;
    let mut viewers = Vec::new();
    for r in 0..25 {
        let mut v = Client::hello(server.addr, &id, None, None, 100 + r).await;
        v.joined().await;
        viewers.push(v);
    }
    let mut extra = Client::hello(server.addr, &id, None, None, 200).await;
    assert_eq!(
        extra.closed().await,
        (Some(4408), Some(ErrorCode::TooManyConnections))
    );
    // Editors still get in; the welcome lists them, and no more than 20 viewers.
    let mut a = Client::hello(server.addr, &id, Some(&edit), None, 1).await;
    a.joined().await;
    let mut b = Client::hello(server.addr, &id, Some(&edit), None, 2).await;
    match b.next().await {
        ServerMsg::Welcome { peers, .. } => {
            assert!(peers
                .iter()
                .any(|p| p.replica == 1 && p.role == Role::Editor));
            let viewers = peers.iter().filter(|p| p.role == Role::Viewer).count();
            assert_eq!(viewers, 20, "{peers:?}");
        }
        other => panic!("{other:?}"),
    }
    let mut c = Client::hello(server.addr, &id, Some(&edit), None, 3).await;
    assert_eq!(
        c.closed().await,
        (Some(4408), Some(ErrorCode::TooManyConnections))
    );
}

/// Issue 24, defect 3: a plan's live document grew without a bound and was not counted in
/// the store's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_plan_keeps_to_its_byte_budget_and_counts_in_the_store() {
    let server = start(None, |c| c.live.plan_bytes = 100 * 1024).await;
    let (id, _, edit) = live_share(&server.router).await;
    let before = server.state.store.used_bytes().await.unwrap();
    let share = syncplan::shared::ShareId::parse(&id).unwrap();
    let history_before = server.state.store.history_bytes(&share).await.unwrap();
    let mut a = Client::hello(server.addr, &id, Some(&edit), None, 1).await;
    a.joined().await;
    let t = now();
    let mut refused = Vec::new();
    for i in 0..20u32 {
        // A new row with 9,000 characters of notes, each.
        let row = RowId(format!("n{i}"));
        let stamp = |count| Stamp {
            wall: t + u64::from(i),
            count,
            replica: 1,
        };
        let ops = vec![
            Op::Alive {
                row: row.clone(),
                alive: true,
                stamp: stamp(0),
            },
            Op::Notes {
                row,
                version: syncplan::model::Version {
                    text: "x".repeat(9_000),
                    stamp: stamp(1),
                    seen: vec![],
                    logged: 0,
                    base: 0,
                },
            },
        ];
        refused.extend(
            answer_of(&mut a, batch_of((1 << 32) | u64::from(i + 1), ops))
                .await
                .unwrap(),
        );
    }
    assert!(
        refused.iter().any(|r| r.why == Why::TooLarge),
        "nothing was refused: {refused:?}"
    );
    // The document, and its history besides (counted in the store too).
    let store = &server.state.store;
    let history = store.history_bytes(&share).await.unwrap() - history_before;
    assert!(history > 80_000, "the history counts {history} bytes");
    let grown = store.used_bytes().await.unwrap() - before - history;
    assert!(
        (80_000..=100 * 1024).contains(&grown),
        "the store counts {grown} bytes more for the document"
    );
}

/// Issue 24, defect 5: past 128 connections from one address the next were reset without a
/// word, so an office behind one address lost live editing at its 129th tab.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_an_addresss_budget_the_client_is_told_to_come_back() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = start_limited(None, |_| {}, Some(4), 8).await;
    let (id, _, edit) = live_share(&server.router).await;
    // Eight editors from one address: more than the budget of idle connections.
    let mut editors = Vec::new();
    for r in 0..8 {
        let mut c = Client::hello(server.addr, &id, Some(&edit), None, 10 + r).await;
        c.joined().await;
        editors.push(c);
    }
    // The ninth live connection is refused in words, with when to try again.
    let ninth =
        tokio_tungstenite::connect_async(format!("ws://{}/api/live/{id}", server.addr)).await;
    match ninth {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(response.headers().contains_key("retry-after"));
        }
        other => panic!("expected a 503, got {other:?}"),
    }
    // Connections that send nothing: four are held, the fifth is told why and closed.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let mut fifth = TcpStream::connect(server.addr).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), fifth.read_to_string(&mut answer))
        .await
        .expect("answered at once")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 5"), "{answer}");
    assert!(answer.contains("connections open"), "{answer}");
    // Once one of them sends a request, there is room again.
    let mut first = held.remove(0);
    first
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).as_bytes())
        .await
        .unwrap();
    let mut buf = [0u8; 12];
    first.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");
    let (status, _) = crate::common::get(&server.router, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let sixth = TcpStream::connect(server.addr).await.unwrap();
    let mut probe = [0u8; 1];
    let quiet = tokio::time::timeout(Duration::from_millis(300), sixth.peek(&mut probe)).await;
    assert!(
        quiet.is_err(),
        "a place freed up: the sixth is held, not refused"
    );
}
