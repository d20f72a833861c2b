//! From edits of the plan to writes to its replicated document: the editor keeps working
//! on a `Plan` (edits, undo, the table), and after each change the registers that changed
//! are written with fresh stamps. This is the only place such writes are made, so every
//! plan, local or shared, goes through the same merge.

use crate::model::crdt::{CellValue, Doc, Op, Position, RowDoc, Stamp, REBALANCE_AT};
use crate::model::doc::plan::{Field, Plan, Row, RowId};
use std::collections::HashMap;

/// The ops that take `doc` (which shows `before`) to `after`. `touched`: the only rows
/// that may have changed, when the caller knows (a cell edit); `None` compares them all.
/// `base`: how far the writer has read the server's log (0 for a private plan), for what
/// its Notes versions have seen. `stamp` gives each op its stamp, in order.
pub fn ops_for_change(
    doc: &Doc,
    before: &Plan,
    after: &Plan,
    touched: Option<&[RowId]>,
    base: u64,
    stamp: &mut dyn FnMut() -> Stamp,
) -> Vec<Op> {
    let mut ops = Vec::new();
    if before.title != after.title {
        ops.push(Op::Title {
            text: after.title.clone(),
            stamp: stamp(),
        });
    }
    if let Some(ids) = touched {
        for id in ids {
            if let (Some(old), Some(new)) = (before.row(id), after.row(id)) {
                cell_ops(doc.row(id), Some(old), new, base, &mut ops, stamp);
            }
        }
        return ops;
    }
    let old: HashMap<&RowId, &Row> = before.rows.iter().map(|r| (&r.id, r)).collect();
    for row in &after.rows {
        match old.get(&row.id) {
            Some(old) => cell_ops(doc.row(&row.id), Some(old), row, base, &mut ops, stamp),
            None => {
                // A new row, or one that was deleted coming back (undo).
                let held = doc.row(&row.id);
                if !held.is_some_and(|r| r.alive.value) {
                    ops.push(Op::Alive {
                        row: row.id.clone(),
                        alive: true,
                        stamp: stamp(),
                    });
                }
                cell_ops(held, None, row, base, &mut ops, stamp);
            }
        }
    }
    let kept: std::collections::HashSet<&RowId> = after.rows.iter().map(|r| &r.id).collect();
    for row in &before.rows {
        if !kept.contains(&row.id) {
            ops.push(Op::Alive {
                row: row.id.clone(),
                alive: false,
                stamp: stamp(),
            });
        }
    }
    let same_order = before.rows.len() == after.rows.len()
        && before
            .rows
            .iter()
            .zip(&after.rows)
            .all(|(a, b)| a.id == b.id);
    if !same_order {
        position_ops(doc, after, &mut ops, stamp);
    }
    ops
}

/// Writes for the cells of `new` that differ from what the document holds (for a row the
/// document does not know, from empty cells).
fn cell_ops(
    held: Option<&RowDoc>,
    old: Option<&Row>,
    new: &Row,
    base: u64,
    ops: &mut Vec<Op>,
    stamp: &mut dyn FnMut() -> Stamp,
) {
    // What the document shows for this row (the edit's "before" when there is one).
    let current: Row = match (old, held) {
        (Some(old), _) => old.clone(),
        (None, Some(h)) => Row {
            id: new.id.clone(),
            item: h.item.value.clone(),
            category: h.category.value.clone(),
            priority: h.priority.value,
            owner: h.owner.value.clone(),
            status: h.status.value,
            notes: h.notes.text().to_owned(),
        },
        (None, None) => Row::blank(new.id.clone()),
    };
    for field in Field::ALL {
        let (was, now) = (current.text(field), new.text(field));
        if was == now {
            continue;
        }
        let op = match CellValue::of(new, field) {
            Some(value) => Op::Cell {
                row: new.id.clone(),
                value,
                stamp: stamp(),
            },
            None => Op::Notes {
                row: new.id.clone(),
                version: match held {
                    Some(h) => h.notes.write(now.to_owned(), stamp(), base),
                    None => crate::model::crdt::Version {
                        text: now.to_owned(),
                        stamp: stamp(),
                        seen: Vec::new(),
                        logged: 0,
                        base,
                    },
                },
            },
        };
        ops.push(op);
    }
}

