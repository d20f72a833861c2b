#![cfg(feature = "ssr")]
//! Live editing over real sockets against the real router: edit links, WebSockets, the
//! Server-Sent Events fallback, every error close, revoking and rotating links, on SQLite
//! and (when `SYNCPLAN_TEST_POSTGRES_URL` names a server) on PostgreSQL, including two
//! instances behind one database.

use crate::common::{body_text, post, send, state_with};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use syncplan::model::{Batch, Field, Op, Plan, Refusal, Row, RowId, Stamp, Why, MAX_ROWS};
use syncplan::server::{serve, AppState, Config, ConnectionLimits};
use syncplan::shared::wire::{
    self, ClientMsg, ErrorCode, Hello, Peer, Presence, Role, ServerMsg, KEY_HEADER, PROTOCOL,
    REPLICA_HEADER, TOKEN_HEADER,
};
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

struct Server {
    addr: SocketAddr,
    state: AppState,
    router: Router,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: Option<TempDir>,
}

async fn start(url: Option<&str>, configure: impl FnOnce(&mut Config)) -> Server {
    start_limited(url, configure, None, 10_000).await
}

/// A server with per-address budgets: connections that sent nothing yet, and live ones.
async fn start_limited(
    url: Option<&str>,
    configure: impl FnOnce(&mut Config),
    max_per_client: Option<usize>,
    max_live_per_client: usize,
) -> Server {
    let (state, router, dir) = state_with(url, |c| {
        c.share_rate_per_minute = 100_000;
        c.store_limits.shares_per_day = u32::MAX;
        configure(c);
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = ConnectionLimits {
        max_connections: 10_000,
        max_per_client,
        max_live_per_client,
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
    };
    tokio::spawn(serve(listener, router.clone(), limits, async {
        let _ = stopped.await;
    }));
    Server {
        addr,
        state,
        router,
        _stop: stop,
        _dir: dir,
    }
}

fn plan() -> Plan {
    Plan::new(
        "Live plan",
        (1..=3)
            .map(|i| Row {
                item: format!("Row {i}"),
                ..Row::blank(RowId(format!("r{i}")))
            })
            .collect(),
    )
}

/// Shares `plan()` and turns editing on: (share id, owner token, edit secret).
async fn live_share(router: &Router) -> (String, String, String) {
    let response = send(
        router,
        post("/api/shares", "application/json", plan().to_json()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = serde_json::from_str(&body_text(response).await).unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    let owner = body["owner_token"].as_str().unwrap().to_owned();
    let edit = enable(router, &id, &owner).await;
    (id, owner, edit)
}

async fn enable(router: &Router, id: &str, owner: &str) -> String {
    let response = send(
        router,
        Request::post(format!("/api/shares/{id}/edit"))
            .header(header::AUTHORIZATION, format!("Bearer {owner}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let body: Value = serde_json::from_str(&body_text(response).await).unwrap();
    let token = body["edit_token"].as_str().unwrap().to_owned();
    let url = body["edit_url"].as_str().unwrap();
    assert!(url.ends_with(&format!("/e/{id}#{token}")), "{url}");
    assert!(token.len() >= 43, "at least 256 bits");
    token
}

async fn disable(router: &Router, id: &str, owner: &str) -> StatusCode {
    send(
        router,
        Request::delete(format!("/api/shares/{id}/edit"))
            .header(header::AUTHORIZATION, format!("Bearer {owner}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .status()
}

struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    async fn open(addr: SocketAddr, id: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/live/{id}"))
            .await
            .expect("the socket opens");
        Client { ws }
    }

    async fn hello(
        addr: SocketAddr,
        id: &str,
        token: Option<&str>,
        known: Option<u64>,
        replica: u32,
    ) -> Client {
        let mut c = Client::open(addr, id).await;
        c.send(&ClientMsg::Hello(Hello {
            protocol: PROTOCOL,
            token: token.map(str::to_owned),
            known,
            replica,
            key: key_of(replica),
            name: format!("Tester {replica}"),
            owner: None,
        }))
        .await;
        c
    }

    /// An editor's hello with a name, and an owner secret (right or wrong) when given.
    async fn hello_as(
        addr: SocketAddr,
        id: &str,
        token: &str,
        replica: u32,
        name: &str,
        owner: Option<&str>,
    ) -> Client {
        let mut c = Client::open(addr, id).await;
        c.send(&ClientMsg::Hello(Hello {
            protocol: PROTOCOL,
            token: Some(token.to_owned()),
            known: None,
            replica,
            key: key_of(replica),
            name: name.to_owned(),
            owner: owner.map(str::to_owned),
        }))
        .await;
        c
    }

    /// The welcome: the owner's name and the others here.
    async fn welcome(&mut self) -> (String, Vec<Peer>) {
        match self.next().await {
            ServerMsg::Welcome { owner, peers, .. } => (owner, peers),
            other => panic!("expected a welcome, got {other:?}"),
        }
    }

    async fn send(&mut self, msg: &ClientMsg) {
        self.ws
            .send(Message::Binary(wire::encode(msg).into()))
            .await
            .unwrap();
    }

    /// The next server message (presence skipped unless `presence`), or `Err(close code)`.
    async fn next_any(&mut self, presence: bool) -> Result<ServerMsg, Option<u16>> {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.ws.next())
                .await
                .expect("a message within 10 s");
            match msg {
                Some(Ok(Message::Binary(bytes))) => {
                    let msg: ServerMsg = wire::decode(&bytes).expect("a server message");
                    if !presence && matches!(msg, ServerMsg::Presence(_) | ServerMsg::Left { .. }) {
                        continue;
                    }
                    return Ok(msg);
                }
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(None),
            }
        }
    }

    async fn next(&mut self) -> ServerMsg {
        self.next_any(false).await.expect("a message, not a close")
    }

    /// Reads until the server closes; the close code and the typed error before it.
    async fn closed(&mut self) -> (Option<u16>, Option<ErrorCode>) {
        let mut error = None;
        loop {
            match self.next_any(false).await {
                Ok(ServerMsg::Error { code, .. }) => error = Some(code),
                Ok(_) => {}
                Err(code) => return (code, error),
            }
        }
    }

    /// Welcome, then the snapshot: returns (role, seq, the plan).
    async fn joined(&mut self) -> (Role, u64, Plan) {
        let (role, seq) = match self.next().await {
            ServerMsg::Welcome { role, seq, .. } => (role, seq),
            other => panic!("expected a welcome, got {other:?}"),
        };
        match self.next().await {
            ServerMsg::Snapshot { doc, seq: s } => {
                assert_eq!(s, seq);
                (role, seq, doc.plan())
            }
            other => panic!("expected a snapshot, got {other:?}"),
        }
    }
}

fn owner_op(row: &str, value: &str, wall: u64, replica: u32) -> Op {
    Op::Cell {
        row: RowId::from(row),
        field: Field::Owner,
        value: value.into(),
        stamp: Stamp {
            wall,
            count: 0,
            replica,
        },
    }
}

/// The key a test replica's batches are sent with.
fn key_of(replica: u32) -> u64 {
    u64::from(replica) * 7_919 + 1
}

/// Batch `id` (replica in the high bits), sent with its replica's key.
fn batch_of(id: u64, ops: Vec<Op>) -> Batch {
    Batch {
        id,
        key: key_of((id >> 32) as u32),
        ops,
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

async fn share_json(router: &Router, id: &str) -> Plan {
    let response = send(
        router,
        Request::get(format!("/api/shares/{id}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    serde_json::from_str(&body_text(response).await).unwrap()
}

fn backends() -> Vec<Option<String>> {
    let mut list = vec![None];
    if let Some(url) = crate::common::postgres_url("the live test") {
        list.push(Some(url));
    }
    list
}

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
                ServerMsg::Ops(l) => assert_eq!(l.ops, batch.ops),
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
async fn sse_messages(response: reqwest_like::Response, want: usize) -> Vec<ServerMsg> {
    response.messages(want).await
}

mod reqwest_like {
    //! A tiny HTTP/1.1 client over a TCP socket, enough for the fallback's stream.
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    pub struct Response {
        pub status: u16,
        reader: BufReader<TcpStream>,
    }

    pub async fn post(
        addr: SocketAddr,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        let status = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        loop {
            line.clear();
            reader.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
        }
        Response { status, reader }
    }

    impl Response {
        /// The next `want` messages of an event stream (chunked; `data:` lines).
        pub async fn messages(mut self, want: usize) -> Vec<ServerMsg> {
            let mut out = Vec::new();
            let mut line = String::new();
            while out.len() < want {
                line.clear();
                let n =
                    tokio::time::timeout(Duration::from_secs(10), self.reader.read_line(&mut line))
                        .await
                        .expect("an event within 10 s")
                        .unwrap();
                assert!(n > 0, "the stream ended");
                if let Some(data) = line.trim_end().strip_prefix("data: ") {
                    use base64::Engine as _;
                    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(data)
                        .expect("base64url");
                    let msg: ServerMsg = wire::decode(&bytes).expect("a server message");
                    if !matches!(msg, ServerMsg::Presence(_) | ServerMsg::Left { .. }) {
                        out.push(msg);
                    }
                }
            }
            out
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fallback_streams_events_and_takes_ops_by_post() {
    let server = start(None, |_| {}).await;
    let (id, _, edit) = live_share(&server.router).await;
    let hello = wire::encode(&ClientMsg::Hello(Hello {
        protocol: PROTOCOL,
        token: Some(edit.clone()),
        known: None,
        replica: 9,
        key: key_of(9),
        name: "Fallback".into(),
        owner: None,
    }));
    let stream =
        reqwest_like::post(server.addr, &format!("/api/live/{id}/events"), &[], &hello).await;
    assert_eq!(stream.status, 200);
    // Sent through a socket-less POST; the stream shows it logged.
    let batch = batch_of(
        (9 << 32) | 1,
        vec![owner_op("r3", "Via fallback", now(), 9)],
    );
    let posting = {
        let addr = server.addr;
        let id = id.clone();
        let edit = edit.clone();
        let body = wire::encode(&ClientMsg::Ops(batch.clone()));
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let r = reqwest_like::post(
                addr,
                &format!("/api/live/{id}/send"),
                &[(TOKEN_HEADER, &edit), ("x-syncplan-replica", "9")],
                &body,
            )
            .await;
            r.status
        })
    };
    let messages = sse_messages(stream, 3).await;
    assert!(matches!(
        messages[0],
        ServerMsg::Welcome {
            role: Role::Editor,
            ..
        }
    ));
    assert!(matches!(messages[1], ServerMsg::Snapshot { .. }));
    match &messages[2] {
        ServerMsg::Ops(l) => assert_eq!(l.batch, batch.id),
        other => panic!("expected the batch, got {other:?}"),
    }
    assert_eq!(posting.await.unwrap(), 200);
    // Without the secret: a typed refusal, nothing written.
    let r = reqwest_like::post(
        server.addr,
        &format!("/api/live/{id}/send"),
        &[(TOKEN_HEADER, "wrong")],
        &wire::encode(&ClientMsg::Ops(batch_of(
            5,
            vec![owner_op("r1", "no", now(), 9)],
        ))),
    )
    .await;
    assert_eq!(r.status, 403);
    // Presence through the fallback: only from the page whose stream bound the replica
    // (its key), with the edit secret.
    let presence = wire::encode(&ClientMsg::Presence(Presence {
        name: "Fallback".into(),
        cell: Some((RowId::from("r1"), Field::Owner)),
    }));
    let key = key_of(9).to_string();
    let r = reqwest_like::post(
        server.addr,
        &format!("/api/live/{id}/send"),
        &[
            (TOKEN_HEADER, &edit),
            (REPLICA_HEADER, "9"),
            (KEY_HEADER, &key),
        ],
        &presence,
    )
    .await;
    assert_eq!(r.status, 200);
    for headers in [
        // Someone else's replica (seen in presence), without its key.
        vec![
            (TOKEN_HEADER, edit.as_str()),
            (REPLICA_HEADER, "9"),
            (KEY_HEADER, "1"),
        ],
        // No secret at all.
        vec![(REPLICA_HEADER, "9"), (KEY_HEADER, key.as_str())],
        // A replica with no stream open.
        vec![
            (TOKEN_HEADER, edit.as_str()),
            (REPLICA_HEADER, "77"),
            (KEY_HEADER, "1"),
        ],
    ] {
        let r = reqwest_like::post(
            server.addr,
            &format!("/api/live/{id}/send"),
            &headers,
            &presence,
        )
        .await;
        assert_eq!(r.status, 403, "{headers:?}");
    }
    assert_eq!(
        share_json(&server.router, &id).await.rows[2].owner,
        "Via fallback"
    );
    // A stream for a secret that does not work is refused with a status.
    let bad = wire::encode(&ClientMsg::Hello(Hello {
        protocol: PROTOCOL,
        token: Some("wrong".into()),
        known: None,
        replica: 9,
        key: key_of(9),
        name: String::new(),
        owner: None,
    }));
    let r = reqwest_like::post(server.addr, &format!("/api/live/{id}/events"), &[], &bad).await;
    assert_eq!(r.status, 403);
}

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

// ----- load and abuse: limits that hold, caps that never lock honest people out -----

/// Sends `batch` and reads until its answer: `Ok(refusals)` or the close code.
async fn answer_of(c: &mut Client, batch: Batch) -> Result<Vec<Refusal>, Option<u16>> {
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
            field: Field::Owner,
            value: format!("v{i}"),
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
        token: Some(edit.clone()),
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
    let grown = server.state.store.used_bytes().await.unwrap() - before;
    assert!(
        (80_000..=100 * 1024).contains(&grown),
        "the store counts {grown} bytes more"
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
