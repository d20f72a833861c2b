//! The sync client: keeps the open plan, when it is edited together, connected to the
//! server. It sends this tab's writes in batches, resends what was not acknowledged after
//! a reconnect (the server applies a batch once), applies everyone else's writes cell by
//! cell, and shares where the user is. Offline, edits queue in the stored workspace and
//! go out when the connection returns.

use super::state::{Notice, PlanContext};
use crate::browser::dom;
use crate::browser::live_socket::{Socket, SocketEvent};
use crate::browser::reconnect::{backoff, gone_silent, use_fallback, PING_EVERY};
use crate::model::{
    clean_text, Change, EditToken, Field, NotKept, PlanId, Remote, RowId, ShareId, MAX_TITLE_CHARS,
};
use crate::shared::live_client::{Conn, Effect, Joining};
use crate::shared::wire::{ClientMsg, ErrorCode, Peer, Presence, Retry, ServerMsg};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::time::Duration;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

mod overridden;
mod plan;
mod presence;

/// How long typing gathers before a batch is sent.
const BATCH_DELAY: Duration = Duration::from_millis(40);
/// Where the display name is remembered.
const NAME_KEY: &str = "syncplan.name";
/// This browser's guest number (see `guest_label`).
const GUEST_KEY: &str = "syncplan.guest";

/// The connection, as the save indicator tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// The open plan is not edited together.
    Off,
    Connecting,
    Online,
    /// No connection; edits are kept here and sent later.
    Offline,
}

#[derive(Default)]
struct Inner {
    /// Only ever set in the browser (the server renders without one).
    socket: Option<SendWrapper<Socket>>,
    /// The plan the socket serves, and the secret it used.
    plan: Option<PlanId>,
    token: Option<EditToken>,
    joining: Option<Joining>,
    /// Failed connection attempts in a row.
    attempt: u32,
    retry: Option<TimeoutHandle>,
    flush_scheduled: bool,
    last_heard_ms: f64,
    ping: u32,
    started: bool,
    /// The cell this tab is in (shared as presence).
    cell: Option<(RowId, Field)>,
    /// The protocol's state of the current connection.
    conn: Conn,
    /// WebSockets that ended before a welcome, in a row; after two, this page uses the
    /// fallback (Server-Sent Events and `POST`).
    ws_failures: u32,
    fallback: bool,
    /// Counts disconnects: a connection that finishes opening after one is dropped.
    opening: u32,
    /// Whether a connection is opening (its code may still be on its way).
    pending: bool,
}

#[derive(Clone, Copy)]
pub struct LiveSync {
    inner: StoredValue<Inner>,
    pub link: RwSignal<Link>,
    /// Everyone else here (this tab left out).
    pub peers: RwSignal<Vec<Peer>>,
    /// This tab's writes the server has not acknowledged.
    pub waiting: RwSignal<usize>,
    /// The display name others see.
    pub name: RwSignal<String>,
    /// Whether the open plan is edited together.
    pub shared: RwSignal<bool>,
    /// The owner's display name, as the server last told it ("" when not known yet).
    pub owner: RwSignal<String>,
    /// Counts plans joined through an edit link in this page (the welcome opens on each).
    pub joined: RwSignal<u32>,
}

/// The sync client, provided by the editor page: it follows the open plan (`switched`) and
/// sends this tab's changes (`edited`).
pub fn provide_live(ctx: PlanContext) -> LiveSync {
    let live = LiveSync::new();
    leptos::prelude::Effect::new(move |first: Option<()>| {
        ctx.edited.track();
        if first.is_some() {
            live.local_change(ctx);
        }
    });
    leptos::prelude::Effect::new(move |first: Option<()>| {
        ctx.switched.track();
        if first.is_some() {
            live.follow(ctx);
        }
    });
    provide_context(live);
    live
}

pub fn use_live() -> LiveSync {
    expect_context::<LiveSync>()
}

