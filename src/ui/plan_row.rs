use super::plan_context::{use_plan, PlanContext, RowCells};
use crate::browser::dom;
use crate::model::{max_chars, Edit, Field, Priority, RowId, Status};
use crate::template;
use leptos::either::Either;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// One row of the plan table.
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
    let status_class = move || format!("status-{}", status.get().slug());
    let hidden = {
        let id = id.clone();
        Memo::new(move |_| ctx.view.with(|v| v.hidden.contains(&id)))
    };
    let hints = Memo::new(move |_| {
        item.with(|i| notes.with(|n| template::hints_for(&[i.as_str(), n.as_str()])))
    });

    if ctx.read_only {
        return Either::Left(view! {
            <tr data-row-id=id.to_string() hidden=move || hidden.get()>
                <td class="col-num" data-label="#">{number}</td>
                <td class="col-item" data-label="Item">{move || item.get()}<RowHints hints/></td>
                <td class="col-category" data-label="Category">
                    {move || item_category(category.get())}
                </td>
                <td class="col-priority" data-label="Priority">
                    <span class=move || format!("pill priority-{}", priority.get().as_str().to_lowercase())>
                        {move || priority.get().as_str()}
                    </span>
                </td>
                <td class="col-owner" data-label="Owner">{move || owner.get()}</td>
                <td class="col-status" data-label="Status">
                    <span class=move || format!("pill {}", status_class())>{move || status.get().as_str()}</span>
                </td>
                <td class="col-notes notes-text" data-label="Notes">{move || notes.get()}</td>
            </tr>
        });
    }

    let row_keys = {
        let id = id.clone();
        move |ev: KeyboardEvent| on_row_key(ctx, &ev, &id)
    };
    Either::Right(view! {
        <tr data-row-id=id.to_string() tabindex="-1" on:keydown=row_keys hidden=move || hidden.get()>
            <td class="col-num" data-label="#">{number}</td>
            <td class="col-item" data-label="Item">
                <TextCell row=id.clone() field=Field::Item value=item index/>
                <RowHints hints/>
                <AdviceOffer row=id.clone() item notes category/>
            </td>
            <td class="col-category" data-label="Category">
                <div class="category-cell">
                    <TextCell row=id.clone() field=Field::Category value=category index/>
                    <FaqLink category/>
                </div>
            </td>
            <td class="col-priority" data-label="Priority">
                <ChoiceCell
                    row=id.clone()
                    field=Field::Priority
                    index
                    options=Priority::ALL.iter().map(|p| (p.as_str(), p.meaning())).collect()
                    value=Signal::derive(move || priority.get().as_str())
                />
            </td>
            <td class="col-owner" data-label="Owner">
                <TextCell row=id.clone() field=Field::Owner value=owner index/>
            </td>
            <td class=move || format!("col-status {}", status_class()) data-label="Status">
                <ChoiceCell
                    row=id.clone()
                    field=Field::Status
                    index
                    options=Status::ALL.iter().map(|s| (s.as_str(), "")).collect()
                    value=Signal::derive(move || status.get().as_str())
                />
            </td>
            <td class="col-notes" data-label="Notes">
                <TextCell row=id.clone() field=Field::Notes value=notes index/>
            </td>
            <td class="col-actions">
                <RowActions row=id.clone() index/>
            </td>
        </tr>
    })
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

fn item_category(category: String) -> impl IntoView {
    match template::category(&category) {
        Some(c) => Either::Left(view! {
            <a href=format!("#{}-answer", c.faq) class="category-link">{category}</a>
        }),
        None => Either::Right(category),
    }
}

/// The row-level keyboard shortcuts: move, insert below, delete.
fn on_row_key(ctx: PlanContext, ev: &KeyboardEvent, id: &RowId) {
    let command = ev.ctrl_key() || ev.meta_key();
    let col = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.get_attribute("data-col"))
        .unwrap_or_else(|| "item".into());
    match ev.key().as_str() {
        "ArrowUp" | "ArrowDown" if ev.alt_key() && !command => {
            ev.prevent_default();
            let delta = if ev.key() == "ArrowUp" { -1 } else { 1 };
            if ctx.move_row(id, delta) {
                dom::focus_cell_later(id.as_str(), &col);
            }
        }
        "Enter" if command && !ev.alt_key() => {
            ev.prevent_default();
            insert_below(ctx, id);
        }
        "Backspace" | "Delete" if command && ev.shift_key() => {
            ev.prevent_default();
            delete_and_refocus(ctx, id, &col);
        }
        _ => {}
    }
}

fn insert_below(ctx: PlanContext, id: &RowId) {
    if let Some(at) = ctx.position(id) {
        if let Some(new_id) = ctx.insert_row(at + 1) {
            dom::focus_cell_later(new_id.as_str(), "item");
        }
    }
}

/// Deletes the row and puts focus on the row that takes its place (or the one above).
fn delete_and_refocus(ctx: PlanContext, id: &RowId, col: &str) {
    let Some(at) = ctx.position(id) else { return };
    let neighbour = ctx.rows.with_untracked(|rows| {
        rows.get(at + 1)
            .or_else(|| at.checked_sub(1).and_then(|i| rows.get(i)))
            .map(|r| r.id.clone())
    });
    ctx.delete_row(id);
    match neighbour {
        Some(n) => dom::focus_cell_later(n.as_str(), col),
        None => {
            if let Some(add) = dom::query(".toolbar .button.primary") {
                let _ = add.focus();
            }
        }
    }
}

