//! Which source column feeds which field of the plan, for a CSV from a spreadsheet or a
//! tracker: guessed from the headers and the values ([`suggest`]), shown to the user with the
//! values we translate and those we cannot ([`preview`]), then applied ([`apply`],
//! [`import_mapped`]). Nothing a column holds is dropped silently: a column without a field
//! of its own is added to Notes as `Column: value` unless the user says "don't import".
//!
//! # A mapping in the HTTP API
//!
//! As JSON ([`MappingSpec`]); columns are named by their [`ColumnPreview::key`] (the header,
//! with ` (2)`, ` (3)` … after a repeated one such as Jira's `Labels`), any case:
//!
//! ```text
//! {"columns": {"Task": "item", "Comments": "notes", "Labels": "add-to-notes", "ID": "skip"},
//!  "values": {"status": {"Triage": "Not started"}, "priority": {"Sev 5": "P3"}}}
//! ```
//!
//! Targets: `item`, `category`, `priority`, `owner`, `status`, `notes`, `add-to-notes`,
//! `skip`. A column the mapping does not name keeps its suggestion; a field given to a column
//! explicitly is taken away from the column it was suggested for (that one goes to Notes).
//!
//! As a query string ([`MappingSpec::from_query`]), next to the endpoint's own parameters:
//!
//! ```text
//! ?title=Q3&column.Task=item&column.Labels=add-to-notes&status.Triage=Not+started&priority.Sev+5=P3
//! ```

use super::sheet::{long_row_problem, read_table, Imported, Table};
use crate::model::{
    check_text, max_chars, unguard_cell, Field, IdGen, Plan, Priority, Problem, Row, RowId, Status,
    MAX_PROBLEMS,
};
pub use crate::shared::import::{
    ColumnPreview, MappingSpec, Preview, Target, Translation, Untranslated, ValueMaps,
};
use std::collections::{HashMap, HashSet};

mod words;
#[cfg(test)]
pub(super) use words::header_target;
pub(super) use words::looks_like_email;
pub use words::{priority_from_word, status_from_word, suggest};

/// The name a column goes by in Notes lines and messages: its header, or `Column 3`.
fn column_name(headers: &[String], i: usize) -> String {
    match headers.get(i) {
        Some(h) if !h.is_empty() => h.clone(),
        _ => format!("Column {}", i + 1),
    }
}

/// A unique name per column, for mappings: the name, then `Labels (2)`, `Labels (3)` … for
/// repeated headers (compared in any case).
pub fn column_keys(headers: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::with_capacity(headers.len());
    for i in 0..headers.len() {
        let base = column_name(headers, i);
        let mut key = base.clone();
        let mut k = 2;
        while keys.iter().any(|other| other.eq_ignore_ascii_case(&key)) {
            key = format!("{base} ({k})");
            k += 1;
        }
        keys.push(key);
    }
    keys
}

// ----- the mapping the caller sends -----

impl MappingSpec {
    /// Reads the query-string form: `column.<key>=<target>`, `priority.<value>=<P0–P3>`,
    /// `status.<value>=<status>`. Other parameters (such as `title`) are left to the caller.
    pub fn from_query(query: &str) -> Result<MappingSpec, Problem> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| Problem::invalid(None, None, "The query string could not be read."))?;
        let mut spec = MappingSpec::default();
        for (name, value) in pairs {
            if let Some(column) = name.strip_prefix("column.") {
                let target = Target::from_slug(&value).ok_or_else(|| {
                    Problem::invalid(
                        None,
                        None,
                        format!(
                            "\"{value}\" is not a column target. Use item, category, \
                             priority, owner, status, notes, add-to-notes or skip."
                        ),
                    )
                })?;
                spec.columns.insert(column.to_owned(), target);
            } else if let Some(word) = name.strip_prefix("priority.") {
                let priority = Priority::parse(&value).ok_or_else(|| {
                    Problem::invalid(
                        None,
                        None,
                        format!("\"{value}\" is not a priority. Use P0, P1, P2 or P3."),
                    )
                })?;
                spec.values.priority.insert(word.to_owned(), priority);
            } else if let Some(word) = name.strip_prefix("status.") {
                let status = Status::parse(&value).ok_or_else(|| {
                    Problem::invalid(
                        None,
                        None,
                        format!(
                            "\"{value}\" is not a status. Use Not started, In progress, \
                             Blocked or Done."
                        ),
                    )
                })?;
                spec.values.status.insert(word.to_owned(), status);
            }
        }
        Ok(spec)
    }
}

