//! A read-only page of a plan edited together: follows the edits as they are made.

use super::state::PlanContext;
use crate::browser::dom;
use crate::browser::live_socket::{Socket, SocketEvent};
use crate::browser::reconnect::backoff;
use crate::model::ShareId;
use crate::shared::wire::{ClientMsg, ErrorCode, Hello, Retry, ServerMsg, PROTOCOL};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

/// The connection of a read-only page.
#[derive(Clone, Copy)]
pub struct Watch {
    doc: StoredValue<Option<(u64, crate::model::Doc)>>,
    /// When the plan last changed, as this page saw it (Unix ms).
    changed: RwSignal<f64>,
    socket: StoredValue<Option<SendWrapper<Socket>>>,
    attempt: StoredValue<u32>,
    share: StoredValue<ShareId>,
}

impl Watch {
    /// Starts following `share` (browser only: call from an effect); `changed` is set to
    /// the time of each change that arrives.
    pub fn start(ctx: PlanContext, share: ShareId, changed: RwSignal<f64>) {
        let watch = Watch {
            doc: StoredValue::new(None),
            changed,
            socket: StoredValue::new(None),
            attempt: StoredValue::new(0),
            share: StoredValue::new(share),
        };
        watch.connect(ctx);
    }

    /// Opens the connection; its code is in its own chunk (a failed fetch is retried like a
    /// failed connection).
    fn connect(self, ctx: PlanContext) {
        let share = self.share.get_value();
        leptos::task::spawn_local(async move {
            match open_watch(self, ctx, share).await {
                Ok(Ok(socket)) => self.socket.set_value(Some(SendWrapper::new(socket))),
                Ok(Err(_)) | Err(_) => self.retry(ctx),
            }
        });
    }

    fn on_event(self, ctx: PlanContext, event: SocketEvent) {
        match event {
            SocketEvent::Open => {
                let hello = ClientMsg::Hello(Hello {
                    protocol: PROTOCOL,
                    token: None,
                    known: None,
                    replica: (dom::random_seed() as u32).max(1),
                    key: 0,
                    name: "A viewer".into(),
                    owner: None,
                });
                self.socket
                    .with_value(|s| s.as_ref().map(|s| s.send(&hello)));
            }
            SocketEvent::Message(ServerMsg::Welcome { .. }) => self.attempt.set_value(0),
            SocketEvent::Message(ServerMsg::Snapshot { seq, doc }) => {
                ctx.show_plan(doc.plan());
                self.doc.set_value(Some((seq, doc)));
            }
            SocketEvent::Message(ServerMsg::Ops(logged)) => {
                let mut shown = None;
                let mut gap = false;
                self.doc.update_value(|held| match held {
                    Some((seq, doc)) if logged.seq == *seq + 1 => {
                        for op in &logged.ops {
                            doc.apply(op);
                        }
                        *seq = logged.seq;
                        shown = Some(doc.plan());
                    }
                    Some((seq, _)) if logged.seq <= *seq => {}
                    _ => gap = true,
                });
                if let Some(plan) = shown {
                    ctx.show_plan(plan);
                    self.changed.set(js_sys::Date::now());
                }
                if gap {
                    // Missed something: start again from a fresh copy.
                    self.socket.set_value(None);
                    self.retry(ctx);
                }
            }
            SocketEvent::Message(_) => {}
            SocketEvent::Closed { code } => {
                self.socket.set_value(None);
                match ErrorCode::from_close_code(code) {
                    // Editing was turned off or the share is gone: the page keeps what
                    // it shows; a reload tells the rest.
                    Some(e) if e.retry() == Retry::Never => {}
                    _ => self.retry(ctx),
                }
            }
        }
    }

    fn retry(self, ctx: PlanContext) {
        let attempt = self.attempt.get_value();
        self.attempt.set_value(attempt.saturating_add(1));
        set_timeout(move || self.connect(ctx), backoff(attempt));
    }
}

/// A read-only page's connection.
#[wasm_split(watch_client, fallible)]
fn open_watch(
    watch: Watch,
    ctx: PlanContext,
    share: ShareId,
) -> Result<Result<Socket, String>, SplitLoaderError> {
    Ok(Socket::open(&share, move |event| {
        watch.on_event(ctx, event)
    }))
}