/// Positions for the rows of `after` that are out of order in the document, keeping as
/// many rows where they are as possible (the longest run already in order stays). When a
/// key would grow past `REBALANCE_AT` (rows moved to one spot again and again), every row
/// gets a fresh, short position instead, so keys stay bounded whatever the moves.
fn position_ops(doc: &Doc, after: &Plan, ops: &mut Vec<Op>, stamp: &mut dyn FnMut() -> Stamp) {
    let mut moved = Vec::new();
    position_moves(doc, after, &mut moved);
    let long = |p: &Position| p.0.len() > REBALANCE_AT;
    let too_long = moved.iter().any(|(_, p)| long(p))
        || after
            .rows
            .iter()
            .filter_map(|r| doc.row(&r.id))
            .any(|d| long(&d.position.value));
    if too_long {
        moved = after
            .rows
            .iter()
            .zip(Position::spread(after.rows.len()))
            .filter(|(row, p)| doc.row(&row.id).is_none_or(|d| d.position.value != *p))
            .map(|(row, p)| (row.id.clone(), p))
            .collect();
    }
    for (row, position) in moved {
        ops.push(Op::Position {
            row,
            position,
            stamp: stamp(),
        });
    }
}

/// The rows of `after` to move, and where, keeping the longest run already in order.
fn position_moves(doc: &Doc, after: &Plan, moved: &mut Vec<(RowId, Position)>) {
    let held: Vec<Option<&Position>> = after
        .rows
        .iter()
        .map(|r| {
            doc.row(&r.id)
                .filter(|d| !d.position.stamp.is_zero())
                .map(|d| &d.position.value)
        })
        .collect();
    let keep = longest_increasing(&held);
    let mut prev: Option<Position> = None;
    for (i, row) in after.rows.iter().enumerate() {
        if keep[i] {
            prev = held[i].cloned();
            continue;
        }
        let next = (i + 1..after.rows.len())
            .find(|j| keep[*j])
            .and_then(|j| held[j]);
        let position = Position::between(prev.as_ref(), next);
        moved.push((row.id.clone(), position.clone()));
        prev = Some(position);
    }
}

/// Marks the longest strictly increasing subsequence of the known values (row positions
/// here; rows' places in a plan for the history's comparison of two versions).
pub fn longest_increasing<T: Ord>(values: &[Option<&T>]) -> Vec<bool> {
    // Patience sorting: `tails[k]` is the index ending the best run of length k + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut parent: Vec<Option<usize>> = vec![None; values.len()];
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else { continue };
        let k = tails.partition_point(|&t| values[t].is_some_and(|t| t < *v));
        parent[i] = k.checked_sub(1).map(|k| tails[k]);
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut keep = vec![false; values.len()];
    let mut at = tails.last().copied();
    while let Some(i) = at {
        keep[i] = true;
        at = parent[i];
    }
    keep
}

