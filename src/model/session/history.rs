//! Undo / redo for one plan.

use crate::model::doc::edit::Edit;
use crate::model::doc::plan::{Field, RowId};

/// The most undo steps kept per plan; older ones are forgotten.
pub const MAX_UNDO_STEPS: usize = 500;

/// What a run of typing goes into: consecutive keystrokes there undo as one step.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TypingTarget {
    Title,
    Cell(RowId, Field),
}

impl TypingTarget {
    fn of(edit: &Edit) -> Option<TypingTarget> {
        match edit {
            Edit::SetTitle(_) => Some(TypingTarget::Title),
            Edit::SetField { row, field, .. } if field.is_text() => {
                Some(TypingTarget::Cell(row.clone(), *field))
            }
            _ => None,
        }
    }
}

/// Undo and redo stacks of inverse edits.
#[derive(Clone, Debug, Default)]
pub struct History {
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    /// Where the user is typing, while that run of typing is still one step.
    typing: Option<TypingTarget>,
}

impl History {
    /// Records that `forward` was applied and `inverse` undoes it.
    pub fn record(&mut self, forward: &Edit, inverse: Edit) {
        self.redo.clear();
        let target = TypingTarget::of(forward);
        if target.is_some() && target == self.typing {
            // Same run of typing: the step already on the stack restores the text as it was
            // before the run began.
            return;
        }
        self.typing = target;
        self.undo.push(inverse);
        if self.undo.len() > MAX_UNDO_STEPS {
            self.undo.remove(0);
        }
    }

    /// Ends the current run of typing (the cell lost focus), so the next keystroke starts
    /// a new undo step.
    pub fn seal(&mut self) {
        self.typing = None;
    }

    /// Drops the last undo step if `unchanged` says applying it would change nothing, and
    /// ends the run of typing.
    pub fn drop_last_if(&mut self, unchanged: impl Fn(&Edit) -> bool) {
        self.typing = None;
        if self.undo.last().is_some_and(unchanged) {
            self.undo.pop();
        }
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub(crate) fn pop_undo(&mut self) -> Option<Edit> {
        self.typing = None;
        self.undo.pop()
    }

    pub(crate) fn pop_redo(&mut self) -> Option<Edit> {
        self.typing = None;
        self.redo.pop()
    }

    pub(crate) fn push_undo(&mut self, inverse: Edit) {
        self.undo.push(inverse);
    }

    pub(crate) fn push_redo(&mut self, inverse: Edit) {
        self.redo.push(inverse);
    }
}
