//! The plan as a replicated document: what lets several browsers (and tabs, and the server)
//! each hold a copy, change it on their own, offline for days if need be, and end up with
//! the same plan once they have seen each other's changes.
//!
//! - Every cell, the title, each row's `alive` flag and its position are last-writer-wins
//!   registers. "Last" is decided by a hybrid logical clock stamp (wall time, counter,
//!   replica), never by raw device time alone and never by who connected first.
//! - Notes keep every concurrent version (a multi-value register with version vectors):
//!   the later one is shown, the other is offered, never silently dropped.
//! - Rows are ordered by fractional positions, so concurrent moves and inserts never
//!   duplicate or lose a row; equal positions fall back to the row id.
//! - Edit vs delete of the same row: a delete wins, whenever the edit happened. The edit is
//!   kept in the (hidden) row, so undoing the delete brings the row back with it.
//!
//! `apply` of an operation and `merge` of two documents are pure, commutative, associative
//! and idempotent: any replica that has seen the same operations holds the same document,
//! byte for byte (see `checksum`).

use super::limits::{clean_text, is_valid_row_id, max_chars, MAX_TITLE_CHARS};
use super::plan::{Field, Plan, Priority, Row, RowId, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A hybrid-logical-clock stamp. Ordered by wall time, then counter, then replica.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(from = "(u64, u32, u32)", into = "(u64, u32, u32)")]
pub struct Stamp {
    /// Milliseconds since the Unix epoch, as the writer's clock (kept monotonic) had it.
    pub wall: u64,
    /// Breaks ties between writes in the same millisecond.
    pub count: u32,
    /// The writer: a browser tab, or the server for what it migrates.
    pub replica: u32,
}

impl Stamp {
    /// Never written: the registers of a row known only from an edit that arrived before
    /// its insert.
    pub const ZERO: Stamp = Stamp {
        wall: 0,
        count: 0,
        replica: 0,
    };

    /// Content nobody edited yet (the template, a plan saved before co-editing): later than
    /// `ZERO`, earlier than any edit.
    pub const BASE: Stamp = Stamp {
        wall: 0,
        count: 1,
        replica: 0,
    };

    pub fn is_zero(&self) -> bool {
        *self == Stamp::ZERO
    }

    /// Whether this is `ZERO` or `BASE` (stored documents leave such stamps out).
    pub fn is_unedited(&self) -> bool {
        self.wall == 0 && self.replica == 0 && self.count <= 1
    }

    /// A fixed-width text form whose order is the stamp's order (for databases).
    pub fn sortable(&self) -> String {
        format!("{:015}.{:010}.{:010}", self.wall, self.count, self.replica)
    }

    pub fn from_sortable(text: &str) -> Option<Stamp> {
        let mut parts = text.split('.');
        let stamp = Stamp {
            wall: parts.next()?.parse().ok()?,
            count: parts.next()?.parse().ok()?,
            replica: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(stamp)
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.wall, self.count, self.replica)
    }
}

/// A replica's hybrid logical clock: stamps that never go backwards, stay close to real
/// time, and order after everything the replica has seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub replica: u32,
    wall: u64,
    count: u32,
}

impl Clock {
    pub fn new(replica: u32) -> Clock {
        Clock {
            replica,
            wall: 0,
            count: 0,
        }
    }

    /// A stamp for a write happening now. A counter at its maximum carries into the wall
    /// time, so a stamp seen with a maximal counter can still be written after.
    pub fn tick(&mut self, now_ms: u64) -> Stamp {
        if now_ms > self.wall {
            self.wall = now_ms;
            self.count = 0;
        } else if self.count == u32::MAX {
            self.wall = self.wall.saturating_add(1);
            self.count = 0;
        } else {
            self.count += 1;
        }
        Stamp {
            wall: self.wall,
            count: self.count,
            replica: self.replica,
        }
    }

    /// Takes in a stamp seen from elsewhere, so the next write orders after it.
    pub fn observe(&mut self, seen: Stamp) {
        if (seen.wall, seen.count) > (self.wall, self.count) {
            self.wall = seen.wall;
            self.count = seen.count;
        }
    }

    /// The latest stamp this clock handed out or saw.
    pub fn last(&self) -> (u64, u32) {
        (self.wall, self.count)
    }
}

impl From<(u64, u32, u32)> for Stamp {
    fn from((wall, count, replica): (u64, u32, u32)) -> Stamp {
        Stamp {
            wall,
            count,
            replica,
        }
    }
}

impl From<Stamp> for (u64, u32, u32) {
    fn from(s: Stamp) -> (u64, u32, u32) {
        (s.wall, s.count, s.replica)
    }
}

/// A last-writer-wins register (stored as `[value, stamp]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "(T, Stamp)",
    into = "(T, Stamp)",
    bound(
        serialize = "T: Serialize + Clone",
        deserialize = "T: Deserialize<'de>"
    )
)]
pub struct Reg<T> {
    pub value: T,
    pub stamp: Stamp,
}

impl<T> From<(T, Stamp)> for Reg<T> {
    fn from((value, stamp): (T, Stamp)) -> Reg<T> {
        Reg { value, stamp }
    }
}

impl<T> From<Reg<T>> for (T, Stamp) {
    fn from(r: Reg<T>) -> (T, Stamp) {
        (r.value, r.stamp)
    }
}

impl<T: Ord + Clone> Reg<T> {
    /// A register holding unedited content.
    pub fn new(value: T) -> Reg<T> {
        Reg {
            value,
            stamp: Stamp::BASE,
        }
    }

    /// A register nothing was written to.
    pub fn unset(value: T) -> Reg<T> {
        Reg {
            value,
            stamp: Stamp::ZERO,
        }
    }

