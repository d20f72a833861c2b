//! "Copy for Sheets": the plan as tab-separated text and as an HTML table, the two forms
//! Google Sheets and Excel read from a paste. The cell writers here (TSV quoting, HTML
//! escaping) are the only ones: a copied range (`paste::block_to_tsv`) uses them too.

use crate::model::doc::cells::guard_cell;
use crate::model::doc::plan::{Field, Plan};
use std::fmt::Write as _;

/// Tab-separated rows with a header. A cell holding a tab, line break or quote is quoted
/// the way spreadsheets expect (`"…"`, inner quotes doubled), so a multi-line note lands in
/// one cell.
pub fn to_tsv(plan: &Plan) -> String {
    let mut out = String::with_capacity(64 + plan.rows.len() * 200);
    out.push('#');
    for field in Field::ALL {
        out.push('\t');
        out.push_str(field.header());
    }
    out.push('\n');
    for (i, row) in plan.rows.iter().enumerate() {
        let _ = write!(out, "{}", i + 1);
        for field in Field::ALL {
            out.push('\t');
            push_tsv_cell(&mut out, row.text(field));
        }
        out.push('\n');
    }
    out
}

/// One cell as spreadsheets write TSV: formula-guarded, line breaks as `\n`, and quoted
/// (`"…"`, inner quotes doubled) when it holds a tab, a line break or a quote, so it stays
/// one cell.
pub(crate) fn push_tsv_cell(out: &mut String, text: &str) {
    let text = one_line_ending(text);
    let cell = guard_cell(&text);
    if cell.contains(['\t', '\n', '"']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&cell);
    }
}

/// One cell's text for an HTML table: formula-guarded, escaped, line breaks as `<br>`.
pub(crate) fn push_html_cell(out: &mut String, text: &str) {
    let text = one_line_ending(text);
    push_escaped(out, &guard_cell(&text));
}

/// Line breaks as one `\n` each, whatever wrote them.
fn one_line_ending(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `text` as HTML: escaped, line breaks kept.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
}

/// An HTML table of the plan; all text is escaped.
pub fn to_html_table(plan: &Plan) -> String {
    let mut out = String::with_capacity(256 + plan.rows.len() * 260);
    out.push_str("<meta charset=\"utf-8\"><table><thead><tr><th>#</th>");
    for field in Field::ALL {
        let _ = write!(out, "<th>{}</th>", field.header());
    }
    out.push_str("</tr></thead><tbody>");
    for (i, row) in plan.rows.iter().enumerate() {
        let _ = write!(out, "<tr><td>{}</td>", i + 1);
        for field in Field::ALL {
            out.push_str("<td>");
            push_html_cell(&mut out, row.text(field));
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Priority, Row, RowId, Status};

    fn plan() -> Plan {
        Plan::new(
            "t",
            vec![Row {
                id: RowId::from("a"),
                item: "Say \"hi\"\tthere".into(),
                category: "=cmd".into(),
                priority: Priority::P0,
                owner: "<b>Bo</b>".into(),
                status: Status::Done,
                notes: "one\ntwo".into(),
            }],
        )
    }

    #[test]
    fn tsv_quotes_cells_that_would_split() {
        assert_eq!(
            to_tsv(&plan()),
            "#\tItem\tCategory\tPriority\tOwner\tStatus\tNotes\n\
             1\t\"Say \"\"hi\"\"\tthere\"\t'=cmd\tP0\t<b>Bo</b>\tDone\t\"one\ntwo\"\n"
        );
    }

    #[test]
    fn html_table_escapes_text_and_keeps_line_breaks() {
        let html = to_html_table(&plan());
        assert!(html.contains("<td>&lt;b&gt;Bo&lt;/b&gt;</td>"));
        assert!(html.contains("<td>one<br>two</td>"));
        assert!(html.contains("<td>'=cmd</td>"));
        assert!(html.contains("<th>Notes</th>"));
        assert_eq!(html.matches("<tr>").count(), 2);
    }
}
