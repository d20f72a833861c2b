#![cfg(feature = "ssr")]
//! What a client can make the real server binary hold, measured from outside as its resident
//! memory (`/proc/<pid>/status`): one edit link sending large Notes at the allowed rate with
//! viewers that never read, ten such plans at once, and thousands of idle live connections
//! from distinct addresses (any 127.x.y.z is this machine).
//!
//! `SYNCPLAN_RESOURCE_SECS` sets how long the edit link sends (default 8; the issue's
//! figure is 60).

use crate::common::{free_addr, live_plan_over_http, spawn_server};
use futures_util::{SinkExt, StreamExt};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::process::Child;
use std::time::{Duration, Instant};
use syncplan::model::{batch_id, Batch, Op, Plan, Row, RowId, Stamp, Version};
use syncplan::shared::wire::{self, ClientMsg, Hello, ServerMsg, PROTOCOL};

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

/// Resident memory of `pid`, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Server {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let db = format!("sqlite://{}/r.db?mode=rwc", dir.path().display());
    let child = spawn_server(addr, &db, env, None);
    Server {
        child,
        addr,
        _dir: dir,
    }
}

/// A shared plan with editing on: (id, edit secret).
async fn live_plan(addr: SocketAddr) -> (String, String) {
    let plan = Plan::new(
        "Load",
        (0..3).map(|i| Row::blank(RowId(format!("r{i}")))).collect(),
    );
    live_plan_over_http(addr, &plan).await
}

/// A WebSocket from the local address `from`, hello sent.
async fn connect(
    addr: SocketAddr,
    from: Ipv4Addr,
    id: &str,
    token: Option<&str>,
    replica: u32,
) -> Socket {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::V4(SocketAddrV4::new(from, 0)).into())
        .unwrap();
    socket.set_nonblocking(true).unwrap();
    let stream = std::net::TcpStream::from(socket);
    let stream = match tokio::net::TcpSocket::from_std_stream(stream)
        .connect(addr)
        .await
    {
        Ok(s) => s,
        Err(e) => panic!("connecting from {from}: {e}"),
    };
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/api/live/{id}"), stream)
        .await
        .expect("the socket opens");
    let hello = ClientMsg::Hello(Hello {
        protocol: PROTOCOL,
        token: token.map(Into::into),
        known: None,
        replica,
        key: u64::from(replica) * 31 + 7,
        name: format!("Load {replica}"),
        owner: None,
    });
    ws.send(Message::Binary(wire::encode(&hello).into()))
        .await
        .unwrap();
    ws
}

/// Reads until the snapshot (the session is open).
async fn joined(ws: &mut Socket) {
    loop {
        match tokio::time::timeout(Duration::from_secs(20), ws.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                if let Some(ServerMsg::Snapshot { .. }) = wire::decode(&bytes) {
                    return;
                }
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("no snapshot: {other:?}"),
        }
    }
}