    /// Takes `value` if `stamp` is later than the one held (equal stamps, which only
    /// unedited content shares, keep the greater value, so the result never depends on
    /// order); says whether the value changed.
    pub fn merge(&mut self, value: &T, stamp: Stamp) -> bool {
        let wins = stamp > self.stamp || (stamp == self.stamp && *value > self.value);
        if !wins {
            return false;
        }
        self.stamp = stamp;
        if self.value != *value {
            self.value = value.clone();
            return true;
        }
        false
    }
}

/// For each replica, the latest of its stamps a writer had seen.
pub type Seen = Vec<(u32, Stamp)>;

/// Whether the writer of `by` had seen `other`: it was unedited content, or logged by the
/// server no later than the log `by`'s writer had read, or named in what it had seen.
fn covers(by: &Version, other: &Version) -> bool {
    other.stamp.is_unedited()
        || (other.logged != 0 && other.logged <= by.base)
        || by
            .seen
            .iter()
            .any(|(replica, s)| *replica == other.stamp.replica && *s >= other.stamp)
}

/// Records that a writer had seen `stamp` (one entry per replica: its latest stamp).
pub fn add_seen(seen: &mut Seen, stamp: Stamp) {
    if stamp.is_zero() {
        return;
    }
    match seen.iter_mut().find(|(r, _)| *r == stamp.replica) {
        Some((_, s)) => *s = (*s).max(stamp),
        None => {
            seen.push((stamp.replica, stamp));
            seen.sort_by_key(|(r, _)| *r);
        }
    }
}

/// One version of a Notes cell: its text, its stamp, and what its writer had seen.
///
/// In a plan edited together the server's log orders every version, so "seen" is mostly
/// `base`: the writer had read the log up to there, and so had seen every version logged
/// at or before it. `seen` names only what the log could not: versions not logged yet
/// when they were written over (this tab's own, still in flight), and a private plan's.
/// Both stay small however many people and page loads wrote the cell before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub text: String,
    pub stamp: Stamp,
    // No `skip_serializing_if`: the wire's binary encoding has no field names to skip by.
    #[serde(default)]
    pub seen: Seen,
    /// The sequence the server logged this version as (0: not logged, or a private plan's).
    #[serde(default)]
    pub logged: u64,
    /// The writer had read the server's log up to this sequence.
    #[serde(default)]
    pub base: u64,
}

impl Version {
    /// Which of two copies of one version (same stamp) to keep: the logged one, then the
    /// greater, so the choice never depends on order.
    fn rank(&self) -> (u64, u64, &str, &Seen) {
        (self.logged, self.base, &self.text, &self.seen)
    }
}

/// The most replicas a version names as seen, beyond what the log tells (a plan edited
/// together names only versions still in flight, usually none).
pub const MAX_SEEN: usize = 64;

/// The most concurrent versions a Notes cell of a plan edited together keeps: the server
/// takes a new version as having seen the oldest ones past this (see `accept`).
pub const MAX_VERSIONS: usize = 8;

/// A Notes cell: the versions no later write has seen (usually one). Two people writing
/// the same notes without seeing each other's text leave two versions; the later is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Notes {
    /// Latest stamp first.
    pub versions: Vec<Version>,
}

impl Notes {
    /// Unedited notes.
    pub fn new(text: String) -> Notes {
        Notes {
            versions: vec![Version {
                text,
                stamp: Stamp::BASE,
                seen: Vec::new(),
                logged: 0,
                base: 0,
            }],
        }
    }

    /// Notes nothing was written to.
    fn unset() -> Notes {
        Notes {
            versions: vec![Version {
                text: String::new(),
                stamp: Stamp::ZERO,
                seen: Vec::new(),
                logged: 0,
                base: 0,
            }],
        }
    }

    /// The text shown: the latest version.
    pub fn text(&self) -> &str {
        self.versions.first().map_or("", |v| v.text.as_str())
    }

    /// Whether concurrent versions wait for someone to choose.
    pub fn in_conflict(&self) -> bool {
        self.versions.len() > 1
    }

    /// What a new write over every version held now has seen, for a writer that had read
    /// the server's log up to `base` (0 for a private plan): the log it read (and every
    /// held version's), and by name what the log does not cover.
    pub fn writer_context(&self, base: u64) -> (u64, Seen) {
        let base = self.versions.iter().map(|v| v.base).fold(base, u64::max);
        let mut seen = Seen::new();
        for v in &self.versions {
            for (_, s) in &v.seen {
                add_seen(&mut seen, *s);
            }
            if v.logged == 0 || v.logged > base {
                add_seen(&mut seen, v.stamp);
            }
        }
        (base, seen)
    }

    /// A new version written over everything held now (what an edit, an undo or picking
    /// one of two versions writes), by a writer that had read the log up to `base`.
    pub fn write(&self, text: String, stamp: Stamp, base: u64) -> Version {
        let (base, seen) = self.writer_context(base);
        Version {
            text,
            stamp,
            seen,
            logged: 0,
            base,
        }
    }

    /// Whether some version held here was written after seeing `version`.
    pub fn supersedes(&self, version: &Version) -> bool {
        self.versions
            .iter()
            .any(|v| v.stamp != version.stamp && covers(v, version))
    }

    /// Takes in a version; says whether the shown text or the set of versions changed.
    /// The result is the versions nobody wrote over, whatever the order they came in.
    pub fn merge(&mut self, version: &Version) -> bool {
        if let Some(same) = self.versions.iter_mut().find(|v| v.stamp == version.stamp) {
            // One version, two copies (as sent, and as logged): keep one, whatever the
            // order.
            if version.rank() > same.rank() {
                let changed = same.text != version.text;
                *same = version.clone();
                return changed;
            }
            return false;
        }
        // A version someone wrote after seeing this one replaces it.
        if self.versions.iter().any(|v| covers(v, version)) {
            return false;
        }
        self.versions.retain(|v| !covers(version, v));
        self.versions.push(version.clone());
        self.versions.sort_by_key(|v| std::cmp::Reverse(v.stamp));
        true
    }
}

