//! The editor state that components share: the model session and one signal per cell (so
//! a keystroke re-renders one cell, not the table). It imports nothing of the UI: what
//! reacts to a change (persistence to local storage, the sync client of plans edited
//! together) subscribes to one of its three triggers, `edited`, `stored` and `switched`.

use crate::browser::dom;
use crate::model::{
    clean_text, Edit, Field, OwnedShare, Plan, PlanId, Priority, Readiness, Row, RowId, Session,
    Status, TableView, ViewSpec, Workspace, MAX_TITLE_CHARS,
};
use leptos::prelude::*;

mod cells;
pub use cells::{RowCells, RowMarks};
use std::collections::HashMap;

/// Where a tab remembers which plan it has open (session storage: per tab).
pub(crate) const TAB_ACTIVE_KEY: &str = "syncplan.active";

/// What the save indicator says.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    /// Server render and first client render, before local storage is read.
    Starting,
    /// Nothing to save yet (first visit, no edits).
    Ready,
    Saved {
        at_ms: f64,
    },
    /// The last save failed; edits are kept in memory and saving is retried on the next edit.
    Failed(String),
    /// Local storage cannot be used; editing continues in memory.
    Unavailable(String),
    /// Another tab runs a newer syncplan; this one stops saving so it cannot lose that data.
    NewerVersion,
}

/// A message at the top of the editor.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    /// A stored value we could not read, offered as a download.
    pub backup: Option<String>,
    /// A cell whose edit history explains the message ("Show edit history").
    pub cell: Option<crate::model::CellRef>,
}

#[derive(Clone, Copy)]
pub struct PlanContext {
    pub(crate) session: StoredValue<Session>,
    pub read_only: bool,
    /// This tab changed the open plan (an edit, undo, redo): it is saved, and sent when the
    /// plan is edited together.
    pub edited: Trigger,
    /// The workspace changed otherwise (a link remembered, someone else's edit shown): it
    /// is saved.
    pub stored: Trigger,
    /// The open plan, or whether it is edited together, changed: it is saved, and the sync
    /// client connects to what is open now.
    pub switched: Trigger,
    pub title: RwSignal<String>,
    pub rows: RwSignal<Vec<RowCells>>,
    /// Every plan of the workspace (id, title), in order.
    pub plans: RwSignal<Vec<(PlanId, String)>>,
    pub active_id: RwSignal<PlanId>,
    /// The share link this browser owns for the open plan.
    pub share: RwSignal<Option<OwnedShare>>,
    pub can_undo: RwSignal<bool>,
    pub can_redo: RwSignal<bool>,
    pub save_state: RwSignal<SaveState>,
    pub notice: RwSignal<Option<Notice>>,
    /// Text for the screen-reader live region.
    pub announcement: RwSignal<String>,
    /// The filter and sort the user chose, and what they come to for the current rows.
    pub spec: RwSignal<ViewSpec>,
    pub view: RwSignal<TableView>,
    /// Each row's position in the plan (its `#`), whatever the display order.
    pub positions: Memo<HashMap<RowId, usize>>,
    /// The readiness summary, live.
    pub readiness: Memo<Readiness>,
    /// Set once the stored workspace has been read (after hydration).
    pub loaded: RwSignal<bool>,
    /// Whether every row is on the page (the table adds long plans in steps).
    pub fully_rendered: RwSignal<bool>,
    /// The row whose Notes versions the user is choosing between.
    pub notes_choice: RwSignal<Option<RowId>>,
    /// Someone else changed the cell being typed in: who, and what it holds now.
    pub typing_news: RwSignal<Option<TypingNews>>,
}

/// Someone else wrote the cell this tab is typing in.
#[derive(Clone, Debug, PartialEq)]
pub struct TypingNews {
    /// A sentence for the person typing.
    pub text: String,
    /// What they wrote (Escape goes back to it, not to what the cell held before).
    pub theirs: String,
}

