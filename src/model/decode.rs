//! Reading plan documents from JSON written by anyone: older versions of syncplan, other
//! tabs, curl users, hand-edited backups. Lenient where intent is clear (aliases, missing
//! ids, missing optional fields, numbers where text was expected), precise where it is not
//! (every problem names its row and field). The document is read in one pass, straight into
//! rows, without building a JSON tree first.

use super::ids::IdGen;
use super::limits::{is_valid_row_id, Problem, MAX_PROBLEMS, MAX_ROWS};
use super::plan::{Field, Plan, Priority, Row, RowId, Status, PLAN_SCHEMA};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;

/// The title a plan gets when its document has none.
pub const DEFAULT_TITLE: &str = "Background sync plan";

/// A JSON value where the plan expects text.
#[derive(Default)]
enum Cell {
    #[default]
    Missing,
    Text(String),
    /// An object, list or boolean.
    Wrong,
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cell;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text")
            }
            fn visit_str<E>(self, v: &str) -> Result<Cell, E> {
                Ok(Cell::Text(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Cell, E> {
                Ok(Cell::Text(v))
            }
            // Spreadsheet-minded tools write numbers for numeric-looking cells.
            fn visit_i64<E>(self, v: i64) -> Result<Cell, E> {
                Ok(Cell::Text(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Cell, E> {
                Ok(Cell::Text(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Cell, E> {
                Ok(Cell::Text(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Cell, E> {
                Ok(Cell::Missing)
            }
            fn visit_none<E>(self) -> Result<Cell, E> {
                Ok(Cell::Missing)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Cell, E> {
                Ok(Cell::Wrong)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cell, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Cell::Wrong)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Cell::Wrong)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawRow {
    id: Cell,
    item: Cell,
    category: Cell,
    priority: Cell,
    owner: Cell,
    status: Cell,
    notes: Cell,
}

/// One element of `rows`: a row object, or something else (reported with its row number).
enum RowSlot {
    Row(RawRow),
    NotObject,
}

impl<'de> Deserialize<'de> for RowSlot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RowSlot, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RowSlot;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a row object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RowSlot, A::Error> {
                RawRow::deserialize(de::value::MapAccessDeserializer::new(map)).map(RowSlot::Row)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RowSlot, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RowSlot::NotObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<RowSlot, E> {
                Ok(RowSlot::NotObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<RowSlot, E> {
                Ok(RowSlot::NotObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<RowSlot, E> {
                Ok(RowSlot::NotObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<RowSlot, E> {
                Ok(RowSlot::NotObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<RowSlot, E> {
                Ok(RowSlot::NotObject)
            }
            fn visit_unit<E>(self) -> Result<RowSlot, E> {
                Ok(RowSlot::NotObject)
            }
        }
        d.deserialize_any(V)
    }
}

/// What `rows` holds.
#[derive(Default)]
enum Rows {
    #[default]
    Missing,
    List(Vec<RowSlot>),
    Wrong,
}

impl<'de> Deserialize<'de> for Rows {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rows, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Rows;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of rows")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Rows, A::Error> {
                let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(32).min(MAX_ROWS));
                while let Some(row) = seq.next_element::<RowSlot>()? {
                    // Stop at the limit: a 2 MiB body of `{}` rows must not become a
                    // million decoded rows before anything is checked.
                    if rows.len() == MAX_ROWS {
                        return Err(de::Error::custom(TOO_MANY_ROWS));
                    }
                    rows.push(row);
                }
                Ok(Rows::List(rows))
            }
            fn visit_unit<E>(self) -> Result<Rows, E> {
                Ok(Rows::Missing)
            }
            fn visit_none<E>(self) -> Result<Rows, E> {
                Ok(Rows::Missing)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rows, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Rows::Wrong)
            }
            fn visit_str<E>(self, _: &str) -> Result<Rows, E> {
                Ok(Rows::Wrong)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Rows, E> {
                Ok(Rows::Wrong)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Rows, E> {
                Ok(Rows::Wrong)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Rows, E> {
                Ok(Rows::Wrong)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Rows, E> {
                Ok(Rows::Wrong)
            }
        }
        d.deserialize_any(V)
    }
}

/// What `schema` holds: a version number, or something else.
#[derive(Default)]
enum Schema {
    #[default]
    Missing,
    Version(u64),
    Wrong,
}

impl<'de> Deserialize<'de> for Schema {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Schema, D::Error> {
        Ok(match Cell::deserialize(d)? {
            Cell::Missing => Schema::Missing,
            Cell::Text(t) => t.parse().map(Schema::Version).unwrap_or(Schema::Wrong),
            Cell::Wrong => Schema::Wrong,
        })
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawPlan {
    schema: Schema,
    title: Cell,
    rows: Rows,
}

/// The whole document: an object (a derived struct would also take a JSON array).
struct PlanObject(RawPlan);

impl<'de> Deserialize<'de> for PlanObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PlanObject, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PlanObject;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a plan object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PlanObject, A::Error> {
                RawPlan::deserialize(de::value::MapAccessDeserializer::new(map)).map(PlanObject)
            }
        }
        d.deserialize_map(V)
    }
}

/// Parses and checks a plan document given as JSON text.
pub fn decode_plan_json(text: &str, ids: &mut IdGen) -> Result<Plan, Vec<Problem>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let raw = PlanObject::deserialize(&mut de)
        .map(|p| p.0)
        .and_then(|raw| de.end().map(|()| raw))
        .map_err(|e| vec![json_problem(&e)])?;
    from_raw(raw, ids)
}

/// Checks a plan document given as a parsed JSON value (inside a stored workspace).
pub fn decode_plan(value: serde_json::Value, ids: &mut IdGen) -> Result<Plan, Vec<Problem>> {
    let raw = PlanObject::deserialize(value)
        .map(|p| p.0)
        .map_err(|e| vec![json_problem(&e)])?;
    from_raw(raw, ids)
}

/// The error `rows` stops with once it holds more than [`MAX_ROWS`] rows.
const TOO_MANY_ROWS: &str = "syncplan: too many rows";

fn too_many_rows() -> Problem {
    Problem::too_large(format!(
        "The plan has more than {MAX_ROWS} rows; the limit is {MAX_ROWS}. Split it into \
         smaller plans."
    ))
}

fn json_problem(e: &serde_json::Error) -> Problem {
    // serde_json appends " at line X column Y"; say where in our own words instead.
    let full = e.to_string();
    let reason = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    if reason == TOO_MANY_ROWS {
        return too_many_rows();
    }
    let message = if e.is_data() {
        // Everything inside a plan is read leniently, so a data error is about its shape.
        if reason.starts_with("duplicate field") {
            format!(
                "A field appears twice in one object (line {}, column {}): {reason}.",
                e.line(),
                e.column()
            )
        } else {
            "A plan must be a JSON object with \"title\" and \"rows\".".to_owned()
        }
    } else {
        format!(
            "This is not valid JSON (line {}, column {}): {reason}.",
            e.line(),
            e.column()
        )
    };
    Problem::invalid(None, None, message)
}

/// Checks a raw document and turns it into a plan, migrating older schemas forward. Rows
/// without a usable id (or with one used before) get a fresh one.
fn from_raw(raw: RawPlan, ids: &mut IdGen) -> Result<Plan, Vec<Problem>> {
    match raw.schema {
        // Hand-written documents may leave it out: read them as the current schema.
        Schema::Missing => {}
        Schema::Version(s) if (1..=PLAN_SCHEMA as u64).contains(&s) => {}
        Schema::Version(s) if s > PLAN_SCHEMA as u64 => {
            return Err(vec![Problem::invalid(
                None,
                Some("schema"),
                format!(
                    "This plan was saved by a newer version of syncplan (schema {s}); this \
                     version reads schema {PLAN_SCHEMA} and older."
                ),
            )])
        }
        _ => {
            return Err(vec![Problem::invalid(
                None,
                Some("schema"),
                "\"schema\" must be a whole number such as 1.",
            )])
        }
    }
    let mut problems = Vec::new();
    let title = match raw.title {
        Cell::Missing => DEFAULT_TITLE.to_owned(),
        Cell::Text(t) => t,
        Cell::Wrong => {
            problems.push(Problem::invalid(
                None,
                Some("title"),
                "The title must be text.",
            ));
            String::new()
        }
    };
    let raw_rows = match raw.rows {
        Rows::List(rows) => rows,
        Rows::Missing => {
            return Err(vec![Problem::invalid(
                None,
                Some("rows"),
                "The plan has no \"rows\" list.",
            )])
        }
        Rows::Wrong => {
            return Err(vec![Problem::invalid(
                None,
                Some("rows"),
                "\"rows\" must be a list of rows.",
            )])
        }
    };
    if raw_rows.len() > MAX_ROWS {
        return Err(vec![too_many_rows()]);
    }

    let mut rows = Vec::with_capacity(raw_rows.len());
    for (i, slot) in raw_rows.into_iter().enumerate() {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        match slot {
            RowSlot::Row(raw) => {
                if let Some(row) = decode_row(raw, i + 1, &mut problems) {
                    rows.push(row);
                }
            }
            RowSlot::NotObject => problems.push(Problem::invalid(
                Some(i + 1),
                None,
                "Each row must be a JSON object.",
            )),
        }
    }
    if !problems.is_empty() {
        problems.truncate(MAX_PROBLEMS);
        return Err(problems);
    }

    // Keep the first of any repeated id; give the others, and rows without one, fresh ids.
    let needs_id: Vec<usize> = {
        let mut seen: HashSet<&str> = HashSet::with_capacity(rows.len());
        rows.iter()
            .enumerate()
            .filter(|(_, r)| r.id.0.is_empty() || !seen.insert(r.id.as_str()))
            .map(|(i, _)| i)
            .collect()
    };
    if !needs_id.is_empty() {
        let mut taken: HashSet<String> = rows.iter().map(|r| r.id.0.clone()).collect();
        for i in needs_id {
            let id = ids.row_id(|candidate| taken.contains(candidate));
            taken.insert(id.0.clone());
            rows[i].id = id;
        }
    }

    let plan = Plan::new(title, rows);
    plan.validate()?;
    Ok(plan)
}

/// Reads one row; `None` (with problems recorded) when it cannot be used. A row without a
/// usable id gets an empty one, filled in later.
fn decode_row(raw: RawRow, n: usize, problems: &mut Vec<Problem>) -> Option<Row> {
    let before = problems.len();
    let id = match raw.id {
        Cell::Text(s) if is_valid_row_id(&s) => RowId(s),
        _ => RowId(String::new()),
    };
    let mut text = |cell: Cell, field: Field| match cell {
        Cell::Missing => String::new(),
        Cell::Text(s) => s,
        Cell::Wrong => {
            problems.push(Problem::invalid(
                Some(n),
                Some(field.key()),
                format!("The {} must be text.", field.key()),
            ));
            String::new()
        }
    };
    let item = text(raw.item, Field::Item);
    let category = text(raw.category, Field::Category);
    let owner = text(raw.owner, Field::Owner);
    let notes = text(raw.notes, Field::Notes);
    let priority_text = text(raw.priority, Field::Priority);
    let status_text = text(raw.status, Field::Status);
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
    Some(Row {
        id,
        item,
        category,
        priority: priority.unwrap_or_default(),
        owner,
        status: status.unwrap_or_default(),
        notes,
    })
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
        assert_eq!(decode(&plan.to_json()), Ok(plan.clone()));
        let value: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
        assert_eq!(decode_plan(value, &mut IdGen::new(1)), Ok(plan));
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
    fn numbers_are_read_as_text() {
        let plan = decode(r#"{"rows":[{"item":42,"notes":-1.5,"priority":1}]}"#).unwrap();
        assert_eq!(plan.rows[0].item, "42");
        assert_eq!(plan.rows[0].notes, "-1.5");
        assert_eq!(plan.rows[0].priority, Priority::P1);
        // Never an exponent; the browser reads them the same (end2end: content.spec.ts).
        let plan = decode(r#"{"rows":[{"item":1e21,"owner":2.5,"notes":1.5e-7}]}"#).unwrap();
        assert_eq!(plan.rows[0].item, "1000000000000000000000");
        assert_eq!(plan.rows[0].owner, "2.5");
        assert_eq!(plan.rows[0].notes, "0.00000015");
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
        let problems = decode(
            r#"{"title":"t","rows":[{"priority":"P9"},{"status":"someday","item":["x"]},7]}"#,
        )
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
                (Some(2), Some("status")),
                (Some(3), None)
            ]
        );
        assert!(problems[0].message.contains("\"P9\" is not a priority"));
        assert_eq!(problems[3].message, "Each row must be a JSON object.");
    }

    #[test]
    fn explains_json_syntax_errors_with_their_position() {
        let problems = decode("{\"title\": }").unwrap_err();
        assert!(problems[0]
            .message
            .starts_with("This is not valid JSON (line 1, column 11)"));
        assert!(!problems[0].message.contains(" at line "));
        assert!(decode("{} trailing").unwrap_err()[0]
            .message
            .starts_with("This is not valid JSON"));
    }

    #[test]
    fn refuses_newer_schemas_and_non_objects() {
        let p = decode(r#"{"schema": 99, "rows": []}"#).unwrap_err();
        assert!(p[0].message.contains("newer version"));
        assert!(decode("[]").unwrap_err()[0].message.contains("JSON object"));
        assert!(decode(r#"{"schema":"one","rows":[]}"#).is_err());
        assert!(decode(r#"{"schema":-1,"rows":[]}"#).is_err());
        assert!(decode(r#"{"title":"t"}"#).unwrap_err()[0]
            .message
            .contains("no \"rows\""));
        assert!(decode(r#"{"rows":{"a":1}}"#).unwrap_err()[0]
            .message
            .contains("must be a list"));
        assert!(decode(r#"{"title":{"x":1},"rows":[]}"#).unwrap_err()[0]
            .message
            .contains("title must be text"));
    }

    #[test]
    fn a_repeated_field_is_named() {
        let p = decode(r#"{"rows":[{"item":"a","item":"b"}]}"#).unwrap_err();
        assert!(
            p[0].message.contains("duplicate field `item`"),
            "{}",
            p[0].message
        );
    }

    #[test]
    fn too_many_rows_is_too_large() {
        let rows = vec!["{}"; MAX_ROWS + 1].join(",");
        let problems = decode(&format!(r#"{{"rows":[{rows}]}}"#)).unwrap_err();
        assert_eq!(problems[0].kind, ProblemKind::TooLarge);
    }
}
