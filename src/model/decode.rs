//! Reading plan documents from JSON written by anyone: older versions of syncplan, other
//! tabs, curl users, hand-edited backups. Lenient where intent is clear (aliases, missing
//! ids, missing optional fields), precise where it is not (every problem names its row
//! and field).

use super::ids::IdGen;
use super::limits::{is_valid_row_id, Problem, MAX_PROBLEMS, MAX_ROWS};
use super::plan::{Field, Plan, Priority, Row, RowId, Status, PLAN_SCHEMA};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// The title a plan gets when its document has none.
pub const DEFAULT_TITLE: &str = "Background sync plan";

/// Parses and checks a plan document given as JSON text.
pub fn decode_plan_json(text: &str, ids: &mut IdGen) -> Result<Plan, Vec<Problem>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        vec![Problem::invalid(
            None,
            None,
            format!(
                "This is not valid JSON (line {}, column {}): {}.",
                e.line(),
                e.column(),
                json_error_reason(&e)
            ),
        )]
    })?;
    decode_plan(value, ids)
}

fn json_error_reason(e: &serde_json::Error) -> String {
    // serde_json appends " at line X column Y"; we already say where.
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

/// Checks a plan document given as a JSON value, migrating older schemas forward.
/// Rows without a usable id get a fresh one; unknown fields are ignored.
pub fn decode_plan(value: Value, ids: &mut IdGen) -> Result<Plan, Vec<Problem>> {
    let Value::Object(mut doc) = value else {
        return Err(vec![Problem::invalid(
            None,
            None,
            "A plan must be a JSON object with \"title\" and \"rows\".",
        )]);
    };
    match doc.get("schema") {
        None => {} // hand-written documents may leave it out: read them as the current schema
        Some(Value::Number(n)) => match n.as_u64() {
            Some(s) if (1..=PLAN_SCHEMA as u64).contains(&s) => {}
            Some(s) if s > PLAN_SCHEMA as u64 => {
                return Err(vec![Problem::invalid(
                    None,
                    Some("schema"),
                    format!(
                        "This plan was saved by a newer version of syncplan (schema {s}); \
                         this version reads schema {PLAN_SCHEMA} and older."
                    ),
                )])
            }
            _ => return Err(vec![schema_problem()]),
        },
        Some(_) => return Err(vec![schema_problem()]),
    }

    let mut problems = Vec::new();
    let title = match doc.remove("title") {
        None | Some(Value::Null) => DEFAULT_TITLE.to_owned(),
        Some(Value::String(s)) => s,
        Some(_) => {
            problems.push(Problem::invalid(
                None,
                Some("title"),
                "The title must be text.",
            ));
            String::new()
        }
    };
    let raw_rows = match doc.remove("rows") {
        Some(Value::Array(rows)) => rows,
        None | Some(Value::Null) => {
            return Err(vec![Problem::invalid(
                None,
                Some("rows"),
                "The plan has no \"rows\" list.",
            )])
        }
        Some(_) => {
            return Err(vec![Problem::invalid(
                None,
                Some("rows"),
                "\"rows\" must be a list of rows.",
            )])
        }
    };
    if raw_rows.len() > MAX_ROWS {
        return Err(vec![Problem::too_large(format!(
            "The plan has {} rows; the limit is {MAX_ROWS}. Split it into smaller plans.",
            raw_rows.len()
        ))]);
    }

    let mut rows = Vec::with_capacity(raw_rows.len());
    let mut needs_id = Vec::new();
    for (i, raw) in raw_rows.into_iter().enumerate() {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        match decode_row(raw, i + 1, &mut problems) {
            Some((row, has_id)) => {
                if !has_id {
                    needs_id.push(rows.len());
                }
                rows.push(row);
            }
            None => rows.push(Row::blank(RowId::from("x"))),
        }
    }
    if !problems.is_empty() {
        problems.truncate(MAX_PROBLEMS);
        return Err(problems);
    }

    // Keep the first of any duplicated id; give the others (and rows without one) fresh ids.
    let mut seen: HashSet<RowId> = HashSet::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if !needs_id.contains(&i) && !seen.insert(row.id.clone()) {
            needs_id.push(i);
        }
    }
    for i in needs_id {
        let id = ids.row_id(|candidate| seen.contains(&RowId::from(candidate)));
        seen.insert(id.clone());
        rows[i].id = id;
    }

    let plan = Plan::new(title, rows);
    plan.validate()?;
    Ok(plan)
}

fn schema_problem() -> Problem {
    Problem::invalid(
        None,
        Some("schema"),
        "\"schema\" must be a whole number such as 1.",
    )
}

