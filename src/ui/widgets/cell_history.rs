//! A cell's edit history ("Show edit history", Ctrl+Alt+H, or the cell's own menu): every
//! value the cell had (in a plan edited together, who wrote it; in a plan kept in this
//! browser only, what this browser wrote) and when, with "Restore this value". Loaded with the
//! other dialogs (`lazy_dialogs`).

use super::history_view::{when, writers, Source};
use super::lazy_part::open_when;
use super::live_bar::PEER_COLOURS;
use crate::model::{CellRef, Field};
use crate::shared::api::HistoryEntry;
use crate::ui::editor::grid::GridContext;
use crate::ui::editor::state::{use_plan, PlanContext, RowCells};
use leptos::html;
use leptos::prelude::*;

/// Entries asked for at once.
const PAGE: usize = 50;

/// The open cell's edit history, in a dialog.
#[component]
pub fn CellHistoryDialog(grid: GridContext) -> impl IntoView {
    let ctx = use_plan();
    let dialog = NodeRef::<html::Dialog>::new();
    open_when(dialog, move || grid.history.with(Option::is_some));
    let title = move || {
        grid.history
            .with(|c| {
                c.as_ref().map(|c| {
                    let row = ctx.position(&c.row).map_or(0, |i| i + 1);
                    format!("{}, row {row}: edit history", c.field.header())
                })
            })
            .unwrap_or_default()
    };
    view! {
        <dialog
            node_ref=dialog
            class="dialog cell-history"
            aria-labelledby="cell-history-title"
            on:close=move |_| {
                grid.history.set(None);
                // Back to the cell, so the keyboard goes on from where it was.
                grid.focus_active();
            }
        >
            <form method="dialog">
                <h2 id="cell-history-title">{title}</h2>
                {move || grid.history.get().map(|cell| history_list(ctx, cell, dialog))}
                <div class="dialog-actions">
                    <button type="submit" class="button" value="close">"Close"</button>
                </div>
            </form>
        </dialog>
    }
}

/// A cell's menu, where the pointer was (or under the cell): "Show edit history". Escape,
/// a click elsewhere or leaving it closes it and gives the focus back to the cell.
#[component]
pub fn CellMenu(grid: GridContext) -> impl IntoView {
    let menu = grid.menu;
    let item = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if menu.with(Option::is_some) {
            if let Some(b) = item.get() {
                let _ = b.focus();
            }
        }
    });
    let close = move || {
        if menu.get_untracked().is_some() {
            menu.set(None);
            grid.focus_active();
        }
    };
    let away = window_event_listener(leptos::ev::pointerdown, move |ev| {
        let inside = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .and_then(|el| el.closest(".cell-menu").ok().flatten())
            .is_some();
        if !inside && menu.get_untracked().is_some() {
            menu.set(None);
        }
    });
    on_cleanup(move || away.remove());
    move || {
        menu.get().map(|(cell, x, y)| {
            let open = move |_| {
                menu.set(None);
                grid.history.set(Some(cell.clone()));
            };
            view! {
                <div
                    class="cell-menu"
                    role="menu"
                    aria-label="Cell"
                    style:left=format!("{x}px")
                    style:top=format!("{y}px")
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if matches!(ev.key().as_str(), "Escape" | "Tab") {
                            ev.prevent_default();
                            close();
                        }
                    }
                    on:focusout=move |ev: leptos::ev::FocusEvent| {
                        let stays = ev
                            .related_target()
                            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
                            .and_then(|el| el.closest(".cell-menu").ok().flatten())
                            .is_some();
                        if !stays {
                            menu.set(None);
                        }
                    }
                >
                    <button type="button" role="menuitem" node_ref=item on:click=open>
                        "Show edit history"
                        <kbd>"Ctrl+Alt+H"</kbd>
                    </button>
                </div>
            }
        })
    }
}

