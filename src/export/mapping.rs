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

/// Lowercase, `-` and `_` read as spaces, runs of spaces as one, curly apostrophes straight:
/// `Won’t-Do` and `won't do` are the same word.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        let c = match c {
            '-' | '_' => ' ',
            '\u{2018}' | '\u{2019}' => '\'',
            c => c,
        };
        out.extend(c.to_lowercase());
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ----- vocabularies -----

/// Translates a priority as the common tools write it. The second value says whether the
/// original word should be kept in Notes, because two of the source's levels become one of
/// ours. Our four levels: P0 must have before launch, P1 should have at launch, P2 soon after,
/// P3 nice to have.
///
/// | words | level | word kept |
/// |---|---|---|
/// | P0, 0, Highest (Jira), Urgent (Linear), Blocker (Jira's older scheme) | P0 | no |
/// | Critical (Jira's older scheme, below Blocker) | P0 | yes |
/// | P1, 1, High, Major | P1 | no |
/// | P2, 2, Medium, Med, Normal, Minor, No priority (Linear: unset, like an empty cell) | P2 | no |
/// | P3, 3, Low, Trivial | P3 | no |
/// | Lowest (Jira, below Low), P4, 4 | P3 | yes |
///
/// Anything else `Priority::parse` reads is taken as it is; the rest is untranslated.
pub fn priority_from_word(text: &str) -> Option<(Priority, bool)> {
    let found = match normalize(text).as_str() {
        "p0" | "0" | "highest" | "urgent" | "blocker" => (Priority::P0, false),
        "critical" => (Priority::P0, true),
        "p1" | "1" | "high" | "major" => (Priority::P1, false),
        "p2" | "2" | "medium" | "med" | "normal" | "minor" | "no priority" => (Priority::P2, false),
        "p3" | "3" | "low" | "trivial" => (Priority::P3, false),
        "lowest" | "p4" | "4" => (Priority::P3, true),
        _ => return Priority::parse(text).map(|p| (p, false)),
    };
    Some(found)
}

/// Translates a status as the common tools write it (Jira, Linear, GitHub Projects, Notion,
/// Asana boards). The second value says whether the original word is kept in Notes, because
/// our level says less than it did.
///
/// | words | status | word kept |
/// |---|---|---|
/// | Not started, To Do, Todo, Open, New, Backlog, Planned, Unstarted, Ready, Selected for Development | Not started | no |
/// | In Progress, Doing, Started, WIP, Active, Ongoing, In Development | In progress | no |
/// | In Review, Review, Code Review, QA, In QA, Testing, In Testing | In progress | yes |
/// | Blocked, On hold, Waiting, Stuck | Blocked | no |
/// | Done, Complete(d), Finished, Closed, Shipped, Resolved, Fixed | Done | no |
/// | Won't Do, Won't Fix, Cancelled, Canceled, Duplicate, Declined, Rejected, Obsolete | Done | yes |
///
/// "Won't do" and its kin are Done: no work is left, so they drop out of "rows not Done" and
/// the readiness count, and the word in Notes says why. Linear's "Triage" is deliberately
/// not translated: the user says what it means (usually Not started).
pub fn status_from_word(text: &str) -> Option<(Status, bool)> {
    let found = match normalize(text).as_str() {
        "not started"
        | "to do"
        | "todo"
        | "open"
        | "new"
        | "backlog"
        | "planned"
        | "unstarted"
        | "ready"
        | "selected for development" => (Status::NotStarted, false),
        "in progress" | "doing" | "started" | "wip" | "active" | "ongoing" | "in development" => {
            (Status::InProgress, false)
        }
        "in review" | "review" | "code review" | "qa" | "in qa" | "testing" | "in testing" => {
            (Status::InProgress, true)
        }
        "blocked" | "on hold" | "waiting" | "stuck" => (Status::Blocked, false),
        "done" | "complete" | "completed" | "finished" | "closed" | "shipped" | "resolved"
        | "fixed" => (Status::Done, false),
        "won't do" | "wont do" | "won't fix" | "wont fix" | "wontfix" | "cancelled"
        | "canceled" | "duplicate" | "declined" | "rejected" | "obsolete" => (Status::Done, true),
        _ => return Status::parse(text).map(|s| (s, false)),
    };
    Some(found)
}

