use super::head::{page_head, SiteHeader};
use crate::browser::dom;
use crate::model::MAX_TITLE_CHARS;
use crate::template::{self, INTRO, PAGE_TITLE};
use crate::ui::editor::grid::provide_grid;
use crate::ui::editor::live::provide_live;
use crate::ui::editor::persist::provide_persistence;
use crate::ui::editor::state::{provide_plan_context, use_plan};
use crate::ui::widgets::faq_list::FaqList;
use crate::ui::widgets::lazy_dialogs::LazyDialogs;
use crate::ui::widgets::live_bar::LiveBar;
use crate::ui::widgets::notice_banner::NoticeBanner;
use crate::ui::widgets::plan_switcher::PlanSwitcher;
use crate::ui::widgets::plan_table::PlanTable;
use crate::ui::widgets::readiness_summary::ReadinessSummary;
use crate::ui::widgets::shortcuts;
use crate::ui::widgets::table_filters::TableFilters;
use crate::ui::widgets::toolbar::Toolbar;
use crate::ui::widgets::welcome::Welcome;
use crate::ui::widgets::whole_plan::provide_whole_plan;
use leptos::prelude::*;
use std::time::Duration;

/// `/`: the editable planning template with the FAQ beside it.
#[component]
pub fn EditorPage() -> impl IntoView {
    // Server and first client render show the template; stored edits arrive after hydration.
    // The editor's parts: the state, then what subscribes to it.
    let ctx = provide_plan_context(template::default_plan(), false);
    provide_grid(ctx);
    let persistence = provide_persistence(ctx);
    let live = provide_live(ctx);
    provide_whole_plan(live);
    Effect::new(move |_| {
        dom::mark("syncplan:hydrated");
        untrack(|| {
            persistence.load();
            shortcuts::install(ctx, persistence);
            live.start(ctx);
        });
        // Ready once every stored row is on the page (the table adds long plans in steps).
        set_timeout(move || ctx.loaded.set(true), Duration::ZERO);
    });
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) || !ctx.loaded.get() || !ctx.fully_rendered.get() {
            return done.unwrap_or(false);
        }
        dom::mark_ready();
        dom::register_service_worker();
        true
    });
    page_head(format!("{PAGE_TITLE} · syncplan"), Some(INTRO), false);
    view! {
        <a class="skip-link" href="#plan">"Skip to the plan"</a>
        <SiteHeader/>
        <main id="main" class="editor">
            <div class="intro">
                // A plan edited together is the team's plan: its title heads the page, and
                // the intro says where changes go.
                <h1>{move || if live.shared.get() { ctx.title.get() } else { PAGE_TITLE.to_owned() }}</h1>
                <p class="lead">
                    {move || if live.shared.get() {
                        "Edited together: every change you make goes to everyone with the edit link as you make it, and a copy stays in this browser for offline work.".to_owned()
                    } else {
                        INTRO.to_owned()
                    }}
                </p>
            </div>
            <EditLinkNoScript/>
            <NoticeBanner/>
            <div class="layout">
                <section class="plan" id="plan" aria-label="Plan">
                    <div class="plan-head">
                        <PlanTitle/>
                        <PlanSwitcher/>
                    </div>
                    <LiveBar/>
                    <Toolbar/>
                    <ReadinessSummary/>
                    <TableFilters/>
                    <PlanTable/>
                    <KeyboardHelp/>
                    <LazyDialogs/>
                    <Welcome/>
                </section>
                <aside class="guidance">
                    <FaqList/>
                </aside>
            </div>
        </main>
        <div class="sr-only" role="status" aria-live="polite" data-testid="announcer">
            {move || ctx.announcement.get()}
        </div>
    }
}

/// The plan's title, editable. One line of text that wraps (a text area sized to its
/// content), so a long title is never cut off on a phone; Enter ends the edit.
#[component]
fn PlanTitle() -> impl IntoView {
    let ctx = use_plan();
    let initial = ctx.title.get_untracked();
    view! {
        <div class="plan-title-field">
            <label for="plan-title">"Plan title"</label>
            <textarea
                id="plan-title"
                class="plan-title"
                rows="1"
                maxlength=MAX_TITLE_CHARS
                autocomplete="off"
                spellcheck="true"
                prop:value=move || ctx.title.get()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    ctx.set_title(text.replace(['\r', '\n'], " "))
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        if let Some(el) = ev
                            .target()
                            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok())
                        {
                            let _ = el.blur();
                        }
                    }
                }
                on:blur=move |_| ctx.seal()
            >
                {initial}
            </textarea>
        </div>
    }
}

