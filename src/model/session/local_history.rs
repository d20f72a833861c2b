//! The history of a plan kept in this browser only (never edited together): every batch of
//! ops this browser's tabs wrote to it, with when, kept in local storage beside the
//! workspace. Bounded like the server's history: past `LOCAL_HISTORY_BYTES` the older half
//! is folded into the base (the plan at the oldest point kept), so every point still kept
//! can be rebuilt exactly, and named versions keep their plan whatever goes.

use crate::model::crdt::{Doc, Op};
use crate::model::doc::plan::Plan;
use serde::{Deserialize, Serialize};

/// Bytes (of JSON) a plan's kept steps may take; past it the older half is folded into the
/// base. The base itself is one copy of the plan, like the workspace's.
pub const LOCAL_HISTORY_BYTES: usize = 256 * 1024;

/// Named versions kept per plan at most (each keeps a copy of its plan).
pub const LOCAL_NAMED_VERSIONS: usize = 20;

/// Characters a version's name has at most.
pub const MAX_VERSION_NAME_CHARS: usize = 80;

/// Writes to the same cells this close together are one step (a run of typing is one
/// change, not one per keystroke).
const MERGE_MS: i64 = 10_000;

/// One batch of ops, as one edit (or one run of typing) wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Its point: the plan after this step is point `seq`.
    pub seq: u64,
    /// When it was written (Unix ms).
    pub at: i64,
    pub ops: Vec<Op>,
}

/// A point given a name; it keeps its plan, so folding never loses it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalName {
    pub seq: u64,
    pub name: String,
    #[serde(default)]
    pub by: String,
    /// When it was named (Unix ms).
    pub at: i64,
    pub plan: Plan,
}

/// Why a point cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointError {
    /// Before the oldest point kept (and not named).
    Dropped,
    /// Not reached yet.
    Ahead,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalHistory {
    /// The plan at point `from`, where the steps kept begin.
    pub base: Doc,
    pub from: u64,
    /// When the plan was as the base holds it: when the history began, or when the newest
    /// step folded into the base was written (Unix ms).
    pub from_at: i64,
    /// Whether changes were dropped (folded into the base, or lost with a history that
    /// began again): the history no longer reaches back to the plan's beginning.
    #[serde(default)]
    pub dropped: bool,
    /// Oldest first, points `from + 1 ..`.
    pub steps: Vec<Step>,
    #[serde(default)]
    pub named: Vec<LocalName>,
}

impl LocalHistory {
    /// A history that begins, at `at`, with the plan as `base` holds it.
    pub fn new(base: Doc, at: i64) -> LocalHistory {
        LocalHistory {
            base,
            from: 0,
            from_at: at,
            dropped: false,
            steps: Vec::new(),
            named: Vec::new(),
        }
    }

    /// The newest point: the plan as it is now.
    pub fn seq(&self) -> u64 {
        self.steps.last().map_or(self.from, |s| s.seq)
    }

    /// Records a batch written at `at`. A batch that writes the very cells the newest step
    /// wrote, soon after it and with no name on that step, replaces its ops (a later write
    /// to a register supersedes an earlier one of the same writer).
    pub fn record(&mut self, at: i64, ops: Vec<Op>) {
        if ops.is_empty() {
            return;
        }
        let named = |seq: u64| self.named.iter().any(|n| n.seq == seq);
        if let Some(last) = self.steps.last() {
            let same_cells = registers(&last.ops) == registers(&ops);
            if same_cells && (0..=MERGE_MS).contains(&(at - last.at)) && !named(last.seq) {
                let last = self.steps.last_mut().expect("a last step");
                last.ops = ops;
                last.at = at;
                return;
            }
        }
        let seq = self.seq() + 1;
        self.steps.push(Step { seq, at, ops });
    }

