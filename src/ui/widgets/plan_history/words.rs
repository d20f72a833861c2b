//! The plan's history in words: changes in sessions (one person, edits less than ten
//! minutes apart) with the values they replaced, and a status update in Markdown.

use crate::model::{Field, Plan, Priority, RowId, Status};
use crate::shared::api::HistoryEntry;
use crate::ui::widgets::history_view::writers;

/// Edits by one person at most this far apart are one session.
const SESSION_GAP_MS: i64 = 10 * 60 * 1000;

/// A run of changes by one person.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub who: String,
    pub replica: u32,
    /// Newest first, as the history gives them.
    pub entries: Vec<(HistoryEntry, Option<String>)>,
}

/// The value a cell had before `entries[i]` wrote it, when the loaded history says.
fn before(entries: &[HistoryEntry], i: usize) -> Option<String> {
    let e = &entries[i];
    entries[i + 1..]
        .iter()
        .find(|o| o.row == e.row && o.field == e.field)
        .map(|o| o.value.clone())
}

/// Whether `e` moved a row on its own: not the place of a row added (or brought back) by
/// the same batch.
fn is_move(entries: &[HistoryEntry], e: &HistoryEntry) -> bool {
    e.field == "position"
        && !entries
            .iter()
            .any(|o| o.seq == e.seq && o.row == e.row && o.field == "alive")
}

/// The loaded history (newest first) in sessions. A batch's moves are one change (a move
/// may re-space other rows too); the places of rows added are not changes of their own. The
/// plan as it was when editing together was turned on (its first batch, known when the
/// history is `complete`) is a session of its own, so it can be previewed apart from its
/// owner's first edits.
pub fn sessions(entries: &[HistoryEntry], complete: bool) -> Vec<Session> {
    let who = writers(entries);
    let mut out: Vec<Session> = Vec::new();
    let mut last_at = i64::MAX;
    let mut last_baseline = false;
    let mut moved_in: Option<u64> = None;
    for (i, e) in entries.iter().enumerate() {
        let baseline = is_baseline(entries, complete, e);
        if e.field == "position" {
            if baseline || moved_in == Some(e.seq) || !is_move(entries, e) {
                continue;
            }
            moved_in = Some(e.seq);
        }
        let same = out.last().is_some_and(|s| {
            s.who == who[i] && last_at - e.at <= SESSION_GAP_MS && baseline == last_baseline
        });
        last_baseline = baseline;
        if !same {
            out.push(Session {
                who: who[i].clone(),
                replica: e.replica,
                entries: Vec::new(),
            });
        }
        last_at = e.at;
        if let Some(s) = out.last_mut() {
            s.entries.push((e.clone(), before(entries, i)));
        }
    }
    out
}

/// A row's name: its Item now, else the last Item the history shows for it.
fn row_name(plan: &Plan, entries: &[HistoryEntry], row: &str) -> String {
    let now = plan
        .rows
        .iter()
        .find(|r| r.id.as_str() == row)
        .map(|r| r.item.clone());
    let name = now.or_else(|| {
        entries
            .iter()
            .find(|e| e.row == row && e.field == "item")
            .map(|e| e.value.clone())
    });
    match name.filter(|n| !n.trim().is_empty()) {
        Some(n) => format!("“{n}”"),
        None => "an untitled row".to_owned(),
    }
}

/// One change in words.
pub fn describe(
    plan: &Plan,
    entries: &[HistoryEntry],
    e: &HistoryEntry,
    from: Option<&str>,
) -> String {
    let shown = |v: &str| {
        if v.is_empty() {
            "(empty)".to_owned()
        } else {
            format!("“{v}”")
        }
    };
    let change = match from {
        Some(from) => format!("{} → {}", shown(from), shown(&e.value)),
        None => shown(&e.value),
    };
    match e.field.as_str() {
        "title" => format!("Title: {change}"),
        "alive" if e.value == "1" => format!("Added row {}", row_name(plan, entries, &e.row)),
        "alive" => format!("Deleted row {}", row_name(plan, entries, &e.row)),
        "position" => {
            let moved = entries
                .iter()
                .filter(|o| o.seq == e.seq && is_move(entries, o))
                .count();
            match moved {
                0 | 1 => format!("Moved row {}", row_name(plan, entries, &e.row)),
                n => format!(
                    "Moved {n} rows ({} and others)",
                    row_name(plan, entries, &e.row)
                ),
            }
        }
        field => {
            let header = Field::ALL
                .into_iter()
                .find(|f| f.key() == field)
                .map_or(field, |f| f.header());
            format!("{} · {header}: {change}", row_name(plan, entries, &e.row))
        }
    }
}

