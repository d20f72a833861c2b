//! The replicated plan: rows of registers, the ops that change them, `apply` and `merge`.

use super::notes::{add_seen, Notes};
use super::op::{CellValue, Op};
use super::position::{valid_position, Position};
use super::stamp::{Reg, Stamp};
use crate::model::doc::limits::{clean_text, is_valid_row_id, max_chars, MAX_TITLE_CHARS};
use crate::model::doc::plan::{Field, Plan, Priority, Row, RowId, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One row of the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowDoc {
    pub alive: Reg<bool>,
    pub position: Reg<Position>,
    pub item: Reg<String>,
    pub category: Reg<String>,
    pub priority: Reg<Priority>,
    pub owner: Reg<String>,
    pub status: Reg<Status>,
    pub notes: Notes,
}

impl RowDoc {
    /// A row known only by id (an edit arrived before its insert): hidden until inserted.
    pub fn unknown() -> RowDoc {
        RowDoc {
            alive: Reg::unset(false),
            position: Reg::unset(Position::default()),
            item: Reg::unset(String::new()),
            category: Reg::unset(String::new()),
            priority: Reg::unset(Priority::default()),
            owner: Reg::unset(String::new()),
            status: Reg::unset(Status::default()),
            notes: Notes::unset(),
        }
    }

    fn from_row(row: &Row, position: Position) -> RowDoc {
        RowDoc {
            alive: Reg::new(true),
            position: Reg::new(position),
            item: Reg::new(row.item.clone()),
            category: Reg::new(row.category.clone()),
            priority: Reg::new(row.priority),
            owner: Reg::new(row.owner.clone()),
            status: Reg::new(row.status),
            notes: Notes::new(row.notes.clone()),
        }
    }

    pub fn to_row(&self, id: &RowId) -> Row {
        Row {
            id: id.clone(),
            item: self.item.value.clone(),
            category: self.category.value.clone(),
            priority: self.priority.value,
            owner: self.owner.value.clone(),
            status: self.status.value,
            notes: self.notes.text().to_owned(),
        }
    }

    /// The stamp of the register behind `field`.
    pub fn stamp(&self, field: Field) -> Stamp {
        match field {
            Field::Item => self.item.stamp,
            Field::Category => self.category.stamp,
            Field::Priority => self.priority.stamp,
            Field::Owner => self.owner.stamp,
            Field::Status => self.status.stamp,
            Field::Notes => self.notes.versions.first().map_or(Stamp::ZERO, |v| v.stamp),
        }
    }
}

/// What an op or a merge changed, for whoever shows the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Title,
    /// A cell of a row (its shown value or its versions).
    Cell(RowId, Field),
    /// Rows appeared, disappeared or moved.
    Order,
}

/// The replicated plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    pub title: Reg<String>,
    pub rows: BTreeMap<RowId, RowDoc>,
}

impl Doc {
    /// A document holding `plan`, written by nobody yet: the same on every replica that
    /// starts from the same plan.
    pub fn from_plan(plan: &Plan) -> Doc {
        let positions = Position::spread(plan.rows.len());
        Doc {
            title: Reg::new(plan.title.clone()),
            rows: plan
                .rows
                .iter()
                .zip(positions)
                .map(|(row, p)| (row.id.clone(), RowDoc::from_row(row, p)))
                .collect(),
        }
    }

    /// A document nothing was written to (a live plan before the server's copy arrives).
    pub fn empty() -> Doc {
        Doc {
            title: Reg::unset(String::new()),
            rows: BTreeMap::new(),
        }
    }

    /// The writes that turn the server's copy of this plan, built from what was published
    /// (`from_plan`: unedited stamps), into this document: every register written again at
    /// `stamp`, each Notes cell as one version that has seen the published text.
    pub fn published_ops(&self, stamp: Stamp) -> Vec<Op> {
        let mut ops: Vec<Op> = self
            .ops()
            .into_iter()
            .filter(|op| !matches!(op, Op::Notes { .. }))
            .map(|op| op.restamped(stamp))
            .collect();
        for (id, r) in &self.rows {
            let mut version = r.notes.write(r.notes.text().to_owned(), stamp, 0);
            add_seen(&mut version.seen, Stamp::BASE);
            ops.push(Op::Notes {
                row: id.clone(),
                version,
            });
        }
        ops
    }

