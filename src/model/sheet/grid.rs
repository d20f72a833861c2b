//! Where the user is in the table, the way a spreadsheet keeps it: the active cell, the
//! selected range (from an anchor to the active cell), and whether the active cell is being
//! edited. Co-editing draws other people's cursors from the same kind of state. Moves are
//! worked out against the rows as displayed (filtered and sorted), so arrows go where the
//! eye expects.

use crate::model::doc::plan::{Field, RowId};
use std::ops::Range;

/// One cell: a row (by id, so it survives moves and sorts) and a column.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CellRef {
    pub row: RowId,
    pub field: Field,
}

/// A keyboard move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    Left,
    Right,
    /// First column of the row (Home).
    RowStart,
    /// Last column of the row (End).
    RowEnd,
    /// First cell of the table (Ctrl+Home).
    TableStart,
    /// Last cell of the table (Ctrl+End).
    TableEnd,
    /// A page of rows up or down (Page Up / Page Down).
    PageUp(usize),
    PageDown(usize),
    /// Tab: the next cell, wrapping to the next row; Shift+Tab the previous.
    Next,
    Previous,
}

/// The columns in table order, as the grid counts them.
pub fn column_index(field: Field) -> usize {
    Field::ALL
        .iter()
        .position(|f| *f == field)
        .expect("every field is a column")
}

/// The editing state of the table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub active: Option<CellRef>,
    /// The other corner of the selected range (the active cell is one corner).
    pub anchor: Option<CellRef>,
    /// The text the cell held when editing began (Escape puts it back).
    pub editing: Option<String>,
    /// The whole table is selected (Control+A); the active cell stays where it was, so
    /// typing edits the cell the person is looking at, never a far corner.
    pub all: bool,
}

impl Move {
    /// The move a key makes on a cell (`command`: Ctrl or ⌘ held), as in a spreadsheet:
    /// arrows one cell (with Ctrl, to the table's edge), Home and End the row's first and
    /// last cell (with Ctrl, the table's), Page Up and Down `page` rows. Alt with an arrow
    /// moves the row instead, so it is no move here.
    pub fn for_key(key: &str, command: bool, alt: bool, page: usize) -> Option<Move> {
        match key {
            "ArrowUp" if !alt && !command => Some(Move::Up),
            "ArrowDown" if !alt && !command => Some(Move::Down),
            "ArrowLeft" if !alt && !command => Some(Move::Left),
            "ArrowRight" if !alt && !command => Some(Move::Right),
            "ArrowUp" if command && !alt => Some(Move::TableStart),
            "ArrowDown" if command && !alt => Some(Move::TableEnd),
            "Home" if command => Some(Move::TableStart),
            "End" if command => Some(Move::TableEnd),
            "Home" => Some(Move::RowStart),
            "End" => Some(Move::RowEnd),
            "PageUp" => Some(Move::PageUp(page)),
            "PageDown" => Some(Move::PageDown(page)),
            _ => None,
        }
    }
}

impl Cursor {
    /// Moves the active cell; with `extend`, the range grows from the anchor instead of
    /// collapsing onto the new cell. `shown` is the rows in display order.
    pub fn moved(&self, shown: &[RowId], step: Move, extend: bool) -> Cursor {
        let Some(active) = self.active.as_ref() else {
            return Cursor {
                active: shown.first().map(|row| CellRef {
                    row: row.clone(),
                    field: Field::ALL[0],
                }),
                ..Cursor::default()
            };
        };
        let last_row = shown.len().saturating_sub(1);
        let last_col = Field::ALL.len() - 1;
        let row = shown.iter().position(|r| r == &active.row).unwrap_or(0);
        let col = column_index(active.field);
        let (row, col) = match step {
            Move::Up => (row.saturating_sub(1), col),
            Move::Down => ((row + 1).min(last_row), col),
            Move::Left => (row, col.saturating_sub(1)),
            Move::Right => (row, (col + 1).min(last_col)),
            Move::RowStart => (row, 0),
            Move::RowEnd => (row, last_col),
            Move::TableStart => (0, 0),
            Move::TableEnd => (last_row, last_col),
            Move::PageUp(n) => (row.saturating_sub(n), col),
            Move::PageDown(n) => ((row + n).min(last_row), col),
            Move::Next if col < last_col => (row, col + 1),
            Move::Next if row < last_row => (row + 1, 0),
            Move::Next => (row, col),
            Move::Previous if col > 0 => (row, col - 1),
            Move::Previous if row > 0 => (row - 1, last_col),
            Move::Previous => (row, col),
        };
        let Some(id) = shown.get(row) else {
            return Cursor::default();
        };
        let target = CellRef {
            row: id.clone(),
            field: Field::ALL[col],
        };
        Cursor {
            // After Control+A, Shift with a move starts a range at the active cell.
            anchor: if extend {
                Some(
                    self.anchor
                        .clone()
                        .filter(|_| !self.all)
                        .unwrap_or_else(|| active.clone()),
                )
            } else {
                None
            },
            active: Some(target),
            editing: None,
            all: false,
        }
    }

