//! The accept rule: what the server makes of a batch a browser sends for a plan edited
//! together. One pure function, [`accept`], owns every decision — who may send the batch,
//! whether it was taken before, how stamps from clocks far ahead are moved back, what each
//! op may write, the plan's limits — so the server (which runs it inside the transaction
//! that stores its result) and the simulation (which runs it against the same store) can
//! never disagree about a batch.
//!
//! - **Identity.** A batch id is a replica (one page load of the editor) in the high 32
//!   bits and that replica's counter for the plan below, from 1 without gaps. The server
//!   keeps, per plan and replica, the hash of the replica's key (a secret only that page
//!   knows), the last counter taken and its sequence: nobody can send a batch in another
//!   replica's name, and a batch sent again is recognised however long ago the op log was
//!   pruned.
//! - **Stamps.** A stamp more than a minute ahead of the server's clock, or with a counter
//!   no honest clock reaches, is moved back (in order) by a clamp clock that starts at the
//!   document's latest stamp. A stamp that equals one the document holds with different
//!   content is a forgery and is refused.
//! - **Ops one by one.** An op that cannot be read, or that would take the plan past its
//!   limits, is refused on its own: the batch's other ops are logged, and the browser is
//!   told which were not and why. Nothing ends the connection.

use crate::model::crdt::{Doc, Op, Stamp, Version, WireOp, MAX_VERSIONS};
use crate::model::doc::limits::MAX_ROWS;
use crate::model::sync::{Logged, SentBatch};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// How far ahead of the server's clock a stamp may be before it is moved back.
pub const MAX_CLOCK_SKEW_MS: u64 = 60_000;

/// The largest counter an honest clock gives a stamp (a million writes in one millisecond).
pub const MAX_STAMP_COUNT: u32 = 1 << 20;

/// Rows a live document may hold, deleted ones included (they keep their registers so a
/// delete can be undone anywhere).
pub const MAX_DOC_ROWS: usize = 3 * MAX_ROWS;

/// The replica a batch id names.
pub fn replica_of(batch: u64) -> u32 {
    (batch >> 32) as u32
}

/// The replica's counter a batch id carries.
pub fn counter_of(batch: u64) -> u32 {
    batch as u32
}

/// The id of `replica`'s batch number `counter`.
pub fn batch_id(replica: u32, counter: u32) -> u64 {
    (u64::from(replica) << 32) | u64::from(counter)
}

/// A plan edited together as the server holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveDoc {
    pub doc: Doc,
    /// The sequence of the last batch logged.
    pub seq: u64,
    /// Moves stamps from clocks far ahead back, after everything the document holds.
    clock: crate::model::crdt::Clock,
    /// About how many bytes the document holds (`doc_bytes`), kept as ops apply.
    bytes: usize,
    /// Rows shown.
    alive: usize,
}

/// About how many bytes a row takes (texts, stamps, what Notes versions saw), for the
/// document's byte budget.
pub fn row_bytes(id: &crate::model::doc::plan::RowId, r: &crate::model::crdt::RowDoc) -> usize {
    const STAMP: usize = 16;
    id.as_str().len()
        + r.item.value.len()
        + r.category.value.len()
        + r.owner.value.len()
        + r.position.value.0.len()
        + 7 * STAMP
        + r.notes
            .versions
            .iter()
            .map(|v| v.text.len() + STAMP + 16 + v.seen.len() * (4 + STAMP))
            .sum::<usize>()
        + 32
}

/// About how many bytes a document takes.
pub fn doc_bytes(doc: &Doc) -> usize {
    doc.title.value.len()
        + doc
            .rows
            .iter()
            .map(|(id, r)| row_bytes(id, r))
            .sum::<usize>()
}

impl LiveDoc {
    pub fn new(doc: Doc, seq: u64) -> LiveDoc {
        let mut clock = crate::model::crdt::Clock::new(0);
        clock.observe(doc.latest());
        let bytes = doc_bytes(&doc);
        let alive = doc.live_count();
        LiveDoc {
            doc,
            seq,
            clock,
            bytes,
            alive,
        }
    }

