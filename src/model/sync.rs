//! Keeping a replica in step with the server, as pure bookkeeping (the browser's sync client
//! and the server's rooms wire it to sockets and storage; the convergence harness drives it
//! directly).
//!
//! - The server keeps an op log: every accepted batch gets the next sequence number. A batch
//!   is accepted once, whatever number of times it is sent (retries are idempotent).
//! - A client holds `confirmed`, the document of the log up to `seq`, and its own batches the
//!   server has not acknowledged yet. What it shows is `confirmed` plus those batches, so its
//!   edits show at once, offline for days if need be, and nothing it typed is lost.
//! - Stamps from a clock far ahead of the server's are moved back to the server's bound, so a
//!   wrong clock cannot win every conflict for ever; the client then rebuilds what it shows.

use super::replica::{Change, Clock, Doc, Op, Stamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// How far ahead of the server's clock a stamp may be before the server moves it back.
pub const MAX_CLOCK_SKEW_MS: u64 = 60_000;

/// Ops sent together; retried with the same id until acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub id: u64,
    pub ops: Vec<Op>,
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
    /// The next batch id: the replica in the high bits, a counter below.
    pub next_batch: u64,
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
    pub fn new(confirmed: Doc, seq: u64, replica: u32) -> SyncState {
        SyncState {
            confirmed,
            seq,
            pending: Vec::new(),
            acked: BTreeMap::new(),
            open: Vec::new(),
            ahead: BTreeMap::new(),
            next_batch: u64::from(replica) << 32,
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

    /// Puts the open ops into a batch to send; `None` when there are none.
    pub fn seal(&mut self, max_ops: usize) -> Option<Batch> {
        if self.open.is_empty() {
            return None;
        }
        let take = self.open.len().min(max_ops.max(1));
        let ops: Vec<Op> = self.open.drain(..take).collect();
        let batch = Batch {
            id: self.next_batch,
            ops,
        };
        self.next_batch += 1;
        self.pending.push(batch.clone());
        Some(batch)
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

/// The server's side of one shared plan, in memory: the document and the op log. (The real
/// server keeps both in its database; the harness and the tests use this.)
#[derive(Clone, Debug)]
pub struct Hub {
    pub doc: Doc,
    /// Logged batches in order; those up to a pruned sequence are gone.
    pub log: Vec<Logged>,
    pub seq: u64,
    /// Accepted batch ids and their sequence numbers.
    pub applied: HashMap<u64, u64>,
    clock: Option<Clock>,
}

/// What the hub made of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub seq: u64,
    /// The ops as logged (stamps moved back where needed).
    pub ops: Vec<Op>,
    /// Whether this batch had been accepted before (nothing new was logged).
    pub duplicate: bool,
    pub restamped: bool,
}

impl Hub {
    pub fn new(doc: Doc) -> Hub {
        Hub {
            doc,
            log: Vec::new(),
            seq: 0,
            applied: HashMap::new(),
            clock: None,
        }
    }

    /// Accepts a batch (once), moving stamps too far ahead of `now` back.
    pub fn receive(&mut self, batch: &Batch, now_ms: u64) -> Receipt {
        if let Some(seq) = self.applied.get(&batch.id) {
            return Receipt {
                seq: *seq,
                ops: Vec::new(),
                duplicate: true,
                restamped: false,
            };
        }
        let (ops, restamped) = clamp(&batch.ops, now_ms, self.clock.get_or_insert(Clock::new(0)));
        for op in &ops {
            self.doc.apply(op);
        }
        self.seq += 1;
        self.applied.insert(batch.id, self.seq);
        self.log.push(Logged {
            seq: self.seq,
            batch: batch.id,
            ops: ops.clone(),
        });
        Receipt {
            seq: self.seq,
            ops,
            duplicate: false,
            restamped,
        }
    }

    /// What a client at `seq` is missing: the batches after it, or `None` when the log no
    /// longer reaches back that far (send the whole document).
    pub fn since(&self, seq: u64) -> Option<Vec<Logged>> {
        let oldest = self.log.first().map_or(self.seq + 1, |l| l.seq);
        if seq + 1 < oldest {
            return None;
        }
        Some(self.log.iter().filter(|l| l.seq > seq).cloned().collect())
    }

    /// Forgets log entries up to `seq` (clients older than that get a snapshot).
    pub fn prune(&mut self, upto: u64) {
        self.log.retain(|l| l.seq > upto);
    }
}

/// Moves stamps more than `MAX_CLOCK_SKEW_MS` ahead of `now` back to that bound, keeping
/// their order (a counter from `clock` breaks ties).
pub fn clamp(ops: &[Op], now_ms: u64, clock: &mut Clock) -> (Vec<Op>, bool) {
    let bound = now_ms + MAX_CLOCK_SKEW_MS;
    let mut restamped = false;
    let ops = ops
        .iter()
        .map(|op| {
            let stamp = op.stamp();
            if stamp.wall <= bound {
                return op.clone();
            }
            restamped = true;
            let moved = clock.tick(bound);
            let mut op = op.restamped(Stamp {
                wall: moved.wall,
                count: moved.count,
                replica: stamp.replica,
            });
            // What the writer had seen from that far ahead was moved back too (by this
            // clock, earlier): it stays seen.
            if let Op::Notes { version, .. } = &mut op {
                let just_before = match moved.count {
                    0 => (moved.wall.saturating_sub(1), u32::MAX),
                    c => (moved.wall, c - 1),
                };
                for (_, s) in version.seen.iter_mut().filter(|(_, s)| s.wall > bound) {
                    s.wall = just_before.0;
                    s.count = just_before.1;
                }
            }
            op
        })
        .collect();
    (ops, restamped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, Plan, Row, RowId};

    fn doc() -> Doc {
        Doc::from_plan(&Plan::new("t", vec![Row::blank(RowId::from("a"))]))
    }

    fn owner(value: &str, wall: u64, replica: u32) -> Op {
        Op::Cell {
            row: RowId::from("a"),
            field: Field::Owner,
            value: value.into(),
            stamp: Stamp {
                wall,
                count: 0,
                replica,
            },
        }
    }

    fn logged(seq: u64, batch: u64, ops: Vec<Op>) -> Logged {
        Logged { seq, batch, ops }
    }

    #[test]
    fn a_batch_is_logged_once_however_often_it_is_sent() {
        let mut hub = Hub::new(doc());
        let batch = Batch {
            id: 7,
            ops: vec![owner("Ana", 1000, 1)],
        };
        let first = hub.receive(&batch, 1000);
        let again = hub.receive(&batch, 2000);
        assert_eq!((first.seq, first.duplicate), (1, false));
        assert_eq!((again.seq, again.duplicate), (1, true));
        assert_eq!(hub.log.len(), 1);
    }

    #[test]
    fn a_clock_far_ahead_is_moved_back_in_order() {
        let mut hub = Hub::new(doc());
        let days = 5 * 86_400_000;
        let batch = Batch {
            id: 1,
            ops: vec![
                owner("first", 1000 + days, 1),
                owner("second", 1001 + days, 1),
            ],
        };
        let receipt = hub.receive(&batch, 1000);
        assert!(receipt.restamped);
        assert!(receipt
            .ops
            .iter()
            .all(|op| op.stamp().wall == 1000 + MAX_CLOCK_SKEW_MS));
        assert!(
            receipt.ops[0].stamp() < receipt.ops[1].stamp(),
            "order kept"
        );
        assert_eq!(hub.doc.plan().rows[0].owner, "second");
        // A later honest edit from another replica still wins.
        let later = hub.receive(
            &Batch {
                id: 2,
                ops: vec![owner("honest", 1000 + MAX_CLOCK_SKEW_MS + 1, 2)],
            },
            1000 + MAX_CLOCK_SKEW_MS + 1,
        );
        assert!(!later.restamped);
        assert_eq!(hub.doc.plan().rows[0].owner, "honest");
    }

    #[test]
    fn a_client_shows_its_edits_at_once_and_follows_the_log() {
        let mut client = SyncState::new(doc(), 0, 3);
        let mut shown = client.view();
        let mine = owner("mine", 10, 3);
        shown.apply(&mine);
        client.local([mine]);
        assert_eq!(client.waiting(), 1);
        let batch = client.seal(100).unwrap();
        assert_eq!(batch.id >> 32, 3);
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
        let mut client = SyncState::new(doc(), 0, 3);
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
        let mut a = SyncState::new(doc(), 0, 3);
        let mut b = SyncState::new(doc(), 0, 4);
        a.local([owner("a", 10, 3)]);
        a.seal(10);
        b.local([owner("b", 11, 4)]);
        b.seal(10);
        a.adopt(&b);
        a.adopt(&b);
        assert_eq!(a.pending.len(), 2);
        assert_eq!(a.view().plan().rows[0].owner, "b");
    }

    #[test]
    fn a_client_older_than_the_log_gets_the_document() {
        let mut hub = Hub::new(doc());
        for i in 0..5 {
            hub.receive(
                &Batch {
                    id: i,
                    ops: vec![owner(&format!("v{i}"), 10 + i, 1)],
                },
                100,
            );
        }
        assert_eq!(hub.since(2).unwrap().len(), 3);
        hub.prune(3);
        assert!(hub.since(2).is_none());
        assert_eq!(hub.since(3).unwrap().len(), 2);
    }

    #[test]
    fn stamps_the_server_moved_replace_what_the_writer_shows() {
        let days = 3 * 86_400_000;
        let mut hub = Hub::new(doc());
        let mut client = SyncState::new(doc(), 0, 3);
        let mut shown = client.view();
        let ahead = owner("from the future", 1000 + days, 3);
        shown.apply(&ahead);
        client.local([ahead]);
        let batch = client.seal(10).unwrap();
        let receipt = hub.receive(&batch, 1000);
        assert!(receipt.restamped);
        // The logged ops arrive before the acknowledgement.
        let update = client.on_ops(logged(receipt.seq, batch.id, receipt.ops), &mut shown);
        assert_eq!(update, Update::Rebuild);
        shown = client.view();
        assert_eq!(shown, hub.doc);
        assert_eq!(
            client.on_ack(batch.id, receipt.seq),
            Update::Changes(Vec::new())
        );
        assert_eq!(client.waiting(), 0);
    }

    #[test]
    fn a_retry_acknowledged_after_a_snapshot_leaves_the_snapshot_shown() {
        let days = 3 * 86_400_000;
        let mut hub = Hub::new(doc());
        let mut client = SyncState::new(doc(), 0, 3);
        client.local([owner("ahead", 1000 + days, 3)]);
        let batch = client.seal(10).unwrap();
        let receipt = hub.receive(&batch, 1000);
        // The connection broke before anything came back; the client is then sent the
        // whole document and retries the batch.
        client.on_snapshot(hub.seq, hub.doc.clone());
        assert_eq!(client.waiting(), 1, "not acknowledged yet");
        let again = hub.receive(&batch, 2000);
        assert!(again.duplicate);
        assert_eq!(client.on_ack(batch.id, receipt.seq), Update::Rebuild);
        assert_eq!(client.view(), hub.doc);
        assert!(client.pending.is_empty());
    }

    #[test]
    fn typing_queues_one_write_per_cell() {
        let mut client = SyncState::new(doc(), 0, 3);
        for (i, text) in ["A", "An", "Ana"].iter().enumerate() {
            client.local([owner(text, 10 + i as u64, 3)]);
        }
        assert_eq!(client.waiting(), 1);
        assert_eq!(client.view().plan().rows[0].owner, "Ana");
    }
}
