//! The table as a spreadsheet: an active cell and a selected range (the model's `Cursor`,
//! in one signal), arrow keys, Home/End, Page Up/Down, type to replace, Enter or F2 to edit,
//! Escape to cancel, Delete to clear, range copy / cut / paste as TSV and HTML. Cells are
//! text; one editor is laid over the cell being edited. On a read-only page the grid moves
//! and copies, nothing else.

use super::state::{PlanContext, RowMarks};
use crate::browser::dom;
use crate::model::{
    block_to_html, block_to_tsv, clipboard_block, column_index, copy_block, plan_paste, CellRef,
    Cursor, Edit, Field, Move, Priority, RowId, Status,
};
use leptos::html;
use leptos::prelude::*;
use std::collections::HashMap;
use wasm_bindgen::JsCast;

mod clipboard;
mod keys;

/// Rows a Page Up / Page Down moves.
const PAGE_ROWS: usize = 10;

/// The grid's state and the editor's elements.
#[derive(Clone, Copy)]
pub struct GridContext {
    /// Where the user is: active cell, range, editing. Co-editing reads and shows this.
    pub cursor: RwSignal<Cursor>,
    /// What the last grid action could not do (a paste with bad values), shown above the
    /// table until the next action.
    pub problem: RwSignal<Option<String>>,
    /// Which editor is open: the single-line one or the one for Notes.
    pub editor_kind: RwSignal<Option<EditorKind>>,
    /// The cell whose edit history is open.
    pub history: RwSignal<Option<CellRef>>,
    /// Whether the plan's history is open.
    pub plan_history: RwSignal<bool>,
    /// The cell whose menu is open, and where (viewport pixels).
    pub menu: RwSignal<Option<(CellRef, i32, i32)>>,
    pub input: NodeRef<html::Input>,
    pub area: NodeRef<html::Textarea>,
    pub wrap: NodeRef<html::Div>,
    /// The rows whose marks are set, to clear them on the next move.
    marked: StoredValue<Vec<RowId>>,
    /// Whether the focus was last inside the grid (a cell or the editor), so a row
    /// rewritten under the focused cell can give it back.
    focus_inside: StoredValue<bool>,
    plan: PlanContext,
}

/// The two editors: one line (every column but Notes), several lines (Notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditorKind {
    Line,
    Lines,
}

/// Provides the grid for `plan` (both pages have one; on a read-only page it only moves
/// and copies).
pub fn provide_grid(plan: PlanContext) -> GridContext {
    let grid = GridContext {
        cursor: RwSignal::new(Cursor::default()),
        problem: RwSignal::new(None),
        editor_kind: RwSignal::new(None),
        history: RwSignal::new(None),
        menu: RwSignal::new(None),
        plan_history: RwSignal::new(false),
        input: NodeRef::new(),
        area: NodeRef::new(),
        wrap: NodeRef::new(),
        marked: StoredValue::new(Vec::new()),
        focus_inside: StoredValue::new(false),
        plan,
    };
    provide_context(grid);
    grid
}

pub fn use_grid() -> GridContext {
    expect_context::<GridContext>()
}

pub(crate) fn col_name(field: Field) -> &'static str {
    field.header()
}

impl GridContext {
    /// Whether the plan can be edited here (not a read-only page).
    pub fn editable(&self) -> bool {
        !self.plan.read_only
    }

    pub fn is_editing(&self) -> bool {
        self.cursor.with_untracked(|c| c.editing.is_some())
    }

