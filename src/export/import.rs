//! Files → plan: CSV from any spreadsheet or tracker (columns in any order, headers in any
//! case, comma, semicolon or tab separated) and plan JSON. Every problem is reported with its
//! row and column. Which column feeds which field is decided in `mapping`.

use super::mapping::{apply_table, suggest, ValueMaps};
use super::sheet::read_table;
pub use super::sheet::Imported;
use crate::model::{decode_plan_json, Field, IdGen, Problem, MAX_PROBLEMS};
use std::collections::HashSet;

#[cfg(test)]
use crate::model::{Priority, Status};

pub fn import_json(bytes: &[u8], ids: &mut IdGen) -> Result<Imported, Vec<Problem>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| vec![Problem::invalid(None, None, "The file is not UTF-8 text.")])?;
    Ok(Imported {
        plan: decode_plan_json(text, ids)?,
        ignored_columns: Vec::new(),
        noted_columns: Vec::new(),
    })
}

/// Reads a CSV with a header row: the columns are guessed ([`suggest`]: header names and
/// synonyms, then the values) and applied. `#` is ignored, missing columns are empty, rows
/// with no text at all are skipped, a leading `'` added by our export is removed again, and
/// a column we have no field for is added to Notes as `Column: value`. Refused: a file in
/// which no column could be placed, and two columns both named like one of ours.
pub fn import_csv(bytes: &[u8], title: &str, ids: &mut IdGen) -> Result<Imported, Vec<Problem>> {
    let table = read_table(bytes)?;
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for header in &table.headers {
        if let Some(f) = Field::from_header(header) {
            if !seen.insert(f) {
                problems.push(Problem::invalid(
                    None,
                    Some(f.header()),
                    format!("The column \"{}\" appears twice; keep one.", f.header()),
                ));
            }
        }
    }
    if !problems.is_empty() {
        problems.truncate(MAX_PROBLEMS);
        return Err(problems);
    }
    let targets = suggest(&table.headers, &table.rows);
    if !targets.iter().any(|t| t.field().is_some()) {
        return Err(vec![Problem::invalid(
            None,
            None,
            "No known column was found in the first line. Name the columns Item, Category, \
             Priority, Owner, Status and Notes (any order; # is ignored), or choose what each \
             column holds in the import preview.",
        )]);
    }
    apply_table(&table, &targets, &ValueMaps::default(), title, ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProblemKind, MAX_ROWS};

    fn csv(text: &str) -> Result<Imported, Vec<Problem>> {
        import_csv(text.as_bytes(), "Imported", &mut IdGen::new(5))
    }

    #[test]
    fn columns_in_any_order_and_case() {
        let imported =
            csv("status,NOTES,#,item,Priority\r\nDone,\"a, b\",1,Queue,high\r\n,,2,Second,\r\n")
                .unwrap();
        let rows = &imported.plan.rows;
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].item, "Queue");
        assert_eq!(rows[0].notes, "a, b");
        assert_eq!(rows[0].priority, Priority::P1);
        assert_eq!(rows[0].status, Status::Done);
        assert_eq!(rows[0].owner, "", "a missing column is empty");
        assert_eq!(
            rows[1].priority,
            Priority::P2,
            "an empty cell takes the default"
        );
        assert_ne!(rows[0].id, rows[1].id);
        assert_eq!(imported.plan.title, "Imported");
        assert!(imported.ignored_columns.is_empty());
    }

    #[test]
    fn blank_lines_are_skipped_and_unknown_columns_reported() {
        let imported = csv("Item,Due date\nA,2026-01-01\n,\n\nB,\n").unwrap();
        assert_eq!(imported.plan.rows.len(), 2);
        assert_eq!(imported.ignored_columns, ["Due date"]);
    }

    #[test]
    fn every_problem_is_located() {
        let problems =
            csv("Item,Priority,Status\nA,P7,Done\nB,P1,someday\nC,P0,Done,extra\n").unwrap_err();
        let located: Vec<_> = problems
            .iter()
            .map(|p| (p.row, p.field.as_deref()))
            .collect();
        assert_eq!(
            located,
            [
                (Some(1), Some("priority")),
                (Some(2), Some("status")),
                (Some(3), None)
            ]
        );
    }

    #[test]
    fn a_file_without_known_columns_is_refused() {
        let problems = csv("a,b\n1,2\n").unwrap_err();
        assert!(problems[0].message.contains("No known column"));
        let problems = csv("Item,item\nx,y\n").unwrap_err();
        assert!(problems[0].message.contains("appears twice"));
    }

    #[test]
    fn non_utf8_is_explained() {
        let problems = import_csv(b"Item\n\xe9t\xe9\n", "t", &mut IdGen::new(1)).unwrap_err();
        assert!(problems[0].message.contains("CSV UTF-8"));
    }

    #[test]
    fn a_bom_is_ignored_and_guards_removed() {
        let imported = csv("\u{feff}Item,Notes\n'=1+1,'-42\n").unwrap();
        assert_eq!(imported.plan.rows[0].item, "=1+1");
        assert_eq!(imported.plan.rows[0].notes, "'-42");
    }

    #[test]
    fn too_many_rows_is_too_large() {
        let mut text = String::from("Item\n");
        for i in 0..=MAX_ROWS {
            text.push_str(&format!("r{i}\n"));
        }
        assert_eq!(csv(&text).unwrap_err()[0].kind, ProblemKind::TooLarge);
    }

    #[test]
    fn overlong_cells_are_problems_not_truncations() {
        let long = "x".repeat(501);
        let problems = csv(&format!("Item\n{long}\n")).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("item"));
        assert!(problems[0].message.contains("limit is 500"));
    }
}