/// A position in the plan's order: a fraction in base 62 (`0-9A-Za-z`), compared as text.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Position(pub String);

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn digit(c: u8) -> usize {
    DIGITS.iter().position(|d| *d == c).unwrap_or(0)
}

impl Position {
    /// A position between `a` and `b` (either may be open). Never ends in `0`, so there is
    /// always room for another one on either side.
    pub fn between(a: Option<&Position>, b: Option<&Position>) -> Position {
        let a = a.map_or("", |p| p.0.as_str());
        match b {
            // Appending: step the first digit up where there is room, so keys stay short.
            None => Position(after(a)),
            Some(b) if b.0.as_str() <= a => Position(after(a)),
            Some(b) => Position(midpoint(a, &b.0)),
        }
    }

    /// `n` positions in order, evenly spread, for a plan that has none yet.
    pub fn spread(n: usize) -> Vec<Position> {
        let mut width = 1;
        while 62usize.pow(width as u32) <= n + 1 {
            width += 1;
        }
        (1..=n)
            .map(|i| {
                let mut digits = vec![b'0'; width];
                let mut k = i * (62usize.pow(width as u32) / (n + 1));
                for d in digits.iter_mut().rev() {
                    *d = DIGITS[k % 62];
                    k /= 62;
                }
                let mut key = String::from_utf8(digits).expect("ASCII digits");
                // A trailing `V` leaves room on both sides.
                key.push('V');
                Position(key)
            })
            .collect()
    }
}

/// The longest position key the server takes (an editor rewrites positions long before
/// one grows this long: see `REBALANCE_AT`).
pub const MAX_POSITION_LEN: usize = 512;

/// A key longer than this makes the editor give every row a fresh, short position.
pub const REBALANCE_AT: usize = 24;

/// Whether a position from elsewhere is one `between` could have made: base-62 digits,
/// not ending in `0` (nothing could be placed before `0`, nor between `x` and `x0`).
pub fn valid_position(p: &Position) -> bool {
    !p.0.is_empty()
        && p.0.len() <= MAX_POSITION_LEN
        && p.0.bytes().all(|b| DIGITS.contains(&b))
        && !p.0.ends_with('0')
}

/// A key after `a`, short when possible.
fn after(a: &str) -> String {
    let bytes = a.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let d = digit(*b);
        if d < 60 {
            let mut out = a[..i].to_owned();
            out.push(DIGITS[d + 1] as char);
            return out;
        }
    }
    format!("{a}V")
}

/// A key strictly between `a` and `b` (`a < b`; `a` may be empty, meaning 0).
fn midpoint(a: &str, b: &str) -> String {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let mut out = String::new();
    let mut i = 0;
    loop {
        let da = ab.get(i).map_or(0, |c| digit(*c));
        let db = bb.get(i).map_or(62, |c| digit(*c));
        if da == db {
            out.push(DIGITS[da] as char);
            i += 1;
            continue;
        }
        if db > da + 1 {
            out.push(DIGITS[(da + db) / 2] as char);
            return out;
        }
        // Adjacent digits: keep a's digit and go past the rest of a.
        out.push(DIGITS[da] as char);
        let rest = a.get(i + 1..).unwrap_or("");
        out.push_str(&after_fraction(rest));
        return out;
    }
}

/// A key after the fraction `rest` with no upper bound, never ending in `0`.
fn after_fraction(rest: &str) -> String {
    let bytes = rest.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let d = digit(*b);
        if d < 61 {
            let mut out = rest[..i].to_owned();
            out.push(DIGITS[(d + 62) / 2] as char);
            return out;
        }
    }
    format!("{rest}V")
}

/// One row of the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowDoc {
    pub alive: Reg<bool>,
    pub position: Reg<Position>,
    pub item: Reg<String>,
    pub category: Reg<String>,
    pub priority: Reg<Priority>,
    pub owner: Reg<String>,
    pub status: Reg<Status>,
    pub notes: Notes,
}

impl RowDoc {
    /// A row known only by id (an edit arrived before its insert): hidden until inserted.
    pub fn unknown() -> RowDoc {
        RowDoc {
            alive: Reg::unset(false),
            position: Reg::unset(Position::default()),
            item: Reg::unset(String::new()),
            category: Reg::unset(String::new()),
            priority: Reg::unset(Priority::default()),
            owner: Reg::unset(String::new()),
            status: Reg::unset(Status::default()),
            notes: Notes::unset(),
        }
    }

    fn from_row(row: &Row, position: Position) -> RowDoc {
        RowDoc {
            alive: Reg::new(true),
            position: Reg::new(position),
            item: Reg::new(row.item.clone()),
            category: Reg::new(row.category.clone()),
            priority: Reg::new(row.priority),
            owner: Reg::new(row.owner.clone()),
            status: Reg::new(row.status),
            notes: Notes::new(row.notes.clone()),
        }
    }

    pub fn to_row(&self, id: &RowId) -> Row {
        Row {
            id: id.clone(),
            item: self.item.value.clone(),
            category: self.category.value.clone(),
            priority: self.priority.value,
            owner: self.owner.value.clone(),
            status: self.status.value,
            notes: self.notes.text().to_owned(),
        }
    }

    /// The stamp of the register behind `field`.
    pub fn stamp(&self, field: Field) -> Stamp {
        match field {
            Field::Item => self.item.stamp,
            Field::Category => self.category.stamp,
            Field::Priority => self.priority.stamp,
            Field::Owner => self.owner.stamp,
            Field::Status => self.status.stamp,
            Field::Notes => self.notes.versions.first().map_or(Stamp::ZERO, |v| v.stamp),
        }
    }
}

/// One change to the document: a write to one register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Title {
        text: String,
        stamp: Stamp,
    },
    Alive {
        row: RowId,
        alive: bool,
        stamp: Stamp,
    },
    Position {
        row: RowId,
        position: Position,
        stamp: Stamp,
    },
    /// Item, Category, Priority, Owner or Status (as text: `P1`, `Done`).
    Cell {
        row: RowId,
        field: Field,
        value: String,
        stamp: Stamp,
    },
    Notes {
        row: RowId,
        version: Version,
    },
}

