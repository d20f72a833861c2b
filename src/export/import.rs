//! Files → plan: CSV from any spreadsheet (columns in any order, headers in any case) and
//! plan JSON. Every problem is reported with its row and column.

use crate::model::{
    check_text, decode_plan_json, max_chars, parse_choice, unguard_cell, Field, IdGen, Plan,
    Priority, Problem, Row, RowId, Status, MAX_PROBLEMS, MAX_ROWS,
};
use std::collections::HashSet;

/// An imported plan, and the CSV columns that were not used.
#[derive(Debug, PartialEq)]
pub struct Imported {
    pub plan: Plan,
    pub ignored_columns: Vec<String>,
}

pub fn import_json(bytes: &[u8], ids: &mut IdGen) -> Result<Imported, Vec<Problem>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| vec![Problem::invalid(None, None, "The file is not UTF-8 text.")])?;
    Ok(Imported {
        plan: decode_plan_json(text, ids)?,
        ignored_columns: Vec::new(),
    })
}

/// Reads a CSV with a header row. `#` is ignored, missing columns are empty, rows with no
/// text at all are skipped, and a leading `'` added by our export is removed again.
pub fn import_csv(bytes: &[u8], title: &str, ids: &mut IdGen) -> Result<Imported, Vec<Problem>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(vec![Problem::invalid(
            None,
            None,
            "The file is not UTF-8 text. In Excel, save it as \"CSV UTF-8\"; Google Sheets \
             and Numbers export UTF-8 already.",
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers = reader.headers().map_err(|e| vec![csv_problem(&e)])?.clone();

    let mut columns: Vec<Option<Field>> = Vec::with_capacity(headers.len());
    let mut seen = HashSet::new();
    let mut ignored = Vec::new();
    let mut problems = Vec::new();
    for header in headers.iter() {
        let header = header.trim();
        let field = Field::from_header(header);
        match field {
            Some(f) if !seen.insert(f) => problems.push(Problem::invalid(
                None,
                Some(f.header()),
                format!("The column \"{}\" appears twice; keep one.", f.header()),
            )),
            Some(_) => {}
            None if header == "#" || header.is_empty() => {}
            None => ignored.push(header.to_owned()),
        }
        columns.push(field);
    }
    if seen.is_empty() {
        return Err(vec![Problem::invalid(
            None,
            None,
            "No known column was found in the first line. Name the columns Item, Category, \
             Priority, Owner, Status and Notes (any order; # is ignored).",
        )]);
    }

    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut n = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                problems.push(csv_problem(&e));
                break;
            }
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        n += 1;
        if n > MAX_ROWS {
            return Err(vec![Problem::too_large(format!(
                "The file has more than {MAX_ROWS} rows; the limit is {MAX_ROWS}. Split it \
                 into smaller files."
            ))]);
        }
        if record.len() > columns.len() {
            problems.push(Problem::invalid(
                Some(n),
                None,
                format!(
                    "This row has {} cells but the header has {} columns.",
                    record.len(),
                    columns.len()
                ),
            ));
        }
        if let Some(row) = read_row(&record, &columns, n, &mut problems) {
            rows.push(row);
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    if !problems.is_empty() {
        problems.truncate(MAX_PROBLEMS);
        return Err(problems);
    }

    let mut taken: HashSet<RowId> = HashSet::with_capacity(rows.len());
    for row in &mut rows {
        row.id = ids.row_id(|candidate| taken.contains(&RowId::from(candidate)));
        taken.insert(row.id.clone());
    }
    let plan = Plan::new(title, rows);
    plan.validate()?;
    Ok(Imported {
        plan,
        ignored_columns: ignored,
    })
}

fn read_row(
    record: &csv::StringRecord,
    columns: &[Option<Field>],
    n: usize,
    problems: &mut Vec<Problem>,
) -> Option<Row> {
    let before = problems.len();
    let mut row = Row::blank(RowId::from("x"));
    for (cell, field) in record.iter().zip(columns) {
        let Some(field) = *field else { continue };
        let text = unguard_cell(cell);
        match field {
            Field::Priority => {
                row.priority = parse_choice(
                    text,
                    Priority::parse,
                    field,
                    n,
                    problems,
                    "Use P0, P1, P2 or P3 (or High, Medium, Low).",
                )
                .unwrap_or_default()
            }
            Field::Status => {
                row.status = parse_choice(
                    text,
                    Status::parse,
                    field,
                    n,
                    problems,
                    "Use Not started, In progress, Blocked or Done.",
                )
                .unwrap_or_default()
            }
            _ => {
                let text = text.replace("\r\n", "\n").replace('\r', "\n");
                if let Some(msg) = check_text(&text, max_chars(field)) {
                    problems.push(Problem::invalid(
                        Some(n),
                        Some(field.key()),
                        format!("The {} {msg}", field.key()),
                    ));
                }
                *match field {
                    Field::Item => &mut row.item,
                    Field::Category => &mut row.category,
                    Field::Owner => &mut row.owner,
                    _ => &mut row.notes,
                } = text;
            }
        }
    }
    (problems.len() == before).then_some(row)
}

fn csv_problem(e: &csv::Error) -> Problem {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "The file is not UTF-8 text.".to_owned(),
        _ => format!("The CSV could not be read: {e}."),
    };
    match line {
        Some(line) => Problem::invalid(None, None, format!("Line {line}: {message}")),
        None => Problem::invalid(None, None, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProblemKind;

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
