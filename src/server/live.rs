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
    key_hash, same_hash, ClientKey, Commit, EditToken, LiveLoad, Note, ShareStore, StoreError,
};
use crate::model::{DocLimits, LiveDoc, Outcome, Resume, SentBatch};
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
mod delivery;
mod feed;
mod room;
mod session;

use buckets::{Buckets, Key, Limit};
pub use feed::Event;
use feed::{Cursor, Feed, Read, FEED_BYTES};
use room::*;
use session::*;
pub use session::{Outbox, Session};

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
#[cfg(test)]
mod tests;