impl Op {
    pub fn stamp(&self) -> Stamp {
        match self {
            Op::Title { stamp, .. }
            | Op::Alive { stamp, .. }
            | Op::Position { stamp, .. }
            | Op::Cell { stamp, .. } => *stamp,
            Op::Notes { version, .. } => version.stamp,
        }
    }

    pub fn row(&self) -> Option<&RowId> {
        match self {
            Op::Title { .. } => None,
            Op::Alive { row, .. }
            | Op::Position { row, .. }
            | Op::Cell { row, .. }
            | Op::Notes { row, .. } => Some(row),
        }
    }

    /// Whether `other` writes the same register.
    pub fn same_register(&self, other: &Op) -> bool {
        match (self, other) {
            (Op::Title { .. }, Op::Title { .. }) => true,
            (Op::Alive { row: a, .. }, Op::Alive { row: b, .. })
            | (Op::Position { row: a, .. }, Op::Position { row: b, .. })
            | (Op::Notes { row: a, .. }, Op::Notes { row: b, .. }) => a == b,
            (
                Op::Cell {
                    row: a, field: fa, ..
                },
                Op::Cell {
                    row: b, field: fb, ..
                },
            ) => a == b && fa == fb,
            _ => false,
        }
    }

    /// The same write with another stamp (the server clamps stamps from clocks far ahead).
    pub fn restamped(&self, stamp: Stamp) -> Op {
        let mut op = self.clone();
        match &mut op {
            Op::Title { stamp: s, .. }
            | Op::Alive { stamp: s, .. }
            | Op::Position { stamp: s, .. }
            | Op::Cell { stamp: s, .. } => *s = stamp,
            Op::Notes { version, .. } => version.stamp = stamp,
        }
        op
    }

    /// Makes the op's text fit the plan's rules (a peer may send anything); `None` when it
    /// names a field or value that cannot be.
    pub fn checked(self) -> Option<Op> {
        if self.row().is_some_and(|id| !is_valid_row_id(id.as_str())) {
            return None;
        }
        Some(match self {
            Op::Title { text, stamp } => Op::Title {
                text: clean_text(&text, MAX_TITLE_CHARS),
                stamp,
            },
            Op::Cell {
                row,
                field,
                value,
                stamp,
            } => {
                let value = match field {
                    Field::Priority => Priority::parse(&value)?.as_str().to_owned(),
                    Field::Status => Status::parse(&value)?.as_str().to_owned(),
                    Field::Notes => return None,
                    _ => clean_text(&value, max_chars(field)),
                };
                Op::Cell {
                    row,
                    field,
                    value,
                    stamp,
                }
            }
            Op::Notes { row, mut version } => {
                version.text = clean_text(&version.text, max_chars(Field::Notes));
                if version.seen.len() > MAX_SEEN {
                    // The latest ones matter: an old version someone saw is written over
                    // by later ones long since.
                    version.seen.sort_by_key(|(_, s)| std::cmp::Reverse(*s));
                    version.seen.truncate(MAX_SEEN);
                    version.seen.sort_by_key(|(r, _)| *r);
                }
                Op::Notes { row, version }
            }
            Op::Position {
                row,
                position,
                stamp,
            } => {
                if !valid_position(&position) {
                    return None;
                }
                Op::Position {
                    row,
                    position,
                    stamp,
                }
            }
            op @ Op::Alive { .. } => op,
        })
    }
}

/// What an op or a merge changed, for whoever shows the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Title,
    /// A cell of a row (its shown value or its versions).
    Cell(RowId, Field),
    /// Rows appeared, disappeared or moved.
    Order,
}

/// The replicated plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    pub title: Reg<String>,
    pub rows: BTreeMap<RowId, RowDoc>,
}

impl Doc {
    /// A document holding `plan`, written by nobody yet: the same on every replica that
    /// starts from the same plan.
    pub fn from_plan(plan: &Plan) -> Doc {
        let positions = Position::spread(plan.rows.len());
        Doc {
            title: Reg::new(plan.title.clone()),
            rows: plan
                .rows
                .iter()
                .zip(positions)
                .map(|(row, p)| (row.id.clone(), RowDoc::from_row(row, p)))
                .collect(),
        }
    }

    /// A document nothing was written to (a live plan before the server's copy arrives).
    pub fn empty() -> Doc {
        Doc {
            title: Reg::unset(String::new()),
            rows: BTreeMap::new(),
        }
    }

    /// The writes that turn the server's copy of this plan, built from what was published
    /// (`from_plan`: unedited stamps), into this document: every register written again at
    /// `stamp`, each Notes cell as one version that has seen the published text.
    pub fn published_ops(&self, stamp: Stamp) -> Vec<Op> {
        let mut ops: Vec<Op> = self
            .ops()
            .into_iter()
            .filter(|op| !matches!(op, Op::Notes { .. }))
            .map(|op| op.restamped(stamp))
            .collect();
        for (id, r) in &self.rows {
            let mut version = r.notes.write(r.notes.text().to_owned(), stamp, 0);
            add_seen(&mut version.seen, Stamp::BASE);
            ops.push(Op::Notes {
                row: id.clone(),
                version,
            });
        }
        ops
    }

    /// The plan as people see it: the live rows in order.
    pub fn plan(&self) -> Plan {
        Plan::new(self.title.value.clone(), self.live_rows())
    }

    /// The live rows in order.
    pub fn live_rows(&self) -> Vec<Row> {
        self.order()
            .into_iter()
            .map(|id| self.rows[id].to_row(id))
            .collect()
    }

