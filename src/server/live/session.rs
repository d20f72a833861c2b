//! A connection's session: the hello that opens it, the messages it sends (batches,
//! presence, resyncs), and the limits each is held to.

use super::room::*;
use super::*;

pub trait Outbox: Send {
    fn send(&mut self, bytes: Arc<[u8]>) -> impl std::future::Future<Output = bool> + Send;
    fn close(&mut self, code: ErrorCode) -> impl std::future::Future<Output = ()> + Send;
}

/// An accepted session: who it is and where it starts.
pub struct Session {
    pub(super) room: Arc<Room>,
    pub(super) role: Role,
    /// The edit link hash it was let in with (editors).
    pub(super) hash: Option<String>,
    pub(super) replica: u32,
    /// Whether the replica's key is bound to it for this plan (its presence can be trusted
    /// to be this tab's).
    pub(super) bound: bool,
    /// The address it connected from (its edits count against that address too).
    pub(super) client: ClientKey,
    pub(super) name: String,
    /// The last sequence it was sent.
    pub(super) seq: u64,
    /// Where it is in its room's events.
    pub(super) cursor: Cursor,
    /// Acknowledgements coming back from the writer.
    pub(super) acks: mpsc::Sender<ServerMsg>,
    pub(super) acks_rx: mpsc::Receiver<ServerMsg>,
    /// Set when a batch of this connection could not be stored (or answered).
    pub(super) failed: Arc<AtomicBool>,
    /// Whether others are told it is here (editors, and the first few viewers).
    pub(super) listed: bool,
    /// Whether it proved to be the plan's owner (`Hello::owner`).
    pub(super) owner: bool,
}

impl Session {
    /// The last sequence this connection was sent (the simulation checks it).
    pub fn seq(&self) -> u64 {
        self.seq
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
                    let given = token.hash();
                    match &loaded.edit_hash {
                        Some(current) if same_hash(current, &given) => (Role::Editor, Some(given)),
                        _ => return Err(Refused(ErrorCode::Forbidden)),
                    }
                }
            };
            // The owner, proven like any owner request; a wrong secret is only ignored.
            let owner = role == Role::Editor
                && hello
                    .owner
                    .as_ref()
                    .is_some_and(|secret| same_hash(&loaded.owner_hash, &secret.hash()));
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
            let colour = wire::colour_of_name(&name);

            let peer = Peer {
                replica,
                name,
                colour,
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
    pub(super) async fn send_log(
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
    pub(super) async fn keep_owner_name(&self, id: &ShareId, name: &str) {
        if let Err(e) = self.store.set_owner_name(id, name).await {
            tracing::debug!(error = %e, "the owner's name was not stored");
        }
    }

    pub(super) async fn tell_others_presence(&self, id: &ShareId, peer: &Peer) {
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
    pub(super) async fn send_missing(
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

    pub(super) async fn presence(&self, session: &mut Session, p: Presence) {
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
        let colour = wire::colour_of_name(&name);

        let peer = Peer {
            replica: session.replica,
            name,
            colour,
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
    pub(super) async fn submit(
        &self,
        session: &mut Session,
        batch: SentBatch,
    ) -> Result<(), ErrorCode> {
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
            name: if named(&session.name) {
                session.name.clone()
            } else {
                String::new()
            },
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
    pub(super) fn ops_allowed(
        &self,
        id: &ShareId,
        replica: u32,
        client: ClientKey,
        n: usize,
    ) -> bool {
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
    pub(super) fn presence_allowed(&self, id: &ShareId, replica: u32) -> bool {
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
    pub(super) fn has_bound(&self, room: &Room, replica: u32, key: u64) -> bool {
        room.core
            .bound
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&replica)
            .is_some_and(|(hash, _)| same_hash(hash, &key_hash(key)))
    }
}

pub(super) fn error_msg(code: ErrorCode, batch: Option<u64>) -> ServerMsg {
    ServerMsg::Error {
        code,
        batch,
        message: code.explain().to_owned(),
    }
}

/// Gives a connection's place in its room back if the session never started.
pub(super) struct ConnGuard(Option<(Arc<Core>, Role)>);

impl ConnGuard {
    /// The session started: its end gives the place back.
    pub(super) fn keep(mut self) {
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
