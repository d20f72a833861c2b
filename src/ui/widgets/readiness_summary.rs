//! Readiness at a glance, above the table: P0 items done, progress per status and per
//! category as inline SVG bars (rendered on the server too, so it shows without JavaScript
//! and on share pages), and the categories with no row yet. Clicking a bar filters the table.

use crate::model::{status_index, CategoryTally, Readiness, Status};
use crate::ui::editor::state::{use_plan, PlanContext};
use leptos::prelude::*;

/// Status segments from left to right: finished work first.
const SEGMENTS: [Status; 4] = [
    Status::Done,
    Status::InProgress,
    Status::Blocked,
    Status::NotStarted,
];

#[component]
pub fn ReadinessSummary() -> impl IntoView {
    let ctx = use_plan();
    let r = ctx.readiness;
    let headline = move || r.with(Readiness::p0_sentence);
    let overall = move || {
        r.with(|r| match r.total {
            0 => "The plan has no rows.".to_owned(),
            1 => format!("{} of 1 item done.", r.done()),
            n => format!("{} of {n} items done.", r.done()),
        })
    };
    let p0_bar = move || {
        r.with(|r| {
            let pct = Readiness::percent(r.p0_done, r.p0_total);
            view! {
                <svg class="bar p0-bar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
                    <rect class="track" x="0" y="0" width="100" height="6"></rect>
                    <rect class="seg done" x="0" y="0" width=pct.to_string() height="6"></rect>
                </svg>
            }
        })
    };
    let status_bar =
        move || r.with(|r| stacked_bar(&r.by_status, "bar status-bar compact-status-bar"));
    view! {
        <section class="readiness" aria-labelledby="readiness-heading" data-testid="readiness">
            <div class="readiness-head">
                <h2 id="readiness-heading">"Readiness"</h2>
                <p class="p0-line">
                    <strong data-testid="p0-line">{headline}</strong>
                    " "
                    <span class="muted">{overall}</span>
                </p>
                {p0_bar}
                {status_bar}
                <Gaps/>
            </div>
            <details class="readiness-more">
                <summary>"By status and category"</summary>
                <div class="readiness-body">
                    <StatusChart/>
                    <CategoryChart/>
                </div>
            </details>
        </section>
    }
}

