//! Exports and imports: golden files, round trips, and properties over random plans.

//! Golden outputs for every format, and round-trip properties.

use super::super::*;
use super::tickets::{read_csv, starts_like_a_formula};
use crate::model::{unguard_cell, IdGen, Plan, Priority, Row, RowId, Status};
use proptest::prelude::*;

pub(super) fn row(
    id: &str,
    item: &str,
    category: &str,
    p: Priority,
    owner: &str,
    s: Status,
    notes: &str,
) -> Row {
    Row {
        id: RowId::from(id),
        item: item.into(),
        category: category.into(),
        priority: p,
        owner: owner.into(),
        status: s,
        notes: notes.into(),
    }
}

/// Commas, quotes, newlines, pipes, emoji, right-to-left text, formula triggers and
/// negative numbers.
pub(super) fn tricky_plan() -> Plan {
    Plan::new(
        "Sync | \"Q3\" plan",
        vec![
            row(
                "a1",
                "Budget, \"phase 1\"",
                "Sync triggers",
                Priority::P0,
                "Zoë 🚀",
                Status::InProgress,
                "line 1\nline 2",
            ),
            row(
                "a2",
                "=SUM(A1:A3)",
                "Data integrity",
                Priority::P1,
                "@ana",
                Status::Done,
                "-42",
            ),
            row(
                "a3",
                "+1.5",
                "Bandwidth, metered",
                Priority::P2,
                "-cmd",
                Status::Blocked,
                "\tindented | piped",
            ),
            row(
                "a4",
                "שלום עולם",
                "Security",
                Priority::P3,
                "",
                Status::NotStarted,
                "a|b\\c [x](javascript:alert(1)) <script>",
            ),
        ],
    )
}

fn text(format: Format) -> String {
    String::from_utf8(export(&tricky_plan(), format)).unwrap()
}

#[test]
fn golden_csv() {
    let expected = concat!(
        "#,Item,Category,Priority,Owner,Status,Notes\r\n",
        "1,\"Budget, \"\"phase 1\"\"\",Sync triggers,P0,Zoë 🚀,In progress,\"line 1\nline 2\"\r\n",
        "2,'=SUM(A1:A3),Data integrity,P1,'@ana,Done,-42\r\n",
        "3,+1.5,\"Bandwidth, metered\",P2,'-cmd,Blocked,'\tindented | piped\r\n",
        "4,שלום עולם,Security,P3,,Not started,a|b\\c [x](javascript:alert(1)) <script>\r\n",
    );
    assert_eq!(text(Format::Csv), expected);
}

#[test]
fn golden_excel_csv_is_the_csv_with_a_bom() {
    let excel = export(&tricky_plan(), Format::ExcelCsv);
    assert_eq!(&excel[..3], b"\xef\xbb\xbf");
    assert_eq!(&excel[3..], export(&tricky_plan(), Format::Csv).as_slice());
}

#[test]
fn golden_notion_csv() {
    let expected = concat!(
        "Item,Category,Priority,Status,Owner,Notes,#\r\n",
        "\"Budget, \"\"phase 1\"\"\",Sync triggers,P0,In progress,Zoë 🚀,\"line 1\nline 2\",1\r\n",
        "'=SUM(A1:A3),Data integrity,P1,Done,'@ana,-42,2\r\n",
        "+1.5,Bandwidth / metered,P2,Blocked,'-cmd,'\tindented | piped,3\r\n",
        "שלום עולם,Security,P3,Not started,,a|b\\c [x](javascript:alert(1)) <script>,4\r\n",
    );
    assert_eq!(text(Format::NotionCsv), expected);
}