/// Provides the editor state for `plan`. With `read_only`, nothing is stored or edited.
pub fn provide_plan_context(plan: Plan, read_only: bool) -> PlanContext {
    let rows = RwSignal::new(plan.rows.iter().map(RowCells::new).collect::<Vec<_>>());
    let workspace = Workspace::with_plan(plan);
    let positions = Memo::new(move |_| {
        rows.with(|rows| {
            rows.iter()
                .enumerate()
                .map(|(i, c)| (c.id.clone(), i))
                .collect::<HashMap<_, _>>()
        })
    });
    let readiness = Memo::new(move |_| {
        let cells: Vec<(String, Priority, Status)> = rows.with(|rows| {
            rows.iter()
                .map(|c| (c.category.get(), c.priority.get(), c.status.get()))
                .collect()
        });
        Readiness::of(
            cells.iter().map(|(c, p, s)| (c.as_str(), *p, *s)),
            &crate::template::category_names(),
        )
    });
    let ctx = PlanContext {
        title: RwSignal::new(workspace.plans[0].plan.title.clone()),
        plans: RwSignal::new(
            workspace
                .plans
                .iter()
                .map(|e| (e.id.clone(), e.plan.title.clone()))
                .collect(),
        ),
        active_id: RwSignal::new(workspace.active.clone()),
        share: RwSignal::new(None),
        session: StoredValue::new(Session::new(workspace, 0)),
        read_only,
        edited: Trigger::new(),
        stored: Trigger::new(),
        switched: Trigger::new(),
        rows,
        can_undo: RwSignal::new(false),
        can_redo: RwSignal::new(false),
        save_state: RwSignal::new(SaveState::Starting),
        notice: RwSignal::new(None),
        announcement: RwSignal::new(String::new()),
        spec: RwSignal::new(ViewSpec::default()),
        view: RwSignal::new(TableView::default()),
        positions,
        readiness,
        loaded: RwSignal::new(false),
        fully_rendered: RwSignal::new(true),
        notes_choice: RwSignal::new(None),
        typing_news: RwSignal::new(None),
    };
    provide_context(ctx);
    ctx
}

pub fn use_plan() -> PlanContext {
    expect_context::<PlanContext>()
}

impl PlanContext {
    pub(crate) fn with_session<T>(&self, f: impl FnOnce(&Session) -> T) -> T {
        self.session.with_value(f)
    }

    pub(crate) fn update_session<T>(&self, f: impl FnOnce(&mut Session) -> T) -> T {
        let now = dom::now_ms() as u64;
        let mut out = None;
        self.session.update_value(|s| {
            s.set_time(now);
            out = Some(f(s));
        });
        out.expect("update_value runs its closure")
    }

    /// Shows `plan` in place of the one shown (a read-only page following live edits).
    pub fn show_plan(&self, plan: Plan) {
        self.session
            .set_value(Session::new(Workspace::with_plan(plan), 0));
        self.sync();
        if self.spec.with_untracked(|s| s != &ViewSpec::default()) {
            self.set_view(self.spec.get_untracked());
        }
    }

    /// The open plan's id.
    pub fn active(&self) -> PlanId {
        self.session.with_value(|s| s.active().clone())
    }

    /// The plan as it is now (for exports and the like).
    pub fn snapshot(&self) -> Plan {
        self.session
            .with_value(|s| s.plan(s.active()).cloned())
            .unwrap_or_else(|| Plan::new("", vec![]))
    }

    /// Applies a user's edit and reflects it in the signals. Returns whether it changed
    /// anything.
    pub fn edit(&self, edit: Edit) -> bool {
        if self.read_only {
            return false;
        }
        let cell = match &edit {
            Edit::SetField { row, .. } => Some(row.clone()),
            _ => None,
        };
        let active = self.active();
        let now = dom::now_ms() as u64;
        let result = self.session.try_update_value(|s| {
            s.set_time(now);
            s.apply(&active, edit)
        });
        match result {
            Some(Ok(true)) => {
                match cell {
                    Some(row) => self.sync_row(&row),
                    None => self.sync(),
                }
                self.edited.notify();
                true
            }
            Some(Ok(false)) | None => false,
            Some(Err(e)) => {
                self.announce(e.to_string());
                false
            }
        }
    }

