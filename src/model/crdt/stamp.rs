//! Hybrid-logical-clock stamps, the clock that makes them, and the last-writer-wins
//! register they order.

use serde::{Deserialize, Serialize};
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
