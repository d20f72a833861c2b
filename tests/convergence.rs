//! The convergence harness: simulated replicas of the real model (documents, sync state,
//! clocks) and a simulated server (the real op-log bookkeeping), with connections that
//! break and come back, partitions lasting days, clocks set wrong, duplicated and reordered
//! deliveries and server restarts. After healing, every replica and the server must hold
//! the same document (compared by checksum), no acknowledged op may be lost, and no row may
//! be duplicated or lost.
//!
//! Deterministic: `SYNCPLAN_SIM_SEEDS` sets how many seeds run (default 40), and
//! `SYNCPLAN_SIM_SEED` runs just one (the failure message prints it); `SYNCPLAN_SIM_STEPS`
//! sets the steps per seed (default 1,500).

use std::collections::{HashMap, HashSet};
use syncplan::model::{
    Batch, Clock, Doc, Field, Hub, Logged, Op, Plan, Position, Priority, Row, RowId, Stamp, Status,
    SyncState, Update, Version,
};

/// A small deterministic random source (xorshift*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const DAY: u64 = 86_400_000;

enum ToServer {
    Hello { since: u64 },
    Batch(Batch),
}

enum ToClient {
    Snapshot { seq: u64, doc: Doc },
    Ops(Logged),
    Ack { batch: u64, seq: u64 },
}

/// Something a replica did, to undo later: the register and what it held before.
struct Undoable {
    op_before: Op,
    written: Stamp,
}

struct Replica {
    sync: SyncState,
    shown: Doc,
    clock: Clock,
    /// How wrong this replica's clock is (ms; may be days ahead or behind).
    skew: i64,
    connected: bool,
    /// Messages on their way, per direction (cleared when the connection breaks).
    inbox: Vec<ToClient>,
    outbox: Vec<ToServer>,
    undo: Vec<Undoable>,
}

struct World {
    rng: Rng,
    now: u64,
    hub: Hub,
    replicas: Vec<Replica>,
    /// Every batch the server acknowledged, with the ops it logged.
    acknowledged: HashMap<u64, Vec<Op>>,
    inserted: HashSet<RowId>,
    deleted: HashSet<RowId>,
    next_row: u64,
}

fn template() -> Plan {
    Plan::new(
        "Shared plan",
        (0..6)
            .map(|i| Row {
                item: format!("Row {i}"),
                ..Row::blank(RowId(format!("t{i}")))
            })
            .collect(),
    )
}

impl World {
    fn new(seed: u64, replicas: usize) -> World {
        let base = Doc::from_plan(&template());
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let replicas = (0..replicas)
            .map(|i| {
                let skew = match rng.below(4) {
                    0 => 0,
                    1 => (rng.below(3 * DAY) as i64) - (DAY as i64),
                    2 => rng.below(5_000) as i64,
                    _ => -(rng.below(10 * DAY) as i64),
                };
                Replica {
                    sync: SyncState::new(base.clone(), 0, i as u32 + 1),
                    shown: base.clone(),
                    clock: Clock::new(i as u32 + 1),
                    skew,
                    connected: false,
                    inbox: Vec::new(),
                    outbox: Vec::new(),
                    undo: Vec::new(),
                }
            })
            .collect();
        World {
            rng,
            now: 20 * DAY,
            hub: Hub::new(base),
            replicas,
            acknowledged: HashMap::new(),
            inserted: (0..6).map(|i| RowId(format!("t{i}"))).collect(),
            deleted: HashSet::new(),
            next_row: 0,
        }
    }

    fn local_now(&self, r: usize) -> u64 {
        (self.now as i64 + self.replicas[r].skew).max(1) as u64
    }

    fn connect(&mut self, r: usize) {
        let rep = &mut self.replicas[r];
        rep.connected = true;
        rep.inbox.clear();
        rep.outbox.clear();
        rep.outbox.push(ToServer::Hello {
            since: rep.sync.seq,
        });
        // Everything not acknowledged is sent again, with the same ids.
        for b in rep.sync.unacknowledged().cloned().collect::<Vec<_>>() {
            rep.outbox.push(ToServer::Batch(b));
        }
    }

