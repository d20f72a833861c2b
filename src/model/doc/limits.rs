//! Size limits and content rules every plan obeys, wherever it comes from.

use crate::model::doc::plan::{Field, Plan, RowId};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

pub const MAX_ROWS: usize = 2_000;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_SHORT_CHARS: usize = 500;
pub const MAX_NOTES_CHARS: usize = 10_000;
pub const MAX_ROW_ID_CHARS: usize = 64;
/// Request bodies (exports, imports, shares) are refused above this size.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The longest text a field may hold, in characters.
pub fn max_chars(field: Field) -> usize {
    match field {
        Field::Notes => MAX_NOTES_CHARS,
        _ => MAX_SHORT_CHARS,
    }
}

/// Whether a problem is about size (HTTP 413) or content (HTTP 422).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    TooLarge,
    #[default]
    Invalid,
}

/// One thing wrong with a plan, located as precisely as we can.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(skip)]
    pub kind: ProblemKind,
    /// 1-based row number, as the `#` column shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The field (`title`, `item`, …) or CSV column header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn invalid(row: Option<usize>, field: Option<&str>, message: impl Into<String>) -> Self {
        Problem {
            kind: ProblemKind::Invalid,
            row,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Problem {
            kind: ProblemKind::TooLarge,
            row: None,
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, &self.field) {
            (Some(r), Some(c)) => write!(f, "Row {r}, {c}: {}", self.message),
            (Some(r), None) => write!(f, "Row {r}: {}", self.message),
            (None, Some(c)) => write!(f, "{c}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// At most this many problems are reported for one document.
pub const MAX_PROBLEMS: usize = 50;

/// Checks `text` against the length and character rules; `None` when it is fine.
pub fn check_text(text: &str, max: usize) -> Option<String> {
    // Byte scan first: control characters are C0 (one byte), DEL, or C1 (0xC2 0x80–0x9F).
    let bytes = text.as_bytes();
    let suspicious = bytes
        .iter()
        .any(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f || b == 0xc2);
    if suspicious {
        if let Some(c) = text.chars().find(|c| is_forbidden_control(*c)) {
            return Some(format!(
                "contains the control character U+{:04X}; only line breaks and tabs are allowed.",
                c as u32
            ));
        }
    }
    // A text of at most `max` bytes has at most `max` characters: count only longer ones.
    if bytes.len() > max {
        let len = text.chars().count();
        if len > max {
            return Some(format!(
                "is {len} characters long; the limit is {max}. Shorten it and try again."
            ));
        }
    }
    None
}

fn is_forbidden_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Makes typed or pasted text fit the rules: `\r\n` and `\r` become `\n`, other control
/// characters are dropped, and the text is cut at `max` characters.
pub fn clean_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut chars = text.chars().peekable();
    let mut n = 0;
    while let Some(c) = chars.next() {
        if n == max {
            break;
        }
        let c = match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                '\n'
            }
            c if is_forbidden_control(c) => continue,
            c => c,
        };
        out.push(c);
        n += 1;
    }
    out
}