    /// Moves the cursor to `next`: marks the rows it covers, focuses the active cell.
    pub fn set_cursor(&self, next: Cursor, focus: bool) {
        let shown = self.plan.shown_ids();
        let mut marks: HashMap<RowId, RowMarks> = HashMap::new();
        if let Some((rows, cols)) = next.range(&shown) {
            let bits: u8 = cols.clone().map(|c| 1u8 << c).sum();
            let ranged = rows.len() > 1 || cols.len() > 1;
            for id in &shown[rows] {
                marks.entry(id.clone()).or_default().selected = if ranged { bits } else { 0 };
            }
        }
        if let Some(active) = &next.active {
            marks.entry(active.row.clone()).or_default().active = Some(active.field);
        }
        let previous = self.marked.get_value();
        for id in previous.iter().filter(|id| !marks.contains_key(*id)) {
            if let Some(cells) = self.plan.cells_of(id) {
                if cells.marks.get_untracked() != RowMarks::default() {
                    cells.marks.set(RowMarks::default());
                }
            }
        }
        for (id, mark) in &marks {
            if let Some(cells) = self.plan.cells_of(id) {
                if cells.marks.get_untracked() != *mark {
                    cells.marks.set(*mark);
                }
            }
        }
        self.marked.set_value(marks.into_keys().collect());
        self.cursor.set(next.clone());
        // One Tab stop in the grid: the active cell. (Taking `tabindex` from the cell that
        // has the focus would drop the focus, so the new active cell keeps it throughout.)
        let active_td = next.active.as_ref().and_then(cell_element);
        if let Some(td) = &active_td {
            let _ = td.set_attribute("tabindex", "0");
        }
        if let Some(stops) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector_all("table.plan-table td[tabindex]").ok())
        {
            for i in 0..stops.length() {
                let Some(el) = stops
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                else {
                    continue;
                };
                let is_active = active_td
                    .as_ref()
                    .is_some_and(|td| td.is_same_node(Some(&el)));
                if !is_active {
                    let _ = el.remove_attribute("tabindex");
                }
            }
        }
        if let (Some(td), true) = (active_td, focus) {
            let _ = td.focus();
        }
    }

    /// `set_cursor` once the table has caught up with a change just made (a moved row is
    /// moved in the page after this returns, and moving it takes the focus away).
    pub fn set_cursor_later(&self, next: Cursor) {
        let grid = *self;
        set_timeout(
            move || grid.set_cursor(next, true),
            std::time::Duration::ZERO,
        );
    }

    /// Called when a row's cells were rewritten: if it holds the active cell, that cell
    /// gets its Tab stop (and the focus, if it had it) back once the page has the new cells.
    pub fn after_row_rewrite(&self, row: &RowId) {
        let active = self
            .cursor
            .with_untracked(|c| c.active.as_ref().is_some_and(|a| &a.row == row));
        if active {
            // In a microtask: after the row's new cells are in the page and before the next
            // key is handled, so no keystroke lands on a cell that is gone.
            let grid = *self;
            wasm_bindgen_futures::spawn_local(async move { grid.restore_active() });
        }
    }

    fn restore_active(&self) {
        let Some(td) = self
            .cursor
            .with_untracked(|c| c.active.clone())
            .and_then(|a| cell_element(&a))
        else {
            return;
        };
        let _ = td.set_attribute("tabindex", "0");
        let nothing_focused = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element())
            .is_none_or(|el| el.tag_name() == "BODY");
        if nothing_focused && self.focus_inside.get_value() && !self.is_editing() {
            let _ = td.focus();
        }
    }

    /// Notes where the focus went (a document-wide `focusin`).
    pub fn note_focus(&self, target: Option<web_sys::EventTarget>) {
        let inside = target
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| el.closest(".table-wrap").ok().flatten().is_some());
        self.focus_inside.set_value(inside);
    }

    /// Makes the first shown cell the grid's Tab stop while nothing is active, so Tab
    /// reaches the grid; focus arriving on a cell (Tab, a screen reader) makes it active.
    pub fn ensure_tab_stop(&self) {
        if self.cursor.with_untracked(|c| c.active.is_some()) {
            return;
        }
        if let Some(first) =
            dom::query("table.plan-table tbody tr:not([hidden]) > td[data-col=\"item\"]")
        {
            let _ = first.set_attribute("tabindex", "0");
        }
    }

    pub fn on_focus_in(&self, target: Option<web_sys::EventTarget>) {
        let Some(el) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
            return;
        };
        if !el.matches("td[data-col]").unwrap_or(false) {
            return;
        }
        let Some((cell, _)) = event_cell(Some(el.into())) else {
            return;
        };
        let same = self
            .cursor
            .with_untracked(|c| c.active.as_ref() == Some(&cell));
        if !same {
            self.set_cursor(Cursor::at(cell), false);
        }
    }

    /// Puts the active cell on `cell` (with `extend`, the range grows to it).
    pub fn activate(&self, cell: CellRef, extend: bool) {
        let current = self.cursor.get_untracked();
        let next = if extend && current.active.is_some() {
            Cursor {
                anchor: Some(
                    current
                        .anchor
                        .clone()
                        .or(current.active.clone())
                        .expect("active"),
                ),
                active: Some(cell),
                editing: None,
                all: false,
            }
        } else {
            Cursor::at(cell)
        };
        self.set_cursor(next, true);
    }

    pub fn move_by(&self, step: Move, extend: bool) {
        let shown = self.plan.shown_ids();
        let next = self.cursor.get_untracked().moved(&shown, step, extend);
        self.set_cursor(next, true);
        self.reveal();
    }

    /// Scrolls the active cell into view (keyboard moves can leave the screen).
    fn reveal(&self) {
        if let Some(td) = self
            .cursor
            .with_untracked(|c| c.active.clone())
            .and_then(|a| cell_element(&a))
        {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            options.set_inline(web_sys::ScrollLogicalPosition::Nearest);
            td.scroll_into_view_with_scroll_into_view_options(&options);
        }
    }

    /// Puts the problem message under the active cell (under its open editor, which may
    /// be taller), inside the table's scrolling box, and scrolls it into view.
    pub fn place_problem(&self) {
        let (Some(bubble), Some(wrap)) = (dom::query("#grid-problem"), self.wrap.get_untracked())
        else {
            return;
        };
        let Some(td) = self
            .cursor
            .with_untracked(|c| c.active.clone())
            .and_then(|a| cell_element(&a))
        else {
            return;
        };
        let frame = wrap.get_bounding_client_rect();
        let cell = td.get_bounding_client_rect();
        let below = self
            .open_editor()
            .map(|e| e.get_bounding_client_rect().bottom())
            .unwrap_or(0.0)
            .max(cell.bottom());
        let top = below - frame.top() + f64::from(wrap.scroll_top()) + 2.0;
        let width = bubble.get_bounding_client_rect().width();
        let room = f64::from(wrap.scroll_left()) + frame.width() - width - 8.0;
        let left = (cell.left() - frame.left() + f64::from(wrap.scroll_left()))
            .min(room)
            .max(0.0);
        let style = bubble.style();
        let px = |v: f64| format!("{}px", v.round() as i64);
        let _ = style.set_property("top", &px(top));
        let _ = style.set_property("left", &px(left));
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Nearest);
        options.set_inline(web_sys::ScrollLogicalPosition::Nearest);
        bubble.scroll_into_view_with_scroll_into_view_options(&options);
    }

    /// Keeps the column header in view while the page scrolls past the top of the table
    /// (inside the table's own scrolling box it is sticky already): the header is moved
    /// down by as much as the table's top is above the window.
    pub fn pin_header(&self) {
        let Some(wrap) = self.wrap.get_untracked() else {
            return;
        };
        let frame = wrap.get_bounding_client_rect();
        let head = dom::query("table.plan-table thead")
            .map(|h| h.get_bounding_client_rect().height())
            .unwrap_or(0.0);
        let shift = (-frame.top()).clamp(0.0, (frame.height() - head * 2.0).max(0.0));
        let value = format!("{}px", shift.round() as i64);
        let style = web_sys::HtmlElement::style(&wrap);
        if style.get_property_value("--head-shift").ok().as_deref() != Some(value.as_str()) {
            let _ = style.set_property("--head-shift", &value);
        }
    }

    /// Keeps the cursor on rows that are still shown (after deletes, undo, filters).
    pub fn keep_on_shown(&self) {
        let current = self.cursor.get_untracked();
        if current.active.is_none() {
            return;
        }
        let shown = self.plan.shown_ids();
        let next = current.kept_on(&shown, None);
        if next != current {
            self.set_cursor(next, false);
        }
    }

    /// The text of `cell` now.
    fn text_of(&self, cell: &CellRef) -> String {
        self.plan
            .cells_of(&cell.row)
            .map(|c| match cell.field {
                Field::Item => c.item.get_untracked(),
                Field::Category => c.category.get_untracked(),
                Field::Priority => c.priority.get_untracked().as_str().to_owned(),
                Field::Owner => c.owner.get_untracked(),
                Field::Status => c.status.get_untracked().as_str().to_owned(),
                Field::Notes => c.notes.get_untracked(),
            })
            .unwrap_or_default()
    }

    /// Opens the editor on the active cell: with its text (Enter, F2, double-click), or
    /// empty so the key being typed replaces it.
    pub fn start_edit(&self, replace: bool) {
        if !self.editable() {
            return;
        }
        let Some(active) = self.cursor.with_untracked(|c| c.active.clone()) else {
            return;
        };
        // The cell being edited is always in view first (after a range, a search, a scroll).
        self.reveal();
        let Some(td) = cell_element(&active) else {
            return;
        };
        let original = self.text_of(&active);
        let kind = if active.field == Field::Notes {
            EditorKind::Lines
        } else {
            EditorKind::Line
        };
        self.problem.set(None);
        self.plan.begin_typing(&active.row, active.field);
        self.cursor.update(|c| c.editing = Some(original.clone()));
        self.editor_kind.set(Some(kind));
        let value = if replace { String::new() } else { original };
        let editor: Option<web_sys::HtmlElement> = match kind {
            EditorKind::Line => self.input.get_untracked().map(|input| {
                input.set_value(&value);
                let list = match active.field {
                    Field::Category => "category-suggestions",
                    Field::Priority => "priority-choices",
                    Field::Status => "status-choices",
                    _ => "",
                };
                if list.is_empty() {
                    let _ = input.remove_attribute("list");
                } else {
                    let _ = input.set_attribute("list", list);
                }
                let _ = input.set_attribute(
                    "maxlength",
                    &crate::model::max_chars(active.field).to_string(),
                );
                input.unchecked_into()
            }),
            EditorKind::Lines => self.area.get_untracked().map(|area| {
                area.set_value(&value);
                area.unchecked_into()
            }),
        };
        let (Some(editor), Some(wrap)) = (editor, self.wrap.get_untracked()) else {
            return;
        };
        place_over(&editor, &td, &wrap);
        let _ = editor.set_attribute(
            "aria-label",
            &format!(
                "{}, row {}",
                col_name(active.field),
                self.plan.position(&active.row).map_or(0, |p| p + 1)
            ),
        );
        let _ = editor.style().set_property("display", "block");
        let _ = editor.focus();
        // Caret at the end, as in a spreadsheet.
        let end = value.encode_utf16().count() as u32;
        if let Some(input) = editor.dyn_ref::<web_sys::HtmlInputElement>() {
            let _ = input.set_selection_range(end, end);
        } else if let Some(area) = editor.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            let _ = area.set_selection_range(end, end);
        }
    }

    fn editor_value(&self) -> Option<String> {
        match self.editor_kind.get_untracked()? {
            EditorKind::Line => self.input.get_untracked().map(|i| i.value()),
            EditorKind::Lines => self.area.get_untracked().map(|a| a.value()),
        }
    }

    /// Live typing: text columns are saved at every keystroke (nothing typed is lost);
    /// Priority and Status once what is typed names a choice.
    pub fn on_editor_input(&self) {
        let (Some(active), Some(value)) = (
            self.cursor.with_untracked(|c| c.active.clone()),
            self.editor_value(),
        ) else {
            return;
        };
        let live = match active.field {
            Field::Priority => Priority::parse(&value).is_some(),
            Field::Status => Status::parse(&value).is_some(),
            _ => true,
        };
        if live {
            self.plan.set_field(&active.row, active.field, value);
        }
        if let (Some(editor), Some(td), Some(wrap)) = (
            self.open_editor(),
            cell_element(&active),
            self.wrap.get_untracked(),
        ) {
            place_over(&editor, &td, &wrap);
        }
        if self.problem.with_untracked(Option::is_some) {
            self.place_problem();
        }
    }

    fn open_editor(&self) -> Option<web_sys::HtmlElement> {
        match self.editor_kind.get_untracked()? {
            EditorKind::Line => self.input.get_untracked().map(JsCast::unchecked_into),
            EditorKind::Lines => self.area.get_untracked().map(JsCast::unchecked_into),
        }
    }

    fn close_editor(&self) {
        if let Some(editor) = self.open_editor() {
            let _ = editor.style().set_property("display", "none");
        }
        self.plan.end_typing();
        self.editor_kind.set(None);
        self.cursor.update(|c| c.editing = None);
    }

    /// Ends editing with what was typed, then moves (Enter: down, Tab: right, …). A value
    /// Priority or Status cannot take keeps the editor open with the reason. Returns whether
    /// the edit ended.
    pub fn commit(&self, then: Option<Move>) -> bool {
        let Some(active) = self.cursor.with_untracked(|c| c.active.clone()) else {
            return false;
        };
        if !self.is_editing() {
            return false;
        }
        let value = self.editor_value().unwrap_or_default();
        let choice_error = match active.field {
            Field::Priority if Priority::parse(&value).is_none() => Some(format!(
                "\"{}\" is not a priority. Type P0, P1, P2 or P3 (or High, Medium, Low), or press Escape.",
                value.trim()
            )),
            Field::Status if Status::parse(&value).is_none() => Some(format!(
                "\"{}\" is not a status. Type Not started, In progress, Blocked or Done, or press Escape.",
                value.trim()
            )),
            _ => None,
        };
        if let Some(why) = choice_error {
            self.plan.announce(why.clone());
            self.problem.set(Some(why));
            return false;
        }
        self.plan.set_field(&active.row, active.field, value);
        self.plan.seal();
        self.close_editor();
        self.problem.set(None);
        match then {
            Some(step) => self.move_by(step, false),
            None => self.focus_active(),
        }
        true
    }

    /// Escape: the cell goes back to what it held before editing began.
    pub fn cancel(&self) {
        let (active, original) = self
            .cursor
            .with_untracked(|c| (c.active.clone(), c.editing.clone()));
        if let (Some(active), Some(original)) = (active, original) {
            self.plan.cancel_typing(&active.row, active.field, original);
            self.plan
                .announce(format!("Edit cancelled. {}", col_name(active.field)));
        }
        self.close_editor();
        self.problem.set(None);
        self.focus_active();
    }

    pub fn focus_active(&self) {
        if let Some(td) = self
            .cursor
            .with_untracked(|c| c.active.clone())
            .and_then(|a| cell_element(&a))
        {
            let _ = td.set_attribute("tabindex", "0");
            let _ = td.focus();
        }
    }
}