    fn disconnect(&mut self, r: usize) {
        let rep = &mut self.replicas[r];
        rep.connected = false;
        rep.inbox.clear();
        rep.outbox.clear();
    }

    /// One person's edit on replica `r`, through the same ops the editor writes.
    fn edit(&mut self, r: usize) {
        let now = self.local_now(r);
        let order: Vec<RowId> = self.replicas[r]
            .shown
            .order()
            .into_iter()
            .cloned()
            .collect();
        let kind = self.rng.below(100);
        let rep_stamp = self.replicas[r].clock.tick(now);
        let rep = &self.replicas[r];
        let pick = |rng: &mut Rng| order.get(rng.below(order.len() as u64) as usize).cloned();
        let mut ops: Vec<(Op, Op)> = Vec::new(); // (op, what it replaced)
        let before_of = |doc: &Doc, op: &Op| -> Op {
            match op {
                Op::Title { .. } => Op::Title {
                    text: doc.title.value.clone(),
                    stamp: doc.title.stamp,
                },
                Op::Alive { row, .. } => Op::Alive {
                    row: row.clone(),
                    alive: doc.row(row).is_some_and(|r| r.alive.value),
                    stamp: doc.row(row).map_or(Stamp::ZERO, |r| r.alive.stamp),
                },
                Op::Position { row, .. } => Op::Position {
                    row: row.clone(),
                    position: doc
                        .row(row)
                        .map_or_else(Position::default, |r| r.position.value.clone()),
                    stamp: doc.row(row).map_or(Stamp::ZERO, |r| r.position.stamp),
                },
                Op::Cell { row, field, .. } => {
                    let plan_row = doc.row(row);
                    Op::Cell {
                        row: row.clone(),
                        field: *field,
                        value: plan_row.map_or_else(String::new, |r| match field {
                            Field::Item => r.item.value.clone(),
                            Field::Category => r.category.value.clone(),
                            Field::Owner => r.owner.value.clone(),
                            Field::Priority => r.priority.value.as_str().to_owned(),
                            _ => r.status.value.as_str().to_owned(),
                        }),
                        stamp: plan_row.map_or(Stamp::ZERO, |r| r.stamp(*field)),
                    }
                }
                Op::Notes { row, .. } => Op::Notes {
                    row: row.clone(),
                    version: doc
                        .row(row)
                        .and_then(|r| r.notes.versions.first().cloned())
                        .unwrap_or(Version {
                            text: String::new(),
                            stamp: Stamp::ZERO,
                            seen: Vec::new(),
                        }),
                },
            }
        };
        let word = |rng: &mut Rng| format!("w{}", rng.below(50));
        if kind < 40 {
            if let Some(row) = pick(&mut self.rng) {
                let field = [
                    Field::Item,
                    Field::Category,
                    Field::Owner,
                    Field::Priority,
                    Field::Status,
                ][self.rng.below(5) as usize];
                let value = match field {
                    Field::Priority => Priority::ALL[self.rng.below(4) as usize]
                        .as_str()
                        .to_owned(),
                    Field::Status => Status::ALL[self.rng.below(4) as usize].as_str().to_owned(),
                    _ => word(&mut self.rng),
                };
                let op = Op::Cell {
                    row,
                    field,
                    value,
                    stamp: rep_stamp,
                };
                ops.push((op.clone(), before_of(&rep.shown, &op)));
            }
        } else if kind < 55 {
            if let Some(row) = pick(&mut self.rng) {
                let text = word(&mut self.rng);
                let version = match rep.shown.row(&row) {
                    Some(r) => r.notes.write(text, rep_stamp),
                    None => Version {
                        text,
                        stamp: rep_stamp,
                        seen: Vec::new(),
                    },
                };
                let op = Op::Notes { row, version };
                ops.push((op.clone(), before_of(&rep.shown, &op)));
            }
        } else if kind < 70 {
            // Insert a row at a random place.
            self.next_row += 1;
            let id = RowId(format!("n{r}x{}", self.next_row));
            let at = self.rng.below(order.len() as u64 + 1) as usize;
            let pos = |i: Option<usize>| {
                i.and_then(|i| order.get(i))
                    .and_then(|id| rep.shown.row(id))
                    .map(|r| r.position.value.clone())
            };
            let position =
                Position::between(pos(at.checked_sub(1)).as_ref(), pos(Some(at)).as_ref());
            for op in [
                Op::Alive {
                    row: id.clone(),
                    alive: true,
                    stamp: rep_stamp,
                },
                Op::Position {
                    row: id.clone(),
                    position,
                    stamp: rep_stamp,
                },
                Op::Cell {
                    row: id.clone(),
                    field: Field::Item,
                    value: word(&mut self.rng),
                    stamp: rep_stamp,
                },
            ] {
                ops.push((op.clone(), before_of(&rep.shown, &op)));
            }
            self.inserted.insert(id);
        } else if kind < 78 {
            if let Some(row) = pick(&mut self.rng) {
                let op = Op::Alive {
                    row: row.clone(),
                    alive: false,
                    stamp: rep_stamp,
                };
                ops.push((op.clone(), before_of(&rep.shown, &op)));
                self.deleted.insert(row);
            }
        } else if kind < 90 {
            if let (Some(row), true) = (pick(&mut self.rng), order.len() > 1) {
                let others: Vec<&RowId> = order.iter().filter(|id| **id != row).collect();
                let at = self.rng.below(others.len() as u64 + 1) as usize;
                let pos = |i: Option<usize>| {
                    i.and_then(|i| others.get(i))
                        .and_then(|id| rep.shown.row(id))
                        .map(|r| r.position.value.clone())
                };
                let position =
                    Position::between(pos(at.checked_sub(1)).as_ref(), pos(Some(at)).as_ref());
                let op = Op::Position {
                    row,
                    position,
                    stamp: rep_stamp,
                };
                ops.push((op.clone(), before_of(&rep.shown, &op)));
            }
        } else if let Some(undo) = self.replicas[r].undo.pop() {
            // Undo only my own edit: skip it when someone else wrote that register since.
            let current = before_of(&self.replicas[r].shown, &undo.op_before);
            if current.stamp() == undo.written {
                let op = match &undo.op_before {
                    // Notes: the old text, written over what is there now.
                    Op::Notes { row, version } => Op::Notes {
                        row: row.clone(),
                        version: match self.replicas[r].shown.row(row) {
                            Some(held) => held.notes.write(version.text.clone(), rep_stamp),
                            None => Version {
                                text: version.text.clone(),
                                stamp: rep_stamp,
                                seen: Vec::new(),
                            },
                        },
                    },
                    other => other.restamped(rep_stamp),
                };
                if let Op::Alive {
                    row, alive: false, ..
                } = &op
                {
                    self.deleted.insert(row.clone());
                }
                ops.push((op.clone(), current));
            }
        }
        let rep = &mut self.replicas[r];
        for (op, before) in ops {
            rep.shown.apply(&op);
            rep.sync.local([op.clone()]);
            rep.undo.push(Undoable {
                op_before: before,
                written: op.stamp(),
            });
        }
        if rep.undo.len() > 20 {
            rep.undo.remove(0);
        }
    }

