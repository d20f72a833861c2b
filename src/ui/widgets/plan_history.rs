//! The plan's history (History, Ctrl+Alt+Shift+H): changes grouped into sessions (one
//! person, edits less than ten minutes apart), newest first, each opening to its changes
//! (value from → to, rows added and deleted, with "Bring back"), and the status update: the
//! changes since a day, a week, a month or a named version, as Markdown or as plain text for
//! the team's channel; "Preview" of the plan as it was
//! after a session or at a named version, with "Restore this version"; "Name this
//! version". Part of the dialogs chunk.

mod name_field;
mod preview;
mod revert;
mod words;

use name_field::NameField;
use preview::VersionPreview;
use words::{describe, is_baseline, plain_text, sessions, status_update};

use super::history_view::{when, Source};
use super::lazy_part::open_when;
use crate::model::{Edit, RowId, LOCAL_HISTORY_BYTES};
use crate::shared::api::{HistoryEntry, NameVersion, NamedVersion, PlanVersion};
use crate::ui::editor::grid::use_grid;
use crate::ui::editor::state::{use_plan, PlanContext};
use leptos::html;
use leptos::prelude::*;

/// Entries asked for at once, and pages read when the panel opens at most.
const PAGE: usize = 500;
const FIRST_PAGES: usize = 4;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Puts a deleted row back where it was, with what it held (an ordinary edit: synced, and
/// Undo takes it back).
fn bring_back(ctx: PlanContext, row: &RowId) -> bool {
    let active = ctx.active();
    let found = ctx.with_session(|s| {
        let doc = &s.entry(&active)?.doc;
        let held = doc.rows.get(row)?;
        let at = doc
            .order()
            .iter()
            .filter(|id| doc.rows[**id].position.value < held.position.value)
            .count();
        Some((at, held.to_row(row)))
    });
    let Some((at, row)) = found else {
        return false;
    };
    let name = row.item.clone();
    let done = ctx.edit(Edit::InsertRow { at, row });
    if done {
        ctx.announce(format!("Row “{name}” is back, as row {}.", at + 1));
    }
    done
}

#[component]
pub fn PlanHistory() -> impl IntoView {
    let ctx = use_plan();
    let grid = use_grid();
    let dialog = NodeRef::<html::Dialog>::new();
    let entries = RwSignal::new(Vec::<HistoryEntry>::new());
    let next = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let update = RwSignal::new(None::<String>);
    let local = RwSignal::new(false);
    let preview = RwSignal::new(None::<PlanVersion>);
    let named = RwSignal::new(Vec::<NamedVersion>::new());
    let name_text = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<String>);
    // Each opening reads afresh; pages of an earlier opening arriving late are dropped.
    let opening = StoredValue::new(0u32);
    // Reads pages until `pages` were read or there is no more.
    let kept_since = RwSignal::new(None::<i64>);
    let load = move |before: Option<String>, pages: usize| {
        let source = Source::of(ctx);
        local.set(source.is_local());
        if source.is_local() {
            // This tab's newest changes go to its local history with the save.
            if let Some(persistence) = use_context::<crate::ui::editor::persist::Persistence>() {
                persistence.save_now();
            }
        }
        busy.set(true);
        let this = opening.get_value();
        leptos::task::spawn_local(async move {
            let mut before = before;
            for _ in 0..pages {
                if opening.try_get_value() != Some(this) {
                    return;
                }
                let answer = source.page(None, before.as_deref(), PAGE).await;
                if opening.try_get_value() != Some(this) {
                    return;
                }
                match answer {
                    Ok(page) => {
                        entries.update(|e| e.extend(page.entries));
                        next.set(page.next.clone());
                        kept_since.set(page.kept_since);
                        before = page.next;
                        if before.is_none() {
                            break;
                        }
                    }
                    Err(message) => {
                        error.set(Some(message));
                        break;
                    }
                }
            }
            busy.set(false);
        });
    };
    // The history was folded: its oldest batch kept is not the plan as shared.
    let folded = RwSignal::new(false);
    let load_named = move || {
        let source = Source::of(ctx);
        let this = opening.get_value();
        leptos::task::spawn_local(async move {
            let answer = source.versions().await;
            if opening.try_get_value() == Some(this) {
                if let Ok((list, restorable_from)) = answer {
                    // A version named since this list was asked for stays (the answer may
                    // have left the server before it was named).
                    named.update(|shown| {
                        for version in list {
                            if !shown.iter().any(|v| v.seq == version.seq) {
                                shown.push(version);
                            }
                        }
                        shown.sort_by_key(|v| std::cmp::Reverse(v.seq));
                    });
                    folded.set(restorable_from > 0);
                }
            }
        });
    };
    Effect::new(move |_| {
        if grid.plan_history.get() {
            opening.update_value(|n| *n += 1);
            entries.set(Vec::new());
            update.set(None);
            error.set(None);
            local.set(false);
            kept_since.set(None);
            folded.set(false);
            preview.set(None);
            named.set(Vec::new());
            name_error.set(None);
            load(None, FIRST_PAGES);
            load_named();
        }
    });
    // Reads the plan as it was at `seq` and shows it.
    let open_version = move |seq: u64| {
        let source = Source::of(ctx);
        error.set(None);
        let this = opening.get_value();
        leptos::task::spawn_local(async move {
            let answer = source.version(seq).await;
            if opening.try_get_value() != Some(this) {
                return;
            }
            match answer {
                Ok(version) => preview.set(Some(version)),
                Err(message) => error.set(Some(message)),
            }
        });
    };
    // Names the point `seq` (now when `None`) `text`; a refusal goes to `problem`, and
    // `named` keeps the list sorted newest first.
    let name_point =
        move |seq: Option<u64>, text: RwSignal<String>, problem: RwSignal<Option<String>>| {
            let source = Source::of(ctx);
            let name = text.get_untracked().trim().to_owned();
            if name.is_empty() {
                problem.set(Some(
                    "Type a name for this version, such as “Sent to eng review”.".into(),
                ));
                return;
            }
            problem.set(None);
            let by = if source.is_local() {
                String::new()
            } else {
                crate::ui::editor::live::use_live().shown_name()
            };
            leptos::task::spawn_local(async move {
                let asked = NameVersion { name, by, seq };
                match source.name(asked).await {
                    Ok(version) => {
                        ctx.announce(format!("This version is named “{}”.", version.name));
                        text.set(String::new());
                        // Only the preview of that point changes (the list stays as it is,
                        // with what the person opened).
                        let shown = preview
                            .with_untracked(|p| p.as_ref().is_some_and(|p| p.seq == version.seq));
                        if shown {
                            preview.update(|p| {
                                if let Some(p) = p.as_mut() {
                                    p.name = Some(version.name.clone());
                                }
                            });
                        }
                        named.update(|list| {
                            list.retain(|v| v.seq != version.seq);
                            list.push(version);
                            list.sort_by_key(|v| std::cmp::Reverse(v.seq));
                        });
                    }
                    Err(message) => problem.set(Some(message)),
                }
            });
        };
    let name_now = move |_: ()| name_point(None, name_text, name_error);
    // Open once both the wish and the dialog are there (this part may load after the click).
    open_when(dialog, move || grid.plan_history.get());
    // The status update's start: a number of days back, or a named version ("v<seq>").
    let period = RwSignal::new("7".to_owned());
    let copy_update = move |plain: bool| {
        let now = js_sys::Date::now() as i64;
        let chosen = period.get_untracked();
        let named_start = chosen
            .strip_prefix('v')
            .and_then(|seq| seq.parse::<u64>().ok())
            .and_then(|seq| {
                named.with_untracked(|list| list.iter().find(|v| v.seq == seq).cloned())
            });
        let (since, words) = match named_start {
            Some(v) => (
                v.at,
                format!(
                    "“{}” ({})",
                    v.name,
                    crate::browser::dom::local_time(v.at as f64)
                ),
            ),
            None => {
                let days: i64 = chosen.parse().unwrap_or(7);
                let since = now - days * DAY_MS;
                (since, crate::browser::dom::local_time(since as f64))
            }
        };
        let complete = next.with_untracked(Option::is_none);
        let markdown =
            entries.with_untracked(|e| status_update(&ctx.snapshot(), e, complete, since, &words));
        let text = if plain {
            plain_text(&markdown)
        } else {
            markdown.clone()
        };
        update.set(Some(text.clone()));
        leptos::task::spawn_local(async move {
            let html = format!("<div>{}</div>", crate::model::escape_html(&text));
            match crate::browser::clipboard::copy_text_and_html(&text, &html).await {
                Ok(()) => {
                    ctx.announce("Status update copied: paste it where the team reads it.".into())
                }
                Err(_) => ctx.announce("Select the status update below and copy it.".into()),
            }
        });
    };
    // Takes back one session's changes (`first`..=`last` of the log), keeping what others
    // changed since: the plan just before and just after it, against the plan now.
    let take_back = move |who: String, (first, last): (u64, u64), at: i64| {
        let source = Source::of(ctx);
        error.set(None);
        leptos::task::spawn_local(async move {
            let before = source.version(first - 1).await;
            let after = source.version(last).await;
            let (before, after) = match (before, after) {
                (Ok(before), Ok(after)) => (before, after),
                (Err(message), _) | (_, Err(message)) => {
                    error.set(Some(message));
                    return;
                }
            };
            let r = revert::revert(&ctx.snapshot(), &before.plan, &after.plan);
            if r.undone == 0 {
                error.set(Some(format!(
                    "Nothing to take back: everything {who} changed then was changed again since."
                )));
                return;
            }
            if ctx.replace_rows(Some(r.plan.title.clone()), r.plan.rows) {
                let kept = match r.kept {
                    0 => String::new(),
                    1 => " 1 change made again since was kept.".to_owned(),
                    n => format!(" {n} changes made again since were kept."),
                };
                ctx.announce(format!(
                    "{who}'s changes of {} are taken back ({} changes).{kept} Press Control+Z to undo.",
                    when(at),
                    r.undone
                ));
                if let Some(d) = dialog.get_untracked() {
                    d.close();
                }
            }
        });
    };
    let list = move || {
        let all = entries.get();
        let plan = ctx.snapshot();
        let complete = next.with(Option::is_none) && !folded.get();
        sessions(&all, complete)
            .into_iter()
            .map(|s| {
                let colour = super::live_bar::PEER_COLOURS
                    [usize::from(crate::shared::wire::colour_of_name(&s.who)) % super::live_bar::PEER_COLOURS.len()];
                let newest = s.entries.first().map(|(e, _)| e.at).unwrap_or_default();
                let seq = s.entries.first().map(|(e, _)| e.seq).unwrap_or_default();
                let first = s.entries.last().map(|(e, _)| e.seq).unwrap_or(1).max(1);
                let count = s.entries.len();
                let complete = next.with_untracked(Option::is_none) && !folded.get_untracked();
                let baseline = s.entries.iter().all(|(e, _)| is_baseline(&all, complete, e));
                let head = if baseline && local.get_untracked() {
                    format!("{} · {} · the history kept here begins: the plan as it was", s.who, when(newest))
                } else if baseline {
                    format!("{} · {} · editing together turned on: the plan as it was", s.who, when(newest))
                } else {
                    format!(
                        "{} · {} · {}",
                        s.who,
                        when(newest),
                        if count == 1 { "1 change".to_owned() } else { format!("{count} changes") }
                    )
                };
                let items = s
                    .entries
                    .iter()
                    .map(|(e, from)| {
                        let text = describe(&plan, &all, e, from.as_deref());
                        let gone = e.field == "alive"
                            && e.value == "0"
                            && !plan.rows.iter().any(|r| r.id.as_str() == e.row);
                        let row = RowId::from(e.row.as_str());
                        view! {
                            <li>
                                {text}
                                {gone.then(|| view! {
                                    <button type="button" class="button" on:click=move |_| {
                                        bring_back(ctx, &row);
                                    }>"Bring back"</button>
                                })}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <li class="history-session">
                        <details>
                            <summary>
                                <span class="peer-dot" style:background=colour aria-hidden="true"></span>
                                {head}
                            </summary>
                            <ul>{items}</ul>
                            <button type="button" class="button" on:click=move |_| open_version(seq)>
                                {match (baseline, local.get_untracked()) {
                                    (true, true) => "Preview the plan as it was then",
                                    (true, false) => "Preview the plan as shared",
                                    _ => "Preview the plan after these changes",
                                }}
                            </button>
                            {(!baseline).then(|| {
                                let who = s.who.clone();
                                view! {
                                    <button type="button" class="button" on:click=move |_| take_back(who.clone(), (first, seq), newest)>
                                        "Take back these changes"
                                    </button>
                                }
                            })}
                        </details>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <dialog
            node_ref=dialog
            class="dialog plan-history"
            aria-labelledby="plan-history-title"
            on:close=move |_| grid.plan_history.set(false)
        >
            <form method="dialog">
                <h2 id="plan-history-title">"Plan history"</h2>
                {move || if let Some(version) = preview.get() {
                    view! {
                        <VersionPreview
                            version=version
                            back=Callback::new(move |_| preview.set(None))
                            name=Callback::new(move |(seq, text, problem)| name_point(Some(seq), text, problem))
                            done=Callback::new(move |_| {
                                if let Some(d) = dialog.get_untracked() {
                                    d.close();
                                }
                            })
                        />
                        {move || error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                    }.into_any()
                } else {
                    view! {
                        {move || if local.get() {
                            view! {
                                <p class="hint">
                                    "Changes made to this plan in this browser, newest first; open one "
                                    "to see what it changed, or preview the plan as it was then and "
                                    "restore it. The plan is not shared, so its history is kept in this "
                                    "browser only, and only its newest changes (about "
                                    {LOCAL_HISTORY_BYTES / 1024}
                                    " KB of them)."
                                </p>
                            }.into_any()
                        } else {
                            view! {
                                <p class="hint">
                                    "Changes by person and time, newest first; open one to see what it "
                                    "changed, or preview the plan as it was then and restore it. Names "
                                    "are the ones people gave when they joined."
                                </p>
                            }.into_any()
                        }}
                        {move || kept_since.get().filter(|_| local.get()).map(|at| view! {
                            <p class="hint" data-testid="history-dropped">
                                {format!(
                                    "Changes before {} are no longer kept: to leave room for your \
                                     plans, this browser drops the oldest changes first.",
                                    crate::browser::dom::local_time(at as f64)
                                )}
                            </p>
                        })}
                        <NameField
                            id="version-name"
                            label="Name the plan as it is now"
                            button="Name this version"
                            hint="Named versions are kept however old they get."
                            text=name_text
                            error=name_error
                            name=Callback::new(name_now)
                        />
                        {move || (!named.with(Vec::is_empty)).then(|| view! {
                            <h3>"Named versions"</h3>
                            <ul class="named-versions" data-testid="named-versions">
                                {named.get().into_iter().map(|v| {
                                    let by = if v.by.is_empty() { String::new() } else { format!(" · {}", v.by) };
                                    let seq = v.seq;
                                    view! {
                                        <li>
                                            {format!("“{}”{by} · {}", v.name, when(v.at))}
                                            <button type="button" class="button" on:click=move |_| open_version(seq)>
                                                "Preview"
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })}
                        <div class="status-update-row">
                            <label for="update-since">"Status update: changes since"</label>
                            <select
                                id="update-since"
                                prop:value=move || period.get()
                                on:change=move |ev| period.set(event_target_value(&ev))
                            >
                                <option value="1">"24 hours ago"</option>
                                <option value="7" selected>"7 days ago"</option>
                                <option value="30">"30 days ago"</option>
                                {move || named.get().into_iter().map(|v| view! {
                                    <option value=format!("v{}", v.seq)>{format!("“{}”", v.name)}</option>
                                }).collect_view()}
                            </select>
                            <button type="button" class="button" on:click=move |_| copy_update(false)>
                                "Copy as Markdown"
                            </button>
                            <button type="button" class="button" on:click=move |_| copy_update(true)>
                                "Copy as text for chat"
                            </button>
                        </div>
                        {move || update.get().map(|text| view! {
                            <label for="status-update">"Status update"</label>
                            <textarea id="status-update" readonly rows="8">{text}</textarea>
                        })}
                        {move || error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                        {move || (busy.get() && entries.with(Vec::is_empty)).then(|| view! { <p role="status">"Loading the history…"</p> })}
                        {move || (!busy.get() && error.with(Option::is_none) && entries.with(Vec::is_empty)).then(|| view! {
                            <p>{if local.get() {
                                "No changes kept yet: the changes you make to this plan are listed here."
                            } else {
                                "No changes yet since the plan has been edited together."
                            }}</p>
                        })}
                        <ol class="history-sessions" data-testid="plan-history">{list}</ol>
                        {move || next.get().map(|before| view! {
                            <button type="button" class="button" on:click=move |_| load(Some(before.clone()), 1)>
                                "Show older changes"
                            </button>
                        })}
                    }.into_any()
                }}
                <div class="dialog-actions">
                    <button type="submit" class="button" value="close">"Close"</button>
                </div>
            </form>
        </dialog>
    }
}
