//! "Since you last looked": someone opens a plan edited together that others changed since
//! this browser last saw it. The cells they changed are marked, and a bar says how many
//! changes by whom since when, with Previous / Next to go through them, until dismissed.
//! Part of the dialogs chunk (`cell_history::LazyDialogs` loads it for a returning visit).

use super::history_view::{access, when, writers};
use crate::model::{CellRef, Cursor, Field, PlanId, RowId};
use crate::shared::api::HistoryEntry;
use crate::ui::editor::grid::{cell_element, use_grid};
use crate::ui::editor::state::use_plan;
use leptos::prelude::*;

/// Changes asked for at most (a longer absence says "500 or more").
const MOST: usize = 500;

/// What changed: the cells (in plan order), the rows added or deleted, who, and since when.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    pub cells: Vec<CellRef>,
    pub changes: usize,
    pub rows_added: usize,
    pub rows_deleted: usize,
    pub people: Vec<String>,
    pub first_at: Option<i64>,
    pub more: bool,
}

/// Reads a history page (newest first) of what others wrote: `mine` is this page's replica.
pub fn changes_of(entries: &[HistoryEntry], mine: u32, more: bool) -> Changes {
    let theirs: Vec<HistoryEntry> = entries
        .iter()
        .filter(|e| e.replica != mine && e.field != "position")
        .cloned()
        .collect();
    let names = writers(&theirs);
    let mut people: Vec<String> = Vec::new();
    for name in names {
        if !people.contains(&name) {
            people.push(name);
        }
    }
    let mut cells: Vec<CellRef> = Vec::new();
    let (mut added, mut deleted) = (0, 0);
    for e in &theirs {
        match e.field.as_str() {
            "alive" if e.value == "1" => added += 1,
            "alive" => deleted += 1,
            field => {
                let Some(field) = Field::ALL.into_iter().find(|f| f.key() == field) else {
                    continue;
                };
                let cell = CellRef {
                    row: RowId::from(e.row.as_str()),
                    field,
                };
                if !cells.contains(&cell) {
                    cells.push(cell);
                }
            }
        }
    }
    Changes {
        changes: theirs.len(),
        rows_added: added,
        rows_deleted: deleted,
        first_at: theirs.last().map(|e| e.at),
        people,
        cells,
        more,
    }
}

/// "7 changes by Ana and Bo since you were last here (the first today 09:12)".
pub fn summary(c: &Changes, first: &str) -> String {
    let count = match (c.changes, c.more) {
        (n, true) => format!("{n} or more changes"),
        (1, false) => "1 change".to_owned(),
        (n, false) => format!("{n} changes"),
    };
    let people = match c.people.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] if rest.len() < 3 => format!("{} and {last}", rest.join(", ")),
        list => format!("{} people", list.len()),
    };
    let mut rows = Vec::new();
    if c.rows_added > 0 {
        rows.push(format!("{} added", plural(c.rows_added, "row")));
    }
    if c.rows_deleted > 0 {
        rows.push(format!("{} deleted", plural(c.rows_deleted, "row")));
    }
    let rows = if rows.is_empty() {
        String::new()
    } else {
        format!("; {}", rows.join(", "))
    };
    format!("{count} by {people} since you were last here (the first {first}){rows}.")
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