    fn send_batches(&mut self, r: usize) {
        let rep = &mut self.replicas[r];
        while let Some(batch) = rep.sync.seal(4) {
            if rep.connected {
                rep.outbox.push(ToServer::Batch(batch));
            }
        }
    }

    /// Delivers one message to the server from replica `r`.
    fn deliver_up(&mut self, r: usize) {
        if self.replicas[r].outbox.is_empty() {
            return;
        }
        let msg = self.replicas[r].outbox.remove(0);
        match msg {
            ToServer::Hello { since } => {
                let reply = match self.hub.since(since) {
                    Some(deltas) => deltas.into_iter().map(ToClient::Ops).collect(),
                    None => vec![ToClient::Snapshot {
                        seq: self.hub.seq,
                        doc: self.hub.doc.clone(),
                    }],
                };
                self.replicas[r].inbox.extend(reply);
            }
            ToServer::Batch(batch) => {
                let receipt = self.hub.receive(&batch, self.now);
                // Acknowledged only once logged ("committed").
                self.acknowledged
                    .entry(batch.id)
                    .or_insert_with(|| receipt.ops.clone());
                if !receipt.duplicate {
                    for rep in self.replicas.iter_mut().filter(|rep| rep.connected) {
                        rep.inbox.push(ToClient::Ops(Logged {
                            seq: receipt.seq,
                            batch: batch.id,
                            ops: receipt.ops.clone(),
                        }));
                    }
                }
                self.replicas[r].inbox.push(ToClient::Ack {
                    batch: batch.id,
                    seq: receipt.seq,
                });
            }
        }
    }