    /// Where a page's steps go: `stored` (the history kept, if any) when it ends where this
    /// page began writing (`before`, the plan's document then). When it does not — another
    /// tab's steps are still on their way, or the plan changed elsewhere — the difference
    /// is recorded as a step of its own at `at`, so nothing kept is lost; when even that
    /// cannot bring it to `before` (the history is of a plan since edited together), the
    /// history begins again at `before`, keeping its named versions.
    pub fn continue_from(stored: Option<LocalHistory>, before: &Doc, at: i64) -> LocalHistory {
        let Some(mut history) = stored else {
            return LocalHistory::new(before.clone(), at);
        };
        let mut head = history.doc_at(history.seq());
        let wanted = before.plan();
        if head.plan() == wanted {
            return history;
        }
        let catch_up: Vec<Op> = before
            .ops()
            .into_iter()
            .filter(|op| head.take(op))
            .collect();
        if head.plan() == wanted {
            // A step of its own, never merged into the last one.
            let seq = history.seq() + 1;
            history.steps.push(Step {
                seq,
                at,
                ops: catch_up,
            });
            return history;
        }
        let mut fresh = LocalHistory::new(before.clone(), at);
        fresh.from = history.seq() + 1;
        fresh.dropped = true;
        fresh.named = history.named;
        fresh
    }

    /// The document at point `seq` (at least `from`).
    fn doc_at(&self, seq: u64) -> Doc {
        let mut doc = self.base.clone();
        for step in self.steps.iter().take_while(|s| s.seq <= seq) {
            for op in &step.ops {
                doc.apply(op);
            }
        }
        doc
    }

    /// The plan as it was at point `seq`.
    pub fn plan_at(&self, seq: u64) -> Result<Plan, PointError> {
        if seq > self.seq() {
            return Err(PointError::Ahead);
        }
        if seq < self.from {
            return self
                .named
                .iter()
                .find(|n| n.seq == seq)
                .map(|n| n.plan.clone())
                .ok_or(PointError::Dropped);
        }
        Ok(self.doc_at(seq).plan())
    }

    /// When point `seq` was reached, if a step kept says.
    pub fn at_of(&self, seq: u64) -> Option<i64> {
        self.steps.iter().find(|s| s.seq == seq).map(|s| s.at)
    }

    /// Names point `seq` (now when `None`); naming a named point renames it. Refused with a
    /// sentence saying why.
    pub fn name(
        &mut self,
        seq: Option<u64>,
        name: &str,
        by: &str,
        at: i64,
    ) -> Result<&LocalName, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("Type a name for this version, such as “Sent to eng review”.".into());
        }
        if name.chars().count() > MAX_VERSION_NAME_CHARS {
            return Err(format!(
                "A version's name has at most {MAX_VERSION_NAME_CHARS} characters; this one has {}.",
                name.chars().count()
            ));
        }
        let seq = seq.unwrap_or(self.seq());
        let plan = self.plan_at(seq).map_err(|e| match e {
            PointError::Dropped => {
                "That point is no longer kept in this browser, so it cannot be named.".to_owned()
            }
            PointError::Ahead => "That point has not been reached yet.".to_owned(),
        })?;
        let renaming = self.named.iter().any(|n| n.seq == seq);
        if !renaming && self.named.len() >= LOCAL_NAMED_VERSIONS {
            return Err(format!(
                "This browser keeps {LOCAL_NAMED_VERSIONS} named versions of a plan at most: \
                 take a name off one first."
            ));
        }
        self.named.retain(|n| n.seq != seq);
        self.named.push(LocalName {
            seq,
            name: name.to_owned(),
            by: by.to_owned(),
            at,
            plan,
        });
        self.named.sort_by_key(|n| std::cmp::Reverse(n.seq));
        Ok(self
            .named
            .iter()
            .find(|n| n.seq == seq)
            .expect("just named"))
    }

    /// Takes the name off point `seq`; whether it had one.
    pub fn unname(&mut self, seq: u64) -> bool {
        let before = self.named.len();
        self.named.retain(|n| n.seq != seq);
        self.named.len() != before
    }

    /// Keeps the steps within `budget` bytes of JSON: past it, the older half (by bytes)
    /// is folded into the base. Whether anything was folded.
    pub fn bound(&mut self, budget: usize) -> bool {
        let sizes: Vec<usize> = self.steps.iter().map(step_bytes).collect();
        let total: usize = sizes.iter().sum();
        if total <= budget {
            return false;
        }
        // Fold the oldest steps until what stays is at most half the budget.
        let mut staying = total;
        let mut cut = 0;
        while cut < sizes.len() && staying > budget / 2 {
            staying -= sizes[cut];
            cut += 1;
        }
        for step in self.steps.drain(..cut) {
            for op in &step.ops {
                self.base.apply(op);
            }
            self.from = step.seq;
            self.from_at = step.at;
            self.dropped = true;
        }
        true
    }

    /// Bytes the steps take as JSON.
    pub fn steps_bytes(&self) -> usize {
        self.steps.iter().map(step_bytes).sum()
    }
}

