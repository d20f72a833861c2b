use super::plan_context::use_plan;
use crate::browser::files::{self, ImportAnswer, ImportProblem};
use crate::model::{Plan, MAX_BODY_BYTES};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What the picked file turned out to hold.
#[derive(Clone, Debug, PartialEq)]
enum Preview {
    Reading(String),
    Ready {
        file_name: String,
        plan: Plan,
        ignored_columns: Vec<String>,
        /// A JSON backup brings its title; a CSV does not.
        has_title: bool,
    },
    Problems {
        file_name: String,
        error: String,
        problems: Vec<ImportProblem>,
    },
    Failed(String),
}

/// Pick or drop a CSV or JSON file, see what it holds, then replace or append.
#[component]
pub fn ImportPanel() -> impl IntoView {
    let ctx = use_plan();
    let preview = RwSignal::new(None::<Preview>);
    let dragging = RwSignal::new(false);

    let take_file = move |file: web_sys::File| {
        let name = file.name();
        if file.size() > MAX_BODY_BYTES as f64 {
            preview.set(Some(Preview::Failed(format!(
                "{name} is larger than {} MiB. Split it into smaller files.",
                MAX_BODY_BYTES / (1024 * 1024)
            ))));
            return;
        }
        preview.set(Some(Preview::Reading(name.clone())));
        spawn_local(async move {
            let answer = match files::read_text(&file).await {
                Ok(text) => files::import(&name, text).await,
                Err(e) => Err(e),
            };
            preview.set(Some(match answer {
                Ok(ImportAnswer::Plan {
                    plan,
                    ignored_columns,
                }) => Preview::Ready {
                    has_title: name.to_ascii_lowercase().ends_with(".json"),
                    file_name: name,
                    plan,
                    ignored_columns,
                },
                Ok(ImportAnswer::Problems { error, problems }) => Preview::Problems {
                    file_name: name,
                    error,
                    problems,
                },
                Err(why) => Preview::Failed(format!("{name} could not be imported: {why}.")),
            }));
        });
    };

    let on_pick = move |ev: ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            take_file(file);
        }
        // Picking the same file again should work too.
        input.set_value("");
    };
    let on_drop = move |ev: ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            take_file(file);
        }
    };

    let apply = move |replace: bool| {
        let Some(Preview::Ready {
            plan, has_title, ..
        }) = preview.get_untracked()
        else {
            return;
        };
        let n = plan.rows.len();
        let done = if replace {
            ctx.replace_rows(has_title.then_some(plan.title), plan.rows)
        } else {
            ctx.append_rows(plan.rows)
        };
        if done {
            ctx.announce(format!(
                "Imported {n} rows. Press Control+Z to undo the import."
            ));
        }
        preview.set(None);
    };

    view! {
        <div
            class="import-box"
            class:dragging=move || dragging.get()
            on:dragover=move |ev: ev::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <label for="import-file" class="import-label">
                "Import a CSV or JSON file "
                <span class="hint">"(or drop it here)"</span>
            </label>
            <input
                id="import-file"
                type="file"
                accept=".csv,.json,.tsv,.txt,text/csv,application/json"
                on:change=on_pick
            />
            <div class="import-preview" aria-live="polite">
                {move || preview.get().map(|p| render_preview(p, apply, preview))}
            </div>
        </div>
    }
}

fn render_preview(
    preview: Preview,
    apply: impl Fn(bool) + Copy + 'static,
    state: RwSignal<Option<Preview>>,
) -> AnyView {
    let cancel = move |_| state.set(None);
    match preview {
        Preview::Reading(name) => view! { <p>"Reading " {name} "…"</p> }.into_any(),
        Preview::Failed(message) => view! {
            <p class="import-error" role="alert">{message}</p>
        }
        .into_any(),
        Preview::Problems {
            file_name,
            error,
            problems,
        } => view! {
            <div class="import-error" role="alert">
                <p>
                    <strong>{file_name}</strong>
                    " cannot be imported yet: " {error}
                </p>
                <ul class="problems">
                    {problems
                        .into_iter()
                        .map(|p| {
                            let place = match (p.row, p.column) {
                                (Some(r), Some(c)) => format!("Row {r}, {c}: "),
                                (Some(r), None) => format!("Row {r}: "),
                                (None, Some(c)) => format!("{c}: "),
                                (None, None) => String::new(),
                            };
                            view! { <li>{place}{p.message}</li> }
                        })
                        .collect_view()}
                </ul>
                <p>"Fix these in the file and import it again."</p>
            </div>
        }
        .into_any(),
        Preview::Ready {
            file_name,
            plan,
            ignored_columns,
            ..
        } => {
            let n = plan.rows.len();
            let ignored = (!ignored_columns.is_empty())
                .then(|| format!(" Columns not used: {}.", ignored_columns.join(", ")));
            view! {
                <div class="import-ready">
                    <p>
                        <strong>{file_name}</strong>
                        {format!(": {n} row{} ready, no problems.", if n == 1 { "" } else { "s" })}
                        {ignored}
                    </p>
                    <div class="import-actions">
                        <button type="button" class="button primary" on:click=move |_| apply(true)>
                            {format!("Replace the plan with these {n} rows")}
                        </button>
                        <button type="button" class="button" on:click=move |_| apply(false)>
                            {format!("Append {n} rows")}
                        </button>
                        <button type="button" class="button" on:click=cancel>
                            "Cancel"
                        </button>
                    </div>
                </div>
            }
            .into_any()
        }
    }
}