    /// Puts the active cell on `cell`, with no range.
    pub fn at(cell: CellRef) -> Cursor {
        Cursor {
            active: Some(cell),
            ..Cursor::default()
        }
    }

    /// Selects the whole table, leaving the active cell where it is.
    pub fn select_all(&self) -> Cursor {
        Cursor {
            active: self.active.clone(),
            anchor: None,
            editing: None,
            all: self.active.is_some(),
        }
    }

    /// The selected rectangle in display coordinates (rows of `shown`, column indexes):
    /// the active cell alone when there is no range.
    pub fn range(&self, shown: &[RowId]) -> Option<(Range<usize>, Range<usize>)> {
        let active = self.active.as_ref()?;
        let a = shown.iter().position(|r| r == &active.row)?;
        if self.all {
            return Some((0..shown.len(), 0..Field::ALL.len()));
        }
        let ac = column_index(active.field);
        let (b, bc) = match &self.anchor {
            Some(anchor) => (
                shown.iter().position(|r| r == &anchor.row).unwrap_or(a),
                column_index(anchor.field),
            ),
            None => (a, ac),
        };
        Some((a.min(b)..a.max(b) + 1, ac.min(bc)..ac.max(bc) + 1))
    }

    /// Whether more than one cell is selected.
    pub fn has_range(&self, shown: &[RowId]) -> bool {
        self.range(shown)
            .is_some_and(|(rows, cols)| rows.len() > 1 || cols.len() > 1)
    }