#[test]
fn golden_markdown() {
    let md = text(Format::Markdown);
    let expected_head = concat!(
        "# Sync \\| \"Q3\" plan\n",
        "\n",
        "| # | Item | Category | Priority | Owner | Status | Notes |\n",
        "|---:|---|---|---|---|---|---|\n",
        "| 1 | Budget, \"phase 1\" | Sync triggers | P0 | Zoë 🚀 | In progress | line 1<br>line 2 |\n",
        "| 2 | =SUM(A1:A3) | Data integrity | P1 | @ana | Done | -42 |\n",
        "| 3 | +1.5 | Bandwidth, metered | P2 | -cmd | Blocked |  indented \\| piped |\n",
        "| 4 | שלום עולם | Security | P3 |  | Not started | ",
        "a\\|b\\\\c \\[x\\](javascript:alert(1)) &lt;script&gt; |\n",
        "\n",
        "## Frequently asked questions\n",
        "\n",
    );
    assert!(md.starts_with(expected_head), "got:\n{md}");
    let expected_faq = format!(
        "Content checked against Android, Apple and Firebase documentation on {}.\n\
         \n\
         ### How do I handle sync when the app has been in the background for days?\n\
         \n\
         Combine delta sync with a full-sync fallback.",
        crate::template::content_checked_label()
    );
    assert!(
        md[expected_head.len()..].starts_with(&expected_faq),
        "got:\n{md}"
    );
    // Each answer ends with its sources as Markdown links.
    assert!(md.contains(concat!(
        "\nSources: [Google Calendar API: Synchronize resources efficiently]",
        "(https://developers.google.com/calendar/api/guides/sync) · ",
        "[RFC 9110: HTTP Semantics (conditional requests, 304, 410, 412, 503, Retry-After)]",
        "(https://www.rfc-editor.org/rfc/rfc9110)\n",
    )));
    for faq in crate::template::FAQ {
        assert!(md.contains(&format!("\n### {}\n", faq.question)));
        for source in faq.sources {
            assert!(md.contains(&format!("]({})", source.url)), "{}", source.url);
        }
    }
    assert_eq!(
        md.matches("\nSources: [").count(),
        crate::template::FAQ.len()
    );
    // Every table line has exactly 8 unescaped pipes: the table never breaks.
    for line in md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
    {
        let unescaped = line
            .char_indices()
            .filter(|&(i, c)| c == '|' && !line[..i].ends_with('\\'))
            .count();
        assert_eq!(unescaped, 8, "{line}");
    }
}

#[test]
fn golden_json_is_the_plan_document() {
    let json = text(Format::Json);
    assert!(json.starts_with("{\n  \"schema\": 1,\n  \"title\": \"Sync | \\\"Q3\\\" plan\",\n"));
    let back = import_json(json.as_bytes(), &mut IdGen::new(1)).unwrap();
    assert_eq!(back.plan, tricky_plan());
}

#[test]
fn csv_and_excel_import_give_back_the_rows() {
    for format in [Format::Csv, Format::ExcelCsv] {
        let bytes = export(&tricky_plan(), format);
        let back = import_csv(&bytes, "t", &mut IdGen::new(2)).unwrap().plan;
        assert_eq!(
            without_ids(&back),
            without_ids(&tricky_plan()),
            "{format:?}"
        );
    }
}

#[test]
fn notion_csv_imports_back_too() {
    let bytes = export(&tricky_plan(), Format::NotionCsv);
    let back = import_csv(&bytes, "t", &mut IdGen::new(2)).unwrap().plan;
    assert_eq!(back.rows[0].item, "Budget, \"phase 1\"");
    assert_eq!(back.rows[2].category, "Bandwidth / metered");
    assert_eq!(back.rows[1].item, "=SUM(A1:A3)");
}

fn without_ids(plan: &Plan) -> Vec<Row> {
    plan.rows
        .iter()
        .map(|r| Row {
            id: RowId::from("-"),
            ..r.clone()
        })
        .collect()
}

// ----- properties -----

/// Text as users type it: any printable characters, including formula triggers, quotes,
/// separators, emoji, plus line breaks and tabs.
fn cell_text(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[=+@'\\-\t\n,;\"|]",
        "[a-zA-Z0-9 ]{1,6}",
        "\\PC{1,3}",
        Just("-42".to_owned()),
        Just("😀".to_owned()),
        Just("مرحبا".to_owned()),
    ];
    proptest::collection::vec(piece, 0..6)
        .prop_map(move |pieces| pieces.concat().chars().take(max).collect())
}

