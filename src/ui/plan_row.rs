use super::grid::GridContext;
use super::plan_context::{use_plan, PlanContext, RowCells};
use crate::browser::dom;
use crate::model::{CellRef, Edit, Field, RowId};
use crate::template;
use leptos::prelude::*;

/// One row of the plan: text cells (the grid edits them through its one editor), the
/// platform hints and the offer to update earlier template advice.
#[component]
pub fn PlanRow(index: Signal<usize>, cells: RowCells) -> impl IntoView {
    let ctx = use_plan();
    let id = cells.id.clone();
    let number = move || index.get() + 1;
    let item = RwSignal::from(cells.item);
    let category = RwSignal::from(cells.category);
    let priority = RwSignal::from(cells.priority);
    let owner = RwSignal::from(cells.owner);
    let status = RwSignal::from(cells.status);
    let notes = RwSignal::from(cells.notes);
    let marks = RwSignal::from(cells.marks);
    let hidden = {
        let id = id.clone();
        Memo::new(move |_| ctx.view.with(|v| v.hidden.contains(&id)))
    };
    let hints = Memo::new(move |_| {
        item.with(|i| notes.with(|n| template::hints_for(&[i.as_str(), n.as_str()])))
    });
    let active = move || marks.with(|m| m.active.map(Field::key));
    let selected = move || marks.with(|m| m.selected_keys());
    let read_only = ctx.read_only;
    view! {
        <tr
            role="row"
            data-row-id=id.to_string()
            hidden=move || hidden.get()
            data-active=active
            data-sel=selected
            aria-rowindex=move || (index.get() + 2).to_string()
        >
            <th role="rowheader" scope="row" class="col-num" data-label="#">{number}</th>
            <td role="gridcell" class="col-item" data-col="item" data-label="Item" tabindex="-1">
                <span class="cell-text">{move || item.get()}</span>
                <RowHints hints/>
                {(!read_only).then(|| view! { <AdviceOffer row=id.clone() item notes category/> })}
            </td>
            <td role="gridcell" class="col-category" data-col="category" data-label="Category" tabindex="-1">
                <span class="cell-text">{move || category.get()}</span>
                <FaqLink category/>
            </td>
            <td role="gridcell" class="col-priority" data-col="priority" data-label="Priority" tabindex="-1">
                <span class=move || format!("pill priority-{}", priority.get().as_str().to_lowercase())>
                    {move || priority.get().as_str()}
                </span>
            </td>
            <td role="gridcell" class="col-owner" data-col="owner" data-label="Owner" tabindex="-1">
                <span class="cell-text">{move || owner.get()}</span>
            </td>
            <td role="gridcell" class="col-status" data-col="status" data-label="Status" tabindex="-1">
                <span class=move || format!("pill status-{}", status.get().slug())>
                    {move || status.get().as_str()}
                </span>
            </td>
            <td role="gridcell" class="col-notes" data-col="notes" data-label="Notes" tabindex="-1">
                <span class="cell-text notes-text">{move || notes.get()}</span>
            </td>
        </tr>
    }
}

