//! Reading plan documents from JSON written by anyone: older versions of syncplan, other
//! tabs, curl users, hand-edited backups. Lenient where intent is clear (aliases, missing
//! ids, missing optional fields, numbers where text was expected), precise where it is not
//! (every problem names its row and field). The document is read in one pass, straight into
//! rows, without building a JSON tree first.

use crate::model::doc::ids::IdGen;
use crate::model::doc::limits::{is_valid_row_id, Problem, MAX_PROBLEMS, MAX_ROWS};
use crate::model::doc::plan::{Field, Plan, Priority, Row, RowId, Status, PLAN_SCHEMA};
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
mod tests;
