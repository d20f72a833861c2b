//! Rooms for plans edited together. One room per plan and instance: it holds the plan's
//! document and sequence (kept in step with the store), commits batches in groups (one
//! transaction for whatever arrived while the last commit ran; the accept rule decides each
//! batch inside it), and fans committed batches, presence and revocations out to its
//! connections.
//!
//! Every connection hears every batch after the one it holds, in order, or the whole
//! document: a room that finds itself behind the op log (or reloads for any reason) sends
//! its connections the document it read, and a connection that falls behind its room's
//! events is sent the document too. Nobody is left showing "Synced" while missing a batch.
//!
//! Between instances (PostgreSQL), a commit sends a note (`notify::Note`); every instance
//! listens, reads the batches it has not seen for the rooms it holds, and after its
//! listener reconnects re-reads every room. On SQLite there is one instance.
//!
//! Rooms run their writer as a task; `Live::manual` builds rooms without tasks, whose
//! queued batches are committed when `settle` is called and whose sessions are served by
//! `pump`, so the simulation runs this very code, one step at a time.

use super::store::{
    key_hash, same_hash, ClientKey, Commit, EditToken, LiveLoad, Note, OwnerToken, ShareStore,
    StoreError,
};
use crate::model::{Batch, DocLimits, LiveDoc, Outcome, Resume};
use crate::shared::wire::{
    self, ClientMsg, ErrorCode, Hello, Peer, Presence, Role, ServerMsg, MAX_OPS_PER_BATCH, PROTOCOL,
};
use crate::shared::ShareId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

mod buckets;
mod feed;

use buckets::{Buckets, Key, Limit};
pub use feed::Event;
use feed::{Cursor, Feed, Read, FEED_BYTES};

pub use super::config::LiveLimits;

/// Batches a room commits in one transaction at most.
const GROUP_MAX: usize = 256;

/// How long a peer from another instance stays listed without news from it.
const PEER_TTL: Duration = Duration::from_secs(90);

/// Presence updates a connection may send per second (more are dropped).
const PRESENCE_PER_SECOND: f64 = 20.0;

/// Viewers listed to others at most (more are counted, not listed).
const LISTED_VIEWERS: usize = 20;

/// Acknowledgements waiting to go out on one connection; a connection that lets more pile
/// up is too slow to serve and is closed (it reconnects and sends again).
const ACKS_QUEUED: usize = 256;

/// Called when a plan's content or status changed (the page cache forgets its pages).
pub type OnChange = Arc<dyn Fn(&ShareId) + Send + Sync>;

/// The server's clock, in milliseconds since the epoch.
pub type Now = Arc<dyn Fn() -> i64 + Send + Sync>;

struct Loaded {
    live: LiveDoc,
    edit_hash: Option<String>,
    owner_hash: String,
    /// The owner's display name as last seen (kept in the store too).
    owner_name: String,
    /// The document encoded as a snapshot, for the sequence it was encoded at.
    snapshot: Option<(u64, Arc<[u8]>)>,
}

impl Loaded {
    /// The document as a `Snapshot` message, encoded once per sequence.
    fn snapshot(&mut self) -> (u64, Arc<[u8]>) {
        let seq = self.live.seq;
        match &self.snapshot {
            Some((at, bytes)) if *at == seq => (seq, bytes.clone()),
            _ => {
                let bytes: Arc<[u8]> = wire::encode_snapshot(seq, &self.live.doc).into();
                self.snapshot = Some((seq, bytes.clone()));
                (seq, bytes)
            }
        }
    }
}

struct Core {
    id: ShareId,
    store: Arc<ShareStore>,
    on_change: OnChange,
    now: Now,
    doc_limits: DocLimits,
    state: tokio::sync::Mutex<Option<Loaded>>,
    /// The document was dropped to be read afresh: when it is, connections get it whole.
    dropped: AtomicBool,
    feed: Feed,
    /// Open editor and viewer connections (capped apart: viewers never keep editors out).
    editors: AtomicUsize,
    viewers: AtomicUsize,
    /// Replicas with an open editor connection on this instance: the hash of the key they
    /// are bound to, and how many connections. The fallback's requests are taken from
    /// these only.
    bound: Mutex<HashMap<u32, (String, usize)>>,
    /// replica → (peer, last news, on this instance)
    peers: Mutex<HashMap<u32, (Peer, Instant, bool)>>,
}

/// A room, held by its connections; the writer task ends when the last one goes.
pub struct Room {
    core: Arc<Core>,
    submit: mpsc::Sender<Submit>,
    /// Rooms without a writer task (`Live::manual`): their queue, committed by `settle`.
    queue: Option<tokio::sync::Mutex<mpsc::Receiver<Submit>>>,
}

/// Where the answer to a batch goes.
enum Reply {
    /// A connection's queue of acknowledgements; `failed` is set when a batch of it could
    /// not be stored, so that none of its later batches is stored before it (the
    /// connection closes and sends them again, in order).
    Session {
        acks: mpsc::Sender<ServerMsg>,
        failed: Arc<AtomicBool>,
    },
    /// One request (the fallback's `POST`).
    Once(oneshot::Sender<ServerMsg>),
}

