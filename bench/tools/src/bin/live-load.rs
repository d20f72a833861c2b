//! Live editing under load, against the release binary (part of `make bench`):
//!
//! 1. 50 editors on one plan (`LIVE_CLIENTS`), each making 5 edits a second
//!    (`LIVE_RATE`) for 10 s (`LIVE_SECONDS`): each edit's time from send to its
//!    acknowledgement (after the commit), p50 / p95 / p99, and the server's CPU over the run.
//!    Beside it, the reference: a WebSocket ping to the same server (the transport alone).
//! 2. Edit → another editor: from one editor sending to another receiving the logged
//!    edit, on one instance (SQLite) and, with `SYNCPLAN_BENCH_POSTGRES_URL`, across two
//!    instances on one PostgreSQL.
//! 3. Bytes on the wire for one cell edit.
//! 4. Reconnecting with 500 queued offline edits: sent as the browser sends them (batches
//!    of 500), until all are acknowledged.
//!
//! Prints Markdown rows for bench/RESULTS.md on stdout.

use futures_util::{SinkExt, StreamExt};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use syncplan::model::{Batch, CellValue, Op, Plan, Row, RowId, Stamp};
use syncplan::shared::wire::{self, ClientMsg, Hello, ServerMsg, PROTOCOL};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let auth = auth
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}

async fn start(addr: SocketAddr, database_url: &str) -> Child {
    let child = Command::new(root().join("target/release/syncplan"))
        .current_dir(root())
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("LEPTOS_ENV", "PROD")
        .env("SYNCPLAN_DATABASE_URL", database_url)
        .env("SYNCPLAN_SHARE_RATE_LIMIT", "1000000")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("target/release/syncplan runs (make bench builds it)");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect(addr).await.is_ok()
            && http(addr, "GET", "/healthz", None, "").await.0 == 200
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the server did not become healthy");
}

fn plan(rows: usize) -> Plan {
    Plan::new(
        "Live load",
        (0..rows)
            .map(|i| Row {
                item: format!("Row {i}"),
                ..Row::blank(RowId(format!("r{i}")))
            })
            .collect(),
    )
}

