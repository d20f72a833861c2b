//! The live-editing endpoints: the WebSocket (`GET /api/live/{id}`), its fallback for
//! networks that block WebSockets (`POST /api/live/{id}/events`, a Server-Sent Events
//! stream, and `POST /api/live/{id}/send`), and the owner's switch for edit links
//! (`POST` and `DELETE /api/shares/{id}/edit`).

use super::extract::{bearer, owner_result, parse_id, request_origin, Client};
use crate::server::http::error::AppError;
use crate::server::http::serve::ConnectionTicket;
use crate::server::live::{base64_encode, Live, Outbox, Refused};
use crate::server::state::AppState;
use crate::server::store::ClientKey;
use crate::shared::api::{ApiError, EditLink};
use crate::shared::wire::{
    self, ClientMsg, ErrorCode, ServerMsg, KEY_HEADER, MAX_FRAME_BYTES, REPLICA_HEADER,
    TOKEN_HEADER,
};
use crate::shared::{paths, ShareId};
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use futures_util::stream::{SplitSink, StreamExt as _};
use futures_util::SinkExt as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a new connection has to say `Hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the fallback's stream proves it is alive (proxies close quiet streams).
const SSE_HEARTBEAT: Duration = Duration::from_secs(15);

/// How long one message may take to go out; a connection slower than that (a reader that
/// stopped reading) is closed, and catches up with the whole document when it comes back.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// Messages waiting to go out on a fallback stream.
const STREAM_QUEUE: usize = 16;

/// `GET /api/live/{id}`: the WebSocket. Its buffers are small (an idle connection costs a
/// few kilobytes); a message is written as it is sent.
pub async fn socket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Client(client): Client,
    ticket: Option<Extension<ConnectionTicket>>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let live = state.live.clone();
    Ok(upgrade
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(2 * MAX_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            // The connection keeps its place in the server's budgets while the socket lives.
            let _ticket = ticket;
            serve_socket(live, id, client, socket).await
        }))
}

struct SocketOut(SplitSink<WebSocket, Message>);

impl Outbox for SocketOut {
    async fn send(&mut self, bytes: Arc<[u8]>) -> bool {
        let send = self.0.send(Message::Binary(Bytes::copy_from_slice(&bytes)));
        matches!(tokio::time::timeout(SEND_TIMEOUT, send).await, Ok(Ok(())))
    }

    async fn close(&mut self, code: ErrorCode) {
        if let Some(close) = code.close_code() {
            let _ = self
                .0
                .send(Message::Close(Some(CloseFrame {
                    code: close,
                    reason: format!("{code:?}").into(),
                })))
                .await;
        }
    }
}

/// Reads a socket message as a client message.
fn read(message: Result<Message, axum::Error>) -> Option<Result<ClientMsg, ErrorCode>> {
    match message {
        Ok(Message::Binary(bytes)) => {
            Some(wire::decode::<ClientMsg>(&bytes).ok_or(ErrorCode::BadMessage))
        }
        Ok(Message::Text(_)) => Some(Err(ErrorCode::BadMessage)),
        Ok(Message::Ping(_) | Message::Pong(_)) => None,
        Ok(Message::Close(_)) => Some(Err(ErrorCode::Unavailable)),
        Err(e) => {
            // Over the frame size: say so; anything else is a connection that went away.
            let text = e.to_string();
            Some(Err(
                if text.contains("too long") || text.contains("too big") {
                    ErrorCode::TooBig
                } else {
                    ErrorCode::Unavailable
                },
            ))
        }
    }
}

async fn serve_socket(live: Arc<Live>, id: ShareId, client: ClientKey, socket: WebSocket) {
    let (sink, mut stream) = socket.split();
    let mut out = SocketOut(sink);
    let first = tokio::time::timeout(HELLO_TIMEOUT, async {
        loop {
            match stream.next().await {
                None => return None,
                Some(message) => {
                    if let Some(msg) = read(message) {
                        return Some(msg);
                    }
                }
            }
        }
    })
    .await;
    let hello = match first {
        Ok(Some(Ok(ClientMsg::Hello(hello)))) => hello,
        Ok(None) | Err(_) | Ok(Some(Err(ErrorCode::Unavailable))) => return,
        Ok(Some(Err(code))) => return refuse(&mut out, code).await,
        Ok(Some(Ok(_))) => return refuse(&mut out, ErrorCode::BadMessage).await,
    };
    let session = match live.open(&id, hello, client, &mut out).await {
        Ok(session) => session,
        Err(Refused(code)) => return refuse(&mut out, code).await,
    };
    // A closed or failed socket ends the session quietly.
    let incoming = stream
        .filter_map(|m| std::future::ready(read(m)))
        .take_while(|m| std::future::ready(!matches!(m, Err(ErrorCode::Unavailable))));
    let incoming = Box::pin(incoming);
    live.run(session, &mut out, incoming).await;
}

async fn refuse(out: &mut impl Outbox, code: ErrorCode) {
    let msg = ServerMsg::Error {
        code,
        batch: None,
        message: code.explain().to_owned(),
    };
    let _ = out.send(wire::encode(&msg).into()).await;
    out.close(code).await;
}

/// The fallback stream's way out: events into the response body.
struct StreamOut(mpsc::Sender<SseEvent>);

impl Outbox for StreamOut {
    async fn send(&mut self, bytes: Arc<[u8]>) -> bool {
        let send = self.0.send(SseEvent::default().data(base64_encode(&bytes)));
        matches!(tokio::time::timeout(SEND_TIMEOUT, send).await, Ok(Ok(())))
    }

    async fn close(&mut self, code: ErrorCode) {
        if let Some(close) = code.close_code() {
            let _ = self
                .0
                .send(SseEvent::default().event("close").data(close.to_string()))
                .await;
        }
    }
}

/// The HTTP status a refusal is answered with on the fallback.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadMessage => StatusCode::BAD_REQUEST,
        ErrorCode::TooBig => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::TooFast | ErrorCode::TooManyConnections => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Forbidden | ErrorCode::ReadOnly => StatusCode::FORBIDDEN,
        ErrorCode::Revoked => StatusCode::GONE,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::PlanFull => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Protocol => StatusCode::UPGRADE_REQUIRED,
        ErrorCode::OutOfOrder => StatusCode::CONFLICT,
        ErrorCode::NotYours => StatusCode::FORBIDDEN,
    }
}

fn refusal(code: ErrorCode) -> Response {
    (
        status_of(code),
        Json(ApiError {
            code: Some(format!("{code:?}")),
            ..ApiError::new(code.explain())
        }),
    )
        .into_response()
}

/// `POST /api/live/{id}/events`: body a `Hello`; answers a stream of server messages.
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Client(client): Client,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let Some(ClientMsg::Hello(hello)) = wire::decode::<ClientMsg>(&body) else {
        return Ok(refusal(ErrorCode::BadMessage));
    };
    let (tx, rx) = mpsc::channel::<SseEvent>(STREAM_QUEUE);
    let mut out = StreamOut(tx);
    let live = state.live.clone();
    let session = match live.open(&id, hello, client, &mut out).await {
        Ok(session) => session,
        Err(Refused(code)) => return Ok(refusal(code)),
    };
    tokio::spawn(async move {
        // No messages come in on this stream; a heartbeat finds out when it is gone.
        let beats = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(SSE_HEARTBEAT).await;
            Some((Ok(ClientMsg::Ping(0)), ()))
        });
        live.run(session, &mut out, Box::pin(beats)).await;
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|event| (Ok::<_, std::convert::Infallible>(event), rx))
    });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(SSE_HEARTBEAT))
        .into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Proxies (nginx) would otherwise hold events back to fill a buffer.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// `POST /api/live/{id}/send`: body one client message (ops or presence), the edit link's
/// secret in `x-syncplan-edit-token`, this tab's replica id in `x-syncplan-replica`.
/// Answers one server message (the acknowledgement, or a typed error).
pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    if body.len() > MAX_FRAME_BYTES {
        return Ok(refusal(ErrorCode::TooBig));
    }
    let token = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let number = |name: &str| -> u64 {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (replica, key) = (number(REPLICA_HEADER) as u32, number(KEY_HEADER));
    let reply = match wire::decode::<ClientMsg>(&body) {
        Some(ClientMsg::Ops(batch)) => match &token {
            Some(token) => state.live.submit_once(&id, token, batch, client).await,
            None => error(ErrorCode::ReadOnly, Some(batch.id)),
        },
        Some(ClientMsg::Presence(p)) => {
            state
                .live
                .presence_once(&id, token.as_deref(), (replica, key), p)
                .await
        }
        Some(ClientMsg::Ping(n)) => ServerMsg::Pong(n),
        Some(ClientMsg::Hello(_) | ClientMsg::Resync { .. }) | None => {
            error(ErrorCode::BadMessage, None)
        }
    };
    let status = match &reply {
        ServerMsg::Error { code, .. } => status_of(*code),
        _ => StatusCode::OK,
    };
    let mut response = (status, wire::encode(&reply)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn error(code: ErrorCode, batch: Option<u64>) -> ServerMsg {
    ServerMsg::Error {
        code,
        batch,
        message: code.explain().to_owned(),
    }
}

/// `POST /api/shares/{id}/edit` (owner): turns on editing through a new edit link, or
/// replaces the link (the old one stops working within a second on every instance).
pub async fn enable_editing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request_headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let owner = bearer(&request_headers)?;
    let (token, resumed) = match state.store.enable_editing(&id, &owner).await? {
        Ok(done) => done,
        Err(refused) => {
            owner_result(refused)?;
            return Err(AppError::Internal(
                "an edit link was refused without a reason".into(),
            ));
        }
    };
    state.live.revalidate(&id).await;
    state.pages.forget_share(&id);
    let origin = request_origin(&state, &request_headers);
    let mut response = Json(EditLink {
        edit_url: paths::edit_url(&origin, &id, &token),
        edit_token: token,
        resumed,
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `DELETE /api/shares/{id}/edit` (owner): turns editing off; everyone editing is
/// disconnected within a second and keeps a private copy.
pub async fn disable_editing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request_headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let id = parse_id(&id)?;
    let owner = bearer(&request_headers)?;
    let result = owner_result(state.store.disable_editing(&id, &owner).await?);
    state.live.revalidate(&id).await;
    result
}