impl LiveSync {
    fn new() -> LiveSync {
        LiveSync {
            inner: StoredValue::new(Inner::default()),
            link: RwSignal::new(Link::Off),
            peers: RwSignal::new(Vec::new()),
            waiting: RwSignal::new(0),
            name: RwSignal::new(String::new()),
            shared: RwSignal::new(false),
            owner: RwSignal::new(String::new()),
            joined: RwSignal::new(0),
        }
    }

    /// Starts following the open plan (after the stored workspace was read). With an edit
    /// link in the address (`/e/{share}#secret`), joins that plan first.
    pub fn start(&self, ctx: PlanContext) {
        let name = dom::local_get(NAME_KEY).unwrap_or_default();
        self.name.set(name);
        self.inner.update_value(|i| i.started = true);
        if let Some((share, token)) = edit_link_in_address() {
            // The secret leaves the address bar (and the history) at once.
            dom::replace_url("/");
            let known = ctx.with_session(|s| {
                s.workspace()
                    .plans
                    .iter()
                    .find(|e| e.live.as_ref().is_some_and(|l| l.share == share))
                    .map(|e| e.id.clone())
            });
            match known {
                // Already here: a new secret, perhaps; open it.
                Some(id) => {
                    ctx.update_session(|s| s.set_live_token(&id, token));
                    ctx.switch_plan(&id);
                }
                None => {
                    self.inner
                        .update_value(|i| i.joining = Some(Joining { share, token }));
                    ctx.notice.set(Some(Notice {
                        text: "Joining the shared plan…".into(),
                        backup: None,
                        cell: None,
                    }));
                }
            }
        } else if dom::path().starts_with(crate::shared::paths::EDIT_PREFIX) {
            let text = if dom::hash().trim_start_matches('#').trim().is_empty() {
                "This edit link is incomplete: its secret part (after #) is missing. \
                 Copy the whole link from the message you received."
            } else {
                "This edit link is damaged: the part after /e/ is not the name of a plan. \
                 Copy the whole link from the message you received."
            };
            dom::replace_url("/");
            ctx.notice.set(Some(Notice {
                text: text.into(),
                backup: None,
                cell: None,
            }));
        }
        let this = *self;
        dom::on_window("online", move || this.reconnect_now(ctx));
        dom::on_window("offline", move || this.went_offline(ctx));
        // Runs as long as the page.
        let _ = set_interval_with_handle(move || this.tick(ctx), PING_EVERY);
        self.follow(ctx);
    }

    /// Connects to the open plan if it is edited together (and away from any other).
    pub fn follow(&self, ctx: PlanContext) {
        if !self.inner.with_value(|i| i.started) {
            return;
        }
        let active = ctx.active();
        let joining = self.inner.with_value(|i| i.joining.clone());
        let live =
            ctx.with_session(|s| s.live(&active).map(|l| (l.share.clone(), l.token.clone())));
        let target = match (&joining, live) {
            (Some(j), _) => Some((None, j.share.clone(), j.token.clone())),
            (None, Some((share, token))) => Some((Some(active.clone()), share, token)),
            (None, None) => None,
        };
        self.shared.set(target.is_some());
        self.update_waiting(ctx);
        let Some((plan, share, token)) = target else {
            self.disconnect();
            self.link.set(Link::Off);
            self.owner.set(String::new());
            return;
        };
        let same = self.inner.with_value(|i| {
            (i.socket.is_some() || i.pending) && i.plan == plan && i.token.as_ref() == Some(&token)
        });
        if !same {
            self.connect(ctx, plan, &share, token);
        }
    }

    fn disconnect(&self) {
        self.inner.update_value(|i| {
            i.socket = None;
            // A connection still opening is given up too.
            i.opening = i.opening.wrapping_add(1);
            i.pending = false;
            i.plan = None;
            if let Some(t) = i.retry.take() {
                t.clear();
            }
        });
        self.peers.set(Vec::new());
    }

