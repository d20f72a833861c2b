//! Edit operations: every change to a plan is one of these, and each one knows its inverse.

use crate::model::doc::limits::{clean_text, max_chars, MAX_ROWS, MAX_TITLE_CHARS};
use crate::model::doc::plan::{Field, Plan, Priority, Row, RowId, Status};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One change to a plan. Rows are addressed by id, so an edit still means the same thing
/// after other rows moved (which is what lets another tab's copy be merged under ours).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Edit {
    SetTitle(String),
    SetField {
        row: RowId,
        field: Field,
        value: String,
    },
    /// Inserts `row` at position `at` (0-based; past the end means "append").
    InsertRow {
        at: usize,
        row: Row,
    },
    DeleteRow {
        row: RowId,
    },
    /// Moves a row so that it ends at position `to` (0-based, clamped to the end).
    MoveRow {
        row: RowId,
        to: usize,
    },
    /// Replaces the whole document (reset to template, import that replaces).
    Replace {
        title: String,
        rows: Vec<Row>,
    },
    /// Several edits that undo and redo as one.
    Batch(Vec<Edit>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditError {
    NoSuchRow(RowId),
    DuplicateRow(RowId),
    TooManyRows,
    BadValue { field: Field, value: String },
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::NoSuchRow(_) => f.write_str("That row no longer exists."),
            EditError::DuplicateRow(_) => f.write_str("That row is already in the plan."),
            EditError::TooManyRows => write!(
                f,
                "A plan holds at most {MAX_ROWS} rows. Delete some rows or start a new plan."
            ),
            EditError::BadValue { field, value } => {
                write!(f, "\"{value}\" is not a valid {}.", field.key())
            }
        }
    }
}

impl std::error::Error for EditError {}

impl Plan {
    /// Applies `edit`. Returns the edit that undoes it, or `None` when nothing changed.
    /// On error the plan is left exactly as it was.
    pub fn apply(&mut self, edit: Edit) -> Result<Option<Edit>, EditError> {
        match edit {
            Edit::SetTitle(title) => {
                let title = clean_text(&title, MAX_TITLE_CHARS);
                if title == self.title {
                    return Ok(None);
                }
                Ok(Some(Edit::SetTitle(std::mem::replace(
                    &mut self.title,
                    title,
                ))))
            }
            Edit::SetField { row, field, value } => {
                let i = self
                    .position(&row)
                    .ok_or(EditError::NoSuchRow(row.clone()))?;
                let target = &mut self.rows[i];
                let old = match field {
                    Field::Priority => {
                        let p = Priority::parse(&value).ok_or(EditError::BadValue {
                            field,
                            value: value.clone(),
                        })?;
                        if p == target.priority {
                            return Ok(None);
                        }
                        std::mem::replace(&mut target.priority, p)
                            .as_str()
                            .to_owned()
                    }
                    Field::Status => {
                        let s = Status::parse(&value).ok_or(EditError::BadValue {
                            field,
                            value: value.clone(),
                        })?;
                        if s == target.status {
                            return Ok(None);
                        }
                        std::mem::replace(&mut target.status, s).as_str().to_owned()
                    }
                    _ => {
                        let value = clean_text(&value, max_chars(field));
                        let slot = match field {
                            Field::Item => &mut target.item,
                            Field::Category => &mut target.category,
                            Field::Owner => &mut target.owner,
                            _ => &mut target.notes,
                        };
                        if *slot == value {
                            return Ok(None);
                        }
                        std::mem::replace(slot, value)
                    }
                };
                Ok(Some(Edit::SetField {
                    row,
                    field,
                    value: old,
                }))
            }
            Edit::InsertRow { at, row } => {
                if self.rows.len() >= MAX_ROWS {
                    return Err(EditError::TooManyRows);
                }
                if self.position(&row.id).is_some() {
                    return Err(EditError::DuplicateRow(row.id));
                }
                let id = row.id.clone();
                let at = at.min(self.rows.len());
                self.rows.insert(at, row);
                Ok(Some(Edit::DeleteRow { row: id }))
            }
            Edit::DeleteRow { row } => {
                let i = self.position(&row).ok_or(EditError::NoSuchRow(row))?;
                let removed = self.rows.remove(i);
                Ok(Some(Edit::InsertRow {
                    at: i,
                    row: removed,
                }))
            }
            Edit::MoveRow { row, to } => {
                let from = self
                    .position(&row)
                    .ok_or(EditError::NoSuchRow(row.clone()))?;
                let to = to.min(self.rows.len() - 1);
                if from == to {
                    return Ok(None);
                }
                let moving = self.rows.remove(from);
                self.rows.insert(to, moving);
                Ok(Some(Edit::MoveRow { row, to: from }))
            }
            Edit::Replace { title, rows } => {
                if rows.len() > MAX_ROWS {
                    return Err(EditError::TooManyRows);
                }
                if title == self.title && rows == self.rows {
                    return Ok(None);
                }
                let old_title = std::mem::replace(&mut self.title, title);
                let old_rows = std::mem::replace(&mut self.rows, rows);
                Ok(Some(Edit::Replace {
                    title: old_title,
                    rows: old_rows,
                }))
            }
            Edit::Batch(edits) => {
                let mut inverses = Vec::with_capacity(edits.len());
                for edit in edits {
                    match self.apply(edit) {
                        Ok(Some(inverse)) => inverses.push(inverse),
                        Ok(None) => {}
                        Err(e) => {
                            // Roll back what was applied so the batch is all or nothing.
                            for inverse in inverses.into_iter().rev() {
                                let _ = self.apply(inverse);
                            }
                            return Err(e);
                        }
                    }
                }
                if inverses.is_empty() {
                    return Ok(None);
                }
                inverses.reverse();
                Ok(Some(Edit::Batch(inverses)))
            }
        }
    }
}

