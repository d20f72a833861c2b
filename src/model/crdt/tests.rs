use super::*;
use crate::model::*;
use proptest::prelude::*;

fn s(wall: u64, replica: u32) -> Stamp {
    Stamp {
        wall,
        count: 0,
        replica,
    }
}

fn rid(id: &str) -> RowId {
    RowId::from(id)
}

fn plan() -> Plan {
    Plan::new(
        "P",
        ["a", "b", "c"]
            .iter()
            .map(|id| Row {
                item: id.to_uppercase(),
                ..Row::blank(rid(id))
            })
            .collect(),
    )
}

#[test]
fn stamps_order_by_wall_then_counter_then_replica() {
    assert!(s(2, 0) > s(1, 9));
    assert!(s(1, 2) > s(1, 1));
    let a = Stamp {
        wall: 5,
        count: 1,
        replica: 0,
    };
    assert!(a > s(5, 9));
    assert_eq!(Stamp::from_sortable(&a.sortable()), Some(a));
    assert!(s(10, 1).sortable() > s(9, 2).sortable());
}

#[test]
fn the_clock_never_goes_back_and_orders_after_what_it_saw() {
    let mut c = Clock::new(7);
    let a = c.tick(100);
    let b = c.tick(100);
    let d = c.tick(50);
    assert!(
        a < b && b < d,
        "monotonic even when the wall clock steps back"
    );
    c.observe(Stamp {
        wall: 900,
        count: 3,
        replica: 1,
    });
    let e = c.tick(200);
    assert!(e.wall == 900 && e.count == 4 && e.replica == 7);
}

#[test]
fn positions_fit_between_any_two() {
    let mut keys = Position::spread(5);
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    for _ in 0..200 {
        let m = Position::between(Some(&keys[0]), Some(&keys[1]));
        assert!(
            keys[0] < m && m < keys[1],
            "{:?} {:?} {:?}",
            keys[0],
            m,
            keys[1]
        );
        assert!(!m.0.ends_with('0'));
        keys.insert(1, m);
    }
    let first = Position::between(None, Some(&keys[0]));
    assert!(first < keys[0]);
    let last = Position::between(keys.last(), None);
    assert!(&last > keys.last().unwrap());
    // Appending many rows keeps keys short.
    let mut p = Position::spread(2000).pop().unwrap();
    for _ in 0..2000 {
        p = Position::between(Some(&p), None);
    }
    assert!(p.0.len() < 80, "{}", p.0.len());
}

#[test]
fn nothing_can_be_placed_before_a_key_ending_in_zero_so_none_is_taken() {
    for bad in ["0", "00", "V0", ""] {
        assert!(!valid_position(&Position(bad.into())), "{bad}");
    }
    for good in ["1", "V", "0V", "zz"] {
        let p = Position(good.into());
        assert!(valid_position(&p));
        let before = Position::between(None, Some(&p));
        assert!(
            before < p && valid_position(&before),
            "{good} -> {before:?}"
        );
    }
}

#[test]
fn many_concurrent_notes_merge_the_same_in_any_order() {
    let v = |i: u64, seen: Seen| Version {
        text: format!("v{i}"),
        stamp: s(100 + i, i as u32),
        seen,
        logged: 0,
        base: 0,
    };
    let mut versions: Vec<Version> = (1..=9).map(|i| v(i, Vec::new())).collect();
    // x saw the latest five.
    versions.push(Version {
        text: "x".into(),
        stamp: s(200, 50),
        seen: (5..=9).map(|i| (i as u32, s(100 + i, i as u32))).collect(),
        logged: 0,
        base: 0,
    });
    let mut forward = Notes::new(String::new());
    for version in &versions {
        forward.merge(version);
    }
    let mut backward = Notes::new(String::new());
    for version in versions.iter().rev() {
        backward.merge(version);
    }
    assert_eq!(forward, backward);
    let texts: Vec<&str> = forward.versions.iter().map(|v| v.text.as_str()).collect();
    assert_eq!(texts, ["x", "v4", "v3", "v2", "v1"]);
}

