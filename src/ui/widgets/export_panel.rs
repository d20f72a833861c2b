use super::import_panel::ImportPanel;
use super::lazy_part::{lazy_view, preload};
use crate::browser::{clipboard, dom, files};
use crate::model::{to_html_table, to_tsv};
use crate::shared::paths;
use crate::ui::editor::state::use_plan;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

/// A download the page offers (the file itself is made on the server).
pub struct ExportChoice {
    pub slug: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
}

pub const EXPORTS: [ExportChoice; 5] = [
    ExportChoice {
        slug: "csv",
        label: "Google Sheets (CSV)",
        hint: "In Google Sheets: File → Import → Upload",
    },
    ExportChoice {
        slug: "excel-csv",
        label: "Excel (CSV)",
        hint: "Opens in Excel with accents and emoji intact",
    },
    ExportChoice {
        slug: "notion-csv",
        label: "Notion (database CSV)",
        hint: "In Notion: Import → CSV, to get a database",
    },
    ExportChoice {
        slug: "markdown",
        label: "Notion (Markdown page)",
        hint: "In Notion: Import → Text & Markdown, to get a page with the FAQ",
    },
    ExportChoice {
        slug: "json",
        label: "Backup (JSON)",
        hint: "A complete copy that Import takes back unchanged",
    },
];

/// Tickets the page offers: Jira's and GitLab's CSV imports, and a script for the GitHub CLI.
pub const TICKETS: [ExportChoice; 3] = [
    ExportChoice {
        slug: "jira-csv",
        label: "Jira (CSV)",
        hint: "In Jira: Filters → Import issues from CSV (Linear and other trackers read it too)",
    },
    ExportChoice {
        slug: "gitlab-csv",
        label: "GitLab (CSV)",
        hint: "In GitLab: Issues → Import CSV",
    },
    ExportChoice {
        slug: "github-script",
        label: "GitHub (gh script)",
        hint: "Run it in a clone of the repository (or pass --repo OWNER/REPO): one gh issue create per row",
    },
];

