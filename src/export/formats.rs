//! The export formats.

use crate::model::{guard_cell, Field, Plan};
use crate::template::{content_checked_label, CHECKED_AGAINST, FAQ};
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Google Sheets: UTF-8 without BOM, RFC 4180, CRLF.
    Csv,
    /// Excel: the same with a UTF-8 byte-order mark, which Excel needs to read UTF-8.
    ExcelCsv,
    /// Notion's database import: Item (the title property) first, `#` last.
    NotionCsv,
    /// A Notion-ready page: title, table, FAQ with its sources.
    Markdown,
    /// The plan document, lossless.
    Json,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Csv,
        Format::ExcelCsv,
        Format::NotionCsv,
        Format::Markdown,
        Format::Json,
    ];

    /// The name in URLs: `csv`, `excel-csv`, `notion-csv`, `markdown`, `json`.
    pub fn slug(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::ExcelCsv => "excel-csv",
            Format::NotionCsv => "notion-csv",
            Format::Markdown => "markdown",
            Format::Json => "json",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.slug() == slug)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv | Format::ExcelCsv | Format::NotionCsv => "text/csv; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Json => "application/json",
        }
    }

    /// What follows the title in the file name.
    fn suffix(self) -> &'static str {
        match self {
            Format::Csv => ".csv",
            Format::ExcelCsv => "-excel.csv",
            Format::NotionCsv => "-notion.csv",
            Format::Markdown => ".md",
            Format::Json => ".json",
        }
    }
}

/// A download name made from the plan title: lowercase ASCII letters, digits and dashes.
pub fn file_name(title: &str, format: Format) -> String {
    format!("{}{}", base_name(title), format.suffix())
}

/// The part of a download name made from the plan title (at most 60 characters).
pub(super) fn base_name(title: &str) -> String {
    let mut name = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
        if name.len() >= 60 {
            break;
        }
    }
    let name = name.trim_end_matches('-');
    let name = if name.is_empty() { "syncplan" } else { name };
    name.to_owned()
}

pub fn export(plan: &Plan, format: Format) -> Vec<u8> {
    match format {
        Format::Csv => spreadsheet_csv(plan, false),
        Format::ExcelCsv => spreadsheet_csv(plan, true),
        Format::NotionCsv => notion_csv(plan),
        Format::Markdown => markdown(plan).into_bytes(),
        Format::Json => {
            let mut out = serde_json::to_vec_pretty(plan).unwrap_or_default();
            out.push(b'\n');
            out
        }
    }
}

const BOM: &[u8] = "\u{feff}".as_bytes();

pub(super) fn csv_writer(capacity: usize) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(capacity))
}

pub(super) fn finish(writer: csv::Writer<Vec<u8>>) -> Vec<u8> {
    // Writing to a Vec cannot fail.
    writer.into_inner().unwrap_or_default()
}

fn spreadsheet_csv(plan: &Plan, bom: bool) -> Vec<u8> {
    let mut buffer = Vec::with_capacity(64 + plan.rows.len() * 200);
    if bom {
        buffer.extend_from_slice(BOM);
    }
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(buffer);
    let mut header = vec!["#"];
    header.extend(Field::ALL.iter().map(|f| f.header()));
    let _ = w.write_record(&header);
    let mut number = itoa_buffer();
    for (i, row) in plan.rows.iter().enumerate() {
        let n = number.format(i + 1);
        let _ = w.write_field(n);
        for field in Field::ALL {
            let _ = w.write_field(guard_cell(row.text(field)).as_bytes());
        }
        let _ = w.write_record(None::<&[u8]>);
    }
    finish(w)
}