#[test]
fn a_later_write_wins_per_cell_and_both_cells_of_a_row_keep_theirs() {
    let mut a = Doc::from_plan(&plan());
    let mut b = a.clone();
    let item = Op::Cell {
        row: rid("a"),
        value: CellValue::Item("from A".into()),
        stamp: s(10, 1),
    };
    let owner = Op::Cell {
        row: rid("a"),
        value: CellValue::Owner("from B".into()),
        stamp: s(5, 2),
    };
    let late = Op::Cell {
        row: rid("a"),
        value: CellValue::Item("later, from B".into()),
        stamp: s(11, 2),
    };
    for op in [&item, &owner, &late] {
        a.apply(op);
    }
    for op in [&late, &owner, &item, &item] {
        b.apply(op);
    }
    assert_eq!(a, b);
    let row = &a.plan().rows[0];
    assert_eq!(
        (row.item.as_str(), row.owner.as_str()),
        ("later, from B", "from B")
    );
}

#[test]
fn concurrent_notes_keep_both_versions_until_someone_chooses() {
    let mut doc = Doc::from_plan(&plan());
    let base = doc.rows[&rid("b")].notes.writer_context(0).1;
    let mine = Version {
        text: "mine".into(),
        stamp: s(10, 1),
        seen: {
            let mut seen = base.clone();
            add_seen(&mut seen, s(10, 1));
            seen
        },
        logged: 0,
        base: 0,
    };
    let theirs = Version {
        text: "theirs".into(),
        stamp: s(11, 2),
        seen: {
            let mut seen = base;
            add_seen(&mut seen, s(11, 2));
            seen
        },
        logged: 0,
        base: 0,
    };
    let mut other = doc.clone();
    doc.apply(&Op::Notes {
        row: rid("b"),
        version: mine.clone(),
    });
    doc.apply(&Op::Notes {
        row: rid("b"),
        version: theirs.clone(),
    });
    other.apply(&Op::Notes {
        row: rid("b"),
        version: theirs,
    });
    other.apply(&Op::Notes {
        row: rid("b"),
        version: mine,
    });
    assert_eq!(doc, other);
    let notes = &doc.rows[&rid("b")].notes;
    assert!(notes.in_conflict());
    assert_eq!(notes.text(), "theirs", "the later one is shown");
    // Someone merges them, having seen both: one version again.
    let mut seen = notes.writer_context(0).1;
    add_seen(&mut seen, s(12, 1));
    doc.apply(&Op::Notes {
        row: rid("b"),
        version: Version {
            text: "mine + theirs".into(),
            stamp: s(12, 1),
            seen,
            logged: 0,
            base: 0,
        },
    });
    assert!(!doc.rows[&rid("b")].notes.in_conflict());
    assert_eq!(doc.plan().rows[1].notes, "mine + theirs");
}

#[test]
fn a_write_after_seeing_another_replaces_it_in_any_order() {
    let first = Version {
        text: "first".into(),
        stamp: s(10, 1),
        seen: vec![(1, s(10, 1))],
        logged: 0,
        base: 0,
    };
    let second = Version {
        text: "second".into(),
        stamp: s(11, 2),
        seen: vec![(1, s(10, 1)), (2, s(11, 2))],
        logged: 0,
        base: 0,
    };
    for order in [[&first, &second], [&second, &first]] {
        let mut notes = Notes::new(String::new());
        for v in order {
            notes.merge(v);
        }
        assert_eq!(notes.versions.len(), 1, "no conflict: second saw first");
        assert_eq!(notes.text(), "second");
    }
}

#[test]
fn delete_wins_over_a_concurrent_edit_which_is_kept_for_an_undo() {
    let mut doc = Doc::from_plan(&plan());
    doc.apply(&Op::Alive {
        row: rid("b"),
        alive: false,
        stamp: s(10, 1),
    });
    doc.apply(&Op::Cell {
        row: rid("b"),
        value: CellValue::Owner("edited meanwhile".into()),
        stamp: s(12, 2),
    });
    assert_eq!(doc.plan().rows.len(), 2, "the row stays deleted");
    doc.apply(&Op::Alive {
        row: rid("b"),
        alive: true,
        stamp: s(13, 1),
    });
    let plan = doc.plan();
    assert_eq!(
        plan.rows[1].owner, "edited meanwhile",
        "undo brings it back, edit included"
    );
}

#[test]
fn concurrent_moves_never_duplicate_or_lose_a_row() {
    let base = Doc::from_plan(&plan());
    let pos = |doc: &Doc, id: &str| doc.rows[&rid(id)].position.value.clone();
    let to_end = Op::Position {
        row: rid("a"),
        position: Position::between(Some(&pos(&base, "c")), None),
        stamp: s(10, 1),
    };
    let to_middle = Op::Position {
        row: rid("a"),
        position: Position::between(Some(&pos(&base, "b")), Some(&pos(&base, "c"))),
        stamp: s(10, 2),
    };
    let mut x = base.clone();
    x.apply(&to_end);
    x.apply(&to_middle);
    let mut y = base.clone();
    y.apply(&to_middle);
    y.apply(&to_end);
    assert_eq!(x, y);
    let ids: Vec<_> = x.plan().rows.iter().map(|r| r.id.0.clone()).collect();
    assert_eq!(ids, ["b", "a", "c"]);
}

