use super::*;
use crate::model::crdt::{CellValue, Clock, Position};
use crate::model::{Field, Plan, Priority, Row, RowId};

/// A document of one row, `a` (also used by the sync state's tests).
pub(crate) fn doc() -> Doc {
    Doc::from_plan(&Plan::new("t", vec![Row::blank(RowId::from("a"))]))
}

/// A write of `value` to row `a`'s Owner.
pub(crate) fn owner(value: &str, wall: u64, replica: u32) -> Op {
    Op::Cell {
        row: RowId::from("a"),
        value: CellValue::Owner(value.into()),
        stamp: Stamp {
            wall,
            count: 0,
            replica,
        },
    }
}

fn batch(replica: u32, counter: u32, ops: Vec<Op>) -> SentBatch {
    sent(
        replica,
        counter,
        ops.into_iter().map(WireOp::from).collect(),
    )
}

/// A batch as a peer may send it (any text in a cell).
fn sent(replica: u32, counter: u32, ops: Vec<WireOp>) -> SentBatch {
    SentBatch {
        id: batch_id(replica, counter),
        key: u64::from(replica),
        ops,
    }
}

/// Binds the batch's replica to its key (as its hello does) when it is new, then
/// decides the batch.
fn run(
    live: &mut LiveDoc,
    book: &mut HashMap<u32, ReplicaRecord>,
    b: &SentBatch,
    now: u64,
) -> Outcome {
    let hash = format!("k{}", b.key);
    book.entry(replica_of(b.id))
        .or_insert_with(|| ReplicaRecord {
            key_hash: hash.clone(),
            counter: 0,
            seq: 0,
        });
    accept(live, book, b, &hash, now, &DocLimits::default())
}

fn logged_seq(outcome: &Outcome) -> u64 {
    match outcome {
        Outcome::Logged { logged, .. } => logged.seq,
        other => panic!("not logged: {other:?}"),
    }
}

#[test]
fn a_batch_is_taken_once_however_often_and_late_it_comes() {
    let mut live = LiveDoc::new(doc(), 0);
    let mut book = HashMap::new();
    let b = batch(7, 1, vec![owner("Ana", 1000, 7)]);
    assert_eq!(logged_seq(&run(&mut live, &mut book, &b, 1000)), 1);
    // However much was logged since (the op log may have been pruned long ago).
    for i in 0..50 {
        run(
            &mut live,
            &mut book,
            &batch(9, i + 1, vec![owner("x", 2000 + u64::from(i), 9)]),
            2000,
        );
    }
    assert_eq!(
        run(&mut live, &mut book, &b, 9000),
        Outcome::Duplicate { seq: 1 }
    );
    assert_eq!(live.seq, 51);
}

#[test]
fn nobody_can_send_in_another_replicas_name() {
    let mut live = LiveDoc::new(doc(), 0);
    let mut book = HashMap::new();
    run(
        &mut live,
        &mut book,
        &batch(7, 1, vec![owner("Ana", 1000, 7)]),
        1000,
    );
    let mut forged = batch(7, 2, vec![owner("Mallory", 1001, 7)]);
    forged.key = 666;
    assert_eq!(run(&mut live, &mut book, &forged, 1000), Outcome::NotYours);
    // The real next batch still goes in.
    let next = batch(7, 2, vec![owner("Ana 2", 1002, 7)]);
    assert_eq!(logged_seq(&run(&mut live, &mut book, &next, 1000)), 2);
}

#[test]
fn a_replica_that_never_said_hello_sends_nothing() {
    let mut live = LiveDoc::new(doc(), 0);
    let mut book = HashMap::new();
    let b = batch(7, 1, vec![owner("Ana", 1000, 7)]);
    let outcome = accept(&mut live, &mut book, &b, "k7", 1000, &DocLimits::default());
    assert_eq!(outcome, Outcome::NotYours);
    assert!(
        book.is_empty(),
        "nobody can claim a replica by sending in its name"
    );
}

#[test]
fn a_batch_after_a_missing_one_waits_for_it() {
    let mut live = LiveDoc::new(doc(), 0);
    let mut book = HashMap::new();
    run(
        &mut live,
        &mut book,
        &batch(7, 1, vec![owner("1", 1000, 7)]),
        1000,
    );
    let third = batch(7, 3, vec![owner("3", 1003, 7)]);
    assert_eq!(
        run(&mut live, &mut book, &third, 1000),
        Outcome::OutOfOrder { expected: 2 }
    );
    run(
        &mut live,
        &mut book,
        &batch(7, 2, vec![owner("2", 1002, 7)]),
        1000,
    );
    assert_eq!(logged_seq(&run(&mut live, &mut book, &third, 1000)), 3);
}

