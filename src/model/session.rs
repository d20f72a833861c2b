//! A browser tab's editing session: the workspace, undo history per plan, and what this
//! tab changed since it last saved.
//!
//! Every plan is a replicated document (see `crdt`), and this tab is one replica of it:
//! edits are applied to the plan the editor shows and written to the document as stamped
//! registers. Another tab's newer save is merged register by register, like any other
//! replica's copy, so neither tab's edits are lost; a plan edited together also queues its
//! writes for the server.

pub mod history;
mod live;
pub mod local_history;
pub mod share_ids;
pub mod workspace;

use crate::model::crdt::edits::{mine_to_undo, ops_for_change};
use crate::model::crdt::{add_seen, Change as DocChange, Clock, Doc, Op, Seen, Stamp};
use crate::model::doc::edit::{Edit, EditError};
use crate::model::doc::ids::IdGen;
use crate::model::doc::plan::{Field, Plan, RowId};
use crate::model::session::history::History;
use crate::model::session::share_ids::{EditToken, ShareId};
use crate::model::session::workspace::{LiveLink, OwnedShare, PlanEntry, PlanId, Workspace};
use crate::model::sync::accept::{batch_id, Refusal, Why};
use crate::model::sync::{Batch, Logged, SyncState, Update};
use std::collections::HashMap;

/// A change this tab made and has not saved yet. Structural changes are replayed on top of
/// another tab's newer save; content merges through the documents.
#[derive(Clone, Debug, PartialEq)]
enum Change {
    /// The plan's content changed (its document carries it).
    Edit(PlanId),
    AddPlan(Box<PlanEntry>),
    RemovePlan(PlanId),
    SetShare(OwnedShare),
    RemoveShare(PlanId),
    /// The plan started or stopped being edited together (this tab's choice wins a merge).
    SetLive(PlanId),
    /// Only the "last used" pointer moved; there is nothing to replay.
    SetActive,
}

impl Change {
    /// Applies the change to `workspace`; false when it no longer applies.
    fn replay(&self, workspace: &mut Workspace) -> bool {
        match self {
            Change::Edit(plan) | Change::SetLive(plan) => workspace.entry(plan).is_some(),
            Change::AddPlan(entry) => {
                let new = workspace.entry(&entry.id).is_none();
                if new {
                    workspace.plans.push((**entry).clone());
                }
                new
            }
            Change::RemovePlan(id) => {
                let before = workspace.plans.len();
                workspace.plans.retain(|e| &e.id != id);
                workspace.shares.retain(|s| &s.plan != id);
                workspace.plans.len() != before
            }
            Change::SetShare(share) => {
                if workspace.entry(&share.plan).is_none() {
                    return false;
                }
                workspace.shares.retain(|s| s.plan != share.plan);
                workspace.shares.push(share.clone());
                true
            }
            Change::RemoveShare(plan) => {
                workspace.shares.retain(|s| &s.plan != plan);
                true
            }
            Change::SetActive => true,
        }
    }
}

/// What a message from the server did to a live plan.
#[derive(Debug, PartialEq, Eq)]
pub enum Remote {
    /// Nothing shown changed.
    Nothing,
    /// These cells (or the order, or the title) changed.
    Changed(Vec<DocChange>),
    /// Show the plan afresh.
    Rebuild,
}

#[derive(Clone, Debug)]
pub struct Session {
    workspace: Workspace,
    histories: HashMap<PlanId, History>,
    pending: Vec<Change>,
    ids: IdGen,
    /// This tab's clock; its replica id tells this tab's writes from everyone else's.
    clock: Clock,
    now_ms: u64,
    /// This tab's secret: the server takes batches in this replica's name only with it.
    key: u64,
    /// The last batch counter used, per live plan. The replica is new with every page
    /// load, so counters start at 1 and never repeat (batches are `accept::batch_id`).
    counters: HashMap<PlanId, u32>,
    /// The cell being typed in, with what the writer had seen when typing began.
    typing: Option<Typing>,
    /// What this tab wrote to plans kept in this browser only, for their local history.
    recorded: Recorded,
}

/// Steps at most waiting to be written to local histories; past it a plan's history starts
/// again from its plan as it is then.
pub const MAX_RECORDED_STEPS: usize = 1_000;

/// A batch of ops this tab wrote to a plan kept in this browser only.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalStep {
    pub plan: PlanId,
    /// When (Unix ms).
    pub at: i64,
    pub ops: Vec<Op>,
    /// The plan's document before this tab's first write to it since the page loaded (or
    /// since it was last edited together): what the stored history must end with for
    /// these steps to follow it.
    pub before: Option<Doc>,
}

