//! What a column holds, guessed: header names and synonyms, then its values (priority and
//! status words from Jira, Linear, GitHub Projects, Notion and Asana; email addresses).

use super::*;

/// Lowercase, `-` and `_` read as spaces, runs of spaces as one, curly apostrophes straight:
/// `Won’t-Do` and `won't do` are the same word.
pub(super) fn normalize(text: &str) -> String {
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
    pub(super) fn translate_priority(&self, text: &str) -> Option<(Priority, bool)> {
        let key = normalize(text);
        match self.priority.iter().find(|(k, _)| normalize(k) == key) {
            Some((_, p)) => Some((*p, false)),
            None => priority_from_word(text),
        }
    }

    pub(super) fn translate_status(&self, text: &str) -> Option<(Status, bool)> {
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
pub(crate) fn header_target(header: &str) -> Option<(Target, u8)> {
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
pub(super) fn looks_like_priority(value: &str) -> bool {
    value.chars().any(char::is_alphabetic) && priority_from_word(value).is_some()
}

pub(super) fn looks_like_status(value: &str) -> bool {
    status_from_word(value).is_some()
}

/// `name@domain.tld` with nothing else: what Jira's importer and `gh` can treat as an account.
pub(crate) fn looks_like_email(value: &str) -> bool {
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
pub(super) fn mostly(values: &[&str], test: fn(&str) -> bool) -> bool {
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