#[test]
fn a_clock_far_ahead_is_moved_back_in_order_after_the_documents_stamps() {
    let mut d = doc();
    // The document already holds a stamp at the bound (from before a restart).
    d.apply(&owner("earlier", 1000 + MAX_CLOCK_SKEW_MS, 3));
    let mut live = LiveDoc::new(d, 4);
    let mut book = HashMap::new();
    let days = 5 * 86_400_000;
    let outcome = run(
        &mut live,
        &mut book,
        &batch(
            1,
            1,
            vec![
                owner("first", 1000 + days, 1),
                owner("second", 1001 + days, 1),
            ],
        ),
        1000,
    );
    let Outcome::Logged { logged, .. } = outcome else {
        panic!()
    };
    let stamps: Vec<Stamp> = logged.ops.iter().map(Op::stamp).collect();
    assert!(stamps.iter().all(|s| s.wall == 1000 + MAX_CLOCK_SKEW_MS));
    assert!(stamps[0] < stamps[1], "order kept");
    assert!(stamps[0].count > 0, "after the stamp the document held");
    assert_eq!(live.doc.plan().rows[0].owner, "second");
}

#[test]
fn a_maximal_counter_cannot_freeze_a_cell() {
    let mut live = LiveDoc::new(doc(), 0);
    let mut book = HashMap::new();
    let now = 1_000_000;
    let mut attack = owner("frozen", now + MAX_CLOCK_SKEW_MS - 1, u32::MAX);
    if let Op::Cell { stamp, .. } = &mut attack {
        stamp.count = u32::MAX;
    }
    let Outcome::Logged { logged, .. } =
        run(&mut live, &mut book, &batch(u32::MAX, 1, vec![attack]), now)
    else {
        panic!()
    };
    assert!(logged.ops[0].stamp().count <= MAX_STAMP_COUNT, "moved back");
    // An honest browser that saw it writes after it.
    let mut clock = Clock::new(5);
    clock.observe(logged.ops[0].stamp());
    let stamp = clock.tick(now);
    let honest = Op::Cell {
        row: RowId::from("a"),
        value: CellValue::Owner("honest".into()),
        stamp,
    };
    run(&mut live, &mut book, &batch(5, 1, vec![honest]), now);
    assert_eq!(live.doc.plan().rows[0].owner, "honest");
    // Even a clock that saw a counter at its maximum moves on.
    let mut c = Clock::new(6);
    c.observe(Stamp {
        wall: 10,
        count: u32::MAX,
        replica: 1,
    });
    assert!(
        c.tick(5)
            > Stamp {
                wall: 10,
                count: u32::MAX,
                replica: u32::MAX
            }
    );
}

#[test]
fn a_copied_stamp_with_other_content_is_refused() {
    let mut live = LiveDoc::new(doc(), 0);
    let mut book = HashMap::new();
    run(
        &mut live,
        &mut book,
        &batch(7, 1, vec![owner("Ana", 1000, 7)]),
        1000,
    );
    let outcome = run(
        &mut live,
        &mut book,
        &batch(8, 1, vec![owner("Zed", 1000, 7)]),
        1000,
    );
    assert_eq!(
        outcome,
        Outcome::Nothing {
            seq: 1,
            refused: vec![Refusal {
                op: 0,
                why: Why::Invalid
            }]
        }
    );
    assert_eq!(live.doc.plan().rows[0].owner, "Ana");
}

#[test]
fn one_bad_op_is_refused_alone_and_the_rest_is_logged() {
    let mut live = LiveDoc::new(doc(), 0);
    let mut book = HashMap::new();
    let long = Op::Position {
        row: RowId::from("a"),
        position: Position("V".repeat(600)),
        stamp: Stamp {
            wall: 1000,
            count: 0,
            replica: 7,
        },
    };
    let outcome = run(
        &mut live,
        &mut book,
        &batch(7, 1, vec![long, owner("kept", 1001, 7)]),
        1000,
    );
    let Outcome::Logged { logged, refused } = outcome else {
        panic!()
    };
    assert_eq!(logged.ops.len(), 1);
    assert_eq!(
        refused,
        vec![Refusal {
            op: 0,
            why: Why::Invalid
        }]
    );
    assert_eq!(live.doc.plan().rows[0].owner, "kept");
}