    /// The plan as people see it: the live rows in order.
    pub fn plan(&self) -> Plan {
        Plan::new(self.title.value.clone(), self.live_rows())
    }

    /// The live rows in order.
    pub fn live_rows(&self) -> Vec<Row> {
        self.order()
            .into_iter()
            .map(|id| self.rows[id].to_row(id))
            .collect()
    }

    /// The ids of the live rows, in order.
    pub fn order(&self) -> Vec<&RowId> {
        let mut live: Vec<(&Position, &RowId)> = self
            .rows
            .iter()
            .filter(|(_, r)| r.alive.value)
            .map(|(id, r)| (&r.position.value, id))
            .collect();
        live.sort();
        live.into_iter().map(|(_, id)| id).collect()
    }

    pub fn live_count(&self) -> usize {
        self.rows.values().filter(|r| r.alive.value).count()
    }

    pub fn row(&self, id: &RowId) -> Option<&RowDoc> {
        self.rows.get(id)
    }

    /// Applies one op. Commutative and idempotent: the result does not depend on the order
    /// ops arrive in, nor on how often.
    pub fn apply(&mut self, op: &Op) -> Option<Change> {
        match op {
            Op::Title { text, stamp } => self.title.merge(text, *stamp).then_some(Change::Title),
            Op::Alive { row, alive, stamp } => {
                let r = self.rows.entry(row.clone()).or_insert_with(RowDoc::unknown);
                r.alive.merge(alive, *stamp).then_some(Change::Order)
            }
            Op::Position {
                row,
                position,
                stamp,
            } => {
                let r = self.rows.entry(row.clone()).or_insert_with(RowDoc::unknown);
                (r.position.merge(position, *stamp) && r.alive.value).then_some(Change::Order)
            }
            Op::Cell { row, value, stamp } => {
                let r = self.rows.entry(row.clone()).or_insert_with(RowDoc::unknown);
                let changed = match value {
                    CellValue::Item(v) => r.item.merge(v, *stamp),
                    CellValue::Category(v) => r.category.merge(v, *stamp),
                    CellValue::Owner(v) => r.owner.merge(v, *stamp),
                    CellValue::Priority(p) => r.priority.merge(p, *stamp),
                    CellValue::Status(s) => r.status.merge(s, *stamp),
                };
                (changed && r.alive.value).then(|| Change::Cell(row.clone(), value.field()))
            }
            Op::Notes { row, version } => {
                let r = self.rows.entry(row.clone()).or_insert_with(RowDoc::unknown);
                (r.notes.merge(version) && r.alive.value)
                    .then(|| Change::Cell(row.clone(), Field::Notes))
            }
        }
    }

    /// Takes in everything `other` holds. Commutative, associative, idempotent.
    pub fn merge(&mut self, other: &Doc) -> Vec<Change> {
        let mut changes = Vec::new();
        for op in other.ops() {
            if let Some(c) = self.apply(&op) {
                if !changes.contains(&c) {
                    changes.push(c);
                }
            }
        }
        changes
    }

    /// The document as ops (applying them to an empty document gives it back).
    pub fn ops(&self) -> Vec<Op> {
        let mut ops = vec![Op::Title {
            text: self.title.value.clone(),
            stamp: self.title.stamp,
        }];
        for (id, r) in &self.rows {
            ops.push(Op::Alive {
                row: id.clone(),
                alive: r.alive.value,
                stamp: r.alive.stamp,
            });
            ops.push(Op::Position {
                row: id.clone(),
                position: r.position.value.clone(),
                stamp: r.position.stamp,
            });
            for (value, stamp) in [
                (CellValue::Item(r.item.value.clone()), r.item.stamp),
                (
                    CellValue::Category(r.category.value.clone()),
                    r.category.stamp,
                ),
                (CellValue::Priority(r.priority.value), r.priority.stamp),
                (CellValue::Owner(r.owner.value.clone()), r.owner.stamp),
                (CellValue::Status(r.status.value), r.status.stamp),
            ] {
                ops.push(Op::Cell {
                    row: id.clone(),
                    value,
                    stamp,
                });
            }
            for version in &r.notes.versions {
                ops.push(Op::Notes {
                    row: id.clone(),
                    version: version.clone(),
                });
            }
        }
        ops
    }

