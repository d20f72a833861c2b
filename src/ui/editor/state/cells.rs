//! One signal per cell: a row's cells, the grid's marks on it, and bringing them in line
//! with the model after a change (only what changed is set, so a keystroke re-renders one
//! cell, not the table).

use super::*;

/// How the grid marks a row: its active cell and the columns of it inside the selected
/// range. Set by the grid only for the rows whose marks change, so moving the cursor
/// touches two rows, not the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowMarks {
    pub active: Option<Field>,
    /// Bit `i` set: column `Field::ALL[i]` is in the selected range.
    pub selected: u8,
}

impl RowMarks {
    /// `data-sel` as CSS reads it: the selected columns' keys, space-separated.
    pub fn selected_keys(self) -> Option<String> {
        (self.selected != 0).then(|| {
            Field::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| self.selected & (1 << i) != 0)
                .map(|(_, f)| f.key())
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
}

/// The cells of one row, each its own signal.
#[derive(Clone)]
pub struct RowCells {
    pub id: RowId,
    /// The grid's marks on this row (active cell, selected range).
    pub marks: ArcRwSignal<RowMarks>,
    pub item: ArcRwSignal<String>,
    pub category: ArcRwSignal<String>,
    pub priority: ArcRwSignal<Priority>,
    pub owner: ArcRwSignal<String>,
    pub status: ArcRwSignal<Status>,
    pub notes: ArcRwSignal<String>,
    /// How many versions the Notes cell holds (more than one: people wrote it at once).
    pub versions: ArcRwSignal<u8>,
}

/// How many Notes versions a row of `entry` holds (1 unless people wrote them at once).
pub(super) fn versions_in(entry: &crate::model::PlanEntry, id: &RowId) -> u8 {
    entry
        .doc
        .row(id)
        .map_or(1, |r| r.notes.versions.len().min(255) as u8)
}

pub(super) fn set_if_changed<T>(signal: &ArcRwSignal<T>, value: &T)
where
    T: PartialEq + Clone + Send + Sync + 'static,
{
    if signal.with_untracked(|v| v != value) {
        signal.set(value.clone());
    }
}

impl RowCells {
    pub(super) fn new(row: &Row) -> RowCells {
        RowCells {
            id: row.id.clone(),
            marks: ArcRwSignal::new(RowMarks::default()),
            item: ArcRwSignal::new(row.item.clone()),
            category: ArcRwSignal::new(row.category.clone()),
            priority: ArcRwSignal::new(row.priority),
            owner: ArcRwSignal::new(row.owner.clone()),
            status: ArcRwSignal::new(row.status),
            notes: ArcRwSignal::new(row.notes.clone()),
            versions: ArcRwSignal::new(1),
        }
    }

    pub(super) fn update_from(&self, row: &Row) {
        set_if_changed(&self.item, &row.item);
        set_if_changed(&self.category, &row.category);
        set_if_changed(&self.priority, &row.priority);
        set_if_changed(&self.owner, &row.owner);
        set_if_changed(&self.status, &row.status);
        set_if_changed(&self.notes, &row.notes);
    }
}

impl PlanContext {
    /// Brings one row's signals in line with the model.
    pub(crate) fn sync_row(&self, id: &RowId) {
        let active = self.active();
        let row = self
            .session
            .with_value(|s| s.plan(&active).and_then(|p| p.row(id)).cloned());
        if let Some(row) = row {
            self.rows.with_untracked(|rows| {
                if let Some(cells) = rows.iter().find(|c| &c.id == id) {
                    cells.update_from(&row);
                    set_if_changed(&cells.versions, &self.versions_of(id));
                }
            });
        }
        self.sync_history();
    }

    /// Brings every signal in line with the model: changed cells update, rows that moved
    /// keep their DOM, new rows get new cells.
    pub(crate) fn sync(&self) {
        let plan = self.snapshot();
        if self.title.with_untracked(|t| t != &plan.title) {
            self.title.set(plan.title.clone());
        }
        let (plans, active, share) = self.session.with_value(|s| {
            let w = s.workspace();
            let plans: Vec<(PlanId, String)> = w
                .plans
                .iter()
                .map(|e| (e.id.clone(), e.plan.title.clone()))
                .collect();
            (plans, w.active.clone(), w.share_of(&w.active).cloned())
        });
        if self.plans.with_untracked(|p| p != &plans) {
            self.plans.set(plans);
        }
        if self.active_id.with_untracked(|a| a != &active) {
            // Another plan: its own rows, unfiltered.
            self.clear_view();
            self.active_id.set(active);
        }
        if self.share.with_untracked(|s| s != &share) {
            self.share.set(share);
        }
        let same_rows = self.rows.with_untracked(|cur| {
            cur.len() == plan.rows.len() && cur.iter().zip(&plan.rows).all(|(c, r)| c.id == r.id)
        });
        if same_rows {
            self.rows.with_untracked(|cur| {
                for (cells, row) in cur.iter().zip(&plan.rows) {
                    cells.update_from(row);
                }
            });
        } else {
            let mut old: HashMap<RowId, RowCells> = self
                .rows
                .with_untracked(|cur| cur.iter().map(|c| (c.id.clone(), c.clone())).collect());
            let next = plan
                .rows
                .iter()
                .map(|row| match old.remove(&row.id) {
                    Some(cells) => {
                        cells.update_from(row);
                        cells
                    }
                    None => RowCells::new(row),
                })
                .collect();
            self.rows.set(next);
        }
        self.sync_versions();
        self.sync_history();
    }

    /// How many Notes versions the row holds (1 unless people wrote them at once).
    fn versions_of(&self, id: &RowId) -> u8 {
        let active = self.active();
        self.session
            .with_value(|s| s.entry(&active).map_or(1, |e| versions_in(e, id)))
    }

    fn sync_versions(&self) {
        let active = self.active();
        self.session.with_value(|s| {
            let Some(entry) = s.entry(&active) else {
                return;
            };
            self.rows.with_untracked(|rows| {
                for cells in rows {
                    set_if_changed(&cells.versions, &versions_in(entry, &cells.id));
                }
            });
        });
    }

    /// The texts of a Notes cell written at once by several people, latest first.
    pub fn notes_versions(&self, id: &RowId) -> Vec<String> {
        let active = self.active();
        self.session.with_value(|s| {
            s.entry(&active)
                .and_then(|e| e.doc.row(id))
                .map(|r| r.notes.versions.iter().map(|v| v.text.clone()).collect())
                .unwrap_or_default()
        })
    }

    /// Keeps one text for a Notes cell that holds several versions (one of them, or a
    /// merge), written over all of them.
    pub fn resolve_notes(&self, id: &RowId, text: String) {
        let active = self.active();
        if self.update_session(|s| s.resolve_notes(&active, id, text)) {
            self.sync_row(id);
            self.edited.notify();
            self.announce("Notes kept.".into());
        }
    }

    pub(crate) fn sync_history(&self) {
        let active = self.active();
        let (undo, redo) = self
            .session
            .with_value(|s| (s.can_undo(&active), s.can_redo(&active)));
        if self.can_undo.get_untracked() != undo {
            self.can_undo.set(undo);
        }
        if self.can_redo.get_untracked() != redo {
            self.can_redo.set(redo);
        }
    }
}
