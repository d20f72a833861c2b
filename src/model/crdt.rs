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

mod doc;
pub mod edits;
mod notes;
mod op;
mod position;
mod stamp;

pub use doc::{Change, Doc, RowDoc};
pub use notes::{add_seen, Notes, Seen, Version, MAX_SEEN, MAX_VERSIONS};
pub use op::{CellValue, Op, WireOp};
pub use position::{valid_position, Position, MAX_POSITION_LEN, REBALANCE_AT};
pub use stamp::{Clock, Reg, Stamp};

#[cfg(test)]
mod tests;