    /// About how many bytes the document holds.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Applies an op the rule took, keeping the byte count and the rows shown.
    fn apply(&mut self, op: &Op) {
        let row = op.row().cloned();
        let measure = |doc: &Doc| match &row {
            Some(id) => doc
                .row(id)
                .map_or((0, false), |r| (row_bytes(id, r), r.alive.value)),
            None => (doc.title.value.len(), false),
        };
        let (before, was_alive) = measure(&self.doc);
        self.doc.apply(op);
        let (after, is_alive) = measure(&self.doc);
        self.bytes = (self.bytes + after).saturating_sub(before);
        self.alive = self.alive + usize::from(is_alive) - usize::from(was_alive);
    }

    /// Applies batches other instances logged since this copy's sequence. `Err(Behind)`
    /// when they do not follow on from it (the log was pruned past it): read the
    /// document afresh.
    pub fn catch_up(&mut self, missing: &[Logged], until: u64) -> Result<(), Behind> {
        if !follows_on(self.seq, until, missing) {
            return Err(Behind);
        }
        for logged in missing {
            for op in &logged.ops {
                self.clock.observe(op.stamp());
                self.apply(op);
            }
            self.seq = logged.seq;
        }
        Ok(())
    }
}

/// A copy of a live plan is older than what the op log still holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Behind;

/// Whether `logged` is every batch after `after`, in order, reaching at least `until`.
pub fn follows_on(after: u64, until: u64, logged: &[Logged]) -> bool {
    match (logged.first(), logged.last()) {
        (Some(first), Some(last)) => {
            first.seq == after + 1
                && last.seq >= until
                && logged.windows(2).all(|w| w[1].seq == w[0].seq + 1)
        }
        _ => after >= until,
    }
}

/// What a browser that holds the log up to `known` (`None`: nothing yet) needs to be
/// current with a plan at `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// It is current.
    Current,
    /// The batches logged after this sequence (or the whole document, if the log no
    /// longer reaches back that far).
    Log { after: u64 },
    /// The whole document (it has none, or one from another document: its sequence is
    /// ahead of this one).
    Snapshot,
}

pub fn resume(known: Option<u64>, seq: u64) -> Resume {
    match known {
        Some(k) if k == seq => Resume::Current,
        Some(k) if k < seq => Resume::Log { after: k },
        _ => Resume::Snapshot,
    }
}

/// What the server remembers of one replica of a plan: bound to its key by the replica's
/// first hello, then kept up to date by `accept`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaRecord {
    /// The hash of the replica's key (the server never keeps the key).
    pub key_hash: String,
    /// The last counter taken (0: none since it was bound).
    pub counter: u32,
    /// The sequence the replica's last batch was logged as, or the plan's sequence then
    /// (an upper bound for every batch of it taken).
    pub seq: u64,
}

/// Why an op was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// The plan has as many rows as it may (2,000 shown, 6,000 with deleted ones).
    RowLimit,
    /// The plan's document holds as many bytes as it may.
    TooLarge,
    /// Not a change a correct editor makes (a field that does not exist, a value it cannot
    /// hold, a position key that is not one, a stamp copied with other content).
    Invalid,
    /// The Notes cell holds as many versions written at once as it may, all later than
    /// this one.
    TooManyVersions,
}

impl Why {
    /// A sentence for the person whose change was not kept.
    pub fn explain(self) -> &'static str {
        match self {
            Why::RowLimit => "the shared plan is full (2,000 rows at most)",
            Why::TooLarge => "the shared plan holds as much text as it may",
            Why::Invalid => "the change could not be read by the server",
            Why::TooManyVersions => {
                "the Notes cell already holds 8 versions written at the same time, all newer"
            }
        }
    }
}

/// One op of a batch that was not taken: its place in the batch, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub op: u32,
    pub why: Why,
}

/// Limits of a live document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocLimits {
    /// Rows shown.
    pub rows: usize,
    /// Rows held, deleted ones included.
    pub doc_rows: usize,
    /// Bytes the document may hold (`doc_bytes`): deleted rows and every Notes version
    /// count. An op that would grow it past this is refused; ops that shrink it never are.
    pub bytes: usize,
}

/// The default byte budget of a live document.
pub const MAX_DOC_BYTES: usize = 8 * 1024 * 1024;

impl Default for DocLimits {
    fn default() -> Self {
        DocLimits {
            rows: MAX_ROWS,
            doc_rows: MAX_DOC_ROWS,
            bytes: MAX_DOC_BYTES,
        }
    }
}