fn any_row() -> impl Strategy<Value = Row> {
    (
        cell_text(80),
        cell_text(40),
        0..4usize,
        cell_text(30),
        0..4usize,
        cell_text(200),
    )
        .prop_map(|(item, category, p, owner, s, notes)| Row {
            id: RowId::from("x"),
            item,
            category,
            priority: Priority::ALL[p],
            owner,
            status: Status::ALL[s],
            notes,
        })
}

fn any_plan() -> impl Strategy<Value = Plan> {
    (cell_text(60), proptest::collection::vec(any_row(), 0..25)).prop_map(|(title, rows)| {
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| Row {
                id: RowId(format!("r{i}")),
                ..r
            })
            .collect();
        Plan::new(title, rows)
    })
}

// A CSV row with no text at all is skipped on import (spreadsheets pad files with them);
// an exported row always has its priority and status, so it never is.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn csv_and_excel_exports_import_back_unchanged(plan in any_plan()) {
        prop_assume!(plan.validate().is_ok());
        for format in [Format::Csv, Format::ExcelCsv] {
            let bytes = export(&plan, format);
            let back = import_csv(&bytes, &plan.title, &mut IdGen::new(3)).unwrap().plan;
            prop_assert_eq!(without_ids(&back), without_ids(&plan));
        }
    }

    #[test]
    fn json_export_imports_back_identical(plan in any_plan()) {
        prop_assume!(plan.validate().is_ok());
        let bytes = export(&plan, Format::Json);
        let back = import_json(&bytes, &mut IdGen::new(3)).unwrap().plan;
        prop_assert_eq!(back, plan);
    }

    #[test]
    fn every_csv_export_has_rows_plus_one_records_of_seven_fields(plan in any_plan()) {
        for format in [Format::Csv, Format::ExcelCsv, Format::NotionCsv] {
            let bytes = export(&plan, format);
            let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(bytes);
            let records: Vec<_> = reader.records().collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(records.len(), plan.rows.len() + 1);
            for record in &records {
                prop_assert_eq!(record.len(), 7);
            }
        }
    }

    #[test]
    fn no_spreadsheet_cell_starts_like_a_formula(plan in any_plan()) {
        let bytes = export(&plan, Format::Csv);
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                let first = cell.chars().next();
                let number = cell.parse::<f64>().is_ok();
                prop_assert!(
                    number || !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n')),
                    "unguarded cell {:?}", cell
                );
            }
        }
    }
}

#[test]
fn the_page_offers_exactly_the_server_formats() {
    let offered: Vec<_> = crate::ui::EXPORTS.iter().map(|e| e.slug).collect();
    let served: Vec<_> = Format::ALL.iter().map(|f| f.slug()).collect();
    assert_eq!(offered, served);
    let tickets: Vec<_> = crate::ui::TICKETS.iter().map(|e| e.slug).collect();
    for slug in &tickets {
        assert!(
            crate::export::TicketFormat::from_slug(slug).is_some(),
            "{slug}"
        );
    }
    assert_eq!(tickets.len(), 3);
}

// ----- column mapping: any sheet in, nothing lost, and back again -----

/// Headers as sheets have them: made-up names and the common synonyms. Priority and Status
/// headers are left out: their random values would (rightly) be refused as untranslated.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][A-Za-z ]{0,10}",
        Just("Task".to_owned()),
        Just("Area".to_owned()),
        Just("Assignee".to_owned()),
        Just("Comments".to_owned()),
        Just("Labels".to_owned()),
        Just("Notes".to_owned()),
        Just("Item".to_owned()),
    ]
    .prop_filter("no Priority or Status header", |h| {
        !matches!(
            crate::export::mapping::header_target(h).map(|(t, _)| t),
            Some(Target::Priority | Target::Status)
        )
    })
}