#[test]
fn checked_ops_hold_the_plan_rules() {
    let long = WireOp::Cell {
        row: rid("a"),
        field: Field::Owner,
        value: "x\u{0}".repeat(400),
        stamp: s(1, 1),
    };
    match long.checked() {
        Some(Op::Cell { value, .. }) => assert_eq!(value.text().chars().count(), 400),
        other => panic!("{other:?}"),
    }
    let bad = WireOp::Cell {
        row: rid("a"),
        field: Field::Priority,
        value: "P9".into(),
        stamp: s(1, 1),
    };
    assert!(bad.checked().is_none());
    let bad_position = WireOp::Position {
        row: rid("a"),
        position: Position("not a key!".into()),
        stamp: s(1, 1),
    };
    assert!(bad_position.checked().is_none());
}

/// Something a person does on one replica.
#[derive(Clone, Debug)]
enum Action {
    Title(String),
    Cell(usize, usize, String),
    Notes(usize, String),
    Alive(usize, bool),
    Move(usize, usize),
    /// The replica takes in everything another replica has.
    Sync(usize),
}

const ROWS: [&str; 4] = ["a", "b", "c", "d"];

fn any_action() -> impl Strategy<Value = Action> {
    let text = "[a-z]{0,3}";
    prop_oneof![
        text.prop_map(Action::Title),
        (0usize..4, 0usize..5, text).prop_map(|(r, f, v)| Action::Cell(r, f, v)),
        (0usize..4, text).prop_map(|(r, v)| Action::Notes(r, v)),
        (0usize..4, any::<bool>()).prop_map(|(r, a)| Action::Alive(r, a)),
        (0usize..4, 0usize..4).prop_map(|(r, to)| Action::Move(r, to)),
        (0usize..3).prop_map(Action::Sync),
    ]
}

/// The op a replica writes for `action`, as the editor would: stamped by its clock,
/// with Notes versions that record what the writer had seen.
fn author(doc: &Doc, clock: &mut Clock, now: u64, action: &Action) -> Option<Op> {
    let stamp = clock.tick(now);
    Some(match action {
        Action::Title(text) => Op::Title {
            text: text.clone(),
            stamp,
        },
        Action::Cell(r, f, v) => {
            let field = [
                Field::Item,
                Field::Category,
                Field::Owner,
                Field::Priority,
                Field::Status,
            ][*f];
            let value = match field {
                Field::Priority => ["P0", "P1", "P2", "P3"][v.len()].to_owned(),
                Field::Status => {
                    ["Not started", "Done", "Blocked", "In progress"][v.len()].to_owned()
                }
                _ => v.clone(),
            };
            Op::Cell {
                row: rid(ROWS[*r]),
                value: CellValue::parse(field, value).expect("a value of the column"),
                stamp,
            }
        }
        Action::Notes(r, text) => {
            let mut seen = doc
                .rows
                .get(&rid(ROWS[*r]))
                .map(|row| row.notes.writer_context(0).1)
                .unwrap_or_default();
            add_seen(&mut seen, stamp);
            Op::Notes {
                row: rid(ROWS[*r]),
                version: Version {
                    text: text.clone(),
                    stamp,
                    seen,
                    logged: 0,
                    base: 0,
                },
            }
        }
        Action::Alive(r, alive) => Op::Alive {
            row: rid(ROWS[*r]),
            alive: *alive,
            stamp,
        },
        Action::Move(r, to) => {
            let order = doc.order();
            let others: Vec<&RowId> = order
                .iter()
                .copied()
                .filter(|id| id.as_str() != ROWS[*r])
                .collect();
            let at = (*to).min(others.len());
            let before = at.checked_sub(1).and_then(|i| others.get(i));
            let after = others.get(at);
            let pos = |id: Option<&&RowId>| id.map(|id| doc.rows[*id].position.value.clone());
            Op::Position {
                row: rid(ROWS[*r]),
                position: Position::between(pos(before).as_ref(), pos(after).as_ref()),
                stamp,
            }
        }
        Action::Sync(_) => return None,
    })
}

