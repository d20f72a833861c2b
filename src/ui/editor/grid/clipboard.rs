//! The grid's clipboard: a range copied or cut as TSV and HTML, cells cleared, and a block
//! pasted from a spreadsheet (all or nothing, one undoable step).

use super::*;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

impl GridContext {
    /// The selected cells as a block, in display order.
    fn selected_block(&self) -> Option<(crate::model::Block, usize, usize)> {
        let shown = self.plan.shown_ids();
        let (rows, cols) = self.cursor.with_untracked(|c| c.range(&shown))?;
        let fields: Vec<Field> = Field::ALL[cols].to_vec();
        let plan = self.plan.snapshot();
        let block = copy_block(&plan, &shown, rows, &fields);
        let (r, c) = (block.len(), fields.len());
        Some((block, r, c))
    }

    /// Copy (and cut): the range as TSV and HTML, which spreadsheets paste as cells.
    pub fn copy(&self, ev: &web_sys::ClipboardEvent, cut: bool) {
        if self.is_editing() {
            return;
        }
        let Some((block, rows, cols)) = self.selected_block() else {
            return;
        };
        let Some(data) = ev.clipboard_data() else {
            return;
        };
        let _ = data.set_data("text/plain", &block_to_tsv(&block));
        let _ = data.set_data("text/html", &block_to_html(&block));
        ev.prevent_default();
        let what = format!(
            "{rows} row{} by {cols} column{}",
            if rows == 1 { "" } else { "s" },
            if cols == 1 { "" } else { "s" }
        );
        if cut && self.editable() {
            self.clear_range();
            self.plan.announce(format!("Cut {what}."));
        } else {
            self.plan.announce(format!("Copied {what}."));
        }
    }

    /// Delete / Backspace: empties the selected cells (Priority and Status go back to their
    /// defaults), as one undoable step.
    pub fn clear_range(&self) {
        if !self.editable() {
            return;
        }
        let shown = self.plan.shown_ids();
        let Some((rows, cols)) = self.cursor.with_untracked(|c| c.range(&shown)) else {
            return;
        };
        let edits: Vec<Edit> = shown[rows]
            .iter()
            .flat_map(|row| {
                Field::ALL[cols.clone()]
                    .iter()
                    .map(move |field| Edit::SetField {
                        row: row.clone(),
                        field: *field,
                        value: match field {
                            Field::Priority => Priority::default().as_str().to_owned(),
                            Field::Status => Status::default().as_str().to_owned(),
                            _ => String::new(),
                        },
                    })
            })
            .collect();
        let n = edits.len();
        if self.plan.edit(Edit::Batch(edits)) {
            self.plan.announce(format!(
                "Cleared {n} cell{}. Press Control+Z to undo.",
                if n == 1 { "" } else { "s" }
            ));
        }
    }

    /// Paste: a block from a spreadsheet fills cells from the active one (rows added as
    /// needed), all or nothing, as one undoable step; a single value fills a selected range.
    /// What the clipboard holds is read now; reading it into cells is a part of its own
    /// (`paste`), loaded on the first paste.
    pub fn paste(&self, ev: &web_sys::ClipboardEvent) {
        if self.is_editing() || !self.editable() {
            return;
        }
        let Some(data) = ev.clipboard_data() else {
            return;
        };
        ev.prevent_default();
        let text = data.get_data("text/plain").ok();
        let html = data
            .get_data("text/html")
            .ok()
            .filter(|h| !h.trim().is_empty());
        let grid = *self;
        leptos::task::spawn_local(async move {
            if paste_block(grid, text, html).await.is_err() {
                let message = "Nothing was pasted: that part of syncplan could not be loaded. \
                               Check your connection, then paste again."
                    .to_owned();
                grid.plan.announce(message.clone());
                grid.problem.set(Some(message));
            }
        });
    }

    /// Fetches the paste part ahead of the first paste (the table calls it when a cell is
    /// first focused), so that paste does not wait for it; a failed fetch is tried again
    /// by the paste itself.
    pub fn preload_paste(&self) {
        leptos::task::spawn_local(async {
            let _ = preload_paste().await;
        });
    }

    fn paste_now(&self, text: Option<String>, html: Option<String>) {
        let mut block = clipboard_block(text.as_deref(), html.as_deref());
        let shown = self.plan.shown_ids();
        let Some((rows, cols)) = self.cursor.with_untracked(|c| c.range(&shown)) else {
            return;
        };
        // One value into a selected range fills it.
        if block.len() == 1 && block[0].len() == 1 && (rows.len() > 1 || cols.len() > 1) {
            let value = block[0][0].clone();
            block = vec![vec![value; cols.len()]; rows.len()];
        }
        let plan = self.plan.snapshot();
        let mut fresh = self.plan.new_row_ids(block.len()).into_iter();
        let at_field = Field::ALL[cols.start];
        let outcome = plan_paste(&plan, &shown, rows.start, at_field, &block, || {
            fresh
                .next()
                .unwrap_or_else(|| RowId(format!("p{}", dom::random_seed() % 1_000_000_000)))
        });
        match outcome {
            Ok(paste) => {
                if paste.edits.is_empty() {
                    return;
                }
                if self.plan.edit(Edit::Batch(paste.edits)) {
                    let mut message = format!(
                        "Pasted {} row{} by {} column{}",
                        paste.rows,
                        if paste.rows == 1 { "" } else { "s" },
                        paste.cols - paste.cut_columns,
                        if paste.cols - paste.cut_columns == 1 {
                            ""
                        } else {
                            "s"
                        },
                    );
                    if paste.added_rows > 0 {
                        message.push_str(&format!(
                            "; {} row{} added",
                            paste.added_rows,
                            if paste.added_rows == 1 { "" } else { "s" }
                        ));
                    }
                    message.push('.');
                    if paste.cut_columns > 0 {
                        message.push_str(&format!(
                            " {} column{} past Notes left out.",
                            paste.cut_columns,
                            if paste.cut_columns == 1 {
                                " was"
                            } else {
                                "s were"
                            }
                        ));
                    }
                    message.push_str(" Press Control+Z to undo.");
                    self.problem.set(None);
                    self.plan.announce(message);
                    // Select what was pasted.
                    let shown = self.plan.shown_ids();
                    if let Some(start) = shown.get(rows.start) {
                        let end_row = (rows.start + paste.rows).min(shown.len()) - 1;
                        let end_col = (cols.start + paste.cols - paste.cut_columns).clamp(1, 6) - 1;
                        let anchor = CellRef {
                            row: start.clone(),
                            field: at_field,
                        };
                        let active = CellRef {
                            row: shown[end_row].clone(),
                            field: Field::ALL[end_col.max(column_index(at_field))],
                        };
                        self.set_cursor(
                            Cursor {
                                active: Some(active),
                                anchor: Some(anchor),
                                editing: None,
                                all: false,
                            },
                            true,
                        );
                    }
                }
            }
            Err(problems) => {
                let first = problems
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let message = match problems.len() {
                    1 => format!("Nothing was pasted: {first}"),
                    n => {
                        format!("Nothing was pasted: {n} values cannot be used. The first: {first}")
                    }
                };
                self.plan.announce(message.clone());
                self.problem.set(Some(message));
            }
        }
    }
}

/// Pastes what the clipboard held into the grid (see `GridContext::paste`).
#[wasm_split(paste, fallible, preload(preload_paste))]
fn paste_block(
    grid: GridContext,
    text: Option<String>,
    html: Option<String>,
) -> Result<(), SplitLoaderError> {
    grid.paste_now(text, html);
    Ok(())
}
