//! Taking back one session's changes (someone's Reset to template, Replace or mass delete)
//! while keeping what others changed since: a three-way comparison of the plan just before
//! the session, just after it, and now.

use crate::model::{Field, Plan, Row, RowId};
use std::collections::HashSet;

/// What taking a session back does.
#[derive(Debug, PartialEq, Eq)]
pub struct Reverted {
    /// The plan now with the session's changes taken back.
    pub plan: Plan,
    /// Cells and titles set back, rows brought back and rows taken out.
    pub undone: usize,
    /// Changes of the session left as they are because someone changed them again since.
    pub kept: usize,
}

fn copy_field(to: &mut Row, from: &Row, field: Field) {
    match field {
        Field::Item => to.item = from.item.clone(),
        Field::Category => to.category = from.category.clone(),
        Field::Priority => to.priority = from.priority,
        Field::Owner => to.owner = from.owner.clone(),
        Field::Status => to.status = from.status,
        Field::Notes => to.notes = from.notes.clone(),
    }
}

/// `now` with what changed from `before` to `after` taken back, wherever nobody changed it
/// again since: cells and the title go back to their value before; rows the session
/// deleted come back where they were; rows it added go, unless someone edited them since.
/// Row moves stay as they are.
pub fn revert(now: &Plan, before: &Plan, after: &Plan) -> Reverted {
    let mut undone = 0;
    let mut kept = 0;
    let mut plan = now.clone();
    if before.title != after.title {
        if now.title == after.title {
            plan.title = before.title.clone();
            undone += 1;
        } else {
            kept += 1;
        }
    }
    // Cells of rows that lived through the session.
    for row in &mut plan.rows {
        let (Some(was), Some(became)) = (before.row(&row.id), after.row(&row.id)) else {
            continue;
        };
        for field in Field::ALL {
            if was.text(field) == became.text(field) {
                continue;
            }
            if row.text(field) == became.text(field) {
                copy_field(row, was, field);
                undone += 1;
            } else {
                kept += 1;
            }
        }
    }
    // Rows the session added: out, unless edited since.
    let added: HashSet<&RowId> = after
        .rows
        .iter()
        .filter(|r| before.row(&r.id).is_none())
        .map(|r| &r.id)
        .collect();
    plan.rows.retain(|r| {
        if !added.contains(&r.id) {
            return true;
        }
        if after.row(&r.id) == Some(r) {
            undone += 1;
            false
        } else {
            kept += 1;
            true
        }
    });
    // Rows the session deleted: back after the row that came before them then.
    for (i, row) in before.rows.iter().enumerate() {
        if after.row(&row.id).is_some() || now.row(&row.id).is_some() {
            continue;
        }
        let at = before.rows[..i]
            .iter()
            .rev()
            .find_map(|p| plan.position(&p.id).map(|at| at + 1))
            .unwrap_or(0);
        plan.rows.insert(at, row.clone());
        undone += 1;
    }
    Reverted { plan, undone, kept }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    #[test]
    fn a_session_is_taken_back_and_what_others_changed_since_stays() {
        let before = Plan::new(
            "Plan",
            vec![
                Row::with_item("a", "A"),
                Row::with_item("b", "B"),
                Row::with_item("c", "C"),
            ],
        );
        // Bo's session: renamed the plan, set a and b Done, deleted c, added x and y.
        let mut a = Row::with_item("a", "A");
        a.status = Status::Done;
        let mut b = Row::with_item("b", "B");
        b.status = Status::Done;
        let after = Plan::new(
            "Bo's plan",
            vec![
                a.clone(),
                b.clone(),
                Row::with_item("x", "X"),
                Row::with_item("y", "Y"),
            ],
        );
        // Since: Olga set b Blocked and edited y.
        let mut b_now = b.clone();
        b_now.status = Status::Blocked;
        let now = Plan::new(
            "Bo's plan",
            vec![
                a,
                b_now,
                Row::with_item("x", "X"),
                Row::with_item("y", "Y, kept by Olga"),
            ],
        );
        let r = revert(&now, &before, &after);
        let items: Vec<(&str, Status)> = r
            .plan
            .rows
            .iter()
            .map(|r| (r.item.as_str(), r.status))
            .collect();
        assert_eq!(
            items,
            [
                ("A", Status::NotStarted),
                ("B", Status::Blocked),
                ("C", Status::NotStarted),
                ("Y, kept by Olga", Status::NotStarted),
            ]
        );
        assert_eq!(r.plan.title, "Plan");
        // Title, a's status, c back, x out; b's status and y kept.
        assert_eq!((r.undone, r.kept), (4, 2));
        // Taking it back twice changes nothing more.
        let again = revert(&r.plan, &before, &after);
        assert_eq!(again.plan, r.plan);
    }
}
