//! The browser's side of the live-editing protocol, as pure rules over the editing
//! session: what a connection sends when it opens, what each server message does to the
//! plan, when to ask for batches that are missing. The editor (`ui::live_sync`) wires it to
//! a socket and the page; the simulation (`tests/simulation.rs`) to its simulated network:
//! both run this code.

use super::wire::{ClientMsg, ErrorCode, Hello, Peer, ServerMsg, PROTOCOL};
use crate::model::{EditToken, NotKept, Overridden, PlanId, Remote, Session, ShareId};

/// Ops in one batch the browser sends (the server takes up to 2,000).
pub const BATCH_OPS: usize = 500;

/// Joining through an edit link: the share and its secret, until the server's copy
/// arrives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joining {
    pub share: ShareId,
    pub token: EditToken,
}

/// What the page (or the simulation) does after a message.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Send this on the connection.
    Send(ClientMsg),
    /// Show what changed in the plan.
    Show(Remote),
    /// The server let this connection in; these are the others here, and the owner's
    /// name ("" when the server has not seen the owner yet).
    Welcomed {
        peers: Vec<Peer>,
        owner: String,
    },
    /// The plan joined through an edit link is here now.
    Joined(PlanId),
    /// The server did not take some of this tab's changes.
    NotKept(NotKept),
    /// Some of this tab's changes arrived after someone else's newer ones (or after the row
    /// was deleted): they do not show.
    Overridden(Vec<Overridden>),
    /// Someone's presence changed, or they left.
    Presence(Peer),
    Left(u32),
    /// Something for the person to read (an error that keeps the connection).
    Notice(String),
}

/// One connection's protocol state.
#[derive(Clone, Debug, Default)]
pub struct Conn {
    /// The plan this connection serves (`None` while joining).
    pub plan: Option<PlanId>,
    pub joining: Option<Joining>,
    /// Whether the server welcomed it.
    pub welcomed: bool,
    /// Missing batches were asked for at this sequence (once per gap).
    asked: Option<u64>,
}

impl Conn {
    pub fn new(plan: Option<PlanId>, joining: Option<Joining>) -> Conn {
        Conn {
            plan,
            joining,
            welcomed: false,
            asked: None,
        }
    }

    /// The first message: who this tab is, with what right, and how much it holds. A tab
    /// that owns the plan's share says so with the owner secret.
    pub fn hello(&self, session: &Session, token: EditToken, name: String) -> ClientMsg {
        let live = self.plan.as_ref().and_then(|p| session.live(p));
        let known = live
            .filter(|l| !l.resuming)
            .map(|l| l.sync.seq)
            .filter(|seq| *seq > 0);
        let owner = self.plan.as_ref().and_then(|p| {
            let share = session.workspace().share_of(p)?;
            (live?.share == share.id).then(|| share.owner_token.clone())
        });
        ClientMsg::Hello(Hello {
            protocol: PROTOCOL,
            token: Some(token),
            known,
            replica: session.replica(),
            key: session.key(),
            name,
            owner,
        })
    }

    /// This tab's writes not sent yet, as batches (once the server welcomed the
    /// connection).
    pub fn outgoing(&self, session: &mut Session) -> Vec<ClientMsg> {
        let Some(plan) = self.plan.as_ref().filter(|_| self.welcomed) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while let Some(batch) = session.outgoing(plan, BATCH_OPS) {
            out.push(ClientMsg::Ops(batch.into()));
        }
        out
    }

    /// Whether this tab can say "Synced": welcomed, nothing waiting, nothing missing.
    pub fn synced(&self, session: &Session) -> bool {
        self.welcomed
            && self.plan.as_ref().is_some_and(|p| {
                session.waiting(p) == 0
                    && !session.has_gap(p)
                    && session.live(p).is_some_and(|l| !l.resuming)
            })
    }

    /// What a message from the server does.
    pub fn on_message(&mut self, session: &mut Session, msg: ServerMsg) -> Vec<Effect> {
        let mut effects = Vec::new();
        match msg {
            ServerMsg::Welcome { peers, owner, .. } => {
                self.welcomed = true;
                self.asked = None;
                let me = session.replica();
                effects.push(Effect::Welcomed {
                    peers: peers.into_iter().filter(|p| p.replica != me).collect(),
                    owner,
                });
                if let Some(plan) = &self.plan {
                    for batch in session.unacknowledged(plan) {
                        effects.push(Effect::Send(ClientMsg::Ops(batch.into())));
                    }
                }
                effects.extend(self.outgoing(session).into_iter().map(Effect::Send));
            }
            ServerMsg::Snapshot { seq, doc } => {
                self.asked = None;
                if let Some(joining) = self.joining.take() {
                    let id = session.join(&joining.share, joining.token, doc, seq);
                    self.plan = Some(id.clone());
                    effects.push(Effect::Joined(id));
                } else if let Some(plan) = &self.plan {
                    let resumed = session.live(plan).is_some_and(|l| l.resuming);
                    effects.push(Effect::Show(session.on_snapshot(plan, seq, doc)));
                    if resumed {
                        // What this copy holds that the server's lacks goes out now.
                        effects.extend(self.outgoing(session).into_iter().map(Effect::Send));
                    }
                }
            }
            ServerMsg::Ops(logged) => {
                if let Some(plan) = &self.plan {
                    effects.push(Effect::Show(session.on_logged(plan, logged)));
                    let lost = session.take_overridden(plan);
                    if !lost.is_empty() {
                        effects.push(Effect::Overridden(lost));
                    }
                    let seq = session.live(plan).map_or(0, |l| l.sync.seq);
                    if !session.has_gap(plan) {
                        self.asked = None;
                    } else if self.asked != Some(seq) {
                        // The server never skips a batch on a working connection; if one
                        // is missing anyway, ask once for what follows `seq`.
                        self.asked = Some(seq);
                        effects.push(Effect::Send(ClientMsg::Resync { known: seq }));
                    }
                }
            }
            ServerMsg::Ack {
                batch,
                seq,
                refused,
            } => {
                if let Some(plan) = &self.plan {
                    let (remote, not_kept) = session.on_ack(plan, batch, seq, &refused);
                    effects.push(Effect::Show(remote));
                    if let Some(not_kept) = not_kept {
                        effects.push(Effect::NotKept(not_kept));
                    }
                }
            }
            ServerMsg::Presence(peer) => {
                if peer.replica != session.replica() {
                    effects.push(Effect::Presence(peer));
                }
            }
            ServerMsg::Left { replica } => effects.push(Effect::Left(replica)),
            ServerMsg::Pong(_) => {}
            ServerMsg::Error {
                code,
                batch,
                message,
            } => match (code, batch, &self.plan) {
                // A batch in a name that is not this tab's (another page took its replica
                // id): none of it was taken.
                (ErrorCode::NotYours, Some(batch), Some(plan)) => {
                    let (remote, not_kept) = session.not_taken(plan, batch);
                    effects.push(Effect::Show(remote));
                    if let Some(not_kept) = not_kept {
                        effects.push(Effect::NotKept(not_kept));
                    }
                    effects.push(Effect::Notice(message));
                }
                // Fatal errors are followed by a close, which decides what happens next.
                _ if code.close_code().is_none() => effects.push(Effect::Notice(message)),
                _ => {}
            },
        }
        effects
    }

    /// The connection ended: it is no longer welcomed (a new one says hello again).
    pub fn closed(&mut self) {
        self.welcomed = false;
        self.asked = None;
    }
}
