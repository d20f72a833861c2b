use super::*;
use crate::model::doc::cells::guard_cell;
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
    let problems = plan_paste(&p, &ids(&p), 0, Field::Item, &[vec![long]], counter()).unwrap_err();
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