impl Reply {
    fn failed(&self) -> bool {
        match self {
            Reply::Session { failed, .. } => failed.load(Ordering::Relaxed),
            Reply::Once(_) => false,
        }
    }

    fn send(self, msg: ServerMsg) {
        match self {
            Reply::Session { acks, failed } => {
                let fatal =
                    matches!(&msg, ServerMsg::Error { code, .. } if code.close_code().is_some());
                if fatal {
                    // Nothing of it was stored: none of the connection's later batches may
                    // be (it starts again, and sends them in order).
                    failed.store(true, Ordering::Relaxed);
                }
                if acks.try_send(msg).is_err() {
                    // Cannot be told (too slow to read its acknowledgements): it starts
                    // again, and is told then.
                    failed.store(true, Ordering::Relaxed);
                }
            }
            Reply::Once(tx) => {
                let _ = tx.send(msg);
            }
        }
    }
}

struct Submit {
    hash: String,
    batch: Batch,
    reply: Reply,
}

/// Every room of this instance.
pub struct Live {
    store: Arc<ShareStore>,
    on_change: OnChange,
    now: Now,
    rooms: Mutex<HashMap<ShareId, Weak<Room>>>,
    pub limits: LiveLimits,
    doc_limits: DocLimits,
    /// Rooms without tasks (the simulation drives them).
    manual: bool,
    /// Rate limits, per replica and per client address, across reconnects.
    buckets: Buckets,
}

/// Why a session could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused(pub ErrorCode);

impl Live {
    /// The rooms of this instance; on PostgreSQL, listening to the other instances.
    pub fn new(store: Arc<ShareStore>, on_change: OnChange, limits: LiveLimits) -> Arc<Live> {
        let doc_limits = DocLimits {
            bytes: limits.plan_bytes,
            ..DocLimits::default()
        };
        let live = Arc::new(Live {
            store,
            on_change,
            now: Arc::new(super::store::now_ms),
            rooms: Mutex::new(HashMap::new()),
            buckets: Buckets::new(limits.remembered),
            limits,
            doc_limits,
            manual: false,
        });
        if live.store.is_postgres() {
            tokio::spawn(listen(Arc::downgrade(&live)));
        }
        live
    }

    /// Rooms with no tasks and a clock of the caller's: batches are committed by
    /// `settle`, connections served by `pump`, notes from other instances handed in with
    /// `on_note` (the simulation).
    pub fn manual(
        store: Arc<ShareStore>,
        on_change: OnChange,
        limits: LiveLimits,
        doc_limits: DocLimits,
        now: Now,
    ) -> Arc<Live> {
        Arc::new(Live {
            store,
            on_change,
            now,
            rooms: Mutex::new(HashMap::new()),
            buckets: Buckets::new(limits.remembered),
            limits,
            doc_limits,
            manual: true,
        })
    }

