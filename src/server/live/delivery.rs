//! What goes out: a session served until it ends (room events, acknowledgements, the
//! document when it fell behind), and the fallback's one-off requests.

use super::room::*;
use super::*;

impl Live {
    /// Submits one batch outside a session (the fallback's `POST`, whose page has its
    /// stream open) and waits for the answer.
    pub async fn submit_once(
        &self,
        id: &ShareId,
        token: &str,
        batch: SentBatch,
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
            name: room.core.name_of(replica),
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
        let colour = wire::colour_of_name(&name);

        let peer = Peer {
            replica,
            name,
            colour,
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
    pub(super) async fn send_ack(
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
    pub(super) async fn deliver(
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

    pub(super) async fn resend(&self, session: &mut Session, out: &mut impl Outbox) -> bool {
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