#[test]
fn a_value_its_column_cannot_hold_is_refused_alone() {
    let mut live = LiveDoc::new(doc(), 0);
    let mut book = HashMap::new();
    let stamp = |wall| Stamp {
        wall,
        count: 0,
        replica: 7,
    };
    let cell = |field, value: &str, wall| WireOp::Cell {
        row: RowId::from("a"),
        field,
        value: value.into(),
        stamp: stamp(wall),
    };
    let ops = vec![
        cell(Field::Priority, "P9", 1000),
        cell(Field::Status, "later", 1001),
        cell(Field::Notes, "notes go as versions", 1002),
        cell(Field::Priority, " high ", 1003),
        WireOp::from(owner("kept", 1004, 7)),
    ];
    let Outcome::Logged { logged, refused } = run(&mut live, &mut book, &sent(7, 1, ops), 1000)
    else {
        panic!()
    };
    let refused: Vec<u32> = refused.iter().map(|r| r.op).collect();
    assert_eq!(refused, vec![0, 1, 2]);
    assert_eq!(logged.ops.len(), 2);
    let row = &live.doc.plan().rows[0];
    assert_eq!((row.priority, row.owner.as_str()), (Priority::P1, "kept"));
}

#[test]
fn rows_past_the_limit_are_refused_and_other_edits_kept() {
    let mut live = LiveDoc::new(doc(), 0);
    let mut book = HashMap::new();
    let limits = DocLimits {
        rows: 2,
        doc_rows: 6,
        ..DocLimits::default()
    };
    let new_row = |id: &str, wall: u64| {
        vec![
            Op::Alive {
                row: RowId::from(id),
                alive: true,
                stamp: Stamp {
                    wall,
                    count: 0,
                    replica: 7,
                },
            },
            Op::Cell {
                row: RowId::from(id),
                value: CellValue::Item(id.into()),
                stamp: Stamp {
                    wall,
                    count: 1,
                    replica: 7,
                },
            },
        ]
    };
    let mut ops = new_row("b", 10);
    ops.extend(new_row("c", 11));
    ops.push(owner("kept", 12, 7));
    book.insert(
        7,
        ReplicaRecord {
            key_hash: "k7".into(),
            counter: 0,
            seq: 0,
        },
    );
    book.insert(
        7,
        ReplicaRecord {
            key_hash: "k7".into(),
            counter: 0,
            seq: 0,
        },
    );
    let outcome = accept(&mut live, &mut book, &batch(7, 1, ops), "k7", 1000, &limits);
    let Outcome::Logged { refused, .. } = outcome else {
        panic!()
    };
    assert_eq!(
        refused,
        vec![
            Refusal {
                op: 2,
                why: Why::RowLimit
            },
            Refusal {
                op: 3,
                why: Why::RowLimit
            }
        ]
    );
    let plan = live.doc.plan();
    assert_eq!(plan.rows.len(), 2);
    assert_eq!(plan.row(&RowId::from("a")).unwrap().owner, "kept");
}

fn notes_op(version: Version) -> Op {
    Op::Notes {
        row: RowId::from("a"),
        version,
    }
}

fn concurrent(text: &str, wall: u64, replica: u32) -> Version {
    Version {
        text: text.into(),
        stamp: Stamp {
            wall,
            count: 0,
            replica,
        },
        seen: Vec::new(),
        logged: 0,
        base: 0,
    }
}