/// A text cell. Notes take several lines; Item wraps long text but behaves as one line
/// (Enter moves down); Category and Owner are plain inputs.
#[component]
fn TextCell(
    row: RowId,
    field: Field,
    value: RwSignal<String>,
    index: Signal<usize>,
) -> impl IntoView {
    let ctx = use_plan();
    let label = move || format!("{}, row {}", field.header(), index.get() + 1);
    let initial = value.get_untracked();
    let max = max_chars(field);
    let on_input = move |ev: leptos::ev::Event| ctx.set_field(&row, field, event_target_value(&ev));
    let on_blur = move |_| ctx.seal();
    match field {
        Field::Notes | Field::Item => {
            let notes = field == Field::Notes;
            let on_key = move |ev: KeyboardEvent| {
                if notes {
                    if ev.key() == "Escape" {
                        leave_cell(&ev);
                    }
                } else {
                    single_line_keys(ev);
                }
            };
            Either::Left(view! {
                <textarea
                    class=if notes { "cell notes" } else { "cell item" }
                    data-col=field.key()
                    aria-label=label
                    rows=if notes { "2" } else { "1" }
                    maxlength=max
                    prop:value=move || value.get()
                    on:input=on_input
                    on:blur=on_blur
                    on:keydown=on_key
                >
                    {initial}
                </textarea>
            })
        }
        _ => {
            let list = (field == Field::Category).then_some("category-suggestions");
            Either::Right(view! {
                <input
                    class="cell"
                    type="text"
                    data-col=field.key()
                    aria-label=label
                    value=initial
                    maxlength=max
                    list=list
                    autocomplete="off"
                    prop:value=move || value.get()
                    on:input=on_input
                    on:blur=on_blur
                    on:keydown=single_line_keys
                />
            })
        }
    }
}

/// Enter moves down (Shift+Enter up), Escape leaves the cell.
fn single_line_keys(ev: KeyboardEvent) {
    let modified = ev.ctrl_key() || ev.meta_key() || ev.alt_key();
    match ev.key().as_str() {
        "Enter" if !modified => {
            ev.prevent_default();
            if let Some(cell) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                dom::focus_neighbour_cell(&cell, !ev.shift_key());
            }
        }
        "Escape" => leave_cell(&ev),
        _ => {}
    }
}

fn leave_cell(ev: &KeyboardEvent) {
    if let Some(cell) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    {
        ev.prevent_default();
        dom::focus_row_of(&cell);
    }
}

/// A select for Priority or Status.
#[component]
fn ChoiceCell(
    row: RowId,
    field: Field,
    index: Signal<usize>,
    options: Vec<(&'static str, &'static str)>,
    value: Signal<&'static str>,
) -> impl IntoView {
    let ctx = use_plan();
    let label = move || format!("{}, row {}", field.header(), index.get() + 1);
    let initial = value.get_untracked();
    let on_change =
        move |ev: leptos::ev::Event| ctx.set_field(&row, field, event_target_value(&ev));
    view! {
        <select
            class="cell"
            data-col=field.key()
            aria-label=label
            prop:value=move || value.get()
            on:change=on_change
            on:keydown=move |ev: KeyboardEvent| {
                if ev.key() == "Escape" {
                    leave_cell(&ev);
                }
            }
        >
            {options
                .into_iter()
                .map(|(option, meaning)| {
                    let title = (!meaning.is_empty()).then(|| format!("{option}: {meaning}"));
                    view! {
                        <option value=option selected=option == initial title=title>
                            {option}
                        </option>
                    }
                })
                .collect_view()}
        </select>
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
            "?"
        </a>
    }
}

/// Move up / down, insert below, delete.
#[component]
fn RowActions(row: RowId, index: Signal<usize>) -> impl IntoView {
    let ctx = use_plan();
    let n = move || index.get() + 1;
    let is_first = move || index.get() == 0;
    let is_last = move || index.get() + 1 >= ctx.rows.with(Vec::len);
    let (up, down, add, del) = (row.clone(), row.clone(), row.clone(), row);
    view! {
        <div class="row-actions">
            <button
                type="button"
                class="icon-button"
                data-col="up"
                aria-label=move || format!("Move row {} up", n())
                title="Move up (Alt+↑)"
                aria-disabled=move || is_first().to_string()
                on:click=move |_| {
                    if ctx.move_row(&up, -1) {
                        dom::focus_cell_later(up.as_str(), "up");
                    }
                }
            >
                "↑"
            </button>
            <button
                type="button"
                class="icon-button"
                data-col="down"
                aria-label=move || format!("Move row {} down", n())
                title="Move down (Alt+↓)"
                aria-disabled=move || is_last().to_string()
                on:click=move |_| {
                    if ctx.move_row(&down, 1) {
                        dom::focus_cell_later(down.as_str(), "down");
                    }
                }
            >
                "↓"
            </button>
            <button
                type="button"
                class="icon-button"
                data-col="insert"
                aria-label=move || format!("Insert a row below row {}", n())
                title="Insert below (Ctrl+Enter)"
                on:click=move |_| insert_below(ctx, &add)
            >
                "+"
            </button>
            <button
                type="button"
                class="icon-button danger"
                data-col="delete"
                aria-label=move || format!("Delete row {}", n())
                title="Delete row (Ctrl+Shift+Backspace)"
                on:click=move |_| delete_and_refocus(ctx, &del, "delete")
            >
                "×"
            </button>
        </div>
    }
}
