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

use super::limits::MAX_ROWS;
use super::replica::{Doc, Op, Stamp, Version, MAX_VERSIONS};
use super::sync::{Batch, Logged};
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
    clock: super::replica::Clock,
    /// About how many bytes the document holds (`doc_bytes`), kept as ops apply.
    bytes: usize,
    /// Rows shown.
    alive: usize,
}

/// About how many bytes a row takes (texts, stamps, what Notes versions saw), for the
/// document's byte budget.
pub fn row_bytes(id: &super::plan::RowId, r: &super::replica::RowDoc) -> usize {
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
        let mut clock = super::replica::Clock::new(0);
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
    batch: &Batch,
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
    let mut refused_rows: BTreeSet<&super::plan::RowId> = BTreeSet::new();
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
    op: &Op,
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
            .unwrap_or_else(super::replica::RowDoc::unknown);
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
    let mut notes = super::replica::Notes {
        versions: vec![other.clone()],
    };
    notes.merge(by);
    !notes.versions.iter().any(|v| v.stamp == other.stamp)
}

/// Moves a stamp more than `MAX_CLOCK_SKEW_MS` ahead of `now_ms` (or with a counter past
/// `MAX_STAMP_COUNT`) back to that bound, after everything `clock` has seen, keeping the
/// writer; what a Notes version had seen from that far ahead is moved back with it.
pub fn clamp(op: &mut Op, now_ms: u64, clock: &mut super::replica::Clock) -> bool {
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
mod tests {
    use super::*;
    use crate::model::replica::{Clock, Position};
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

    fn batch(replica: u32, counter: u32, ops: Vec<Op>) -> Batch {
        Batch {
            id: batch_id(replica, counter),
            key: u64::from(replica),
            ops,
        }
    }

    /// Binds the batch's replica to its key (as its hello does) when it is new, then
    /// decides the batch.
    fn run(
        live: &mut LiveDoc,
        book: &mut HashMap<u32, ReplicaRecord>,
        b: &Batch,
        now: u64,
    ) -> Outcome {
        let hash = format!("k{}", b.key);
        book.entry(replica_of(b.id))
            .or_insert_with(|| ReplicaRecord {
                key_hash: hash.clone(),
                counter: 0,
                seq: 0,
            });
        accept(live, book, b, &hash, now, &DocLimits::default())
    }

    fn logged_seq(outcome: &Outcome) -> u64 {
        match outcome {
            Outcome::Logged { logged, .. } => logged.seq,
            other => panic!("not logged: {other:?}"),
        }
    }

    #[test]
    fn a_batch_is_taken_once_however_often_and_late_it_comes() {
        let mut live = LiveDoc::new(doc(), 0);
        let mut book = HashMap::new();
        let b = batch(7, 1, vec![owner("Ana", 1000, 7)]);
        assert_eq!(logged_seq(&run(&mut live, &mut book, &b, 1000)), 1);
        // However much was logged since (the op log may have been pruned long ago).
        for i in 0..50 {
            run(
                &mut live,
                &mut book,
                &batch(9, i + 1, vec![owner("x", 2000 + u64::from(i), 9)]),
                2000,
            );
        }
        assert_eq!(
            run(&mut live, &mut book, &b, 9000),
            Outcome::Duplicate { seq: 1 }
        );
        assert_eq!(live.seq, 51);
    }

    #[test]
    fn nobody_can_send_in_another_replicas_name() {
        let mut live = LiveDoc::new(doc(), 0);
        let mut book = HashMap::new();
        run(
            &mut live,
            &mut book,
            &batch(7, 1, vec![owner("Ana", 1000, 7)]),
            1000,
        );
        let mut forged = batch(7, 2, vec![owner("Mallory", 1001, 7)]);
        forged.key = 666;
        assert_eq!(run(&mut live, &mut book, &forged, 1000), Outcome::NotYours);
        // The real next batch still goes in.
        let next = batch(7, 2, vec![owner("Ana 2", 1002, 7)]);
        assert_eq!(logged_seq(&run(&mut live, &mut book, &next, 1000)), 2);
    }

    #[test]
    fn a_replica_that_never_said_hello_sends_nothing() {
        let mut live = LiveDoc::new(doc(), 0);
        let mut book = HashMap::new();
        let b = batch(7, 1, vec![owner("Ana", 1000, 7)]);
        let outcome = accept(&mut live, &mut book, &b, "k7", 1000, &DocLimits::default());
        assert_eq!(outcome, Outcome::NotYours);
        assert!(
            book.is_empty(),
            "nobody can claim a replica by sending in its name"
        );
    }

    #[test]
    fn a_batch_after_a_missing_one_waits_for_it() {
        let mut live = LiveDoc::new(doc(), 0);
        let mut book = HashMap::new();
        run(
            &mut live,
            &mut book,
            &batch(7, 1, vec![owner("1", 1000, 7)]),
            1000,
        );
        let third = batch(7, 3, vec![owner("3", 1003, 7)]);
        assert_eq!(
            run(&mut live, &mut book, &third, 1000),
            Outcome::OutOfOrder { expected: 2 }
        );
        run(
            &mut live,
            &mut book,
            &batch(7, 2, vec![owner("2", 1002, 7)]),
            1000,
        );
        assert_eq!(logged_seq(&run(&mut live, &mut book, &third, 1000)), 3);
    }

    #[test]
    fn a_clock_far_ahead_is_moved_back_in_order_after_the_documents_stamps() {
        let mut d = doc();
        // The document already holds a stamp at the bound (from before a restart).
        d.apply(&owner("earlier", 1000 + MAX_CLOCK_SKEW_MS, 3));
        let mut live = LiveDoc::new(d, 4);
        let mut book = HashMap::new();
        let days = 5 * 86_400_000;
        let outcome = run(
            &mut live,
            &mut book,
            &batch(
                1,
                1,
                vec![
                    owner("first", 1000 + days, 1),
                    owner("second", 1001 + days, 1),
                ],
            ),
            1000,
        );
        let Outcome::Logged { logged, .. } = outcome else {
            panic!()
        };
        let stamps: Vec<Stamp> = logged.ops.iter().map(Op::stamp).collect();
        assert!(stamps.iter().all(|s| s.wall == 1000 + MAX_CLOCK_SKEW_MS));
        assert!(stamps[0] < stamps[1], "order kept");
        assert!(stamps[0].count > 0, "after the stamp the document held");
        assert_eq!(live.doc.plan().rows[0].owner, "second");
    }

    #[test]
    fn a_maximal_counter_cannot_freeze_a_cell() {
        let mut live = LiveDoc::new(doc(), 0);
        let mut book = HashMap::new();
        let now = 1_000_000;
        let mut attack = owner("frozen", now + MAX_CLOCK_SKEW_MS - 1, u32::MAX);
        if let Op::Cell { stamp, .. } = &mut attack {
            stamp.count = u32::MAX;
        }
        let Outcome::Logged { logged, .. } =
            run(&mut live, &mut book, &batch(u32::MAX, 1, vec![attack]), now)
        else {
            panic!()
        };
        assert!(logged.ops[0].stamp().count <= MAX_STAMP_COUNT, "moved back");
        // An honest browser that saw it writes after it.
        let mut clock = Clock::new(5);
        clock.observe(logged.ops[0].stamp());
        let stamp = clock.tick(now);
        let honest = Op::Cell {
            row: RowId::from("a"),
            field: Field::Owner,
            value: "honest".into(),
            stamp,
        };
        run(&mut live, &mut book, &batch(5, 1, vec![honest]), now);
        assert_eq!(live.doc.plan().rows[0].owner, "honest");
        // Even a clock that saw a counter at its maximum moves on.
        let mut c = Clock::new(6);
        c.observe(Stamp {
            wall: 10,
            count: u32::MAX,
            replica: 1,
        });
        assert!(
            c.tick(5)
                > Stamp {
                    wall: 10,
                    count: u32::MAX,
                    replica: u32::MAX
                }
        );
    }

    #[test]
    fn a_copied_stamp_with_other_content_is_refused() {
        let mut live = LiveDoc::new(doc(), 0);
        let mut book = HashMap::new();
        run(
            &mut live,
            &mut book,
            &batch(7, 1, vec![owner("Ana", 1000, 7)]),
            1000,
        );
        let outcome = run(
            &mut live,
            &mut book,
            &batch(8, 1, vec![owner("Zed", 1000, 7)]),
            1000,
        );
        assert_eq!(
            outcome,
            Outcome::Nothing {
                seq: 1,
                refused: vec![Refusal {
                    op: 0,
                    why: Why::Invalid
                }]
            }
        );
        assert_eq!(live.doc.plan().rows[0].owner, "Ana");
    }

    #[test]
    fn one_bad_op_is_refused_alone_and_the_rest_is_logged() {
        let mut live = LiveDoc::new(doc(), 0);
        let mut book = HashMap::new();
        let long = Op::Position {
            row: RowId::from("a"),
            position: Position("V".repeat(600)),
            stamp: Stamp {
                wall: 1000,
                count: 0,
                replica: 7,
            },
        };
        let outcome = run(
            &mut live,
            &mut book,
            &batch(7, 1, vec![long, owner("kept", 1001, 7)]),
            1000,
        );
        let Outcome::Logged { logged, refused } = outcome else {
            panic!()
        };
        assert_eq!(logged.ops.len(), 1);
        assert_eq!(
            refused,
            vec![Refusal {
                op: 0,
                why: Why::Invalid
            }]
        );
        assert_eq!(live.doc.plan().rows[0].owner, "kept");
    }

    #[test]
    fn rows_past_the_limit_are_refused_and_other_edits_kept() {
        let mut live = LiveDoc::new(doc(), 0);
        let mut book = HashMap::new();
        let limits = DocLimits {
            rows: 2,
            doc_rows: 6,
            ..DocLimits::default()
        };
        let new_row = |id: &str, wall: u64| {
            vec![
                Op::Alive {
                    row: RowId::from(id),
                    alive: true,
                    stamp: Stamp {
                        wall,
                        count: 0,
                        replica: 7,
                    },
                },
                Op::Cell {
                    row: RowId::from(id),
                    field: Field::Item,
                    value: id.into(),
                    stamp: Stamp {
                        wall,
                        count: 1,
                        replica: 7,
                    },
                },
            ]
        };
        let mut ops = new_row("b", 10);
        ops.extend(new_row("c", 11));
        ops.push(owner("kept", 12, 7));
        book.insert(
            7,
            ReplicaRecord {
                key_hash: "k7".into(),
                counter: 0,
                seq: 0,
            },
        );
        book.insert(
            7,
            ReplicaRecord {
                key_hash: "k7".into(),
                counter: 0,
                seq: 0,
            },
        );
        let outcome = accept(&mut live, &mut book, &batch(7, 1, ops), "k7", 1000, &limits);
        let Outcome::Logged { refused, .. } = outcome else {
            panic!()
        };
        assert_eq!(
            refused,
            vec![
                Refusal {
                    op: 2,
                    why: Why::RowLimit
                },
                Refusal {
                    op: 3,
                    why: Why::RowLimit
                }
            ]
        );
        let plan = live.doc.plan();
        assert_eq!(plan.rows.len(), 2);
        assert_eq!(plan.row(&RowId::from("a")).unwrap().owner, "kept");
    }

    fn notes_op(version: Version) -> Op {
        Op::Notes {
            row: RowId::from("a"),
            version,
        }
    }

    fn concurrent(text: &str, wall: u64, replica: u32) -> Version {
        Version {
            text: text.into(),
            stamp: Stamp {
                wall,
                count: 0,
                replica,
            },
            seen: Vec::new(),
            logged: 0,
            base: 0,
        }
    }

    #[test]
    fn notes_keep_at_most_eight_versions_and_every_replay_agrees() {
        // Nine versions written at once, then one that saw the latest five, in two orders.
        let versions: Vec<Version> = (1..=9)
            .map(|i| concurrent(&format!("v{i}"), 100 + i, i as u32))
            .collect();
        let x = Version {
            text: "x".into(),
            stamp: Stamp {
                wall: 200,
                count: 0,
                replica: 50,
            },
            seen: versions[4..]
                .iter()
                .map(|v| (v.stamp.replica, v.stamp))
                .collect(),
            logged: 0,
            base: 0,
        };
        let mut with_x_last: Vec<(u32, Version)> = versions
            .iter()
            .map(|v| (v.stamp.replica, v.clone()))
            .collect();
        with_x_last.push((50, x.clone()));
        let mut with_x_first = with_x_last.clone();
        with_x_first.rotate_right(1);
        for order in [with_x_last, with_x_first] {
            let mut live = LiveDoc::new(doc(), 0);
            let mut book = HashMap::new();
            let mut log = Vec::new();
            for (replica, v) in order {
                let outcome = run(
                    &mut live,
                    &mut book,
                    &batch(replica, 1, vec![notes_op(v)]),
                    1000,
                );
                if let Outcome::Logged { logged, .. } = outcome {
                    log.push(logged);
                }
            }
            let notes = &live.doc.rows[&RowId::from("a")].notes;
            assert!(
                notes.versions.len() <= MAX_VERSIONS,
                "{}",
                notes.versions.len()
            );
            assert_eq!(notes.text(), "x");
            // A browser replaying the log, in order, holds the server's document.
            let mut replay = doc();
            for logged in &log {
                for op in &logged.ops {
                    replay.apply(op);
                }
            }
            assert_eq!(replay, live.doc);
        }
    }

    #[test]
    fn a_document_keeps_to_its_byte_budget_and_can_always_shrink() {
        let mut live = LiveDoc::new(doc(), 0);
        let mut book = HashMap::new();
        let limits = DocLimits {
            bytes: live.bytes() + 25_000,
            ..DocLimits::default()
        };
        let note = |text: String, wall: u64| Op::Notes {
            row: RowId::from("a"),
            version: Version {
                text,
                stamp: Stamp {
                    wall,
                    count: 0,
                    replica: 7,
                },
                seen: Vec::new(),
                logged: 0,
                base: 0,
            },
        };
        book.insert(
            7,
            ReplicaRecord {
                key_hash: "k7".into(),
                counter: 0,
                seq: 0,
            },
        );
        let mut sent = 0;
        let mut refused = 0;
        for i in 0..8u32 {
            // Versions written at once pile up: 8 of 9,000 characters is 72 KB.
            let b = batch(7, i + 1, vec![note("x".repeat(9_000), 100 + u64::from(i))]);
            match accept(&mut live, &mut book, &b, "k7", 1000, &limits) {
                Outcome::Logged { .. } => sent += 1,
                Outcome::Nothing { refused: r, .. } => {
                    assert_eq!(r[0].why, Why::TooLarge);
                    refused += 1;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((sent, refused), (2, 6));
        assert!(live.bytes() <= limits.bytes);
        assert_eq!(
            live.bytes(),
            doc_bytes(&live.doc),
            "kept in step as ops apply"
        );
        // One version written over all of them, short: the document shrinks, and is taken.
        let mut over = live.doc.rows[&RowId::from("a")].notes.write(
            "short".into(),
            Stamp {
                wall: 500,
                count: 0,
                replica: 7,
            },
            0,
        );
        over.logged = 0;
        let b = batch(
            7,
            9,
            vec![Op::Notes {
                row: RowId::from("a"),
                version: over,
            }],
        );
        assert!(matches!(
            accept(&mut live, &mut book, &b, "k7", 1000, &limits),
            Outcome::Logged { .. }
        ));
        assert_eq!(live.bytes(), doc_bytes(&live.doc));
    }

    #[test]
    fn resuming_asks_for_the_log_or_the_document() {
        assert_eq!(resume(None, 5), Resume::Snapshot);
        assert_eq!(resume(Some(5), 5), Resume::Current);
        assert_eq!(resume(Some(2), 5), Resume::Log { after: 2 });
        assert_eq!(
            resume(Some(9), 5),
            Resume::Snapshot,
            "another document's sequence"
        );
        let logged = |seq| Logged {
            seq,
            batch: seq,
            ops: vec![],
        };
        assert!(follows_on(2, 4, &[logged(3), logged(4)]));
        assert!(!follows_on(2, 4, &[logged(4)]), "a hole");
        assert!(!follows_on(2, 5, &[logged(3), logged(4)]), "short");
        assert!(follows_on(4, 4, &[]));
        let mut live = LiveDoc::new(doc(), 2);
        assert_eq!(live.catch_up(&[logged(4)], 4), Err(Behind));
        assert_eq!(live.catch_up(&[logged(3), logged(4)], 4), Ok(()));
        assert_eq!(live.seq, 4);
    }
}