/// Three replicas act and sync now and then; returns every op written and the docs.
fn run(actions: &[(usize, Action)]) -> (Vec<Op>, Vec<Doc>) {
    let mut docs = vec![Doc::from_plan(&plan()); 3];
    let mut clocks: Vec<Clock> = (1..=3).map(Clock::new).collect();
    let mut ops = Vec::new();
    for (i, (who, action)) in actions.iter().enumerate() {
        let who = who % 3;
        if let Action::Sync(from) = action {
            let other = docs[*from % 3].clone();
            clocks[who].observe(other.latest());
            docs[who].merge(&other);
            continue;
        }
        let now = 1000 + i as u64 * 3;
        if let Some(op) = author(&docs[who], &mut clocks[who], now, action) {
            docs[who].apply(&op);
            ops.push(op);
        }
    }
    (ops, docs)
}

proptest! {
    #[test]
    fn apply_is_commutative_and_idempotent(
        actions in proptest::collection::vec((0usize..3, any_action()), 0..40),
        seed in any::<u64>(),
    ) {
        let (ops, _) = run(&actions);
        let base = Doc::from_plan(&plan());
        let mut forward = base.clone();
        for op in &ops {
            forward.apply(op);
        }
        // Another order, with repeats.
        let mut shuffled = ops.clone();
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut other = base.clone();
        for op in shuffled.iter().chain(ops.iter().take(5)) {
            other.apply(op);
        }
        prop_assert_eq!(forward.checksum(), other.checksum());
        prop_assert_eq!(&forward, &other);
        // No row lost or doubled: the order lists each live row once.
        let order = forward.order();
        let unique: std::collections::HashSet<_> = order.iter().collect();
        prop_assert_eq!(unique.len(), order.len());
        prop_assert_eq!(order.len(), forward.live_count());
    }

    #[test]
    fn merge_is_commutative_associative_and_idempotent(
        actions in proptest::collection::vec((0usize..3, any_action()), 0..40),
    ) {
        let (_, docs) = run(&actions);
        let (da, db, dc) = (&docs[0], &docs[1], &docs[2]);
        let mut ab = da.clone(); ab.merge(db);
        let mut ba = db.clone(); ba.merge(da);
        prop_assert_eq!(&ab, &ba);
        let mut ab_c = ab.clone(); ab_c.merge(dc);
        let mut bc = db.clone(); bc.merge(dc);
        let mut a_bc = da.clone(); a_bc.merge(&bc);
        prop_assert_eq!(&ab_c, &a_bc);
        let mut twice = ab_c.clone(); twice.merge(&ab_c);
        prop_assert_eq!(&twice, &ab_c);
    }
}

proptest! {
    /// Restoring the plan as it was at any point of its log (what the plan history's
    /// "Restore this version" does) is ordinary edits through `ops_for_change`: afterwards
    /// the plan reads as it was then, on every replica that receives them, and undoing the
    /// restore (the same edit back) gives the plan as it was before it.
    #[test]
    fn restoring_a_point_reads_as_the_plan_was_then_and_undoes(
        actions in proptest::collection::vec((0usize..3, any_action()), 0..40),
        pick in any::<prop::sample::Index>(),
    ) {
        let (ops, _) = run(&actions);
        // The server's copy, as its log applied the ops, and the plan at each point.
        let mut server = Doc::from_plan(&plan());
        let mut points = vec![server.plan()];
        for op in &ops {
            server.apply(op);
            points.push(server.plan());
        }
        let then = points[pick.index(points.len())].clone();
        let now = server.plan();
        let mut clock = Clock::new(9);
        clock.observe(server.latest());
        let mut stamp = || clock.tick(1);
        let mut restored = now.clone();
        let undo = restored
            .apply(Edit::Replace { title: then.title.clone(), rows: then.rows.clone() })
            .expect("a restore is a valid edit");
        let restore = ops_for_change(&server, &now, &restored, None, 0, &mut stamp);
        let mut other = Doc::from_plan(&plan());
        for op in &ops {
            other.apply(op);
        }
        for op in &restore {
            server.apply(op);
        }
        prop_assert_eq!(&server.plan(), &then);
        for op in restore.iter().rev() {
            other.apply(op);
        }
        prop_assert_eq!(&other.plan(), &then, "another replica reads the same");
        if let Some(undo) = undo {
            let mut back = restored.clone();
            back.apply(undo).expect("the undo is a valid edit");
            let ops = ops_for_change(&server, &restored, &back, None, 0, &mut stamp);
            for op in &ops {
                server.apply(op);
            }
            prop_assert_eq!(&server.plan(), &now, "undo gives the plan before the restore");
        }
    }
}
