//! Rooms for plans edited together. One room per plan and instance: it holds the plan's
//! document and sequence (kept in step with the store), commits batches in groups (one
//! transaction for whatever arrived while the last commit ran), and fans committed batches,
//! presence and revocations out to its connections.
//!
//! Between instances (PostgreSQL), a commit sends `NOTIFY` with the plan and sequence; every
//! instance listens, reads the batches it has not seen for the rooms it holds, and after
//! its listener reconnects re-reads every room. On SQLite there is one instance and the
//! room's broadcast is all there is.

use super::live_store::{same_hash, EditToken, LiveLoad, Outcome, RoomDoc};
use super::page_cache::PageCache;
use super::shares::{ShareStore, StoreError};
use crate::model::{Batch, Clock};
use crate::shared::wire::{
    self, ClientMsg, ErrorCode, Hello, Peer, Presence, Role, ServerMsg, MAX_OPS_PER_BATCH, PROTOCOL,
};
use crate::shared::ShareId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, oneshot};

pub use super::config::LiveLimits;

/// The PostgreSQL channel instances tell each other on.
pub const NOTIFY_CHANNEL: &str = "syncplan_live";

/// Batches a room commits in one transaction at most.
const GROUP_MAX: usize = 256;

/// How long a peer from another instance stays listed without news from it.
const PEER_TTL: Duration = Duration::from_secs(90);

/// Presence updates a connection may send per second (more are dropped).
const PRESENCE_PER_SECOND: f64 = 20.0;

/// What goes out to a room's connections.
#[derive(Clone, Debug)]
pub enum Event {
    /// A committed batch (sent to connections that had not seen it).
    Logged(u64, Arc<[u8]>),
    /// Someone's presence changed (not sent back to its own connection).
    Presence(u32, Arc<[u8]>),
    /// The edit link changed or the share ended: connections check themselves.
    Revalidate { hash: Option<String>, ended: bool },
    /// The room's document was reloaded: connections send it whole.
    Reloaded,
}

struct Loaded {
    room: RoomDoc,
    edit_hash: Option<String>,
}

struct Core {
    id: ShareId,
    store: Arc<ShareStore>,
    pages: Arc<PageCache>,
    state: tokio::sync::Mutex<Option<Loaded>>,
    events: broadcast::Sender<Event>,
    connections: AtomicUsize,
    /// replica → (peer, last news, on this instance)
    peers: Mutex<HashMap<u32, (Peer, Instant, bool)>>,
    /// The fallback's senders have no connection to keep their rate in.
    fallback_buckets: Mutex<HashMap<u32, Bucket>>,
}

/// A room, held by its connections; the writer task ends when the last one goes.
pub struct Room {
    core: Arc<Core>,
    submit: mpsc::Sender<Submit>,
}

struct Submit {
    hash: String,
    batch: Batch,
    reply: oneshot::Sender<Result<Outcome, ErrorCode>>,
}

/// Every room of this instance.
pub struct Live {
    store: Arc<ShareStore>,
    pages: Arc<PageCache>,
    rooms: Mutex<HashMap<ShareId, Weak<Room>>>,
    pub limits: LiveLimits,
}

/// Why a session could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused(pub ErrorCode);

impl Live {
    pub fn new(store: Arc<ShareStore>, pages: Arc<PageCache>, limits: LiveLimits) -> Arc<Live> {
        let live = Arc::new(Live {
            store,
            pages,
            rooms: Mutex::new(HashMap::new()),
            limits,
        });
        if live.store.is_postgres() {
            tokio::spawn(listen(Arc::downgrade(&live)));
        }
        live
    }