    /// Opens a connection for `plan`. The connection's code (the socket, the protocol's
    /// decoding, applying everyone else's writes) is in its own chunk, fetched the first time
    /// a plan edited together is open: until then this says "Connecting"; if the chunk
    /// cannot be fetched, "Offline", and it tries again like any failed connection.
    fn connect(&self, ctx: PlanContext, plan: Option<PlanId>, share: &ShareId, token: EditToken) {
        self.disconnect();
        let attempt = self.inner.with_value(|i| i.opening);
        let fallback = self.inner.with_value(|i| i.fallback);
        self.inner.update_value(|i| {
            i.conn = Conn::new(plan.clone(), i.joining.clone());
            i.plan = plan;
            i.token = Some(token);
            i.pending = true;
        });
        self.link.set(Link::Connecting);
        let this = *self;
        let share = share.clone();
        leptos::task::spawn_local(async move {
            let opened = open_socket(this, ctx, share, fallback).await;
            // Disconnected, or connected elsewhere, meanwhile: dropping the socket closes it.
            if this.inner.try_with_value(|i| i.opening) != Some(attempt) {
                return;
            }
            this.inner.update_value(|i| i.pending = false);
            match opened {
                Ok(Ok(socket)) => this.inner.update_value(|i| {
                    i.socket = Some(SendWrapper::new(socket));
                    i.last_heard_ms = dom::now_ms();
                }),
                Ok(Err(_)) => this.retry_later(ctx),
                Err(_) => {
                    this.link.set(Link::Offline);
                    this.retry_later(ctx);
                }
            }
        });
    }

    fn send(&self, msg: &ClientMsg) -> bool {
        self.inner
            .with_value(|i| i.socket.as_ref().is_some_and(|s| s.send(msg)))
    }

    fn on_event(&self, ctx: PlanContext, event: SocketEvent) {
        self.inner.update_value(|i| i.last_heard_ms = dom::now_ms());
        match event {
            SocketEvent::Open => {
                let Some(token) = self.inner.with_value(|i| i.token.clone()) else {
                    return;
                };
                let name = self.shown_name();
                let hello = self
                    .inner
                    .with_value(|i| ctx.with_session(|s| i.conn.hello(s, token, name)));
                self.send(&hello);
            }
            SocketEvent::Message(msg) => self.on_message(ctx, msg),
            SocketEvent::Closed { code } => self.on_closed(ctx, code),
        }
    }

    fn on_message(&self, ctx: PlanContext, msg: ServerMsg) {
        let mut conn = self.inner.with_value(|i| i.conn.clone());
        let effects = ctx.update_session(|s| conn.on_message(s, msg));
        self.inner.update_value(|i| i.conn = conn);
        let mut sent = false;
        for effect in effects {
            match effect {
                Effect::Send(msg) => {
                    sent |= matches!(msg, ClientMsg::Ops(_));
                    self.send(&msg);
                }
                Effect::Show(remote) => self.after_remote(ctx, remote),
                Effect::Welcomed { peers, owner } => {
                    let online = peers.iter().find(|p| p.owner).map(|p| p.name.clone());
                    self.owner.set(online.unwrap_or(owner));
                    self.peers.set(peers);
                    self.inner.update_value(|i| {
                        i.attempt = 0;
                        i.ws_failures = 0;
                    });
                    self.link.set(Link::Online);
                    self.send_presence();
                }
                Effect::Joined(id) => {
                    self.inner.update_value(|i| {
                        i.joining = None;
                        i.plan = Some(id.clone());
                    });
                    ctx.notice.set(None);
                    ctx.switch_plan(&id);
                    ctx.announce(format!(
                        "You joined \"{}\". Everyone with the edit link sees your changes as you make them.",
                        ctx.title.get_untracked()
                    ));
                    self.joined.update(|n| *n += 1);
                }
                Effect::NotKept(not_kept) => {
                    if let Some(plan) = self.inner.with_value(|i| i.plan.clone()) {
                        ctx.keep_not_kept(&plan, not_kept);
                    }
                }
                Effect::Overridden(lost) => self.report_overridden(ctx, lost),
                Effect::Presence(peer) => {
                    if peer.owner && self.owner.get_untracked() != peer.name {
                        self.owner.set(peer.name.clone());
                    }
                    self.peers.update(|peers| {
                        match peers.iter_mut().find(|p| p.replica == peer.replica) {
                            Some(p) => *p = peer,
                            None => peers.push(peer),
                        }
                    })
                }
                Effect::Left(replica) => self
                    .peers
                    .update(|peers| peers.retain(|p| p.replica != replica)),
                Effect::Notice(text) => ctx.notice.set(Some(Notice {
                    text,
                    backup: None,
                    cell: None,
                })),
            }
        }
        if sent {
            ctx.stored.notify();
        }
        self.update_waiting(ctx);
    }

