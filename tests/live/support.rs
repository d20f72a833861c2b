//! The live suite's helpers: servers, shares with editing on, and a WebSocket client.

use crate::common::{body_text, post, send, state_with};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use syncplan::model::{Batch, CellValue, Op, Plan, Row, RowId, SentBatch, Stamp};
use syncplan::server::{serve, AppState, Config, ConnectionLimits};
use syncplan::shared::wire::{self, ClientMsg, ErrorCode, Hello, Peer, Role, ServerMsg, PROTOCOL};
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) state: AppState,
    pub(crate) router: Router,
    pub(crate) _stop: tokio::sync::oneshot::Sender<()>,
    pub(crate) _dir: Option<TempDir>,
}

pub(crate) async fn start(url: Option<&str>, configure: impl FnOnce(&mut Config)) -> Server {
    start_limited(url, configure, None, 10_000).await
}

/// A server with per-address budgets: connections that sent nothing yet, and live ones.
pub(crate) async fn start_limited(
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

pub(crate) fn plan() -> Plan {
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
pub(crate) async fn live_share(router: &Router) -> (String, String, String) {
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

pub(crate) async fn enable(router: &Router, id: &str, owner: &str) -> String {
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

pub(crate) async fn disable(router: &Router, id: &str, owner: &str) -> StatusCode {
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

pub(crate) struct Client {
    pub(crate) ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    pub(crate) async fn open(addr: SocketAddr, id: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/live/{id}"))
            .await
            .expect("the socket opens");
        Client { ws }
    }

    pub(crate) async fn hello(
        addr: SocketAddr,
        id: &str,
        token: Option<&str>,
        known: Option<u64>,
        replica: u32,
    ) -> Client {
        let mut c = Client::open(addr, id).await;
        c.send(&ClientMsg::Hello(Hello {
            protocol: PROTOCOL,
            token: token.map(Into::into),
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
    pub(crate) async fn hello_as(
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
            token: Some(token.into()),
            known: None,
            replica,
            key: key_of(replica),
            name: name.to_owned(),
            owner: owner.map(Into::into),
        }))
        .await;
        c
    }

    /// The welcome: the owner's name and the others here.
    pub(crate) async fn welcome(&mut self) -> (String, Vec<Peer>) {
        match self.next().await {
            ServerMsg::Welcome { owner, peers, .. } => (owner, peers),
            other => panic!("expected a welcome, got {other:?}"),
        }
    }

    pub(crate) async fn send(&mut self, msg: &ClientMsg) {
        self.ws
            .send(Message::Binary(wire::encode(msg).into()))
            .await
            .unwrap();
    }

    /// The next server message (presence skipped unless `presence`), or `Err(close code)`.
    pub(crate) async fn next_any(&mut self, presence: bool) -> Result<ServerMsg, Option<u16>> {
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

    pub(crate) async fn next(&mut self) -> ServerMsg {
        self.next_any(false).await.expect("a message, not a close")
    }

    /// Reads until the server closes; the close code and the typed error before it.
    pub(crate) async fn closed(&mut self) -> (Option<u16>, Option<ErrorCode>) {
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
    pub(crate) async fn joined(&mut self) -> (Role, u64, Plan) {
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

pub(crate) fn owner_op(row: &str, value: &str, wall: u64, replica: u32) -> Op {
    Op::Cell {
        row: RowId::from(row),
        value: CellValue::Owner(value.into()),
        stamp: Stamp {
            wall,
            count: 0,
            replica,
        },
    }
}

/// The key a test replica's batches are sent with.
pub(crate) fn key_of(replica: u32) -> u64 {
    u64::from(replica) * 7_919 + 1
}

/// Batch `id` (replica in the high bits), sent with its replica's key.
pub(crate) fn batch_of(id: u64, ops: Vec<Op>) -> SentBatch {
    SentBatch::from(Batch {
        id,
        key: key_of((id >> 32) as u32),
        ops,
    })
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

pub(crate) async fn share_json(router: &Router, id: &str) -> Plan {
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

pub(crate) fn backends() -> Vec<Option<String>> {
    let mut list = vec![None];
    if let Some(url) = crate::common::postgres_url("the live test") {
        list.push(Some(url));
    }
    list
}

pub(crate) async fn sse_messages(response: reqwest_like::Response, want: usize) -> Vec<ServerMsg> {
    response.messages(want).await
}

pub(crate) mod reqwest_like {
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
