use super::whole_plan::{use_whole_plan, Ask};
use crate::browser::dom;
use crate::browser::files::{self, ImportAnswer, ImportProblem};
use crate::model::{Field, Plan, Priority, Status, MAX_BODY_BYTES};
use crate::shared::import::{MappingSpec, Preview as SheetPreview, Target};
use crate::ui::editor::state::use_plan;
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mapping::render_mapping;

mod mapping;

/// What the picked file turned out to hold.
#[derive(Clone, Debug, PartialEq)]
enum Preview {
    Reading(String),
    /// A sheet: which column goes where, before anything is imported.
    Mapping {
        file_name: String,
        sheet: SheetPreview,
        spec: MappingSpec,
        /// The mapping came from an earlier import of a sheet with these columns.
        remembered: bool,
    },
    Ready {
        file_name: String,
        plan: Plan,
        noted_columns: Vec<String>,
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

/// Where a mapping is remembered: per set of column names, in this browser.
fn remembered_key(sheet: &SheetPreview) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for c in &sheet.columns {
        for b in c.key.to_lowercase().bytes().chain([0x1f]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("syncplan.import-mapping.{hash:016x}")
}

/// A sheet in syncplan's own columns (an export of ours), with every value understood: no
/// mapping to check, so the panel goes straight to Replace / Append.
fn own_layout(sheet: &SheetPreview) -> bool {
    sheet.untranslated.is_empty()
        && sheet.problems.is_empty()
        && sheet.columns.iter().all(|c| {
            c.target == c.suggested
                && match c.target.field() {
                    Some(field) => c.header.eq_ignore_ascii_case(field.header()),
                    None => c.header == "#",
                }
        })
}

/// Pick or drop a CSV or JSON file; for a sheet, say which column goes where (and what its
/// own words for priority and status mean); then replace or append.
#[component]
pub fn ImportPanel() -> impl IntoView {
    let ctx = use_plan();
    let preview = RwSignal::new(None::<Preview>);
    let dragging = RwSignal::new(false);
    // The sheet's text, sent again with each change of the mapping.
    let text = StoredValue::new(String::new());
    // Each question to the server is numbered: only the answer to the latest one shows
    // (answers can come back out of order).
    let asked = StoredValue::new(0u64);
    // The mapping as the person last set it, while the server is asked what it gives: a
    // second change made before the answer builds on the first, never on the older one.
    let wanted = StoredValue::new(None::<MappingSpec>);
    let ask = move || {
        asked.update_value(|n| *n += 1);
        asked.get_value()
    };

    let answer_to_preview = move |name: String, answer: Result<ImportAnswer, String>| match answer {
        Ok(ImportAnswer::Plan {
            plan,
            noted_columns,
            ..
        }) => Preview::Ready {
            has_title: files::is_json(&name),
            file_name: name,
            plan,
            noted_columns,
        },
        Ok(ImportAnswer::Problems { error, problems }) => Preview::Problems {
            file_name: name,
            error,
            problems,
        },
        Err(why) => Preview::Failed(format!("{name} could not be imported: {why}.")),
    };

    // Asks the server what the sheet becomes with `spec`.
    let show_mapping = move |name: String, spec: MappingSpec, remembered: bool| {
        let question = ask();
        spawn_local(async move {
            let answer = files::preview(&name, text.get_value(), &spec).await;
            let next = match answer {
                Ok(Ok(sheet)) if !remembered && own_layout(&sheet) => {
                    let answer = files::import(&name, text.get_value(), Some(&spec)).await;
                    answer_to_preview(name, answer)
                }
                Ok(Ok(sheet)) => {
                    // The first look at these columns: a mapping used before for them
                    // replaces the suggestion.
                    let key = remembered_key(&sheet);
                    let earlier = (!remembered && spec == MappingSpec::default())
                        .then(|| dom::local_get(&key))
                        .flatten()
                        .and_then(|json| MappingSpec::from_json(&json).ok())
                        .filter(|earlier| *earlier != spec);
                    if let Some(earlier) = earlier {
                        let again = files::preview(&name, text.get_value(), &earlier).await;
                        match again {
                            Ok(Ok(sheet)) => Preview::Mapping {
                                file_name: name,
                                sheet,
                                spec: earlier,
                                remembered: true,
                            },
                            // The file changed since: the suggestion is a better start.
                            _ => Preview::Mapping {
                                file_name: name,
                                sheet,
                                spec,
                                remembered: false,
                            },
                        }
                    } else {
                        Preview::Mapping {
                            file_name: name,
                            sheet,
                            spec,
                            remembered,
                        }
                    }
                }
                Ok(Err(answer)) => answer_to_preview(name, Ok(answer)),
                Err(why) => answer_to_preview(name, Err(why)),
            };
            if asked.get_value() == question {
                wanted.set_value(None);
                preview.set(Some(next));
            }
        });
    };

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
        wanted.set_value(None);
        let question = ask();
        spawn_local(async move {
            match files::read_text(&file).await {
                Ok(content) if files::is_json(&name) => {
                    let answer = files::import(&name, content, None).await;
                    if asked.get_value() == question {
                        preview.set(Some(answer_to_preview(name, answer)));
                    }
                }
                Ok(content) => {
                    text.set_value(content);
                    show_mapping(name, MappingSpec::default(), false);
                }
                Err(e) => preview.set(Some(answer_to_preview(name, Err(e)))),
            }
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

    // The user changed where a column goes, or what a value means.
    let remap = move |change: Box<dyn FnOnce(&mut MappingSpec)>| {
        let Some(Preview::Mapping {
            file_name,
            mut spec,
            ..
        }) = preview.get_untracked()
        else {
            return;
        };
        if let Some(newer) = wanted.get_value() {
            spec = newer;
        }
        change(&mut spec);
        wanted.set_value(Some(spec.clone()));
        show_mapping(file_name, spec, true);
    };

    // The mapping is right: import with it (and remember it for these columns).
    let confirm = move || {
        let Some(Preview::Mapping {
            file_name,
            sheet,
            spec,
            ..
        }) = preview.get_untracked()
        else {
            return;
        };
        // A change made just before is in the answer, even if the preview did not show it yet.
        let spec = wanted.get_value().unwrap_or(spec);
        preview.set(Some(Preview::Reading(file_name.clone())));
        wanted.set_value(None);
        let question = ask();
        spawn_local(async move {
            let answer = files::import(&file_name, text.get_value(), Some(&spec)).await;
            if asked.get_value() != question {
                return;
            }
            if matches!(answer, Ok(ImportAnswer::Plan { .. })) {
                if let Ok(json) = serde_json::to_string(&spec) {
                    dom::local_set(&remembered_key(&sheet), &json);
                }
            }
            preview.set(Some(answer_to_preview(file_name, answer)));
        });
    };

    let whole = use_whole_plan();
    let apply = move |replace: bool| {
        let Some(Preview::Ready {
            file_name,
            plan,
            has_title,
            ..
        }) = preview.get_untracked()
        else {
            return;
        };
        let n = plan.rows.len();
        let run = move || {
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
        if replace {
            // In a plan edited together, replacing it is everyone's business.
            let ask = Ask {
                title: format!("Replace the plan with the {n} rows of {file_name}"),
                effect: format!("replaces every row with the {n} rows of {file_name}"),
                verb: "Replace".into(),
            };
            whole.confirm(ask, false, run);
        } else {
            run();
        }
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
                {move || {
                    preview
                        .get()
                        .map(|p| render_preview(p, apply, confirm, remap, preview))
                }}
            </div>
        </div>
    }
}

type Remap = Box<dyn FnOnce(&mut MappingSpec)>;

fn render_preview(
    preview: Preview,
    apply: impl Fn(bool) + Copy + 'static,
    confirm: impl Fn() + Copy + 'static,
    remap: impl Fn(Remap) + Copy + 'static,
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
                <button type="button" class="button" on:click=cancel>"Close"</button>
            </div>
        }
        .into_any(),
        Preview::Mapping {
            file_name,
            sheet,
            remembered,
            ..
        } => render_mapping(file_name, sheet, remembered, confirm, remap, state),
        Preview::Ready {
            file_name,
            plan,
            noted_columns,
            ..
        } => {
            let n = plan.rows.len();
            let noted = (!noted_columns.is_empty())
                .then(|| format!(" Added to Notes: {}.", noted_columns.join(", ")));
            view! {
                <div class="import-ready">
                    <p>
                        <strong>{file_name}</strong>
                        {format!(": {n} row{} ready, no problems.", if n == 1 { "" } else { "s" })}
                        {noted}
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
