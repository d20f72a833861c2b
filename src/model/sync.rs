//! Keeping a browser's copy of a plan edited together in step with the server, as pure
//! bookkeeping (the browser's sync client wires it to sockets and storage; the simulation
//! drives it directly).
//!
//! - The server keeps an op log: every accepted batch gets the next sequence number. A batch
//!   is accepted once, whatever number of times it is sent (see `accept`).
//! - A client holds `confirmed`, the document of the log up to `seq`, and its own batches the
//!   server has not acknowledged yet. What it shows is `confirmed` plus those batches, so its
//!   edits show at once, offline for days if need be, and nothing it typed is lost.
//! - The server may log a batch otherwise than it was sent (stamps from a clock far ahead
//!   moved back, ops it could not take left out): the client then rebuilds what it shows.

pub mod accept;
mod overridden;

pub use overridden::{overridden, Overridden, MAX_OVERRIDDEN};

use crate::model::crdt::{Change, Doc, Op, WireOp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Ops sent together; retried with the same id until acknowledged. The sender keeps it
/// typed (`Batch`); the server reads it as sent (`SentBatch`), to check op by op.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch<O = Op> {
    /// The sending replica in the high 32 bits, its counter for the plan below (see
    /// `accept::batch_id`).
    pub id: u64,
    /// The replica's secret: only the page that made the batch (or another tab of the same
    /// browser, which shares its storage) can send it.
    #[serde(default)]
    pub key: u64,
    pub ops: Vec<O>,
}

/// A batch as a peer sent it: its ops are what the server checks, one by one.
pub type SentBatch = Batch<WireOp>;

impl From<Batch> for SentBatch {
    fn from(batch: Batch) -> SentBatch {
        SentBatch {
            id: batch.id,
            key: batch.key,
            ops: batch.ops.into_iter().map(WireOp::from).collect(),
        }
    }
}

/// A client's side of a shared plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The server's document up to `seq`.
    pub confirmed: Doc,
    pub seq: u64,
    /// Batches sent (or to send) whose logged ops have not reached `confirmed` yet, oldest
    /// first.
    pub pending: Vec<Batch>,
    /// Pending batches the server has acknowledged, with the sequence they were logged as
    /// (kept in the view until `confirmed` reaches that sequence).
    #[serde(default)]
    pub acked: BTreeMap<u64, u64>,
    /// Ops not in a batch yet.
    pub open: Vec<Op>,
    /// Logged batches that arrived ahead of a gap in the sequence.
    #[serde(default)]
    pub ahead: BTreeMap<u64, Logged>,
    /// This tab's changes that lost to someone else's when they were logged, until the page
    /// reads them (`MAX_OVERRIDDEN` at most).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overridden: Vec<Overridden>,
}

/// A batch as the server logged it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logged {
    pub seq: u64,
    pub batch: u64,
    pub ops: Vec<Op>,
}

/// What the shown document needs after a message from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Update {
    /// Apply these changes (already applied to the shown document by `on_ops`).
    Changes(Vec<Change>),
    /// Show `view()` afresh (a snapshot, or stamps the server moved).
    Rebuild,
}

impl SyncState {
    pub fn new(confirmed: Doc, seq: u64) -> SyncState {
        SyncState {
            confirmed,
            seq,
            pending: Vec::new(),
            acked: BTreeMap::new(),
            open: Vec::new(),
            ahead: BTreeMap::new(),
            overridden: Vec::new(),
        }
    }

    /// What the user sees: the confirmed document with this client's unconfirmed ops on
    /// top.
    pub fn view(&self) -> Doc {
        let mut doc = self.confirmed.clone();
        for op in self.pending.iter().flat_map(|b| &b.ops).chain(&self.open) {
            doc.apply(op);
        }
        doc
    }

    /// Records ops the user just made (already applied to the shown document). A later
    /// write to a register replaces an unsent earlier one (typing a word queues one write,
    /// not one per key; a Notes version written over the earlier one has seen it).
    pub fn local(&mut self, ops: impl IntoIterator<Item = Op>) {
        for op in ops {
            self.open
                .retain(|o| !(o.same_register(&op) && o.stamp() < op.stamp()));
            self.open.push(op);
        }
    }