impl Edit {
    /// Whether two consecutive edits type into the same text (title or one cell), so that
    /// undo treats them as one step.
    pub fn same_text_target(&self, other: &Edit) -> bool {
        match (self, other) {
            (Edit::SetTitle(_), Edit::SetTitle(_)) => true,
            (
                Edit::SetField {
                    row: a, field: fa, ..
                },
                Edit::SetField {
                    row: b, field: fb, ..
                },
            ) => a == b && fa == fb && fa.is_text(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan::new(
            "Plan",
            vec![
                Row::with_item("a", "A"),
                Row::with_item("b", "B"),
                Row::with_item("c", "C"),
            ],
        )
    }

    fn ids(p: &Plan) -> Vec<&str> {
        p.rows.iter().map(|r| r.id.as_str()).collect()
    }

    /// Applies an edit, then its inverse, and checks the plan came back unchanged.
    fn round_trip(edit: Edit) -> Plan {
        let original = plan();
        let mut p = original.clone();
        let inverse = p.apply(edit).unwrap().expect("the edit changes the plan");
        let changed = p.clone();
        let redo = p.apply(inverse).unwrap().unwrap();
        assert_eq!(p, original, "undo restores the plan");
        p.apply(redo).unwrap();
        assert_eq!(p, changed, "redo restores the edit");
        changed
    }

    #[test]
    fn set_title() {
        let p = round_trip(Edit::SetTitle("New".into()));
        assert_eq!(p.title, "New");
    }

    #[test]
    fn set_text_field_cleans_the_value() {
        let p = round_trip(Edit::SetField {
            row: "b".into(),
            field: Field::Notes,
            value: "one\r\ntwo\u{0}".into(),
        });
        assert_eq!(p.rows[1].notes, "one\ntwo");
    }

    #[test]
    fn set_each_field() {
        for (field, value) in [
            (Field::Item, "x"),
            (Field::Category, "Battery"),
            (Field::Owner, "Ana"),
            (Field::Notes, "n"),
        ] {
            let p = round_trip(Edit::SetField {
                row: "a".into(),
                field,
                value: value.into(),
            });
            assert_eq!(p.rows[0].text(field), value);
        }
        let p = round_trip(Edit::SetField {
            row: "a".into(),
            field: Field::Priority,
            value: "high".into(),
        });
        assert_eq!(p.rows[0].priority, Priority::P1);
        let p = round_trip(Edit::SetField {
            row: "a".into(),
            field: Field::Status,
            value: "Done".into(),
        });
        assert_eq!(p.rows[0].status, Status::Done);
    }

    #[test]
    fn set_field_rejects_bad_choices_and_unknown_rows() {
        let mut p = plan();
        let err = p
            .apply(Edit::SetField {
                row: "a".into(),
                field: Field::Priority,
                value: "P9".into(),
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "\"P9\" is not a valid priority.");
        assert!(matches!(
            p.apply(Edit::SetField {
                row: "zz".into(),
                field: Field::Item,
                value: "x".into()
            }),
            Err(EditError::NoSuchRow(_))
        ));
        assert_eq!(p, plan());
    }

    #[test]
    fn unchanged_values_are_not_edits() {
        let mut p = plan();
        let same = Edit::SetField {
            row: "a".into(),
            field: Field::Item,
            value: "A".into(),
        };
        assert_eq!(p.apply(same), Ok(None));
        assert_eq!(p.apply(Edit::SetTitle("Plan".into())), Ok(None));
        assert_eq!(
            p.apply(Edit::MoveRow {
                row: "b".into(),
                to: 1
            }),
            Ok(None)
        );
    }

    #[test]
    fn insert_row_anywhere() {
        let p = round_trip(Edit::InsertRow {
            at: 1,
            row: Row::with_item("n", "N"),
        });
        assert_eq!(ids(&p), ["a", "n", "b", "c"]);
        let p = round_trip(Edit::InsertRow {
            at: 99,
            row: Row::with_item("n", "N"),
        });
        assert_eq!(ids(&p), ["a", "b", "c", "n"]);
    }

    #[test]
    fn insert_rejects_duplicates_and_the_row_limit() {
        let mut p = plan();
        assert!(matches!(
            p.apply(Edit::InsertRow {
                at: 0,
                row: Row::with_item("a", "again")
            }),
            Err(EditError::DuplicateRow(_))
        ));
        let mut full = Plan::new(
            "full",
            (0..MAX_ROWS)
                .map(|i| Row::with_item(&format!("r{i}"), ""))
                .collect(),
        );
        assert_eq!(
            full.apply(Edit::InsertRow {
                at: 0,
                row: Row::with_item("x", "")
            }),
            Err(EditError::TooManyRows)
        );
    }

    #[test]
    fn delete_row() {
        let p = round_trip(Edit::DeleteRow { row: "b".into() });
        assert_eq!(ids(&p), ["a", "c"]);
    }

    #[test]
    fn move_row_up_and_down() {
        let p = round_trip(Edit::MoveRow {
            row: "a".into(),
            to: 2,
        });
        assert_eq!(ids(&p), ["b", "c", "a"]);
        let p = round_trip(Edit::MoveRow {
            row: "c".into(),
            to: 0,
        });
        assert_eq!(ids(&p), ["c", "a", "b"]);
        let p = round_trip(Edit::MoveRow {
            row: "a".into(),
            to: 50,
        });
        assert_eq!(ids(&p), ["b", "c", "a"]);
    }

    #[test]
    fn replace_whole_plan() {
        let p = round_trip(Edit::Replace {
            title: "Other".into(),
            rows: vec![Row::with_item("z", "Z")],
        });
        assert_eq!(ids(&p), ["z"]);
        assert_eq!(p.title, "Other");
    }

    #[test]
    fn batch_is_all_or_nothing() {
        let p = round_trip(Edit::Batch(vec![
            Edit::InsertRow {
                at: 3,
                row: Row::with_item("d", "D"),
            },
            Edit::MoveRow {
                row: "d".into(),
                to: 0,
            },
            Edit::SetTitle("T".into()),
        ]));
        assert_eq!(ids(&p), ["d", "a", "b", "c"]);

        let mut p = plan();
        let err = p.apply(Edit::Batch(vec![
            Edit::DeleteRow { row: "a".into() },
            Edit::DeleteRow {
                row: "missing".into(),
            },
        ]));
        assert!(err.is_err());
        assert_eq!(p, plan(), "a failed batch changes nothing");
    }
}