    fn on_closed(&self, ctx: PlanContext, code: u16) {
        let blocked = ErrorCode::from_close_code(code).is_none()
            && self.inner.with_value(|i| {
                !i.conn.welcomed && i.socket.as_ref().is_some_and(|s| !s.is_fallback())
            });
        self.inner.update_value(|i| {
            i.socket = None;
            i.conn.closed();
            if blocked && dom::online() {
                // A WebSocket that never got as far as a welcome, twice: something on the
                // way blocks WebSockets. The same messages go over the fallback.
                i.ws_failures += 1;
                if use_fallback(i.ws_failures) {
                    i.fallback = true;
                    i.attempt = 0;
                }
            }
        });
        self.peers.set(Vec::new());
        let error = ErrorCode::from_close_code(code);
        let (plan, token, joining) = self
            .inner
            .with_value(|i| (i.plan.clone(), i.token.clone(), i.joining.clone()));
        if error.map(ErrorCode::retry) == Some(Retry::Never) {
            let error = error.unwrap_or(ErrorCode::Forbidden);
            // The owner gave this tab a new secret meanwhile: connect with it.
            let current = plan
                .as_ref()
                .and_then(|p| ctx.with_session(|s| s.live(p).map(|l| l.token.clone())));
            if current.is_some_and(|t| Some(t) != token) {
                self.follow(ctx);
                return;
            }
            self.link.set(Link::Off);
            self.shared.set(false);
            if joining.is_some() {
                self.inner.update_value(|i| i.joining = None);
                ctx.notice.set(Some(Notice {
                    text: match error {
                        ErrorCode::Revoked | ErrorCode::Forbidden => {
                            "This edit link no longer works: the owner turned editing off or \
                             replaced the link. Ask them for the current one."
                                .into()
                        }
                        other => other.explain().to_owned(),
                    },
                    backup: None,
                    cell: None,
                }));
                return;
            }
            if let Some(plan) = plan {
                ctx.end_live(&plan, error.explain());
            }
            self.inner.update_value(|i| i.plan = None);
            return;
        }
        if error == Some(ErrorCode::Protocol) {
            ctx.notice.set(Some(Notice {
                text: ErrorCode::Protocol.explain().into(),
                backup: None,
                cell: None,
            }));
        }
        self.link.set(Link::Offline);
        self.retry_later(ctx);
    }

    fn retry_later(&self, ctx: PlanContext) {
        let delay = backoff(self.inner.with_value(|i| i.attempt));
        let this = *self;
        let handle = set_timeout_with_handle(
            move || {
                this.inner.update_value(|i| i.retry = None);
                this.follow(ctx);
            },
            delay,
        )
        .ok();
        self.inner.update_value(|i| {
            i.attempt = i.attempt.saturating_add(1);
            if let Some(old) = std::mem::replace(&mut i.retry, handle) {
                old.clear();
            }
        });
    }

    /// The network came back: try at once rather than after the backoff.
    fn reconnect_now(&self, ctx: PlanContext) {
        if self.link.get_untracked() == Link::Offline {
            self.inner.update_value(|i| {
                i.attempt = 0;
                if let Some(t) = i.retry.take() {
                    t.clear();
                }
            });
            self.follow(ctx);
        }
    }

