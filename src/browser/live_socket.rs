//! The connection to the live-editing endpoint: a WebSocket (binary frames, one protocol
//! message each), or, where WebSockets are blocked, the fallback with the same messages —
//! a `POST` whose answer is a Server-Sent Events stream (the hello in its body) and one
//! `POST` per message sent.

use crate::model::{EditToken, ShareId};
use crate::shared::wire::{self, ClientMsg, ErrorCode, ServerMsg};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// What the socket reports.
pub enum SocketEvent {
    Open,
    Message(ServerMsg),
    /// The connection ended; `code` is the WebSocket close code (1006 when it dropped).
    Closed {
        code: u16,
    },
}

/// An open (or opening) connection. Dropping it closes the connection without reporting.
pub struct Socket {
    kind: Kind,
    /// How to send: set where the socket is opened, so that the sending code (and the
    /// fallback's stream, which its first message starts) is reached only from there and
    /// stays in the live client's chunk (see `ui::live_sync::open_socket`).
    send: fn(&Kind, &ClientMsg) -> bool,
}

enum Kind {
    Ws(Ws),
    Stream(Stream),
}

impl Socket {
    /// Connects with a WebSocket.
    pub fn open(
        share: &ShareId,
        on_event: impl Fn(SocketEvent) + 'static,
    ) -> Result<Socket, String> {
        Ok(Socket {
            kind: Kind::Ws(Ws::open(share, on_event)?),
            send: send_on,
        })
    }

    /// Connects without WebSockets (Server-Sent Events and `POST`).
    pub fn open_fallback(share: &ShareId, on_event: impl Fn(SocketEvent) + 'static) -> Socket {
        Socket {
            kind: Kind::Stream(Stream::open(share, on_event)),
            send: send_on,
        }
    }

    pub fn is_fallback(&self) -> bool {
        matches!(self.kind, Kind::Stream(_))
    }

    /// Sends `msg`; false when the connection is not open.
    pub fn send(&self, msg: &ClientMsg) -> bool {
        (self.send)(&self.kind, msg)
    }

    /// Closes the connection (reported as `Closed` unless the socket is dropped first).
    pub fn close(&self) {
        match &self.kind {
            Kind::Ws(ws) => ws.close(),
            Kind::Stream(stream) => stream.close(),
        }
    }
}

fn send_on(kind: &Kind, msg: &ClientMsg) -> bool {
    match kind {
        Kind::Ws(ws) => ws.send(msg),
        Kind::Stream(stream) => stream.send(msg),
    }
}

struct Ws {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(web_sys::Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Ws {
    /// Connects to the live endpoint of `share` on this page's server.
    fn open(share: &ShareId, on_event: impl Fn(SocketEvent) + 'static) -> Result<Ws, String> {
        let location = web_sys::window().ok_or("no window")?.location();
        let scheme = match location.protocol().as_deref() {
            Ok("https:") => "wss:",
            _ => "ws:",
        };
        let host = location.host().map_err(|_| "no host")?;
        let url = format!(
            "{scheme}//{host}{}",
            crate::shared::paths::live_socket(share)
        );
        let ws = WebSocket::new(&url).map_err(|e| format!("{e:?}"))?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let on_event = std::rc::Rc::new(on_event);

        let report = on_event.clone();
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| report(SocketEvent::Open));
        let report = on_event.clone();
        let socket = ws.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Ok(buffer) = ev.data().dyn_into::<js_sys::ArrayBuffer>() else {
                return;
            };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            match wire::decode::<ServerMsg>(&bytes) {
                Some(msg) => report(SocketEvent::Message(msg)),
                // Not a message we understand: start again rather than guess.
                None => {
                    let _ = socket.close_with_code(4400);
                }
            }
        });
        let report = on_event;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
            report(SocketEvent::Closed { code: ev.code() })
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Ws {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    fn send(&self, msg: &ClientMsg) -> bool {
        if self.ws.ready_state() != WebSocket::OPEN {
            return false;
        }
        let bytes = wire::encode(msg);
        self.ws.send_with_u8_array(&bytes).is_ok()
    }

    fn close(&self) {
        let _ = self.ws.close();
    }
}

impl Drop for Ws {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

/// The fallback: an event stream for what the server sends, a `POST` per message sent.
struct Stream {
    share: ShareId,
    state: Rc<RefCell<StreamState>>,
    on_event: Rc<dyn Fn(SocketEvent)>,
}

#[derive(Default)]
struct StreamState {
    /// The secret, replica and its key from the hello (sent as headers with every message).
    token: Option<EditToken>,
    replica: u32,
    key: u64,
    abort: Option<web_sys::AbortController>,
    closed: bool,
}

impl Stream {
    fn open(share: &ShareId, on_event: impl Fn(SocketEvent) + 'static) -> Stream {
        let on_event: Rc<dyn Fn(SocketEvent)> = Rc::new(on_event);
        let state = Rc::new(RefCell::new(StreamState::default()));
        // "Open" at once: the hello that follows starts the stream.
        let report = on_event.clone();
        let alive = state.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if !alive.borrow().closed {
                report(SocketEvent::Open);
            }
        });
        Stream {
            share: share.clone(),
            state,
            on_event,
        }
    }

    fn send(&self, msg: &ClientMsg) -> bool {
        if self.state.borrow().closed {
            return false;
        }
        match msg {
            ClientMsg::Hello(hello) => {
                {
                    let mut state = self.state.borrow_mut();
                    state.token = hello.token.clone();
                    state.replica = hello.replica;
                    state.key = hello.key;
                }
                self.start(wire::encode(msg));
            }
            _ => self.post(wire::encode(msg)),
        }
        true
    }

