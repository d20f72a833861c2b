use super::*;
use crate::model::doc::plan::{Field, Row};
use crate::model::session::share_ids::OwnerToken;

fn main() -> PlanId {
    PlanId("main".into())
}

/// A share id made from `name` (padded to a real id's length).
fn share(name: &str) -> ShareId {
    ShareId::parse(&format!("{name:A<22}")).unwrap()
}

fn secret(text: &str) -> EditToken {
    EditToken::new(text)
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
    let mut theirs = Session::new(mine.workspace().clone(), 5 << 32);
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

/// Two tabs save at the same moment: both write the same revision, and the one that loses
/// the tie adopts a copy without its (already saved) edit. The merge brings the edit back,
/// and it must be written again, or storage keeps the copy that lacks it.
#[test]
fn adopting_a_copy_that_lacks_a_saved_edit_saves_again() {
    let mut mine = session();
    let mut theirs = Session::new(mine.workspace().clone(), 5 << 32);
    for (tab, row, who) in [(&mut mine, "a", "Ana"), (&mut theirs, "b", "Bo")] {
        tab.apply(
            &main(),
            Edit::SetField {
                row: row.into(),
                field: Field::Owner,
                value: who.into(),
            },
        )
        .unwrap();
        tab.mark_saved();
    }

    mine.adopt(theirs.workspace().clone());
    let plan = mine.plan(&main()).unwrap();
    assert_eq!(
        (plan.rows[0].owner.as_str(), plan.rows[1].owner.as_str()),
        ("Ana", "Bo")
    );
    assert!(
        mine.has_unsaved(),
        "the stored copy lacks Ana: it is written again"
    );

    // Adopting a copy that already holds everything this tab has leaves nothing to write.
    mine.mark_saved();
    theirs.adopt(mine.workspace().clone());
    theirs.mark_saved();
    mine.adopt(theirs.workspace().clone());
    assert!(!mine.has_unsaved(), "nothing new: no write back and forth");
}

#[test]
fn undo_skips_steps_whose_row_another_tab_deleted() {
    let mut s = session();
    type_into(&mut s, "a", "x");
    s.seal(&main());
    type_into(&mut s, "c", "y");
    s.mark_saved();
    let mut other = Session::new(s.workspace().clone(), 77 << 32);
    other
        .apply(&main(), Edit::DeleteRow { row: "c".into() })
        .unwrap();
    s.adopt(other.workspace().clone());
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
    let owned = OwnedShare {
        plan: main(),
        id: share("s1"),
        url: "http://x/s/s1".into(),
        owner_token: OwnerToken::new("t"),
        published_at: String::new(),
    };
    s.set_share(owned.clone());
    assert_eq!(s.workspace().share_of(&main()), Some(&owned));
    s.set_share(OwnedShare {
        id: share("s2"),
        ..owned
    });
    assert_eq!(s.workspace().shares.len(), 1, "one link per plan");
    s.remove_share(&main());
    assert!(s.workspace().shares.is_empty());
}

fn owner_of(s: &Session, row: usize) -> &str {
    &s.plan(&main()).unwrap().rows[row].owner
}

fn set_owner(s: &mut Session, row: &str, value: &str) {
    s.apply(
        &main(),
        Edit::SetField {
            row: row.into(),
            field: Field::Owner,
            value: value.into(),
        },
    )
    .unwrap();
}

#[test]
fn two_tabs_editing_one_row_both_keep_their_cells() {
    let mut a = Session::new(session().workspace().clone(), 1 << 32);
    let mut b = Session::new(session().workspace().clone(), 2 << 32);
    a.set_time(1_000);
    b.set_time(2_000);
    set_owner(&mut a, "a", "Ana");
    type_into(&mut b, "a", "b's notes");
    // The same cell: the later write wins, whichever copy is adopted.
    set_owner(&mut b, "b", "later");
    set_owner(&mut a, "b", "earlier");
    a.adopt(b.workspace().clone());
    assert_eq!(owner_of(&a, 0), "Ana");
    assert_eq!(notes(&a, 0), "b's notes");
    assert_eq!(owner_of(&a, 1), "later");
    b.adopt(a.workspace().clone());
    assert_eq!(a.plan(&main()), b.plan(&main()));
    let (da, db) = (
        &a.entry(&main()).unwrap().doc,
        &b.entry(&main()).unwrap().doc,
    );
    assert_eq!(da.checksum(), db.checksum());
}

#[test]
fn undo_takes_back_only_my_own_writes() {
    let mut me = Session::new(session().workspace().clone(), 1 << 32);
    let mut them = Session::new(session().workspace().clone(), 2 << 32);
    me.set_time(1_000);
    me.apply(
        &main(),
        Edit::Batch(vec![
            Edit::SetField {
                row: "a".into(),
                field: Field::Owner,
                value: "mine".into(),
            },
            Edit::SetField {
                row: "b".into(),
                field: Field::Owner,
                value: "mine too".into(),
            },
        ]),
    )
    .unwrap();
    them.adopt(me.workspace().clone());
    them.set_time(2_000);
    set_owner(&mut them, "a", "theirs");
    me.adopt(them.workspace().clone());
    assert_eq!(owner_of(&me, 0), "theirs");
    me.set_time(3_000);
    assert!(me.undo(&main()).is_some());
    assert_eq!(owner_of(&me, 0), "theirs", "their later write stays");
    assert_eq!(owner_of(&me, 1), "", "my write is undone");
}

#[test]
fn a_live_plan_queues_edits_and_follows_the_server() {
    use crate::model::Logged;
    let mut s = Session::new(session().workspace().clone(), 3 << 32);
    s.set_time(1_000);
    set_owner(&mut s, "a", "before sharing");
    let server = crate::model::Doc::from_plan(&session().plan(&main()).unwrap().clone());
    s.go_live(&main(), share("share1"), secret("tok"), server, 0);
    assert_eq!(
        owner_of(&s, 0),
        "before sharing",
        "joining keeps local edits"
    );
    assert_eq!(s.waiting(&main()), 1, "and queues them for the server");
    set_owner(&mut s, "b", "Bo");
    let batch = s.outgoing(&main(), 100).unwrap();
    assert_eq!(batch.ops.len(), 2);
    assert_eq!(s.waiting(&main()), 2);
    // Someone else's write, then ours logged back.
    let theirs = crate::model::Op::Cell {
        row: "c".into(),
        value: crate::model::CellValue::Owner("Cy".into()),
        stamp: crate::model::Stamp {
            wall: 1_500,
            count: 0,
            replica: 9,
        },
    };
    let r = s.on_logged(
        &main(),
        Logged {
            seq: 1,
            batch: 77,
            ops: vec![theirs],
        },
    );
    assert!(matches!(r, Remote::Changed(_)));
    assert_eq!(owner_of(&s, 2), "Cy");
    s.on_ack(&main(), batch.id, 2, &[]);
    assert_eq!(s.waiting(&main()), 0);
    s.on_logged(
        &main(),
        Logged {
            seq: 2,
            batch: batch.id,
            ops: batch.ops.clone(),
        },
    );
    assert!(s.unacknowledged(&main()).is_empty());
    assert_eq!(s.live(&main()).unwrap().sync.seq, 2);
    // Leaving keeps everything, unsent edits included.
    set_owner(&mut s, "c", "unsent");
    s.leave_live(&main());
    assert!(s.live(&main()).is_none());
    assert_eq!(owner_of(&s, 2), "unsent");
}

#[test]
fn a_tab_that_missed_the_join_hands_its_edits_to_the_live_plan() {
    let mut live_tab = Session::new(session().workspace().clone(), 3 << 32);
    let mut old_tab = Session::new(session().workspace().clone(), 4 << 32);
    let server = crate::model::Doc::from_plan(&session().plan(&main()).unwrap().clone());
    live_tab.go_live(&main(), share("s"), secret("t"), server, 0);
    live_tab.mark_saved();
    old_tab.set_time(5_000);
    set_owner(&mut old_tab, "a", "typed in the old tab");
    old_tab.adopt(live_tab.workspace().clone());
    assert!(old_tab.live(&main()).is_some());
    assert_eq!(owner_of(&old_tab, 0), "typed in the old tab");
    assert_eq!(old_tab.waiting(&main()), 1);
    // Once both hold the same, adopting each other's copy writes nothing more: two tabs
    // of a live plan never save back and forth.
    old_tab.mark_saved();
    live_tab.adopt(old_tab.workspace().clone());
    live_tab.mark_saved();
    old_tab.adopt(live_tab.workspace().clone());
    assert!(!old_tab.has_unsaved());
    live_tab.adopt(old_tab.workspace().clone());
    assert!(!live_tab.has_unsaved());
}

#[test]
fn two_tabs_of_one_live_plan_never_reuse_a_batch_id() {
    let mut a = Session::new(session().workspace().clone(), 3 << 32);
    let server = crate::model::Doc::from_plan(&session().plan(&main()).unwrap().clone());
    a.go_live(&main(), share("s"), secret("t"), server, 0);
    // The second tab starts from what the first one stored.
    let mut b = Session::new(a.workspace().clone(), 4 << 32);
    a.set_time(1_000);
    b.set_time(1_000);
    set_owner(&mut a, "a", "from a");
    set_owner(&mut b, "b", "from b");
    let from_a = a.outgoing(&main(), 100).unwrap();
    let from_b = b.outgoing(&main(), 100).unwrap();
    assert_ne!(from_a.id, from_b.id);
    a.adopt(b.workspace().clone());
    let ids: Vec<u64> = a.unacknowledged(&main()).iter().map(|b| b.id).collect();
    assert!(
        ids.contains(&from_a.id) && ids.contains(&from_b.id),
        "{ids:?}"
    );
    set_owner(&mut a, "c", "again");
    assert!(!ids.contains(&a.outgoing(&main(), 100).unwrap().id));
}

#[test]
fn turning_editing_on_makes_the_server_copy_this_one() {
    let mut s = Session::new(session().workspace().clone(), 3 << 32);
    let published = s.plan(&main()).unwrap().clone();
    s.set_time(1_000);
    set_owner(&mut s, "a", "after publishing");
    type_into(&mut s, "b", "notes after publishing");
    let before = s.plan(&main()).unwrap().clone();
    s.set_time(2_000);
    s.publish_live(&main(), share("s"), secret("t"));
    assert_eq!(
        s.plan(&main()).unwrap(),
        &before,
        "nothing changes on screen"
    );
    let r = s.on_snapshot(&main(), 0, crate::model::Doc::from_plan(&published));
    assert_eq!(r, Remote::Rebuild);
    assert_eq!(
        s.plan(&main()).unwrap(),
        &before,
        "this copy wins over the published one"
    );
    let doc = &s.entry(&main()).unwrap().doc;
    assert!(doc.rows.values().all(|r| !r.notes.in_conflict()));
    // The server, taking the queued writes, ends where this copy is.
    let mut server = crate::model::Doc::from_plan(&published);
    for batch in std::iter::from_fn(|| s.outgoing(&main(), 50)) {
        for op in &batch.ops {
            server.apply(op);
        }
    }
    assert_eq!(server.plan(), before);
    assert_eq!(server.checksum(), s.entry(&main()).unwrap().doc.checksum());
}

#[test]
fn picking_one_of_two_notes_versions_resolves_them() {
    let mut a = Session::new(session().workspace().clone(), 1 << 32);
    let mut b = Session::new(session().workspace().clone(), 2 << 32);
    a.set_time(1_000);
    b.set_time(1_001);
    type_into(&mut a, "a", "from a");
    type_into(&mut b, "a", "from b");
    a.adopt(b.workspace().clone());
    let notes_of = |s: &Session| {
        s.entry(&main())
            .unwrap()
            .doc
            .row(&"a".into())
            .unwrap()
            .notes
            .clone()
    };
    assert!(notes_of(&a).in_conflict());
    assert_eq!(notes(&a, 0), "from b", "the later version is shown");
    a.set_time(2_000);
    assert!(a.resolve_notes(&main(), &"a".into(), "from a".into()));
    assert!(!notes_of(&a).in_conflict());
    assert_eq!(notes(&a, 0), "from a");
}

#[test]
fn writes_to_a_plan_kept_here_are_taken_for_its_local_history() {
    let mut s = session();
    let start = s.entry(&main()).unwrap().doc.clone();
    s.set_time(1_000);
    type_into(&mut s, "a", "hi");
    s.undo(&main());
    let steps = s.take_local_steps();
    // Two keystrokes and the undo; the first carries the plan as it was before them.
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0].before.as_ref(), Some(&start));
    assert!(steps[1..].iter().all(|step| step.before.is_none()));
    assert!(steps
        .iter()
        .all(|step| step.plan == main() && step.at == 1_000));
    let mut history = crate::model::LocalHistory::new(start, 0);
    for step in steps {
        history.record(step.at, step.ops);
    }
    assert_eq!(
        history.plan_at(history.seq()).unwrap(),
        *s.plan(&main()).unwrap()
    );
    assert!(s.take_local_steps().is_empty());

    // A plan edited together has the server's history; when it is no longer, its local
    // history begins again from the plan as it is then.
    let server = s.entry(&main()).unwrap().doc.clone();
    s.go_live(&main(), share("share1"), secret("tok"), server, 0);
    type_into(&mut s, "b", "x");
    assert!(s.take_local_steps().is_empty());
    s.leave_live(&main());
    let again = s.entry(&main()).unwrap().doc.clone();
    type_into(&mut s, "c", "y");
    let steps = s.take_local_steps();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].before.as_ref(), Some(&again));
}
