use crate::browser::dom;
use crate::ui::editor::grid::use_grid;
use crate::ui::editor::state::use_plan;
use leptos::prelude::*;

/// A dismissible message above the plan, with a download for a damaged stored value.
#[component]
pub fn NoticeBanner() -> impl IntoView {
    let ctx = use_plan();
    move || {
        ctx.notice.get().map(|notice| {
            let backup = notice.backup.clone();
            let cell = notice.cell.clone();
            view! {
                <div class="notice" role="alert">
                    <p>{notice.text}</p>
                    <div class="notice-actions">
                        {backup.map(|raw| {
                            view! {
                                <button
                                    type="button"
                                    class="button primary"
                                    on:click=move |_| {
                                        if let Err(why) = dom::download_text(
                                            "syncplan-backup.json",
                                            &raw,
                                            "application/json",
                                        ) {
                                            ctx.announce(format!("The download failed: {why}."));
                                        }
                                    }
                                >
                                    "Download the backup"
                                </button>
                            }
                        })}
                        {cell.map(|cell| {
                            view! {
                                <button
                                    type="button"
                                    class="button"
                                    on:click=move |_| use_grid().history.set(Some(cell.clone()))
                                >
                                    "Show edit history"
                                </button>
                            }
                        })}
                        <button type="button" class="button" on:click=move |_| ctx.notice.set(None)>
                            "Dismiss"
                        </button>
                    </div>
                </div>
            }
        })
    }
}