    /// The ids of the live rows, in order.
    pub fn order(&self) -> Vec<&RowId> {
        let mut live: Vec<(&Position, &RowId)> = self
            .rows
            .iter()
            .filter(|(_, r)| r.alive.value)
            .map(|(id, r)| (&r.position.value, id))
            .collect();
        live.sort();
        live.into_iter().map(|(_, id)| id).collect()
    }

    pub fn live_count(&self) -> usize {
        self.rows.values().filter(|r| r.alive.value).count()
    }

    pub fn row(&self, id: &RowId) -> Option<&RowDoc> {
        self.rows.get(id)
    }

    /// Applies one op. Commutative and idempotent: the result does not depend on the order
    /// ops arrive in, nor on how often.
    pub fn apply(&mut self, op: &Op) -> Option<Change> {
        match op {
            Op::Title { text, stamp } => self.title.merge(text, *stamp).then_some(Change::Title),
            Op::Alive { row, alive, stamp } => {
                let r = self.rows.entry(row.clone()).or_insert_with(RowDoc::unknown);
                r.alive.merge(alive, *stamp).then_some(Change::Order)
            }
            Op::Position {
                row,
                position,
                stamp,
            } => {
                let r = self.rows.entry(row.clone()).or_insert_with(RowDoc::unknown);
                (r.position.merge(position, *stamp) && r.alive.value).then_some(Change::Order)
            }
            Op::Cell {
                row,
                field,
                value,
                stamp,
            } => {
                let r = self.rows.entry(row.clone()).or_insert_with(RowDoc::unknown);
                let changed = match field {
                    Field::Item => r.item.merge(value, *stamp),
                    Field::Category => r.category.merge(value, *stamp),
                    Field::Owner => r.owner.merge(value, *stamp),
                    Field::Priority => match Priority::parse(value) {
                        Some(p) => r.priority.merge(&p, *stamp),
                        None => false,
                    },
                    Field::Status => match Status::parse(value) {
                        Some(s) => r.status.merge(&s, *stamp),
                        None => false,
                    },
                    Field::Notes => false,
                };
                (changed && r.alive.value).then(|| Change::Cell(row.clone(), *field))
            }
            Op::Notes { row, version } => {
                let r = self.rows.entry(row.clone()).or_insert_with(RowDoc::unknown);
                (r.notes.merge(version) && r.alive.value)
                    .then(|| Change::Cell(row.clone(), Field::Notes))
            }
        }
    }

    /// Takes in everything `other` holds. Commutative, associative, idempotent.
    pub fn merge(&mut self, other: &Doc) -> Vec<Change> {
        let mut changes = Vec::new();
        for op in other.ops() {
            if let Some(c) = self.apply(&op) {
                if !changes.contains(&c) {
                    changes.push(c);
                }
            }
        }
        changes
    }

    /// The document as ops (applying them to an empty document gives it back).
    pub fn ops(&self) -> Vec<Op> {
        let mut ops = vec![Op::Title {
            text: self.title.value.clone(),
            stamp: self.title.stamp,
        }];
        for (id, r) in &self.rows {
            ops.push(Op::Alive {
                row: id.clone(),
                alive: r.alive.value,
                stamp: r.alive.stamp,
            });
            ops.push(Op::Position {
                row: id.clone(),
                position: r.position.value.clone(),
                stamp: r.position.stamp,
            });
            for (field, value, stamp) in [
                (Field::Item, r.item.value.clone(), r.item.stamp),
                (Field::Category, r.category.value.clone(), r.category.stamp),
                (
                    Field::Priority,
                    r.priority.value.as_str().to_owned(),
                    r.priority.stamp,
                ),
                (Field::Owner, r.owner.value.clone(), r.owner.stamp),
                (
                    Field::Status,
                    r.status.value.as_str().to_owned(),
                    r.status.stamp,
                ),
            ] {
                ops.push(Op::Cell {
                    row: id.clone(),
                    field,
                    value,
                    stamp,
                });
            }
            for version in &r.notes.versions {
                ops.push(Op::Notes {
                    row: id.clone(),
                    version: version.clone(),
                });
            }
        }
        ops
    }

    /// A checksum of the whole document (replicas that agree have equal checksums).
    pub fn checksum(&self) -> u64 {
        // FNV-1a over the canonical JSON: stable across builds and platforms.
        let json = serde_json::to_string(self).unwrap_or_default();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in json.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash
    }

    /// The document with every value brought within the plan's rules (a stored copy may
    /// have been edited by hand): text cleaned and cut to its limit, rows with an invalid
    /// id and positions that are not base-62 dropped.
    pub fn sanitized(mut self) -> Doc {
        self.title.value = clean_text(&self.title.value, MAX_TITLE_CHARS);
        self.rows.retain(|id, _| is_valid_row_id(id.as_str()));
        for row in self.rows.values_mut() {
            for (field, reg) in [
                (Field::Item, &mut row.item),
                (Field::Category, &mut row.category),
                (Field::Owner, &mut row.owner),
            ] {
                reg.value = clean_text(&reg.value, max_chars(field));
            }
            for v in &mut row.notes.versions {
                v.text = clean_text(&v.text, max_chars(Field::Notes));
            }
            if row.notes.versions.is_empty() {
                row.notes = Notes::unset();
            }
            if !valid_position(&row.position.value) {
                row.position = Reg::unset(Position::default());
            }
        }
        self
    }

    /// The stamp of the register `op` writes, as held here (`ZERO` when never written).
    pub fn held_stamp(&self, op: &Op) -> Stamp {
        match op {
            Op::Title { .. } => self.title.stamp,
            Op::Alive { row, .. } => self.row(row).map_or(Stamp::ZERO, |r| r.alive.stamp),
            Op::Position { row, .. } => self.row(row).map_or(Stamp::ZERO, |r| r.position.stamp),
            Op::Cell { row, field, .. } => self.row(row).map_or(Stamp::ZERO, |r| r.stamp(*field)),
            Op::Notes { row, .. } => self.row(row).map_or(Stamp::ZERO, |r| r.stamp(Field::Notes)),
        }
    }

