//! A sheet as it is read from a CSV (headers, rows with text, the error that stopped the
//! reading) and what an import makes of it. Below both the plain CSV import and the column
//! mapping, which each read sheets and neither imports the other.

use crate::model::{Plan, Problem, MAX_ROWS};

/// An imported plan, and what happened to the CSV columns that have no field of their own.
#[derive(Debug, PartialEq)]
pub struct Imported {
    pub plan: Plan,
    /// Columns that did not become one of the plan's columns (their text went to Notes, see
    /// `noted_columns`, or they were empty or skipped). `#` and unnamed columns are not listed.
    pub ignored_columns: Vec<String>,
    /// Columns whose text was added to Notes as `Column: value`.
    pub noted_columns: Vec<String>,
}

/// A CSV read into memory: the header row (trimmed) and every row that has some text.
#[derive(Debug)]
pub struct Table {
    pub headers: Vec<String>,
    /// The rows with text, in file order; row `n` in problems is `rows[n - 1]`. A row may
    /// have fewer cells than the header (the rest are empty) or more (a problem).
    pub rows: Vec<Vec<String>>,
    /// A CSV error that stopped the reading, reported after the rows read before it.
    pub error: Option<Problem>,
}

/// Reads the CSV: UTF-8 (a BOM is ignored), the separator found in the header line.
pub fn read_table(bytes: &[u8]) -> Result<Table, Vec<Problem>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(vec![Problem::invalid(
            None,
            None,
            "The file is not UTF-8 text. In Excel, save it as \"CSV UTF-8\"; Google Sheets \
             and Numbers export UTF-8 already.",
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(sniff_delimiter(bytes))
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| vec![csv_problem(&e)])?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();

    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut error = None;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                error = Some(csv_problem(&e));
                break;
            }
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() >= MAX_ROWS {
            return Err(vec![Problem::too_large(format!(
                "The file has more than {MAX_ROWS} rows; the limit is {MAX_ROWS}. Split it \
                 into smaller files."
            ))]);
        }
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(Table {
        headers,
        rows,
        error,
    })
}

/// The problem for a row with more cells than the header has columns.
pub fn long_row_problem(cells: usize, columns: usize, n: usize) -> Problem {
    Problem::invalid(
        Some(n),
        None,
        format!("This row has {cells} cells but the header has {columns} columns."),
    )
}

/// The separator of the header line: a tab (GitHub Projects exports TSV), a semicolon (Excel
/// in locales with a decimal comma) or, by default, a comma. Quoted text does not count.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let (mut commas, mut tabs, mut semicolons) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => commas += 1,
            b'\t' if !quoted => tabs += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if tabs > commas && tabs >= semicolons {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

fn csv_problem(e: &csv::Error) -> Problem {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "The file is not UTF-8 text.".to_owned(),
        _ => format!("The CSV could not be read: {e}."),
    };
    match line {
        Some(line) => Problem::invalid(None, None, format!("Line {line}: {message}")),
        None => Problem::invalid(None, None, message),
    }
}