/// The targets `spec` asks for: the suggestion, with the named columns changed. A field given
/// to a column explicitly is taken from the column it was suggested for (that one goes to
/// Notes). A name that is no column's key is a problem.
pub fn resolve(
    spec: &MappingSpec,
    keys: &[String],
    suggested: &[Target],
) -> Result<Vec<Target>, Vec<Problem>> {
    let mut targets = suggested.to_vec();
    let mut explicit = vec![false; targets.len()];
    let mut problems = Vec::new();
    for (name, target) in &spec.columns {
        let name = name.trim();
        match keys.iter().position(|k| k.eq_ignore_ascii_case(name)) {
            Some(i) if i < targets.len() => {
                targets[i] = *target;
                explicit[i] = true;
            }
            _ => problems.push(Problem::invalid(
                None,
                Some(name),
                format!(
                    "The mapping names the column \"{name}\", which the file does not have. \
                     Its columns are: {}.",
                    keys.join(", ")
                ),
            )),
        }
    }
    if !problems.is_empty() {
        problems.truncate(MAX_PROBLEMS);
        return Err(problems);
    }
    let chosen: Vec<Target> = targets
        .iter()
        .zip(&explicit)
        .filter(|(t, is_explicit)| **is_explicit && t.field().is_some())
        .map(|(t, _)| *t)
        .collect();
    for (target, is_explicit) in targets.iter_mut().zip(&explicit) {
        if !*is_explicit && chosen.contains(target) {
            *target = Target::AddToNotes;
        }
    }
    let problems = duplicate_targets(&targets, keys);
    if problems.is_empty() {
        Ok(targets)
    } else {
        Err(problems)
    }
}

/// A problem for each field that two or more columns are mapped to.
fn duplicate_targets(targets: &[Target], keys: &[String]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for field in Field::ALL {
        let target = Target::from(field);
        let columns: Vec<String> = targets
            .iter()
            .zip(keys)
            .filter(|(t, _)| **t == target)
            .map(|(_, k)| format!("\"{k}\""))
            .collect();
        if columns.len() > 1 {
            problems.push(Problem::invalid(
                None,
                Some(field.key()),
                format!(
                    "The columns {} are all mapped to {}; keep one and add the others to \
                     Notes (\"add-to-notes\").",
                    columns.join(", "),
                    field.header()
                ),
            ));
        }
    }
    problems
}

// ----- the preview -----

const SAMPLES: usize = 3;
const SAMPLE_CHARS: usize = 60;
const LISTED_ROWS: usize = 20;

