//! An earlier version of the plan, read-only, with what differs from now marked, and
//! "Restore this version": the edits that turn the plan as it is into the plan as it was,
//! made like any edit (synced, and one Ctrl+Z takes them all back).

use super::name_field::NameField;
use crate::model::crdt::edits::longest_increasing;
use crate::model::{Field, Plan, Row, RowId};
use crate::shared::api::PlanVersion;
use crate::ui::editor::state::use_plan;
use crate::ui::widgets::history_view::when;
use leptos::prelude::*;
use std::collections::{HashMap, HashSet};

/// The columns a preview shows (Notes are compared, and counted, but not shown).
const SHOWN: [Field; 5] = [
    Field::Item,
    Field::Category,
    Field::Priority,
    Field::Owner,
    Field::Status,
];

/// How an earlier plan differs from the plan now.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Cells of rows in both that differ, with the value now.
    pub changed: HashMap<(RowId, Field), String>,
    /// Rows then that are deleted now.
    pub gone: HashSet<RowId>,
    /// Rows now that were not there then (a restore takes them out).
    pub added: Vec<String>,
    pub title_changed: bool,
    /// Rows in both whose place differs.
    pub moved: usize,
}

impl Comparison {
    pub fn is_same(&self) -> bool {
        self.changed.is_empty()
            && self.gone.is_empty()
            && self.added.is_empty()
            && !self.title_changed
            && self.moved == 0
    }

    /// "3 cells differ, 1 row deleted since, 2 rows added since", or that nothing does.
    pub fn summary(&self) -> String {
        if self.is_same() {
            return "This is the plan as it is now.".into();
        }
        let count = |n: usize, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        let mut parts = Vec::new();
        if self.title_changed {
            parts.push("the title differs".to_owned());
        }
        if !self.changed.is_empty() {
            parts.push(count(self.changed.len(), "cell differs", "cells differ"));
        }
        if !self.gone.is_empty() {
            parts.push(format!(
                "{} since",
                count(self.gone.len(), "row was deleted", "rows were deleted")
            ));
        }
        if !self.added.is_empty() {
            parts.push(format!(
                "{} since",
                count(self.added.len(), "row was added", "rows were added")
            ));
        }
        if self.moved > 0 {
            parts.push(count(self.moved, "row is elsewhere", "rows are elsewhere"));
        }
        format!("Compared with now: {}.", parts.join(", "))
    }
}

/// How `then` differs from `now`.
pub fn compare(then: &Plan, now: &Plan) -> Comparison {
    let now_rows: HashMap<&RowId, (usize, &Row)> = now
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.id, (i, r)))
        .collect();
    let then_ids: HashSet<&RowId> = then.rows.iter().map(|r| &r.id).collect();
    let mut comparison = Comparison {
        title_changed: then.title != now.title,
        ..Comparison::default()
    };
    // Rows in both, in then's order: those out of the longest run in now's order moved.
    let mut kept = Vec::new();
    for row in &then.rows {
        match now_rows.get(&row.id) {
            None => {
                comparison.gone.insert(row.id.clone());
            }
            Some((at, current)) => {
                kept.push(*at);
                for field in Field::ALL {
                    if row.text(field) != current.text(field) {
                        comparison
                            .changed
                            .insert((row.id.clone(), field), current.text(field).to_owned());
                    }
                }
            }
        }
    }
    let known: Vec<Option<&usize>> = kept.iter().map(Some).collect();
    let in_order = longest_increasing(&known)
        .into_iter()
        .filter(|k| *k)
        .count();
    comparison.moved = kept.len() - in_order;
    comparison.added = now
        .rows
        .iter()
        .filter(|r| !then_ids.contains(&r.id))
        .map(|r| r.item.clone())
        .collect();
    comparison
}

/// What a version is called: its name, or when it was.
pub fn called(version: &PlanVersion) -> String {
    let at = version.at.map(when);
    match (&version.name, at) {
        (Some(name), Some(at)) => format!("“{name}” ({at})"),
        (Some(name), None) => format!("“{name}”"),
        (None, Some(at)) => format!("the plan as it was {at}"),
        (None, None) => "the plan as it was when editing together was turned on".into(),
    }
}