impl ValueMaps {
    fn translate_priority(&self, text: &str) -> Option<(Priority, bool)> {
        let key = normalize(text);
        match self.priority.iter().find(|(k, _)| normalize(k) == key) {
            Some((_, p)) => Some((*p, false)),
            None => priority_from_word(text),
        }
    }

    fn translate_status(&self, text: &str) -> Option<(Status, bool)> {
        let key = normalize(text);
        match self.status.iter().find(|(k, _)| normalize(k) == key) {
            Some((_, s)) => Some((*s, false)),
            None => status_from_word(text),
        }
    }
}

// ----- suggestions -----

/// The target a header names, and how sure we are (0 best): when several columns name the
/// same field, the surest (then the first) takes it and the others go to Notes.
pub(super) fn header_target(header: &str) -> Option<(Target, u8)> {
    Some(match normalize(header).as_str() {
        "item" => (Target::Item, 0),
        "title" | "summary" | "task" | "task name" | "issue title" | "action item" => {
            (Target::Item, 1)
        }
        "name" | "subject" | "issue" => (Target::Item, 2),
        "category" => (Target::Category, 0),
        "area" | "section" | "section/column" | "workstream" => (Target::Category, 1),
        "component" | "components" | "component/s" => (Target::Category, 2),
        "labels" | "label" | "tags" | "tag" => (Target::Category, 3),
        "type" | "issue type" | "task type" | "group" | "theme" => (Target::Category, 4),
        "priority" => (Target::Priority, 0),
        "prio" => (Target::Priority, 1),
        "severity" | "importance" | "urgency" => (Target::Priority, 2),
        "owner" => (Target::Owner, 0),
        "assignee" | "assignees" | "assigned to" | "dri" | "responsible" => (Target::Owner, 1),
        "assignee email" | "owner email" | "lead" => (Target::Owner, 2),
        "status" => (Target::Status, 0),
        "state" | "stage" | "workflow state" => (Target::Status, 1),
        "notes" | "note" => (Target::Notes, 0),
        "description" | "details" | "body" => (Target::Notes, 1),
        "comments" | "comment" | "remarks" => (Target::Notes, 2),
        _ => return None,
    })
}

/// A priority word, not a bare number: a column of quantities is not a priority column.
fn looks_like_priority(value: &str) -> bool {
    value.chars().any(char::is_alphabetic) && priority_from_word(value).is_some()
}

fn looks_like_status(value: &str) -> bool {
    status_from_word(value).is_some()
}