/// The `<td>` of a cell, when its row is on the page.
pub fn cell_element(cell: &CellRef) -> Option<web_sys::HtmlElement> {
    dom::query(&format!(
        "tr[data-row-id=\"{}\"] > td[data-col=\"{}\"]",
        cell.row,
        cell.field.key()
    ))
}

/// Lays `editor` over `td`, inside the table's scrolling box `wrap`.
fn place_over(
    editor: &web_sys::HtmlElement,
    td: &web_sys::HtmlElement,
    wrap: &web_sys::HtmlDivElement,
) {
    let cell = td.get_bounding_client_rect();
    let frame = wrap.get_bounding_client_rect();
    let top = cell.top() - frame.top() + f64::from(wrap.scroll_top());
    let left = cell.left() - frame.left() + f64::from(wrap.scroll_left());
    let style = editor.style();
    // Whole pixels: no float formatting needed.
    let px = |v: f64| format!("{}px", v.round() as i64);
    let _ = style.set_property("top", &px(top));
    let _ = style.set_property("left", &px(left));
    let _ = style.set_property("width", &px(cell.width().max(120.0)));
    let _ = style.set_property("min-height", &px(cell.height()));
}

/// The cell of a mouse or touch event's target, if it is one.
pub fn event_cell(target: Option<web_sys::EventTarget>) -> Option<(CellRef, web_sys::Element)> {
    let el = target?.dyn_into::<web_sys::Element>().ok()?;
    // Links and buttons inside a cell (FAQ, hints) keep their own behaviour.
    if el
        .closest("a, button, input, textarea, select")
        .ok()
        .flatten()
        .is_some()
    {
        return None;
    }
    let td = el.closest("td[data-col]").ok().flatten()?;
    let tr = td.closest("tr[data-row-id]").ok().flatten()?;
    let field = Field::ALL
        .into_iter()
        .find(|f| Some(f.key()) == td.get_attribute("data-col").as_deref())?;
    let row = RowId(tr.get_attribute("data-row-id")?);
    Some((CellRef { row, field }, td))
}