    /// The browser says the network is gone: stop waiting for the socket to notice.
    fn went_offline(&self, ctx: PlanContext) {
        if self.inner.with_value(|i| i.socket.is_none()) {
            return;
        }
        self.drop_connection(ctx);
    }

    /// Gives up on the connection (dropping it closes it, unreported), says "Offline" and
    /// tries again after the backoff.
    fn drop_connection(&self, ctx: PlanContext) {
        self.inner.update_value(|i| i.socket = None);
        self.peers.set(Vec::new());
        self.link.set(Link::Offline);
        self.retry_later(ctx);
    }

    /// Every few seconds: ping, and give up on a connection that went silent.
    fn tick(&self, ctx: PlanContext) {
        if self.link.get_untracked() != Link::Online {
            return;
        }
        let silent = dom::now_ms() - self.inner.with_value(|i| i.last_heard_ms);
        if gone_silent(silent) {
            self.drop_connection(ctx);
            return;
        }
        let n = self.inner.with_value(|i| i.ping.wrapping_add(1));
        self.inner.update_value(|i| i.ping = n);
        self.send(&ClientMsg::Ping(n));
    }

    /// This tab changed the open plan: send the change soon (it is queued meanwhile).
    pub fn local_change(&self, ctx: PlanContext) {
        self.update_waiting(ctx);
        let plan = self
            .inner
            .with_value(|i| (!i.flush_scheduled).then(|| i.plan.clone()).flatten());
        let Some(plan) = plan else {
            return;
        };
        // Nothing in flight: send at the end of this task. A batch awaiting its
        // acknowledgement: gather typing for a moment, so a burst of keys is one batch.
        let in_flight = ctx.with_session(|s| s.in_flight(&plan));
        self.inner.update_value(|i| i.flush_scheduled = true);
        let this = *self;
        set_timeout(
            move || {
                this.inner.update_value(|i| i.flush_scheduled = false);
                this.flush(ctx);
            },
            if in_flight {
                BATCH_DELAY
            } else {
                Duration::ZERO
            },
        );
    }

    /// Sends this tab's unsent writes (when connected).
    fn flush(&self, ctx: PlanContext) {
        if self.link.get_untracked() != Link::Online {
            return;
        }
        let conn = self.inner.with_value(|i| i.conn.clone());
        let batches = ctx.update_session(|s| conn.outgoing(s));
        let sent = !batches.is_empty();
        for msg in batches {
            if !self.send(&msg) {
                break;
            }
        }
        if sent {
            ctx.stored.notify();
        }
        self.update_waiting(ctx);
    }

    fn update_waiting(&self, ctx: PlanContext) {
        let active = ctx.active();
        let n = ctx.with_session(|s| s.waiting(&active));
        if self.waiting.get_untracked() != n {
            self.waiting.set(n);
        }
    }
}

/// The editor's connection: the socket, with what handles each event.
#[wasm_split(live_client, fallible)]
fn open_socket(
    this: LiveSync,
    ctx: PlanContext,
    share: ShareId,
    fallback: bool,
) -> Result<Result<Socket, String>, SplitLoaderError> {
    let on_event = move |event| this.on_event(ctx, event);
    Ok(if fallback {
        Ok(Socket::open_fallback(&share, on_event))
    } else {
        Socket::open(&share, on_event)
    })
}

/// `/e/{share}#{secret}`, when that is this page's address (and its id can name a share).
fn edit_link_in_address() -> Option<(ShareId, EditToken)> {
    let path = dom::path();
    let crate::shared::paths::Route::EditLink(share) = crate::shared::paths::Route::of(&path)
    else {
        return None;
    };
    let share = ShareId::parse(share)?;
    let token = EditToken::new(dom::hash().trim_start_matches('#'));
    (!token.as_str().is_empty()).then_some((share, token))
}
