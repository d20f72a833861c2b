//! The WebSocket to the live-editing endpoint: binary frames, one protocol message each.

use crate::shared::wire::{self, ClientMsg, ServerMsg};
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

/// An open (or opening) socket. Dropping it closes the connection without reporting.
pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(web_sys::Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Connects to the live endpoint of `share` on this page's server.
    pub fn open(share: &str, on_event: impl Fn(SocketEvent) + 'static) -> Result<Socket, String> {
        let location = web_sys::window().ok_or("no window")?.location();
        let scheme = match location.protocol().as_deref() {
            Ok("https:") => "wss:",
            _ => "ws:",
        };
        let host = location.host().map_err(|_| "no host")?;
        let url = format!("{scheme}//{host}{}", wire::socket_path(share));
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
        Ok(Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends `msg`; false when the socket is not open.
    pub fn send(&self, msg: &ClientMsg) -> bool {
        if self.ws.ready_state() != WebSocket::OPEN {
            return false;
        }
        let bytes = wire::encode(msg);
        self.ws.send_with_u8_array(&bytes).is_ok()
    }

    /// Bytes queued by the browser but not sent yet.
    pub fn buffered(&self) -> u32 {
        self.ws.buffered_amount()
    }

    /// Closes the connection (reported as `Closed` unless the socket is dropped first).
    pub fn close(&self) {
        let _ = self.ws.close();
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