#[test]
fn notes_keep_at_most_eight_versions_and_every_replay_agrees() {
    // Nine versions written at once, then one that saw the latest five, in two orders.
    let versions: Vec<Version> = (1..=9)
        .map(|i| concurrent(&format!("v{i}"), 100 + i, i as u32))
        .collect();
    let x = Version {
        text: "x".into(),
        stamp: Stamp {
            wall: 200,
            count: 0,
            replica: 50,
        },
        seen: versions[4..]
            .iter()
            .map(|v| (v.stamp.replica, v.stamp))
            .collect(),
        logged: 0,
        base: 0,
    };
    let mut with_x_last: Vec<(u32, Version)> = versions
        .iter()
        .map(|v| (v.stamp.replica, v.clone()))
        .collect();
    with_x_last.push((50, x.clone()));
    let mut with_x_first = with_x_last.clone();
    with_x_first.rotate_right(1);
    for order in [with_x_last, with_x_first] {
        let mut live = LiveDoc::new(doc(), 0);
        let mut book = HashMap::new();
        let mut log = Vec::new();
        for (replica, v) in order {
            let outcome = run(
                &mut live,
                &mut book,
                &batch(replica, 1, vec![notes_op(v)]),
                1000,
            );
            if let Outcome::Logged { logged, .. } = outcome {
                log.push(logged);
            }
        }
        let notes = &live.doc.rows[&RowId::from("a")].notes;
        assert!(
            notes.versions.len() <= MAX_VERSIONS,
            "{}",
            notes.versions.len()
        );
        assert_eq!(notes.text(), "x");
        // A browser replaying the log, in order, holds the server's document.
        let mut replay = doc();
        for logged in &log {
            for op in &logged.ops {
                replay.apply(op);
            }
        }
        assert_eq!(replay, live.doc);
    }
}

#[test]
fn a_document_keeps_to_its_byte_budget_and_can_always_shrink() {
    let mut live = LiveDoc::new(doc(), 0);
    let mut book = HashMap::new();
    let limits = DocLimits {
        bytes: live.bytes() + 25_000,
        ..DocLimits::default()
    };
    let note = |text: String, wall: u64| Op::Notes {
        row: RowId::from("a"),
        version: Version {
            text,
            stamp: Stamp {
                wall,
                count: 0,
                replica: 7,
            },
            seen: Vec::new(),
            logged: 0,
            base: 0,
        },
    };
    book.insert(
        7,
        ReplicaRecord {
            key_hash: "k7".into(),
            counter: 0,
            seq: 0,
        },
    );
    let mut sent = 0;
    let mut refused = 0;
    for i in 0..8u32 {
        // Versions written at once pile up: 8 of 9,000 characters is 72 KB.
        let b = batch(7, i + 1, vec![note("x".repeat(9_000), 100 + u64::from(i))]);
        match accept(&mut live, &mut book, &b, "k7", 1000, &limits) {
            Outcome::Logged { .. } => sent += 1,
            Outcome::Nothing { refused: r, .. } => {
                assert_eq!(r[0].why, Why::TooLarge);
                refused += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((sent, refused), (2, 6));
    assert!(live.bytes() <= limits.bytes);
    assert_eq!(
        live.bytes(),
        doc_bytes(&live.doc),
        "kept in step as ops apply"
    );
    // One version written over all of them, short: the document shrinks, and is taken.
    let mut over = live.doc.rows[&RowId::from("a")].notes.write(
        "short".into(),
        Stamp {
            wall: 500,
            count: 0,
            replica: 7,
        },
        0,
    );
    over.logged = 0;
    let b = batch(
        7,
        9,
        vec![Op::Notes {
            row: RowId::from("a"),
            version: over,
        }],
    );
    assert!(matches!(
        accept(&mut live, &mut book, &b, "k7", 1000, &limits),
        Outcome::Logged { .. }
    ));
    assert_eq!(live.bytes(), doc_bytes(&live.doc));
}

#[test]
fn resuming_asks_for_the_log_or_the_document() {
    assert_eq!(resume(None, 5), Resume::Snapshot);
    assert_eq!(resume(Some(5), 5), Resume::Current);
    assert_eq!(resume(Some(2), 5), Resume::Log { after: 2 });
    assert_eq!(
        resume(Some(9), 5),
        Resume::Snapshot,
        "another document's sequence"
    );
    let logged = |seq| Logged {
        seq,
        batch: seq,
        ops: vec![],
    };
    assert!(follows_on(2, 4, &[logged(3), logged(4)]));
    assert!(!follows_on(2, 4, &[logged(4)]), "a hole");
    assert!(!follows_on(2, 5, &[logged(3), logged(4)]), "short");
    assert!(follows_on(4, 4, &[]));
    let mut live = LiveDoc::new(doc(), 2);
    assert_eq!(live.catch_up(&[logged(4)], 4), Err(Behind));
    assert_eq!(live.catch_up(&[logged(3), logged(4)], 4), Ok(()));
    assert_eq!(live.seq, 4);
}
