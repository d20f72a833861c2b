//! Page-wide keyboard shortcuts and page-lifecycle hooks (browser only).

use crate::browser::storage::WORKSPACE_KEY;
use crate::ui::editor::persist::Persistence;
use crate::ui::editor::state::PlanContext;
use leptos::ev;
use leptos::prelude::*;

/// Undo / redo keys, saving when the page is hidden, and other tabs' saves.
pub fn install(ctx: PlanContext, persistence: Persistence) {
    let grid = crate::ui::editor::grid::use_grid();
    let keys = window_event_listener(ev::keydown, move |ev| {
        // Ctrl+Alt+Shift+H (⌘⌥⇧H): the plan's history, as Sheets opens its version history.
        if (ev.ctrl_key() || ev.meta_key()) && ev.alt_key() && ev.shift_key() && ev.code() == "KeyH"
        {
            ev.prevent_default();
            grid.plan_history.set(true);
            return;
        }
        if !(ev.ctrl_key() || ev.meta_key()) || ev.alt_key() {
            return;
        }
        let key = ev.key().to_lowercase();
        let redo = (key == "z" && ev.shift_key()) || (key == "y" && !ev.shift_key());
        if (redo || key == "z") && grid.is_editing() {
            // Undo while typing: the text typed so far is one step; end the edit first.
            if !grid.commit(None) {
                grid.cancel();
            }
        }
        if redo {
            ev.prevent_default();
            ctx.redo();
        } else if key == "z" {
            ev.prevent_default();
            ctx.undo();
        }
    });
    let storage = window_event_listener(ev::storage, move |ev| {
        if ev.key().as_deref() == Some(WORKSPACE_KEY) {
            if let Some(raw) = ev.new_value() {
                persistence.on_foreign_save(&raw);
            }
        }
    });
    // Flush a pending save when the tab is hidden or closed (the timer may never fire).
    let hide = window_event_listener_untyped("pagehide", move |_| persistence.save_now());
    let hidden = window_event_listener_untyped("visibilitychange", move |_| {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if hidden {
            persistence.save_now();
        }
    });
    on_cleanup(move || {
        keys.remove();
        storage.remove();
        hide.remove();
        hidden.remove();
    });
}
