//! The filter box above the table, with the active filters and sort as removable chips.

use super::plan_context::use_plan;
use crate::model::NO_CATEGORY;
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
            view! {
                <button
                    type="button"
                    class="chip"
                    aria-label=format!("Category: {label}. Remove this filter")
                    on:click=move |_| ctx.update_view(|s| s.category = None)
                >
                    "Category: " {label.clone()} <span aria-hidden="true">" ×"</span>
                </button>
            }
        })
    };
    let status_chip = move || {
        ctx.spec.with(|s| s.status).map(|status| {
            view! {
                <button
                    type="button"
                    class="chip"
                    aria-label=format!("Status: {}. Remove this filter", status.as_str())
                    on:click=move |_| ctx.update_view(|s| s.status = None)
                >
                    "Status: " {status.as_str()} <span aria-hidden="true">" ×"</span>
                </button>
            }
        })
    };
    let sort_chip = move || {
        ctx.spec.with(|s| s.describe_sort()).map(|sort| {
            view! {
                <button
                    type="button"
                    class="chip"
                    aria-label=format!("{sort}. Back to plan order")
                    on:click=move |_| ctx.update_view(|s| s.sort = None)
                >
                    {sort.clone()} <span aria-hidden="true">" ×"</span>
                </button>
            }
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
