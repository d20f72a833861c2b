//! "2 versions": two people wrote the same Notes cell at once. Neither text was dropped;
//! the user keeps one of them, or a merge of both.

use crate::model::{max_chars, Field};
use crate::ui::editor::state::use_plan;
use leptos::html;
use leptos::prelude::*;

#[component]
pub fn NotesVersions() -> impl IntoView {
    let ctx = use_plan();
    let dialog = NodeRef::<html::Dialog>::new();
    let merged = RwSignal::new(String::new());
    let versions = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        let Some(row) = ctx.notes_choice.get() else {
            return;
        };
        let texts = ctx.notes_versions(&row);
        merged.set(texts.join("\n\n"));
        versions.set(texts);
        if let Some(d) = dialog.get() {
            let _ = d.show_modal();
        }
    });
    let keep = move |text: String| {
        if let Some(row) = ctx.notes_choice.get_untracked() {
            ctx.resolve_notes(&row, text);
        }
        if let Some(d) = dialog.get() {
            d.close();
        }
    };
    let row_number = move || {
        ctx.notes_choice
            .with(|r| r.as_ref().and_then(|r| ctx.position(r)))
            .map(|i| format!("Notes of row {}", i + 1))
            .unwrap_or_else(|| "Notes".into())
    };
    view! {
        <dialog
            node_ref=dialog
            class="dialog notes-versions"
            aria-labelledby="versions-title"
            on:close=move |_| ctx.notes_choice.set(None)
        >
            <form method="dialog">
                <h2 id="versions-title">{row_number}": written at once"</h2>
                <p>
                    "People wrote these notes at the same time, so both texts were kept. "
                    "Keep one, or edit the merge below."
                </p>
                <ol class="versions-list">
                    {move || versions.get().into_iter().enumerate().map(|(i, text)| {
                        let label = if i == 0 { "Keep this (shown now)" } else { "Keep this" };
                        let chosen = text.clone();
                        view! {
                            <li>
                                <p class="version-text">{text}</p>
                                <button type="button" class="button" on:click=move |_| keep(chosen.clone())>
                                    {label}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                <label for="versions-merge">"Merged text"</label>
                <textarea
                    id="versions-merge"
                    rows="5"
                    maxlength=max_chars(Field::Notes)
                    prop:value=move || merged.get()
                    on:input=move |ev| merged.set(event_target_value(&ev))
                ></textarea>
                <div class="dialog-actions">
                    <button type="button" class="button primary" on:click=move |_| keep(merged.get_untracked())>
                        "Keep the merged text"
                    </button>
                    <button type="submit" class="button" value="close">"Decide later"</button>
                </div>
            </form>
        </dialog>
    }
}
