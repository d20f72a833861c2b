//! Blocks of cells on the clipboard: what a range copy writes (TSV and an HTML table, the
//! two forms spreadsheets read), and what a paste from Google Sheets, Excel or LibreOffice
//! holds (the same two forms, written by them), turned into edits that apply all or nothing.

use super::cells::unguard_cell;
use super::clipboard::{push_html_cell, push_tsv_cell};
use super::edit::Edit;
use super::limits::{check_text, max_chars, MAX_ROWS};
use super::plan::{Field, Plan, Priority, Row, RowId, Status};

/// A rectangle of cell texts, row by row.
pub type Block = Vec<Vec<String>>;

/// Cells as tab-separated lines. A cell holding a tab, a line break or a quote is quoted the
/// way spreadsheets write it (`"…"`, inner quotes doubled) so it stays one cell.
pub fn block_to_tsv(block: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in block {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            push_tsv_cell(&mut out, cell);
        }
        out.push('\n');
    }
    out
}

/// Cells as an HTML table (all text escaped; line breaks as `<br>`).
pub fn block_to_html(block: &[Vec<String>]) -> String {
    let mut out = String::from("<meta charset=\"utf-8\"><table><tbody>");
    for row in block {
        out.push_str("<tr>");
        for cell in row {
            out.push_str("<td>");
            push_html_cell(&mut out, cell);
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// Reads tab-separated text as spreadsheets write it: quoted cells may hold tabs, line
/// breaks and doubled quotes; lines end in LF or CRLF; a final line break ends the block.
/// Rows may have different lengths (text from an editor); see [`rectangle`].
pub fn parse_tsv(text: &str) -> Block {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    let mut rows: Block = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut at_cell_start = true;
    while let Some(c) = chars.next() {
        match c {
            '"' if at_cell_start => {
                // A quoted cell: up to the closing quote; `""` is one quote.
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            cell.push('"');
                        }
                        Some('"') | None => break,
                        Some('\r') if chars.peek() == Some(&'\n') => {}
                        Some(c) => cell.push(c),
                    }
                }
                at_cell_start = false;
            }
            '\t' => {
                row.push(std::mem::take(&mut cell));
                at_cell_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
                at_cell_start = true;
            }
            c => {
                cell.push(c);
                at_cell_start = false;
            }
        }
    }
    row.push(cell);
    rows.push(row);
    rows
}

/// Reads the first `<table>` of clipboard HTML (as Google Sheets, Excel and LibreOffice
/// write it): rows of `<td>`/`<th>` cells, `<br>` as a line break, entities decoded, other
/// markup dropped, `<style>` and `<script>` ignored. `None` when there is no table.
pub fn parse_html_table(html: &str) -> Option<Block> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<table")?;
    let end = lower[start..]
        .find("</table")
        .map_or(html.len(), |e| start + e);
    let (html, lower) = (&html[start..end], &lower[start..end]);
    let mut reader = TableReader::default();
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        if !rest.starts_with('<') {
            let text_end = rest.find('<').unwrap_or(rest.len());
            reader.text(&decode_entities(&rest[..text_end]));
            i += text_end;
            continue;
        }
        let tag_end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &lower[i..i + tag_end];
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let closing = tag.starts_with("</");
        match (name.as_str(), closing) {
            ("tr", false) => reader.row(),
            ("td" | "th", false) => {
                // `colspan="3"`: this cell, then two empty ones.
                let span = attribute(tag, "colspan")
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(1)
                    .clamp(1, 64);
                reader.open_cell(span);
            }
            ("td" | "th", true) | ("tr", true) => reader.close_cell(),
            ("br", false) => reader.line_break(),
            ("p" | "div", true) => reader.end_block(),
            ("style" | "script", false) => {
                let close = format!("</{name}");
                i += lower[i..].find(&close).unwrap_or(lower.len() - i);
                continue;
            }
            _ => {}
        }
        i += tag_end;
    }
    let rows = reader.finish();
    (!rows.is_empty()).then_some(rows)
}

/// Collects cells while `parse_html_table` walks the markup.
#[derive(Default)]
struct TableReader {
    rows: Block,
    cell: Option<String>,
    /// Empty cells owed after the open cell (its `colspan` minus one).
    span_after: usize,
}