/// Notion reads the first column as the page title and turns comma-separated values of a
/// select column into several options, so Category never carries a comma.
fn notion_csv(plan: &Plan) -> Vec<u8> {
    let mut w = csv_writer(64 + plan.rows.len() * 200);
    let _ = w.write_record([
        "Item", "Category", "Priority", "Status", "Owner", "Notes", "#",
    ]);
    let mut number = itoa_buffer();
    for (i, row) in plan.rows.iter().enumerate() {
        let category = row.category.replace(',', " /");
        let _ = w.write_field(guard_cell(&row.item).as_bytes());
        let _ = w.write_field(guard_cell(&category).as_bytes());
        let _ = w.write_field(row.priority.as_str());
        let _ = w.write_field(row.status.as_str());
        let _ = w.write_field(guard_cell(&row.owner).as_bytes());
        let _ = w.write_field(guard_cell(&row.notes).as_bytes());
        let _ = w.write_field(number.format(i + 1));
        let _ = w.write_record(None::<&[u8]>);
    }
    finish(w)
}

/// Formats row numbers without allocating.
struct Numbers([u8; 20]);

fn itoa_buffer() -> Numbers {
    Numbers([0; 20])
}

impl Numbers {
    fn format(&mut self, mut n: usize) -> &[u8] {
        let mut i = self.0.len();
        loop {
            i -= 1;
            self.0[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        &self.0[i..]
    }
}

/// Text for a Markdown table cell or heading: HTML and link syntax are escaped (user text
/// never becomes markup), pipes cannot end the cell, line breaks become `<br>`.
fn md_text(out: &mut String, text: &str, in_table: bool) {
    // Every character to replace is ASCII, so copying the runs between them is UTF-8 safe.
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'|' => "\\|",
            b'\\' => "\\\\",
            b'[' => "\\[",
            b']' => "\\]",
            b'`' => "\\`",
            b'*' => "\\*",
            b'_' => "\\_",
            b'#' => "\\#",
            b'\n' if in_table => "<br>",
            b'\n' | b'\t' => " ",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(replacement);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

fn markdown(plan: &Plan) -> String {
    let mut out = String::with_capacity(2048 + plan.rows.len() * 220);
    out.push_str("# ");
    md_text(&mut out, plan.title.trim(), false);
    out.push_str("\n\n| # | Item | Category | Priority | Owner | Status | Notes |\n");
    out.push_str("|---:|---|---|---|---|---|---|\n");
    for (i, row) in plan.rows.iter().enumerate() {
        let _ = write!(out, "| {} |", i + 1);
        for field in Field::ALL {
            out.push(' ');
            md_text(&mut out, row.text(field), true);
            out.push_str(" |");
        }
        out.push('\n');
    }
    out.push_str("\n## Frequently asked questions\n");
    let _ = write!(
        out,
        "\nContent checked against {CHECKED_AGAINST} on {}.\n",
        content_checked_label()
    );
    for faq in FAQ {
        let _ = write!(out, "\n### {}\n", faq.question);
        for paragraph in faq.answer {
            let _ = write!(out, "\n{paragraph}\n");
        }
        out.push_str("\nSources: ");
        for (i, source) in faq.sources.iter().enumerate() {
            if i > 0 {
                out.push_str(" · ");
            }
            // Our own https URLs, with nothing that could end the link early.
            out.push('[');
            md_text(&mut out, source.title, false);
            let _ = write!(out, "]({})", source.url);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(
            file_name("Background sync plan", Format::Csv),
            "background-sync-plan.csv"
        );
        assert_eq!(
            file_name("  Q3: Offline/Sync — v2!  ", Format::ExcelCsv),
            "q3-offline-sync-v2-excel.csv"
        );
        assert_eq!(
            file_name("../../etc/passwd", Format::Json),
            "etc-passwd.json"
        );
        assert_eq!(file_name("План", Format::Markdown), "syncplan.md");
        assert_eq!(file_name("\"a\";b", Format::NotionCsv), "a-b-notion.csv");
        assert!(file_name(&"x".repeat(500), Format::Csv).len() <= 64);
    }

    #[test]
    fn slugs_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_slug(f.slug()), Some(f));
        }
        assert_eq!(Format::from_slug("xlsx"), None);
    }

    #[test]
    fn numbers_format_like_display() {
        let mut n = itoa_buffer();
        for i in [0usize, 7, 10, 2000, 123456] {
            assert_eq!(n.format(i), i.to_string().as_bytes());
        }
    }
}