    /// The room of `id`, made when needed.
    pub fn room(&self, id: &ShareId) -> Arc<Room> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(room) = rooms.get(id).and_then(Weak::upgrade) {
            return room;
        }
        rooms.retain(|_, r| r.strong_count() > 0);
        let core = Arc::new(Core {
            id: id.clone(),
            store: self.store.clone(),
            on_change: self.on_change.clone(),
            now: self.now.clone(),
            doc_limits: self.doc_limits,
            state: tokio::sync::Mutex::new(None),
            dropped: AtomicBool::new(false),
            feed: Feed::new(FEED_BYTES),
            editors: AtomicUsize::new(0),
            viewers: AtomicUsize::new(0),
            bound: Mutex::new(HashMap::new()),
            peers: Mutex::new(HashMap::new()),
        });
        let (submit, queue) = mpsc::channel(4096);
        let queue = if self.manual {
            Some(tokio::sync::Mutex::new(queue))
        } else {
            tokio::spawn(writer(core.clone(), queue));
            None
        };
        let room = Arc::new(Room {
            core,
            submit,
            queue,
        });
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
        let mut rooms: Vec<Arc<Room>> = self
            .rooms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter_map(Weak::upgrade)
            .collect();
        // One order, whatever the map's: the simulation replays runs exactly.
        rooms.sort_by(|a, b| a.core.id.as_str().cmp(b.core.id.as_str()));
        rooms
    }

    /// Commits every batch queued in rooms without a writer task (`manual`).
    pub async fn settle(&self) {
        for room in self.all() {
            if let Some(queue) = &room.queue {
                let mut queue = queue.lock().await;
                loop {
                    let mut group = Vec::new();
                    while group.len() < GROUP_MAX {
                        match queue.try_recv() {
                            Ok(next) => group.push(next),
                            Err(_) => break,
                        }
                    }
                    if group.is_empty() {
                        break;
                    }
                    commit_all(&room.core, group).await;
                }
            }
        }
    }

    /// The share `id` ended (revoked): live connections on every instance close.
    pub async fn share_ended(&self, id: &ShareId) {
        self.revalidate(id).await;
        let note = Note::Revoke { id: id.clone() };
        if let Err(e) = self.store.announce(&note).await {
            tracing::warn!(error = %e, "other instances were not told that a share ended");
        }
    }

    /// The edit link of `id` changed or the share ended: this instance's connections
    /// check themselves now (others hear it through the store's note).
    pub async fn revalidate(&self, id: &ShareId) {
        if let Some(room) = self.existing(id) {
            room.core.revalidate().await;
        }
    }

    /// Live connections to `id` on this instance (editors and viewers).
    pub fn connections(&self, id: &ShareId) -> usize {
        self.existing(id).map_or(0, |r| {
            r.core.editors.load(Ordering::Relaxed) + r.core.viewers.load(Ordering::Relaxed)
        })
    }

    /// Bytes of events the rooms of this instance keep for connections behind them.
    pub fn feed_bytes(&self) -> usize {
        self.all().iter().map(|r| r.core.feed.bytes()).sum()
    }

    /// Rate-limit buckets remembered.
    pub fn buckets(&self) -> usize {
        self.buckets.len()
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
                return Ok(Some((loaded.live.doc.plan(), loaded.live.seq)));
            }
        }
        match self.store.load_live(id).await? {
            LiveLoad::Live(stored) => Ok(Some((stored.live.doc.plan(), stored.live.seq))),
            _ => Ok(None),
        }
    }

    /// The document and sequence of `id`'s room on this instance, if it holds one.
    pub async fn room_doc(&self, id: &ShareId) -> Option<LiveDoc> {
        let room = self.existing(id)?;
        let state = room.core.state.lock().await;
        state.as_ref().map(|l| l.live.clone())
    }

    /// News from another instance.
    pub async fn on_note(&self, note: Note) {
        let Some(room) = self.existing(note.id()) else {
            if let Note::Ops { id, .. } = &note {
                (self.on_change)(id);
            }
            return;
        };
        match note {
            Note::Ops { .. } => room.core.catch_up().await,
            Note::Revoke { .. } => room.core.revalidate().await,
            Note::Presence { peer, .. } => {
                if peer.owner {
                    room.core.owner_seen_as(&peer.name).await;
                }
                room.core.set_peer(peer, false)
            }
            Note::Left { replica, .. } => room.core.remove_peer(replica),
        }
    }

    /// Whatever other instances did while this one was not listening: read it now.
    pub async fn resync(&self) {
        for room in self.all() {
            room.core.catch_up().await;
            room.core.revalidate().await;
        }
    }
}

impl Core {
    /// The owner is here as `name` (another instance said so): later welcomes name them.
    async fn owner_seen_as(&self, name: &str) {
        if let Some(loaded) = self.state.lock().await.as_mut() {
            loaded.owner_name = name.to_owned();
        }
    }

    /// Loads the room's document when it has none yet; the lock stays held. A document
    /// read afresh after one was dropped (`drop_doc`) is sent to every connection
    /// (`Event::Snapshot`): they may be behind it.
    async fn loaded(&self) -> Result<tokio::sync::MutexGuard<'_, Option<Loaded>>, ErrorCode> {
        let mut state = self.state.lock().await;
        if state.is_none() {
            match self.store.load_live(&self.id).await {
                Ok(LiveLoad::Live(stored)) => {
                    let mut loaded = Loaded {
                        live: stored.live,
                        edit_hash: stored.edit_hash,
                        owner_hash: stored.owner_hash,
                        owner_name: stored.owner_name,
                        snapshot: None,
                    };
                    if self.dropped.swap(false, Ordering::Relaxed) {
                        let (seq, bytes) = loaded.snapshot();
                        self.send(Event::Snapshot(seq, bytes));
                    }
                    *state = Some(loaded);
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
        self.feed.send(event);
    }

    /// Drops the document (it fell behind the op log, or may hold what was not stored):
    /// the next `loaded` reads it afresh and sends it to every connection.
    fn drop_doc(&self, state: &mut Option<Loaded>) {
        *state = None;
        self.dropped.store(true, Ordering::Relaxed);
    }

    fn now(&self) -> i64 {
        (self.now)()
    }

    /// Reads what other instances logged since this room last looked.
    async fn catch_up(&self) {
        let mut state = self.state.lock().await;
        let Some(loaded) = state.as_mut() else {
            return;
        };
        let from = loaded.live.seq;
        match self.store.log_after(&self.id, from).await {
            Ok((seq, log)) => match loaded.live.catch_up(&log, seq) {
                Ok(()) => {
                    for logged in log {
                        self.send(Event::Logged(
                            logged.seq,
                            wire::encode(&ServerMsg::Ops(logged)).into(),
                        ));
                    }
                }
                Err(crate::model::Behind) => {
                    // Too far behind for the log: read the document again (and send it).
                    self.drop_doc(&mut state);
                    drop(state);
                    let _ = self.loaded().await;
                }
            },
            Err(e) => tracing::warn!(error = %e, "a live plan could not catch up"),
        }
        (self.on_change)(&self.id);
    }

    async fn revalidate(&self) {
        let (hash, ended) = match self.store.load_live(&self.id).await {
            Ok(LiveLoad::Live(stored)) => (stored.edit_hash, false),
            Ok(_) => (None, true),
            Err(e) => {
                tracing::warn!(error = %e, "an edit link could not be checked");
                return;
            }
        };
        if let Some(loaded) = self.state.lock().await.as_mut() {
            loaded.edit_hash = hash.clone();
        }
        (self.on_change)(&self.id);
        self.send(Event::Revalidate { hash, ended });
    }

    fn peers(&self, except: u32) -> Vec<Peer> {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers.retain(|_, (_, at, local)| *local || at.elapsed() < PEER_TTL);
        let mut list: Vec<Peer> = peers
            .values()
            .filter(|(p, _, _)| p.replica != except)
            .map(|(p, _, _)| p.clone())
            .collect();
        list.sort_by_key(|p| p.replica);
        list
    }

    /// Viewers of this instance listed to others.
    fn listed_viewers(&self) -> usize {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|(p, _, local)| *local && p.role == Role::Viewer)
            .count()
    }

    /// Whether `replica` is listed here as the owner (its connection proved it).
    fn local_owner(&self, replica: u32) -> bool {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&replica)
            .is_some_and(|(p, _, local)| *local && p.owner)
    }