#[derive(Clone, Debug, Default)]
struct Recorded {
    steps: Vec<LocalStep>,
    /// Plans whose document before this page's first write is already among `steps` (a
    /// few: the plans of one workspace).
    began: Vec<PlanId>,
}

impl Recorded {
    /// Notes a batch about to be written to `entry` at `now` (before it is applied).
    fn note(&mut self, entry: &PlanEntry, now: u64, ops: &[Op]) {
        if entry.live.is_some() {
            // Its history is the server's; once it is no longer live, it begins again.
            self.began.retain(|p| p != &entry.id);
            return;
        }
        if ops.is_empty() {
            return;
        }
        if self.steps.len() >= MAX_RECORDED_STEPS {
            // Nothing takes them (local storage cannot be written): keep the newest only,
            // and histories start again from where they are.
            self.steps.clear();
            self.began.clear();
        }
        let before = (!self.began.contains(&entry.id)).then(|| {
            self.began.push(entry.id.clone());
            entry.doc.clone()
        });
        self.steps.push(LocalStep {
            plan: entry.id.clone(),
            at: now as i64,
            ops: ops.to_vec(),
            before,
        });
    }
}

/// A cell open in the editor. A Notes version written from it has seen what the cell held
/// when typing began (and this tab's own earlier keystrokes), not what arrived meanwhile:
/// text someone else wrote while this one typed is kept as a second version, never
/// silently written over.
#[derive(Clone, Debug)]
struct Typing {
    plan: PlanId,
    row: RowId,
    field: Field,
    base: u64,
    seen: Seen,
    /// The stamps the cell held when typing began (a Notes cell's versions).
    held: Vec<Stamp>,
}

impl Typing {
    /// This tab wrote `stamp` while typing: its next keystroke writes over it.
    fn seen_also(&mut self, stamp: Stamp) {
        add_seen(&mut self.seen, stamp);
    }
}

/// Ops of this tab the server did not take, and the plan as this tab showed it just before
/// they were taken out.
#[derive(Clone, Debug, PartialEq)]
pub struct NotKept {
    pub ops: Vec<(Op, Why)>,
    pub before: Plan,
}