/// Reads one row; `None` (with problems recorded) when it cannot be read at all.
/// The flag says whether the row brought a usable id of its own.
fn decode_row(raw: Value, n: usize, problems: &mut Vec<Problem>) -> Option<(Row, bool)> {
    let Value::Object(mut obj) = raw else {
        problems.push(Problem::invalid(
            Some(n),
            None,
            "Each row must be a JSON object.",
        ));
        return None;
    };
    let before = problems.len();
    let (id, has_id) = match obj.remove("id") {
        Some(Value::String(s)) if is_valid_row_id(&s) => (RowId(s), true),
        _ => (RowId::from("x"), false),
    };
    let mut text = |field: Field, obj: &mut Map<String, Value>| -> String {
        match obj.remove(field.key()) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s,
            // Spreadsheet-minded tools write numbers for numeric-looking cells.
            Some(Value::Number(x)) => x.to_string(),
            Some(_) => {
                problems.push(Problem::invalid(
                    Some(n),
                    Some(field.key()),
                    format!("The {} must be text.", field.key()),
                ));
                String::new()
            }
        }
    };
    let item = text(Field::Item, &mut obj);
    let category = text(Field::Category, &mut obj);
    let owner = text(Field::Owner, &mut obj);
    let notes = text(Field::Notes, &mut obj);
    let priority_text = text(Field::Priority, &mut obj);
    let status_text = text(Field::Status, &mut obj);
    let priority = parse_choice(
        &priority_text,
        Priority::parse,
        Field::Priority,
        n,
        problems,
        "Use P0, P1, P2 or P3 (or High, Medium, Low).",
    );
    let status = parse_choice(
        &status_text,
        Status::parse,
        Field::Status,
        n,
        problems,
        "Use Not started, In progress, Blocked or Done.",
    );
    if problems.len() > before {
        return None;
    }
    Some((
        Row {
            id,
            item,
            category,
            priority: priority.unwrap_or_default(),
            owner,
            status: status.unwrap_or_default(),
            notes,
        },
        has_id,
    ))
}

/// Parses a Priority or Status cell; an empty cell takes the default.
pub fn parse_choice<T: Default>(
    text: &str,
    parse: fn(&str) -> Option<T>,
    field: Field,
    row: usize,
    problems: &mut Vec<Problem>,
    hint: &str,
) -> Option<T> {
    if text.trim().is_empty() {
        return Some(T::default());
    }
    let parsed = parse(text);
    if parsed.is_none() {
        problems.push(Problem::invalid(
            Some(row),
            Some(field.key()),
            format!("\"{}\" is not a {}. {hint}", text.trim(), field.key()),
        ));
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::limits::ProblemKind;

    fn decode(text: &str) -> Result<Plan, Vec<Problem>> {
        decode_plan_json(text, &mut IdGen::new(1))
    }

    #[test]
    fn reads_a_canonical_document_unchanged() {
        let plan = Plan::new(
            "Sync",
            vec![Row {
                priority: Priority::P0,
                status: Status::Blocked,
                notes: "a\nb".into(),
                ..Row::blank(RowId::from("r1"))
            }],
        );
        assert_eq!(decode(&plan.to_json()), Ok(plan));
    }

    #[test]
    fn fills_in_what_a_hand_written_document_leaves_out() {
        let plan = decode(
            r#"{"rows":[{"item":"Queue","priority":"high","status":"doing","extra":1},{}]}"#,
        )
        .unwrap();
        assert_eq!(plan.schema, PLAN_SCHEMA);
        assert_eq!(plan.title, DEFAULT_TITLE);
        assert_eq!(plan.rows[0].item, "Queue");
        assert_eq!(plan.rows[0].priority, Priority::P1);
        assert_eq!(plan.rows[0].status, Status::InProgress);
        assert_eq!(plan.rows[1].priority, Priority::P2);
        assert_ne!(plan.rows[0].id, plan.rows[1].id);
        assert!(plan.validate().is_ok());
    }

    #[test]
    fn duplicate_ids_are_replaced_not_rejected() {
        let plan = decode(r#"{"title":"t","rows":[{"id":"a","item":"1"},{"id":"a","item":"2"}]}"#)
            .unwrap();
        assert_eq!(plan.rows[0].id.as_str(), "a");
        assert_ne!(plan.rows[1].id.as_str(), "a");
        assert_eq!(plan.rows[1].item, "2");
    }

    #[test]
    fn reports_every_bad_cell_with_row_and_field() {
        let problems =
            decode(r#"{"title":"t","rows":[{"priority":"P9"},{"status":"someday","item":["x"]}]}"#)
                .unwrap_err();
        let located: Vec<_> = problems
            .iter()
            .map(|p| (p.row, p.field.as_deref()))
            .collect();
        assert_eq!(
            located,
            [
                (Some(1), Some("priority")),
                (Some(2), Some("item")),
                (Some(2), Some("status"))
            ]
        );
        assert!(problems[0].message.contains("\"P9\" is not a priority"));
    }

    #[test]
    fn explains_json_syntax_errors_with_their_position() {
        let problems = decode("{\"title\": }").unwrap_err();
        assert!(problems[0]
            .message
            .starts_with("This is not valid JSON (line 1, column 11)"));
        assert!(!problems[0].message.contains(" at line "));
    }

    #[test]
    fn refuses_newer_schemas_and_non_objects() {
        let p = decode(r#"{"schema": 99, "rows": []}"#).unwrap_err();
        assert!(p[0].message.contains("newer version"));
        assert!(decode("[]").unwrap_err()[0].message.contains("JSON object"));
        assert!(decode(r#"{"schema":"one","rows":[]}"#).is_err());
        assert!(decode(r#"{"title":"t"}"#).unwrap_err()[0]
            .message
            .contains("no \"rows\""));
    }

    #[test]
    fn too_many_rows_is_too_large() {
        let rows = vec!["{}"; MAX_ROWS + 1].join(",");
        let problems = decode(&format!(r#"{{"rows":[{rows}]}}"#)).unwrap_err();
        assert_eq!(problems[0].kind, ProblemKind::TooLarge);
    }
}