    /// The owner's display name as last seen ("" when unknown or the plan is not loaded).
    async fn owner_name(&self) -> String {
        self.state
            .lock()
            .await
            .as_ref()
            .map(|l| l.owner_name.clone())
            .unwrap_or_default()
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
        commit_all(&core, group).await;
    }
}

/// Commits a group: one transaction per edit link (there is one, except just after a
/// rotation). Batches of a connection whose earlier batch failed are not stored.
async fn commit_all(core: &Core, group: Vec<Submit>) {
    let mut by_hash: Vec<(String, Vec<Submit>)> = Vec::new();
    for s in group {
        if s.reply.failed() {
            s.reply
                .send(error_msg(ErrorCode::Unavailable, Some(s.batch.id)));
            continue;
        }
        match by_hash.iter_mut().find(|(h, _)| *h == s.hash) {
            Some((_, list)) => list.push(s),
            None => by_hash.push((s.hash.clone(), vec![s])),
        }
    }
    for (hash, submits) in by_hash {
        commit_group(core, &hash, submits).await;
    }
}

async fn commit_group(core: &Core, hash: &str, submits: Vec<Submit>) {
    let batches: Vec<Batch> = submits.iter().map(|s| s.batch.clone()).collect();
    let mut result = Err(ErrorCode::Unavailable);
    for _attempt in 0..3 {
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
        let commit = core
            .store
            .commit(
                &core.id,
                hash,
                &mut loaded.live,
                &batches,
                core.now(),
                &core.doc_limits,
            )
            .await;
        match commit {
            Ok(Commit::Done {
                caught_up,
                outcomes,
            }) => {
                for logged in caught_up {
                    core.send(Event::Logged(
                        logged.seq,
                        wire::encode(&ServerMsg::Ops(logged)).into(),
                    ));
                }
                for outcome in &outcomes {
                    if let Outcome::Logged { logged, .. } = outcome {
                        core.send(Event::Logged(
                            logged.seq,
                            wire::encode(&ServerMsg::Ops(logged.clone())).into(),
                        ));
                    }
                }
                result = Ok(outcomes);
                break;
            }
            Ok(Commit::Revoked) => {
                result = Err(ErrorCode::Revoked);
                break;
            }
            Ok(Commit::Behind) => {
                // Older than the op log reaches: read the plan afresh (its connections get
                // it whole) and try again.
                tracing::info!("a live plan's room fell behind the op log; reloading it");
                core.drop_doc(&mut state);
            }
            Err(e) => {
                // The copy may hold what was not stored: read it afresh next time.
                tracing::warn!(error = %e, "a live batch could not be stored");
                core.drop_doc(&mut state);
                result = Err(ErrorCode::Unavailable);
                break;
            }
        }
    }
    if result.is_ok() {
        (core.on_change)(&core.id);
    }
    match result {
        Ok(outcomes) => {
            for (submit, outcome) in submits.into_iter().zip(outcomes) {
                let id = submit.batch.id;
                submit.reply.send(answer(id, outcome));
            }
        }
        Err(code) => {
            for submit in submits {
                let id = submit.batch.id;
                submit.reply.send(error_msg(code, Some(id)));
            }
        }
    }
}