    /// The room of `id`, made when needed.
    pub fn room(&self, id: &ShareId) -> Arc<Room> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(room) = rooms.get(id).and_then(Weak::upgrade) {
            return room;
        }
        rooms.retain(|_, r| r.strong_count() > 0);
        let (events, _) = broadcast::channel(1024);
        let core = Arc::new(Core {
            id: id.clone(),
            store: self.store.clone(),
            pages: self.pages.clone(),
            state: tokio::sync::Mutex::new(None),
            events,
            connections: AtomicUsize::new(0),
            peers: Mutex::new(HashMap::new()),
            fallback_buckets: Mutex::new(HashMap::new()),
        });
        let (submit, queue) = mpsc::channel(4096);
        tokio::spawn(writer(core.clone(), queue));
        let room = Arc::new(Room { core, submit });
        rooms.insert(id.clone(), Arc::downgrade(&room));
        room
    }

    fn existing(&self, id: &ShareId) -> Option<Arc<Room>> {
        self.rooms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .and_then(Weak::upgrade)
    }

    fn all(&self) -> Vec<Arc<Room>> {
        self.rooms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// The edit link of `id` changed or the share ended: this instance's connections
    /// check themselves now (others hear it through the store's notification).
    pub async fn revalidate(&self, id: &ShareId) {
        if let Some(room) = self.existing(id) {
            room.core.revalidate().await;
        }
    }

    /// Live connections to `id` on this instance.
    pub fn connections(&self, id: &ShareId) -> usize {
        self.existing(id)
            .map_or(0, |r| r.core.connections.load(Ordering::Relaxed))
    }

    /// The plan of a live share as it is now (for its page, JSON and exports); `None` when
    /// the share is not live.
    pub async fn current_plan(
        &self,
        id: &ShareId,
    ) -> Result<Option<(crate::model::Plan, u64)>, StoreError> {
        if let Some(room) = self.existing(id) {
            let state = room.core.state.lock().await;
            if let Some(loaded) = state.as_ref() {
                return Ok(Some((loaded.room.doc.plan(), loaded.room.seq)));
            }
        }
        match self.store.load_live(id).await? {
            LiveLoad::Live(live) => Ok(Some((live.doc.plan(), live.seq))),
            _ => Ok(None),
        }
    }
}

impl Core {
    /// Loads the room's document when it has none yet; the lock stays held.
    async fn loaded(&self) -> Result<tokio::sync::MutexGuard<'_, Option<Loaded>>, ErrorCode> {
        let mut state = self.state.lock().await;
        if state.is_none() {
            match self.store.load_live(&self.id).await {
                Ok(LiveLoad::Live(live)) => {
                    *state = Some(Loaded {
                        room: RoomDoc {
                            doc: live.doc,
                            seq: live.seq,
                            clock: Clock::new(0),
                        },
                        edit_hash: live.edit_hash,
                    })
                }
                Ok(LiveLoad::NotLive | LiveLoad::Missing | LiveLoad::Ended) => {
                    return Err(ErrorCode::NotFound)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a live plan could not be loaded");
                    return Err(ErrorCode::Unavailable);
                }
            }
        }
        Ok(state)
    }

    fn send(&self, event: Event) {
        // No receivers is fine: nobody is connected.
        let _ = self.events.send(event);
    }

    /// Reads what other instances logged since this room last looked.
    async fn catch_up(&self) {
        let mut state = self.state.lock().await;
        let Some(loaded) = state.as_mut() else {
            return;
        };
        let seq = loaded.room.seq;
        match self.store.logged_since(&self.id, seq, seq).await {
            Ok(Some(missing)) => {
                for logged in missing {
                    for op in &logged.ops {
                        loaded.room.doc.apply(op);
                    }
                    loaded.room.seq = logged.seq;
                    self.send(Event::Logged(
                        logged.seq,
                        wire::encode(&ServerMsg::Ops(logged)).into(),
                    ));
                }
            }
            Ok(None) => {
                // Too far behind for the log: read the document again.
                *state = None;
                drop(state);
                if self.loaded().await.is_ok() {
                    self.send(Event::Reloaded);
                }
                return;
            }
            Err(e) => tracing::warn!(error = %e, "a live plan could not catch up"),
        }
        self.pages.forget_share(&self.id);
    }

    async fn revalidate(&self) {
        let (hash, ended) = match self.store.load_live(&self.id).await {
            Ok(LiveLoad::Live(live)) => (live.edit_hash, false),
            Ok(_) => (None, true),
            Err(e) => {
                tracing::warn!(error = %e, "an edit link could not be checked");
                return;
            }
        };
        if let Some(loaded) = self.state.lock().await.as_mut() {
            loaded.edit_hash = hash.clone();
        }
        self.pages.forget_share(&self.id);
        self.send(Event::Revalidate { hash, ended });
    }

    fn peers(&self, except: u32) -> Vec<Peer> {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers.retain(|_, (_, at, local)| *local || at.elapsed() < PEER_TTL);
        peers
            .values()
            .filter(|(p, _, _)| p.replica != except)
            .map(|(p, _, _)| p.clone())
            .collect()
    }

    fn set_peer(&self, peer: Peer, local: bool) {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(peer.replica, (peer.clone(), Instant::now(), local));
        self.send(Event::Presence(
            peer.replica,
            wire::encode(&ServerMsg::Presence(peer)).into(),
        ));
    }

    fn remove_peer(&self, replica: u32) {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&replica);
        self.send(Event::Presence(
            replica,
            wire::encode(&ServerMsg::Left { replica }).into(),
        ));
    }
}

