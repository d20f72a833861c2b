//! Notes cells: a multi-value register that keeps every version no later write has seen.

use super::stamp::Stamp;
use serde::{Deserialize, Serialize};

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
    pub(crate) fn unset() -> Notes {
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