    /// Keeps the cursor on rows that still exist (after a delete, an undo, a filter):
    /// a cell whose row is gone moves to the row now at its place, or the last one.
    pub fn kept_on(&self, shown: &[RowId], previous_index: Option<usize>) -> Cursor {
        let Some(active) = &self.active else {
            return Cursor::default();
        };
        if shown.contains(&active.row) {
            let anchor = self.anchor.clone().filter(|a| shown.contains(&a.row));
            return Cursor {
                active: Some(active.clone()),
                anchor,
                editing: self.editing.clone(),
                all: self.all,
            };
        }
        let index = previous_index
            .unwrap_or(0)
            .min(shown.len().saturating_sub(1));
        match shown.get(index) {
            Some(row) => Cursor::at(CellRef {
                row: row.clone(),
                field: active.field,
            }),
            None => Cursor::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<RowId> {
        (0..n).map(|i| RowId(format!("r{i}"))).collect()
    }

    fn cell(row: usize, field: Field) -> CellRef {
        CellRef {
            row: RowId(format!("r{row}")),
            field,
        }
    }

    fn at(row: usize, field: Field) -> Cursor {
        Cursor::at(cell(row, field))
    }

    #[test]
    fn keys_move_as_in_a_spreadsheet() {
        assert_eq!(
            Move::for_key("ArrowDown", false, false, 10),
            Some(Move::Down)
        );
        assert_eq!(
            Move::for_key("ArrowDown", true, false, 10),
            Some(Move::TableEnd)
        );
        assert_eq!(
            Move::for_key("ArrowDown", false, true, 10),
            None,
            "Alt moves the row"
        );
        assert_eq!(
            Move::for_key("Home", false, false, 10),
            Some(Move::RowStart)
        );
        assert_eq!(
            Move::for_key("Home", true, false, 10),
            Some(Move::TableStart)
        );
        assert_eq!(Move::for_key("End", true, false, 10), Some(Move::TableEnd));
        assert_eq!(
            Move::for_key("PageDown", false, false, 10),
            Some(Move::PageDown(10))
        );
        assert_eq!(Move::for_key("a", false, false, 10), None);
        assert_eq!(Move::for_key("Enter", false, false, 10), None);
    }

    #[test]
    fn select_all_keeps_the_active_cell_and_a_move_ends_it() {
        let shown = rows(40);
        let c = at(5, Field::Owner).select_all();
        assert_eq!(c.active, Some(cell(5, Field::Owner)));
        assert_eq!(c.range(&shown), Some((0..40, 0..6)));
        assert!(c.has_range(&shown));
        let moved = c.moved(&shown, Move::Down, false);
        assert_eq!(moved, at(6, Field::Owner));
        let extended = c.moved(&shown, Move::Down, true);
        assert_eq!(extended.range(&shown), Some((5..7, 3..4)));
        assert_eq!(Cursor::default().select_all(), Cursor::default());
    }

    #[test]
    fn arrows_move_and_stop_at_the_edges() {
        let shown = rows(3);
        let c = at(0, Field::Item);
        assert_eq!(c.moved(&shown, Move::Up, false), at(0, Field::Item));
        assert_eq!(c.moved(&shown, Move::Left, false), at(0, Field::Item));
        assert_eq!(c.moved(&shown, Move::Down, false), at(1, Field::Item));
        assert_eq!(c.moved(&shown, Move::Right, false), at(0, Field::Category));
        let end = at(2, Field::Notes);
        assert_eq!(end.moved(&shown, Move::Down, false), end);
        assert_eq!(end.moved(&shown, Move::Right, false), end);
    }

    #[test]
    fn home_end_and_table_corners() {
        let shown = rows(5);
        let c = at(2, Field::Owner);
        assert_eq!(c.moved(&shown, Move::RowStart, false), at(2, Field::Item));
        assert_eq!(c.moved(&shown, Move::RowEnd, false), at(2, Field::Notes));
        assert_eq!(c.moved(&shown, Move::TableStart, false), at(0, Field::Item));
        assert_eq!(c.moved(&shown, Move::TableEnd, false), at(4, Field::Notes));
        assert_eq!(
            c.moved(&shown, Move::PageDown(10), false),
            at(4, Field::Owner)
        );
        assert_eq!(c.moved(&shown, Move::PageUp(1), false), at(1, Field::Owner));
    }

    #[test]
    fn tab_wraps_to_the_next_row() {
        let shown = rows(2);
        assert_eq!(
            at(0, Field::Notes).moved(&shown, Move::Next, false),
            at(1, Field::Item)
        );
        assert_eq!(
            at(1, Field::Item).moved(&shown, Move::Previous, false),
            at(0, Field::Notes)
        );
        assert_eq!(
            at(1, Field::Notes).moved(&shown, Move::Next, false),
            at(1, Field::Notes)
        );
    }

    #[test]
    fn shift_extends_a_range_from_the_anchor() {
        let shown = rows(4);
        let c = at(1, Field::Category)
            .moved(&shown, Move::Down, true)
            .moved(&shown, Move::Right, true);
        assert_eq!(c.anchor, Some(cell(1, Field::Category)));
        assert_eq!(c.range(&shown), Some((1..3, 1..3)));
        assert!(c.has_range(&shown));
        // Going back over the anchor flips the rectangle.
        let c = c
            .moved(&shown, Move::Up, true)
            .moved(&shown, Move::Up, true)
            .moved(&shown, Move::Left, true)
            .moved(&shown, Move::Left, true);
        assert_eq!(c.range(&shown), Some((0..2, 0..2)));
        // A plain move collapses it.
        let c = c.moved(&shown, Move::Down, false);
        assert!(!c.has_range(&shown));
        assert_eq!(c.range(&shown), Some((1..2, 0..1)));
    }

    #[test]
    fn moves_follow_the_display_order() {
        // Sorted and filtered: r3, r0 only.
        let shown = vec![RowId::from("r3"), RowId::from("r0")];
        assert_eq!(
            at(3, Field::Item).moved(&shown, Move::Down, false),
            at(0, Field::Item)
        );
        // No active cell yet: the first displayed cell.
        assert_eq!(
            Cursor::default().moved(&shown, Move::Down, false),
            at(3, Field::Item)
        );
    }

    #[test]
    fn a_deleted_row_hands_the_cursor_to_its_neighbour() {
        let shown = vec![RowId::from("r0"), RowId::from("r2")];
        let c = at(1, Field::Owner).kept_on(&shown, Some(1));
        assert_eq!(c, at(2, Field::Owner));
        let c = at(5, Field::Owner).kept_on(&shown, Some(9));
        assert_eq!(c, at(2, Field::Owner));
        assert_eq!(at(0, Field::Item).kept_on(&[], Some(0)), Cursor::default());
        let mut editing = at(0, Field::Item);
        editing.editing = Some("x".into());
        assert_eq!(
            editing.kept_on(&shown, None),
            editing,
            "nothing changes when the row is there"
        );
    }
}