impl Session {
    pub fn new(workspace: Workspace, seed: u64) -> Session {
        // Never 0 (the server's and unedited content's replica).
        let replica = ((seed >> 32) as u32 ^ seed as u32).max(1);
        Session {
            workspace,
            histories: HashMap::new(),
            pending: Vec::new(),
            ids: IdGen::new(seed),
            clock: Clock::new(replica),
            now_ms: 0,
            key: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) | 1,
            counters: HashMap::new(),
            typing: None,
            recorded: Recorded::default(),
        }
    }

    /// Tells the session the time (milliseconds since the epoch) for the stamps of the
    /// edits that follow.
    pub fn set_time(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
    }

    /// This tab's replica id.
    pub fn replica(&self) -> u32 {
        self.clock.replica
    }

    /// This tab's secret for its batches (see `Batch::key`).
    pub fn key(&self) -> u64 {
        self.key
    }

    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    pub fn plan(&self, id: &PlanId) -> Option<&Plan> {
        self.workspace.plan(id)
    }

    pub fn entry(&self, id: &PlanId) -> Option<&PlanEntry> {
        self.workspace.entry(id)
    }

    pub fn active(&self) -> &PlanId {
        &self.workspace.active
    }

    /// A row id not used in the plan.
    pub fn new_row_id(&mut self, plan: &PlanId) -> RowId {
        let mut ids = self.new_row_ids(plan, 1);
        ids.pop().unwrap_or_else(|| RowId::from("r0"))
    }

    /// `n` row ids not used in the plan (nor by its deleted rows) nor among themselves.
    pub fn new_row_ids(&mut self, plan: &PlanId, n: usize) -> Vec<RowId> {
        let Session { workspace, ids, .. } = self;
        let existing = workspace.entry(plan);
        let mut fresh: Vec<RowId> = Vec::with_capacity(n);
        for _ in 0..n {
            let id = ids.row_id(|candidate| {
                existing.is_some_and(|e| e.doc.rows.contains_key(&RowId::from(candidate)))
                    || fresh.iter().any(|f| f.as_str() == candidate)
            });
            fresh.push(id);
        }
        fresh
    }

    /// Applies a user's edit: recorded for undo and queued for saving (and, for a live
    /// plan, for the server). Returns whether the plan changed.
    pub fn apply(&mut self, plan: &PlanId, edit: Edit) -> Result<bool, EditError> {
        let Session {
            workspace,
            clock,
            now_ms,
            typing,
            ..
        } = self;
        let entry = workspace
            .entry_mut(plan)
            .ok_or_else(|| EditError::NoSuchRow(RowId::from("")))?;
        // A cell or the title: compare just that, not the whole plan.
        let (old_row, old_plan) = match &edit {
            Edit::SetField { row, .. } => (entry.plan.row(row).cloned(), None),
            Edit::SetTitle(_) => (None, None),
            _ => (None, Some(entry.plan.clone())),
        };
        let old_title = entry.plan.title.clone();
        let forward = edit.clone();
        let Some(inverse) = entry.plan.apply(edit)? else {
            return Ok(false);
        };
        let now = *now_ms;
        let base = entry.live.as_ref().map_or(0, |l| l.sync.seq);
        let mut stamp = || clock.tick(now);
        let mut ops = match (old_plan, old_row) {
            (Some(before), _) => {
                ops_for_change(&entry.doc, &before, &entry.plan, None, base, &mut stamp)
            }
            (None, Some(old)) => {
                let new = entry.plan.row(&old.id).cloned();
                let before = Plan::new(old_title, vec![old]);
                let after = Plan::new(entry.plan.title.clone(), new.into_iter().collect());
                let id = [before.rows[0].id.clone()];
                ops_for_change(&entry.doc, &before, &after, Some(&id), base, &mut stamp)
            }
            (None, None) => {
                let before = Plan::new(old_title, vec![]);
                let after = Plan::new(entry.plan.title.clone(), vec![]);
                ops_for_change(&entry.doc, &before, &after, Some(&[]), base, &mut stamp)
            }
        };
        // Typed into an open Notes editor: what the writer saw is what the cell held when
        // typing began, and this tab's keystrokes since.
        if let Some(t) = typing.as_mut().filter(|t| &t.plan == plan) {
            for op in &mut ops {
                if let Op::Notes { row, version } = op {
                    if *row == t.row && t.field == Field::Notes {
                        version.base = t.base;
                        version.seen = t.seen.clone();
                        t.seen_also(version.stamp);
                    }
                }
            }
        }
        self.recorded.note(entry, now, &ops);
        write(entry, ops);
        self.histories
            .entry(plan.clone())
            .or_default()
            .record(&forward, inverse);
        self.pending.push(Change::Edit(plan.clone()));
        Ok(true)
    }

    /// Undoes the plan's last step; returns the edit that did it.
    pub fn undo(&mut self, plan: &PlanId) -> Option<Edit> {
        self.step(plan, true)
    }

    pub fn redo(&mut self, plan: &PlanId) -> Option<Edit> {
        self.step(plan, false)
    }

    /// Undo and redo take back this tab's own writes only: a cell someone else wrote since
    /// keeps their value.
    fn step(&mut self, plan: &PlanId, undo: bool) -> Option<Edit> {
        let Session {
            workspace,
            histories,
            clock,
            now_ms,
            pending,
            recorded,
            ..
        } = self;
        let history = histories.get_mut(plan)?;
        let entry = workspace.entry_mut(plan)?;
        let mine = clock.replica;
        loop {
            let edit = if undo {
                history.pop_undo()?
            } else {
                history.pop_redo()?
            };
            let mut after = entry.plan.clone();
            // A step fails when another replica removed what it refers to: skip it.
            let Ok(Some(inverse)) = after.apply(edit.clone()) else {
                continue;
            };
            let now = *now_ms;
            let base = entry.live.as_ref().map_or(0, |l| l.sync.seq);
            let ops = ops_for_change(&entry.doc, &entry.plan, &after, None, base, &mut || {
                clock.tick(now)
            });
            let total = ops.len();
            let ops: Vec<Op> = ops
                .into_iter()
                .filter(|op| mine_to_undo(&entry.doc, op, mine))
                .collect();
            if ops.is_empty() {
                // Everything it would undo was rewritten by someone else since.
                continue;
            }
            let partial = ops.len() < total;
            recorded.note(entry, now, &ops);
            write(entry, ops);
            if partial {
                entry.plan = entry.doc.plan();
            } else {
                entry.plan = after;
            }
            if undo {
                history.push_redo(inverse);
            } else {
                history.push_undo(inverse);
            }
            pending.push(Change::Edit(plan.clone()));
            return Some(edit);
        }
    }

    /// Forgets the last undo step when undoing it would change nothing (a run of typing
    /// that ended where it began, e.g. cancelled with Escape).
    pub fn drop_empty_step(&mut self, plan: &PlanId) {
        let Some(target) = self.workspace.plan(plan) else {
            return;
        };
        if let Some(history) = self.histories.get_mut(plan) {
            history.drop_last_if(|edit| {
                let mut probe = target.clone();
                matches!(probe.apply(edit.clone()), Ok(None))
            });
        }
    }

    /// Ends a run of typing so the next keystroke is a new undo step.
    pub fn seal(&mut self, plan: &PlanId) {
        if let Some(h) = self.histories.get_mut(plan) {
            h.seal();
        }
    }

    pub fn can_undo(&self, plan: &PlanId) -> bool {
        self.histories.get(plan).is_some_and(History::can_undo)
    }

    pub fn can_redo(&self, plan: &PlanId) -> bool {
        self.histories.get(plan).is_some_and(History::can_redo)
    }

    fn change(&mut self, change: Change) {
        if change.replay(&mut self.workspace) {
            self.pending.push(change);
        }
    }

    /// Adds a plan to the workspace (not opening it) and returns its id.
    pub fn add_plan(&mut self, plan: Plan) -> PlanId {
        let id = self.workspace.fresh_plan_id(&mut self.ids);
        self.change(Change::AddPlan(Box::new(PlanEntry::new(id.clone(), plan))));
        id
    }

    /// Removes a plan and forgets its link. The workspace is never left empty: removing the
    /// last plan leaves a fresh copy of `replacement`.
    pub fn remove_plan(&mut self, id: &PlanId, replacement: impl FnOnce() -> Plan) {
        self.change(Change::RemovePlan(id.clone()));
        self.histories.remove(id);
        if self.workspace.plans.is_empty() {
            let fresh = self.add_plan(replacement());
            self.workspace.active = fresh;
        } else if self.workspace.plan(&self.workspace.active).is_none() {
            self.workspace.active = self.workspace.plans[0].id.clone();
        }
    }

    /// Opens another plan of the workspace.
    pub fn set_active(&mut self, id: &PlanId) -> bool {
        if self.workspace.plan(id).is_none() || &self.workspace.active == id {
            return false;
        }
        self.workspace.active = id.clone();
        self.pending.push(Change::SetActive);
        true
    }

    pub fn set_share(&mut self, share: OwnedShare) {
        self.change(Change::SetShare(share));
    }

    pub fn remove_share(&mut self, plan: &PlanId) {
        self.change(Change::RemoveShare(plan.clone()));
    }

    pub fn has_unsaved(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The batches written to plans kept in this browser only since last asked, for their
    /// local histories (oldest first).
    pub fn take_local_steps(&mut self) -> Vec<LocalStep> {
        std::mem::take(&mut self.recorded.steps)
    }

    /// Everything up to now is saved.
    pub fn mark_saved(&mut self) {
        self.pending.clear();
    }

    /// Takes another tab's newer workspace and merges this tab's copy into it: plans added
    /// or removed here are added or removed there, and each plan both hold is merged
    /// register by register, so neither side's edits are lost. This tab keeps its open
    /// plan when it still exists.
    pub fn adopt(&mut self, newer: Workspace) {
        let active = self.workspace.active.clone();
        let mut mine: HashMap<PlanId, PlanEntry> = std::mem::replace(&mut self.workspace, newer)
            .plans
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect();
        let pending = std::mem::take(&mut self.pending);
        let set_live: Vec<PlanId> = pending
            .iter()
            .filter_map(|c| match c {
                Change::SetLive(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        for change in pending {
            if change.replay(&mut self.workspace) {
                self.pending.push(change);
            }
        }
        for entry in &mut self.workspace.plans {
            if let Some(my_copy) = mine.remove(&entry.id) {
                let mine_decides = set_live.contains(&entry.id);
                let before = entry.clone();
                merge_entry(entry, my_copy, mine_decides);
                // This tab held something the newer copy lacks (two tabs saved at once and
                // the other won the tie): the merged plan is written again.
                let edited = Change::Edit(entry.id.clone());
                if *entry != before && !self.pending.contains(&edited) {
                    self.pending.push(edited);
                }
            }
        }
        if self.workspace.plan(&active).is_some() {
            self.workspace.active = active;
        } else if self.workspace.plan(&self.workspace.active).is_none() {
            if let Some(first) = self.workspace.plans.first() {
                self.workspace.active = first.id.clone();
            }
        }
        let plans = &self.workspace.plans;
        self.histories
            .retain(|id, _| plans.iter().any(|entry| &entry.id == id));
    }

    // ----- typing in a cell -----

    /// The editor opened on a cell: remembers what the cell holds now, so what is typed is
    /// known to have been written over that, and not over what arrives meanwhile.
    pub fn begin_typing(&mut self, plan: &PlanId, row: &RowId, field: Field) {
        let Some(entry) = self.workspace.entry(plan) else {
            return;
        };
        let Some(held) = entry.doc.row(row) else {
            return;
        };
        let base = entry.live.as_ref().map_or(0, |l| l.sync.seq);
        let (base, seen) = held.notes.writer_context(base);
        self.typing = Some(Typing {
            plan: plan.clone(),
            row: row.clone(),
            field,
            base,
            seen,
            held: match field {
                Field::Notes => held.notes.versions.iter().map(|v| v.stamp).collect(),
                field => vec![held.stamp(field)],
            },
        });
    }

    /// The editor closed.
    pub fn end_typing(&mut self) {
        self.typing = None;
    }

    /// While typing: when someone else wrote the cell since typing began, the stamp of
    /// their write and the cell (so the editor can say who changed it under the person
    /// typing).
    pub fn changed_while_typing(&self) -> Option<(Stamp, RowId, Field)> {
        let t = self.typing.as_ref()?;
        let row = self.workspace.entry(&t.plan)?.doc.row(&t.row)?;
        let mine = self.clock.replica;
        let news = |s: &Stamp| s.replica != mine && !t.held.contains(s);
        let now = match t.field {
            // A version someone else wrote since: the latest of them.
            Field::Notes => row
                .notes
                .versions
                .iter()
                .map(|v| v.stamp)
                .filter(news)
                .max()?,
            field => Some(row.stamp(field)).filter(news)?,
        };
        Some((now, t.row.clone(), t.field))
    }

    /// Keeps one version of a Notes cell that holds several (or a merged text): written
    /// over all of them.
    pub fn resolve_notes(&mut self, plan: &PlanId, row: &RowId, text: String) -> bool {
        let Session {
            workspace,
            clock,
            now_ms,
            pending,
            recorded,
            ..
        } = self;
        let Some(entry) = workspace.entry_mut(plan) else {
            return false;
        };
        let Some(held) = entry.doc.row(row) else {
            return false;
        };
        let text = crate::model::doc::limits::clean_text(
            &text,
            crate::model::doc::limits::max_chars(Field::Notes),
        );
        let base = entry.live.as_ref().map_or(0, |l| l.sync.seq);
        let version = held.notes.write(text, clock.tick(*now_ms), base);
        let ops = vec![Op::Notes {
            row: row.clone(),
            version,
        }];
        recorded.note(entry, *now_ms, &ops);
        write(entry, ops);
        entry.plan = entry.doc.plan();
        pending.push(Change::Edit(plan.clone()));
        true
    }
}

/// Writes `ops` to the entry's document (and queues them for the server).
fn write(entry: &mut PlanEntry, ops: Vec<Op>) {
    for op in &ops {
        entry.doc.apply(op);
    }
    if let Some(live) = &mut entry.live {
        live.sync.local(ops);
    }
}

/// Merges my copy of a plan into theirs (another tab's newer save). `mine_decides`: this
/// tab started or stopped editing it together since its last save, so its choice stands.
fn merge_entry(theirs: &mut PlanEntry, mine: PlanEntry, mine_decides: bool) {
    let live = if mine_decides {
        mine.live.clone()
    } else {
        theirs.live.clone()
    };
    match live {
        None => {
            theirs.live = None;
            theirs.doc.merge(&mine.doc);
        }
        Some(mut link) => {
            // Both tabs' unconfirmed writes and the longer log.
            for other in [&theirs.live, &mine.live].into_iter().flatten() {
                if other.share == link.share {
                    link.sync.adopt(&other.sync);
                }
            }
            // Whatever either copy holds that the link's view lacks is written again.
            let mut view = link.sync.view();
            let mut extra: Vec<Op> = Vec::new();
            for doc in [&theirs.doc, &mine.doc] {
                for op in doc.ops() {
                    if view.take(&op) {
                        extra.push(op);
                    }
                }
            }
            link.sync.local(extra);
            theirs.doc = view;
            theirs.live = Some(link);
        }
    }
    theirs.plan = theirs.doc.plan();
}

#[cfg(test)]
mod tests;
