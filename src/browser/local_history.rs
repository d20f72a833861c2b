//! The local histories of plans kept in this browser only, in local storage beside the
//! workspace (`syncplan.history.<plan>`). A history is never worth a save: it is written
//! after the workspace, a history that does not fit is folded or dropped, and the
//! workspace's save drops histories when the storage is full (`make_room`).
//!
//! Read and written by the lazily loaded `local_history` part (the first load does not need
//! it), in the shapes the server's history API answers with.

use crate::model::session::local_history::{over_total, LocalName};
use crate::model::{
    Field, LocalHistory, LocalStep, PlanId, PointError, RowId, Workspace, LOCAL_HISTORY_BYTES,
};
use crate::shared::api::{HistoryEntry, HistoryPage, NameVersion, NamedVersion, PlanVersion};
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

pub const HISTORY_PREFIX: &str = "syncplan.history.";

/// Characters all plans' local histories take in local storage at most (the site's storage
/// holds about 5 million); past it, other plans' histories go, the least recently edited
/// plan's first.
pub const LOCAL_HISTORY_TOTAL: usize = 2 * 1024 * 1024;

fn key(plan: &PlanId) -> String {
    format!("{HISTORY_PREFIX}{plan}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

thread_local! {
    /// The last history this tab wrote, with the text it wrote: read back without parsing
    /// while no other tab wrote it since.
    static LAST: RefCell<Option<(PlanId, String, LocalHistory)>> = const { RefCell::new(None) };
}

/// The plan's local history, if one is kept.
pub fn read(plan: &PlanId) -> Option<LocalHistory> {
    let raw = storage()?.get_item(&key(plan)).ok().flatten()?;
    let cached = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|(p, text, _)| p == plan && *text == raw)
            .map(|(_, _, h)| h.clone())
    });
    cached.or_else(|| serde_json::from_str(&raw).ok())
}

/// Writes `history` for `plan`: folded harder if the storage is full, dropped if even
/// that does not fit. Whether it was written.
fn put(storage: &web_sys::Storage, plan: &PlanId, mut history: LocalHistory) -> bool {
    for budget in [LOCAL_HISTORY_BYTES, LOCAL_HISTORY_BYTES / 8, 0] {
        history.bound(budget);
        let Ok(text) = serde_json::to_string(&history) else {
            break;
        };
        if storage.set_item(&key(plan), &text).is_ok() {
            LAST.set(Some((plan.clone(), text, history)));
            return true;
        }
    }
    let _ = storage.remove_item(&key(plan));
    false
}

/// Changes the plan's stored history with `change` (naming a version); the refusal's
/// sentence when it cannot.
pub fn update<R>(
    plan: &PlanId,
    change: impl FnOnce(&mut LocalHistory) -> Result<R, String>,
) -> Result<R, String> {
    let storage = storage().ok_or("This browser's local storage cannot be used.")?;
    let mut history = read(plan).ok_or("This plan has no history kept in this browser yet.")?;
    let answer = change(&mut history)?;
    if put(&storage, plan, history) {
        Ok(answer)
    } else {
        Err("There is no room left in this browser's storage to keep it.".into())
    }
}

/// Writes this tab's new steps into their plans' histories. Steps of plans no longer kept
/// here, or now edited together, are left out. The plans whose history had to go (the
/// storage was full), for a notice.
pub fn write(steps: Vec<LocalStep>, workspace: &Workspace) -> Vec<PlanId> {
    let Some(storage) = storage() else {
        return Vec::new();
    };
    let mut dropped = Vec::new();
    let mut plans: Vec<PlanId> = Vec::new();
    for step in &steps {
        if !plans.contains(&step.plan) {
            plans.push(step.plan.clone());
        }
    }
    for plan in plans {
        let Some(entry) = workspace.entry(&plan).filter(|e| e.live.is_none()) else {
            continue;
        };
        let mut history = read(&plan);
        for step in steps.iter().filter(|s| s.plan == plan) {
            if let Some(before) = &step.before {
                history = Some(LocalHistory::continue_from(history, before, step.at));
            }
            match history.as_mut() {
                Some(h) => h.record(step.at, step.ops.clone()),
                None => {
                    // The history was dropped (the storage was full) after this page began
                    // writing: it begins again with the plan as it is now.
                    history = Some(LocalHistory::new(entry.doc.clone(), step.at));
                    break;
                }
            }
        }
        if let Some(history) = history {
            if !put(&storage, &plan, history) {
                dropped.push(plan.clone());
            }
        }
    }
    keep_total(&storage, workspace, &mut dropped);
    dropped
}

/// Each history's plan and the characters it takes.
fn stored_sizes(storage: &web_sys::Storage) -> Vec<(PlanId, usize)> {
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter_map(|k| {
            let plan = PlanId(k.strip_prefix(HISTORY_PREFIX)?.to_owned());
            let value = js_sys::Reflect::get(storage, &k.as_str().into()).ok()?;
            let len = value.dyn_ref::<js_sys::JsString>()?.length() as usize;
            Some((plan, len + k.len()))
        })
        .collect()
}

