//! The grid's keys: moves, editing and selection on a cell, and what the open editor does
//! with Enter, Tab, arrows and Escape.

use super::*;

impl GridContext {
    /// Keys on a cell (not while its editor is open).
    pub fn on_cell_key(&self, ev: &web_sys::KeyboardEvent) {
        let key = ev.key();
        let command = ev.ctrl_key() || ev.meta_key();
        let shift = ev.shift_key();
        let alt = ev.alt_key();
        let editable = self.editable();
        let step = Move::for_key(&key, command, alt, PAGE_ROWS);
        if let Some(step) = step {
            ev.prevent_default();
            self.move_by(step, shift);
            return;
        }
        let active = self.cursor.with_untracked(|c| c.active.clone());
        match key.as_str() {
            "Tab" if !command && !alt => {
                let shown = self.plan.shown_ids();
                let cursor = self.cursor.get_untracked();
                let step = if shift { Move::Previous } else { Move::Next };
                let next = cursor.moved(&shown, step, false);
                // At the table's first or last cell, Tab leaves the grid as usual.
                if next.active != cursor.active {
                    ev.prevent_default();
                    self.set_cursor(next, true);
                    self.reveal();
                }
            }
            // Ctrl+Alt+H (⌘⌥H): the cell's edit history (by the key's place: Alt changes
            // the character on a Mac).
            _ if command && alt && !shift && ev.code() == "KeyH" && editable => {
                ev.prevent_default();
                if let Some(active) = active {
                    self.history.set(Some(active));
                }
            }
            "Enter" | "F2" if !command && !alt && editable => {
                ev.prevent_default();
                self.start_edit(false);
            }
            "Delete" | "Backspace" if !command && !alt && editable => {
                ev.prevent_default();
                self.clear_range();
            }
            "Escape" if self.cursor.with_untracked(|c| c.anchor.is_some() || c.all) => {
                ev.prevent_default();
                if let Some(active) = active {
                    self.set_cursor(Cursor::at(active), true);
                }
            }
            // Everything is selected; the active cell stays where it is (and in view), so
            // what is typed next goes where the person is looking.
            "a" | "A" if command && !alt => {
                ev.prevent_default();
                let all = self.cursor.get_untracked().select_all();
                let rows = self.plan.shown_ids().len();
                self.set_cursor(all, true);
                self.plan.announce(format!(
                    "Selected all {rows} rows. Typing edits the active cell; Delete clears them all."
                ));
            }
            // A character typed on a cell starts editing it and replaces its text; the
            // editor gets focus now, so the browser puts the character there.
            k if editable && !command && !alt && k.chars().count() == 1 => {
                self.start_edit(true);
            }
            _ => {}
        }
    }

    /// Keys in the editor.
    pub fn on_editor_key(&self, ev: &web_sys::KeyboardEvent) {
        let key = ev.key();
        let notes = self.editor_kind.get_untracked() == Some(EditorKind::Lines);
        let command = ev.ctrl_key() || ev.meta_key();
        match key.as_str() {
            "Escape" => {
                ev.prevent_default();
                self.cancel();
            }
            // Alt+Enter: a line break inside Notes, as in spreadsheets.
            "Enter" if ev.alt_key() && notes => {
                ev.prevent_default();
                if let Some(area) = self.area.get_untracked() {
                    let _ = area.set_range_text("\n");
                    let at = area.selection_end().ok().flatten().unwrap_or(0) + 1;
                    let _ = area.set_selection_range(at, at);
                    self.on_editor_input();
                }
            }
            "Enter" if !command && !ev.alt_key() => {
                ev.prevent_default();
                self.commit(Some(if ev.shift_key() { Move::Up } else { Move::Down }));
            }
            "Tab" if !command => {
                ev.prevent_default();
                self.commit(Some(if ev.shift_key() {
                    Move::Previous
                } else {
                    Move::Next
                }));
            }
            "ArrowUp" | "ArrowDown" if !notes && !command && !ev.alt_key() && !ev.shift_key() => {
                ev.prevent_default();
                self.commit(Some(if key == "ArrowUp" {
                    Move::Up
                } else {
                    Move::Down
                }));
            }
            _ => {}
        }
    }
}