    /// Delivers one message to replica `r` (sometimes out of order, sometimes twice).
    fn deliver_down(&mut self, r: usize) {
        let n = self.replicas[r].inbox.len();
        if n == 0 {
            return;
        }
        let i = if self.rng.chance(20) {
            self.rng.below(n as u64) as usize
        } else {
            0
        };
        let msg = self.replicas[r].inbox.remove(i);
        if self.rng.chance(5) {
            if let ToClient::Ops(logged) = &msg {
                self.replicas[r].inbox.push(ToClient::Ops(logged.clone()));
            }
        }
        let rep = &mut self.replicas[r];
        let update = match msg {
            ToClient::Snapshot { seq, doc } => {
                rep.clock.observe(doc.latest());
                rep.sync.on_snapshot(seq, doc)
            }
            ToClient::Ops(logged) => {
                for op in &logged.ops {
                    rep.clock.observe(op.stamp());
                }
                rep.sync.on_ops(logged, &mut rep.shown)
            }
            ToClient::Ack { batch, seq } => rep.sync.on_ack(batch, seq),
        };
        if update == Update::Rebuild {
            rep.shown = rep.sync.view();
        }
        // A gap that no message will fill: ask again.
        if rep.sync.has_gap() && rep.inbox.is_empty() && rep.connected {
            rep.outbox.push(ToServer::Hello {
                since: rep.sync.seq,
            });
        }
    }

    fn step(&mut self) {
        self.now += match self.rng.below(100) {
            0 => DAY + self.rng.below(2 * DAY),
            1..=5 => self.rng.below(60_000),
            _ => self.rng.below(2_000),
        };
        let r = self.rng.below(self.replicas.len() as u64) as usize;
        match self.rng.below(100) {
            0..=29 => self.edit(r),
            30..=34 => self.send_batches(r),
            35..=37 => {
                if self.replicas[r].connected {
                    self.disconnect(r)
                } else {
                    self.connect(r)
                }
            }
            38 => {
                // The server restarts: every connection drops; the log survives.
                for r in 0..self.replicas.len() {
                    self.disconnect(r);
                }
            }
            39 => {
                let upto = self.hub.seq.saturating_sub(self.rng.below(20));
                self.hub.prune(upto);
            }
            40..=69 => self.deliver_up(r),
            _ => self.deliver_down(r),
        }
        if self.replicas[r].connected && self.rng.chance(30) {
            self.send_batches(r);
        }
    }