/// Keeps all histories within `LOCAL_HISTORY_TOTAL`, dropping the histories of plans no
/// longer in the workspace first, then of the plans edited longest ago.
fn keep_total(storage: &web_sys::Storage, workspace: &Workspace, dropped: &mut Vec<PlanId>) {
    let mut sizes = stored_sizes(storage);
    sizes.retain(|(plan, _)| {
        let kept = workspace.entry(plan).is_some();
        if !kept {
            let _ = storage.remove_item(&key(plan));
        }
        kept
    });
    let edited = |plan: &PlanId| workspace.entry(plan).map_or(0, |e| e.doc.latest().wall);
    for plan in over_total(sizes, edited, LOCAL_HISTORY_TOTAL) {
        if storage.remove_item(&key(&plan)).is_ok() {
            dropped.push(plan);
        }
    }
}

/// Drops the largest local history to make room for the workspace; its plan, or `None`
/// when there is none left to drop.
pub fn make_room() -> Option<PlanId> {
    let storage = storage()?;
    let (plan, _) = stored_sizes(&storage).into_iter().max_by_key(|(_, n)| *n)?;
    storage.remove_item(&key(&plan)).ok()?;
    LAST.set(None);
    Some(plan)
}

/// What a local history's entries are written by: this browser's person.
pub const LOCAL_WRITER: &str = "You";

/// The plan's local history as one page (see `local_page`); empty when none is kept.
#[wasm_split(local_history, fallible)]
pub fn page(plan: PlanId, cell: Option<(RowId, Field)>) -> Result<HistoryPage, SplitLoaderError> {
    let cell = cell
        .as_ref()
        .map(|(row, field)| (row.as_str(), field.key()));
    Ok(match read(&plan) {
        Some(history) => local_page(&history, cell),
        None => HistoryPage {
            entries: Vec::new(),
            next: None,
            kept_since: None,
        },
    })
}

/// The plan as it was at point `seq` of its local history.
#[wasm_split(local_history, fallible)]
pub fn version(plan: PlanId, seq: u64) -> Result<Result<PlanVersion, String>, SplitLoaderError> {
    let Some(history) = read(&plan) else {
        return Ok(Err(
            "This plan has no history kept in this browser yet.".into()
        ));
    };
    Ok(history
        .plan_at(seq)
        .map(|plan| PlanVersion {
            seq,
            at: history.at_of(seq),
            name: history
                .named
                .iter()
                .find(|n| n.seq == seq)
                .map(|n| n.name.clone()),
            plan,
        })
        .map_err(|e| match e {
            PointError::Dropped => {
                "That point is no longer kept in this browser: only the newest changes are."
                    .to_owned()
            }
            PointError::Ahead => "That point has not been reached yet.".to_owned(),
        }))
}

/// The named versions of the plan's local history, newest first.
#[wasm_split(local_history, fallible)]
pub fn versions(plan: PlanId) -> Result<Vec<NamedVersion>, SplitLoaderError> {
    Ok(read(&plan)
        .map(|h| h.named.iter().map(named).collect())
        .unwrap_or_default())
}

/// Names a point of the plan's local history (now when `asked.seq` is `None`).
#[wasm_split(local_history, fallible)]
pub fn name(
    plan: PlanId,
    asked: NameVersion,
) -> Result<Result<NamedVersion, String>, SplitLoaderError> {
    let at = js_sys::Date::now() as i64;
    Ok(update(&plan, |h| {
        h.name(asked.seq, &asked.name, &asked.by, at).map(named)
    }))
}

fn named(n: &LocalName) -> NamedVersion {
    NamedVersion {
        seq: n.seq,
        name: n.name.clone(),
        by: n.by.clone(),
        at: n.at,
    }
}

/// A local history as one page, newest first (it is bounded, so it is read whole); of one
/// cell (`(row, field key)`) or of the whole plan. Its oldest entries are the plan as the
/// history began (the base, every register at its point), as a shared plan's history
/// begins with the plan as shared: what the first changes changed from.
pub fn local_page(history: &LocalHistory, cell: Option<(&str, &str)>) -> HistoryPage {
    let mut entries = Vec::new();
    let base = history.base.ops();
    let steps = history.steps.iter().rev().map(|s| (s.seq, s.at, &s.ops));
    let began = std::iter::once((history.from, history.from_at, &base));
    for (seq, at, ops) in steps.chain(began) {
        for (i, op) in ops.iter().enumerate().rev() {
            let (row, field) = op.register();
            if cell.is_some_and(|c| c != (row, field)) {
                continue;
            }
            entries.push(HistoryEntry {
                seq,
                op: i as u32,
                row: row.to_owned(),
                field: field.to_owned(),
                value: op.written(),
                replica: 0,
                name: LOCAL_WRITER.to_owned(),
                at,
            });
        }
    }
    HistoryPage {
        // Changes before the base point are no longer kept.
        kept_since: history.dropped.then_some(history.from_at),
        entries,
        next: None,
    }
}
