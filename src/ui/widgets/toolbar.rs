use super::export_panel::{ExportMenu, ImportMenu};
use super::plan_row::{delete_row, focus_new_row, insert_below};
use super::save_indicator::SaveIndicator;
use super::share_dialog::ShareDialog;
use crate::ui::editor::grid::use_grid;
use crate::ui::editor::state::use_plan;
use leptos::prelude::*;

/// One compact bar: undo and redo, rows, export and import, share, and whether edits are
/// saved. (Reset, which changes the whole plan, is with the plan's own actions.)
#[component]
pub fn Toolbar() -> impl IntoView {
    let ctx = use_plan();
    let add_row = move |_| {
        if let Some(id) = ctx.insert_row(ctx.len()) {
            focus_new_row(use_grid(), id);
        }
    };
    view! {
        <div class="toolbar">
            <button type="button" class="button primary" on:click=add_row aria-keyshortcuts="Control+Enter">
                "+ Add row"
            </button>
            <button
                type="button"
                class="button"
                on:click=move |_| ctx.undo()
                aria-disabled=move || (!ctx.can_undo.get()).to_string()
                aria-keyshortcuts="Control+Z Meta+Z"
                title="Undo (Ctrl+Z / ⌘Z)"
            >
                "Undo"
            </button>
            <button
                type="button"
                class="button"
                on:click=move |_| ctx.redo()
                aria-disabled=move || (!ctx.can_redo.get()).to_string()
                aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z Control+Y"
                title="Redo (Ctrl+Shift+Z / ⌘⇧Z)"
            >
                "Redo"
            </button>
            <RowTools/>
            <ExportMenu/>
            <ImportMenu/>
            <ShareDialog/>
            <button
                type="button"
                class="button"
                on:click=move |_| use_grid().plan_history.set(true)
                aria-keyshortcuts="Control+Alt+Shift+H"
                title="The plan's history: who changed what, and when (Ctrl+Alt+Shift+H)"
            >
                "History"
            </button>
            <SaveIndicator/>
        </div>
    }
}

/// Buttons for the row of the active cell: move up or down, insert below, delete.
#[component]
fn RowTools() -> impl IntoView {
    let ctx = use_plan();
    let grid = use_grid();
    let active_row = move || grid.cursor.with(|c| c.active.clone());
    let disabled = move || active_row().is_none().to_string();
    let run = move |action: fn(
        crate::ui::editor::state::PlanContext,
        crate::ui::editor::grid::GridContext,
        crate::model::CellRef,
    )| {
        move |_| {
            if let Some(active) = grid.cursor.get_untracked().active {
                action(ctx, grid, active);
            }
        }
    };
    let up = run(|ctx, grid, active| {
        if ctx.move_row(&active.row, -1) {
            grid.set_cursor_later(crate::model::Cursor::at(active));
        }
    });
    let down = run(|ctx, grid, active| {
        if ctx.move_row(&active.row, 1) {
            grid.set_cursor_later(crate::model::Cursor::at(active));
        }
    });
    let insert = run(|ctx, grid, active| insert_below(ctx, grid, &active.row));
    let whole = use_context::<super::whole_plan::WholePlan>();
    let delete = move |_| {
        if let Some(active) = grid.cursor.get_untracked().active {
            delete_row(ctx, grid, whole, &active);
        }
    };
    view! {
        <div class="row-tools" role="group" aria-label="Row of the selected cell">
            <button type="button" class="icon-button" title="Move the row up (Alt+↑)" aria-label="Move row up"
                aria-disabled=disabled aria-keyshortcuts="Alt+ArrowUp" on:click=up>"↑"</button>
            <button type="button" class="icon-button" title="Move the row down (Alt+↓)" aria-label="Move row down"
                aria-disabled=disabled aria-keyshortcuts="Alt+ArrowDown" on:click=down>"↓"</button>
            <button type="button" class="icon-button" title="Insert a row below (Ctrl+Enter)" aria-label="Insert a row below"
                aria-disabled=disabled on:click=insert>"⤵"</button>
            <button type="button" class="icon-button danger" title="Delete the row (Ctrl+Shift+Backspace)" aria-label="Delete row"
                aria-disabled=disabled on:click=delete>"×"</button>
        </div>
    }
}