/// "Export": real file downloads (a plain form post, so they also work without
/// JavaScript) and Copy for Sheets, in a menu that opens without JavaScript too.
#[component]
pub fn ExportMenu() -> impl IntoView {
    let ctx = use_plan();
    let menu = NodeRef::<html::Details>::new();
    let initial_json = ctx.snapshot().to_json();
    let open_only = RwSignal::new(true);
    let urgent_only = RwSignal::new(false);
    let shown_only = RwSignal::new(false);
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    // The plan as it is at the moment of the click (for tickets, the rows asked for) goes to
    // the server, and its file comes back as a download: the page never navigates away, and
    // offline it says why there is no file. (Without JavaScript the form posts as usual.)
    let fill_plan = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let button = ev
            .submitter()
            .and_then(|b| b.dyn_into::<web_sys::HtmlButtonElement>().ok());
        let tickets = button
            .as_ref()
            .and_then(|b| b.get_attribute("data-tickets"));
        let mut plan = ctx.snapshot();
        let url = match (&tickets, &button) {
            (Some(slug), _) => {
                if shown_only.get_untracked() {
                    let shown: std::collections::HashSet<_> = ctx.shown_ids().into_iter().collect();
                    plan.rows.retain(|r| shown.contains(&r.id));
                }
                let mut query = Vec::new();
                if open_only.get_untracked() {
                    query.push("open_only=1");
                }
                if urgent_only.get_untracked() {
                    query.push("urgent_only=1");
                }
                paths::api_export_tickets(slug, &query.join("&"))
            }
            (None, Some(button)) => button
                .get_attribute("data-format")
                .map(|f| paths::api_export(&f))
                .unwrap_or_else(|| paths::api_export("csv")),
            (None, None) => paths::api_export("csv"),
        };
        let label = button.map(|b| b.text_content().unwrap_or_default());
        error.set(String::new());
        busy.set(true);
        spawn_local(async move {
            let json = plan.to_json();
            match files::export(&url, json, "plan").await {
                Ok(file) => match dom::download_bytes(&file.name, &file.bytes, &file.mime) {
                    Ok(()) => {
                        ctx.announce(format!("Downloading {}.", file.name));
                        if let Some(menu) = menu.get_untracked() {
                            menu.set_open(false);
                        }
                    }
                    Err(why) => error.set(format!("The file could not be saved: {why}.")),
                },
                Err(why) => {
                    let what = label.unwrap_or_else(|| "This download".to_owned());
                    let text = format!("{what}: no file, because {why}.");
                    ctx.announce(text.clone());
                    error.set(text);
                }
            }
            busy.set(false);
        });
    };
    let copying = RwSignal::new(false);
    let copy_for_sheets = move |_| {
        let plan = ctx.snapshot();
        let (tsv, html) = (to_tsv(&plan), to_html_table(&plan));
        let rows = plan.rows.len();
        copying.set(true);
        spawn_local(async move {
            match clipboard::copy_text_and_html(&tsv, &html).await {
                Ok(()) => ctx.announce(format!(
                    "Copied {rows} rows. Click cell A1 in Google Sheets and paste."
                )),
                Err(why) => ctx.announce(format!("Copying failed: {why}.")),
            }
            copying.set(false);
            if let Some(menu) = menu.get_untracked() {
                menu.set_open(false);
            }
        });
    };
    view! {
        <details class="menu export-menu" node_ref=menu>
            <summary class="button">"Export"<span class="menu-mark" aria-hidden="true">" ▾"</span></summary>
            <div class="menu-panel">
                <p class="hint">
                    "Download the plan as it is now. Google Sheets and Notion are free; no account is needed here."
                </p>
                <form method="post" action=paths::api_export("csv") class="downloads" on:submit=fill_plan>
                    <input type="hidden" name="plan" value=initial_json/>
                    {EXPORTS
                        .iter()
                        .map(|e| {
                            view! {
                                <button
                                    type="submit"
                                    class="button"
                                    formaction=paths::api_export(e.slug)
                                    data-format=e.slug
                                    title=e.hint
                                >
                                    {e.label}
                                </button>
                            }
                        })
                        .collect_view()}
                    <button
                        type="button"
                        class="button"
                        on:click=copy_for_sheets
                        aria-disabled=move || copying.get().to_string()
                        title="Copies the table so a paste into Google Sheets or Excel fills the cells"
                    >
                        "Copy for Sheets"
                    </button>
                    <p class="export-error" role="alert" class:hidden=move || error.with(String::is_empty)>
                        {move || error.get()}
                    </p>
                    <fieldset class="tickets">
                        <legend>"Tickets"</legend>
                        <p class="hint">"Each row becomes a ticket in your tracker."</p>
                        <label>
                            <input type="checkbox" prop:checked=move || open_only.get()
                                on:change=move |ev| open_only.set(event_target_checked(&ev))/>
                            " Only rows not Done"
                        </label>
                        <label>
                            <input type="checkbox" prop:checked=move || urgent_only.get()
                                on:change=move |ev| urgent_only.set(event_target_checked(&ev))/>
                            " Only P0 and P1"
                        </label>
                        <label>
                            <input type="checkbox" prop:checked=move || shown_only.get()
                                on:change=move |ev| shown_only.set(event_target_checked(&ev))/>
                            " Only the rows the filter shows"
                        </label>
                        <div class="ticket-buttons">
                        {TICKETS
                            .iter()
                            .map(|t| {
                                view! {
                                    <button
                                        type="submit"
                                        class="button"
                                        formaction=paths::api_export_tickets(t.slug, "open_only=1")
                                        data-tickets=t.slug
                                        title=t.hint
                                    >
                                        {t.label}
                                    </button>
                                }
                            })
                            .collect_view()}
                        </div>
                    </fieldset>
                </form>
            </div>
        </details>
    }
}

/// "Import": a CSV or JSON file replaces or extends the plan, after a preview.
///
/// The panel's code is in its own chunk, fetched when the pointer or focus reaches the menu,
/// or at the latest when it opens.
#[component]
pub fn ImportMenu() -> impl IntoView {
    let opened = RwSignal::new(false);
    let open = move |_| {
        // Once: setting it again would build the panel again.
        if !opened.get_untracked() {
            opened.set(true);
        }
    };
    view! {
        <details class="menu import-menu" on:toggle=open>
            <summary
                class="button"
                on:pointerenter=|_| preload(preload_import_panel)
                on:focus=|_| preload(preload_import_panel)
            >
                "Import"<span class="menu-mark" aria-hidden="true">" ▾"</span>
            </summary>
            <div class="menu-panel">
                <noscript>
                    <p class="hint">"Importing a file needs JavaScript, which is off in this browser."</p>
                </noscript>
                {move || opened.get().then(|| lazy_view("import panel", import_panel))}
            </div>
        </details>
    }
}

#[wasm_split(import_panel, fallible, preload(preload_import_panel))]
fn import_panel() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <ImportPanel/> }.into_any())
}