/// `name@domain.tld` with nothing else: what Jira's importer and `gh` can treat as an account.
pub(super) fn looks_like_email(value: &str) -> bool {
    let value = value.trim();
    if value.is_empty() || value.contains(char::is_whitespace) {
        return false;
    }
    match value.split_once('@') {
        Some((name, domain)) => {
            !name.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// Whether at least four in five of the values pass `test`.
fn mostly(values: &[&str], test: fn(&str) -> bool) -> bool {
    let hits = values.iter().filter(|v| test(v)).count();
    !values.is_empty() && hits * 5 >= values.len() * 4
}

/// A target for each column: header names and synonyms first (`Task`, `Title`, `Summary`,
/// `Name` → Item; `Area`, `Section`, `Component`, `Labels`, `Type` → Category; `Assignee`,
/// `DRI`, `Responsible` → Owner; `State`, `Stage` → Status; `Severity` → Priority;
/// `Description`, `Details`, `Comments` → Notes; see `header_target`), then the values of the
/// other columns (mostly priority words → Priority, status words → Status, email addresses →
/// Owner). Each field goes to one column at most; a column that names a field already taken,
/// or that we cannot place, goes to Notes when it has text; `#` and empty columns are skipped.
pub fn suggest(headers: &[String], rows: &[Vec<String>]) -> Vec<Target> {
    let by_header: Vec<Option<(Target, u8)>> =
        headers.iter().map(|h| header_target(h.as_str())).collect();
    let mut targets = vec![Target::Skip; headers.len()];
    let mut placed = vec![false; headers.len()];
    for field in Field::ALL {
        let target = Target::from(field);
        let best = by_header
            .iter()
            .enumerate()
            .filter_map(|(i, found)| match found {
                Some((t, rank)) if *t == target => Some((*rank, i)),
                _ => None,
            })
            .min();
        if let Some((_, i)) = best {
            targets[i] = target;
            placed[i] = true;
        }
    }
    for (i, header) in headers.iter().enumerate() {
        if placed[i] {
            continue;
        }
        let filled: Vec<&str> = rows
            .iter()
            .filter_map(|row| row.get(i))
            .map(|cell| unguard_cell(cell).trim())
            .filter(|cell| !cell.is_empty())
            .collect();
        if header.trim() == "#" || filled.is_empty() {
            continue; // stays Skip
        }
        let guess = if by_header[i].is_some() {
            None // it names a field another column has
        } else if mostly(&filled, looks_like_priority) {
            Some(Target::Priority)
        } else if mostly(&filled, looks_like_status) {
            Some(Target::Status)
        } else if mostly(&filled, looks_like_email) {
            Some(Target::Owner)
        } else {
            None
        };
        let target = match guess {
            Some(t) if !targets.contains(&t) => t,
            _ => Target::AddToNotes,
        };
        targets[i] = target;
    }
    targets
}

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
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|&r| strings(r)).collect()
    }

    #[test]
    fn header_synonyms_are_placed() {
        let headers = strings(&["Task", "Area", "Priority", "Assignee", "Status", "Comments"]);
        let rows = table(&[&["a", "b", "High", "Ana", "Done", "c"]]);
        assert_eq!(
            suggest(&headers, &rows),
            [
                Target::Item,
                Target::Category,
                Target::Priority,
                Target::Owner,
                Target::Status,
                Target::Notes
            ]
        );
        let headers = strings(&[
            "SUMMARY",
            "issue_type",
            "State",
            "DRI",
            "Details",
            "Severity",
        ]);
        let rows = table(&[&["a", "Bug", "Done", "Ana", "x", "Major"]]);
        assert_eq!(
            suggest(&headers, &rows),
            [
                Target::Item,
                Target::Category,
                Target::Status,
                Target::Owner,
                Target::Notes,
                Target::Priority
            ]
        );
    }

    #[test]
    fn the_surest_header_wins_and_the_others_go_to_notes() {
        // Labels beats Issue Type for Category; Item beats Title; a repeated Labels goes to Notes.
        let headers = strings(&["Title", "Issue Type", "Labels", "Labels", "Item", "Owner"]);
        let rows = table(&[&["t", "Task", "sync", "offline", "i", ""]]);
        assert_eq!(
            suggest(&headers, &rows),
            [
                Target::AddToNotes,
                Target::AddToNotes,
                Target::Category,
                Target::AddToNotes,
                Target::Item,
                Target::Owner
            ]
        );
    }

    #[test]
    fn values_place_columns_with_unknown_headers() {
        let headers = strings(&[
            "What", "Level", "Where", "Who", "Qty", "Empty", "#", "Other",
        ]);
        let rows = table(&[
            &["a", "High", "Done", "ana@example.com", "1", "", "1", "x"],
            &["b", "p0", "to-do", "ben@example.com", "2", " ", "2", ""],
            &["c", "Low", "In Progress", "", "3", "", "3", ""],
        ]);
        assert_eq!(
            suggest(&headers, &rows),
            [
                Target::AddToNotes,
                Target::Priority,
                Target::Status,
                Target::Owner,
                Target::AddToNotes, // bare numbers are not priorities
                Target::Skip,
                Target::Skip,
                Target::AddToNotes,
            ]
        );
        // A second priority-like column does not take Priority twice.
        let headers = strings(&["Priority", "Impact"]);
        let rows = table(&[&["P1", "High"]]);
        assert_eq!(
            suggest(&headers, &rows),
            [Target::Priority, Target::AddToNotes]
        );
    }

    #[test]
    fn vocabularies_translate_and_say_when_the_word_is_kept() {
        let p = priority_from_word;
        assert_eq!(p("Highest"), Some((Priority::P0, false)));
        assert_eq!(p("urgent"), Some((Priority::P0, false)));
        assert_eq!(p("Blocker"), Some((Priority::P0, false)));
        assert_eq!(p("Critical"), Some((Priority::P0, true)));
        assert_eq!(p("Major"), Some((Priority::P1, false)));
        assert_eq!(p("High"), Some((Priority::P1, false)));
        assert_eq!(p("No priority"), Some((Priority::P2, false)));
        assert_eq!(p("Minor"), Some((Priority::P2, false)));
        assert_eq!(p("Trivial"), Some((Priority::P3, false)));
        assert_eq!(p("Lowest"), Some((Priority::P3, true)));
        assert_eq!(p("P4"), Some((Priority::P3, true)));
        assert_eq!(p("P7"), None);
        let s = status_from_word;
        assert_eq!(s("To Do"), Some((Status::NotStarted, false)));
        assert_eq!(s("Backlog"), Some((Status::NotStarted, false)));
        assert_eq!(s("In Progress"), Some((Status::InProgress, false)));
        assert_eq!(s("In Review"), Some((Status::InProgress, true)));
        assert_eq!(s("Won\u{2019}t Do"), Some((Status::Done, true)));
        assert_eq!(s("won't-do"), Some((Status::Done, true)));
        assert_eq!(s("Cancelled"), Some((Status::Done, true)));
        assert_eq!(s("Completed"), Some((Status::Done, false)));
        assert_eq!(s("on hold"), Some((Status::Blocked, false)));
        assert_eq!(s("Triage"), None);
    }

    #[test]
    fn an_untranslated_value_is_reported_with_its_rows_then_mapped() {
        let csv = "Task,State\nA,Triage\nB,Done\nC,triage\nD,Later\n";
        let preview = preview(csv.as_bytes(), &MappingSpec::default()).unwrap();
        let found: Vec<(&str, Vec<usize>)> = preview
            .untranslated
            .iter()
            .map(|u| (u.value.as_str(), u.rows.clone()))
            .collect();
        assert_eq!(
            found,
            [("Triage", vec![1]), ("triage", vec![3]), ("Later", vec![4])]
        );
        assert_eq!(preview.translated[0].value, "Done");
        assert_eq!(preview.translated[0].to, "Done");

        let problems = import_mapped(
            csv.as_bytes(),
            &MappingSpec::default(),
            "t",
            &mut IdGen::new(1),
        )
        .unwrap_err();
        let located: Vec<_> = problems
            .iter()
            .map(|p| (p.row, p.field.as_deref()))
            .collect();
        assert_eq!(
            located,
            [
                (Some(1), Some("status")),
                (Some(3), Some("status")),
                (Some(4), Some("status"))
            ]
        );
        assert!(problems[0].message.contains("\"Triage\""));

        let spec = MappingSpec::from_json(
            r#"{"values": {"status": {"TRIAGE": "Not started", "later": "blocked"}}}"#,
        )
        .unwrap();
        let rows = import_mapped(csv.as_bytes(), &spec, "t", &mut IdGen::new(1))
            .unwrap()
            .plan
            .rows;
        let statuses: Vec<Status> = rows.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [
                Status::NotStarted,
                Status::Done,
                Status::NotStarted,
                Status::Blocked
            ]
        );
        assert_eq!(rows[0].notes, "", "a word the user mapped is not repeated");
    }

    #[test]
    fn lossy_words_and_unplaced_columns_are_kept_in_notes() {
        let csv = "Title,Status,Priority,Notes,Sprint,Empty\n\
                   A,Won't Do,Lowest,\"first\nsecond\",S1,\n";
        let imported = import_mapped(
            csv.as_bytes(),
            &MappingSpec::default(),
            "t",
            &mut IdGen::new(2),
        )
        .unwrap();
        let row = &imported.plan.rows[0];
        assert_eq!(row.status, Status::Done);
        assert_eq!(row.priority, Priority::P3);
        assert_eq!(
            row.notes,
            "first\nsecond\nStatus: Won't Do\nPriority: Lowest\nSprint: S1"
        );
        assert_eq!(imported.noted_columns, ["Sprint"]);
        assert_eq!(imported.ignored_columns, ["Sprint", "Empty"]);
    }

    #[test]
    fn a_mapping_from_json_or_query_changes_the_suggestion() {
        let csv = "Task,Area,Labels,Comments\nA,Sync,backend,hello\n";
        let json = r#"{"columns": {"labels": "category", "Comments": "skip"}}"#;
        let from_json = MappingSpec::from_json(json).unwrap();
        let from_query =
            MappingSpec::from_query("title=x&column.labels=category&column.Comments=skip").unwrap();
        assert_eq!(from_json, from_query);
        let preview = preview(csv.as_bytes(), &from_json).unwrap();
        let targets: Vec<Target> = preview.columns.iter().map(|c| c.target).collect();
        // Labels takes Category explicitly, so Area (suggested Category) goes to Notes.
        assert_eq!(
            targets,
            [
                Target::Item,
                Target::AddToNotes,
                Target::Category,
                Target::Skip
            ]
        );
        assert_eq!(preview.columns[1].suggested, Target::Category);
        let row = import_mapped(csv.as_bytes(), &from_json, "t", &mut IdGen::new(3))
            .unwrap()
            .plan
            .rows
            .remove(0);
        assert_eq!(row.category, "backend");
        assert_eq!(row.notes, "Area: Sync");

        let query = MappingSpec::from_query(
            "column.Task=ITEM&priority.Sev+5=p3&status.In%20triage=Not%20started",
        )
        .unwrap();
        assert_eq!(query.columns["Task"], Target::Item);
        assert_eq!(query.values.priority["Sev 5"], Priority::P3);
        assert_eq!(query.values.status["In triage"], Status::NotStarted);
        assert!(MappingSpec::from_query("column.Task=title").is_err());
        assert!(MappingSpec::from_query("priority.x=P9").is_err());
        assert!(MappingSpec::from_json(r#"{"columns": {"Task": "title"}}"#).is_err());
        assert!(MappingSpec::from_json(r#"{"colums": {}}"#).is_err());
    }

    #[test]
    fn a_mapping_that_names_a_missing_column_or_a_field_twice_is_refused() {
        let csv = "Task,Notes\nA,b\n";
        let spec = MappingSpec::from_query("column.Taks=item").unwrap();
        let problems = preview(csv.as_bytes(), &spec).unwrap_err();
        assert!(problems[0].message.contains("\"Taks\""), "{problems:?}");
        assert!(problems[0].message.contains("Task, Notes"));
        let spec = MappingSpec::from_query("column.Task=notes&column.Notes=notes").unwrap();
        let problems = import_mapped(csv.as_bytes(), &spec, "t", &mut IdGen::new(1)).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("notes"));
        let problems = apply(
            csv.as_bytes(),
            &[Target::Item],
            &ValueMaps::default(),
            "t",
            &mut IdGen::new(1),
        )
        .unwrap_err();
        assert!(problems[0].message.contains("2."));
    }

    #[test]
    fn repeated_headers_get_keys_of_their_own() {
        let keys = column_keys(&strings(&["Labels", "labels", "", "Labels", "Labels (2)"]));
        assert_eq!(
            keys,
            [
                "Labels",
                "labels (2)",
                "Column 3",
                "Labels (3)",
                "Labels (2) (2)"
            ]
        );
    }

    #[test]
    fn preview_samples_are_short_and_distinct() {
        let long = "x".repeat(70);
        let csv = format!("Item,Notes\na,{long}\na,{long}\nb,\nc,\nd,\n");
        let preview = preview(csv.as_bytes(), &MappingSpec::default()).unwrap();
        assert_eq!(preview.rows, 5);
        assert_eq!(preview.columns[0].samples, ["a", "b", "c"]);
        assert_eq!(preview.columns[0].filled, 5);
        assert_eq!(preview.columns[1].samples.len(), 1);
        assert_eq!(preview.columns[1].samples[0].chars().count(), 61);
        assert_eq!(preview.columns[1].filled, 2);
        let json = serde_json::to_value(&preview).unwrap();
        assert_eq!(json["columns"][1]["target"], "notes");
        assert_eq!(json["columns"][0]["key"], "Item");
    }

    // ----- fixtures: real export shapes, hand-written from each tool's documented format -----

    /// Every non-empty cell of the file is in the plan: its text in the mapped field or in
    /// Notes, a priority or status translated (and in Notes when the word is kept).
    fn assert_nothing_lost(bytes: &[u8], targets: &[Target], values: &ValueMaps, plan: &Plan) {
        let table = read_table(bytes).unwrap();
        assert_eq!(plan.rows.len(), table.rows.len());
        for (row, cells) in plan.rows.iter().zip(&table.rows) {
            for ((cell, target), header) in cells.iter().zip(targets).zip(&table.headers) {
                let text = unguard_cell(cell).replace("\r\n", "\n");
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                match target {
                    Target::Skip => panic!("{text:?} in {header} was skipped"),
                    Target::Priority => {
                        let (priority, keep) = values.translate_priority(text).unwrap();
                        assert_eq!(row.priority, priority, "{text}");
                        assert!(!keep || row.notes.contains(text), "{text}");
                    }
                    Target::Status => {
                        let (status, keep) = values.translate_status(text).unwrap();
                        assert_eq!(row.status, status, "{text}");
                        assert!(!keep || row.notes.contains(text), "{text}");
                    }
                    _ => assert!(
                        [&row.item, &row.category, &row.owner, &row.notes]
                            .iter()
                            .any(|field| field.contains(text)),
                        "{text:?} from {header} is not in {row:?}"
                    ),
                }
            }
        }
    }

    /// Checks the suggestion (columns not named: Notes when they have text, else skipped),
    /// imports with it and `values`, and checks that nothing was lost.
    fn fixture(bytes: &[u8], expected: &[(&str, Target)], values: ValueMaps) -> Plan {
        let spec = MappingSpec {
            columns: BTreeMap::new(),
            values,
        };
        let preview = preview(bytes, &spec).unwrap();
        for (key, _) in expected {
            assert!(
                preview.columns.iter().any(|c| c.key == *key),
                "no column {key}"
            );
        }
        for column in &preview.columns {
            let default = if column.filled > 0 {
                Target::AddToNotes
            } else {
                Target::Skip
            };
            let want = expected
                .iter()
                .find(|(key, _)| *key == column.key)
                .map_or(default, |(_, t)| *t);
            assert_eq!(column.suggested, want, "column {}", column.key);
        }
        assert!(preview.problems.is_empty(), "{:?}", preview.problems);
        assert!(
            preview.untranslated.is_empty(),
            "{:?}",
            preview.untranslated
        );
        let targets: Vec<Target> = preview.columns.iter().map(|c| c.target).collect();
        let plan = import_mapped(bytes, &spec, "Imported", &mut IdGen::new(9))
            .unwrap()
            .plan;
        assert_nothing_lost(bytes, &targets, &spec.values, &plan);
        plan
    }

    const PLAN_COLUMNS: [Target; 6] = [
        Target::Item,
        Target::Category,
        Target::Priority,
        Target::Owner,
        Target::Status,
        Target::Notes,
    ];

    #[test]
    fn google_sheets_with_custom_headers() {
        let bytes = include_bytes!("../../tests/fixtures/import/google-sheets.csv");
        let headers = ["Task", "Area", "Priority", "Assignee", "Status", "Comments"];
        let expected: Vec<(&str, Target)> = headers.into_iter().zip(PLAN_COLUMNS).collect();
        let plan = fixture(bytes, &expected, ValueMaps::default());
        let row = &plan.rows[0];
        assert_eq!(row.item, "Queue offline writes");
        assert_eq!(row.category, "Sync triggers");
        assert_eq!(row.priority, Priority::P1);
        assert_eq!(row.owner, "Ana Lima");
        assert_eq!(row.status, Status::InProgress);
        assert_eq!(
            row.notes,
            "Use an outbox table; see \"Outbox\" doc.\nRetry with backoff."
        );
        assert_eq!(plan.rows[2].item, "Budget, phase 1");
        assert_eq!(plan.rows[2].notes, "=2+2 stays text");
        assert_eq!(plan.rows[3].priority, Priority::P0);
        assert_eq!(plan.rows[3].owner, "Zoë 🚀");
    }

    #[test]
    fn excel_csv_with_bom_crlf_and_custom_headers() {
        let bytes = include_bytes!("../../tests/fixtures/import/excel.csv");
        assert!(bytes.starts_with(b"\xef\xbb\xbf"));
        let headers = [
            "Title",
            "Type",
            "Severity",
            "Responsible",
            "Stage",
            "Details",
        ];
        let mut expected: Vec<(&str, Target)> = headers.into_iter().zip(PLAN_COLUMNS).collect();
        expected.push(("Due date", Target::AddToNotes));
        let plan = fixture(bytes, &expected, ValueMaps::default());
        let row = &plan.rows[0];
        assert_eq!(row.item, "Background fetch budget");
        assert_eq!(row.priority, Priority::P0);
        assert_eq!(row.status, Status::InProgress);
        assert_eq!(
            row.notes,
            "iOS gives about 30 s\nper wake-up\nSeverity: Critical\nStage: In Review\n\
             Due date: 01/03/2026"
        );
        assert_eq!(plan.rows[1].status, Status::Done);
        assert_eq!(plan.rows[1].notes, "Replaced by push\nStage: Won't Do");
        assert_eq!(plan.rows[2].priority, Priority::P1);
        assert_eq!(plan.rows[2].notes, "-42\nDue date: 15/02/2026");
    }

    #[test]
    fn jira_export_excel_csv_all_fields() {
        let bytes = include_bytes!("../../tests/fixtures/import/jira.csv");
        let expected = [
            ("Summary", Target::Item),
            ("Issue Type", Target::AddToNotes),
            ("Status", Target::Status),
            ("Priority", Target::Priority),
            ("Assignee", Target::Owner),
            ("Labels", Target::Category),
            ("Labels (2)", Target::AddToNotes),
            ("Description", Target::Notes),
            ("Watchers (2)", Target::AddToNotes),
        ];
        let plan = fixture(bytes, &expected, ValueMaps::default());
        let row = &plan.rows[0];
        assert_eq!(row.item, "Queue offline writes");
        assert_eq!(row.category, "sync");
        assert_eq!(row.priority, Priority::P0);
        assert_eq!(row.owner, "ana@example.com");
        assert_eq!(row.status, Status::InProgress);
        assert!(row
            .notes
            .starts_with("Use an outbox table.\nRetry with \"exponential\" backoff.\n"));
        assert!(row.notes.contains("\nIssue key: SYNC-1\n"));
        assert!(row.notes.contains("\nLabels: offline\n"));
        assert_eq!(plan.rows[1].status, Status::NotStarted);
        assert_eq!(plan.rows[2].priority, Priority::P3);
        assert!(plan.rows[2].notes.contains("\nPriority: Lowest"));
        assert!(plan.rows[2].notes.contains("\nResolution: Won't Do"));
        assert_eq!(plan.rows[3].status, Status::InProgress);
        assert!(plan.rows[3].notes.contains("\nStatus: In Review"));
    }

    #[test]
    fn linear_csv_export_with_a_triage_status_mapped_once() {
        let bytes = include_bytes!("../../tests/fixtures/import/linear.csv");
        let preview = preview(bytes, &MappingSpec::default()).unwrap();
        assert_eq!(preview.untranslated.len(), 1);
        assert_eq!(preview.untranslated[0].value, "Triage");
        assert_eq!(preview.untranslated[0].column, "Status");
        assert_eq!(preview.untranslated[0].rows, [2]);
        let mut values = ValueMaps::default();
        values
            .status
            .insert("Triage".to_owned(), Status::NotStarted);
        let expected = [
            ("Title", Target::Item),
            ("Labels", Target::Category),
            ("Priority", Target::Priority),
            ("Assignee", Target::Owner),
            ("Status", Target::Status),
            ("Description", Target::Notes),
            ("Creator", Target::AddToNotes),
        ];
        let plan = fixture(bytes, &expected, values);
        assert_eq!(plan.rows[0].priority, Priority::P0);
        assert_eq!(plan.rows[0].category, "Feature, Sync");
        assert_eq!(plan.rows[1].status, Status::NotStarted);
        assert_eq!(plan.rows[1].owner, "");
        assert_eq!(plan.rows[2].status, Status::Done);
        assert_eq!(plan.rows[2].priority, Priority::P2);
        assert!(plan.rows[2].notes.contains("\nStatus: Canceled"));
        assert!(plan.rows[0].notes.starts_with("Outbox table.\n\n- retry"));
    }

    #[test]
    fn asana_csv_export() {
        let bytes = include_bytes!("../../tests/fixtures/import/asana.csv");
        let expected = [
            ("Name", Target::Item),
            ("Section/Column", Target::Category),
            ("Assignee", Target::Owner),
            ("Assignee Email", Target::AddToNotes),
            ("Tags", Target::AddToNotes),
            ("Notes", Target::Notes),
            ("Start Date", Target::Skip),
        ];
        let plan = fixture(bytes, &expected, ValueMaps::default());
        assert_eq!(plan.rows[0].item, "Queue offline writes");
        assert_eq!(plan.rows[0].category, "Doing");
        assert!(plan.rows[0].notes.contains("\nTags: sync,offline"));
        assert!(plan.rows[1].notes.contains("Completed At: 2024-05-04"));
        assert!(plan.rows[2]
            .notes
            .starts_with("Covers 'single' and \"double\" quotes"));
    }

    #[test]
    fn github_projects_view_export_is_tab_separated() {
        let bytes = include_bytes!("../../tests/fixtures/import/github-projects.tsv");
        let expected = [
            ("Title", Target::Item),
            ("Assignees", Target::Owner),
            ("Status", Target::Status),
            ("Labels", Target::Category),
            ("Priority", Target::Priority),
            ("URL", Target::AddToNotes),
        ];
        let plan = fixture(bytes, &expected, ValueMaps::default());
        assert_eq!(plan.rows[0].owner, "octocat, hubot");
        assert_eq!(plan.rows[0].category, "enhancement, sync");
        assert_eq!(plan.rows[1].item, "Draft: conflict rules");
        assert_eq!(plan.rows[1].priority, Priority::P1);
        assert_eq!(plan.rows[2].status, Status::Done);
    }

    #[test]
    fn notion_database_csv() {
        let bytes = include_bytes!("../../tests/fixtures/import/notion.csv");
        let expected = [
            ("Task name", Target::Item),
            ("Status", Target::Status),
            ("Assignee", Target::Owner),
            ("Priority", Target::Priority),
            ("Task type", Target::Category),
            ("Description", Target::Notes),
            ("Due", Target::AddToNotes),
            ("Effort level", Target::AddToNotes),
        ];
        let plan = fixture(bytes, &expected, ValueMaps::default());
        assert_eq!(plan.rows[0].category, "Feature request, Polish");
        assert_eq!(plan.rows[0].status, Status::InProgress);
        assert!(plan.rows[0]
            .notes
            .ends_with("\nDue: May 20, 2024\nEffort level: Medium"));
        assert_eq!(plan.rows[2].notes.lines().next(), Some("Cases:"));
    }
}