/// Whether an undo may write the register `op` writes: only when nobody else wrote it
/// since (`mine` is this replica), so undo takes back my edits and never someone else's.
pub fn mine_to_undo(doc: &Doc, op: &Op, mine: u32) -> bool {
    let held = doc.held_stamp(op);
    held.is_unedited() || held.replica == mine
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::crdt::Clock;
    use crate::model::{Edit, WireOp};

    fn plan() -> Plan {
        Plan::new(
            "P",
            vec![
                Row::with_item("a", "A"),
                Row::with_item("b", "B"),
                Row::with_item("c", "C"),
                Row::with_item("d", "D"),
            ],
        )
    }

    /// Applies `edit` to the plan and its ops to the document; checks both agree.
    fn edit(doc: &mut Doc, plan: &mut Plan, edit: Edit, clock: &mut Clock) -> Vec<Op> {
        let before = plan.clone();
        plan.apply(edit).unwrap();
        let mut now = 1000;
        let ops = ops_for_change(doc, &before, plan, None, 0, &mut || {
            now += 1;
            clock.tick(now)
        });
        for op in &ops {
            doc.apply(op);
        }
        assert_eq!(&doc.plan(), plan, "the document shows the edited plan");
        ops
    }

    #[test]
    fn moving_rows_to_one_spot_again_and_again_keeps_position_keys_short() {
        let mut p = plan();
        let mut doc = Doc::from_plan(&p);
        let mut clock = Clock::new(5);
        let mut longest = 0;
        for i in 0..3_000 {
            // Always the row just below the top, to the top: keys halve towards "0".
            let row = p.rows[1 + i % 2].id.clone();
            let ops = edit(&mut doc, &mut p, Edit::MoveRow { row, to: 0 }, &mut clock);
            for op in ops {
                assert!(
                    WireOp::from(op).checked().is_some(),
                    "the server takes every position"
                );
            }
            longest = longest.max(
                doc.rows
                    .values()
                    .map(|r| r.position.value.0.len())
                    .max()
                    .unwrap_or(0),
            );
        }
        assert!(longest <= REBALANCE_AT + 1, "a key of {longest} characters");
    }

    #[test]
    fn a_cell_edit_is_one_write() {
        let mut p = plan();
        let mut doc = Doc::from_plan(&p);
        let mut clock = Clock::new(5);
        let ops = edit(
            &mut doc,
            &mut p,
            Edit::SetField {
                row: "b".into(),
                field: Field::Owner,
                value: "Ana".into(),
            },
            &mut clock,
        );
        assert_eq!(ops.len(), 1);
        assert!(
            matches!(&ops[0], Op::Cell { value: CellValue::Owner(value), .. } if value == "Ana")
        );
    }

    #[test]
    fn a_move_rewrites_only_the_moved_row() {
        let mut p = plan();
        let mut doc = Doc::from_plan(&p);
        let mut clock = Clock::new(5);
        let ops = edit(
            &mut doc,
            &mut p,
            Edit::MoveRow {
                row: "d".into(),
                to: 0,
            },
            &mut clock,
        );
        assert_eq!(ops.len(), 1, "{ops:?}");
        assert!(matches!(&ops[0], Op::Position { row, .. } if row.as_str() == "d"));
    }

    #[test]
    fn insert_delete_and_undo_of_the_delete() {
        let mut p = plan();
        let mut doc = Doc::from_plan(&p);
        let mut clock = Clock::new(5);
        let ops = edit(
            &mut doc,
            &mut p,
            Edit::InsertRow {
                at: 2,
                row: Row {
                    owner: "Bo".into(),
                    notes: "n".into(),
                    ..Row::with_item("x", "X")
                },
            },
            &mut clock,
        );
        // Alive, item, owner, notes, position: empty cells are not written.
        assert_eq!(ops.len(), 5, "{ops:?}");
        let mut removed = p.clone();
        let inverse = removed
            .apply(Edit::DeleteRow { row: "b".into() })
            .unwrap()
            .unwrap();
        edit(
            &mut doc,
            &mut p,
            Edit::DeleteRow { row: "b".into() },
            &mut clock,
        );
        edit(&mut doc, &mut p, inverse, &mut clock);
        assert_eq!(p.rows[1].id.as_str(), "b");
    }

    #[test]
    fn replacing_the_plan_and_reordering_everything() {
        let mut p = plan();
        let mut doc = Doc::from_plan(&p);
        let mut clock = Clock::new(5);
        let mut rows = p.rows.clone();
        rows.reverse();
        rows[0].notes = "changed".into();
        rows.push(Row::with_item("e", "E"));
        edit(
            &mut doc,
            &mut p,
            Edit::Replace {
                title: "New".into(),
                rows,
            },
            &mut clock,
        );
        edit(
            &mut doc,
            &mut p,
            Edit::Replace {
                title: "Empty".into(),
                rows: vec![],
            },
            &mut clock,
        );
        assert_eq!(doc.live_count(), 0);
    }

    #[test]
    fn undo_leaves_what_someone_else_wrote_since() {
        let p = plan();
        let mut doc = Doc::from_plan(&p);
        let mine = Op::Cell {
            row: "a".into(),
            value: CellValue::Owner("me".into()),
            stamp: Stamp {
                wall: 10,
                count: 0,
                replica: 1,
            },
        };
        assert!(mine_to_undo(&doc, &mine, 1), "unedited");
        doc.apply(&mine);
        assert!(mine_to_undo(&doc, &mine, 1));
        doc.apply(&Op::Cell {
            row: "a".into(),
            value: CellValue::Owner("them".into()),
            stamp: Stamp {
                wall: 11,
                count: 0,
                replica: 2,
            },
        });
        assert!(!mine_to_undo(&doc, &mine, 1));
    }

    #[test]
    fn longest_run_in_order_is_kept() {
        let p = |s: &str| Position(s.into());
        let (a, b, c, d) = (p("1"), p("2"), p("3"), p("4"));
        let keep = longest_increasing(&[Some(&d), Some(&a), Some(&b), None, Some(&c)]);
        assert_eq!(keep, vec![false, true, true, false, true]);
    }
}