#[component]
pub fn SinceSeen(since: RwSignal<Option<(PlanId, u64)>>) -> impl IntoView {
    let ctx = use_plan();
    let grid = use_grid();
    let changes = RwSignal::new(None::<Changes>);
    // The change last gone to (none yet).
    let at = RwSignal::new(None::<usize>);
    // Asked once per plan: what others wrote after the sequence this browser had seen.
    Effect::new(move |_| {
        let Some((plan, seq)) = since.get() else {
            return;
        };
        let Some((share, token)) = access(ctx) else {
            return;
        };
        let mine = ctx.with_session(|s| s.replica());
        leptos::task::spawn_local(async move {
            let query = format!("after={seq}&limit={MOST}");
            // A failure leaves the plan as it is: this is a courtesy, not the plan.
            if let Ok(page) = crate::browser::share_api::history(&share, &token, &query).await {
                let found = changes_of(&page.entries, mine, page.next.is_some());
                if found.changes > 0 && ctx.active() == plan {
                    changes.set(Some(found));
                }
            }
        });
    });
    // The marks, on the cells' elements (set again when rows are drawn again).
    let mark = move |on: bool| {
        let cells = changes.with_untracked(|c| c.as_ref().map(|c| c.cells.clone()));
        for cell in cells.unwrap_or_default() {
            if let Some(td) = cell_element(&cell) {
                let _ = if on {
                    td.set_attribute("data-changed", "")
                } else {
                    td.remove_attribute("data-changed")
                };
            }
        }
    };
    Effect::new(move |_| {
        ctx.edited.track();
        ctx.stored.track();
        ctx.fully_rendered.track();
        if changes.with(Option::is_some) {
            set_timeout(move || mark(true), std::time::Duration::ZERO);
        }
    });
    let dismiss = move || {
        mark(false);
        changes.set(None);
    };
    // Plan order, so Next goes down the table.
    let ordered = move || {
        let mut cells = changes.with(|c| c.as_ref().map(|c| c.cells.clone()).unwrap_or_default());
        cells.retain(|c| ctx.position(&c.row).is_some());
        cells.sort_by_key(|c| {
            (
                ctx.position(&c.row),
                Field::ALL.iter().position(|f| *f == c.field),
            )
        });
        cells
    };
    let go = move |step: isize| {
        let cells = ordered();
        if cells.is_empty() {
            return;
        }
        let n = cells.len() as isize;
        let next = match at.get_untracked() {
            Some(i) => (i as isize + step).rem_euclid(n) as usize,
            None if step > 0 => 0,
            None => cells.len() - 1,
        };
        at.set(Some(next));
        let cell = cells[next].clone();
        let row = ctx.position(&cell.row).map_or(0, |i| i + 1);
        ctx.announce(format!(
            "Change {} of {}: {}, row {row}.",
            next + 1,
            n,
            cell.field.header()
        ));
        grid.set_cursor(Cursor::at(cell), true);
    };
    move || {
        changes.get().map(|c| {
            let first = c.first_at.map(when).unwrap_or_default();
            let text = summary(&c, &first);
            let shown = !c.cells.is_empty();
            view! {
                <div class="since-seen" role="region" aria-label="Changes since you were last here">
                    <p role="status">{text}</p>
                    {shown.then(|| view! {
                        <button type="button" class="button" on:click=move |_| go(-1)>"Previous"</button>
                        <button type="button" class="button" on:click=move |_| go(1)>"Next"</button>
                    })}
                    <button type="button" class="button" on:click=move |_| dismiss()>"Dismiss"</button>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        seq: u64,
        row: &str,
        field: &str,
        value: &str,
        replica: u32,
        name: &str,
    ) -> HistoryEntry {
        crate::ui::widgets::history_view::entry(
            (seq, seq as i64 * 1000),
            (row, field),
            value,
            (replica, name),
        )
    }

    #[test]
    fn what_others_changed_is_counted_by_cell_row_and_person() {
        // Newest first, as the history answers.
        let page = [
            entry(9, "r2", "status", "Done", 2, "Bo"),
            entry(8, "r9", "alive", "0", 3, "Ana"),
            entry(7, "r3", "owner", "me", 1, "Me"),
            entry(6, "r2", "status", "Blocked", 2, "Bo"),
            entry(5, "r4", "alive", "1", 3, "Ana"),
            entry(5, "r4", "position", "", 3, "Ana"),
            entry(4, "r4", "item", "New", 3, "Ana"),
        ];
        let c = changes_of(&page, 1, false);
        assert_eq!(c.changes, 5, "my own write and a move are not news");
        assert_eq!((c.rows_added, c.rows_deleted), (1, 1));
        assert_eq!(c.people, ["Bo", "Ana"]);
        assert_eq!(
            c.cells.len(),
            2,
            "one mark per cell however often it changed"
        );
        assert_eq!(c.first_at, Some(4000));
        assert_eq!(
            summary(&c, "today 09:12"),
            "5 changes by Bo and Ana since you were last here (the first today 09:12); \
             1 row added, 1 row deleted."
        );
        assert_eq!(changes_of(&page[2..3], 1, false).changes, 0);
        let many = changes_of(&page, 1, true);
        assert!(summary(&many, "x").starts_with("5 or more changes"));
    }
}