impl TableReader {
    fn row(&mut self) {
        self.close_cell();
        self.rows.push(Vec::new());
    }

    fn open_cell(&mut self, span: usize) {
        self.close_cell();
        if self.rows.is_empty() {
            self.rows.push(Vec::new());
        }
        self.cell = Some(String::new());
        self.span_after = span - 1;
    }

    fn close_cell(&mut self) {
        let Some(cell) = self.cell.take() else {
            return;
        };
        let cell = cell.trim_matches(|c| c == ' ' || c == '\n').to_owned();
        let row = self.rows.last_mut().expect("a cell opens inside a row");
        row.push(cell);
        for _ in 0..std::mem::take(&mut self.span_after) {
            row.push(String::new());
        }
    }

    fn line_break(&mut self) {
        if let Some(c) = self.cell.as_mut() {
            c.push('\n');
        }
    }

    fn end_block(&mut self) {
        if let Some(c) = self.cell.as_mut() {
            if !c.is_empty() && !c.ends_with('\n') {
                c.push('\n');
            }
        }
    }

    /// Text between tags: runs of markup whitespace are one space (as a browser shows
    /// them); a non-breaking space is a plain space that stays.
    fn text(&mut self, text: &str) {
        let Some(c) = self.cell.as_mut() else {
            return;
        };
        let mut last_space = c.is_empty() || c.ends_with(' ') || c.ends_with('\n');
        for ch in text.chars() {
            if is_markup_space(ch) {
                if !last_space {
                    c.push(' ');
                    last_space = true;
                }
            } else {
                c.push(if ch == '\u{a0}' { ' ' } else { ch });
                last_space = false;
            }
        }
    }

    fn finish(mut self) -> Block {
        self.close_cell();
        self.rows.retain(|r| !r.is_empty());
        self.rows
    }
}

fn is_markup_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// The value of `name="…"` (or `'…'`, or bare) in a lower-cased tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(&format!("{name}="))? + name.len() + 1;
    let rest = &tag[at..];
    let (quote, rest) = match rest.chars().next()? {
        q @ ('"' | '\'') => (Some(q), &rest[1..]),
        _ => (None, rest),
    };
    let end = match quote {
        Some(q) => rest.find(q)?,
        None => rest.find([' ', '>', '/']).unwrap_or(rest.len()),
    };
    Some(&rest[..end])
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let code =
                        if let Some(hex) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
                            u32::from_str_radix(hex, 16).ok()
                        } else {
                            name.strip_prefix('#').and_then(|d| d.parse().ok())
                        };
                    code.and_then(char::from_u32)
                }
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Makes every row as long as the longest, padding with empty cells.
pub fn rectangle(mut block: Block) -> Block {
    let width = block.iter().map(Vec::len).max().unwrap_or(0);
    for row in &mut block {
        row.resize(width, String::new());
    }
    block
}

/// What the clipboard holds, as a block: the HTML table when there is one (it keeps line
/// breaks inside cells exactly), else the text as TSV.
pub fn clipboard_block(text: Option<&str>, html: Option<&str>) -> Block {
    if let Some(block) = html.and_then(parse_html_table) {
        return rectangle(block);
    }
    rectangle(parse_tsv(text.unwrap_or_default()))
}

/// One value of a paste that cannot be used, located as the table shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasteProblem {
    /// 1-based row number in the plan (`#`), or the new row's number.
    pub row: usize,
    pub field: Field,
    pub message: String,
}

impl std::fmt::Display for PasteProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Row {}, {}: {}",
            self.row,
            self.field.header(),
            self.message
        )
    }
}

/// A paste worked out: the edits (one undo step) and what the user should be told.
#[derive(Clone, Debug, PartialEq)]
pub struct PastePlan {
    pub edits: Vec<Edit>,
    /// Rows that did not exist yet and were added.
    pub added_rows: usize,
    /// Cells the block held beyond the last column, left out.
    pub cut_columns: usize,
    pub rows: usize,
    pub cols: usize,
}