/// Platform-constraint warnings for a row, each linking to the FAQ answer behind it.
#[component]
fn RowHints(hints: Memo<Vec<template::Hint>>) -> impl IntoView {
    move || {
        hints.with(|hints| {
            (!hints.is_empty()).then(|| {
                let items = hints
                    .iter()
                    .map(|h| {
                        let faq = h.faq;
                        view! {
                            <li>
                                {h.text()} " "
                                <a
                                    href=format!("#{faq}-answer")
                                    on:click=move |ev| {
                                        ev.prevent_default();
                                        dom::open_faq(faq);
                                    }
                                >
                                    "Why?"
                                </a>
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <ul class="row-hints" aria-label="Platform limits">
                        {items}
                    </ul>
                }
            })
        })
    }
}

/// "Update this row to the current advice", for a row that still holds earlier template
/// advice word for word. Never applied by itself: the user chooses, and can undo.
#[component]
fn AdviceOffer(
    row: RowId,
    item: RwSignal<String>,
    notes: RwSignal<String>,
    category: RwSignal<String>,
) -> impl IntoView {
    let ctx = use_plan();
    let update = {
        let row = row.clone();
        Memo::new(move |_| {
            let probe = crate::model::Row {
                item: item.get(),
                notes: notes.get(),
                category: category.get(),
                ..crate::model::Row::blank(row.clone())
            };
            template::updated_advice(&probe)
        })
    };
    let apply = move |_| {
        let Some(advice) = update.get_untracked() else {
            return;
        };
        let mut edits = vec![
            Edit::SetField {
                row: row.clone(),
                field: Field::Item,
                value: advice.item.to_owned(),
            },
            Edit::SetField {
                row: row.clone(),
                field: Field::Notes,
                value: advice.notes.to_owned(),
            },
        ];
        if let Some(category) = advice.category {
            edits.push(Edit::SetField {
                row: row.clone(),
                field: Field::Category,
                value: category.to_owned(),
            });
        }
        if ctx.edit(Edit::Batch(edits)) {
            ctx.announce("The row now holds the current advice. Press Control+Z to undo.".into());
        }
    };
    move || {
        update.with(|u| u.is_some()).then(|| {
            view! {
                <p class="advice-offer">
                    "This row holds earlier advice from the template. "
                    <button type="button" class="link-button" on:click=apply.clone()>
                        "Update this row to the current advice"
                    </button>
                </p>
            }
        })
    }
}

/// The "?" beside a category: jumps to the FAQ answer that helps with it.
#[component]
fn FaqLink(category: RwSignal<String>) -> impl IntoView {
    let target = move || category.with(|c| template::category(c).map(|c| c.faq));
    let href = move || match target() {
        Some(id) => format!("#{id}-answer"),
        None => "#faq".into(),
    };
    let label = move || {
        category.with(|c| match template::category(c) {
            Some(c) => format!("Guidance on {} in the FAQ", c.name.to_lowercase()),
            None => "Open the FAQ".into(),
        })
    };
    let shown = move || category.with(|c| !c.trim().is_empty());
    move || {
        shown().then(|| {
            view! {
                <a
                    class="faq-link"
                    href=href
                    aria-label=label
                    title=label
                    on:click=move |ev| {
                        ev.prevent_default();
                        dom::open_faq(target().unwrap_or("faq-background-days"));
                    }
                >
                    <span aria-hidden="true">"?"</span>
                </a>
            }
        })
    }
}

/// The row shortcuts on a cell: move the row, insert below, delete.
pub fn on_row_key(ctx: PlanContext, grid: GridContext, ev: &web_sys::KeyboardEvent) {
    let command = ev.ctrl_key() || ev.meta_key();
    let Some(active) = grid.cursor.with_untracked(|c| c.active.clone()) else {
        return;
    };
    match ev.key().as_str() {
        "ArrowUp" | "ArrowDown" if ev.alt_key() && !command => {
            ev.prevent_default();
            let delta = if ev.key() == "ArrowUp" { -1 } else { 1 };
            if ctx.move_row(&active.row, delta) {
                // After the table has moved the row (moving it takes the focus away).
                set_timeout(
                    move || grid.set_cursor(crate::model::Cursor::at(active), true),
                    std::time::Duration::ZERO,
                );
            }
        }
        "Enter" if command && !ev.alt_key() => {
            ev.prevent_default();
            insert_below(ctx, grid, &active.row);
        }
        "Backspace" | "Delete" if command && ev.shift_key() => {
            ev.prevent_default();
            delete_row(ctx, grid, &active);
        }
        _ => {}
    }
}

/// Inserts an empty row below `row` and puts the cursor on its Item.
pub fn insert_below(ctx: PlanContext, grid: GridContext, row: &RowId) {
    if let Some(at) = ctx.position(row) {
        if let Some(new_id) = ctx.insert_row(at + 1) {
            focus_new_row(grid, new_id);
        }
    }
}

/// Puts the cursor on a new row's Item once the row is on the page.
pub fn focus_new_row(grid: GridContext, row: RowId) {
    set_timeout(
        move || {
            grid.set_cursor(
                crate::model::Cursor::at(CellRef {
                    row,
                    field: Field::Item,
                }),
                true,
            );
        },
        std::time::Duration::ZERO,
    );
}

/// Deletes the active row; the cursor goes to the row that takes its place (or the one
/// above, at the end).
pub fn delete_row(ctx: PlanContext, grid: GridContext, active: &CellRef) {
    let at = ctx.shown_ids().iter().position(|r| r == &active.row);
    ctx.delete_row(&active.row);
    let shown = ctx.shown_ids();
    let next = match shown.get(at.unwrap_or(0).min(shown.len().saturating_sub(1))) {
        Some(row) => crate::model::Cursor::at(CellRef {
            row: row.clone(),
            field: active.field,
        }),
        None => crate::model::Cursor::default(),
    };
    set_timeout(
        move || grid.set_cursor(next, true),
        std::time::Duration::ZERO,
    );
}