/// Sends, for `secs` seconds at about the allowed rate (200 ops a second), new rows with
/// 9,000 characters of Notes each; reads nothing back but what it must to keep going.
async fn flood(
    addr: SocketAddr,
    from: Ipv4Addr,
    id: &str,
    token: &str,
    replica: u32,
    secs: u64,
) -> (u64, u64) {
    let mut ws = connect(addr, from, id, Some(token), replica).await;
    joined(&mut ws).await;
    let (mut sink, mut stream) = ws.split();
    // Drain what comes back (acks, its own batches), counting refusals.
    let reader = tokio::spawn(async move {
        let mut refused = 0u64;
        while let Some(Ok(message)) = stream.next().await {
            if let Message::Binary(bytes) = message {
                if let Some(ServerMsg::Ack { refused: r, .. }) = wire::decode::<ServerMsg>(&bytes) {
                    refused += r.len() as u64;
                }
            }
        }
        refused
    });
    let started = Instant::now();
    let wall = 1_800_000_000_000u64;
    let mut counter = 0u32;
    let mut sent = 0u64;
    while started.elapsed() < Duration::from_secs(secs) {
        counter += 1;
        let mut ops = Vec::new();
        // 20 rows (40 ops) a batch, five batches a second: 200 ops a second.
        for k in 0..20u32 {
            let row = RowId(format!("x{replica}n{counter}k{k}"));
            let stamp = |count| Stamp {
                wall: wall + u64::from(counter),
                count: k * 2 + count,
                replica,
            };
            ops.push(Op::Alive {
                row: row.clone(),
                alive: true,
                stamp: stamp(0),
            });
            ops.push(Op::Notes {
                row,
                version: Version {
                    text: "n".repeat(9_000),
                    stamp: stamp(1),
                    seen: vec![],
                    logged: 0,
                    base: 0,
                },
            });
        }
        sent += ops.len() as u64;
        let batch = Batch {
            id: batch_id(replica, counter),
            key: u64::from(replica) * 31 + 7,
            ops,
        };
        if sink
            .send(Message::Binary(
                wire::encode(&ClientMsg::Ops(batch.into())).into(),
            ))
            .await
            .is_err()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = sink.close().await;
    let refused = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    (sent, refused)
}

fn secs() -> u64 {
    std::env::var("SYNCPLAN_RESOURCE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_notes_at_the_allowed_rate_with_viewers_that_never_read_stay_bounded() {
    // A plan budget the flood reaches within the default run (8 MiB takes about 10 s).
    let server = start(&[("SYNCPLAN_LIVE_PLAN_MB", "4")]).await;
    let pid = server.child.id();
    let (id, token) = live_plan(server.addr).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_mib(pid);
    // Twenty viewers that read nothing at all.
    let mut viewers = Vec::new();
    for i in 0..20u8 {
        viewers.push(
            connect(
                server.addr,
                Ipv4Addr::new(127, 0, 2, i + 1),
                &id,
                None,
                500 + u32::from(i),
            )
            .await,
        );
    }
    let watch = tokio::spawn(async move {
        let mut peak = 0.0f64;
        for _ in 0..(secs() * 10 + 150) {
            peak = peak.max(rss_mib(pid));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peak
    });
    let (sent, refused) = flood(
        server.addr,
        Ipv4Addr::new(127, 0, 3, 1),
        &id,
        &token,
        9,
        secs(),
    )
    .await;
    drop(viewers);
    let peak = watch.await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_mib(pid);
    println!(
        "one edit link, {}s: {sent} ops sent, {refused} refused past the plan's budget; \
         RSS {before:.1} MiB before, peak {peak:.1}, {after:.1} after",
        secs()
    );
    assert!(refused > 0, "the plan's byte budget was never reached");
    assert!(peak - before <= 64.0, "grew by {:.1} MiB", peak - before);
    assert!(
        after - before <= 40.0,
        "stayed {:.1} MiB up after",
        after - before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_plans_at_once_stay_within_their_budgets() {
    let server = start(&[("SYNCPLAN_LIVE_PLAN_MB", "2")]).await;
    let pid = server.child.id();
    let before = rss_mib(pid);
    let mut plans = Vec::new();
    for _ in 0..10 {
        plans.push(live_plan(server.addr).await);
    }
    let floods = plans
        .iter()
        .enumerate()
        .map(|(i, (id, token))| {
            let (addr, id, token) = (server.addr, id.clone(), token.clone());
            tokio::spawn(async move {
                flood(
                    addr,
                    Ipv4Addr::new(127, 0, 4, i as u8 + 1),
                    &id,
                    &token,
                    20 + i as u32,
                    5,
                )
                .await
            })
        })
        .collect::<Vec<_>>();
    let mut refused_all = true;
    for f in floods {
        let (_, refused) = f.await.unwrap();
        refused_all &= refused > 0;
    }
    let after = rss_mib(pid);
    println!("ten plans of 2 MiB at once: RSS {before:.1} MiB before, {after:.1} after");
    assert!(refused_all, "a plan grew past its budget without a refusal");
    assert!(after - before <= 64.0, "grew by {:.1} MiB", after - before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_live_connections_add_at_most_32_mib() {
    let server = start(&[("SYNCPLAN_LIVE_VIEWERS_PER_PLAN", "100")]).await;
    let pid = server.child.id();
    let mut plans = Vec::new();
    for _ in 0..20 {
        plans.push(live_plan(server.addr).await.0);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_mib(pid);
    let mut held = Vec::new();
    for n in 0..2_000u32 {
        // Distinct addresses: 127.1.x.y.
        let from = Ipv4Addr::new(127, 1, (n / 250) as u8, (n % 250) as u8 + 1);
        let mut ws = connect(
            server.addr,
            from,
            &plans[(n % 20) as usize],
            None,
            1_000 + n,
        )
        .await;
        joined(&mut ws).await;
        held.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_mib(pid);
    println!(
        "2,000 idle live connections on 20 plans: RSS {before:.1} -> {after:.1} MiB ({:.1} KiB each)",
        (after - before) * 1024.0 / 2_000.0
    );
    assert!(after - before <= 32.0, "added {:.1} MiB", after - before);
    drop(held);
}