/// What became of a batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Logged as `logged.seq` (its ops as logged: stamps moved back where needed); the ops
    /// listed in `refused` were not.
    Logged {
        logged: Logged,
        refused: Vec<Refusal>,
    },
    /// Nothing was logged: every op was refused, or already held. Acknowledged with the
    /// plan's sequence (its ops are in the document up to there, or never will be).
    Nothing { seq: u64, refused: Vec<Refusal> },
    /// Taken before: acknowledged with a sequence at or after the one it was logged as.
    Duplicate { seq: u64 },
    /// The replica's key does not match: someone else's name.
    NotYours,
    /// A batch of this replica is missing before it (send them again, in order).
    OutOfOrder { expected: u32 },
    /// Not a batch a correct editor sends (no ops, or counter 0).
    Malformed,
}

/// Decides what becomes of `batch`, sent with a key whose hash is `key_hash`, at `now_ms`
/// on the server's clock. Updates `live` (document and sequence) and `book` (the batch's
/// replica, which the caller loaded) to what the caller must store.
pub fn accept(
    live: &mut LiveDoc,
    book: &mut HashMap<u32, ReplicaRecord>,
    batch: &SentBatch,
    key_hash: &str,
    now_ms: u64,
    limits: &DocLimits,
) -> Outcome {
    let (replica, counter) = (replica_of(batch.id), counter_of(batch.id));
    if counter == 0 || batch.ops.is_empty() {
        return Outcome::Malformed;
    }
    match book.get(&replica) {
        // Only a replica bound to its key (by its hello) sends batches.
        None => return Outcome::NotYours,
        Some(r) if !same_hash(&r.key_hash, key_hash) => return Outcome::NotYours,
        Some(r) if counter <= r.counter => return Outcome::Duplicate { seq: r.seq },
        // A replica bound just now (or bound again after the plan forgot it) starts where
        // it says; later batches follow on.
        Some(r) if r.counter > 0 && counter > r.counter + 1 => {
            return Outcome::OutOfOrder {
                expected: r.counter + 1,
            }
        }
        Some(_) => {}
    }
    let seq = live.seq + 1;
    let mut ops = Vec::with_capacity(batch.ops.len());
    let mut refused = Vec::new();
    let mut refused_rows: BTreeSet<&crate::model::doc::plan::RowId> = BTreeSet::new();
    for (i, op) in batch.ops.iter().enumerate() {
        if op.row().is_some_and(|r| refused_rows.contains(r)) {
            refused.push(Refusal {
                op: i as u32,
                why: Why::RowLimit,
            });
            continue;
        }
        match admit(live, op, seq, now_ms, limits) {
            Ok(Some(op)) => {
                live.apply(&op);
                ops.push(op);
            }
            Ok(None) => {}
            Err(why) => {
                if why == Why::RowLimit {
                    if let Some(row) = op.row() {
                        refused_rows.insert(row);
                    }
                }
                refused.push(Refusal { op: i as u32, why });
            }
        }
    }
    let record = book.get_mut(&replica).expect("checked above");
    record.counter = counter;
    if ops.is_empty() {
        record.seq = live.seq;
        return Outcome::Nothing {
            seq: live.seq,
            refused,
        };
    }
    live.seq = seq;
    record.seq = seq;
    Outcome::Logged {
        logged: Logged {
            seq,
            batch: batch.id,
            ops,
        },
        refused,
    }
}