#[component]
pub fn VersionPreview(
    version: PlanVersion,
    /// Back to the list.
    back: Callback<()>,
    /// After a restore: the dialog closes.
    done: Callback<()>,
    /// Names this version: its point, the name typed, where a refusal is told.
    name: Callback<(u64, RwSignal<String>, RwSignal<Option<String>>)>,
) -> impl IntoView {
    let ctx = use_plan();
    let title = called(&version);
    let seq = version.seq;
    let named_as = version.name.clone();
    let name_text = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<String>);
    let name_it = move || name.run((seq, name_text, name_error));
    let then = version.plan;
    let comparison = Memo::new({
        let then = then.clone();
        move |_| compare(&then, &ctx.snapshot())
    });
    let restore = {
        let then = then.clone();
        let title = title.clone();
        move |_| {
            let restored = ctx.replace_rows(Some(then.title.clone()), then.rows.clone());
            if restored {
                ctx.announce(format!(
                    "Restored {title}. Everyone editing sees it; press Control+Z to undo."
                ));
                done.run(());
            } else {
                ctx.announce("The plan already is as it was then.".into());
            }
        }
    };
    let rows = then
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let id = row.id.clone();
            let gone = Signal::derive(move || comparison.with(|c| c.gone.contains(&id)));
            let cells = SHOWN
                .iter()
                .map(|&field| {
                    let key = (row.id.clone(), field);
                    let now =
                        Signal::derive(move || comparison.with(|c| c.changed.get(&key).cloned()));
                    let text = row.text(field).to_owned();
                    view! {
                        <td
                            class:version-changed=move || now.get().is_some()
                        >
                            {text}
                            {move || now.get().map(|n| view! {
                                <span class="version-now">{format!("now: {n}")}</span>
                            })}
                        </td>
                    }
                })
                .collect_view();
            view! {
                <tr class:version-gone=gone>
                    <td>
                        {i + 1}
                        {move || gone.get().then(|| view! {
                            <span class="version-tag">"deleted since"</span>
                        })}
                    </td>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="version-preview" aria-labelledby="version-preview-title">
            <h3 id="version-preview-title">{format!("Preview: {title}")}</h3>
            <p role="status">{move || comparison.with(Comparison::summary)}</p>
            {move || comparison.with(|c| (!c.added.is_empty()).then(|| {
                let names = c
                    .added
                    .iter()
                    .map(|n| format!("“{n}”"))
                    .collect::<Vec<_>>()
                    .join(", ");
                view! { <p class="hint">{format!("Restoring takes out the rows added since: {names}.")}</p> }
            }))}
            <p class="version-title"><strong>"Title: "</strong>{then.title.clone()}</p>
            <div class="version-table">
                <table>
                    <caption class="sr-only">{format!("The plan: {title}")}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"#"</th>
                            {SHOWN.iter().map(|f| view! { <th scope="col">{f.header()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {match named_as {
                Some(named) => view! {
                    <p class="hint">{format!("This version is named “{named}”: it is kept however old it gets.")}</p>
                }.into_any(),
                None => view! {
                    <NameField
                        id="preview-version-name"
                        label="Name this version"
                        button="Name it"
                        text=name_text
                        error=name_error
                        name=Callback::new(move |_| name_it())
                    />
                }.into_any(),
            }}
            <p class="dialog-actions">
                <button type="button" class="button" on:click=move |_| back.run(())>
                    "Back to the list"
                </button>
                <button
                    type="button"
                    class="button primary"
                    disabled=move || comparison.with(Comparison::is_same)
                    on:click=restore
                >
                    "Restore this version"
                </button>
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comparison_names_cells_rows_and_moves() {
        let then = Plan::new(
            "Sync plan",
            vec![
                Row::with_item("a", "Retry"),
                Row::with_item("b", "Backoff"),
                Row::with_item("c", "Gone"),
            ],
        );
        let mut b = Row::with_item("b", "Backoff");
        b.status = crate::model::Status::Done;
        let now = Plan::new(
            "Sync plan v2",
            vec![
                b,
                Row::with_item("a", "Retry later"),
                Row::with_item("d", "New"),
            ],
        );
        let c = compare(&then, &now);
        assert!(c.title_changed);
        assert_eq!(
            c.changed
                .get(&(RowId::from("a"), Field::Item))
                .map(String::as_str),
            Some("Retry later")
        );
        assert_eq!(
            c.changed
                .get(&(RowId::from("b"), Field::Status))
                .map(String::as_str),
            Some("Done")
        );
        assert_eq!(c.changed.len(), 2);
        assert_eq!(c.gone, HashSet::from([RowId::from("c")]));
        assert_eq!(c.added, ["New"]);
        assert_eq!(c.moved, 1);
        assert_eq!(
            c.summary(),
            "Compared with now: the title differs, 2 cells differ, 1 row was deleted since, \
             1 row was added since, 1 row is elsewhere."
        );
        assert!(compare(&now, &now).is_same());
        assert_eq!(
            compare(&now, &now).summary(),
            "This is the plan as it is now."
        );
    }
}