    /// Ops the server has not acknowledged yet.
    pub fn waiting(&self) -> usize {
        self.open.len()
            + self
                .pending
                .iter()
                .filter(|b| !self.acked.contains_key(&b.id))
                .map(|b| b.ops.len())
                .sum::<usize>()
    }

    /// Batches to send (again) after connecting: those not acknowledged yet.
    pub fn unacknowledged(&self) -> impl Iterator<Item = &Batch> {
        self.pending
            .iter()
            .filter(|b| !self.acked.contains_key(&b.id))
    }

    /// Puts the open ops (`max_ops` at most) into the batch `id` to send; `None` when there
    /// are none.
    pub fn seal(&mut self, max_ops: usize, id: u64, key: u64) -> Option<Batch> {
        if self.open.is_empty() {
            return None;
        }
        let take = self.open.len().min(max_ops.max(1));
        let ops: Vec<Op> = self.open.drain(..take).collect();
        let batch = Batch { id, key, ops };
        self.pending.push(batch.clone());
        Some(batch)
    }

    /// Takes a batch out of the pending ones (the server took none of its ops, or the
    /// ones it took arrive logged); says whether it was there.
    pub fn drop_pending(&mut self, batch: u64) -> bool {
        let before = self.pending.len();
        self.pending.retain(|b| b.id != batch);
        self.acked.remove(&batch);
        self.pending.len() != before
    }

    /// The server stored `batch` as sequence `seq` (now, or earlier when this was a
    /// retry).
    pub fn on_ack(&mut self, batch: u64, seq: u64) -> Update {
        if !self.pending.iter().any(|b| b.id == batch) {
            return Update::Changes(Vec::new());
        }
        if seq > self.seq {
            // Its logged ops are on their way: keep showing ours until they arrive.
            self.acked.insert(batch, seq);
            return Update::Changes(Vec::new());
        }
        // Already in `confirmed` (through a snapshot): what was logged is what counts.
        self.pending.retain(|b| b.id != batch);
        self.acked.remove(&batch);
        Update::Rebuild
    }

    /// A batch the server logged (anyone's, ours included). Applies it to `shown` too,
    /// when it follows on.
    pub fn on_ops(&mut self, logged: Logged, shown: &mut Doc) -> Update {
        if logged.seq <= self.seq {
            return Update::Changes(Vec::new());
        }
        self.ahead.insert(logged.seq, logged);
        let mut changes = Vec::new();
        let mut rebuild = false;
        while let Some(logged) = self.ahead.remove(&(self.seq + 1)) {
            for op in &logged.ops {
                self.confirmed.apply(op);
            }
            self.seq = logged.seq;
            if let Some(i) = self.pending.iter().position(|b| b.id == logged.batch) {
                let mine = self.pending.remove(i);
                self.acked.remove(&mine.id);
                self.overridden
                    .extend(overridden(&self.confirmed, logged.batch, &logged.ops));
                let extra = self.overridden.len().saturating_sub(MAX_OVERRIDDEN);
                self.overridden.drain(..extra);
                // Logged as sent: shown already holds it. Moved stamps: show what counts.
                if mine.ops != logged.ops {
                    rebuild = true;
                }
                continue;
            }
            for op in &logged.ops {
                if let Some(c) = shown.apply(op) {
                    if !changes.contains(&c) {
                        changes.push(c);
                    }
                }
            }
        }
        // Batches acknowledged as already in the log up to here (taken before, or nothing
        // of them was taken): what was logged is what counts.
        let (acked, seq) = (&mut self.acked, self.seq);
        self.pending.retain(|b| match acked.get(&b.id) {
            Some(logged) if *logged <= seq => {
                acked.remove(&b.id);
                rebuild = true;
                false
            }
            _ => true,
        });
        if rebuild {
            Update::Rebuild
        } else {
            Update::Changes(changes)
        }
    }

    /// Whether logged batches are missing before the ones held (ask the server again).
    pub fn has_gap(&self) -> bool {
        !self.ahead.is_empty()
    }

