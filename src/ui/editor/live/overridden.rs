//! Telling someone that changes of theirs lost when they reached the server (they were
//! offline while someone else wrote the same cell later, or deleted the row): which, what
//! shows instead, by whom, and a way to the cell's edit history. Never just "Synced".

use super::*;
use crate::model::{CellRef, Overridden};
use std::collections::HashMap;

/// Changes named one by one in the message; the rest are counted.
const NAMED: usize = 3;

/// The message for `lost`: `row` gives a row's place (1-based, `None` when deleted) and
/// item; `who` a writer's name.
pub fn overridden_text(
    lost: &[Overridden],
    row: impl Fn(&RowId) -> (Option<usize>, String),
    who: impl Fn(u32) -> String,
) -> String {
    let what = if lost.len() == 1 {
        "1 of your changes was overridden".to_owned()
    } else {
        format!("{} of your changes were overridden", lost.len())
    };
    let parts: Vec<String> = lost
        .iter()
        .take(NAMED)
        .map(|o| {
            let column = o.field.map_or("Title", Field::header);
            let place = match &o.row {
                None => String::new(),
                Some(id) => match row(id) {
                    (Some(n), item) => format!("row {n} “{item}” "),
                    (None, item) => format!("“{item}” "),
                },
            };
            if o.row_deleted {
                format!(
                    "{place}{column} → “{}”: the row was deleted by {}",
                    o.mine,
                    who(o.by)
                )
            } else {
                format!(
                    "{place}{column} → “{}”: now “{}”, by {}",
                    o.mine,
                    o.now,
                    who(o.by)
                )
            }
        })
        .collect();
    let more = lost.len().saturating_sub(NAMED);
    let more = match more {
        0 => String::new(),
        1 => "; and 1 more".to_owned(),
        n => format!("; and {n} more"),
    };
    format!(
        "{what} by newer ones made meanwhile: {}{more}.",
        parts.join("; ")
    )
}

impl LiveSync {
    /// Tells the person which of their changes lost (names of writers who are here now at
    /// once; the others from the plan's history).
    pub(super) fn report_overridden(&self, ctx: PlanContext, lost: Vec<Overridden>) {
        let names: HashMap<u32, String> = self
            .peers
            .get_untracked()
            .into_iter()
            .filter(|p| !p.name.trim().is_empty())
            .map(|p| (p.replica, p.name))
            .collect();
        show(ctx, &lost, &names);
        let missing: Vec<Overridden> = lost
            .iter()
            .filter(|o| !names.contains_key(&o.by))
            .take(NAMED)
            .cloned()
            .collect();
        let active = ctx.active();
        let access =
            ctx.with_session(|s| s.live(&active).map(|l| (l.share.clone(), l.token.clone())));
        let (Some((share, token)), false) = (access, missing.is_empty()) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let mut names = names;
            for o in &missing {
                let Some(row) = &o.row else { continue };
                let field = if o.row_deleted {
                    "alive"
                } else {
                    o.field.map_or("title", Field::key)
                };
                let query = format!("row={}&field={field}&limit=1", row.as_str());
                if let Ok(page) = crate::browser::share_api::history(&share, &token, &query).await {
                    if let Some(e) = page.entries.first().filter(|e| e.replica == o.by) {
                        if !e.name.trim().is_empty() {
                            names.insert(o.by, e.name.clone());
                        }
                    }
                }
            }
            // Only while the message is still the one shown.
            let first = lost.first().and_then(cell_of);
            if ctx
                .notice
                .with_untracked(|n| n.as_ref().is_some_and(|n| n.cell == first))
            {
                show(ctx, &lost, &names);
            }
        });
    }
}

fn cell_of(o: &Overridden) -> Option<CellRef> {
    Some(CellRef {
        row: o.row.clone()?,
        field: o.field?,
    })
}

fn show(ctx: PlanContext, lost: &[Overridden], names: &HashMap<u32, String>) {
    let active = ctx.active();
    let text = ctx.with_session(|s| {
        let live = s.live(&active);
        let doc = live.map(|l| l.sync.view());
        let plan = s.plan(&active);
        Some(overridden_text(
            lost,
            |id| {
                let place = plan.and_then(|p| p.rows.iter().position(|r| &r.id == id));
                let item = doc
                    .as_ref()
                    .and_then(|d| d.rows.get(id))
                    .map(|r| r.item.value.clone())
                    .unwrap_or_default();
                (place.map(|n| n + 1), item)
            },
            |replica| {
                names
                    .get(&replica)
                    .cloned()
                    .unwrap_or_else(|| format!("Guest {}", replica % 10_000))
            },
        ))
    });
    let Some(text) = text else { return };
    ctx.notice.set(Some(Notice {
        text,
        backup: None,
        cell: lost.first().and_then(cell_of),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_says_which_change_lost_to_what_and_whose() {
        let lost = vec![
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
                field: Some(Field::Owner),
                mine: "Ana".into(),
                now: String::new(),
                by: 12_345,
                row_deleted: true,
            },
        ];
        let text = overridden_text(
            &lost,
            |id| match id.as_str() {
                "a" => (Some(3), "Retry policy".into()),
                _ => (None, "Backoff".into()),
            },
            |r| {
                if r == 2 {
                    "Olga".into()
                } else {
                    format!("Guest {}", r % 10_000)
                }
            },
        );
        assert_eq!(
            text,
            "2 of your changes were overridden by newer ones made meanwhile: row 3 “Retry \
             policy” Status → “Blocked”: now “Done”, by Olga; “Backoff” Owner → “Ana”: the row \
             was deleted by Guest 2345."
        );
    }
}