/// A shared plan with editing on: (share id, edit secret).
async fn live_share(addr: SocketAddr) -> (String, String) {
    let (status, body) = http(addr, "POST", "/api/shares", None, &plan(60).to_json()).await;
    assert_eq!(status, 201, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let owner = created["owner_token"].as_str().unwrap();
    let (status, body) = http(
        addr,
        "POST",
        &format!("/api/shares/{id}/edit"),
        Some(owner),
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let edit: serde_json::Value = serde_json::from_str(&body).unwrap();
    (id, edit["edit_token"].as_str().unwrap().to_owned())
}

/// Connects, says hello and reads up to the snapshot.
async fn join(addr: SocketAddr, id: &str, token: &str, replica: u32) -> Socket {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/live/{id}"))
        .await
        .expect("connects");
    let hello = ClientMsg::Hello(Hello {
        protocol: PROTOCOL,
        token: Some(token.into()),
        known: None,
        replica,
        key: key_of(replica),
        name: format!("Load {replica}"),
        owner: None,
    });
    ws.send(Message::Binary(wire::encode(&hello).into()))
        .await
        .unwrap();
    loop {
        if let ServerMsg::Snapshot { .. } = next(&mut ws).await {
            return ws;
        }
    }
}

async fn next(ws: &mut Socket) -> ServerMsg {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                return wire::decode(&bytes).expect("a message")
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("the connection ended: {other:?}"),
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The secret a load replica's batches are sent with.
fn key_of(replica: u32) -> u64 {
    u64::from(replica).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
}

/// Edit `n` (from 1, in order) of `replica`.
fn edit(replica: u32, n: u64, row: usize, value: String) -> Batch {
    Batch {
        id: syncplan::model::batch_id(replica, n as u32),
        key: key_of(replica),
        ops: vec![Op::Cell {
            row: RowId(format!("r{row}")),
            value: CellValue::Owner(value),
            stamp: Stamp {
                wall: now_ms(),
                count: n as u32,
                replica,
            },
        }],
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The process's CPU time so far (user + system), in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the name).
    (ticks(11) + ticks(12)) / 100.0
}

/// Each editor sends `rate` edits a second for `seconds`; returns every send→ack time (ms).
async fn load(
    addr: SocketAddr,
    id: &str,
    token: &str,
    clients: u32,
    rate: u64,
    seconds: u64,
) -> Vec<f64> {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let mut ws = join(addr, id, token, 1000 + c).await;
        let id = id.to_owned();
        let _ = id;
        tasks.push(tokio::spawn(async move {
            let mut sent: std::collections::HashMap<u64, Instant> = Default::default();
            let mut times = Vec::new();
            let every = Duration::from_millis(1000 / rate);
            // Spread the editors' ticks over the interval.
            tokio::time::sleep(every * c / clients.max(1)).await;
            let mut tick = tokio::time::interval(every);
            let end = Instant::now() + Duration::from_secs(seconds);
            let mut n = 0u64;
            loop {
                tokio::select! {
                    _ = tick.tick(), if Instant::now() < end => {
                        n += 1;
                        let batch = edit(1000 + c, n, (c as usize * 7 + n as usize) % 60, format!("c{c} e{n}"));
                        sent.insert(batch.id, Instant::now());
                        ws.send(Message::Binary(wire::encode(&ClientMsg::Ops(batch.into())).into())).await.unwrap();
                    }
                    msg = ws.next() => {
                        let Some(Ok(Message::Binary(bytes))) = msg else { continue };
                        if let Some(ServerMsg::Ack { batch, .. }) = wire::decode::<ServerMsg>(&bytes) {
                            if let Some(at) = sent.remove(&batch) {
                                times.push(at.elapsed().as_secs_f64() * 1000.0);
                            }
                        }
                        if Instant::now() >= end && sent.is_empty() {
                            break;
                        }
                    }
                }
                if Instant::now() > end + Duration::from_secs(10) {
                    break;
                }
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by(f64::total_cmp);
    all
}

/// Ping round trips on one socket (the transport's own cost).
async fn pings(addr: SocketAddr, id: &str, token: &str, n: u32) -> Vec<f64> {
    let mut ws = join(addr, id, token, 999).await;
    let mut times = Vec::new();
    for i in 0..n {
        let at = Instant::now();
        ws.send(Message::Binary(wire::encode(&ClientMsg::Ping(i)).into()))
            .await
            .unwrap();
        loop {
            if let ServerMsg::Pong(p) = next(&mut ws).await {
                if p == i {
                    break;
                }
            }
        }
        times.push(at.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times
}

/// From one editor's send to another editor's receipt of the logged edit (ms).
async fn relay(
    a: SocketAddr,
    b: SocketAddr,
    id: &str,
    token: &str,
    n: u64,
    replica: u32,
) -> Vec<f64> {
    let mut writer = join(a, id, token, replica).await;
    let mut reader = join(b, id, token, replica + 1).await;
    let mut times = Vec::new();
    for i in 0..n {
        let batch = edit(replica, i + 1, (i % 60) as usize, format!("relay {i}"));
        let want = batch.id;
        let at = Instant::now();
        writer
            .send(Message::Binary(wire::encode(&ClientMsg::Ops(batch.into())).into()))
            .await
            .unwrap();
        loop {
            if let ServerMsg::Ops(logged) = next(&mut reader).await {
                if logged.batch == want {
                    break;
                }
            }
        }
        times.push(at.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    times.sort_by(f64::total_cmp);
    times
}

/// 500 queued edits sent on reconnecting, until all are acknowledged (ms).
async fn reconnect_500(addr: SocketAddr, id: &str, token: &str) -> f64 {
    let ops: Vec<Op> = (0..500u64)
        .map(|i| Op::Cell {
            row: RowId(format!("r{}", i % 60)),
            value: if i % 2 == 0 {
                CellValue::Owner(format!("offline edit {i}"))
            } else {
                CellValue::Item(format!("offline edit {i}"))
            },
            stamp: Stamp {
                wall: now_ms(),
                count: i as u32,
                replica: 55,
            },
        })
        .collect();
    let at = Instant::now();
    let mut ws = join(addr, id, token, 55).await;
    let batch = Batch {
        id: syncplan::model::batch_id(55, 1),
        key: key_of(55),
        ops,
    };
    ws.send(Message::Binary(wire::encode(&ClientMsg::Ops(batch.into())).into()))
        .await
        .unwrap();
    loop {
        if let ServerMsg::Ack { batch, .. } = next(&mut ws).await {
            if batch == syncplan::model::batch_id(55, 1) {
                break;
            }
        }
    }
    at.elapsed().as_secs_f64() * 1000.0
}

fn row(name: &str, times: &[f64], reference: &str, goal: &str) -> String {
    format!(
        "| {name} | {:.1} | {:.1} | {:.1} | {} | {reference} | {goal} |",
        percentile(times, 50.0),
        percentile(times, 95.0),
        percentile(times, 99.0),
        times.len()
    )
}

#[tokio::main]
async fn main() {
    let clients = env_num("LIVE_CLIENTS", 50) as u32;
    let rate = env_num("LIVE_RATE", 5);
    let seconds = env_num("LIVE_SECONDS", 10);
    let dir = std::env::temp_dir().join(format!("syncplan-live-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/live.db?mode=rwc", dir.display());
    let addr = free_addr();
    let mut server = start(addr, &url).await;
    let (id, token) = live_share(addr).await;

    let ping = pings(addr, &id, &token, 200).await;
    let cpu_before = cpu_seconds(server.id());
    let wall = Instant::now();
    let acks = load(addr, &id, &token, clients, rate, seconds).await;
    let cpu = (cpu_seconds(server.id()) - cpu_before) / wall.elapsed().as_secs_f64();
    let one = relay(addr, addr, &id, &token, 200, 7).await;
    let reconnect = reconnect_500(addr, &id, &token).await;
    let one_edit = wire::encode(&ClientMsg::Ops(edit(0x1234_5678, 1, 3, String::new()).into()));
    let logged = wire::encode(&ServerMsg::Ops(syncplan::model::Logged {
        seq: 123_456,
        batch: 0x1234_5678_0000_0001,
        ops: edit(0x1234_5678, 1, 3, String::new()).ops,
    }));

    let mut out = Vec::new();
    out.push("| measure | p50 ms | p95 ms | p99 ms | samples | reference | goal |".to_owned());
    out.push("|---|---|---|---|---|---|---|".to_owned());
    out.push(row(
        &format!("edit acknowledged after commit, {clients} editors × {rate} edits/s"),
        &acks,
        &format!(
            "WebSocket ping on the same server: p50 {:.2}, p99 {:.2} ms",
            percentile(&ping, 50.0),
            percentile(&ping, 99.0)
        ),
        "p99 ≤ 100 ms",
    ));
    out.push(row(
        "edit → another editor, one instance (SQLite)",
        &one,
        "the ping above",
        "p95 ≤ 50 ms (to paint)",
    ));
    if let Ok(pg) = std::env::var("SYNCPLAN_BENCH_POSTGRES_URL") {
        let _ = server.kill();
        let _ = server.wait();
        let a = free_addr();
        let b = free_addr();
        let mut sa = start(a, &pg).await;
        let mut sb = start(b, &pg).await;
        let (id, token) = live_share(a).await;
        let two = relay(a, b, &id, &token, 200, 9).await;
        out.push(row(
            "edit → editor on another instance (PostgreSQL, pg_notify)",
            &two,
            "the ping above",
            "p95 ≤ 100 ms (to paint)",
        ));
        let _ = sa.kill();
        let _ = sb.kill();
        let _ = sa.wait();
        let _ = sb.wait();
    } else {
        let _ = server.kill();
        let _ = server.wait();
    }
    out.push(String::new());
    out.push(format!(
        "Server CPU during the load: {:.0} % of one core (goal: under one core). Reconnecting with 500 queued edits: acknowledged in {reconnect:.0} ms (goal ≤ 1 s). One cell edit on the wire: {} bytes plus the value's bytes sent, {} bytes plus the value's bytes received by the others (goal ≤ 64 + value).",
        cpu * 100.0,
        one_edit.len(),
        logged.len(),
    ));
    println!("{}", out.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