/// The cell's values, newest first, a page at a time.
fn history_list(ctx: PlanContext, cell: CellRef, dialog: NodeRef<html::Dialog>) -> AnyView {
    let entries = RwSignal::new(Vec::<HistoryEntry>::new());
    let next = RwSignal::new(None::<String>);
    let state = RwSignal::new(Loading::Busy);
    let source = Source::of(ctx);
    let local = source.is_local();
    let field = cell.field;
    let row = cell.row.clone();
    let load = move |before: Option<String>| {
        let (source, row) = (source.clone(), row.clone());
        state.set(Loading::Busy);
        leptos::task::spawn_local(async move {
            match source
                .page(Some((&row, field)), before.as_deref(), PAGE)
                .await
            {
                Ok(page) => {
                    entries.update(|e| e.extend(page.entries));
                    next.set(page.next);
                    state.set(Loading::Done);
                }
                Err(message) => state.set(Loading::Failed(message)),
            }
        });
    };
    if local {
        // This tab's newest changes go to the plan's local history with the save.
        if let Some(persistence) = use_context::<crate::ui::editor::persist::Persistence>() {
            persistence.save_now();
        }
    }
    load(None);
    let load_more = load.clone();
    let cell_row = StoredValue::new(cell.row.clone());
    let restore = move |value: String| {
        cell_row.with_value(|row| ctx.set_field(row, field, value.clone()));
        let shown = if value.is_empty() {
            "empty".into()
        } else {
            format!("“{value}”")
        };
        ctx.announce(format!("{} restored to {shown}.", field.header()));
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
    };
    let current = move || {
        cell_row
            .with_value(|row| ctx.cells_of(row))
            .map(|c| text_of(&c, field))
    };
    view! {
        <p class="hint">{if local {
            "The plan is not shared, so this is what was changed in this browser (its newest changes)."
        } else {
            "Names are the ones people gave when they joined."
        }}</p>
        {move || match state.get() {
            Loading::Failed(message) => Some(view! { <p class="error" role="alert">{message}</p> }.into_any()),
            Loading::Busy if entries.with(Vec::is_empty) => Some(view! { <p role="status">"Loading the history…"</p> }.into_any()),
            Loading::Done if entries.with(Vec::is_empty) => Some(view! {
                <p>{if local {
                    "This cell has not been changed since this browser began keeping the plan's history."
                } else {
                    "Nobody has changed this cell since the plan has been edited together."
                }}</p>
            }.into_any()),
            _ => None,
        }}
        <ol class="history-list" data-testid="cell-history">
            {move || {
                let now = current();
                let list = entries.get();
                let who = writers(&list);
                let holds = list.iter().position(|e| now.as_deref() == Some(e.value.as_str()));
                list.into_iter().zip(who).enumerate().map(|(i, (entry, who))| {
                    let colour = PEER_COLOURS[usize::from(crate::shared::wire::colour_of_name(&who)) % PEER_COLOURS.len()];
                    let full = crate::browser::dom::local_time(entry.at as f64);
                    let iso: String = js_sys::Date::new(&(entry.at as f64).into()).to_iso_string().into();
                    let shown = if entry.value.is_empty() { "(empty)".to_owned() } else { entry.value.clone() };
                    let is_now = holds == Some(i);
                    let value = entry.value.clone();
                    view! {
                        <li class="history-entry">
                            <p class="history-value">{shown}</p>
                            <p class="history-meta">
                                <span class="peer-dot" style:background=colour aria-hidden="true"></span>
                                {who}" · "<time datetime=iso title=full>{when(entry.at)}</time>
                            </p>
                            {if is_now {
                                view! { <p class="history-current">"The cell holds this value now."</p> }.into_any()
                            } else {
                                view! {
                                    <button type="button" class="button" on:click=move |_| restore(value.clone())>
                                        "Restore this value"
                                    </button>
                                }.into_any()
                            }}
                        </li>
                    }
                }).collect_view()
            }}
        </ol>
        {move || next.get().map(|before| {
            let load_more = load_more.clone();
            view! {
                <button type="button" class="button" on:click=move |_| load_more(Some(before.clone()))>
                    "Show older changes"
                </button>
            }
        })}
    }
    .into_any()
}

#[derive(Clone, PartialEq)]
enum Loading {
    Busy,
    Done,
    Failed(String),
}

/// What a cell shows now (tracked: the list marks the value it holds).
fn text_of(c: &RowCells, field: Field) -> String {
    match field {
        Field::Item => c.item.get(),
        Field::Category => c.category.get(),
        Field::Priority => c.priority.get().as_str().to_owned(),
        Field::Owner => c.owner.get(),
        Field::Status => c.status.get().as_str().to_owned(),
        Field::Notes => c.notes.get(),
    }
}
