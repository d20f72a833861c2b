//! The dialogs the first load does not need, in one chunk loaded when one of them first
//! opens: a cell's menu and edit history, the plan's history, "since you last looked", Notes
//! versions and the whole-plan question.

use super::cell_history::{CellHistoryDialog, CellMenu};
use super::lazy_part::lazy_view;
use super::notes_versions::NotesVersions;
use super::plan_history::PlanHistory;
use super::since_seen::SinceSeen;
use super::whole_plan::{use_whole_plan, WholePlanDialog};
use crate::model::PlanId;
use crate::ui::editor::grid::{use_grid, GridContext};
use crate::ui::editor::state::use_plan;
use leptos::prelude::*;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

/// Where the dialogs the first load does not need live: nothing until one is first asked
/// for (a cell's menu or history, a "2 versions" badge, a whole-plan question), then the
/// part loaded from its chunk.
#[component]
pub fn LazyDialogs() -> impl IntoView {
    let ctx = use_plan();
    let grid = use_grid();
    let whole = use_whole_plan();
    let started = RwSignal::new(false);
    // "Since you last looked": the log sequence this browser had seen of the open plan
    // edited together when it opened it, once per plan and page (later syncs move it on).
    let since = RwSignal::new(None::<(PlanId, u64)>);
    Effect::new(move |_| {
        ctx.switched.track();
        if !ctx.loaded.get() {
            return;
        }
        let active = ctx.active();
        if since.with_untracked(|s| s.as_ref().is_some_and(|(p, _)| *p == active)) {
            return;
        }
        let seen = ctx.with_session(|s| s.live(&active).map(|l| l.sync.seq));
        if let Some(seq) = seen.filter(|seq| *seq > 0) {
            since.set(Some((active, seq)));
            started.set(true);
        }
    });
    Effect::new(move |_| {
        if grid.history.with(Option::is_some)
            || grid.menu.with(Option::is_some)
            || grid.plan_history.get()
            || ctx.notes_choice.with(Option::is_some)
            || whole.asking()
        {
            started.set(true);
        }
    });
    move || {
        started
            .get()
            .then(|| lazy_view("dialog", move || dialogs(grid, since)))
    }
}

#[wasm_split(dialogs, fallible)]
fn dialogs(
    grid: GridContext,
    since: RwSignal<Option<(PlanId, u64)>>,
) -> Result<AnyView, SplitLoaderError> {
    Ok(view! {
        <CellMenu grid=grid/>
        <NotesVersions/>
        <WholePlanDialog/>
        <SinceSeen since=since/>
        <PlanHistory/>
        <CellHistoryDialog grid=grid/>
    }
    .into_any())
}