    /// Whether the register `op` writes holds a write with `op`'s very stamp: `Some(true)`
    /// with the same content (the same write, again), `Some(false)` with other content (a
    /// stamp copied onto something else), `None` when it holds another stamp.
    pub fn same_write(&self, op: &Op) -> Option<bool> {
        let stamp = op.stamp();
        match op {
            Op::Title { text, .. } => {
                (self.title.stamp == stamp).then(|| self.title.value == *text)
            }
            Op::Alive { row, alive, .. } => {
                let reg = &self.row(row)?.alive;
                (reg.stamp == stamp).then_some(reg.value == *alive)
            }
            Op::Position { row, position, .. } => {
                let reg = &self.row(row)?.position;
                (reg.stamp == stamp).then(|| reg.value == *position)
            }
            Op::Cell {
                row, field, value, ..
            } => {
                let r = self.row(row)?;
                (r.stamp(*field) == stamp).then(|| r.to_row(row).text(*field) == value.as_str())
            }
            Op::Notes { row, version } => {
                let held = self
                    .row(row)?
                    .notes
                    .versions
                    .iter()
                    .find(|v| v.stamp == stamp)?;
                Some(held.text == version.text)
            }
        }
    }

    /// Applies `op`; says whether it was news here (a later write, or a change).
    pub fn take(&mut self, op: &Op) -> bool {
        let newer = op.stamp() > self.held_stamp(op);
        self.apply(op).is_some() || newer
    }

