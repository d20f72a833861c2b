use super::export_panel::ExportPanel;
use super::faq_list::FaqList;
use super::notice_banner::NoticeBanner;
use super::plan_context::{provide_plan_context, use_plan};
use super::plan_switcher::PlanSwitcher;
use super::plan_table::PlanTable;
use super::readiness_summary::ReadinessSummary;
use super::shortcuts;
use super::table_filters::TableFilters;
use super::toolbar::Toolbar;
use crate::browser::dom;
use crate::model::MAX_TITLE_CHARS;
use crate::template::{self, INTRO, PAGE_TITLE};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use std::time::Duration;

/// `/`: the editable planning template with the FAQ beside it.
#[component]
pub fn EditorPage() -> impl IntoView {
    // Server and first client render show the template; stored edits arrive after hydration.
    let ctx = provide_plan_context(template::default_plan(), false);
    Effect::new(move |_| {
        dom::mark("syncplan:hydrated");
        untrack(|| {
            ctx.load_from_storage();
            shortcuts::install(ctx);
        });
        // After the DOM has caught up with the stored plan.
        set_timeout(
            || {
                dom::mark_ready();
                dom::register_service_worker();
            },
            Duration::ZERO,
        );
    });
    view! {
        <Title text=format!("{PAGE_TITLE} · syncplan")/>
        <Meta name="description" content=INTRO/>
        <a class="skip-link" href="#plan">"Skip to the plan"</a>
        <header class="site-header">
            <a class="brand" href="/">"syncplan"</a>
            <span class="tagline">"Plan reliable background sync for mobile apps"</span>
        </header>
        <main id="main" class="editor">
            <div class="intro">
                <h1>{PAGE_TITLE}</h1>
                <p class="lead">{INTRO}</p>
            </div>
            <NoticeBanner/>
            <div class="layout">
                <section class="plan" id="plan" aria-label="Plan">
                    <PlanSwitcher/>
                    <PlanTitle/>
                    <Toolbar/>
                    <ExportPanel/>
                    <ReadinessSummary/>
                    <TableFilters/>
                    <PlanTable/>
                    <KeyboardHelp/>
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

/// The plan's title, editable.
#[component]
fn PlanTitle() -> impl IntoView {
    let ctx = use_plan();
    let initial = ctx.title.get_untracked();
    view! {
        <div class="plan-title-field">
            <label for="plan-title">"Plan title"</label>
            <input
                id="plan-title"
                class="plan-title"
                type="text"
                value=initial
                maxlength=MAX_TITLE_CHARS
                autocomplete="off"
                prop:value=move || ctx.title.get()
                on:input=move |ev| ctx.set_title(event_target_value(&ev))
                on:blur=move |_| ctx.seal()
            />
        </div>
    }
}

#[component]
fn KeyboardHelp() -> impl IntoView {
    view! {
        <details class="keyboard-help">
            <summary>"Keyboard shortcuts"</summary>
            <dl>
                <dt><kbd>"Tab"</kbd>" / "<kbd>"Shift+Tab"</kbd></dt>
                <dd>"Next / previous cell"</dd>
                <dt><kbd>"Enter"</kbd>" / "<kbd>"Shift+Enter"</kbd></dt>
                <dd>"Same column, next / previous row (not in Notes)"</dd>
                <dt><kbd>"Esc"</kbd></dt>
                <dd>"Leave the cell"</dd>
                <dt><kbd>"Alt+↑"</kbd>" / "<kbd>"Alt+↓"</kbd></dt>
                <dd>"Move the row up / down"</dd>
                <dt><kbd>"Ctrl+Enter"</kbd></dt>
                <dd>"Insert a row below"</dd>
                <dt><kbd>"Ctrl+Shift+Backspace"</kbd></dt>
                <dd>"Delete the row"</dd>
                <dt><kbd>"Ctrl+Z"</kbd>" / "<kbd>"Ctrl+Shift+Z"</kbd></dt>
                <dd>"Undo / redo (⌘ on a Mac)"</dd>
            </dl>
        </details>
    }
}
