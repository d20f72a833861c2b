//! A browser tab's editing session: the workspace, undo history per plan, and the edits
//! not yet saved (so a newer copy from another tab can be adopted without losing them).

use super::edit::{Edit, EditError};
use super::history::History;
use super::ids::IdGen;
use super::plan::{Plan, RowId};
use super::workspace::{OwnedShare, PlanEntry, PlanId, Workspace};
use std::collections::HashMap;

/// A change this tab made and has not saved yet. Kept so that, when another tab saves a
/// newer copy first, these can be replayed on top of it.
#[derive(Clone, Debug)]
enum Change {
    Edit(PlanId, Edit),
    AddPlan(PlanEntry),
    RemovePlan(PlanId),
    SetShare(OwnedShare),
    RemoveShare(PlanId),
    /// Only the "last used" pointer moved; there is nothing to replay.
    SetActive,
}

impl Change {
    /// Applies the change to `workspace`; false when it no longer applies.
    fn replay(&self, workspace: &mut Workspace) -> bool {
        match self {
            Change::Edit(plan, edit) => workspace
                .plan_mut(plan)
                .is_some_and(|p| matches!(p.apply(edit.clone()), Ok(Some(_)))),
            Change::AddPlan(entry) => {
                let new = workspace.plan(&entry.id).is_none();
                if new {
                    workspace.plans.push(entry.clone());
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
                if workspace.plan(&share.plan).is_none() {
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

#[derive(Clone, Debug)]
pub struct Session {
    workspace: Workspace,
    histories: HashMap<PlanId, History>,
    pending: Vec<Change>,
    ids: IdGen,
}

impl Session {
    pub fn new(workspace: Workspace, seed: u64) -> Session {
        Session {
            workspace,
            histories: HashMap::new(),
            pending: Vec::new(),
            ids: IdGen::new(seed),
        }
    }

    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    pub fn plan(&self, id: &PlanId) -> Option<&Plan> {
        self.workspace.plan(id)
    }

    pub fn active(&self) -> &PlanId {
        &self.workspace.active
    }

    /// A row id not used in the plan.
    pub fn new_row_id(&mut self, plan: &PlanId) -> RowId {
        let mut ids = self.new_row_ids(plan, 1);
        ids.pop().unwrap_or_else(|| RowId::from("r0"))
    }

    /// `n` row ids not used in the plan nor among themselves.
    pub fn new_row_ids(&mut self, plan: &PlanId, n: usize) -> Vec<RowId> {
        let Session { workspace, ids, .. } = self;
        let existing = workspace.plan(plan);
        let mut fresh: Vec<RowId> = Vec::with_capacity(n);
        for _ in 0..n {
            let id = ids.row_id(|candidate| {
                existing.is_some_and(|p| p.rows.iter().any(|r| r.id.as_str() == candidate))
                    || fresh.iter().any(|f| f.as_str() == candidate)
            });
            fresh.push(id);
        }
        fresh
    }

    /// Applies a user's edit: recorded for undo and queued for saving. Returns whether the
    /// plan changed.
    pub fn apply(&mut self, plan: &PlanId, edit: Edit) -> Result<bool, EditError> {
        let target = self
            .workspace
            .plan_mut(plan)
            .ok_or_else(|| EditError::NoSuchRow(RowId::from("")))?;
        let forward = edit.clone();
        match target.apply(edit)? {
            None => Ok(false),
            Some(inverse) => {
                self.histories
                    .entry(plan.clone())
                    .or_default()
                    .record(&forward, inverse);
                self.pending.push(Change::Edit(plan.clone(), forward));
                Ok(true)
            }
        }
    }

    /// Undoes the plan's last step; returns the edit that did it.
    pub fn undo(&mut self, plan: &PlanId) -> Option<Edit> {
        self.step(plan, true)
    }

    pub fn redo(&mut self, plan: &PlanId) -> Option<Edit> {
        self.step(plan, false)
    }

    fn step(&mut self, plan: &PlanId, undo: bool) -> Option<Edit> {
        let history = self.histories.get_mut(plan)?;
        let target = self.workspace.plan_mut(plan)?;
        loop {
            let edit = if undo {
                history.pop_undo()?
            } else {
                history.pop_redo()?
            };
            // A step can fail only when another tab removed what it refers to: skip it.
            if let Ok(Some(inverse)) = target.apply(edit.clone()) {
                if undo {
                    history.push_redo(inverse);
                } else {
                    history.push_undo(inverse);
                }
                self.pending.push(Change::Edit(plan.clone(), edit.clone()));
                return Some(edit);
            }
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
        self.change(Change::AddPlan(PlanEntry {
            id: id.clone(),
            plan,
        }));
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

    /// Everything up to now is saved.
    pub fn mark_saved(&mut self) {
        self.pending.clear();
    }

    /// Takes another tab's newer workspace and replays this tab's unsaved changes on top of
    /// it, so neither side's work is lost. Changes that no longer apply (their row or plan
    /// is gone there) are dropped. This tab keeps its open plan when it still exists.
    pub fn adopt(&mut self, newer: Workspace) {
        let active = self.workspace.active.clone();
        self.workspace = newer;
        let pending = std::mem::take(&mut self.pending);
        for change in pending {
            if change.replay(&mut self.workspace) {
                self.pending.push(change);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{Field, Row};

    fn main() -> PlanId {
        PlanId("main".into())
    }

    fn session() -> Session {
        let rows = ["a", "b", "c"]
            .iter()
            .map(|id| Row {
                item: id.to_uppercase(),
                ..Row::blank(RowId::from(*id))
            })
            .collect();
        Session::new(Workspace::with_plan(Plan::new("P", rows)), 9)
    }

    fn type_into(s: &mut Session, row: &str, text: &str) {
        // One edit per keystroke, as the browser sends them.
        for n in 1..=text.len() {
            s.apply(
                &main(),
                Edit::SetField {
                    row: row.into(),
                    field: Field::Notes,
                    value: text[..n].into(),
                },
            )
            .unwrap();
        }
    }

    fn notes(s: &Session, row: usize) -> &str {
        &s.plan(&main()).unwrap().rows[row].notes
    }

    #[test]
    fn typing_in_one_cell_undoes_as_one_step() {
        let mut s = session();
        type_into(&mut s, "a", "hello");
        assert_eq!(notes(&s, 0), "hello");
        assert!(s.undo(&main()).is_some());
        assert_eq!(notes(&s, 0), "");
        assert!(!s.can_undo(&main()));
        assert!(s.redo(&main()).is_some());
        assert_eq!(notes(&s, 0), "hello");
    }

    #[test]
    fn cancelled_typing_leaves_no_empty_undo_step() {
        let mut s = session();
        type_into(&mut s, "a", "first");
        s.seal(&main());
        type_into(&mut s, "b", "typed then cancelled");
        // Escape puts the cell back as it was.
        s.apply(
            &main(),
            Edit::SetField {
                row: "b".into(),
                field: Field::Notes,
                value: String::new(),
            },
        )
        .unwrap();
        s.drop_empty_step(&main());
        assert_eq!(notes(&s, 1), "");
        // The next undo undoes the typing before, not a step that changes nothing.
        assert!(s.undo(&main()).is_some());
        assert_eq!(notes(&s, 0), "");
        // A step that does change something is kept.
        let mut s = session();
        type_into(&mut s, "a", "kept");
        s.drop_empty_step(&main());
        assert!(s.can_undo(&main()));
    }

    #[test]
    fn sealing_starts_a_new_step() {
        let mut s = session();
        type_into(&mut s, "a", "one");
        s.seal(&main());
        type_into(&mut s, "a", "one two");
        s.undo(&main());
        assert_eq!(notes(&s, 0), "one");
        s.undo(&main());
        assert_eq!(notes(&s, 0), "");
    }

    #[test]
    fn another_cell_starts_a_new_step() {
        let mut s = session();
        type_into(&mut s, "a", "x");
        type_into(&mut s, "b", "y");
        s.undo(&main());
        assert_eq!((notes(&s, 0), notes(&s, 1)), ("x", ""));
    }

    #[test]
    fn new_row_ids_are_unique() {
        let mut s = session();
        let ids = s.new_row_ids(&main(), 50);
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), 50);
        assert!(ids
            .iter()
            .all(|id| s.plan(&main()).unwrap().row(id).is_none()));
    }

    #[test]
    fn a_new_edit_clears_redo() {
        let mut s = session();
        s.apply(&main(), Edit::DeleteRow { row: "a".into() })
            .unwrap();
        s.undo(&main());
        assert!(s.can_redo(&main()));
        s.apply(&main(), Edit::SetTitle("T".into())).unwrap();
        assert!(!s.can_redo(&main()));
    }

    #[test]
    fn undo_and_redo_structural_edits_in_order() {
        let mut s = session();
        let id = s.new_row_id(&main());
        s.apply(
            &main(),
            Edit::InsertRow {
                at: 1,
                row: Row::blank(id.clone()),
            },
        )
        .unwrap();
        s.apply(
            &main(),
            Edit::MoveRow {
                row: id.clone(),
                to: 3,
            },
        )
        .unwrap();
        s.apply(&main(), Edit::DeleteRow { row: "a".into() })
            .unwrap();
        let order = |s: &Session| -> Vec<String> {
            s.plan(&main())
                .unwrap()
                .rows
                .iter()
                .map(|r| r.id.0.clone())
                .collect()
        };
        assert_eq!(order(&s), ["b", "c", id.as_str()]);
        s.undo(&main());
        assert_eq!(order(&s), ["a", "b", "c", id.as_str()]);
        s.undo(&main());
        assert_eq!(order(&s), ["a", id.as_str(), "b", "c"]);
        s.undo(&main());
        assert_eq!(order(&s), ["a", "b", "c"]);
        assert!(s.undo(&main()).is_none());
        s.redo(&main());
        s.redo(&main());
        s.redo(&main());
        assert_eq!(order(&s), ["b", "c", id.as_str()]);
    }

    #[test]
    fn undo_and_redo_are_saved_like_edits() {
        let mut s = session();
        s.apply(&main(), Edit::SetTitle("T".into())).unwrap();
        s.mark_saved();
        assert!(!s.has_unsaved());
        s.undo(&main());
        assert!(s.has_unsaved());
    }

    #[test]
    fn adopting_a_newer_copy_keeps_unsaved_edits() {
        let mut mine = session();
        let mut theirs = session();
        theirs
            .apply(&main(), Edit::DeleteRow { row: "c".into() })
            .unwrap();
        theirs
            .apply(
                &main(),
                Edit::SetField {
                    row: "b".into(),
                    field: Field::Owner,
                    value: "Bo".into(),
                },
            )
            .unwrap();
        type_into(&mut mine, "a", "mine");
        type_into(&mut mine, "c", "gone soon");

        mine.adopt(theirs.workspace().clone());
        let plan = mine.plan(&main()).unwrap();
        assert_eq!(plan.rows.len(), 2, "their delete stays");
        assert_eq!(plan.rows[1].owner, "Bo", "their edit stays");
        assert_eq!(plan.rows[0].notes, "mine", "my unsaved typing stays");
        assert!(mine.has_unsaved());
    }

    #[test]
    fn undo_skips_steps_whose_row_another_tab_deleted() {
        let mut s = session();
        type_into(&mut s, "a", "x");
        s.seal(&main());
        type_into(&mut s, "c", "y");
        s.mark_saved();
        let mut other = s.workspace().clone();
        other.plans[0].plan.rows.pop();
        s.adopt(other);
        assert!(s.undo(&main()).is_some());
        assert_eq!(notes(&s, 0), "", "the step on the deleted row was skipped");
    }

    #[test]
    fn plans_are_added_opened_and_removed() {
        let mut s = session();
        let copy = s.add_plan(Plan::new("Copy", vec![]));
        assert_ne!(copy, main());
        assert_eq!(s.active(), &main(), "adding does not open");
        assert!(s.set_active(&copy));
        assert_eq!(s.active(), &copy);
        s.remove_plan(&copy, || Plan::new("fresh", vec![]));
        assert_eq!(s.active(), &main());
        s.remove_plan(&main(), || Plan::new("fresh", vec![]));
        assert_eq!(s.workspace().plans.len(), 1, "never empty");
        assert_eq!(s.plan(s.active()).unwrap().title, "fresh");
    }

    #[test]
    fn a_plan_added_in_another_tab_survives_our_unsaved_edits() {
        let mut mine = session();
        // Another tab seeds its ids differently.
        let mut theirs = Session::new(session().workspace().clone(), 10);
        let copy = theirs.add_plan(Plan::new("Made a copy", vec![]));
        theirs.set_active(&copy);
        type_into(&mut mine, "a", "typing");
        let mine_added = mine.add_plan(Plan::new("Mine", vec![]));

        mine.adopt(theirs.workspace().clone());
        let titles: Vec<_> = mine
            .workspace()
            .plans
            .iter()
            .map(|e| e.plan.title.as_str())
            .collect();
        assert_eq!(titles, ["P", "Made a copy", "Mine"]);
        assert_eq!(mine.active(), &main(), "this tab keeps its open plan");
        assert_eq!(notes(&mine, 0), "typing");
        assert!(mine.plan(&mine_added).is_some());
    }

    #[test]
    fn shares_follow_their_plan() {
        let mut s = session();
        let share = OwnedShare {
            plan: main(),
            id: "s1".into(),
            url: "http://x/s/s1".into(),
            owner_token: "t".into(),
            published_at: String::new(),
        };
        s.set_share(share.clone());
        assert_eq!(s.workspace().share_of(&main()), Some(&share));
        s.set_share(OwnedShare {
            id: "s2".into(),
            ..share
        });
        assert_eq!(s.workspace().shares.len(), 1, "one link per plan");
        s.remove_share(&main());
        assert!(s.workspace().shares.is_empty());
    }
}