    /// The latest stamp anywhere in the document.
    pub fn latest(&self) -> Stamp {
        self.ops()
            .iter()
            .map(Op::stamp)
            .max()
            .unwrap_or(Stamp::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(wall: u64, replica: u32) -> Stamp {
        Stamp {
            wall,
            count: 0,
            replica,
        }
    }

    fn rid(id: &str) -> RowId {
        RowId::from(id)
    }

    fn plan() -> Plan {
        Plan::new(
            "P",
            ["a", "b", "c"]
                .iter()
                .map(|id| Row {
                    item: id.to_uppercase(),
                    ..Row::blank(rid(id))
                })
                .collect(),
        )
    }

    #[test]
    fn stamps_order_by_wall_then_counter_then_replica() {
        assert!(s(2, 0) > s(1, 9));
        assert!(s(1, 2) > s(1, 1));
        let a = Stamp {
            wall: 5,
            count: 1,
            replica: 0,
        };
        assert!(a > s(5, 9));
        assert_eq!(Stamp::from_sortable(&a.sortable()), Some(a));
        assert!(s(10, 1).sortable() > s(9, 2).sortable());
    }

    #[test]
    fn the_clock_never_goes_back_and_orders_after_what_it_saw() {
        let mut c = Clock::new(7);
        let a = c.tick(100);
        let b = c.tick(100);
        let d = c.tick(50);
        assert!(
            a < b && b < d,
            "monotonic even when the wall clock steps back"
        );
        c.observe(Stamp {
            wall: 900,
            count: 3,
            replica: 1,
        });
        let e = c.tick(200);
        assert!(e.wall == 900 && e.count == 4 && e.replica == 7);
    }

    #[test]
    fn positions_fit_between_any_two() {
        let mut keys = Position::spread(5);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        for _ in 0..200 {
            let m = Position::between(Some(&keys[0]), Some(&keys[1]));
            assert!(
                keys[0] < m && m < keys[1],
                "{:?} {:?} {:?}",
                keys[0],
                m,
                keys[1]
            );
            assert!(!m.0.ends_with('0'));
            keys.insert(1, m);
        }
        let first = Position::between(None, Some(&keys[0]));
        assert!(first < keys[0]);
        let last = Position::between(keys.last(), None);
        assert!(&last > keys.last().unwrap());
        // Appending many rows keeps keys short.
        let mut p = Position::spread(2000).pop().unwrap();
        for _ in 0..2000 {
            p = Position::between(Some(&p), None);
        }
        assert!(p.0.len() < 80, "{}", p.0.len());
    }

    #[test]
    fn nothing_can_be_placed_before_a_key_ending_in_zero_so_none_is_taken() {
        for bad in ["0", "00", "V0", ""] {
            assert!(!valid_position(&Position(bad.into())), "{bad}");
        }
        for good in ["1", "V", "0V", "zz"] {
            let p = Position(good.into());
            assert!(valid_position(&p));
            let before = Position::between(None, Some(&p));
            assert!(
                before < p && valid_position(&before),
                "{good} -> {before:?}"
            );
        }
    }

    #[test]
    fn many_concurrent_notes_merge_the_same_in_any_order() {
        let v = |i: u64, seen: Seen| Version {
            text: format!("v{i}"),
            stamp: s(100 + i, i as u32),
            seen,
            logged: 0,
            base: 0,
        };
        let mut versions: Vec<Version> = (1..=9).map(|i| v(i, Vec::new())).collect();
        // x saw the latest five.
        versions.push(Version {
            text: "x".into(),
            stamp: s(200, 50),
            seen: (5..=9).map(|i| (i as u32, s(100 + i, i as u32))).collect(),
            logged: 0,
            base: 0,
        });
        let mut forward = Notes::new(String::new());
        for version in &versions {
            forward.merge(version);
        }
        let mut backward = Notes::new(String::new());
        for version in versions.iter().rev() {
            backward.merge(version);
        }
        assert_eq!(forward, backward);
        let texts: Vec<&str> = forward.versions.iter().map(|v| v.text.as_str()).collect();
        assert_eq!(texts, ["x", "v4", "v3", "v2", "v1"]);
    }

    #[test]
    fn a_later_write_wins_per_cell_and_both_cells_of_a_row_keep_theirs() {
        let mut a = Doc::from_plan(&plan());
        let mut b = a.clone();
        let item = Op::Cell {
            row: rid("a"),
            field: Field::Item,
            value: "from A".into(),
            stamp: s(10, 1),
        };
        let owner = Op::Cell {
            row: rid("a"),
            field: Field::Owner,
            value: "from B".into(),
            stamp: s(5, 2),
        };
        let late = Op::Cell {
            row: rid("a"),
            field: Field::Item,
            value: "later, from B".into(),
            stamp: s(11, 2),
        };
        for op in [&item, &owner, &late] {
            a.apply(op);
        }
        for op in [&late, &owner, &item, &item] {
            b.apply(op);
        }
        assert_eq!(a, b);
        let row = &a.plan().rows[0];
        assert_eq!(
            (row.item.as_str(), row.owner.as_str()),
            ("later, from B", "from B")
        );
    }

    #[test]
    fn concurrent_notes_keep_both_versions_until_someone_chooses() {
        let mut doc = Doc::from_plan(&plan());
        let base = doc.rows[&rid("b")].notes.writer_context(0).1;
        let mine = Version {
            text: "mine".into(),
            stamp: s(10, 1),
            seen: {
                let mut seen = base.clone();
                add_seen(&mut seen, s(10, 1));
                seen
            },
            logged: 0,
            base: 0,
        };
        let theirs = Version {
            text: "theirs".into(),
            stamp: s(11, 2),
            seen: {
                let mut seen = base;
                add_seen(&mut seen, s(11, 2));
                seen
            },
            logged: 0,
            base: 0,
        };
        let mut other = doc.clone();
        doc.apply(&Op::Notes {
            row: rid("b"),
            version: mine.clone(),
        });
        doc.apply(&Op::Notes {
            row: rid("b"),
            version: theirs.clone(),
        });
        other.apply(&Op::Notes {
            row: rid("b"),
            version: theirs,
        });
        other.apply(&Op::Notes {
            row: rid("b"),
            version: mine,
        });
        assert_eq!(doc, other);
        let notes = &doc.rows[&rid("b")].notes;
        assert!(notes.in_conflict());
        assert_eq!(notes.text(), "theirs", "the later one is shown");
        // Someone merges them, having seen both: one version again.
        let mut seen = notes.writer_context(0).1;
        add_seen(&mut seen, s(12, 1));
        doc.apply(&Op::Notes {
            row: rid("b"),
            version: Version {
                text: "mine + theirs".into(),
                stamp: s(12, 1),
                seen,
                logged: 0,
                base: 0,
            },
        });
        assert!(!doc.rows[&rid("b")].notes.in_conflict());
        assert_eq!(doc.plan().rows[1].notes, "mine + theirs");
    }

    #[test]
    fn a_write_after_seeing_another_replaces_it_in_any_order() {
        let first = Version {
            text: "first".into(),
            stamp: s(10, 1),
            seen: vec![(1, s(10, 1))],
            logged: 0,
            base: 0,
        };
        let second = Version {
            text: "second".into(),
            stamp: s(11, 2),
            seen: vec![(1, s(10, 1)), (2, s(11, 2))],
            logged: 0,
            base: 0,
        };
        for order in [[&first, &second], [&second, &first]] {
            let mut notes = Notes::new(String::new());
            for v in order {
                notes.merge(v);
            }
            assert_eq!(notes.versions.len(), 1, "no conflict: second saw first");
            assert_eq!(notes.text(), "second");
        }
    }

    #[test]
    fn delete_wins_over_a_concurrent_edit_which_is_kept_for_an_undo() {
        let mut doc = Doc::from_plan(&plan());
        doc.apply(&Op::Alive {
            row: rid("b"),
            alive: false,
            stamp: s(10, 1),
        });
        doc.apply(&Op::Cell {
            row: rid("b"),
            field: Field::Owner,
            value: "edited meanwhile".into(),
            stamp: s(12, 2),
        });
        assert_eq!(doc.plan().rows.len(), 2, "the row stays deleted");
        doc.apply(&Op::Alive {
            row: rid("b"),
            alive: true,
            stamp: s(13, 1),
        });
        let plan = doc.plan();
        assert_eq!(
            plan.rows[1].owner, "edited meanwhile",
            "undo brings it back, edit included"
        );
    }

    #[test]
    fn concurrent_moves_never_duplicate_or_lose_a_row() {
        let base = Doc::from_plan(&plan());
        let pos = |doc: &Doc, id: &str| doc.rows[&rid(id)].position.value.clone();
        let to_end = Op::Position {
            row: rid("a"),
            position: Position::between(Some(&pos(&base, "c")), None),
            stamp: s(10, 1),
        };
        let to_middle = Op::Position {
            row: rid("a"),
            position: Position::between(Some(&pos(&base, "b")), Some(&pos(&base, "c"))),
            stamp: s(10, 2),
        };
        let mut x = base.clone();
        x.apply(&to_end);
        x.apply(&to_middle);
        let mut y = base.clone();
        y.apply(&to_middle);
        y.apply(&to_end);
        assert_eq!(x, y);
        let ids: Vec<_> = x.plan().rows.iter().map(|r| r.id.0.clone()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
    }

    #[test]
    fn checked_ops_hold_the_plan_rules() {
        let long = Op::Cell {
            row: rid("a"),
            field: Field::Owner,
            value: "x\u{0}".repeat(400),
            stamp: s(1, 1),
        };
        match long.checked() {
            Some(Op::Cell { value, .. }) => assert_eq!(value.chars().count(), 400),
            other => panic!("{other:?}"),
        }
        let bad = Op::Cell {
            row: rid("a"),
            field: Field::Priority,
            value: "P9".into(),
            stamp: s(1, 1),
        };
        assert!(bad.checked().is_none());
        let bad_position = Op::Position {
            row: rid("a"),
            position: Position("not a key!".into()),
            stamp: s(1, 1),
        };
        assert!(bad_position.checked().is_none());
    }

    /// Something a person does on one replica.
    #[derive(Clone, Debug)]
    enum Action {
        Title(String),
        Cell(usize, usize, String),
        Notes(usize, String),
        Alive(usize, bool),
        Move(usize, usize),
        /// The replica takes in everything another replica has.
        Sync(usize),
    }

    const ROWS: [&str; 4] = ["a", "b", "c", "d"];

    fn any_action() -> impl Strategy<Value = Action> {
        let text = "[a-z]{0,3}";
        prop_oneof![
            text.prop_map(Action::Title),
            (0usize..4, 0usize..5, text).prop_map(|(r, f, v)| Action::Cell(r, f, v)),
            (0usize..4, text).prop_map(|(r, v)| Action::Notes(r, v)),
            (0usize..4, any::<bool>()).prop_map(|(r, a)| Action::Alive(r, a)),
            (0usize..4, 0usize..4).prop_map(|(r, to)| Action::Move(r, to)),
            (0usize..3).prop_map(Action::Sync),
        ]
    }

    /// The op a replica writes for `action`, as the editor would: stamped by its clock,
    /// with Notes versions that record what the writer had seen.
    fn author(doc: &Doc, clock: &mut Clock, now: u64, action: &Action) -> Option<Op> {
        let stamp = clock.tick(now);
        Some(match action {
            Action::Title(text) => Op::Title {
                text: text.clone(),
                stamp,
            },
            Action::Cell(r, f, v) => {
                let field = [
                    Field::Item,
                    Field::Category,
                    Field::Owner,
                    Field::Priority,
                    Field::Status,
                ][*f];
                let value = match field {
                    Field::Priority => ["P0", "P1", "P2", "P3"][v.len()].to_owned(),
                    Field::Status => {
                        ["Not started", "Done", "Blocked", "In progress"][v.len()].to_owned()
                    }
                    _ => v.clone(),
                };
                Op::Cell {
                    row: rid(ROWS[*r]),
                    field,
                    value,
                    stamp,
                }
            }
            Action::Notes(r, text) => {
                let mut seen = doc
                    .rows
                    .get(&rid(ROWS[*r]))
                    .map(|row| row.notes.writer_context(0).1)
                    .unwrap_or_default();
                add_seen(&mut seen, stamp);
                Op::Notes {
                    row: rid(ROWS[*r]),
                    version: Version {
                        text: text.clone(),
                        stamp,
                        seen,
                        logged: 0,
                        base: 0,
                    },
                }
            }
            Action::Alive(r, alive) => Op::Alive {
                row: rid(ROWS[*r]),
                alive: *alive,
                stamp,
            },
            Action::Move(r, to) => {
                let order = doc.order();
                let others: Vec<&RowId> = order
                    .iter()
                    .copied()
                    .filter(|id| id.as_str() != ROWS[*r])
                    .collect();
                let at = (*to).min(others.len());
                let before = at.checked_sub(1).and_then(|i| others.get(i));
                let after = others.get(at);
                let pos = |id: Option<&&RowId>| id.map(|id| doc.rows[*id].position.value.clone());
                Op::Position {
                    row: rid(ROWS[*r]),
                    position: Position::between(pos(before).as_ref(), pos(after).as_ref()),
                    stamp,
                }
            }
            Action::Sync(_) => return None,
        })
    }

    /// Three replicas act and sync now and then; returns every op written and the docs.
    fn run(actions: &[(usize, Action)]) -> (Vec<Op>, Vec<Doc>) {
        let mut docs = vec![Doc::from_plan(&plan()); 3];
        let mut clocks: Vec<Clock> = (1..=3).map(Clock::new).collect();
        let mut ops = Vec::new();
        for (i, (who, action)) in actions.iter().enumerate() {
            let who = who % 3;
            if let Action::Sync(from) = action {
                let other = docs[*from % 3].clone();
                clocks[who].observe(other.latest());
                docs[who].merge(&other);
                continue;
            }
            let now = 1000 + i as u64 * 3;
            if let Some(op) = author(&docs[who], &mut clocks[who], now, action) {
                docs[who].apply(&op);
                ops.push(op);
            }
        }
        (ops, docs)
    }

    proptest! {
        #[test]
        fn apply_is_commutative_and_idempotent(
            actions in proptest::collection::vec((0usize..3, any_action()), 0..40),
            seed in any::<u64>(),
        ) {
            let (ops, _) = run(&actions);
            let base = Doc::from_plan(&plan());
            let mut forward = base.clone();
            for op in &ops {
                forward.apply(op);
            }
            // Another order, with repeats.
            let mut shuffled = ops.clone();
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let mut other = base.clone();
            for op in shuffled.iter().chain(ops.iter().take(5)) {
                other.apply(op);
            }
            prop_assert_eq!(forward.checksum(), other.checksum());
            prop_assert_eq!(&forward, &other);
            // No row lost or doubled: the order lists each live row once.
            let order = forward.order();
            let unique: std::collections::HashSet<_> = order.iter().collect();
            prop_assert_eq!(unique.len(), order.len());
            prop_assert_eq!(order.len(), forward.live_count());
        }

        #[test]
        fn merge_is_commutative_associative_and_idempotent(
            actions in proptest::collection::vec((0usize..3, any_action()), 0..40),
        ) {
            let (_, docs) = run(&actions);
            let (da, db, dc) = (&docs[0], &docs[1], &docs[2]);
            let mut ab = da.clone(); ab.merge(db);
            let mut ba = db.clone(); ba.merge(da);
            prop_assert_eq!(&ab, &ba);
            let mut ab_c = ab.clone(); ab_c.merge(dc);
            let mut bc = db.clone(); bc.merge(dc);
            let mut a_bc = da.clone(); a_bc.merge(&bc);
            prop_assert_eq!(&ab_c, &a_bc);
            let mut twice = ab_c.clone(); twice.merge(&ab_c);
            prop_assert_eq!(&twice, &ab_c);
        }
    }
}