    /// Shows the table as `spec` asks (filter, sort). The plan itself does not change.
    pub fn set_view(&self, spec: ViewSpec) {
        let rows = self.snapshot().rows;
        let view = spec.apply(&rows);
        let shown = rows.len() - view.hidden.len();
        let mut message = if spec.is_filtering() {
            format!("Showing {shown} of {} rows.", rows.len())
        } else {
            "Showing every row.".to_owned()
        };
        match spec.describe_sort() {
            Some(sort) => message = format!("{message} {sort}."),
            None if self.spec.with_untracked(|s| s.sort.is_some()) => {
                message.push_str(" In plan order.")
            }
            None => {}
        }
        self.view.set(view);
        self.spec.set(spec);
        self.announce(message);
    }

    /// Changes part of the view, e.g. `ctx.update_view(|s| s.status = None)`.
    pub fn update_view(&self, change: impl FnOnce(&mut ViewSpec)) {
        let mut spec = self.spec.get_untracked();
        change(&mut spec);
        self.set_view(spec);
    }

    /// Back to every row in plan order, without announcing it.
    pub(crate) fn clear_view(&self) {
        if self.spec.with_untracked(|s| s != &ViewSpec::default()) {
            self.spec.set(ViewSpec::default());
            self.view.set(TableView::default());
        }
    }

    /// The rows in display order (sorted rows first, then rows added since).
    pub fn display_rows(&self) -> Vec<RowCells> {
        self.rows
            .with(|rows| self.view.with(|v| v.arrange(rows, |c| &c.id)))
    }

    /// The ids of the rows shown, in display order (filtered rows left out): what the
    /// grid's arrows move through.
    pub fn shown_ids(&self) -> Vec<RowId> {
        self.rows.with_untracked(|rows| {
            self.view.with_untracked(|v| {
                v.arrange(rows, |c| &c.id)
                    .into_iter()
                    .filter(|c| !v.hidden.contains(&c.id))
                    .map(|c| c.id)
                    .collect()
            })
        })
    }

    /// The signals of the row with `id`.
    pub fn cells_of(&self, id: &RowId) -> Option<RowCells> {
        self.rows
            .with_untracked(|rows| rows.iter().find(|c| &c.id == id).cloned())
    }

    /// `n` fresh row ids for the open plan.
    pub fn new_row_ids(&self, n: usize) -> Vec<RowId> {
        let active = self.active();
        self.session
            .try_update_value(|s| s.new_row_ids(&active, n))
            .unwrap_or_default()
    }

    /// The editor opened on a cell: what is typed is written over what it holds now.
    pub fn begin_typing(&self, row: &RowId, field: Field) {
        let active = self.active();
        self.session
            .update_value(|s| s.begin_typing(&active, row, field));
        self.typing_news.set(None);
    }

    /// The editor closed.
    pub fn end_typing(&self) {
        self.session.update_value(|s| s.end_typing());
        if self.typing_news.with_untracked(Option::is_some) {
            self.typing_news.set(None);
        }
    }

    /// Puts a cell back as it was before a run of typing that the user cancelled, leaving
    /// no empty undo step behind. When someone else wrote the cell meanwhile, it goes back
    /// to what they wrote (a Notes cell keeps both versions, as typed).
    pub fn cancel_typing(&self, row: &RowId, field: Field, original: String) {
        let target = match self.typing_news.get_untracked() {
            Some(_) if field == Field::Notes => None,
            Some(news) => Some(news.theirs),
            None => Some(original),
        };
        if let Some(value) = target {
            self.set_field(row, field, value);
        }
        let active = self.active();
        self.session.update_value(|s| s.drop_empty_step(&active));
        self.sync_history();
    }

