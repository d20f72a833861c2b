use super::plan_context::use_plan;
use super::save_indicator::SaveIndicator;
use super::share_dialog::ShareDialog;
use crate::browser::dom;
use leptos::html;
use leptos::prelude::*;

/// Add row, undo, redo, reset, and the save indicator.
#[component]
pub fn Toolbar() -> impl IntoView {
    let ctx = use_plan();
    let dialog = NodeRef::<html::Dialog>::new();
    let add_row = move |_| {
        if let Some(id) = ctx.insert_row(ctx.len()) {
            dom::focus_cell_later(id.as_str(), "item");
        }
    };
    let open_reset = move |_| {
        if let Some(d) = dialog.get() {
            let _ = d.show_modal();
        }
    };
    let confirm_reset = move |_| ctx.reset_to_template();
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
            <button type="button" class="button" on:click=open_reset>
                "Reset to template"
            </button>
            <ShareDialog/>
            <SaveIndicator/>
        </div>
        <dialog node_ref=dialog class="dialog" aria-labelledby="reset-title" aria-describedby="reset-text">
            <form method="dialog">
                <h2 id="reset-title">"Reset to the template?"</h2>
                <p id="reset-text">
                    "This replaces the title and every row with the original checklist. "
                    "You can undo it with Undo or Ctrl+Z."
                </p>
                <div class="dialog-actions">
                    <button type="submit" class="button" value="cancel" autofocus>
                        "Cancel"
                    </button>
                    <button type="submit" class="button danger" value="reset" on:click=confirm_reset>
                        "Reset to template"
                    </button>
                </div>
            </form>
        </dialog>
    }
}