    /// A checksum of the whole document (replicas that agree have equal checksums).
    pub fn checksum(&self) -> u64 {
        // FNV-1a over the canonical JSON: stable across builds and platforms.
        let json = serde_json::to_string(self).unwrap_or_default();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in json.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash
    }

    /// The document with every value brought within the plan's rules (a stored copy may
    /// have been edited by hand): text cleaned and cut to its limit, rows with an invalid
    /// id and positions that are not base-62 dropped.
    pub fn sanitized(mut self) -> Doc {
        self.title.value = clean_text(&self.title.value, MAX_TITLE_CHARS);
        self.rows.retain(|id, _| is_valid_row_id(id.as_str()));
        for row in self.rows.values_mut() {
            for (field, reg) in [
                (Field::Item, &mut row.item),
                (Field::Category, &mut row.category),
                (Field::Owner, &mut row.owner),
            ] {
                reg.value = clean_text(&reg.value, max_chars(field));
            }
            for v in &mut row.notes.versions {
                v.text = clean_text(&v.text, max_chars(Field::Notes));
            }
            if row.notes.versions.is_empty() {
                row.notes = Notes::unset();
            }
            if !valid_position(&row.position.value) {
                row.position = Reg::unset(Position::default());
            }
        }
        self
    }

    /// The stamp of the register `op` writes, as held here (`ZERO` when never written).
    pub fn held_stamp(&self, op: &Op) -> Stamp {
        match op {
            Op::Title { .. } => self.title.stamp,
            Op::Alive { row, .. } => self.row(row).map_or(Stamp::ZERO, |r| r.alive.stamp),
            Op::Position { row, .. } => self.row(row).map_or(Stamp::ZERO, |r| r.position.stamp),
            Op::Cell { row, value, .. } => self
                .row(row)
                .map_or(Stamp::ZERO, |r| r.stamp(value.field())),
            Op::Notes { row, .. } => self.row(row).map_or(Stamp::ZERO, |r| r.stamp(Field::Notes)),
        }
    }

    /// Whether the register `op` writes holds a write with `op`'s very stamp: `Some(true)`
    /// with the same content (the same write, again), `Some(false)` with other content (a
    /// stamp copied onto something else), `None` when it holds another stamp.
    pub fn same_write(&self, op: &Op) -> Option<bool> {
        let stamp = op.stamp();
        match op {
            Op::Title { text, .. } => {
                (self.title.stamp == stamp).then(|| self.title.value == *text)
            }
            Op::Alive { row, alive, .. } => {
                let reg = &self.row(row)?.alive;
                (reg.stamp == stamp).then_some(reg.value == *alive)
            }
            Op::Position { row, position, .. } => {
                let reg = &self.row(row)?.position;
                (reg.stamp == stamp).then(|| reg.value == *position)
            }
            Op::Cell { row, value, .. } => {
                let r = self.row(row)?;
                (r.stamp(value.field()) == stamp)
                    .then(|| r.to_row(row).text(value.field()) == value.text())
            }
            Op::Notes { row, version } => {
                let held = self
                    .row(row)?
                    .notes
                    .versions
                    .iter()
                    .find(|v| v.stamp == stamp)?;
                Some(held.text == version.text)
            }
        }
    }

    /// Applies `op`; says whether it was news here (a later write, or a change).
    pub fn take(&mut self, op: &Op) -> bool {
        let newer = op.stamp() > self.held_stamp(op);
        self.apply(op).is_some() || newer
    }

    /// The latest stamp anywhere in the document.
    pub fn latest(&self) -> Stamp {
        self.ops()
            .iter()
            .map(Op::stamp)
            .max()
            .unwrap_or(Stamp::ZERO)
    }
}