/// Reads the file and shows what `spec` (or, empty, the suggestion) would do with it.
pub fn preview(bytes: &[u8], spec: &MappingSpec) -> Result<Preview, Vec<Problem>> {
    let table = read_table(bytes)?;
    let suggested = suggest(&table.headers, &table.rows);
    let keys = column_keys(&table.headers);
    let targets = resolve(spec, &keys, &suggested)?;

    let mut columns = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let mut samples: Vec<String> = Vec::new();
        let mut filled = 0;
        for cell in table.rows.iter().filter_map(|row| row.get(i)) {
            let text = unguard_cell(cell).trim();
            if text.is_empty() {
                continue;
            }
            filled += 1;
            if samples.len() < SAMPLES {
                let mut sample: String = text.chars().take(SAMPLE_CHARS).collect();
                if sample.len() < text.len() {
                    sample.push('\u{2026}');
                }
                if !samples.contains(&sample) {
                    samples.push(sample);
                }
            }
        }
        columns.push(ColumnPreview {
            header: table.headers[i].clone(),
            key: key.clone(),
            target: targets[i],
            suggested: suggested[i],
            samples,
            filled,
        });
    }

    let mut translated = Vec::new();
    let mut untranslated = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let field = match target {
            Target::Priority => Field::Priority,
            Target::Status => Field::Status,
            _ => continue,
        };
        // Each different value once, in the order it first appears, with its rows.
        let mut order: Vec<String> = Vec::new();
        let mut found: HashMap<String, Vec<usize>> = HashMap::new();
        for (r, row) in table.rows.iter().enumerate() {
            let Some(cell) = row.get(i) else { continue };
            let text = unguard_cell(cell).trim();
            if text.is_empty() {
                continue;
            }
            let rows = found.entry(text.to_owned()).or_insert_with(|| {
                order.push(text.to_owned());
                Vec::new()
            });
            rows.push(r + 1);
        }
        for value in order {
            let rows = found.remove(&value).unwrap_or_default();
            let result = match field {
                Field::Priority => spec
                    .values
                    .translate_priority(&value)
                    .map(|(p, keep)| (p.as_str(), keep)),
                _ => spec
                    .values
                    .translate_status(&value)
                    .map(|(s, keep)| (s.as_str(), keep)),
            };
            match result {
                Some((to, kept_in_notes)) => translated.push(Translation {
                    column: keys[i].clone(),
                    field,
                    value,
                    to: to.to_owned(),
                    kept_in_notes,
                    count: rows.len(),
                }),
                None => untranslated.push(Untranslated {
                    column: keys[i].clone(),
                    field,
                    count: rows.len(),
                    rows: rows.into_iter().take(LISTED_ROWS).collect(),
                    value,
                }),
            }
        }
    }

    let mut problems: Vec<Problem> = table
        .rows
        .iter()
        .enumerate()
        .filter(|(_, row)| row.len() > table.headers.len())
        .map(|(r, row)| long_row_problem(row.len(), table.headers.len(), r + 1))
        .collect();
    problems.extend(table.error.clone());
    problems.truncate(MAX_PROBLEMS);

    Ok(Preview {
        columns,
        rows: table.rows.len(),
        translated,
        untranslated,
        problems,
    })
}

// ----- applying a mapping -----

/// Imports a CSV with one target per column, in file order (as [`Preview::columns`] lists
/// them), and the caller's value translations. Every problem is reported with its row
/// (1-based, rows with text) and field.
pub fn apply(
    bytes: &[u8],
    targets: &[Target],
    values: &ValueMaps,
    title: &str,
    ids: &mut IdGen,
) -> Result<Imported, Vec<Problem>> {
    let table = read_table(bytes)?;
    apply_table(&table, targets, values, title, ids)
}

/// Imports a CSV with a mapping as the HTTP API takes it: the suggestion, changed by `spec`.
pub fn import_mapped(
    bytes: &[u8],
    spec: &MappingSpec,
    title: &str,
    ids: &mut IdGen,
) -> Result<Imported, Vec<Problem>> {
    let table = read_table(bytes)?;
    let suggested = suggest(&table.headers, &table.rows);
    let targets = resolve(spec, &column_keys(&table.headers), &suggested)?;
    apply_table(&table, &targets, &spec.values, title, ids)
}

