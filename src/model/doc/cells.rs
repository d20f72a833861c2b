//! Formula-injection guards for spreadsheet cells (exports and Copy for Sheets) (OWASP "CSV Injection", ASVS 1.2.10).
//!
//! A cell that a spreadsheet would run as a formula gets a leading `'`. The rule is chosen so
//! that import can remove exactly what export added, making export → import lossless:
//! a cell is *guarded* when it starts with a trigger (`=` `+` `-` `@` tab CR LF) and is not a
//! plain number, or when it starts with `'` followed by a guarded cell.

use std::borrow::Cow;

fn starts_with_trigger(s: &str) -> bool {
    matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n')
    )
}

/// `-42`, `+1.5`, `3`, `-.5`: a number spreadsheets read as a value, never a formula.
fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    match frac {
        None => !int.is_empty() && all_digits(int),
        Some(f) => (!int.is_empty() || !f.is_empty()) && all_digits(int) && all_digits(f),
    }
}

fn needs_guard(s: &str) -> bool {
    (starts_with_trigger(s) && !is_plain_number(s)) || s.strip_prefix('\'').is_some_and(needs_guard)
}

/// The cell as a spreadsheet export writes it.
pub fn guard_cell(s: &str) -> Cow<'_, str> {
    if needs_guard(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Removes the `'` that [`guard_cell`] added (and only that).
pub fn unguard_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_guarded() {
        for cell in [
            "=1+1",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A2)",
            "\tindent",
            "\nnewline first",
            "=HYPERLINK(\"http://x\")",
        ] {
            assert_eq!(guard_cell(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn plain_numbers_and_text_are_left_alone() {
        for cell in [
            "-42", "+1.5", "3", "-.5", "0.25", "", "plain", "a=b", "'quoted",
        ] {
            assert_eq!(guard_cell(cell), cell, "{cell:?}");
        }
        assert_eq!(guard_cell("-1,000"), "'-1,000");
        assert_eq!(guard_cell("-"), "'-");
        assert_eq!(guard_cell("+."), "'+.");
    }

    #[test]
    fn an_apostrophe_before_a_formula_is_kept_through_a_round_trip() {
        assert_eq!(guard_cell("'=x"), "''=x");
        for cell in ["'=x", "''=x", "'-42", "'", "=x", "-42", "'plain", "''"] {
            assert_eq!(unguard_cell(&guard_cell(cell)), cell, "{cell:?}");
        }
    }

    #[test]
    fn import_strips_only_what_export_adds() {
        assert_eq!(unguard_cell("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unguard_cell("'-42"), "'-42");
        assert_eq!(unguard_cell("'hello"), "'hello");
    }
}