/// Commits what connections submit, in groups.
async fn writer(core: Arc<Core>, mut queue: mpsc::Receiver<Submit>) {
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP_MAX {
            match queue.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        // One transaction per edit link (there is one, except just after a rotation).
        let mut by_hash: Vec<(String, Vec<Submit>)> = Vec::new();
        for s in group {
            match by_hash.iter_mut().find(|(h, _)| *h == s.hash) {
                Some((_, list)) => list.push(s),
                None => by_hash.push((s.hash.clone(), vec![s])),
            }
        }
        for (hash, submits) in by_hash {
            commit_group(&core, &hash, submits).await;
        }
    }
}

async fn commit_group(core: &Core, hash: &str, submits: Vec<Submit>) {
    let batches: Vec<Batch> = submits.iter().map(|s| s.batch.clone()).collect();
    let mut result = Err(ErrorCode::Unavailable);
    for attempt in 0..2 {
        let mut state = match core.loaded().await {
            Ok(state) => state,
            Err(code) => {
                result = Err(code);
                break;
            }
        };
        let Some(loaded) = state.as_mut() else {
            break;
        };
        match core
            .store
            .commit(&core.id, hash, &mut loaded.room, &batches)
            .await
        {
            Ok(Some(committed)) => {
                for logged in committed.caught_up {
                    core.send(Event::Logged(
                        logged.seq,
                        wire::encode(&ServerMsg::Ops(logged)).into(),
                    ));
                }
                for outcome in &committed.outcomes {
                    if let Outcome::Logged(logged) = outcome {
                        core.send(Event::Logged(
                            logged.seq,
                            wire::encode(&ServerMsg::Ops(logged.clone())).into(),
                        ));
                    }
                }
                result = Ok(committed.outcomes);
                break;
            }
            Ok(None) => {
                result = Err(ErrorCode::Revoked);
                break;
            }
            Err(StoreError::Internal(e)) if attempt == 0 => {
                // Behind the log (or a damaged read): start again from the store.
                tracing::warn!(error = %e, "reloading a live plan");
                *state = None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "a live batch could not be stored");
                result = Err(ErrorCode::Unavailable);
                break;
            }
        }
    }
    if result.is_ok() {
        core.pages.forget_share(&core.id);
    }
    match result {
        Ok(outcomes) => {
            for (submit, outcome) in submits.into_iter().zip(outcomes) {
                let _ = submit.reply.send(Ok(outcome));
            }
        }
        Err(code) => {
            for submit in submits {
                let _ = submit.reply.send(Err(code));
            }
        }
    }
}

