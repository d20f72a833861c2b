//! Editing together: edits reach everyone once, bad messages get typed errors, presence,
//! the owner named, two instances on one PostgreSQL.

use super::support::*;
use crate::common::{body_text, send};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use futures_util::SinkExt;
use std::time::{Duration, Instant};
use syncplan::model::{Field, Op, Plan, Refusal, RowId, Stamp, Why, WireOp, MAX_ROWS};
use syncplan::shared::wire::{
    self, ClientMsg, ErrorCode, Hello, Presence, Role, ServerMsg, PROTOCOL,
};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_reaches_every_editor_and_viewer_and_is_stored_once() {
    for url in backends() {
        let server = start(url.as_deref(), |_| {}).await;
        let (id, _, edit) = live_share(&server.router).await;
        let mut a = Client::hello(server.addr, &id, Some(&edit), None, 11).await;
        let (role, seq, shown) = a.joined().await;
        assert_eq!((role, seq), (Role::Editor, 0));
        assert_eq!(shown.rows.len(), 3);
        let mut b = Client::hello(server.addr, &id, Some(&edit), None, 12).await;
        b.joined().await;
        let mut viewer = Client::hello(server.addr, &id, None, None, 13).await;
        assert_eq!(viewer.joined().await.0, Role::Viewer);

        let batch = batch_of((11 << 32) | 1, vec![owner_op("r2", "Ana", now(), 11)]);
        a.send(&ClientMsg::Ops(batch.clone())).await;
        // A sees its batch logged and acknowledged (in either order).
        let mut acked = false;
        let mut logged = false;
        while !(acked && logged) {
            match a.next().await {
                ServerMsg::Ack {
                    batch: b,
                    seq,
                    refused,
                } => {
                    assert_eq!((b, seq), (batch.id, 1));
                    assert!(refused.is_empty());
                    acked = true;
                }
                ServerMsg::Ops(l) => {
                    assert_eq!((l.seq, l.batch), (1, batch.id));
                    logged = true;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        for client in [&mut b, &mut viewer] {
            match client.next().await {
                ServerMsg::Ops(l) => assert_eq!(
                    l.ops.into_iter().map(WireOp::from).collect::<Vec<_>>(),
                    batch.ops
                ),
                other => panic!("expected the edit, got {other:?}"),
            }
        }
        // The read-only link and its JSON show the live plan.
        assert_eq!(share_json(&server.router, &id).await.rows[1].owner, "Ana");

        // Sent again (the acknowledgement was lost): acknowledged again, stored once.
        a.send(&ClientMsg::Ops(batch.clone())).await;
        match a.next().await {
            ServerMsg::Ack { batch: b, seq, .. } => assert_eq!((b, seq), (batch.id, 1)),
            other => panic!("expected an ack, got {other:?}"),
        }
        // B hears nothing new: its next message is the answer to its ping.
        b.send(&ClientMsg::Ping(7)).await;
        assert_eq!(b.next().await, ServerMsg::Pong(7));

        // A read-only connection that sends ops gets a typed error and stays open.
        viewer
            .send(&ClientMsg::Ops(batch_of(
                99,
                vec![owner_op("r1", "sneaky", now(), 13)],
            )))
            .await;
        match viewer.next().await {
            ServerMsg::Error { code, batch, .. } => {
                assert_eq!((code, batch), (ErrorCode::ReadOnly, Some(99)))
            }
            other => panic!("expected a read-only error, got {other:?}"),
        }
        viewer.send(&ClientMsg::Ping(1)).await;
        assert_eq!(viewer.next().await, ServerMsg::Pong(1));
        assert_eq!(share_json(&server.router, &id).await.rows[0].owner, "");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returning_editor_gets_only_what_it_missed() {
    let server = start(None, |_| {}).await;
    let (id, _, edit) = live_share(&server.router).await;
    let mut a = Client::hello(server.addr, &id, Some(&edit), None, 1).await;
    a.joined().await;
    for i in 1..=3u64 {
        a.send(&ClientMsg::Ops(batch_of(
            (1 << 32) | i,
            vec![owner_op("r1", &format!("v{i}"), now() + i, 1)],
        )))
        .await;
    }
    let mut acks = 0;
    while acks < 3 {
        if let ServerMsg::Ack { .. } = a.next().await {
            acks += 1;
        }
    }
    let mut b = Client::hello(server.addr, &id, Some(&edit), Some(1), 2).await;
    match b.next().await {
        ServerMsg::Welcome { seq, .. } => assert_eq!(seq, 3),
        other => panic!("{other:?}"),
    }
    let mut seqs = Vec::new();
    for _ in 0..2 {
        match b.next().await {
            ServerMsg::Ops(l) => seqs.push(l.seq),
            other => panic!("expected ops, got {other:?}"),
        }
    }
    assert_eq!(seqs, [2, 3]);
    // A browser that claims more than the server has (a restored backup): the document.
    let mut c = Client::hello(server.addr, &id, Some(&edit), Some(50), 3).await;
    let (_, seq, plan) = c.joined().await;
    assert_eq!((seq, plan.rows[0].owner.as_str()), (3, "v3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_message_gets_its_typed_error_and_close() {
    let server = start(None, |c| {
        c.live.ops_per_second = 1;
        c.live.ops_burst = 5;
        c.live.connections_per_plan = 4;
        c.live.viewers_per_plan = 4;
    })
    .await;
    let (id, _, edit) = live_share(&server.router).await;

    // A wrong secret.
    let mut c = Client::hello(server.addr, &id, Some("not-the-secret"), None, 1).await;
    assert_eq!(c.closed().await, (Some(4403), Some(ErrorCode::Forbidden)));
    // Not a message at all, and text instead of binary.
    let mut c = Client::open(server.addr, &id).await;
    c.ws.send(Message::Binary(vec![0xff, 0xfe, 0x00].into()))
        .await
        .unwrap();
    assert_eq!(c.closed().await, (Some(4400), Some(ErrorCode::BadMessage)));
    let mut c = Client::open(server.addr, &id).await;
    c.ws.send(Message::Text("hello".into())).await.unwrap();
    assert_eq!(c.closed().await, (Some(4400), Some(ErrorCode::BadMessage)));
    // Another protocol version.
    let mut c = Client::open(server.addr, &id).await;
    c.send(&ClientMsg::Hello(Hello {
        protocol: PROTOCOL + 1,
        token: None,
        known: None,
        replica: 1,
        key: key_of(1),
        name: String::new(),
        owner: None,
    }))
    .await;
    assert_eq!(c.closed().await, (Some(4426), Some(ErrorCode::Protocol)));
    // A plan that does not exist.
    let mut c = Client::hello(server.addr, "AAAAAAAAAAAAAAAAAAAAAA", None, None, 1).await;
    assert_eq!(c.closed().await, (Some(4404), Some(ErrorCode::NotFound)));
    // An op that names no real row id is refused on its own: the rest of its batch is
    // logged, and the connection stays (a refused op never ends live editing).
    let mut c = Client::hello(server.addr, &id, Some(&edit), None, 1).await;
    c.joined().await;
    c.send(&ClientMsg::Ops(batch_of(
        (1 << 32) | 1,
        vec![
            owner_op("bad id!", "x", now(), 1),
            owner_op("r1", "kept", now(), 1),
        ],
    )))
    .await;
    let (mut acked, mut logged) = (false, false);
    while !(acked && logged) {
        match c.next().await {
            ServerMsg::Ack { refused, .. } => {
                assert_eq!(
                    refused,
                    vec![Refusal {
                        op: 0,
                        why: Why::Invalid
                    }]
                );
                acked = true;
            }
            ServerMsg::Ops(l) => {
                assert_eq!(l.ops.len(), 1);
                logged = true;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    c.send(&ClientMsg::Ping(2)).await;
    assert_eq!(c.next().await, ServerMsg::Pong(2));
    // So is a priority the plan does not know, sent by a peer that is not our editor.
    let mut batch = batch_of((1 << 32) | 2, vec![owner_op("r1", "kept too", now(), 1)]);
    batch.ops.insert(
        0,
        WireOp::Cell {
            row: RowId::from("r1"),
            field: Field::Priority,
            value: "P9".into(),
            stamp: Stamp {
                wall: now(),
                count: 0,
                replica: 1,
            },
        },
    );
    c.send(&ClientMsg::Ops(batch)).await;
    let (mut acked, mut logged) = (false, false);
    while !(acked && logged) {
        match c.next().await {
            ServerMsg::Ack { refused, .. } => {
                let at: Vec<u32> = refused.iter().map(|r| r.op).collect();
                assert_eq!(at, vec![0]);
                acked = true;
            }
            ServerMsg::Ops(l) => {
                assert_eq!(l.ops.len(), 1);
                logged = true;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    c.send(&ClientMsg::Ping(3)).await;
    assert_eq!(c.next().await, ServerMsg::Pong(3));
    drop(c);
    // Too many ops at once for the rate.
    let mut c = Client::hello(server.addr, &id, Some(&edit), None, 1).await;
    c.joined().await;
    c.send(&ClientMsg::Ops(batch_of(
        (1 << 32) | 2,
        (0..10).map(|i| owner_op("r1", "x", now() + i, 1)).collect(),
    )))
    .await;
    assert_eq!(c.closed().await, (Some(4429), Some(ErrorCode::TooFast)));
    // A frame over the size limit.
    let mut c = Client::hello(server.addr, &id, Some(&edit), None, 1).await;
    c.joined().await;
    let _ =
        c.ws.send(Message::Binary(
            vec![0u8; wire::MAX_FRAME_BYTES + 10].into(),
        ))
        .await;
    let (code, _) = c.closed().await;
    assert!(matches!(code, Some(4413) | Some(1009) | None), "{code:?}");

    // The room still works, and it takes at most four connections.
    let mut held = Vec::new();
    for r in 0..4 {
        let mut c = Client::hello(server.addr, &id, None, None, 100 + r).await;
        c.joined().await;
        held.push(c);
    }
    let mut c = Client::hello(server.addr, &id, None, None, 200).await;
    assert_eq!(
        c.closed().await,
        (Some(4408), Some(ErrorCode::TooManyConnections))
    );
    // The server stays healthy.
    let (status, _) = crate::common::get(&server.router, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_past_the_row_limit_is_refused_and_the_connection_stays() {
    let server = start(None, |_| {}).await;
    let (id, _, edit) = live_share(&server.router).await;
    let mut c = Client::hello(server.addr, &id, Some(&edit), None, 5).await;
    c.joined().await;
    let t = now();
    let ops: Vec<Op> = (0..MAX_ROWS)
        .map(|i| Op::Alive {
            row: RowId(format!("n{i}")),
            alive: true,
            stamp: Stamp {
                wall: t,
                count: i as u32,
                replica: 5,
            },
        })
        .collect();
    c.send(&ClientMsg::Ops(batch_of((5 << 32) | 1, ops))).await;
    // The rows that fit are logged; the three past the limit are refused, by place.
    loop {
        if let ServerMsg::Ack { refused, .. } = c.next().await {
            let places: Vec<u32> = refused.iter().map(|r| r.op).collect();
            assert_eq!(places, [1997, 1998, 1999]);
            assert!(refused.iter().all(|r| r.why == Why::RowLimit));
            break;
        }
    }
    c.send(&ClientMsg::Ping(3)).await;
    loop {
        if c.next().await == ServerMsg::Pong(3) {
            break;
        }
    }
    assert_eq!(share_json(&server.router, &id).await.rows.len(), MAX_ROWS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_editing_off_or_replacing_the_link_closes_old_sockets_within_a_second() {
    for url in backends() {
        let server = start(url.as_deref(), |_| {}).await;
        let (id, owner, edit) = live_share(&server.router).await;
        let mut editor = Client::hello(server.addr, &id, Some(&edit), None, 1).await;
        editor.joined().await;
        let mut viewer = Client::hello(server.addr, &id, None, None, 2).await;
        viewer.joined().await;

        // Replacing the link: the old secret's socket closes, the new one works.
        let started = Instant::now();
        let fresh = enable(&server.router, &id, &owner).await;
        assert_eq!(
            editor.closed().await,
            (Some(4401), Some(ErrorCode::Revoked))
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        let mut stale = Client::hello(server.addr, &id, Some(&edit), None, 3).await;
        assert_eq!(stale.closed().await.0, Some(4403));
        let mut editor = Client::hello(server.addr, &id, Some(&fresh), None, 1).await;
        editor.joined().await;

        // Someone else's owner token cannot turn it off.
        assert_eq!(
            disable(&server.router, &id, "wrong").await,
            StatusCode::FORBIDDEN
        );
        // Turning editing off: editors are closed and told; viewers keep watching.
        let started = Instant::now();
        assert_eq!(
            disable(&server.router, &id, &owner).await,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            editor.closed().await,
            (Some(4401), Some(ErrorCode::Revoked))
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        viewer.send(&ClientMsg::Ping(4)).await;
        assert_eq!(viewer.next().await, ServerMsg::Pong(4));
        // The plan stays shared as it is.
        assert_eq!(share_json(&server.router, &id).await.rows.len(), 3);

        // Taking the share down closes everyone.
        let response = send(
            &server.router,
            Request::delete(format!("/api/shares/{id}"))
                .header(header::AUTHORIZATION, format!("Bearer {owner}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            viewer.closed().await,
            (Some(4404), Some(ErrorCode::NotFound))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_plan_cannot_be_overwritten_by_publishing() {
    let server = start(None, |_| {}).await;
    let (id, owner, _) = live_share(&server.router).await;
    let response = send(
        &server.router,
        Request::put(format!("/api/shares/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {owner}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(Plan::new("Replaced", vec![]).to_json()))
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(body_text(response).await.contains("edited together"));
    assert_eq!(share_json(&server.router, &id).await.title, "Live plan");
}

/// Reads Server-Sent Events from a response body: each `data:` line decoded.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_is_shared_and_withdrawn() {
    let server = start(None, |_| {}).await;
    let (id, _, edit) = live_share(&server.router).await;
    let mut a = Client::hello(server.addr, &id, Some(&edit), None, 21).await;
    a.joined().await;
    let mut b = Client::hello(server.addr, &id, Some(&edit), None, 22).await;
    // B learns of A from its welcome, or (when A's arrival was still being announced)
    // from A's presence right after.
    let seen_in_welcome = match b.next().await {
        ServerMsg::Welcome { peers, .. } => peers
            .iter()
            .any(|p| p.replica == 21 && p.name == "Tester 21"),
        other => panic!("{other:?}"),
    };
    if !seen_in_welcome {
        loop {
            match b.next_any(true).await.unwrap() {
                ServerMsg::Presence(p) if p.replica == 21 => {
                    assert_eq!(p.name, "Tester 21");
                    break;
                }
                _ => {}
            }
        }
    }
    b.send(&ClientMsg::Presence(Presence {
        name: "Bea <b>".into(),
        cell: Some((RowId::from("r2"), Field::Notes)),
    }))
    .await;
    loop {
        match a.next_any(true).await.unwrap() {
            ServerMsg::Presence(p) if p.replica == 22 && p.cell.is_some() => {
                assert_eq!(p.name, "Bea <b>");
                assert_eq!(p.cell, Some((RowId::from("r2"), Field::Notes)));
                break;
            }
            _ => {}
        }
    }
    drop(b);
    loop {
        if let ServerMsg::Left { replica } = a.next_any(true).await.unwrap() {
            assert_eq!(replica, 22);
            break;
        }
    }
}

#[tokio::test]
async fn whoever_joins_is_told_who_owns_the_plan_and_a_wrong_secret_claims_nothing() {
    let server = start(None, |_| {}).await;
    let (id, owner, edit) = live_share(&server.router).await;
    // Before the owner was ever here, nobody is named.
    let mut early = Client::hello_as(server.addr, &id, &edit, 30, "Early", None).await;
    assert_eq!(early.welcome().await.0, "");
    drop(early);

    let mut olga = Client::hello_as(server.addr, &id, &edit, 31, "Olga", Some(&owner)).await;
    olga.joined().await;
    // An editor who claims to own the plan with a wrong secret is an editor like any other.
    let mut mallory = Client::hello_as(
        server.addr,
        &id,
        &edit,
        32,
        "Mallory",
        Some("not-the-secret"),
    )
    .await;
    let (named, peers) = mallory.welcome().await;
    assert_eq!(named, "Olga");
    let olga_peer = peers
        .iter()
        .find(|p| p.replica == 31)
        .expect("Olga is listed");
    assert!(olga_peer.owner);
    loop {
        match olga.next_any(true).await.unwrap() {
            ServerMsg::Presence(p) if p.replica == 32 => {
                assert_eq!(p.name, "Mallory");
                assert!(!p.owner, "a wrong secret is not the owner's");
                break;
            }
            _ => {}
        }
    }
    // Mallory names herself "Olga" too: still not the owner; the owner's name stays.
    mallory
        .send(&ClientMsg::Presence(Presence {
            name: "Olga".into(),
            cell: None,
        }))
        .await;
    // The owner renames herself; whoever joins later, even after she left, is told.
    olga.send(&ClientMsg::Presence(Presence {
        name: "Olga K".into(),
        cell: None,
    }))
    .await;
    loop {
        match mallory.next_any(true).await.unwrap() {
            ServerMsg::Presence(p) if p.replica == 31 && p.name == "Olga K" => {
                assert!(p.owner);
                break;
            }
            _ => {}
        }
    }
    drop(olga);
    drop(mallory);
    let mut late = Client::hello_as(server.addr, &id, &edit, 33, "Late", None).await;
    assert_eq!(late.welcome().await.0, "Olga K");
    // A viewer is told too (the read-only page can say whose plan it is).
    let mut viewer = Client::hello(server.addr, &id, None, None, 34).await;
    assert_eq!(viewer.welcome().await.0, "Olga K");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_behave_as_one() {
    let Some(url) = crate::common::postgres_url("the two-instance live test") else {
        return;
    };
    let a = start(Some(&url), |_| {}).await;
    let b = start(Some(&url), |_| {}).await;
    let (id, owner, edit) = live_share(&a.router).await;
    let mut on_a = Client::hello(a.addr, &id, Some(&edit), None, 31).await;
    on_a.joined().await;
    let mut on_b = Client::hello(b.addr, &id, Some(&edit), None, 32).await;
    on_b.joined().await;
    // An edit on A appears on B's client.
    let started = Instant::now();
    on_a.send(&ClientMsg::Ops(batch_of(
        (31 << 32) | 1,
        vec![owner_op("r1", "From A", now(), 31)],
    )))
    .await;
    loop {
        if let ServerMsg::Ops(l) = on_b.next().await {
            assert_eq!(
                l.ops,
                vec![owner_op("r1", "From A", l.ops[0].stamp().wall, 31)]
            );
            break;
        }
    }
    println!("edit on A reached B's client in {:?}", started.elapsed());
    // And one on B reaches A, with the next sequence.
    on_b.send(&ClientMsg::Ops(batch_of(
        (32 << 32) | 1,
        vec![owner_op("r2", "From B", now(), 32)],
    )))
    .await;
    loop {
        if let ServerMsg::Ops(l) = on_a.next().await {
            if l.batch == (32 << 32) | 1 {
                assert_eq!(l.seq, 2);
                break;
            }
        }
    }
    // Both JSON views agree.
    assert_eq!(
        share_json(&a.router, &id).await,
        share_json(&b.router, &id).await
    );
    // Presence crosses too.
    on_b.send(&ClientMsg::Presence(Presence {
        name: "Bo".into(),
        cell: Some((RowId::from("r3"), Field::Item)),
    }))
    .await;
    loop {
        if let Ok(ServerMsg::Presence(p)) = on_a.next_any(true).await {
            if p.replica == 32 && p.cell.is_some() {
                break;
            }
        }
    }
    // Turning editing off on A closes B's sockets within a second.
    let started = Instant::now();
    assert_eq!(
        disable(&a.router, &id, &owner).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(on_b.closed().await, (Some(4401), Some(ErrorCode::Revoked)));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "{took:?}");
    drop(b.state);
}
