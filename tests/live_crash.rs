#![cfg(feature = "ssr")]
//! The real server binary killed with SIGKILL while an editor streams batches over a
//! WebSocket: after a restart, every batch acknowledged before the kill is there, batches
//! sent again are acknowledged with the sequence they were first stored as (applied once),
//! and a fresh editor converges on the same plan. (`SYNCPLAN_LIVE_KILL_CYCLES` sets the
//! number of kills; default 3.)

use crate::common::{free_addr, live_plan_over_http, spawn_server};
use futures_util::{SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Child;
use std::time::Duration;
use syncplan::model::{Batch, CellValue, Op, Plan, Row, RowId, SentBatch, Stamp};
use syncplan::shared::wire::{self, ClientMsg, Hello, ServerMsg, PROTOCOL};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

async fn start(addr: SocketAddr, database_url: &str) -> Child {
    spawn_server(addr, database_url, &[], None)
}

fn plan() -> Plan {
    Plan::new(
        "Killed mid-sync",
        (1..=3)
            .map(|i| Row::blank(RowId(format!("r{i}"))))
            .collect(),
    )
}

/// The replica every batch is sent as, and its key.
const REPLICA: u32 = 7;
const KEY: u64 = 0x005E_C2E7;

/// Batch `i`: row `r{1 + i % 3}`'s owner becomes `v{i}`, with ever later stamps (the
/// replica's counter `i + 1`).
fn batch(i: u64) -> SentBatch {
    SentBatch::from(Batch {
        id: syncplan::model::batch_id(REPLICA, i as u32 + 1),
        key: KEY,
        ops: vec![Op::Cell {
            row: RowId(format!("r{}", 1 + i % 3)),
            value: CellValue::Owner(format!("v{i}")),
            stamp: Stamp {
                wall: 1_700_000_000_000 + i,
                count: 0,
                replica: 7,
            },
        }],
    })
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn connect(addr: SocketAddr, id: &str, token: &str) -> Option<Socket> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/live/{id}"))
        .await
        .ok()?;
    let hello = ClientMsg::Hello(Hello {
        protocol: PROTOCOL,
        token: Some(token.into()),
        known: None,
        replica: REPLICA,
        key: KEY,
        name: "Killer".into(),
        owner: None,
    });
    ws.send(Message::Binary(wire::encode(&hello).into()))
        .await
        .ok()?;
    Some(ws)
}

/// The next server message, `None` when the connection ended.
async fn next(ws: &mut Socket) -> Option<ServerMsg> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => return wire::decode(&bytes),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => return None,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_batches_survive_sigkill_and_retries_apply_once() {
    let cycles: u64 = std::env::var("SYNCPLAN_LIVE_KILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/live.db?mode=rwc", dir.path().display());
    let addr = free_addr();
    let mut server = start(addr, &url).await;

    let (id, token) = live_plan_over_http(addr, &plan()).await;

    // batch index -> the sequence it was first acknowledged with (a batch acknowledged
    // again is acknowledged with that sequence or a later one: it is in the log up to there).
    let mut acked: BTreeMap<u64, u64> = BTreeMap::new();
    let mut sent = 0u64;
    for cycle in 0..cycles {
        let mut ws = connect(addr, &id, &token).await.expect("connects");
        // Everything not acknowledged yet is sent again, then new batches, without
        // waiting; the server is killed while acknowledgements are still coming.
        let retry: Vec<u64> = (0..sent).filter(|i| !acked.contains_key(i)).collect();
        // Batches acknowledged before: sent again, they must come back with the same seq.
        let again: Vec<u64> = acked.keys().copied().take(5).collect();
        for i in retry.iter().chain(&again) {
            let msg = ClientMsg::Ops(batch(*i));
            ws.send(Message::Binary(wire::encode(&msg).into()))
                .await
                .unwrap();
        }
        let fresh = 40;
        for i in sent..sent + fresh {
            let msg = ClientMsg::Ops(batch(i));
            ws.send(Message::Binary(wire::encode(&msg).into()))
                .await
                .unwrap();
        }
        sent += fresh;
        let kill_after = 10 + (cycle * 7) % 20;
        let mut acks_now = 0;
        while acks_now < kill_after {
            match next(&mut ws).await {
                Some(ServerMsg::Ack {
                    batch: b,
                    seq,
                    refused,
                }) => {
                    assert!(refused.is_empty());
                    let i = u64::from(syncplan::model::counter_of(b)) - 1;
                    let first = *acked.entry(i).or_insert(seq);
                    assert!(
                        seq >= first,
                        "batch {i} acknowledged as {seq}, before as {first}"
                    );
                    acks_now += 1;
                }
                Some(_) => {}
                None => panic!("the connection ended before the kill"),
            }
        }
        server.kill().expect("SIGKILL");
        server.wait().unwrap();
        drop(ws);
        server = start(addr, &url).await;
    }

    // After the last restart: send whatever is left until everything is acknowledged.
    let mut ws = connect(addr, &id, &token).await.expect("connects");
    for i in (0..sent).filter(|i| !acked.contains_key(i)) {
        let msg = ClientMsg::Ops(batch(i));
        ws.send(Message::Binary(wire::encode(&msg).into()))
            .await
            .unwrap();
    }
    while acked.len() < sent as usize {
        match next(&mut ws).await {
            Some(ServerMsg::Ack { batch: b, seq, .. }) => {
                let i = u64::from(syncplan::model::counter_of(b)) - 1;
                let first = *acked.entry(i).or_insert(seq);
                assert!(
                    seq >= first,
                    "batch {i} acknowledged as {seq}, before as {first}"
                );
            }
            Some(_) => {}
            None => panic!("the connection ended"),
        }
    }
    // No acknowledgement names a sequence the plan never reached.
    assert!(acked.values().all(|seq| (1..=sent).contains(seq)));

    // A fresh editor converges on the last write of each row.
    let mut fresh = connect(addr, &id, &token).await.expect("connects");
    let doc = loop {
        match next(&mut fresh).await {
            Some(ServerMsg::Snapshot { doc, seq }) => {
                // Each batch stored once: one sequence per batch, however often sent.
                assert_eq!(seq, sent, "a batch was stored twice, or one was lost");
                break doc;
            }
            Some(_) => {}
            None => panic!("no snapshot"),
        }
    };
    let plan = doc.plan();
    for k in 0..3u64 {
        let last = (0..sent).filter(|i| i % 3 == k).max().unwrap();
        assert_eq!(plan.rows[k as usize].owner, format!("v{last}"));
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