/// Any cell text that is not a priority or status word (those are translated, not copied).
fn plain_cell() -> impl Strategy<Value = String> {
    cell_text(40).prop_filter("not a priority or status word", |v| {
        [v.as_str(), unguard_cell(v)]
            .iter()
            .all(|t| priority_from_word(t).is_none() && status_from_word(t).is_none())
    })
}

/// Every non-empty cell's text is in the row's mapped field or its Notes (a priority or
/// status is translated).
fn keeps_every_cell(
    plan: &Plan,
    rows: &[&Vec<String>],
    targets: &[Target],
) -> Result<(), proptest::test_runner::TestCaseError> {
    prop_assert_eq!(plan.rows.len(), rows.len());
    for (row, cells) in plan.rows.iter().zip(rows) {
        for (cell, target) in cells.iter().zip(targets) {
            let text = unguard_cell(cell).trim();
            if text.is_empty() {
                continue;
            }
            match target {
                Target::Priority => {
                    prop_assert_eq!(priority_from_word(text).map(|(p, _)| p), Some(row.priority))
                }
                Target::Status => {
                    prop_assert_eq!(status_from_word(text).map(|(s, _)| s), Some(row.status))
                }
                _ => prop_assert!(
                    [&row.item, &row.category, &row.owner, &row.notes]
                        .iter()
                        .any(|field| field.contains(text)),
                    "{:?} was lost from {:?}",
                    text,
                    row
                ),
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn any_sheet_imports_then_round_trips_keeping_every_cell(
        headers in proptest::collection::vec(header_name(), 1..7),
        cells in proptest::collection::vec(proptest::collection::vec(plain_cell(), 7), 0..8),
    ) {
        let width = headers.len();
        let rows: Vec<Vec<String>> = cells
            .into_iter()
            .map(|mut row| {
                row.truncate(width);
                row
            })
            .collect();
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(headers.iter()).unwrap();
        for row in &rows {
            writer.write_record(row).unwrap();
        }
        let bytes = writer.into_inner().unwrap();
        let kept: Vec<&Vec<String>> = rows
            .iter()
            .filter(|row| row.iter().any(|cell| !cell.trim().is_empty()))
            .collect();

        // Import with the suggested mapping (when nothing could be placed, the first column
        // is taken as Notes, as a user would choose in the preview).
        let preview = preview(&bytes, &MappingSpec::default()).unwrap();
        prop_assert_eq!(preview.rows, kept.len());
        let mut targets: Vec<Target> = preview.columns.iter().map(|c| c.target).collect();
        if !targets.iter().any(|t| t.field().is_some()) {
            targets[0] = Target::Notes;
        }
        let first = apply(&bytes, &targets, &ValueMaps::default(), "t", &mut IdGen::new(4))
            .unwrap()
            .plan;
        keeps_every_cell(&first, &kept, &targets)?;

        // Export as the project's plain CSV, import again: the same rows, so still every cell.
        let exported = export(&first, Format::Csv);
        let back = import_csv(&exported, "t", &mut IdGen::new(5)).unwrap().plan;
        prop_assert_eq!(without_ids(&back), without_ids(&first));
        keeps_every_cell(&back, &kept, &targets)?;
    }

    #[test]
    fn ticket_csvs_read_back_with_a_row_per_ticket_and_no_live_formula(plan in any_plan()) {
        let tickets = ticket_rows(&plan, &TicketOptions::default()).len();
        for format in [TicketFormat::JiraCsv, TicketFormat::GitlabCsv] {
            let bytes = export_tickets(&plan, format, &TicketOptions::default());
            let (headers, records) = read_csv(&bytes);
            prop_assert_eq!(headers.len(), if format == TicketFormat::JiraCsv { 6 } else { 2 });
            prop_assert_eq!(records.len(), tickets);
            for record in &records {
                prop_assert_eq!(record.len(), headers.len());
                for cell in record.iter() {
                    prop_assert!(!starts_like_a_formula(cell), "unguarded cell {:?}", cell);
                }
            }
        }
    }
}

// ----- tickets -----