    /// The server's whole document at `seq` (the client was older than its log). Batches
    /// acknowledged up to `seq` are in it.
    pub fn on_snapshot(&mut self, seq: u64, doc: Doc) -> Update {
        self.confirmed = doc;
        self.seq = seq;
        self.ahead.retain(|s, _| *s > seq);
        let acked = &mut self.acked;
        self.pending.retain(|b| match acked.get(&b.id) {
            Some(logged) if *logged <= seq => {
                acked.remove(&b.id);
                false
            }
            _ => true,
        });
        Update::Rebuild
    }

    /// Takes in another tab's copy of the same shared plan: the longer log and both tabs'
    /// unconfirmed batches (each is sent, and stored, once).
    pub fn adopt(&mut self, other: &SyncState) {
        if other.seq > self.seq {
            self.confirmed = other.confirmed.clone();
            self.seq = other.seq;
            self.ahead.retain(|s, _| *s > other.seq);
        }
        for (seq, logged) in &other.ahead {
            if *seq > self.seq {
                self.ahead.entry(*seq).or_insert_with(|| logged.clone());
            }
        }
        for batch in &other.pending {
            if !self.pending.iter().any(|b| b.id == batch.id) {
                self.pending.push(batch.clone());
            }
        }
        for (batch, seq) in &other.acked {
            self.acked.entry(*batch).or_insert(*seq);
        }
        // Batches whose logged ops the adopted log already holds.
        let (acked, seq) = (&mut self.acked, self.seq);
        self.pending.retain(|b| match acked.get(&b.id) {
            Some(logged) if *logged <= seq => {
                acked.remove(&b.id);
                false
            }
            _ => true,
        });
        for op in &other.open {
            if !self.open.contains(op) {
                self.open.push(op.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sync::accept::tests::{doc, owner};
    use crate::model::sync::accept::{accept, batch_id, DocLimits, LiveDoc, Outcome};
    use std::collections::HashMap;

    fn logged(seq: u64, batch: u64, ops: Vec<Op>) -> Logged {
        Logged { seq, batch, ops }
    }

    /// The server's side, as the accept rule has it.
    struct Server {
        live: LiveDoc,
        book: HashMap<u32, crate::model::sync::accept::ReplicaRecord>,
    }

    impl Server {
        fn new() -> Server {
            Server {
                live: LiveDoc::new(doc(), 0),
                book: HashMap::new(),
            }
        }

        fn receive(&mut self, batch: &Batch, now: u64) -> Outcome {
            self.book
                .entry(crate::model::replica_of(batch.id))
                .or_insert_with(|| crate::model::ReplicaRecord {
                    key_hash: "key".into(),
                    counter: 0,
                    seq: 0,
                });
            accept(
                &mut self.live,
                &mut self.book,
                &batch.clone().into(),
                "key",
                now,
                &DocLimits::default(),
            )
        }
    }

    #[test]
    fn changes_that_lost_are_reported_and_at_most_max_overridden_wait_to_be_read() {
        let mut client = SyncState::new(doc(), 0);
        let mut shown = doc();
        // Someone else (replica 2) wrote the cell, later than anything this tab writes.
        client.on_ops(
            logged(1, batch_id(2, 1), vec![owner("theirs", 10_000, 2)]),
            &mut shown,
        );
        let n = MAX_OVERRIDDEN as u32 + 20;
        for i in 1..=n {
            client
                .open
                .push(owner(&format!("mine {i}"), u64::from(i), 7));
            let batch = client.seal(10, batch_id(7, i), 1).expect("an open op");
            client.on_ops(logged(u64::from(i) + 1, batch.id, batch.ops), &mut shown);
        }
        assert_eq!(client.overridden.len(), MAX_OVERRIDDEN, "bounded");
        assert_eq!(client.overridden[0].mine, "mine 21", "the oldest go first");
        assert_eq!(
            client.overridden.last().map(|o| o.mine.as_str()),
            Some(format!("mine {n}").as_str())
        );
        assert!(client
            .overridden
            .iter()
            .all(|o| o.by == 2 && o.now == "theirs" && !o.row_deleted));
    }

    #[test]
    fn a_client_shows_its_edits_at_once_and_follows_the_log() {
        let mut client = SyncState::new(doc(), 0);
        let mut shown = client.view();
        let mine = owner("mine", 10, 3);
        shown.apply(&mine);
        client.local([mine]);
        assert_eq!(client.waiting(), 1);
        let batch = client.seal(100, batch_id(3, 1), 1).unwrap();
        // Someone else's op arrives first, then ours comes back logged.
        let theirs = owner("theirs", 5, 4);
        client.on_ops(logged(1, 99, vec![theirs]), &mut shown);
        assert_eq!(shown.plan().rows[0].owner, "mine", "ours is later");
        client.on_ack(batch.id, 2);
        assert_eq!(client.waiting(), 0);
        assert_eq!(shown.plan().rows[0].owner, "mine");
        client.on_ops(logged(2, batch.id, batch.ops.clone()), &mut shown);
        assert_eq!(client.waiting(), 0);
        assert_eq!(client.seq, 2);
        assert_eq!(client.view(), shown);
    }

    #[test]
    fn ops_after_a_gap_wait_for_the_missing_ones() {
        let mut client = SyncState::new(doc(), 0);
        let mut shown = client.view();
        client.on_ops(logged(2, 8, vec![owner("two", 20, 4)]), &mut shown);
        assert!(client.has_gap());
        assert_eq!(client.seq, 0);
        client.on_ops(logged(1, 9, vec![owner("one", 10, 4)]), &mut shown);
        assert!(!client.has_gap());
        assert_eq!(client.seq, 2);
        assert_eq!(shown.plan().rows[0].owner, "two");
    }

    #[test]
    fn two_tabs_of_one_shared_plan_combine_their_queues() {
        let mut a = SyncState::new(doc(), 0);
        let mut b = SyncState::new(doc(), 0);
        a.local([owner("a", 10, 3)]);
        a.seal(10, batch_id(3, 1), 3);
        b.local([owner("b", 11, 4)]);
        b.seal(10, batch_id(4, 1), 4);
        a.adopt(&b);
        a.adopt(&b);
        assert_eq!(a.pending.len(), 2);
        assert_eq!(a.view().plan().rows[0].owner, "b");
    }

    #[test]
    fn stamps_the_server_moved_replace_what_the_writer_shows() {
        let days = 3 * 86_400_000;
        let mut server = Server::new();
        let mut client = SyncState::new(doc(), 0);
        let mut shown = client.view();
        let ahead = owner("from the future", 1000 + days, 3);
        shown.apply(&ahead);
        client.local([ahead]);
        let batch = client.seal(10, batch_id(3, 1), 3).unwrap();
        let Outcome::Logged { logged: l, .. } = server.receive(&batch, 1000) else {
            panic!()
        };
        assert_ne!(l.ops, batch.ops, "moved back");
        // The logged ops arrive before the acknowledgement.
        let update = client.on_ops(l.clone(), &mut shown);
        assert_eq!(update, Update::Rebuild);
        shown = client.view();
        assert_eq!(shown, server.live.doc);
        assert_eq!(client.on_ack(batch.id, l.seq), Update::Changes(Vec::new()));
        assert_eq!(client.waiting(), 0);
    }

    #[test]
    fn a_retry_acknowledged_after_a_snapshot_leaves_the_snapshot_shown() {
        let days = 3 * 86_400_000;
        let mut server = Server::new();
        let mut client = SyncState::new(doc(), 0);
        client.local([owner("ahead", 1000 + days, 3)]);
        let batch = client.seal(10, batch_id(3, 1), 3).unwrap();
        let Outcome::Logged { logged: first, .. } = server.receive(&batch, 1000) else {
            panic!()
        };
        // The connection broke before anything came back; the client is then sent the
        // whole document and retries the batch.
        client.on_snapshot(server.live.seq, server.live.doc.clone());
        assert_eq!(client.waiting(), 1, "not acknowledged yet");
        assert_eq!(
            server.receive(&batch, 2000),
            Outcome::Duplicate { seq: first.seq }
        );
        assert_eq!(client.on_ack(batch.id, first.seq), Update::Rebuild);
        assert_eq!(client.view(), server.live.doc);
        assert!(client.pending.is_empty());
    }

    #[test]
    fn typing_queues_one_write_per_cell() {
        let mut client = SyncState::new(doc(), 0);
        for (i, text) in ["A", "An", "Ana"].iter().enumerate() {
            client.local([owner(text, 10 + i as u64, 3)]);
        }
        assert_eq!(client.waiting(), 1);
        assert_eq!(client.view().plan().rows[0].owner, "Ana");
    }
}