    /// Everyone online, everything delivered.
    fn heal(&mut self) {
        for r in 0..self.replicas.len() {
            self.send_batches(r);
            self.connect(r);
        }
        for _ in 0..100_000 {
            let busy = self
                .replicas
                .iter()
                .any(|rep| !rep.inbox.is_empty() || !rep.outbox.is_empty());
            if !busy {
                let settled = self.replicas.iter().all(|rep| {
                    rep.sync.pending.is_empty()
                        && rep.sync.open.is_empty()
                        && rep.sync.seq == self.hub.seq
                });
                if settled {
                    return;
                }
                for r in 0..self.replicas.len() {
                    self.send_batches(r);
                    self.connect(r);
                }
                continue;
            }
            for r in 0..self.replicas.len() {
                self.deliver_up(r);
                let rep = &mut self.replicas[r];
                while !rep.inbox.is_empty() {
                    let msg = rep.inbox.remove(0);
                    let update = match msg {
                        ToClient::Snapshot { seq, doc } => rep.sync.on_snapshot(seq, doc),
                        ToClient::Ops(logged) => rep.sync.on_ops(logged, &mut rep.shown),
                        ToClient::Ack { batch, seq } => rep.sync.on_ack(batch, seq),
                    };
                    if update == Update::Rebuild {
                        rep.shown = rep.sync.view();
                    }
                }
                if rep.sync.has_gap() {
                    rep.outbox.push(ToServer::Hello {
                        since: rep.sync.seq,
                    });
                }
            }
        }
        panic!("the world did not settle");
    }

    fn check(&self, seed: u64) {
        let server = &self.hub.doc;
        for (i, rep) in self.replicas.iter().enumerate() {
            if rep.shown != *server {
                if rep.shown.title != server.title {
                    eprintln!("title: {:?} vs {:?}", rep.shown.title, server.title);
                }
                for (id, row) in &server.rows {
                    if rep.shown.rows.get(id) != Some(row) {
                        eprintln!(
                            "row {id}:\n  replica {:?}\n  server  {:?}",
                            rep.shown.rows.get(id),
                            row
                        );
                    }
                }
            }
            assert_eq!(
                rep.shown.checksum(),
                server.checksum(),
                "seed {seed}: replica {i} differs from the server"
            );
            assert_eq!(&rep.shown, server, "seed {seed}: replica {i}");
            assert_eq!(rep.sync.view(), *server, "seed {seed}: replica {i} (view)");
        }
        // No acknowledged op lost: each register holds it or something later.
        for ops in self.acknowledged.values() {
            for op in ops {
                let kept = match op {
                    Op::Title { stamp, .. } => server.title.stamp >= *stamp,
                    Op::Alive { row, stamp, .. } => server.rows[row].alive.stamp >= *stamp,
                    Op::Position { row, stamp, .. } => server.rows[row].position.stamp >= *stamp,
                    Op::Cell {
                        row, field, stamp, ..
                    } => server.rows[row].stamp(*field) >= *stamp,
                    Op::Notes { row, version } => {
                        let notes = &server.rows[row].notes;
                        notes.versions.iter().any(|v| v.stamp == version.stamp)
                            || notes.versions.iter().any(|v| v.stamp > version.stamp)
                    }
                };
                assert!(kept, "seed {seed}: acknowledged {op:?} lost");
            }
        }
        // No row doubled, none lost.
        let order = server.order();
        let unique: HashSet<_> = order.iter().collect();
        assert_eq!(unique.len(), order.len(), "seed {seed}: a row shows twice");
        for id in self.inserted.difference(&self.deleted) {
            assert!(
                server.row(id).is_some_and(|r| r.alive.value),
                "seed {seed}: row {id} was lost"
            );
        }
    }
}

fn run(seed: u64, steps: usize) {
    let replicas = 2 + (seed % 4) as usize;
    let mut world = World::new(seed, replicas);
    for r in 0..replicas {
        if world.rng.chance(70) {
            world.connect(r);
        }
    }
    for _ in 0..steps {
        world.step();
    }
    world.heal();
    world.check(seed);
}

#[test]
fn every_replica_converges_whatever_the_network_does() {
    let steps: usize = std::env::var("SYNCPLAN_SIM_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_500);
    if let Ok(seed) = std::env::var("SYNCPLAN_SIM_SEED") {
        run(seed.parse().expect("SYNCPLAN_SIM_SEED is a number"), steps);
        return;
    }
    let seeds: u64 = std::env::var("SYNCPLAN_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    for seed in 1..=seeds {
        run(seed, steps);
    }
    println!("{seeds} seeds × {steps} steps converged");
}