    /// How many rows the filter lets through.
    pub fn shown_count(&self) -> usize {
        self.rows.with(|rows| {
            self.view
                .with(|v| rows.iter().filter(|c| !v.hidden.contains(&c.id)).count())
        })
    }

    /// Adds a row of `category` at the end (from the readiness summary's "add" buttons).
    pub fn add_row_in(&self, category: &str) -> Option<RowId> {
        self.insert_filled(self.len(), category)
    }

    pub fn set_field(&self, row: &RowId, field: Field, value: String) {
        self.edit(Edit::SetField {
            row: row.clone(),
            field,
            value,
        });
    }

    pub fn set_title(&self, title: String) {
        self.edit(Edit::SetTitle(title));
    }

    /// Inserts an empty row at `at` and returns its id.
    pub fn insert_row(&self, at: usize) -> Option<RowId> {
        self.insert_filled(at, "")
    }

    /// Inserts a row at `at` that has only its category filled in.
    fn insert_filled(&self, at: usize, category: &str) -> Option<RowId> {
        let active = self.active();
        let id = self.session.try_update_value(|s| s.new_row_id(&active))?;
        let inserted = self.edit(Edit::InsertRow {
            at,
            row: Row {
                category: category.to_owned(),
                ..Row::blank(id.clone())
            },
        });
        if inserted {
            self.announce(format!("Row {} added.", at.min(self.len() - 1) + 1));
        }
        inserted.then_some(id)
    }