/// The value of a row's `field` just before `since`, if the loaded history says.
fn value_before(entries: &[HistoryEntry], row: &str, field: &str, since: i64) -> Option<String> {
    entries
        .iter()
        .find(|e| e.row == row && e.field == field && e.at < since)
        .map(|e| e.value.clone())
}

/// The entries of the plan's first batch when the whole history is loaded (`complete`): the
/// plan as it was when editing together was turned on, written again by its owner's page.
pub fn is_baseline(entries: &[HistoryEntry], complete: bool, e: &HistoryEntry) -> bool {
    complete && entries.last().is_some_and(|oldest| oldest.seq == e.seq)
}

/// A status update in Markdown as plain text for chat: no heading marks, no bold, bullets
/// as "•".
pub fn plain_text(markdown: &str) -> String {
    markdown
        .lines()
        .map(|line| {
            let line = line.strip_prefix("## ").unwrap_or(line);
            let line = line
                .strip_prefix('_')
                .and_then(|l| l.strip_suffix('_'))
                .unwrap_or(line);
            let line = match line.strip_prefix("- ") {
                Some(rest) => format!("• {rest}"),
                None => line.to_owned(),
            };
            line.replace("**", "")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What changed since `since` as a status update in Markdown: items moved to each status,
/// priority changes, rows added and removed, and the P0 items done then and now. `entries`:
/// the history loaded (newest first; `complete` when it reaches the plan's first batch,
/// which is what the plan was, not a change), `plan`: the plan now.
pub fn status_update(
    plan: &Plan,
    entries: &[HistoryEntry],
    complete: bool,
    since: i64,
    since_words: &str,
) -> String {
    let entries: Vec<HistoryEntry> = entries
        .iter()
        .map(|e| HistoryEntry {
            at: if is_baseline(entries, complete, e) {
                i64::MIN
            } else {
                e.at
            },
            ..e.clone()
        })
        .collect();
    let entries = entries.as_slice();
    let window: Vec<&HistoryEntry> = entries.iter().filter(|e| e.at >= since).collect();
    let title = if plan.title.trim().is_empty() {
        "the plan".to_owned()
    } else {
        format!("“{}”", plan.title)
    };
    let mut lines = vec![
        format!("## What changed in {title} since {since_words}"),
        String::new(),
    ];
    if window.is_empty() {
        lines.push("Nothing changed.".to_owned());
        return lines.join("\n");
    }
    let name = |id: &RowId| row_name(plan, entries, id.as_str());
    let touched = |row: &RowId, field: &str| {
        window
            .iter()
            .any(|e| e.row == row.as_str() && e.field == field)
    };
    // Created in the window: its first presence is there, nothing older is known of it.
    let created = |row: &str| {
        window
            .iter()
            .any(|e| e.row == row && e.field == "alive" && e.value == "1")
            && !entries.iter().any(|e| e.row == row && e.at < since)
    };
    // Done first: what a status update leads with.
    for status in Status::ALL.into_iter().rev() {
        let moved: Vec<String> = plan
            .rows
            .iter()
            .filter(|r| r.status == status && touched(&r.id, "status") && !created(r.id.as_str()))
            .filter(|r| {
                value_before(entries, r.id.as_str(), "status", since).as_deref()
                    != Some(status.as_str())
            })
            .map(|r| name(&r.id))
            .collect();
        if !moved.is_empty() {
            let items = if moved.len() == 1 {
                "1 item".to_owned()
            } else {
                format!("{} items", moved.len())
            };
            lines.push(format!(
                "- {items} moved to **{}**: {}",
                status.as_str(),
                moved.join("; ")
            ));
        }
    }
    let priorities: Vec<String> = plan
        .rows
        .iter()
        .filter(|r| touched(&r.id, "priority") && !created(r.id.as_str()))
        .filter_map(|r| {
            let was = value_before(entries, r.id.as_str(), "priority", since)?;
            (was != r.priority.as_str())
                .then(|| format!("{} {was} → {}", name(&r.id), r.priority.as_str()))
        })
        .collect();
    if !priorities.is_empty() {
        lines.push(format!("- Priority: {}", priorities.join("; ")));
    }
    let live = |row: &str| plan.rows.iter().any(|r| r.id.as_str() == row);
    let mut added: Vec<String> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    for e in window.iter().filter(|e| e.field == "alive") {
        let label = row_name(plan, entries, &e.row);
        if e.value == "1" && live(&e.row) && created(&e.row) && !added.contains(&label) {
            added.push(label);
        } else if e.value == "0" && !live(&e.row) && !removed.contains(&label) {
            removed.push(label);
        }
    }
    if !added.is_empty() {
        lines.push(format!("- Added: {}", added.join("; ")));
    }
    if !removed.is_empty() {
        lines.push(format!("- Removed: {}", removed.join("; ")));
    }
    // P0 items done then (rows there then, with their values then) and now.
    let p0 = Priority::P0.as_str();
    let done = Status::Done.as_str();
    let now_p0 = plan
        .rows
        .iter()
        .filter(|r| r.priority == Priority::P0)
        .count();
    let now_done = plan
        .rows
        .iter()
        .filter(|r| r.priority == Priority::P0 && r.status == Status::Done)
        .count();
    let then = |r: &crate::model::Row, field: &str, now: &str| {
        if touched(&r.id, field) {
            value_before(entries, r.id.as_str(), field, since).unwrap_or_else(|| now.to_owned())
        } else {
            now.to_owned()
        }
    };
    let old: Vec<(String, String)> = plan
        .rows
        .iter()
        .filter(|r| !created(r.id.as_str()))
        .map(|r| {
            (
                then(r, "priority", r.priority.as_str()),
                then(r, "status", r.status.as_str()),
            )
        })
        .collect();
    let then_p0 = old.iter().filter(|(p, _)| p == p0).count();
    let then_done = old.iter().filter(|(p, s)| p == p0 && s == done).count();
    lines.push(format!(
        "- P0 items done: {then_done} of {then_p0} → {now_done} of {now_p0}"
    ));
    let people = {
        let mut names: Vec<String> = Vec::new();
        let who = writers(entries);
        for (e, w) in entries.iter().zip(who) {
            if e.at >= since && e.field != "position" && !names.contains(&w) {
                names.push(w);
            }
        }
        names
    };
    let count = window.iter().filter(|e| e.field != "position").count();
    lines.push(String::new());
    lines.push(format!(
        "_{count} changes by {} (from the plan's history in syncplan)._",
        people.join(", ")
    ));
    // The history read stops before the period starts: older changes in it are not counted.
    if !complete && entries.last().is_some_and(|oldest| oldest.at >= since) {
        lines.push(format!(
            "_Only the newest {} changes were read; earlier ones in this period are not counted._",
            entries.len()
        ));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Row;

    #[test]
    fn a_status_update_reads_as_plain_text_for_chat() {
        let markdown = "## What changed in “P” since today 09:00\n\n- 2 items moved to **Done**: “A”; “B”\n- Removed: “C”\n\n_3 changes by Ana (from the plan's history in syncplan)._";
        assert_eq!(
            plain_text(markdown),
            "What changed in “P” since today 09:00\n\n• 2 items moved to Done: “A”; “B”\n• Removed: “C”\n\n3 changes by Ana (from the plan's history in syncplan)."
        );
    }

    fn e(
        seq: u64,
        at_min: i64,
        row: &str,
        field: &str,
        value: &str,
        replica: u32,
        name: &str,
    ) -> HistoryEntry {
        crate::ui::widgets::history_view::entry(
            (seq, at_min * 60_000),
            (row, field),
            value,
            (replica, name),
        )
    }

    fn plan() -> Plan {
        let row = |id: &str, item: &str, p: Priority, s: Status| Row {
            item: item.into(),
            priority: p,
            status: s,
            ..Row::blank(RowId::from(id))
        };
        Plan::new(
            "Sync plan",
            vec![
                row("a", "Map triggers", Priority::P0, Status::Done),
                row("b", "Retry policy", Priority::P0, Status::Blocked),
                row("n", "New idea", Priority::P2, Status::NotStarted),
            ],
        )
    }

    /// Newest first: a week ago the plan had a, b and c; since then a went Done, b went
    /// Blocked and P1 → P0, c was deleted and n added.
    fn history() -> Vec<HistoryEntry> {
        vec![
            e(9, 10_080 + 30, "n", "item", "New idea", 2, "Bo"),
            e(9, 10_080 + 30, "n", "alive", "1", 2, "Bo"),
            e(8, 10_080 + 25, "c", "alive", "0", 2, "Bo"),
            e(7, 10_080 + 2, "b", "priority", "P0", 1, "Ana"),
            e(6, 10_080 + 1, "b", "status", "Blocked", 1, "Ana"),
            e(5, 10_080, "a", "status", "Done", 1, "Ana"),
            e(3, 10, "c", "item", "Old row", 1, "Ana"),
            e(2, 5, "b", "priority", "P1", 1, "Ana"),
            e(1, 1, "a", "status", "In progress", 1, "Ana"),
            e(1, 1, "b", "status", "Not started", 1, "Ana"),
        ]
    }

    #[test]
    fn changes_are_grouped_by_person_and_gap_with_their_before_values() {
        let all = history();
        let s = sessions(&all, false);
        let heads: Vec<(&str, usize)> = s
            .iter()
            .map(|s| (s.who.as_str(), s.entries.len()))
            .collect();
        assert_eq!(heads, [("Bo", 3), ("Ana", 3), ("Ana", 4)]);
        // With the whole history read, the first batch (the plan as shared) stands apart
        // from its owner's first edits.
        let s = sessions(&all, true);
        let heads: Vec<(&str, usize)> = s
            .iter()
            .map(|s| (s.who.as_str(), s.entries.len()))
            .collect();
        assert_eq!(heads, [("Bo", 3), ("Ana", 3), ("Ana", 2), ("Ana", 2)]);
        let (blocked, from) = &s[1].entries[1];
        assert_eq!(
            describe(&plan(), &all, blocked, from.as_deref()),
            "“Retry policy” · Status: “Not started” → “Blocked”"
        );
        let (deleted, _) = &s[0].entries[2];
        assert_eq!(
            describe(&plan(), &all, deleted, None),
            "Deleted row “Old row”"
        );
    }

    #[test]
    fn a_batch_of_moves_is_one_change_and_an_added_rows_place_is_none() {
        let mut all = vec![
            e(12, 10_120, "a", "position", "", 2, "Bo"),
            e(12, 10_120, "b", "position", "", 2, "Bo"),
            e(11, 10_115, "c", "position", "", 2, "Bo"),
        ];
        all.extend(history());
        all.insert(3, e(9, 10_080 + 30, "n", "position", "", 2, "Bo"));
        let s = sessions(&all, false);
        let bo: Vec<String> = s[0]
            .entries
            .iter()
            .map(|(e, from)| describe(&plan(), &all, e, from.as_deref()))
            .collect();
        assert_eq!(
            bo,
            [
                "Moved 2 rows (“Map triggers” and others)",
                "Moved row “Old row”",
                "“New idea” · Item: “New idea”",
                "Added row “New idea”",
                "Deleted row “Old row”",
            ]
        );
    }

    #[test]
    fn a_status_update_says_what_moved_where_and_p0_progress() {
        let text = status_update(&plan(), &history(), false, 10_080 * 60_000, "last Monday");
        assert_eq!(
            text,
            "## What changed in “Sync plan” since last Monday\n\n\
             - 1 item moved to **Done**: “Map triggers”\n\
             - 1 item moved to **Blocked**: “Retry policy”\n\
             - Priority: “Retry policy” P1 → P0\n\
             - Added: “New idea”\n\
             - Removed: “Old row”\n\
             - P0 items done: 0 of 1 → 1 of 2\n\n\
             _6 changes by Bo, Ana (from the plan's history in syncplan)._"
        );
        let quiet = status_update(&plan(), &history(), false, 20_000 * 60_000, "yesterday");
        assert!(quiet.ends_with("Nothing changed."), "{quiet}");
        // Editing together turned on a minute into the week: the plan as it was then (the
        // first batch) is no news.
        let mut shared = history();
        for e in shared.iter_mut().filter(|e| e.seq == 1) {
            e.at = 10_080 * 60_000 + 60_000;
        }
        let text = status_update(&plan(), &shared, true, 10_080 * 60_000, "last Monday");
        assert!(text.contains("- P0 items done: 0 of 1 → 1 of 2"), "{text}");
        assert!(!text.contains("Map triggers”;"), "{text}");
    }

    #[test]
    fn a_status_update_says_when_the_history_read_does_not_reach_back_to_its_start() {
        let note =
            "_Only the newest 10 changes were read; earlier ones in this period are not counted._";
        // The period starts before the oldest entry read, and there is more history.
        let short = status_update(&plan(), &history(), false, 0, "the start");
        assert!(short.ends_with(note), "{short}");
        // All of the history was read, or the period starts after the oldest entry read.
        let all = status_update(&plan(), &history(), true, 0, "the start");
        assert!(!all.contains("Only the newest"), "{all}");
        let week = status_update(&plan(), &history(), false, 10_080 * 60_000, "last Monday");
        assert!(!week.contains("Only the newest"), "{week}");
    }
}