/// Works out pasting `block` with its top-left cell at `(row, field)` of the table as
/// displayed (`shown`: the row ids in display order). Rows past the last shown row are
/// added at the end of the plan with ids from `new_id`. A first row naming our columns
/// (`#`, Item, …, as "Copy for Sheets" writes it) is a header: the columns are matched by
/// name and the header is not pasted. Every value is checked first; any problem means no
/// edit at all.
pub fn plan_paste(
    plan: &Plan,
    shown: &[RowId],
    at_row: usize,
    at_field: Field,
    block: &[Vec<String>],
    mut new_id: impl FnMut() -> RowId,
) -> Result<PastePlan, Vec<PasteProblem>> {
    let (columns, body) = match header_columns(block) {
        Some(columns) => (columns, &block[1..]),
        None => {
            let first = Field::ALL.iter().position(|f| *f == at_field).unwrap_or(0);
            let width = block.first().map_or(0, Vec::len);
            let columns = (0..width)
                .map(|i| Field::ALL.get(first + i).copied())
                .collect();
            (columns, block)
        }
    };
    let cut_columns = columns.iter().filter(|c| c.is_none()).count();
    let mut problems = Vec::new();
    let mut edits = Vec::new();
    let mut added = Vec::new();
    let mut positions = std::collections::HashMap::new();
    for (i, r) in plan.rows.iter().enumerate() {
        positions.insert(&r.id, i);
    }
    let existing = shown.len().saturating_sub(at_row);
    let new_rows = body.len().saturating_sub(existing);
    if plan.rows.len() + new_rows > MAX_ROWS {
        problems.push(PasteProblem {
            row: plan.rows.len() + 1,
            field: at_field,
            message: format!(
                "The paste needs {new_rows} more rows; a plan holds at most {MAX_ROWS}."
            ),
        });
        return Err(problems);
    }
    for (i, cells) in body.iter().enumerate() {
        let target = shown.get(at_row + i);
        let (id, number) = match target {
            Some(id) => (id.clone(), positions.get(id).map_or(0, |p| p + 1)),
            None => {
                let id = new_id();
                added.push(Row::blank(id.clone()));
                (id, plan.rows.len() + added.len())
            }
        };
        for (cell, column) in cells.iter().zip(&columns) {
            let Some(field) = *column else { continue };
            let value = unguard_cell(cell);
            match checked(field, value) {
                Ok(value) => match added.last_mut().filter(|r| r.id == id) {
                    Some(row) => set(row, field, value),
                    None => edits.push(Edit::SetField {
                        row: id.clone(),
                        field,
                        value,
                    }),
                },
                Err(message) => problems.push(PasteProblem {
                    row: number,
                    field,
                    message,
                }),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let added_rows = added.len();
    let mut all = Vec::with_capacity(added.len() + edits.len());
    let end = plan.rows.len();
    all.extend(
        added
            .into_iter()
            .enumerate()
            .map(|(i, row)| Edit::InsertRow { at: end + i, row }),
    );
    all.extend(edits);
    Ok(PastePlan {
        edits: all,
        added_rows,
        cut_columns: if body.is_empty() { 0 } else { cut_columns },
        rows: body.len(),
        cols: columns.len(),
    })
}

/// The columns of a first row that names ours (`#` and unknown names are skipped).
fn header_columns(block: &[Vec<String>]) -> Option<Vec<Option<Field>>> {
    let first = block.first()?;
    let columns: Vec<Option<Field>> = first.iter().map(|h| Field::from_header(h)).collect();
    let known = columns.iter().filter(|c| c.is_some()).count();
    let all_named = first
        .iter()
        .all(|h| h.trim() == "#" || Field::from_header(h).is_some());
    (known >= 2 && all_named).then_some(columns)
}

fn set(row: &mut Row, field: Field, value: String) {
    match field {
        Field::Item => row.item = value,
        Field::Category => row.category = value,
        Field::Owner => row.owner = value,
        Field::Notes => row.notes = value,
        Field::Priority => row.priority = Priority::parse(&value).unwrap_or_default(),
        Field::Status => row.status = Status::parse(&value).unwrap_or_default(),
    }
}

/// A pasted value as the cell will hold it, or why it cannot be used.
fn checked(field: Field, value: &str) -> Result<String, String> {
    match field {
        Field::Priority => {
            if value.trim().is_empty() {
                return Ok(Priority::default().as_str().to_owned());
            }
            Priority::parse(value)
                .map(|p| p.as_str().to_owned())
                .ok_or_else(|| {
                    format!(
                        "\"{}\" is not a priority. Use P0, P1, P2 or P3.",
                        short(value)
                    )
                })
        }
        Field::Status => {
            if value.trim().is_empty() {
                return Ok(Status::default().as_str().to_owned());
            }
            Status::parse(value)
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| {
                    format!(
                        "\"{}\" is not a status. Use Not started, In progress, Blocked or Done.",
                        short(value)
                    )
                })
        }
        _ => {
            let value = value.replace("\r\n", "\n").replace('\r', "\n");
            match check_text(&value, max_chars(field)) {
                None => Ok(value),
                Some(why) => Err(format!("The text {why}")),
            }
        }
    }
}

fn short(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() > 30 {
        format!("{}…", t.chars().take(30).collect::<String>())
    } else {
        t.to_owned()
    }
}

/// The cells of a range, for copying: rows `rows` of `shown`, columns `fields`.
pub fn copy_block(
    plan: &Plan,
    shown: &[RowId],
    rows: std::ops::Range<usize>,
    fields: &[Field],
) -> Block {
    shown[rows.start.min(shown.len())..rows.end.min(shown.len())]
        .iter()
        .filter_map(|id| plan.row(id))
        .map(|row| fields.iter().map(|f| row.text(*f).to_owned()).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cells::guard_cell;
    use proptest::prelude::*;

    fn plan(n: usize) -> Plan {
        Plan::new(
            "p",
            (0..n)
                .map(|i| Row {
                    item: format!("item {i}"),
                    ..Row::blank(RowId(format!("r{i}")))
                })
                .collect(),
        )
    }

    fn ids(plan: &Plan) -> Vec<RowId> {
        plan.rows.iter().map(|r| r.id.clone()).collect()
    }

    fn counter() -> impl FnMut() -> RowId {
        let mut n = 0;
        move || {
            n += 1;
            RowId(format!("new{n}"))
        }
    }

    fn cells(rows: &[&[&str]]) -> Block {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn tsv_reads_quoted_cells_as_sheets_writes_them() {
        // Google Sheets: a cell with a line break or a quote is quoted; the block ends with
        // a line break only when copied from some apps.
        let text = "a\t\"two\nlines\"\t\"say \"\"hi\"\"\"\r\nb\t\t\"tab\there\"\n";
        assert_eq!(
            parse_tsv(text),
            cells(&[&["a", "two\nlines", "say \"hi\""], &["b", "", "tab\there"]])
        );
        assert_eq!(parse_tsv("one"), cells(&[&["one"]]));
        assert_eq!(parse_tsv(""), cells(&[&[""]]));
        // A quote inside an unquoted cell is text.
        assert_eq!(parse_tsv("5\" screen\tx"), cells(&[&["5\" screen", "x"]]));
    }

    #[test]
    fn ragged_rows_are_padded() {
        let block = rectangle(parse_tsv("a\tb\tc\nd\ne\tf"));
        assert_eq!(
            block,
            cells(&[&["a", "b", "c"], &["d", "", ""], &["e", "f", ""]])
        );
    }

    #[test]
    fn html_tables_from_sheets_excel_and_libreoffice() {
        let sheets = r#"<meta charset="utf-8"><google-sheets-html-origin><style type="text/css"><!--td {border: 1px solid #cccccc;}--></style><table xmlns="http://www.w3.org/1999/xhtml" cellspacing="0" cellpadding="0" dir="ltr" border="1" style="table-layout:fixed"><colgroup><col width="100"/><col width="100"/></colgroup><tbody><tr style="height:21px;"><td style="overflow:hidden">Queue &amp; retry</td><td style="overflow:hidden">P1</td></tr><tr style="height:21px;"><td>line one<br/>line two</td><td>done</td></tr></tbody></table>"#;
        assert_eq!(
            parse_html_table(sheets).unwrap(),
            cells(&[&["Queue & retry", "P1"], &["line one\nline two", "done"]])
        );
        let excel = "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head><style>\n.xl65 {mso-number-format:General;}\n</style></head><body link=blue>\n<table border=0 cellpadding=0 cellspacing=0 width=128>\n <tr height=20 style='height:15.0pt'>\n  <td height=20 class=xl65 width=64>caf&eacute; &#233;t&#xE9;</td>\n  <td class=xl65 width=64>a<br style='mso-data-placement:same-cell;' />b</td>\n </tr>\n</table>\n</body></html>";
        assert_eq!(
            parse_html_table(excel).unwrap(),
            cells(&[&["caf&eacute; été", "a\nb"]])
        );
        let libre = "<table cellspacing=\"0\" border=\"0\"><colgroup width=\"85\"></colgroup><tr><td height=\"17\" align=\"left\">x</td><td colspan=2 align=\"left\">spans</td><td>after</td></tr></table>";
        assert_eq!(
            parse_html_table(libre).unwrap(),
            cells(&[&["x", "spans", "", "after"]])
        );
        assert_eq!(parse_html_table("<p>no table</p>"), None);
    }

    #[test]
    fn the_html_table_wins_over_the_text() {
        let block = clipboard_block(
            Some("a b\tc"),
            Some("<table><tr><td>a\nb</td><td>c</td></tr></table>"),
        );
        assert_eq!(
            block,
            cells(&[&["a b", "c"]]),
            "markup whitespace is a space"
        );
        let block = clipboard_block(Some("x\ty"), None);
        assert_eq!(block, cells(&[&["x", "y"]]));
    }

    #[test]
    fn a_block_fills_cells_from_the_active_one_and_adds_rows() {
        let p = plan(3);
        let block = cells(&[
            &["Queue", "Offline queue", "high"],
            &["Retry", "", "p0"],
            &["New one", "Testing", ""],
            &["New two", "Battery", "P3"],
        ]);
        let out = plan_paste(&p, &ids(&p), 1, Field::Item, &block, counter()).unwrap();
        assert_eq!(out.added_rows, 2);
        assert_eq!((out.rows, out.cols), (4, 3));
        let mut after = p.clone();
        after.apply(Edit::Batch(out.edits)).unwrap();
        assert_eq!(after.rows.len(), 5);
        assert_eq!(after.rows[1].item, "Queue");
        assert_eq!(after.rows[1].priority, Priority::P1);
        assert_eq!(after.rows[2].category, "");
        assert_eq!(after.rows[2].priority, Priority::P0);
        assert_eq!(after.rows[3].item, "New one");
        assert_eq!(after.rows[3].priority, Priority::P2);
        assert_eq!(after.rows[4].priority, Priority::P3);
        assert_eq!(after.rows[0], p.rows[0], "rows above are untouched");
    }

    #[test]
    fn a_bad_value_is_reported_and_nothing_applies() {
        let p = plan(2);
        let block = cells(&[&["A", "urgent-ish"], &["B", "P1"]]);
        let problems = plan_paste(
            &p,
            &ids(&p),
            0,
            Field::Owner,
            &[vec!["x".into()]],
            counter(),
        )
        .map(|_| ());
        assert!(problems.is_ok());
        let problems = plan_paste(&p, &ids(&p), 0, Field::Category, &block, counter()).unwrap_err();
        assert_eq!(
            problems,
            [PasteProblem {
                row: 1,
                field: Field::Priority,
                message: "\"urgent-ish\" is not a priority. Use P0, P1, P2 or P3.".into()
            }]
        );
        let long = "n".repeat(501);
        let problems =
            plan_paste(&p, &ids(&p), 0, Field::Item, &[vec![long]], counter()).unwrap_err();
        assert!(problems[0].message.contains("limit is 500"));
    }

    #[test]
    fn columns_past_the_last_are_left_out_and_said() {
        let p = plan(1);
        let block = cells(&[&["owner", "Done", "notes", "extra", "more"]]);
        let out = plan_paste(&p, &ids(&p), 0, Field::Owner, &block, counter()).unwrap();
        assert_eq!(out.cut_columns, 2);
        let mut after = p.clone();
        after.apply(Edit::Batch(out.edits)).unwrap();
        assert_eq!(after.rows[0].owner, "owner");
        assert_eq!(after.rows[0].status, Status::Done);
        assert_eq!(after.rows[0].notes, "notes");
    }

    #[test]
    fn a_header_row_of_ours_maps_columns_by_name() {
        let p = plan(1);
        let block = cells(&[
            &["#", "Notes", "Item"],
            &["1", "n1", "i1"],
            &["2", "n2", "i2"],
        ]);
        let out = plan_paste(&p, &ids(&p), 0, Field::Status, &block, counter()).unwrap();
        let mut after = p.clone();
        after.apply(Edit::Batch(out.edits)).unwrap();
        assert_eq!(
            (after.rows[0].item.as_str(), after.rows[0].notes.as_str()),
            ("i1", "n1")
        );
        assert_eq!(after.rows[1].item, "i2");
    }

    #[test]
    fn guarded_formulas_come_back_as_typed_and_rows_respect_the_limit() {
        let p = plan(1);
        let block = block_to_tsv(&cells(&[&["=SUM(A1)"]]));
        let block = clipboard_block(Some(&block), None);
        let out = plan_paste(&p, &ids(&p), 0, Field::Notes, &block, counter()).unwrap();
        let mut after = p.clone();
        after.apply(Edit::Batch(out.edits)).unwrap();
        assert_eq!(after.rows[0].notes, "=SUM(A1)");
        let full = plan(MAX_ROWS);
        let block = cells(&[&["a"], &["b"]]);
        let err = plan_paste(
            &full,
            &ids(&full),
            MAX_ROWS - 1,
            Field::Item,
            &block,
            counter(),
        );
        assert!(err.unwrap_err()[0].message.contains("at most 2000"));
    }

    fn any_cell() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 ]{0,12}",
            "[\\t\\n\"=+@<>&' a-z]{0,12}",
            "\\PC{0,8}",
        ]
    }

    proptest! {
        /// What a range copy writes, a paste reads back exactly, in either form.
        #[test]
        fn copy_then_paste_round_trips(
            block in (1usize..5, 1usize..5).prop_flat_map(|(r, c)| {
                proptest::collection::vec(proptest::collection::vec(any_cell(), c), r)
            })
        ) {
            let from_tsv: Block = clipboard_block(Some(&block_to_tsv(&block)), None)
                .into_iter()
                .map(|r| r.into_iter().map(|c| unguard_cell(&c).to_owned()).collect())
                .collect();
            let expected: Block = block
                .iter()
                .map(|r| r.iter().map(|c| c.replace("\r\n", "\n").replace('\r', "\n")).collect())
                .collect();
            prop_assert_eq!(&from_tsv, &expected);
            // HTML keeps no outer or repeated whitespace, so a guard may stay on a cell whose
            // formula started after a space: compare what a spreadsheet would show.
            let html_expected: Block = expected
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|c| unguard_cell(&normalise_html(&guard_cell(c))).to_owned())
                        .collect()
                })
                .collect();
            let from_html: Block = parse_html_table(&block_to_html(&block))
                .map(rectangle)
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.into_iter().map(|c| unguard_cell(&c).to_owned()).collect())
                .collect();
            prop_assert_eq!(from_html, html_expected);
        }

        #[test]
        fn any_clipboard_text_parses_without_panicking(text in "\\PC{0,200}", html in "\\PC{0,200}") {
            let _ = clipboard_block(Some(&text), Some(&html));
            let _ = parse_html_table(&format!("<table><tr><td>{html}</td></tr></table>"));
        }
    }

    /// What an HTML cell reads back as: runs of markup whitespace are one space, a
    /// non-breaking space is a space, and the cell's outer spaces and line breaks are
    /// trimmed (as a spreadsheet shows it).
    fn normalise_html(cell: &str) -> String {
        let mut out = String::new();
        let mut last_space = true;
        for ch in cell.chars() {
            if ch == '\n' {
                out.push('\n');
                last_space = true;
            } else if is_markup_space(ch) {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            } else {
                out.push(if ch == '\u{a0}' { ' ' } else { ch });
                last_space = false;
            }
        }
        out.trim_matches(|c| c == ' ' || c == '\n').to_owned()
    }
}
