//! The ops that change the replicated plan, typed (`Op`), and as they are written on the
//! wire, in the op log and in storage (`WireOp`, cell values as text). A peer may send
//! anything: the server takes a `WireOp` and turns it into an `Op` with `checked`, which
//! refuses that op alone.

use super::notes::{Version, MAX_SEEN};
use super::position::{valid_position, Position};
use super::stamp::Stamp;
use crate::model::doc::limits::{clean_text, is_valid_row_id, max_chars, MAX_TITLE_CHARS};
use crate::model::doc::plan::{Field, Priority, Row, RowId, Status};
use serde::{Deserialize, Serialize};

/// One change to the document: a write to one register. Written as the `WireOp` it is
/// (see `Serialize` below), read back through one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "WireOp", try_from = "WireOp")]
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
    /// Item, Category, Priority, Owner or Status.
    Cell {
        row: RowId,
        value: CellValue,
        stamp: Stamp,
    },
    Notes {
        row: RowId,
        version: Version,
    },
}

/// What an `Op::Cell` writes, typed by its column (Notes are written by `Op::Notes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellValue {
    Item(String),
    Category(String),
    Priority(Priority),
    Owner(String),
    Status(Status),
}

impl CellValue {
    /// The column the value belongs to.
    pub fn field(&self) -> Field {
        match self {
            CellValue::Item(_) => Field::Item,
            CellValue::Category(_) => Field::Category,
            CellValue::Priority(_) => Field::Priority,
            CellValue::Owner(_) => Field::Owner,
            CellValue::Status(_) => Field::Status,
        }
    }

    /// The value as the plan shows it (`P1`, `Done`).
    pub fn text(&self) -> &str {
        match self {
            CellValue::Item(s) | CellValue::Category(s) | CellValue::Owner(s) => s,
            CellValue::Priority(p) => p.as_str(),
            CellValue::Status(s) => s.as_str(),
        }
    }

    /// `field`'s value in `row`; `None` for Notes.
    pub fn of(row: &Row, field: Field) -> Option<CellValue> {
        Some(match field {
            Field::Item => CellValue::Item(row.item.clone()),
            Field::Category => CellValue::Category(row.category.clone()),
            Field::Priority => CellValue::Priority(row.priority),
            Field::Owner => CellValue::Owner(row.owner.clone()),
            Field::Status => CellValue::Status(row.status),
            Field::Notes => return None,
        })
    }

    /// `text` read as `field`'s value; `None` for Notes, or a priority or status the plan
    /// does not know. Text is taken as it is (`WireOp::checked` cleans it).
    pub fn parse(field: Field, text: String) -> Option<CellValue> {
        Some(match field {
            Field::Item => CellValue::Item(text),
            Field::Category => CellValue::Category(text),
            Field::Priority => CellValue::Priority(Priority::parse(&text)?),
            Field::Owner => CellValue::Owner(text),
            Field::Status => CellValue::Status(Status::parse(&text)?),
            Field::Notes => return None,
        })
    }
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

    /// The register the op writes, as `(row, field)`: the row's id ('' for the title) and
    /// `title`, `alive`, `position` or the column's key.
    pub fn register(&self) -> (&str, &'static str) {
        match self {
            Op::Title { .. } => ("", "title"),
            Op::Alive { row, .. } => (row.as_str(), "alive"),
            Op::Position { row, .. } => (row.as_str(), "position"),
            Op::Cell { row, value, .. } => (row.as_str(), value.field().key()),
            Op::Notes { row, .. } => (row.as_str(), Field::Notes.key()),
        }
    }

    /// The value the op writes, as text: `1` or `0` for `alive` (added back or deleted), ''
    /// for `position` (moved).
    pub fn written(&self) -> String {
        match self {
            Op::Title { text, .. } => text.clone(),
            Op::Alive { alive, .. } => u8::from(*alive).to_string(),
            Op::Position { .. } => String::new(),
            Op::Cell { value, .. } => value.text().to_owned(),
            Op::Notes { version, .. } => version.text.clone(),
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
                    row: a, value: va, ..
                },
                Op::Cell {
                    row: b, value: vb, ..
                },
            ) => a == b && va.field() == vb.field(),
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
}

/// An op as it is written on the wire, in the op log and in storage: `Op` with a cell's
/// value as text and its column beside it. Encodes to the same bytes as the `Op` it came
/// from (in JSON too).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireOp {
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

impl WireOp {
    /// The op, with its text made to fit the plan's rules (a peer may send anything);
    /// `None` when it names a row, field or value that cannot be.
    pub fn checked(self) -> Option<Op> {
        if self.row().is_some_and(|id| !is_valid_row_id(id.as_str())) {
            return None;
        }
        Some(match self {
            WireOp::Title { text, stamp } => Op::Title {
                text: clean_text(&text, MAX_TITLE_CHARS),
                stamp,
            },
            WireOp::Cell {
                row,
                field,
                value,
                stamp,
            } => {
                let value = match field {
                    Field::Priority | Field::Status | Field::Notes => value,
                    _ => clean_text(&value, max_chars(field)),
                };
                Op::Cell {
                    row,
                    value: CellValue::parse(field, value)?,
                    stamp,
                }
            }
            WireOp::Notes { row, mut version } => {
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
            WireOp::Position {
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
            WireOp::Alive { row, alive, stamp } => Op::Alive { row, alive, stamp },
        })
    }

    pub fn row(&self) -> Option<&RowId> {
        match self {
            WireOp::Title { .. } => None,
            WireOp::Alive { row, .. }
            | WireOp::Position { row, .. }
            | WireOp::Cell { row, .. }
            | WireOp::Notes { row, .. } => Some(row),
        }
    }
}

impl From<Op> for WireOp {
    fn from(op: Op) -> WireOp {
        match op {
            Op::Title { text, stamp } => WireOp::Title { text, stamp },
            Op::Alive { row, alive, stamp } => WireOp::Alive { row, alive, stamp },
            Op::Position {
                row,
                position,
                stamp,
            } => WireOp::Position {
                row,
                position,
                stamp,
            },
            Op::Cell { row, value, stamp } => WireOp::Cell {
                row,
                field: value.field(),
                value: match value {
                    CellValue::Item(s) | CellValue::Category(s) | CellValue::Owner(s) => s,
                    CellValue::Priority(p) => p.as_str().to_owned(),
                    CellValue::Status(s) => s.as_str().to_owned(),
                },
                stamp,
            },
            Op::Notes { row, version } => WireOp::Notes { row, version },
        }
    }
}

/// Decoding an `Op` (from the server, the op log or storage, which hold checked ops only)
/// types a cell's value; a value its column cannot hold is an error. What a peer sends is
/// decoded as `WireOp` and checked op by op instead.
impl TryFrom<WireOp> for Op {
    type Error = &'static str;

    fn try_from(op: WireOp) -> Result<Op, &'static str> {
        Ok(match op {
            WireOp::Title { text, stamp } => Op::Title { text, stamp },
            WireOp::Alive { row, alive, stamp } => Op::Alive { row, alive, stamp },
            WireOp::Position {
                row,
                position,
                stamp,
            } => Op::Position {
                row,
                position,
                stamp,
            },
            WireOp::Cell {
                row,
                field,
                value,
                stamp,
            } => Op::Cell {
                row,
                value: CellValue::parse(field, value)
                    .ok_or("a cell op holds a value its column cannot take")?,
                stamp,
            },
            WireOp::Notes { row, version } => Op::Notes { row, version },
        })
    }
}
