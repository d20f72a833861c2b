//! Blocks of cells on the clipboard: what a range copy writes (TSV and an HTML table, the
//! two forms spreadsheets read), and what a paste from Google Sheets, Excel or LibreOffice
//! holds (the same two forms, written by them), turned into edits that apply all or nothing.

use crate::model::doc::cells::unguard_cell;
use crate::model::doc::edit::Edit;
use crate::model::doc::limits::{check_text, max_chars, MAX_ROWS};
use crate::model::doc::plan::{Field, Plan, Priority, Row, RowId, Status};
use crate::model::sheet::clipboard::{push_html_cell, push_tsv_cell};

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
mod tests;