    /// Starts the event stream with the hello in the request body.
    fn start(&self, hello: Vec<u8>) {
        let abort = web_sys::AbortController::new().ok();
        let signal = abort.as_ref().map(|a| a.signal());
        self.state.borrow_mut().abort = abort;
        let url = crate::shared::paths::live_events(&self.share);
        let report = self.on_event.clone();
        let state = self.state.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let code = read_stream(&url, &hello, signal.as_ref(), &*report).await;
            end(&state, &*report, code);
        });
    }

    /// One message sent by `POST`; its answer (an acknowledgement or an error) is reported
    /// like a message from the stream.
    fn post(&self, body: Vec<u8>) {
        let (token, replica, key) = {
            let s = self.state.borrow();
            (s.token.clone(), s.replica, s.key)
        };
        let url = crate::shared::paths::live_send(&self.share);
        let report = self.on_event.clone();
        let state = self.state.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let mut request = gloo_net::http::Request::post(&url)
                .header("Content-Type", "application/octet-stream")
                .header(wire::REPLICA_HEADER, &replica.to_string())
                .header(wire::KEY_HEADER, &key.to_string());
            if let Some(token) = &token {
                request = request.header(wire::TOKEN_HEADER, token.as_str());
            }
            let Ok(request) = request.body(js_sys::Uint8Array::from(&body[..])) else {
                return;
            };
            // Not answered: the batch stays unacknowledged and is sent again later.
            let Ok(response) = request.send().await else {
                return;
            };
            let Ok(bytes) = response.binary().await else {
                return;
            };
            if state.borrow().closed {
                return;
            }
            if let Some(msg) = wire::decode::<ServerMsg>(&bytes) {
                let fatal = match &msg {
                    ServerMsg::Error { code, .. } => code.close_code(),
                    _ => None,
                };
                report(SocketEvent::Message(msg));
                if let Some(code) = fatal {
                    end(&state, &*report, code);
                }
            }
        });
    }

    fn close(&self) {
        end(&self.state, &*self.on_event, 1000);
    }
}

/// Ends the fallback connection once: stops the stream and reports `Closed` with `code`.
fn end(state: &RefCell<StreamState>, report: &dyn Fn(SocketEvent), code: u16) {
    let mut s = state.borrow_mut();
    if let Some(a) = s.abort.take() {
        a.abort();
    }
    if !s.closed {
        s.closed = true;
        drop(s);
        report(SocketEvent::Closed { code });
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let mut s = self.state.borrow_mut();
        s.closed = true;
        if let Some(a) = s.abort.take() {
            a.abort();
        }
    }
}

/// Reads the event stream until it ends; returns the close code to report (the refusal's
/// code when the server refused, 1006 when the stream broke).
async fn read_stream(
    url: &str,
    hello: &[u8],
    signal: Option<&web_sys::AbortSignal>,
    report: &dyn Fn(SocketEvent),
) -> u16 {
    let request = gloo_net::http::Request::post(url)
        .header("Content-Type", "application/octet-stream")
        .abort_signal(signal)
        .body(js_sys::Uint8Array::from(hello));
    let Ok(request) = request else { return 1006 };
    let Ok(response) = request.send().await else {
        return 1006;
    };
    if !response.ok() {
        #[derive(serde::Deserialize)]
        struct Refusal {
            code: String,
        }
        return match response.json::<Refusal>().await {
            Ok(r) => ErrorCode::ALL
                .into_iter()
                .find(|c| format!("{c:?}") == r.code)
                .and_then(ErrorCode::close_code)
                .unwrap_or(1006),
            Err(_) => 1006,
        };
    }
    let Some(body) = response.body() else {
        return 1006;
    };
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let Ok(chunk) = wasm_bindgen_futures::JsFuture::from(reader.read()).await else {
            return 1006;
        };
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return 1006;
        }
        if let Ok(value) = js_sys::Reflect::get(&chunk, &"value".into()) {
            buffer.extend(js_sys::Uint8Array::new(&value).to_vec());
        }
        // Events end with a blank line. A message event's `data:` is one message in
        // base64url; a `close` event's is the close code, as a WebSocket would give it.
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = buffer.drain(..end + 2).collect();
            match sse_event(&String::from_utf8_lossy(&event)) {
                SseEvent::Message(msg) => report(SocketEvent::Message(msg)),
                SseEvent::Close(code) => return code,
                SseEvent::Nothing => {}
                SseEvent::Unreadable => return 4400,
            }
        }
    }
}

enum SseEvent {
    Message(ServerMsg),
    Close(u16),
    /// A comment or keep-alive.
    Nothing,
    Unreadable,
}

/// Reads one event of the fallback stream (its lines, without the blank line after).
fn sse_event(text: &str) -> SseEvent {
    let mut kind = "message";
    let mut data = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("event:") {
            kind = name.trim();
        } else if let Some(d) = line.strip_prefix("data:") {
            data = Some(d.trim());
        }
    }
    match (kind, data) {
        (_, None) => SseEvent::Nothing,
        ("close", Some(code)) => code.parse().map_or(SseEvent::Unreadable, SseEvent::Close),
        ("message", Some(data)) => base64url(data)
            .and_then(|b| wire::decode::<ServerMsg>(&b))
            .map_or(SseEvent::Unreadable, SseEvent::Message),
        _ => SseEvent::Nothing,
    }
}

/// Decodes base64url (no padding) with the browser's `atob`.
fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    let binary = web_sys::window()?.atob(&standard).ok()?;
    binary
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}