/// Whether `id` is a well-formed row id: 1–64 characters of `A-Z a-z 0-9 - _`.
pub fn is_valid_row_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ROW_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Plan {
    /// Every rule a stored, shared or imported plan must meet. Reports at most
    /// [`MAX_PROBLEMS`] problems, in document order.
    pub fn validate(&self) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        if self.rows.len() > MAX_ROWS {
            problems.push(Problem::too_large(format!(
                "The plan has {} rows; the limit is {MAX_ROWS}. Split it into smaller plans.",
                self.rows.len()
            )));
            return Err(problems);
        }
        if let Some(msg) = check_text(&self.title, MAX_TITLE_CHARS) {
            problems.push(Problem::invalid(
                None,
                Some("title"),
                format!("The title {msg}"),
            ));
        }
        let mut seen: HashSet<&RowId> = HashSet::with_capacity(self.rows.len());
        for (i, row) in self.rows.iter().enumerate() {
            let n = Some(i + 1);
            if !is_valid_row_id(row.id.as_str()) {
                problems.push(Problem::invalid(
                    n,
                    Some("id"),
                    "The row id must be 1–64 letters, digits, '-' or '_'.",
                ));
            } else if !seen.insert(&row.id) {
                problems.push(Problem::invalid(
                    n,
                    Some("id"),
                    format!("The row id \"{}\" is used twice.", row.id),
                ));
            }
            for field in Field::ALL.into_iter().filter(|f| f.is_text()) {
                if let Some(msg) = check_text(row.text(field), max_chars(field)) {
                    problems.push(Problem::invalid(
                        n,
                        Some(field.key()),
                        format!("The {} {msg}", field.key()),
                    ));
                }
            }
            if problems.len() >= MAX_PROBLEMS {
                break;
            }
        }
        problems.truncate(MAX_PROBLEMS);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::doc::plan::Row;

    fn plan_with(rows: Vec<Row>) -> Plan {
        Plan::new("T", rows)
    }

    #[test]
    fn clean_text_normalises_line_ends_and_drops_controls() {
        assert_eq!(clean_text("a\r\nb\rc\u{7}d\te", 100), "a\nb\ncd\te");
        assert_eq!(clean_text("héllo", 3), "hél");
        assert_eq!(clean_text("", 3), "");
    }

    #[test]
    fn check_text_counts_characters_not_bytes() {
        let emoji = "😀".repeat(MAX_SHORT_CHARS);
        assert_eq!(check_text(&emoji, MAX_SHORT_CHARS), None);
        let longer = format!("{emoji}x");
        assert!(check_text(&longer, MAX_SHORT_CHARS)
            .unwrap()
            .contains("limit is 500"));
        assert!(check_text("a\u{0}b", 10).unwrap().contains("U+0000"));
        assert!(
            check_text("a\u{85}b", 10).unwrap().contains("U+0085"),
            "C1 controls"
        );
        assert_eq!(
            check_text("\u{a0}é", 10),
            None,
            "0xC2 that is not a control"
        );
        assert_eq!(check_text("line\nnext\ttab", 20), None);
    }

    #[test]
    fn validate_accepts_the_limits_and_rejects_one_past() {
        let mut row = Row::blank(RowId::from("r1"));
        row.item = "i".repeat(MAX_SHORT_CHARS);
        row.notes = "n".repeat(MAX_NOTES_CHARS);
        let mut plan = plan_with(vec![row]);
        plan.title = "t".repeat(MAX_TITLE_CHARS);
        assert_eq!(plan.validate(), Ok(()));

        plan.rows[0].notes.push('n');
        let problems = plan.validate().unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].row, Some(1));
        assert_eq!(problems[0].field.as_deref(), Some("notes"));
        assert_eq!(problems[0].kind, ProblemKind::Invalid);

        plan.rows[0].notes.pop();
        plan.title.push('t');
        assert_eq!(
            plan.validate().unwrap_err()[0].field.as_deref(),
            Some("title")
        );
    }

    #[test]
    fn validate_rejects_too_many_rows_as_too_large() {
        let rows = (0..=MAX_ROWS)
            .map(|i| Row::blank(RowId(format!("r{i}"))))
            .collect();
        let problems = plan_with(rows).validate().unwrap_err();
        assert_eq!(problems[0].kind, ProblemKind::TooLarge);
        let rows = (0..MAX_ROWS)
            .map(|i| Row::blank(RowId(format!("r{i}"))))
            .collect();
        assert_eq!(plan_with(rows).validate(), Ok(()));
    }

    #[test]
    fn validate_finds_duplicate_and_malformed_ids() {
        let plan = plan_with(vec![
            Row::blank(RowId::from("a")),
            Row::blank(RowId::from("a")),
            Row::blank(RowId::from("bad id")),
        ]);
        let problems = plan.validate().unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].row, Some(2));
        assert!(problems[0].message.contains("used twice"));
        assert_eq!(problems[1].row, Some(3));
    }

    #[test]
    fn validate_reports_at_most_fifty_problems() {
        let rows = (0..200)
            .map(|i| {
                let mut r = Row::blank(RowId(format!("r{i}")));
                r.owner = "\u{1}".into();
                r
            })
            .collect();
        assert_eq!(plan_with(rows).validate().unwrap_err().len(), MAX_PROBLEMS);
    }
}
