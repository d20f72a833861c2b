//! A room's insides: its loaded document, its connections' counts and peers, and the
//! writer that commits what they submit, in groups, through the accept rule.

use super::*;

pub(super) struct Loaded {
    pub(super) live: LiveDoc,
    pub(super) edit_hash: Option<String>,
    pub(super) owner_hash: String,
    /// The owner's display name as last seen (kept in the store too).
    pub(super) owner_name: String,
    /// The document encoded as a snapshot, for the sequence it was encoded at.
    pub(super) snapshot: Option<(u64, Arc<[u8]>)>,
}

impl Loaded {
    /// The document as a `Snapshot` message, encoded once per sequence.
    pub(super) fn snapshot(&mut self) -> (u64, Arc<[u8]>) {
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

pub(super) struct Core {
    pub(super) id: ShareId,
    pub(super) store: Arc<ShareStore>,
    pub(super) on_change: OnChange,
    pub(super) now: Now,
    pub(super) doc_limits: DocLimits,
    pub(super) state: tokio::sync::Mutex<Option<Loaded>>,
    /// The document was dropped to be read afresh: when it is, connections get it whole.
    pub(super) dropped: AtomicBool,
    pub(super) feed: Feed,
    /// Open editor and viewer connections (capped apart: viewers never keep editors out).
    pub(super) editors: AtomicUsize,
    pub(super) viewers: AtomicUsize,
    /// Replicas with an open editor connection on this instance: the hash of the key they
    /// are bound to, and how many connections. The fallback's requests are taken from
    /// these only.
    pub(super) bound: Mutex<HashMap<u32, (String, usize)>>,
    /// replica → (peer, last news, on this instance)
    pub(super) peers: Mutex<HashMap<u32, (Peer, Instant, bool)>>,
}

/// A room, held by its connections; the writer task ends when the last one goes.
pub struct Room {
    pub(super) core: Arc<Core>,
    pub(super) submit: mpsc::Sender<Submit>,
    /// Rooms without a writer task (`Live::manual`): their queue, committed by `settle`.
    pub(super) queue: Option<tokio::sync::Mutex<mpsc::Receiver<Submit>>>,
}

/// Where the answer to a batch goes.
pub(super) enum Reply {
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
    pub(super) fn failed(&self) -> bool {
        match self {
            Reply::Session { failed, .. } => failed.load(Ordering::Relaxed),
            Reply::Once(_) => false,
        }
    }

    pub(super) fn send(self, msg: ServerMsg) {
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

pub(super) struct Submit {
    pub(super) hash: String,
    pub(super) batch: SentBatch,
    /// The name its writer gave when joining ('' when none), for the plan's history.
    pub(super) name: String,
    pub(super) reply: Reply,
}

impl Core {
    /// The owner is here as `name` (another instance said so): later welcomes name them.
    pub(super) async fn owner_seen_as(&self, name: &str) {
        if let Some(loaded) = self.state.lock().await.as_mut() {
            loaded.owner_name = name.to_owned();
        }
    }

    /// Loads the room's document when it has none yet; the lock stays held. A document
    /// read afresh after one was dropped (`drop_doc`) is sent to every connection
    /// (`Event::Snapshot`): they may be behind it.
    pub(super) async fn loaded(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, Option<Loaded>>, ErrorCode> {
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

    pub(super) fn send(&self, event: Event) {
        self.feed.send(event);
    }

    /// Drops the document (it fell behind the op log, or may hold what was not stored):
    /// the next `loaded` reads it afresh and sends it to every connection.
    pub(super) fn drop_doc(&self, state: &mut Option<Loaded>) {
        *state = None;
        self.dropped.store(true, Ordering::Relaxed);
    }

    pub(super) fn now(&self) -> i64 {
        (self.now)()
    }

    /// Reads what other instances logged since this room last looked.
    pub(super) async fn catch_up(&self) {
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

    pub(super) async fn revalidate(&self) {
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

    pub(super) fn peers(&self, except: u32) -> Vec<Peer> {
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
    pub(super) fn listed_viewers(&self) -> usize {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|(p, _, local)| *local && p.role == Role::Viewer)
            .count()
    }

    /// Whether `replica` is listed here as the owner (its connection proved it).
    pub(super) fn local_owner(&self, replica: u32) -> bool {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&replica)
            .is_some_and(|(p, _, local)| *local && p.owner)
    }

    /// The owner's display name as last seen ("" when unknown or the plan is not loaded).
    pub(super) async fn owner_name(&self) -> String {
        self.state
            .lock()
            .await
            .as_ref()
            .map(|l| l.owner_name.clone())
            .unwrap_or_default()
    }

    /// The name `replica` gave when joining, as its presence says ('' when none).
    pub(super) fn name_of(&self, replica: u32) -> String {
        let peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers
            .get(&replica)
            .map(|(p, _, _)| p.name.clone())
            .filter(|n| named(n))
            .unwrap_or_default()
    }

    pub(super) fn set_peer(&self, peer: Peer, local: bool) {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(peer.replica, (peer.clone(), Instant::now(), local));
        self.send(Event::Presence(
            peer.replica,
            wire::encode(&ServerMsg::Presence(peer)).into(),
        ));
    }

    pub(super) fn remove_peer(&self, replica: u32) {
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
pub(super) async fn writer(core: Arc<Core>, mut queue: mpsc::Receiver<Submit>) {
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
pub(super) async fn commit_all(core: &Core, group: Vec<Submit>) {
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

pub(super) async fn commit_group(core: &Core, hash: &str, submits: Vec<Submit>) {
    let batches: Vec<(SentBatch, String)> = submits
        .iter()
        .map(|s| (s.batch.clone(), s.name.clone()))
        .collect();
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
pub(super) fn answer(batch: u64, outcome: Outcome) -> ServerMsg {
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

/// Whether a name was given (not empty, not the placeholder others are shown instead).
pub(super) fn named(name: &str) -> bool {
    let name = clean_name(name);
    name != "Someone"
}

pub(super) fn clean_name(name: &str) -> String {
    let name = crate::model::clean_text(name, 40);
    let name = name.replace(['\n', '\t'], " ");
    let name = name.trim();
    if name.is_empty() {
        "Someone".to_owned()
    } else {
        name.to_owned()
    }
}
