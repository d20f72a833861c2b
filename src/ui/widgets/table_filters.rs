//! The filter box above the table, with the active filters and sort as removable chips.

use crate::model::NO_CATEGORY;
use crate::ui::editor::state::use_plan;
use leptos::prelude::*;

#[component]
pub fn TableFilters() -> impl IntoView {
    let ctx = use_plan();
    let category_chip = move || {
        ctx.spec.with(|s| s.category.clone()).map(|c| {
            let label = if c.is_empty() {
                NO_CATEGORY.to_owned()
            } else {
                c
            };
            view! { <Chip text=format!("Category: {label}") remove="Remove this filter" on_remove=move || ctx.update_view(|s| s.category = None)/> }
        })
    };
    let status_chip = move || {
        ctx.spec.with(|s| s.status).map(|status| {
            view! { <Chip text=format!("Status: {}", status.as_str()) remove="Remove this filter" on_remove=move || ctx.update_view(|s| s.status = None)/> }
        })
    };
    let sort_chip = move || {
        ctx.spec.with(|s| s.describe_sort()).map(|sort| {
            view! { <Chip text=sort remove="Back to plan order" on_remove=move || ctx.update_view(|s| s.sort = None)/> }
        })
    };
    let count = move || {
        let total = ctx.rows.with(Vec::len);
        if ctx.spec.with(|s| s.is_filtering()) {
            format!("Showing {} of {total} rows", ctx.shown_count())
        } else {
            match total {
                1 => "1 row".to_owned(),
                n => format!("{n} rows"),
            }
        }
    };
    view! {
        <div class="table-filters">
            <div class="filter-field">
                <label for="row-filter">"Filter rows"</label>
                <input
                    id="row-filter"
                    type="search"
                    placeholder="Words in any cell"
                    autocomplete="off"
                    aria-controls="plan-table"
                    prop:value=move || ctx.spec.with(|s| s.text.clone())
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        ctx.update_view(move |s| s.text = text);
                    }
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Escape" && ctx.spec.with_untracked(|s| !s.text.is_empty()) {
                            ev.prevent_default();
                            ctx.update_view(|s| s.text.clear());
                        }
                    }
                />
            </div>
            <div class="chips">
                {category_chip}
                {status_chip}
                {sort_chip}
            </div>
            <p class="filter-count" data-testid="filter-count">{count}</p>
        </div>
    }
}

/// An active filter or sort, as a button that removes it.
#[component]
fn Chip(
    text: String,
    remove: &'static str,
    on_remove: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class="chip"
            aria-label=format!("{text}. {remove}")
            on:click=move |_| on_remove()
        >
            {text.clone()}
            <span aria-hidden="true">" ×"</span>
        </button>
    }
}