/// Compares two key hashes without telling, by its time, how much of them matched.
fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// One op as the document will take it (`Ok(None)`: it holds it already), or why not.
fn admit(
    live: &mut LiveDoc,
    op: &WireOp,
    seq: u64,
    now_ms: u64,
    limits: &DocLimits,
) -> Result<Option<Op>, Why> {
    let mut op = op.clone().checked().ok_or(Why::Invalid)?;
    clamp(&mut op, now_ms, &mut live.clock);
    live.clock.observe(op.stamp());
    let doc = &live.doc;
    match doc.same_write(&op) {
        Some(true) => return Ok(None),
        Some(false) => return Err(Why::Invalid),
        None => {}
    }
    if let Some(row) = op.row() {
        let held = doc.row(row);
        if held.is_none() && doc.rows.len() >= limits.doc_rows {
            return Err(Why::RowLimit);
        }
        if let Op::Alive {
            alive: true, stamp, ..
        } = &op
        {
            let comes_alive =
                !held.is_some_and(|r| r.alive.value) && held.is_none_or(|r| *stamp > r.alive.stamp);
            if comes_alive && live.alive >= limits.rows {
                return Err(Why::RowLimit);
            }
        }
        // The budget in bytes: what the row would take after the op.
        let before = held.map_or(0, |r| row_bytes(row, r));
        let mut one = Doc {
            title: doc.title.clone(),
            rows: std::collections::BTreeMap::new(),
        };
        let copy = held
            .cloned()
            .unwrap_or_else(crate::model::crdt::RowDoc::unknown);
        one.rows.insert(row.clone(), copy);
        one.apply(&op);
        let after = one.rows.get(row).map_or(0, |r| row_bytes(row, r));
        if after > before && live.bytes + after - before > limits.bytes {
            return Err(Why::TooLarge);
        }
    } else if let Op::Title { text, .. } = &op {
        if text.len() > doc.title.value.len()
            && live.bytes + text.len() - doc.title.value.len() > limits.bytes
        {
            return Err(Why::TooLarge);
        }
    }
    if let Op::Notes { row, version } = &mut op {
        version.logged = seq;
        // Nobody has read the log past where it is.
        version.base = version.base.min(live.seq);
        if let Some(notes) = doc.row(row).map(|r| &r.notes) {
            if !notes.supersedes(version) {
                bound_versions(&notes.versions, version)?;
            }
        }
    }
    Ok(Some(op))
}

/// Keeps a Notes cell within `MAX_VERSIONS` concurrent versions: the new version is taken
/// as having seen the oldest ones past the bound, or refused when it is among them.
fn bound_versions(held: &[Version], version: &mut Version) -> Result<(), Why> {
    let mut kept: Vec<Stamp> = held
        .iter()
        .filter(|v| !covers_for_bound(version, v))
        .map(|v| v.stamp)
        .collect();
    if kept.len() < MAX_VERSIONS {
        return Ok(());
    }
    kept.push(version.stamp);
    kept.sort_by_key(|s| std::cmp::Reverse(*s));
    let oldest = kept.split_off(MAX_VERSIONS);
    if oldest.contains(&version.stamp) {
        return Err(Why::TooManyVersions);
    }
    for stamp in oldest {
        let entry = version.seen.iter_mut().find(|(r, _)| *r == stamp.replica);
        match entry {
            Some((_, s)) => *s = (*s).max(stamp),
            None => {
                version.seen.push((stamp.replica, stamp));
                version.seen.sort_by_key(|(r, _)| *r);
            }
        }
    }
    Ok(())
}

/// Whether `by` was written over `other` (as `Notes::merge` decides it).
fn covers_for_bound(by: &Version, other: &Version) -> bool {
    let mut notes = crate::model::crdt::Notes {
        versions: vec![other.clone()],
    };
    notes.merge(by);
    !notes.versions.iter().any(|v| v.stamp == other.stamp)
}

/// Moves a stamp more than `MAX_CLOCK_SKEW_MS` ahead of `now_ms` (or with a counter past
/// `MAX_STAMP_COUNT`) back to that bound, after everything `clock` has seen, keeping the
/// writer; what a Notes version had seen from that far ahead is moved back with it.
pub fn clamp(op: &mut Op, now_ms: u64, clock: &mut crate::model::crdt::Clock) -> bool {
    let bound = now_ms.saturating_add(MAX_CLOCK_SKEW_MS);
    let stamp = op.stamp();
    if stamp.wall <= bound && stamp.count <= MAX_STAMP_COUNT {
        return false;
    }
    let moved = clock.tick(bound);
    *op = op.restamped(Stamp {
        wall: moved.wall,
        count: moved.count,
        replica: stamp.replica,
    });
    if let Op::Notes { version, .. } = op {
        // What the writer had seen from that far ahead was moved back too (by this
        // clock, earlier): it stays seen.
        let just_before = match moved.count {
            0 => (moved.wall.saturating_sub(1), u32::MAX),
            c => (moved.wall, c - 1),
        };
        for (_, s) in version
            .seen
            .iter_mut()
            .filter(|(_, s)| s.wall > bound || s.count > MAX_STAMP_COUNT)
        {
            s.wall = just_before.0;
            s.count = just_before.1;
        }
    }
    true
}

#[cfg(test)]
pub(super) mod tests;