    pub fn len(&self) -> usize {
        self.rows.with_untracked(Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn position(&self, id: &RowId) -> Option<usize> {
        self.rows
            .with_untracked(|rows| rows.iter().position(|r| &r.id == id))
    }

    pub(crate) fn item_name(&self, id: &RowId) -> String {
        self.rows.with_untracked(|rows| {
            rows.iter()
                .find(|r| &r.id == id)
                .map(|r| r.item.get_untracked())
                .filter(|t| !t.trim().is_empty())
                .map(|t| format!("\"{t}\""))
                .unwrap_or_else(|| "The empty row".into())
        })
    }

    pub fn delete_row(&self, id: &RowId) {
        let Some(at) = self.position(id) else { return };
        let name = self.item_name(id);
        if self.edit(Edit::DeleteRow { row: id.clone() }) {
            self.announce(format!(
                "{name} (row {}) deleted. Press Control+Z to undo.",
                at + 1
            ));
        }
    }

    /// Deletes several rows as one undoable step.
    pub fn delete_rows(&self, ids: &[RowId]) {
        let edits: Vec<Edit> = ids
            .iter()
            .map(|id| Edit::DeleteRow { row: id.clone() })
            .collect();
        let n = edits.len();
        if self.edit(Edit::Batch(edits)) {
            self.announce(format!("{n} rows deleted. Press Control+Z to undo."));
        }
    }

    /// Moves a row by `delta` places (negative is up).
    pub fn move_row(&self, id: &RowId, delta: isize) -> bool {
        // Moving is about plan order: show it.
        if self.spec.with_untracked(|s| s.sort.is_some()) {
            self.update_view(|s| s.sort = None);
        }
        let Some(at) = self.position(id) else {
            return false;
        };
        let to = at as isize + delta;
        if to < 0 || to >= self.len() as isize {
            return false;
        }
        let moved = self.edit(Edit::MoveRow {
            row: id.clone(),
            to: to as usize,
        });
        if moved {
            self.announce(format!(
                "{} moved to row {} of {}.",
                self.item_name(id),
                to + 1,
                self.len()
            ));
        }
        moved
    }

    pub fn reset_to_template(&self) {
        let template = crate::template::default_plan();
        self.clear_view();
        if self.edit(Edit::Replace {
            title: template.title,
            rows: template.rows,
        }) {
            self.announce("The plan was reset to the template. Press Control+Z to undo.".into());
        }
    }

    /// Adds `rows` (with fresh ids) after the existing ones, as one undoable step.
    pub fn append_rows(&self, rows: Vec<Row>) -> bool {
        let at = self.len();
        let active = self.active();
        let ids = self
            .session
            .try_update_value(|s| s.new_row_ids(&active, rows.len()))
            .unwrap_or_default();
        let batch = rows
            .into_iter()
            .zip(ids)
            .enumerate()
            .map(|(i, (row, id))| Edit::InsertRow {
                at: at + i,
                row: Row { id, ..row },
            })
            .collect();
        self.edit(Edit::Batch(batch))
    }

    /// Replaces every row (and the title, when one is given), as one undoable step.
    pub fn replace_rows(&self, title: Option<String>, rows: Vec<Row>) -> bool {
        let title = title.unwrap_or_else(|| self.title.get_untracked());
        self.clear_view();
        self.edit(Edit::Replace { title, rows })
    }

    /// Opens another plan of the workspace.
    pub fn switch_plan(&self, id: &PlanId) {
        if self.read_only {
            return;
        }
        if self.session.try_update_value(|s| s.set_active(id)) == Some(true) {
            dom::tab_set(TAB_ACTIVE_KEY, id.as_str());
            self.sync();
            self.switched.notify();
            self.announce(format!("Opened \"{}\".", self.title.get_untracked()));
        }
    }

    /// Adds `plan` to the workspace and opens it.
    pub fn open_new_plan(&self, plan: Plan) {
        if self.read_only {
            return;
        }
        if let Some(id) = self.session.try_update_value(|s| s.add_plan(plan)) {
            self.switch_plan(&id);
        }
    }

    /// A copy of the open plan, opened.
    pub fn duplicate_plan(&self) {
        let mut copy = self.snapshot();
        copy.title = clean_text(&format!("Copy of {}", copy.title), MAX_TITLE_CHARS);
        self.open_new_plan(copy);
    }

    /// Deletes the open plan (the caller has asked for confirmation) and opens another.
    pub fn delete_active_plan(&self) {
        if self.read_only {
            return;
        }
        let active = self.active();
        let title = self.title.get_untracked();
        self.session
            .update_value(|s| s.remove_plan(&active, crate::template::default_plan));
        dom::tab_set(TAB_ACTIVE_KEY, self.active().as_str());
        self.sync();
        self.switched.notify();
        self.announce(format!("Deleted \"{title}\"."));
    }

    /// Remembers the share link made for the open plan.
    pub fn remember_share(&self, share: OwnedShare) {
        self.session.update_value(|s| s.set_share(share));
        self.sync();
        self.stored.notify();
    }

    /// Forgets a plan's link (after it was revoked).
    pub fn forget_share(&self, plan: &PlanId) {
        self.session.update_value(|s| s.remove_share(plan));
        self.sync();
        self.stored.notify();
    }

    pub fn undo(&self) {
        self.step(true);
    }

    pub fn redo(&self) {
        self.step(false);
    }

    fn step(&self, undo: bool) {
        if self.read_only {
            return;
        }
        let active = self.active();
        let now = dom::now_ms() as u64;
        let done = self
            .session
            .try_update_value(|s| {
                s.set_time(now);
                if undo {
                    s.undo(&active)
                } else {
                    s.redo(&active)
                }
            })
            .flatten();
        match done {
            Some(_) => {
                self.sync();
                self.edited.notify();
                self.announce(if undo { "Undone." } else { "Redone." }.into());
            }
            None => self.announce(if undo {
                "Nothing to undo.".into()
            } else {
                "Nothing to redo.".into()
            }),
        }
    }

    /// Ends a run of typing (the cell lost focus).
    pub fn seal(&self) {
        let active = self.active();
        self.session.update_value(|s| s.seal(&active));
    }

    pub fn announce(&self, text: String) {
        // Alternate a trailing space so repeating a message is still a change to announce.
        let same = self.announcement.with_untracked(|a| a.trim_end() == text);
        let text = if same && !self.announcement.with_untracked(|a| a.ends_with(' ')) {
            text + " "
        } else {
            text
        };
        self.announcement.set(text);
    }
}
