//! This tab's changes that lost when they reached the server: a newer write from someone
//! else already held the cell, or someone else had deleted the row. Nothing is lost by the
//! merge rule's own account (the newest write wins everywhere), but the person who made the
//! change — often offline, hours earlier — is told, with where to look.

use crate::model::crdt::{Doc, Op};
use crate::model::doc::plan::{Field, RowId};
use crate::model::sync::accept::replica_of;
use serde::{Deserialize, Serialize};

/// Reports kept until the page reads them, at most (older ones go first).
pub const MAX_OVERRIDDEN: usize = 100;

/// One of this tab's changes that does not show, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overridden {
    /// The row (`None` for the title).
    pub row: Option<RowId>,
    /// The column (`None` for the title).
    pub field: Option<Field>,
    /// What this tab wrote.
    pub mine: String,
    /// What the plan holds instead ('' when the row is deleted).
    pub now: String,
    /// The page load whose write won, or that deleted the row.
    pub by: u32,
    /// The row was deleted before this change arrived.
    pub row_deleted: bool,
}

/// The ops of this tab's batch `batch`, as logged, that `confirmed` (the server's document
/// once the batch is applied) does not show because of someone else's write.
pub fn overridden(confirmed: &Doc, batch: u64, ops: &[Op]) -> Vec<Overridden> {
    let mine = replica_of(batch);
    let mut lost = Vec::new();
    for op in ops {
        match op {
            Op::Cell { row, value, stamp } => {
                let Some(held) = confirmed.row(row) else {
                    continue;
                };
                let field = value.field();
                if !held.alive.value && held.alive.stamp.replica != mine {
                    lost.push(Overridden {
                        row: Some(row.clone()),
                        field: Some(field),
                        mine: value.text().to_owned(),
                        now: String::new(),
                        by: held.alive.stamp.replica,
                        row_deleted: true,
                    });
                    continue;
                }
                let winner = held.stamp(field);
                if winner > *stamp && winner.replica != mine {
                    lost.push(Overridden {
                        row: Some(row.clone()),
                        field: Some(field),
                        mine: value.text().to_owned(),
                        now: held.to_row(row).text(field).to_owned(),
                        by: winner.replica,
                        row_deleted: false,
                    });
                }
            }
            Op::Title { text, stamp } => {
                let winner = confirmed.title.stamp;
                if winner > *stamp && winner.replica != mine {
                    lost.push(Overridden {
                        row: None,
                        field: None,
                        mine: text.clone(),
                        now: confirmed.title.value.clone(),
                        by: winner.replica,
                        row_deleted: false,
                    });
                }
            }
            // Notes keep every concurrent version; a move that lost leaves nothing typed.
            _ => {}
        }
    }
    // The same cell written twice in one batch counts once (the last write).
    let mut seen = std::collections::HashSet::new();
    let mut kept: Vec<Overridden> = lost
        .into_iter()
        .rev()
        .filter(|o| seen.insert((o.row.clone(), o.field)))
        .collect();
    kept.reverse();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::crdt::{CellValue, Stamp};
    use crate::model::doc::plan::{Plan, Row, Status};

    fn at(wall: u64, replica: u32) -> Stamp {
        Stamp {
            wall,
            count: 0,
            replica,
        }
    }

    fn status(row: &str, s: Status, stamp: Stamp) -> Op {
        Op::Cell {
            row: RowId::from(row),
            value: CellValue::Status(s),
            stamp,
        }
    }

    #[test]
    fn an_offline_change_that_lost_to_a_newer_one_or_a_deleted_row_is_reported() {
        let plan = Plan::new(
            "P",
            ["a", "b", "c"]
                .iter()
                .map(|id| Row::blank(RowId::from(*id)))
                .collect(),
        );
        let mut server = Doc::from_plan(&plan);
        // Meanwhile, online, Olga (replica 2) set a's status at 200 and deleted c.
        server.apply(&status("a", Status::Done, at(200, 2)));
        server.apply(&Op::Alive {
            row: RowId::from("c"),
            alive: false,
            stamp: at(150, 2),
        });
        // This tab (replica 7), offline since 100, comes back with three changes.
        let batch = (7u64 << 32) | 1;
        let ops = vec![
            status("a", Status::Blocked, at(100, 7)),
            status("b", Status::Blocked, at(101, 7)),
            status("c", Status::Blocked, at(102, 7)),
        ];
        for op in &ops {
            server.apply(op);
        }
        let lost = overridden(&server, batch, &ops);
        assert_eq!(
            lost,
            [
                Overridden {
                    row: Some(RowId::from("a")),
                    field: Some(Field::Status),
                    mine: "Blocked".into(),
                    now: "Done".into(),
                    by: 2,
                    row_deleted: false,
                },
                Overridden {
                    row: Some(RowId::from("c")),
                    field: Some(Field::Status),
                    mine: "Blocked".into(),
                    now: String::new(),
                    by: 2,
                    row_deleted: true,
                },
            ]
        );
        // What this tab wrote over itself is not news.
        let later = status("b", Status::Done, at(300, 7));
        server.apply(&later);
        assert!(overridden(&server, batch, &ops[1..2]).is_empty());
    }
}
