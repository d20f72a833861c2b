use super::plan_context::use_plan;
use super::plan_row::PlanRow;
use crate::model::Field;
use crate::template::CATEGORIES;
use leptos::prelude::*;

/// The plan as a table: editable cells in the editor, plain text when read-only. Column
/// headers sort the view; the filter hides rows; neither changes the plan.
#[component]
pub fn PlanTable() -> impl IntoView {
    let ctx = use_plan();
    let read_only = ctx.read_only;
    view! {
        <div class="table-wrap">
            <table class="plan-table" class:read-only=read_only id="plan-table">
                <caption class="sr-only">
                    {move || ctx.title.get()}
                    {move || ctx.spec.with(|s| s.describe_sort()).map(|s| format!(". {s}"))}
                    {(!read_only).then_some(
                        ". Alt+Up and Alt+Down move a row, Control+Enter adds a row below, \
                         Control+Shift+Backspace deletes it.",
                    )}
                </caption>
                <thead>
                    <tr>
                        <SortHeader field=None class="col-num" label="#"/>
                        <SortHeader field=Some(Field::Item) class="col-item" label="Item"/>
                        <SortHeader field=Some(Field::Category) class="col-category" label="Category"/>
                        <SortHeader field=Some(Field::Priority) class="col-priority" label="Priority"/>
                        <SortHeader field=Some(Field::Owner) class="col-owner" label="Owner"/>
                        <SortHeader field=Some(Field::Status) class="col-status" label="Status"/>
                        <SortHeader field=Some(Field::Notes) class="col-notes" label="Notes"/>
                        {(!read_only)
                            .then(|| {
                                view! {
                                    <th scope="col" class="col-actions">
                                        <span class="sr-only">"Row actions"</span>
                                    </th>
                                }
                            })}
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || ctx.display_rows()
                        key=|cells| cells.id.clone()
                        children=move |cells| {
                            let id = cells.id.clone();
                            let index = Memo::new(move |_| {
                                ctx.positions.with(|p| p.get(&id).copied().unwrap_or(0))
                            });
                            view! { <PlanRow index=index.into() cells/> }
                        }
                    />
                </tbody>
            </table>
            <p class="empty-table" class:hidden=move || !ctx.rows.with(Vec::is_empty)>
                "This plan has no rows yet."
            </p>
            <p
                class="empty-table"
                class:hidden=move || { ctx.rows.with(Vec::is_empty) || ctx.shown_count() != 0 }
            >
                "No row matches the filter. "
                <button type="button" class="link-button" on:click=move |_| ctx.update_view(|s| {
                    s.category = None;
                    s.status = None;
                    s.text.clear();
                })>
                    "Show every row"
                </button>
            </p>
        </div>
        {(!read_only)
            .then(|| {
                view! {
                    <datalist id="category-suggestions">
                        {CATEGORIES.iter().map(|c| view! { <option value=c.name></option> }).collect_view()}
                    </datalist>
                }
            })}
    }
}

/// A column header that sorts the view: ascending, descending, then plan order. `#` always
/// goes back to plan order.
#[component]
fn SortHeader(field: Option<Field>, class: &'static str, label: &'static str) -> impl IntoView {
    let ctx = use_plan();
    let state = move || {
        ctx.spec.with(|s| match (s.sort, field) {
            (Some(sort), Some(f)) if sort.field == f => Some(sort.descending),
            _ => None,
        })
    };
    let plan_order = move || field.is_none() && ctx.spec.with(|s| s.sort.is_none());
    let aria_sort = move || match state() {
        Some(false) => Some("ascending"),
        Some(true) => Some("descending"),
        None if plan_order() => Some("ascending"),
        None => None,
    };
    let on_click = move |_| match field {
        Some(f) => ctx.update_view(|s| s.sort = s.next_sort(f)),
        None => ctx.update_view(|s| s.sort = None),
    };
    let title = match field {
        Some(_) => format!("Sort by {label}"),
        None => "Show plan order".to_owned(),
    };
    view! {
        <th scope="col" class=class aria-sort=aria_sort data-label=label>
            <button
                type="button"
                class="sort-button"
                title=title
                aria-label=field.is_none().then_some("Row number: show plan order")
                on:click=on_click
            >
                {label}
                <span class="sort-mark" aria-hidden="true">
                    {move || match state() {
                        Some(false) => "▲",
                        Some(true) => "▼",
                        None => "",
                    }}
                </span>
            </button>
        </th>
    }
}