/// One stacked bar of every row by status, with a legend whose entries filter the table.
#[component]
fn StatusChart() -> impl IntoView {
    let ctx = use_plan();
    let r = ctx.readiness;
    let bar = move || r.with(|r| stacked_bar(&r.by_status, "bar status-bar"));
    let legend = SEGMENTS
        .iter()
        .map(|&status| {
            let count = move || r.with(|r| r.by_status[status_index(status)]);
            let pressed = move || ctx.spec.with(|s| s.status == Some(status)).to_string();
            let toggle = move |_| {
                ctx.update_view(|s| {
                    s.status = if s.status == Some(status) {
                        None
                    } else {
                        Some(status)
                    }
                })
            };
            view! {
                <li>
                    <button
                        type="button"
                        class="legend-button"
                        aria-pressed=pressed
                        title=format!("Show only rows that are {}", status.as_str().to_lowercase())
                        on:click=toggle
                    >
                        <span class=format!("swatch {}", status.slug()) aria-hidden="true"></span>
                        {status.as_str()}
                        " "
                        <span class="count">{count}</span>
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="status-chart">
            <h3 class="chart-title">"By status"</h3>
            {bar}
            <ul class="legend" aria-label="Filter by status">
                {legend}
            </ul>
        </div>
    }
}

/// A bar per category (progress towards done), each one a filter button.
#[component]
fn CategoryChart() -> impl IntoView {
    let ctx = use_plan();
    let r = ctx.readiness;
    let bars = move || {
        r.with(|r| {
            r.categories
                .iter()
                .filter(|c| c.total() > 0)
                .map(|c| category_bar(ctx, c))
                .collect_view()
        })
    };
    view! {
        <div class="category-chart">
            <h3 class="chart-title">"By category"</h3>
            <ul class="category-bars" aria-label="Filter by category">
                {bars}
            </ul>
        </div>
    }
}

fn category_bar(ctx: PlanContext, tally: &CategoryTally) -> impl IntoView {
    let name = tally.name.clone();
    let pressed = {
        let name = name.clone();
        move || {
            ctx.spec
                .with(|s| s.category.as_deref().is_some_and(|c| c == name))
                .to_string()
        }
    };
    let toggle = move |_| {
        let name = name.clone();
        ctx.update_view(move |s| {
            s.category = (s.category.as_deref() != Some(name.as_str())).then_some(name);
        })
    };
    let (done, total) = (tally.done(), tally.total());
    let blocked = tally.by_status[status_index(Status::Blocked)];
    let details = match blocked {
        0 => format!(": {done} of {total} done"),
        n => format!(": {done} of {total} done, {n} blocked"),
    };
    view! {
        <li>
            <button
                type="button"
                class="category-button"
                aria-pressed=pressed
                aria-label=format!("{}{details}", tally.label())
                on:click=toggle
            >
                <span class="category-name">{tally.label().to_owned()}</span>
                {stacked_bar(&tally.by_status, "bar category-bar")}
                <span class="count" aria-hidden="true">{format!("{done}/{total}")}</span>
            </button>
        </li>
    }
}

/// Expected categories that no row covers yet, with a quick way to add one.
#[component]
fn Gaps() -> impl IntoView {
    let ctx = use_plan();
    let grid = crate::ui::editor::grid::use_grid();
    let r = ctx.readiness;
    move || {
        r.with(|r| {
            let missing: Vec<String> = r.missing().map(str::to_owned).collect();
            (!missing.is_empty()).then(|| {
                let items = missing
                    .into_iter()
                    .map(|name| {
                        let add = (!ctx.read_only).then(|| {
                            let category = name.clone();
                            let label = format!("Add a {name} item");
                            view! {
                                <button
                                    type="button"
                                    class="link-button"
                                    on:click=move |_| {
                                        if let Some(id) = ctx.add_row_in(&category) {
                                            super::plan_row::focus_new_row(grid, id);
                                        }
                                    }
                                >
                                    {label}
                                </button>
                            }
                        });
                        view! {
                            <li>
                                <span class="gap-flag">{format!("No {name} item yet")}</span>
                                {add}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <ul class="gaps" aria-label="Categories with no item yet" data-testid="gaps">
                        {items}
                    </ul>
                }
            })
        })
    }
}

/// A horizontal bar split by status (counts in `Status::ALL` order), done first. Widths are
/// whole thousandths (integer maths keeps float formatting out of the WASM).
fn stacked_bar(by_status: &[usize; 4], class: &'static str) -> impl IntoView {
    const WIDTH: usize = 1000;
    let total: usize = by_status.iter().sum();
    let shown: Vec<(Status, usize)> = SEGMENTS
        .iter()
        .map(|&s| (s, by_status[status_index(s)]))
        .filter(|&(_, count)| count > 0)
        .collect();
    let mut x = 0;
    let segments = shown
        .iter()
        .enumerate()
        .map(|(i, &(status, count))| {
            // The last segment takes what rounding left, so the bar is always full.
            let width = if i + 1 == shown.len() {
                WIDTH - x
            } else {
                count * WIDTH / total
            };
            let seg = view! {
                <rect
                    class=format!("seg {}", status.slug())
                    x=x.to_string()
                    y="0"
                    width=width.to_string()
                    height="10"
                ></rect>
            };
            x += width;
            seg
        })
        .collect_view();
    view! {
        <svg class=class viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true">
            <rect class="track" x="0" y="0" width="1000" height="10"></rect>
            {segments}
        </svg>
    }
}