/// The histories to drop so that all of them take at most `budget`: of the plans edited
/// longest ago first. `sizes`: each history's plan and size; `edited`: when its plan was
/// last edited.
pub fn over_total<P>(
    mut sizes: Vec<(P, usize)>,
    edited: impl Fn(&P) -> u64,
    budget: usize,
) -> Vec<P> {
    let mut total: usize = sizes.iter().map(|(_, n)| n).sum();
    sizes.sort_by_key(|(plan, _)| edited(plan));
    let mut out = Vec::new();
    for (plan, size) in sizes {
        if total <= budget {
            break;
        }
        total -= size;
        out.push(plan);
    }
    out
}

fn step_bytes(step: &Step) -> usize {
    serde_json::to_string(step).map_or(0, |s| s.len())
}

/// The registers a batch writes, in order, without repeats.
fn registers(ops: &[Op]) -> Vec<(&str, &'static str)> {
    let mut out: Vec<(&str, &'static str)> = ops.iter().map(Op::register).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::crdt::edits::ops_for_change;
    use crate::model::crdt::Clock;
    use crate::model::doc::edit::Edit;
    use crate::model::doc::plan::{Field, Row, RowId};

    /// A tab editing a plan: what it shows, its document and its clock.
    struct Tab {
        plan: Plan,
        doc: Doc,
        clock: Clock,
    }

    impl Tab {
        /// Applies `edit` at `now`; the ops it wrote.
        fn write(&mut self, now: u64, edit: Edit) -> Vec<Op> {
            let before = self.plan.clone();
            self.plan.apply(edit).expect("a valid edit");
            let clock = &mut self.clock;
            let ops = ops_for_change(&self.doc, &before, &self.plan, None, 0, &mut || {
                clock.tick(now)
            });
            for op in &ops {
                self.doc.apply(op);
            }
            ops
        }
    }

    /// A tab on a plan of `n` rows, and a history that begins with it.
    fn start(n: usize) -> (Tab, LocalHistory) {
        let rows = (0..n)
            .map(|i| Row::with_item(&format!("r{i}"), &format!("Item {i}")))
            .collect();
        let doc = Doc::from_plan(&Plan::new("Plan", rows));
        let history = LocalHistory::new(doc.clone(), 0);
        let tab = Tab {
            plan: doc.plan(),
            doc,
            clock: Clock::new(3),
        };
        (tab, history)
    }

    fn set(row: &str, field: Field, value: &str) -> Edit {
        Edit::SetField {
            row: RowId::from(row),
            field,
            value: value.into(),
        }
    }

    #[test]
    fn every_point_kept_is_rebuilt_as_it_was_across_folding() {
        let (mut tab, mut history) = start(5);
        let mut plans = vec![tab.plan.clone()];
        for i in 0..120u64 {
            let at = i as i64 * 60_000;
            let e = match i % 4 {
                0 => set(&format!("r{}", i % 5), Field::Status, "Done"),
                1 => set(&format!("r{}", i % 5), Field::Owner, &format!("owner {i}")),
                2 => Edit::MoveRow {
                    row: RowId::from(format!("r{}", i % 5).as_str()),
                    to: 3,
                },
                _ => set(
                    &format!("r{}", i % 5),
                    Field::Notes,
                    &"n".repeat(i as usize),
                ),
            };
            let ops = tab.write(at as u64 + 1, e);
            if ops.is_empty() {
                // A move to where the row already is changes nothing.
                continue;
            }
            history.record(at, ops);
            history.bound(4 * 1024);
            plans.push(tab.plan.clone());
            assert!(history.steps_bytes() <= 4 * 1024, "bounded after step {i}");
        }
        assert!(history.from > 0, "folding happened");
        assert_eq!(history.seq() as usize, plans.len() - 1);
        assert!(plans.len() > 80, "{} points", plans.len());
        for (seq, expected) in plans.iter().enumerate() {
            let seq = seq as u64;
            match history.plan_at(seq) {
                Ok(p) => assert_eq!(&p, expected, "point {seq}"),
                Err(e) => {
                    assert!(seq < history.from, "point {seq} lost ({e:?})");
                    assert_eq!(e, PointError::Dropped);
                }
            }
        }
        assert_eq!(history.plan_at(plans.len() as u64), Err(PointError::Ahead));
        assert!(history.dropped);
    }

    #[test]
    fn a_run_of_typing_is_one_step_and_another_cell_is_another() {
        let (mut tab, mut history) = start(2);
        for (i, text) in ["S", "Sh", "Shi", "Ship"].iter().enumerate() {
            let ops = tab.write(1, set("r0", Field::Owner, text));
            history.record(1_000 + i as i64 * 300, ops);
        }
        assert_eq!(history.steps.len(), 1);
        let ops = tab.write(1, set("r1", Field::Owner, "Bo"));
        history.record(3_000, ops);
        assert_eq!(history.steps.len(), 2);
        // The same cell much later is a change of its own.
        let ops = tab.write(1, set("r1", Field::Owner, "Bob"));
        history.record(60_000, ops);
        assert_eq!(history.steps.len(), 3);
        assert_eq!(history.plan_at(1).unwrap().rows[0].owner, "Ship");
        assert_eq!(history.plan_at(2).unwrap().rows[1].owner, "Bo");
        assert_eq!(history.plan_at(3).unwrap(), tab.plan);
    }

    #[test]
    fn a_named_version_keeps_its_plan_past_folding_and_names_are_checked() {
        let (mut tab, mut history) = start(3);
        let ops = tab.write(1, set("r0", Field::Status, "Done"));
        history.record(1, ops);
        let named = history
            .name(None, "  Sent to eng review ", "Olga", 5)
            .unwrap();
        assert_eq!((named.seq, named.name.as_str()), (1, "Sent to eng review"));
        let then = tab.plan.clone();
        // A write to the named step's cell right after is a step of its own.
        let ops = tab.write(2, set("r0", Field::Status, "Blocked"));
        history.record(2, ops);
        assert_eq!(history.seq(), 2);
        for i in 0..200 {
            let ops = tab.write(
                3,
                set("r1", Field::Notes, &format!("{i} {}", "x".repeat(100))),
            );
            history.record(100_000 * (i + 1), ops);
            history.bound(2 * 1024);
        }
        assert!(history.from > 1);
        assert_eq!(history.plan_at(1), Ok(then));
        assert_eq!(history.plan_at(2), Err(PointError::Dropped));
        assert!(history.name(Some(2), "Gone", "", 9).is_err());
        assert!(history.name(None, " ", "", 9).is_err());
        assert!(history
            .name(None, &"x".repeat(81), "", 9)
            .unwrap_err()
            .contains("80"));
        // Renaming keeps one version; the cap counts versions, not names given.
        history.name(Some(1), "Renamed", "", 9).unwrap();
        assert_eq!(history.named.len(), 1);
        assert!(history.unname(1));
        assert_eq!(history.plan_at(1), Err(PointError::Dropped));
    }

    #[test]
    fn at_most_the_named_version_cap_is_kept() {
        let (mut tab, mut history) = start(1);
        for i in 0..=LOCAL_NAMED_VERSIONS {
            let ops = tab.write(1, set("r0", Field::Owner, &format!("o{i}")));
            history.record(i as i64 * 100_000, ops);
            let named = history.name(None, &format!("v{i}"), "", 1);
            if i < LOCAL_NAMED_VERSIONS {
                named.unwrap();
            } else {
                assert!(named.unwrap_err().contains("take a name off"));
            }
        }
        assert_eq!(history.named.len(), LOCAL_NAMED_VERSIONS);
    }

    #[test]
    fn past_the_total_the_histories_of_plans_edited_longest_ago_go_first() {
        let sizes = vec![("new", 500), ("old", 300), ("middle", 400)];
        let edited = |p: &&str| match *p {
            "old" => 1,
            "middle" => 2,
            _ => 3,
        };
        assert_eq!(over_total(sizes.clone(), edited, 1_200), Vec::<&str>::new());
        assert_eq!(over_total(sizes.clone(), edited, 900), vec!["old"]);
        assert_eq!(
            over_total(sizes.clone(), edited, 600),
            vec!["old", "middle"]
        );
        assert_eq!(over_total(sizes, edited, 0), vec!["old", "middle", "new"]);
    }

    #[test]
    fn a_page_continues_the_history_kept_catching_up_what_it_lacks() {
        let (mut tab, mut history) = start(3);
        let ops = tab.write(1, set("r0", Field::Owner, "Ana"));
        history.record(1, ops);
        // It ends where the page began: taken as it is.
        let same = LocalHistory::continue_from(Some(history.clone()), &tab.doc, 5);
        assert_eq!(same, history);
        // Another tab's change the history does not have yet: caught up as a step.
        tab.clock = Clock::new(4);
        tab.write(2, set("r1", Field::Status, "Done"));
        let caught = LocalHistory::continue_from(Some(history.clone()), &tab.doc, 6);
        assert_eq!(caught.seq(), 2);
        assert_eq!(caught.plan_at(1).unwrap(), history.plan_at(1).unwrap());
        assert_eq!(caught.plan_at(2).unwrap(), tab.plan);
        // A history whose plan has since been written over with older stamps (it was
        // edited together meanwhile) cannot be caught up: it begins again, names kept.
        let mut named = history.clone();
        named.name(None, "Kept", "", 7).unwrap();
        let mut later = Tab {
            plan: tab.plan.clone(),
            doc: Doc::from_plan(&tab.plan),
            clock: Clock::new(5),
        };
        later.write(0, set("r0", Field::Owner, "Old stamp"));
        let fresh = LocalHistory::continue_from(Some(named), &later.doc, 8);
        assert!(fresh.dropped);
        assert_eq!(fresh.from, 2);
        assert_eq!(fresh.plan_at(2).unwrap(), later.plan);
        assert_eq!(fresh.plan_at(1).unwrap(), history.plan_at(1).unwrap());
        assert_eq!(
            LocalHistory::continue_from(None, &tab.doc, 9)
                .plan_at(0)
                .unwrap(),
            tab.plan
        );
    }

    #[test]
    fn a_history_reads_back_as_it_was_written() {
        let (mut tab, mut history) = start(2);
        let ops = tab.write(
            1,
            Edit::DeleteRow {
                row: RowId::from("r1"),
            },
        );
        history.record(1, ops);
        history.name(None, "After the delete", "", 2).unwrap();
        let json = serde_json::to_string(&history).unwrap();
        let back: LocalHistory = serde_json::from_str(&json).unwrap();
        assert_eq!(back, history);
        assert_eq!(back.plan_at(1).unwrap(), tab.plan);
    }
}