/// What a browser is told of its batch.
fn answer(batch: u64, outcome: Outcome) -> ServerMsg {
    match outcome {
        Outcome::Logged { logged, refused } => ServerMsg::Ack {
            batch,
            seq: logged.seq,
            refused,
        },
        Outcome::Nothing { seq, refused } => ServerMsg::Ack {
            batch,
            seq,
            refused,
        },
        Outcome::Duplicate { seq } => ServerMsg::Ack {
            batch,
            seq,
            refused: Vec::new(),
        },
        Outcome::NotYours => error_msg(ErrorCode::NotYours, Some(batch)),
        Outcome::OutOfOrder { .. } => error_msg(ErrorCode::OutOfOrder, Some(batch)),
        Outcome::Malformed => error_msg(ErrorCode::BadMessage, Some(batch)),
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
        if let Err(e) = listener.listen(super::store::CHANNEL).await {
            tracing::warn!(error = %e, "cannot listen for other instances yet");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Whatever happened while not listening: read it now.
        match live.upgrade() {
            Some(live) => live.resync().await,
            None => return,
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(note)) => {
                    let Some(live) = live.upgrade() else { return };
                    if let Some(note) = Note::decode(note.payload()) {
                        live.on_note(note).await;
                    }
                }
                Ok(None) => {
                    // The connection dropped and is back: notes may have been missed.
                    tracing::info!("the link to other instances was re-established");
                    match live.upgrade() {
                        Some(live) => live.resync().await,
                        None => return,
                    }
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

pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
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
    /// Whether the replica's key is bound to it for this plan (its presence can be trusted
    /// to be this tab's).
    bound: bool,
    /// The address it connected from (its edits count against that address too).
    client: ClientKey,
    name: String,
    /// The last sequence it was sent.
    seq: u64,
    /// Where it is in its room's events.
    cursor: Cursor,
    /// Acknowledgements coming back from the writer.
    acks: mpsc::Sender<ServerMsg>,
    acks_rx: mpsc::Receiver<ServerMsg>,
    /// Set when a batch of this connection could not be stored (or answered).
    failed: Arc<AtomicBool>,
    /// Whether others are told it is here (editors, and the first few viewers).
    listed: bool,
    /// Whether it proved to be the plan's owner (`Hello::owner`).
    owner: bool,
}

impl Session {
    /// The last sequence this connection was sent (the simulation checks it).
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

/// Whether a name was given (not empty, not the placeholder others are shown instead).
fn named(name: &str) -> bool {
    let name = clean_name(name);
    name != "Someone"
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
        client: ClientKey,
        out: &mut impl Outbox,
    ) -> Result<Session, Refused> {
        if hello.protocol != PROTOCOL {
            return Err(Refused(ErrorCode::Protocol));
        }
        let room = self.room(id);
        let core = &room.core;
        // Subscribed before reading the state: nothing committed in between is missed.
        let cursor = core.feed.subscribe();
        let name = clean_name(&hello.name);
        let (role, hash, seq, first, owner, owner_name) = {
            let mut state = core.loaded().await.map_err(Refused)?;
            let Some(loaded) = state.as_mut() else {
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
            // The owner, proven like any owner request; a wrong secret is only ignored.
            let owner = role == Role::Editor
                && hello.owner.as_deref().is_some_and(|secret| {
                    same_hash(&loaded.owner_hash, &OwnerToken::hash_of(secret))
                });
            let renamed = owner && named(&hello.name) && loaded.owner_name != name;
            if renamed {
                loaded.owner_name = name.clone();
            }
            let seq = loaded.live.seq;
            let first = match crate::model::resume(hello.known, seq) {
                Resume::Snapshot => Some(loaded.snapshot().1),
                Resume::Current | Resume::Log { .. } => None,
            };
            (
                role,
                hash,
                seq,
                first,
                owner,
                renamed.then(|| loaded.owner_name.clone()),
            )
        };
        if let Some(owner_name) = owner_name {
            self.keep_owner_name(id, &owner_name).await;
        }
        // Editors and viewers are counted apart: watchers never keep an editor out.
        let (count, cap) = match role {
            Role::Editor => (&core.editors, self.limits.connections_per_plan),
            Role::Viewer => (&core.viewers, self.limits.viewers_per_plan),
        };
        let before = count.fetch_add(1, Ordering::Relaxed);
        let guard = ConnGuard(Some((core.clone(), role.clone())));
        if before >= cap {
            return Err(Refused(ErrorCode::TooManyConnections));
        }
        let replica = hello.replica;
        // An editor's replica id is bound to its key before anyone can see it.
        let bound = match role {
            Role::Editor => self
                .store
                .bind_replica(id, replica, hello.key, core.now())
                .await
                .map_err(|_| Refused(ErrorCode::Unavailable))?,
            Role::Viewer => false,
        };
        let welcome = ServerMsg::Welcome {
            seq,
            role: role.clone(),
            now_ms: core.now().max(0) as u64,
            peers: core.peers(replica),
            owner: core.owner_name().await,
        };
        if !out.send(wire::encode(&welcome).into()).await {
            return Err(Refused(ErrorCode::Unavailable));
        }
        match first {
            Some(snapshot) => {
                if !out.send(snapshot).await {
                    return Err(Refused(ErrorCode::Unavailable));
                }
            }
            None => {
                let known = hello.known.unwrap_or(seq);
                if !self.send_log(core, known, seq, out).await? {
                    return Err(Refused(ErrorCode::Unavailable));
                }
            }
        }
        guard.keep();
        let (acks, acks_rx) = mpsc::channel(ACKS_QUEUED);
        let session = Session {
            room: room.clone(),
            role: role.clone(),
            hash,
            replica,
            bound,
            client,
            name: name.clone(),
            seq,
            cursor,
            acks,
            acks_rx,
            failed: Arc::new(AtomicBool::new(false)),
            listed: false,
            owner,
        };
        if bound {
            core.bound
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(replica)
                .or_insert_with(|| (key_hash(hello.key), 0))
                .1 += 1;
        }
        // Editors are listed, and the first few viewers (a plan's viewers may be many: the
        // list others get stays short).
        let mut session = session;
        session.listed = bound || (role == Role::Viewer && core.listed_viewers() < LISTED_VIEWERS);
        if session.listed {
            let peer = Peer {
                replica,
                name,
                colour: wire::colour_of(replica),
                cell: None,
                role,
                owner,
            };
            core.set_peer(peer.clone(), true);
            self.tell_others_presence(id, &peer).await;
        }
        Ok(session)
    }

    /// Sends the batches logged after `known` up to `seq`, or the whole document when the
    /// log no longer reaches back that far. `Ok(false)`: the connection is gone.
    async fn send_log(
        &self,
        core: &Core,
        known: u64,
        seq: u64,
        out: &mut impl Outbox,
    ) -> Result<bool, Refused> {
        if known >= seq {
            return Ok(true);
        }
        match self.store.logged_since(&core.id, known, seq).await {
            Ok(Some(list)) => {
                for logged in list.into_iter().filter(|l| l.seq <= seq) {
                    if !out.send(wire::encode(&ServerMsg::Ops(logged)).into()).await {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Ok(None) => {
                // The snapshot is at least `seq`: events up to it are skipped after.
                let bytes = {
                    let mut state = core.loaded().await.map_err(Refused)?;
                    let Some(loaded) = state.as_mut() else {
                        return Err(Refused(ErrorCode::Unavailable));
                    };
                    loaded.snapshot()
                };
                Ok(out.send(bytes.1).await)
            }
            Err(_) => Err(Refused(ErrorCode::Unavailable)),
        }
    }

    /// Stores the owner's name for welcomes to come (a failure only leaves the old name).
    async fn keep_owner_name(&self, id: &ShareId, name: &str) {
        if let Err(e) = self.store.set_owner_name(id, name).await {
            tracing::debug!(error = %e, "the owner's name was not stored");
        }
    }

    async fn tell_others_presence(&self, id: &ShareId, peer: &Peer) {
        let note = Note::Presence {
            id: id.clone(),
            peer: peer.clone(),
        };
        if let Err(e) = self.store.announce(&note).await {
            tracing::debug!(error = %e, "presence was not shared with other instances");
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
                if session.bound && self.presence_allowed(&session.room.core.id, session.replica) {
                    self.presence(session, p).await;
                }
                Ok(())
            }
            ClientMsg::Ops(batch) => self.submit(session, batch).await,
            ClientMsg::Resync { known } => self.send_missing(session, known, out).await,
        }
    }

    /// The browser found batches missing after `known`: sends them (or the document).
    async fn send_missing(
        &self,
        session: &mut Session,
        known: u64,
        out: &mut impl Outbox,
    ) -> Result<(), ErrorCode> {
        let core = session.room.core.clone();
        let seq = {
            let state = core.loaded().await?;
            state.as_ref().map_or(0, |l| l.live.seq)
        };
        let sent = self
            .send_log(&core, known.min(seq), seq, out)
            .await
            .map_err(|Refused(code)| code)?;
        if !sent {
            return Err(ErrorCode::Unavailable);
        }
        session.seq = session.seq.max(seq);
        Ok(())
    }

    async fn presence(&self, session: &mut Session, p: Presence) {
        let name = clean_name(&p.name);
        if session.owner && named(&p.name) && session.name != name {
            let core = &session.room.core;
            core.owner_seen_as(&name).await;
            self.keep_owner_name(&core.id, &name).await;
        }
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
            owner: session.owner,
        };
        session.room.core.set_peer(peer.clone(), true);
        self.tell_others_presence(&session.room.core.id, &peer)
            .await;
    }

    /// Checks a batch and queues it for the writer; its answer comes back on the session's
    /// queue of acknowledgements.
    async fn submit(&self, session: &mut Session, batch: Batch) -> Result<(), ErrorCode> {
        let Some(hash) = session
            .hash
            .clone()
            .filter(|_| session.role == Role::Editor)
        else {
            let _ = session
                .acks
                .try_send(error_msg(ErrorCode::ReadOnly, Some(batch.id)));
            return Ok(());
        };
        if batch.ops.is_empty() || batch.ops.len() > MAX_OPS_PER_BATCH {
            return Err(ErrorCode::BadMessage);
        }
        let id = session.room.core.id.clone();
        if !self.ops_allowed(&id, session.replica, session.client, batch.ops.len()) {
            return Err(ErrorCode::TooFast);
        }
        if session.failed.load(Ordering::Relaxed) {
            return Err(ErrorCode::Unavailable);
        }
        let submit = Submit {
            hash,
            batch,
            reply: Reply::Session {
                acks: session.acks.clone(),
                failed: session.failed.clone(),
            },
        };
        if session.room.submit.send(submit).await.is_err() {
            return Err(ErrorCode::Unavailable);
        }
        Ok(())
    }

    /// Whether `replica` may send `n` ops to `id` now (from `client`): its own bucket, and
    /// its address's, which hold across reconnects.
    fn ops_allowed(&self, id: &ShareId, replica: u32, client: ClientKey, n: usize) -> bool {
        let (rate, burst) = (
            f64::from(self.limits.ops_per_second),
            f64::from(self.limits.ops_burst),
        );
        let per_client = f64::from(self.limits.client_ops_factor);
        self.buckets.take(
            &[
                Limit {
                    key: Key::Ops(id.clone(), replica),
                    rate,
                    burst,
                },
                Limit {
                    key: Key::Client(client),
                    rate: rate * per_client,
                    burst: burst * per_client,
                },
            ],
            n as f64,
        )
    }

    /// Whether `replica` may move its presence in `id` now.
    fn presence_allowed(&self, id: &ShareId, replica: u32) -> bool {
        self.buckets.take(
            &[Limit {
                key: Key::Presence(id.clone(), replica),
                rate: PRESENCE_PER_SECOND,
                burst: PRESENCE_PER_SECOND,
            }],
            1.0,
        )
    }

    /// Whether `replica` has an open editor connection to `id` here, bound to `key` (the
    /// fallback's requests come from such a page: its stream is open).
    fn has_bound(&self, room: &Room, replica: u32, key: u64) -> bool {
        room.core
            .bound
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&replica)
            .is_some_and(|(hash, _)| same_hash(hash, &key_hash(key)))
    }

    /// Submits one batch outside a session (the fallback's `POST`, whose page has its
    /// stream open) and waits for the answer.
    pub async fn submit_once(
        &self,
        id: &ShareId,
        token: &str,
        batch: Batch,
        client: ClientKey,
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
        let batch_id = batch.id;
        if batch.ops.is_empty() || batch.ops.len() > MAX_OPS_PER_BATCH {
            return error_msg(ErrorCode::BadMessage, Some(batch_id));
        }
        let replica = crate::model::replica_of(batch_id);
        if !self.has_bound(&room, replica, batch.key) {
            return error_msg(ErrorCode::NotYours, Some(batch_id));
        }
        if !self.ops_allowed(id, replica, client, batch.ops.len()) {
            return error_msg(ErrorCode::TooFast, Some(batch_id));
        }
        let (tx, rx) = oneshot::channel();
        let submit = Submit {
            hash,
            batch,
            reply: Reply::Once(tx),
        };
        if room.submit.send(submit).await.is_err() {
            return error_msg(ErrorCode::Unavailable, Some(batch_id));
        }
        rx.await
            .unwrap_or_else(|_| error_msg(ErrorCode::Unavailable, Some(batch_id)))
    }

    /// Presence sent outside a session (the fallback's `POST`): an editor's, whose page has
    /// its stream open, within its rate.
    pub async fn presence_once(
        &self,
        id: &ShareId,
        token: Option<&str>,
        (replica, key): (u32, u64),
        p: Presence,
    ) -> ServerMsg {
        let room = self.room(id);
        {
            let state = match room.core.loaded().await {
                Ok(state) => state,
                Err(code) => return error_msg(code, None),
            };
            let Some(token) = token else {
                return error_msg(ErrorCode::ReadOnly, None);
            };
            let given = EditToken::hash_of(token);
            match state.as_ref().and_then(|l| l.edit_hash.clone()) {
                Some(current) if same_hash(&current, &given) => {}
                _ => return error_msg(ErrorCode::Forbidden, None),
            }
        }
        if !self.has_bound(&room, replica, key) {
            return error_msg(ErrorCode::NotYours, None);
        }
        if !self.presence_allowed(id, replica) {
            // Dropped, as over a socket: the next move says where it is.
            return ServerMsg::Pong(0);
        }
        // The owner's page proved itself when its stream opened.
        let owner = room.core.local_owner(replica);
        let name = clean_name(&p.name);
        if owner && named(&p.name) && room.core.owner_name().await != name {
            room.core.owner_seen_as(&name).await;
            self.keep_owner_name(id, &name).await;
        }
        let peer = Peer {
            replica,
            name,
            colour: wire::colour_of(replica),
            cell: p
                .cell
                .filter(|(row, _)| crate::model::is_valid_row_id(row.as_str())),
            role: Role::Editor,
            owner,
        };
        room.core.set_peer(peer.clone(), true);
        self.tell_others_presence(id, &peer).await;
        ServerMsg::Pong(0)
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
                        match self.send_ack(&session, msg, out).await {
                            Ok(true) => {}
                            Ok(false) => break None,
                            Err(code) => break Some(code),
                        }
                    }
                }
                read = session.room.core.feed.recv(&mut session.cursor) => match read {
                    Read::Event(event) => match self.deliver(&mut session, event, out).await {
                        Ok(true) => {}
                        Ok(false) => break None,
                        Err(code) => break Some(code),
                    },
                    Read::Behind => {
                        // Too slow to keep up: the whole document again.
                        if !self.resend(&mut session, out).await {
                            break None;
                        }
                    }
                    Read::Nothing => break None,
                },
            }
        };
        self.finish(session, out, result).await
    }

    /// Serves a session of a manual room (`Live::manual`) as far as it can without
    /// waiting: its acknowledgements and its room's events go out. `Err`: the session is
    /// over (closed with that code, if any, and ended).
    pub async fn pump(
        &self,
        session: &mut Session,
        out: &mut impl Outbox,
    ) -> Result<(), Option<ErrorCode>> {
        loop {
            let mut busy = false;
            while let Ok(msg) = session.acks_rx.try_recv() {
                busy = true;
                match self.send_ack(session, msg, out).await {
                    Ok(true) => {}
                    Ok(false) => return Err(None),
                    Err(code) => return Err(Some(code)),
                }
            }
            let read = session.room.core.feed.read(&mut session.cursor);
            match read {
                Read::Event(event) => {
                    busy = true;
                    match self.deliver(session, event, out).await {
                        Ok(true) => {}
                        Ok(false) => return Err(None),
                        Err(code) => return Err(Some(code)),
                    }
                }
                Read::Behind => {
                    busy = true;
                    if !self.resend(session, out).await {
                        return Err(None);
                    }
                }
                Read::Nothing => {}
            }
            if !busy {
                return Ok(());
            }
        }
    }

    /// Closes a session with `code` (when one is due) and ends it.
    pub async fn finish(
        &self,
        session: Session,
        out: &mut impl Outbox,
        code: Option<ErrorCode>,
    ) -> Option<ErrorCode> {
        if let Some(code) = code {
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
        code
    }

    /// Sends an acknowledgement (or a batch's error). `Err`: a fatal one, close with it.
    async fn send_ack(
        &self,
        session: &Session,
        msg: ServerMsg,
        out: &mut impl Outbox,
    ) -> Result<bool, ErrorCode> {
        let fatal = match &msg {
            ServerMsg::Error { code, .. } if code.close_code().is_some() => Some(*code),
            _ => None,
        };
        if let Some(code) = fatal {
            // The close that follows carries the sentence.
            let _ = session;
            return Err(code);
        }
        if session.failed.load(Ordering::Relaxed) {
            // An acknowledgement could not be queued: this connection missed one.
            return Err(ErrorCode::Unavailable);
        }
        Ok(out.send(wire::encode(&msg).into()).await)
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
                if seq > session.seq + 1 {
                    // A batch it never got: the whole document instead.
                    return Ok(self.resend(session, out).await);
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
            Event::Snapshot(seq, bytes) => {
                session.seq = seq;
                Ok(out.send(bytes).await)
            }
        }
    }

    async fn resend(&self, session: &mut Session, out: &mut impl Outbox) -> bool {
        let (seq, bytes) = {
            let Ok(mut state) = session.room.core.loaded().await else {
                return false;
            };
            let Some(loaded) = state.as_mut() else {
                return false;
            };
            loaded.snapshot()
        };
        session.seq = seq;
        out.send(bytes).await
    }

    /// A session ended: its place and its presence go.
    pub async fn end(&self, session: Session) {
        let core = session.room.core.clone();
        match session.role {
            Role::Editor => core.editors.fetch_sub(1, Ordering::Relaxed),
            Role::Viewer => core.viewers.fetch_sub(1, Ordering::Relaxed),
        };
        if session.bound {
            let mut bound = core.bound.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, n)) = bound.get_mut(&session.replica) {
                *n -= 1;
                if *n == 0 {
                    bound.remove(&session.replica);
                }
            }
        }
        if session.listed {
            core.remove_peer(session.replica);
            let note = Note::Left {
                id: core.id.clone(),
                replica: session.replica,
            };
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
struct ConnGuard(Option<(Arc<Core>, Role)>);

impl ConnGuard {
    /// The session started: its end gives the place back.
    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        if let Some((core, role)) = self.0.take() {
            match role {
                Role::Editor => core.editors.fetch_sub(1, Ordering::Relaxed),
                Role::Viewer => core.viewers.fetch_sub(1, Ordering::Relaxed),
            };
        }
    }
}

#[cfg(test)]
mod tests;