pub(super) fn apply_table(
    table: &Table,
    targets: &[Target],
    values: &ValueMaps,
    title: &str,
    ids: &mut IdGen,
) -> Result<Imported, Vec<Problem>> {
    let columns = table.headers.len();
    if targets.len() != columns {
        return Err(vec![Problem::invalid(
            None,
            None,
            format!(
                "The mapping has {} columns but the file has {columns}.",
                targets.len()
            ),
        )]);
    }
    let keys = column_keys(&table.headers);
    let problems = duplicate_targets(targets, &keys);
    if !problems.is_empty() {
        return Err(problems);
    }
    if !targets.iter().any(|t| t.field().is_some()) {
        return Err(vec![Problem::invalid(
            None,
            None,
            "No column is mapped to Item, Category, Priority, Owner, Status or Notes.",
        )]);
    }
    let names: Vec<String> = (0..columns)
        .map(|i| column_name(&table.headers, i))
        .collect();

    let mut problems = Vec::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    for (r, cells) in table.rows.iter().enumerate() {
        let n = r + 1;
        if cells.len() > columns {
            problems.push(long_row_problem(cells.len(), columns, n));
        }
        if let Some(row) = build_row(cells, &names, targets, values, n, &mut problems) {
            rows.push(row);
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    problems.extend(table.error.clone());
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

    let mut ignored_columns = Vec::new();
    let mut noted_columns = Vec::new();
    for ((header, name), target) in table.headers.iter().zip(&names).zip(targets) {
        if *target == Target::AddToNotes {
            noted_columns.push(name.clone());
        }
        if target.field().is_none() && !header.is_empty() && header != "#" {
            ignored_columns.push(name.clone());
        }
    }
    Ok(Imported {
        plan,
        ignored_columns,
        noted_columns,
    })
}

/// Line breaks as the plan stores them.
fn plain_breaks(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

fn untranslated_problem(field: Field, column: &str, text: &str, n: usize) -> Problem {
    let hint = match field {
        Field::Priority => "Use P0, P1, P2 or P3 (or High, Medium, Low)",
        _ => "Use Not started, In progress, Blocked or Done",
    };
    Problem::invalid(
        Some(n),
        Some(field.key()),
        format!(
            "\"{}\" is not a {} we know (column \"{column}\"). {hint}, or say what it means \
             in the import preview.",
            text.trim(),
            field.key()
        ),
    )
}

fn build_row(
    cells: &[String],
    names: &[String],
    targets: &[Target],
    values: &ValueMaps,
    n: usize,
    problems: &mut Vec<Problem>,
) -> Option<Row> {
    let before = problems.len();
    let mut row = Row::blank(RowId::from("x"));
    // `Column: value` lines for Notes, in column order.
    let mut lines: Vec<String> = Vec::new();
    for ((cell, target), name) in cells.iter().zip(targets).zip(names) {
        let text = unguard_cell(cell);
        let empty = text.trim().is_empty();
        match *target {
            Target::Skip => {}
            Target::AddToNotes => {
                if !empty {
                    lines.push(format!("{name}: {}", plain_breaks(text)));
                }
            }
            Target::Priority => {
                if empty {
                    continue; // the default, as for a missing column
                }
                match values.translate_priority(text) {
                    Some((priority, keep)) => {
                        row.priority = priority;
                        if keep {
                            lines.push(format!("{name}: {}", text.trim()));
                        }
                    }
                    None => problems.push(untranslated_problem(Field::Priority, name, text, n)),
                }
            }
            Target::Status => {
                if empty {
                    continue;
                }
                match values.translate_status(text) {
                    Some((status, keep)) => {
                        row.status = status;
                        if keep {
                            lines.push(format!("{name}: {}", text.trim()));
                        }
                    }
                    None => problems.push(untranslated_problem(Field::Status, name, text, n)),
                }
            }
            Target::Item | Target::Category | Target::Owner | Target::Notes => {
                let text = plain_breaks(text);
                let slot = match *target {
                    Target::Item => &mut row.item,
                    Target::Category => &mut row.category,
                    Target::Owner => &mut row.owner,
                    _ => &mut row.notes,
                };
                *slot = text;
            }
        }
    }
    for line in lines {
        if !row.notes.is_empty() {
            row.notes.push('\n');
        }
        row.notes.push_str(&line);
    }
    for field in [Field::Item, Field::Category, Field::Owner, Field::Notes] {
        if let Some(msg) = check_text(row.text(field), max_chars(field)) {
            problems.push(Problem::invalid(
                Some(n),
                Some(field.key()),
                format!("The {} {msg}", field.key()),
            ));
        }
    }
    (problems.len() == before).then_some(row)
}

#[cfg(test)]
mod tests;