/// Listens for other instances' news (PostgreSQL) and reconnects when the link drops.
async fn listen(live: Weak<Live>) {
    loop {
        let Some(url) = live.upgrade().map(|l| l.store.url().to_owned()) else {
            return;
        };
        let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other instances yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(NOTIFY_CHANNEL).await {
            tracing::warn!(error = %e, "cannot listen for other instances yet");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Whatever happened while not listening: read it now.
        resync(&live).await;
        loop {
            match listener.try_recv().await {
                Ok(Some(note)) => {
                    let Some(live) = live.upgrade() else { return };
                    handle_note(&live, note.payload()).await;
                }
                Ok(None) => {
                    // The connection dropped and is back: notes may have been missed.
                    tracing::info!("the link to other instances was re-established");
                    resync(&live).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the link to other instances failed");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            }
        }
    }
}

async fn resync(live: &Weak<Live>) {
    let Some(live) = live.upgrade() else { return };
    for room in live.all() {
        room.core.catch_up().await;
        room.core.revalidate().await;
    }
}

async fn handle_note(live: &Live, payload: &str) {
    let mut parts = payload.splitn(3, ' ');
    let (Some(kind), Some(id)) = (parts.next(), parts.next()) else {
        return;
    };
    let Some(id) = ShareId::parse(id) else { return };
    let Some(room) = live.existing(&id) else {
        if kind == "ops" {
            live.pages.forget_share(&id);
        }
        return;
    };
    match kind {
        "ops" => room.core.catch_up().await,
        "revoke" => room.core.revalidate().await,
        "presence" => {
            let Some(peer) = parts
                .next()
                .and_then(base64_decode)
                .and_then(|bytes| wire::decode::<Peer>(&bytes))
            else {
                return;
            };
            room.core.set_peer(peer, false);
        }
        "left" => {
            if let Some(replica) = parts.next().and_then(|r| r.parse().ok()) {
                room.core.remove_peer(replica);
            }
        }
        _ => {}
    }
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}

pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token bucket: `rate` per second, up to `burst`.
struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: f64, burst: f64) -> Bucket {
        Bucket {
            tokens: burst,
            rate,
            burst,
            at: Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
    }

    fn take(&mut self, n: f64) -> bool {
        self.refill();
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }
}

/// A connection's way out: messages, and a close with a code.
pub trait Outbox: Send {
    fn send(&mut self, bytes: Arc<[u8]>) -> impl std::future::Future<Output = bool> + Send;
    fn close(&mut self, code: ErrorCode) -> impl std::future::Future<Output = ()> + Send;
}

/// An accepted session: who it is and where it starts.
pub struct Session {
    room: Arc<Room>,
    role: Role,
    /// The edit link hash it was let in with (editors).
    hash: Option<String>,
    replica: u32,
    name: String,
    /// The last sequence it was sent.
    seq: u64,
    events: broadcast::Receiver<Event>,
    ops: Bucket,
    presence: Bucket,
    /// Acknowledgements coming back from the writer.
    acks: mpsc::Sender<ServerMsg>,
    acks_rx: mpsc::Receiver<ServerMsg>,
}

fn clean_name(name: &str) -> String {
    let name = crate::model::clean_text(name, 40);
    let name = name.replace(['\n', '\t'], " ");
    let name = name.trim();
    if name.is_empty() {
        "Someone".to_owned()
    } else {
        name.to_owned()
    }
}

impl Live {
    /// Checks a `Hello` and opens a session: its welcome, and the document or the batches
    /// it is missing, are sent on `out`.
    pub async fn open(
        &self,
        id: &ShareId,
        hello: Hello,
        out: &mut impl Outbox,
    ) -> Result<Session, Refused> {
        if hello.protocol != PROTOCOL {
            return Err(Refused(ErrorCode::Protocol));
        }
        let room = self.room(id);
        let core = &room.core;
        let before = core.connections.fetch_add(1, Ordering::Relaxed);
        let guard = ConnGuard(Some(core.clone()));
        if before >= self.limits.connections_per_plan {
            return Err(Refused(ErrorCode::TooManyConnections));
        }
        // Subscribed before reading the state: nothing committed in between is missed.
        let events = core.events.subscribe();
        let (role, hash, seq, first) = {
            let state = core.loaded().await.map_err(Refused)?;
            let Some(loaded) = state.as_ref() else {
                return Err(Refused(ErrorCode::Unavailable));
            };
            let (role, hash) = match &hello.token {
                None => (Role::Viewer, None),
                Some(token) => {
                    let given = EditToken::hash_of(token);
                    match &loaded.edit_hash {
                        Some(current) if same_hash(current, &given) => (Role::Editor, Some(given)),
                        _ => return Err(Refused(ErrorCode::Forbidden)),
                    }
                }
            };
            let seq = loaded.room.seq;
            // A browser with no copy, or one from before this document: the whole of it.
            let first = match hello.known {
                Some(known) if known <= seq => None,
                _ => Some(ServerMsg::Snapshot {
                    seq,
                    doc: loaded.room.doc.clone(),
                }),
            };
            (role, hash, seq, first)
        };
        let replica = hello.replica;
        let name = clean_name(&hello.name);
        let welcome = ServerMsg::Welcome {
            seq,
            role: role.clone(),
            now_ms: super::shares::now_ms().max(0) as u64,
            peers: core.peers(replica),
        };
        if !out.send(wire::encode(&welcome).into()).await {
            return Err(Refused(ErrorCode::Unavailable));
        }
        match first {
            Some(snapshot) => {
                if !out.send(wire::encode(&snapshot).into()).await {
                    return Err(Refused(ErrorCode::Unavailable));
                }
            }
            None => {
                let known = hello.known.unwrap_or(0);
                match self.store.logged_since(id, known, seq).await {
                    Ok(Some(list)) => {
                        for logged in list.into_iter().filter(|l| l.seq <= seq) {
                            if !out.send(wire::encode(&ServerMsg::Ops(logged)).into()).await {
                                return Err(Refused(ErrorCode::Unavailable));
                            }
                        }
                    }
                    Ok(None) => {
                        let state = core.loaded().await.map_err(Refused)?;
                        let Some(loaded) = state.as_ref() else {
                            return Err(Refused(ErrorCode::Unavailable));
                        };
                        let snapshot = ServerMsg::Snapshot {
                            seq: loaded.room.seq,
                            doc: loaded.room.doc.clone(),
                        };
                        drop(state);
                        if !out.send(wire::encode(&snapshot).into()).await {
                            return Err(Refused(ErrorCode::Unavailable));
                        }
                    }
                    Err(_) => return Err(Refused(ErrorCode::Unavailable)),
                }
            }
        }
        guard.keep();
        let peer = Peer {
            replica,
            name: name.clone(),
            colour: wire::colour_of(replica),
            cell: None,
            role: role.clone(),
        };
        core.set_peer(peer.clone(), true);
        self.tell_others_presence(id, &peer).await;
        let (acks, acks_rx) = mpsc::channel(256);
        Ok(Session {
            room,
            role,
            hash,
            replica,
            name,
            seq,
            events,
            ops: Bucket::new(
                f64::from(self.limits.ops_per_second),
                f64::from(self.limits.ops_burst),
            ),
            presence: Bucket::new(PRESENCE_PER_SECOND, PRESENCE_PER_SECOND),
            acks,
            acks_rx,
        })
    }

    async fn tell_others_presence(&self, id: &ShareId, peer: &Peer) {
        if self.store.is_postgres() {
            let note = format!("presence {id} {}", base64_encode(&wire::encode(peer)));
            if let Err(e) = self.store.announce(&note).await {
                tracing::debug!(error = %e, "presence was not shared with other instances");
            }
        }
    }

    /// Handles one message of a session. `Err`: close the connection with that code.
    pub async fn handle(
        &self,
        session: &mut Session,
        msg: ClientMsg,
        out: &mut impl Outbox,
    ) -> Result<(), ErrorCode> {
        match msg {
            ClientMsg::Hello(_) => Err(ErrorCode::BadMessage),
            ClientMsg::Ping(n) => {
                if !out.send(wire::encode(&ServerMsg::Pong(n)).into()).await {
                    return Err(ErrorCode::Unavailable);
                }
                Ok(())
            }
            ClientMsg::Presence(p) => {
                if session.presence.take(1.0) {
                    self.presence(session, p).await;
                }
                Ok(())
            }
            ClientMsg::Ops(batch) => {
                if let Some(reply) = self.submit(session, batch).await? {
                    let acks = session.acks.clone();
                    tokio::spawn(async move {
                        if let Ok(msg) = reply.await {
                            let _ = acks.send(msg).await;
                        }
                    });
                }
                Ok(())
            }
        }
    }

    async fn presence(&self, session: &mut Session, p: Presence) {
        let name = clean_name(&p.name);
        session.name = name.clone();
        let cell = p
            .cell
            .filter(|(row, _)| crate::model::is_valid_row_id(row.as_str()));
        let peer = Peer {
            replica: session.replica,
            name,
            colour: wire::colour_of(session.replica),
            cell,
            role: session.role.clone(),
        };
        session.room.core.set_peer(peer.clone(), true);
        self.tell_others_presence(&session.room.core.id, &peer)
            .await;
    }

    /// Checks a batch and queues it for the writer. `Ok(None)`: answered already (an error
    /// that keeps the connection). The receiver yields the acknowledgement or error.
    async fn submit(
        &self,
        session: &mut Session,
        batch: Batch,
    ) -> Result<Option<oneshot::Receiver<ServerMsg>>, ErrorCode> {
        let id = batch.id;
        let refuse = |code: ErrorCode| {
            let (tx, rx) = oneshot::channel();
            let _ = tx.send(ServerMsg::Error {
                code,
                batch: Some(id),
                message: code.explain().to_owned(),
            });
            Ok(Some(rx))
        };
        let Some(hash) = session
            .hash
            .clone()
            .filter(|_| session.role == Role::Editor)
        else {
            return refuse(ErrorCode::ReadOnly);
        };
        if batch.ops.is_empty() || batch.ops.len() > MAX_OPS_PER_BATCH {
            return Err(ErrorCode::BadMessage);
        }
        if !session.ops.take(batch.ops.len() as f64) {
            return Err(ErrorCode::TooFast);
        }
        let mut ops = Vec::with_capacity(batch.ops.len());
        for op in batch.ops {
            ops.push(op.checked().ok_or(ErrorCode::BadMessage)?);
        }
        let (reply, outcome) = oneshot::channel();
        let submit = Submit {
            hash,
            batch: Batch { id, ops },
            reply,
        };
        if session.room.submit.send(submit).await.is_err() {
            return Err(ErrorCode::Unavailable);
        }
        let (tx, rx) = oneshot::channel();
        tokio::spawn(async move {
            let msg = match outcome.await {
                Ok(Ok(Outcome::Logged(logged))) => ServerMsg::Ack {
                    batch: id,
                    seq: logged.seq,
                },
                Ok(Ok(Outcome::Duplicate(seq))) => ServerMsg::Ack { batch: id, seq },
                Ok(Ok(Outcome::Refused(code))) | Ok(Err(code)) => ServerMsg::Error {
                    code,
                    batch: Some(id),
                    message: code.explain().to_owned(),
                },
                Err(_) => ServerMsg::Error {
                    code: ErrorCode::Unavailable,
                    batch: Some(id),
                    message: ErrorCode::Unavailable.explain().to_owned(),
                },
            };
            let _ = tx.send(msg);
        });
        Ok(Some(rx))
    }

    /// Submits one batch outside a session (the fallback's `POST`) and waits for the
    /// answer.
    pub async fn submit_once(
        &self,
        id: &ShareId,
        token: &str,
        batch: Batch,
        bucket_key: u32,
    ) -> ServerMsg {
        let room = self.room(id);
        let hash = {
            let state = match room.core.loaded().await {
                Ok(state) => state,
                Err(code) => return error_msg(code, Some(batch.id)),
            };
            let given = EditToken::hash_of(token);
            match state.as_ref().and_then(|l| l.edit_hash.clone()) {
                Some(current) if same_hash(&current, &given) => given,
                _ => return error_msg(ErrorCode::Forbidden, Some(batch.id)),
            }
        };
        let (events, _) = (room.core.events.subscribe(), ());
        let (acks, acks_rx) = mpsc::channel(1);
        let mut session = Session {
            room: room.clone(),
            role: Role::Editor,
            hash: Some(hash),
            replica: bucket_key,
            name: String::new(),
            seq: 0,
            events,
            ops: self.fallback_bucket(&room, bucket_key),
            presence: Bucket::new(PRESENCE_PER_SECOND, PRESENCE_PER_SECOND),
            acks,
            acks_rx,
        };
        let batch_id = batch.id;
        let result = self.submit(&mut session, batch).await;
        self.keep_fallback_bucket(&room, bucket_key, session.ops);
        match result {
            Ok(Some(rx)) => rx
                .await
                .unwrap_or_else(|_| error_msg(ErrorCode::Unavailable, Some(batch_id))),
            Ok(None) => error_msg(ErrorCode::Unavailable, Some(batch_id)),
            Err(code) => error_msg(code, Some(batch_id)),
        }
    }

    /// Presence sent outside a session (the fallback's `POST`).
    pub async fn presence_once(
        &self,
        id: &ShareId,
        token: Option<&str>,
        replica: u32,
        p: Presence,
    ) -> ServerMsg {
        let room = self.room(id);
        let role = {
            let state = match room.core.loaded().await {
                Ok(state) => state,
                Err(code) => return error_msg(code, None),
            };
            match token {
                None => Role::Viewer,
                Some(token) => {
                    let given = EditToken::hash_of(token);
                    match state.as_ref().and_then(|l| l.edit_hash.clone()) {
                        Some(current) if same_hash(&current, &given) => Role::Editor,
                        _ => return error_msg(ErrorCode::Forbidden, None),
                    }
                }
            }
        };
        let peer = Peer {
            replica,
            name: clean_name(&p.name),
            colour: wire::colour_of(replica),
            cell: p
                .cell
                .filter(|(row, _)| crate::model::is_valid_row_id(row.as_str())),
            role,
        };
        room.core.set_peer(peer.clone(), true);
        self.tell_others_presence(id, &peer).await;
        ServerMsg::Pong(0)
    }

    fn fallback_bucket(&self, room: &Room, key: u32) -> Bucket {
        room.core
            .fallback_buckets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key)
            .unwrap_or_else(|| {
                Bucket::new(
                    f64::from(self.limits.ops_per_second),
                    f64::from(self.limits.ops_burst),
                )
            })
    }

    fn keep_fallback_bucket(&self, room: &Room, key: u32, bucket: Bucket) {
        let mut buckets = room
            .core
            .fallback_buckets
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // Full buckets carry no information: forget them, so the map stays small.
        buckets.retain(|_, b| {
            b.refill();
            b.tokens < b.burst
        });
        if buckets.len() < 10_000 {
            buckets.insert(key, bucket);
        }
    }

    /// Runs a session until the connection ends or must be closed: room events go out,
    /// `incoming` messages are handled. Returns the close code, if one is due.
    pub async fn run<I>(
        &self,
        mut session: Session,
        out: &mut impl Outbox,
        mut incoming: I,
    ) -> Option<ErrorCode>
    where
        I: futures_util::Stream<Item = Result<ClientMsg, ErrorCode>> + Unpin + Send,
    {
        use futures_util::StreamExt as _;
        let result = loop {
            tokio::select! {
                msg = incoming.next() => match msg {
                    None => break None,
                    Some(Err(code)) => break Some(code),
                    Some(Ok(msg)) => {
                        if let Err(code) = self.handle(&mut session, msg, out).await {
                            break Some(code);
                        }
                    }
                },
                ack = session.acks_rx.recv() => {
                    if let Some(msg) = ack {
                        let fatal = match &msg {
                            ServerMsg::Error { code, .. } if code.close_code().is_some() => Some(*code),
                            _ => None,
                        };
                        if !out.send(wire::encode(&msg).into()).await {
                            break None;
                        }
                        if fatal.is_some() {
                            break fatal;
                        }
                    }
                }
                event = session.events.recv() => match event {
                    Ok(event) => match self.deliver(&mut session, event, out).await {
                        Ok(true) => {}
                        Ok(false) => break None,
                        Err(code) => break Some(code),
                    },
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow to keep up: send the whole document again.
                        if !self.resend(&mut session, out).await {
                            break None;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break None,
                },
            }
        };
        if let Some(code) = result {
            let _ = out
                .send(
                    wire::encode(&ServerMsg::Error {
                        code,
                        batch: None,
                        message: code.explain().to_owned(),
                    })
                    .into(),
                )
                .await;
            out.close(code).await;
        }
        self.end(session).await;
        result
    }

    /// Sends a session what an event means for it. `Ok(false)`: the connection is gone.
    async fn deliver(
        &self,
        session: &mut Session,
        event: Event,
        out: &mut impl Outbox,
    ) -> Result<bool, ErrorCode> {
        match event {
            Event::Logged(seq, bytes) => {
                if seq <= session.seq {
                    return Ok(true);
                }
                session.seq = seq;
                Ok(out.send(bytes).await)
            }
            Event::Presence(replica, bytes) => {
                if replica == session.replica {
                    return Ok(true);
                }
                Ok(out.send(bytes).await)
            }
            Event::Revalidate { hash, ended } => {
                if ended {
                    return Err(ErrorCode::NotFound);
                }
                if let Some(mine) = &session.hash {
                    let still = hash.as_deref().is_some_and(|h| same_hash(h, mine));
                    if !still {
                        return Err(ErrorCode::Revoked);
                    }
                }
                Ok(true)
            }
            Event::Reloaded => Ok(self.resend(session, out).await),
        }
    }

    async fn resend(&self, session: &mut Session, out: &mut impl Outbox) -> bool {
        let snapshot = {
            let state = session.room.core.state.lock().await;
            let Some(loaded) = state.as_ref() else {
                return false;
            };
            session.seq = loaded.room.seq;
            ServerMsg::Snapshot {
                seq: loaded.room.seq,
                doc: loaded.room.doc.clone(),
            }
        };
        out.send(wire::encode(&snapshot).into()).await
    }

    async fn end(&self, session: Session) {
        let core = session.room.core.clone();
        core.connections.fetch_sub(1, Ordering::Relaxed);
        core.remove_peer(session.replica);
        if self.store.is_postgres() {
            let note = format!("left {} {}", core.id, session.replica);
            let _ = self.store.announce(&note).await;
        }
    }
}

fn error_msg(code: ErrorCode, batch: Option<u64>) -> ServerMsg {
    ServerMsg::Error {
        code,
        batch,
        message: code.explain().to_owned(),
    }
}

/// Gives a connection's place in its room back if the session never started.
struct ConnGuard(Option<Arc<Core>>);

impl ConnGuard {
    /// The session started: its end gives the place back.
    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        if let Some(core) = self.0.take() {
            core.connections.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_at_their_rate() {
        let mut b = Bucket::new(10.0, 5.0);
        assert!(b.take(5.0));
        assert!(!b.take(1.0));
        b.at -= Duration::from_millis(200);
        assert!(b.take(2.0));
    }

    #[test]
    fn names_are_short_plain_text() {
        assert_eq!(clean_name("  "), "Someone");
        assert_eq!(clean_name("Ana\nB"), "Ana B");
        assert_eq!(clean_name(&"x".repeat(100)).chars().count(), 40);
    }
}