/// On an edit link (`/e/{share}`): without JavaScript, say that editing needs it and
/// link the read-only view.
#[component]
fn EditLinkNoScript() -> impl IntoView {
    let path = crate::ui::pages::head::current_path();
    match crate::shared::paths::Route::of(&path) {
        crate::shared::paths::Route::EditLink(id) => crate::shared::ShareId::parse(id),
        _ => None,
    }
    .map(|id| {
        let view_url = crate::shared::paths::share(&id);
        view! {
            <noscript>
                <div class="notice" role="alert">
                    <p>
                        "This is an edit link: editing a plan together needs JavaScript, "
                        "which is off in this browser. You can still "
                        <a href=view_url>"view the plan read-only"</a>
                        " (if its owner shares it)."
                    </p>
                </div>
            </noscript>
        }
    })
}

#[component]
fn KeyboardHelp() -> impl IntoView {
    view! {
        <details class="keyboard-help">
            <summary>"Keyboard shortcuts"</summary>
            <dl>
                <dt><kbd>"↑"</kbd>" "<kbd>"↓"</kbd>" "<kbd>"←"</kbd>" "<kbd>"→"</kbd></dt>
                <dd>"Move between cells (with Shift: select a range)"</dd>
                <dt><kbd>"Home"</kbd>" / "<kbd>"End"</kbd></dt>
                <dd>"First / last cell of the row (with Ctrl: of the table)"</dd>
                <dt><kbd>"Page Up"</kbd>" / "<kbd>"Page Down"</kbd></dt>
                <dd>"Ten rows up / down"</dd>
                <dt>"Type"</dt>
                <dd>"Replace the cell's text"</dd>
                <dt><kbd>"Enter"</kbd>" / "<kbd>"F2"</kbd></dt>
                <dd>"Edit the cell; while editing, Enter keeps the text and moves down (Shift+Enter: up)"</dd>
                <dt><kbd>"Tab"</kbd>" / "<kbd>"Shift+Tab"</kbd></dt>
                <dd>"Next / previous cell (while editing too)"</dd>
                <dt><kbd>"Alt+Enter"</kbd></dt>
                <dd>"A line break inside Notes"</dd>
                <dt><kbd>"Esc"</kbd></dt>
                <dd>"Cancel the edit (the cell gets its text back); clear the selection"</dd>
                <dt><kbd>"Delete"</kbd></dt>
                <dd>"Empty the selected cells"</dd>
                <dt><kbd>"Ctrl+C"</kbd>" / "<kbd>"Ctrl+X"</kbd>" / "<kbd>"Ctrl+V"</kbd></dt>
                <dd>"Copy, cut, paste cells (to and from Google Sheets, Excel, LibreOffice)"</dd>
                <dt><kbd>"Ctrl+A"</kbd></dt>
                <dd>"Select every cell (the active cell stays where it is)"</dd>
                <dt><kbd>"Alt+↑"</kbd>" / "<kbd>"Alt+↓"</kbd></dt>
                <dd>"Move the row up / down"</dd>
                <dt><kbd>"Ctrl+Alt+H"</kbd></dt>
                <dd>"The cell's edit history: every value it had, who wrote it and when (also on the cell's right-click menu)"</dd>
                <dt><kbd>"Ctrl+Alt+Shift+H"</kbd></dt>
                <dd>"The plan's history: changes by person and time, rows to bring back, a status update to copy"</dd>
                <dt><kbd>"Ctrl+Enter"</kbd></dt>
                <dd>"Insert a row below"</dd>
                <dt><kbd>"Ctrl+Shift+Backspace"</kbd></dt>
                <dd>"Delete the row (or every selected row)"</dd>
                <dt><kbd>"Ctrl+Z"</kbd>" / "<kbd>"Ctrl+Shift+Z"</kbd></dt>
                <dd>"Undo / redo (⌘ on a Mac)"</dd>
            </dl>
        </details>
    }
}
