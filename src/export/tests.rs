//! Golden outputs for every format, and round-trip properties.

use super::*;
use crate::model::{unguard_cell, IdGen, Plan, Priority, Row, RowId, Status};
use proptest::prelude::*;

fn row(
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
fn tricky_plan() -> Plan {
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
            super::mapping::header_target(h).map(|(t, _)| t),
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

fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let records = reader.records().collect::<Result<Vec<_>, _>>().unwrap();
    (headers, records)
}

fn starts_like_a_formula(cell: &str) -> bool {
    cell.parse::<f64>().is_err()
        && matches!(
            cell.chars().next(),
            Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n')
        )
}

#[test]
fn jira_csv_reads_back_in_jiras_shape() {
    let bytes = export_tickets(
        &tricky_plan(),
        TicketFormat::JiraCsv,
        &TicketOptions::default(),
    );
    assert!(!bytes.starts_with(b"\xef\xbb\xbf"));
    let (headers, records) = read_csv(&bytes);
    assert_eq!(
        headers,
        [
            "Summary",
            "Issue Type",
            "Priority",
            "Labels",
            "Assignee",
            "Description"
        ]
    );
    assert_eq!(records.len(), 4);
    let first = &records[0];
    assert_eq!(&first[0], "Budget, \"phase 1\"");
    assert_eq!(&first[1], "Task");
    assert_eq!(&first[2], "Highest");
    assert_eq!(&first[3], "Sync-triggers");
    assert_eq!(
        &first[4], "",
        "an owner that is no email address is no assignee"
    );
    assert_eq!(
        &first[5],
        "line 1\nline 2\n\nCategory: Sync triggers\nPriority: P0 (must have before launch)\n\
         Owner: Zoë 🚀\nStatus: In progress"
    );
    // Formula guards, as in every CSV of the project.
    assert_eq!(&records[1][0], "'=SUM(A1:A3)");
    assert_eq!(&records[1][2], "High");
    assert_eq!(&records[1][3], "Data-integrity");
    assert_eq!(&records[1][4], "");
    assert!(records[1][5].starts_with("'-42\n\nCategory: Data integrity\n"));
    assert_eq!(&records[2][0], "+1.5", "a plain number is left alone");
    assert_eq!(&records[2][2], "Medium");
    assert_eq!(&records[2][3], "Bandwidth-metered");
    assert!(records[2][5].starts_with("'\tindented | piped\n\n"));
    assert_eq!(&records[3][2], "Low");
    for record in &records {
        for cell in record.iter() {
            assert!(!starts_like_a_formula(cell), "unguarded {cell:?}");
        }
    }

    // An owner written as an email address is the assignee.
    let plan = Plan::new(
        "t",
        vec![row(
            "e",
            "Mail owner",
            "QA & Release",
            Priority::P3,
            " ana@example.com ",
            Status::Done,
            "",
        )],
    );
    let (_, records) = read_csv(&export_tickets(
        &plan,
        TicketFormat::JiraCsv,
        &TicketOptions::default(),
    ));
    assert_eq!(&records[0][3], "QA-Release");
    assert_eq!(&records[0][4], "ana@example.com");
    assert_eq!(
        &records[0][5],
        "Category: QA & Release\nPriority: P3 (nice to have)\nOwner: ana@example.com\n\
         Status: Done"
    );
}

#[test]
fn gitlab_csv_has_title_and_description_and_runs_no_quick_action() {
    let (headers, records) = read_csv(&export_tickets(
        &tricky_plan(),
        TicketFormat::GitlabCsv,
        &TicketOptions::default(),
    ));
    assert_eq!(headers, ["title", "description"]);
    assert_eq!(records.len(), 4);
    assert_eq!(&records[0][0], "Budget, \"phase 1\"");
    assert_eq!(&records[0][1], ticket_body(&tricky_plan().rows[0]));
    assert_eq!(&records[1][0], "'=SUM(A1:A3)");

    let plan = Plan::new(
        "t",
        vec![row(
            "q",
            "Close me",
            "",
            Priority::P2,
            "",
            Status::NotStarted,
            "/close\n  /assign @me\nnot /a command",
        )],
    );
    let (_, records) = read_csv(&export_tickets(
        &plan,
        TicketFormat::GitlabCsv,
        &TicketOptions::default(),
    ));
    assert_eq!(
        &records[0][1],
        "\\/close\n  \\/assign @me\nnot /a command\n\n- Priority: P2 (soon after launch)\n\
         - Status: Not started"
    );
}

#[test]
fn ticket_titles_are_one_line_and_fit() {
    let long = "word ".repeat(80);
    let r = row("l", &long, "", Priority::P2, "", Status::NotStarted, "");
    let title = ticket_title(&r);
    assert_eq!(title.chars().count(), 255);
    assert!(title.ends_with('\u{2026}'));
    assert!(ticket_body(&r).starts_with(&format!("- Item: {}\n", long.trim())));
    let r = row(
        "n",
        " first\nsecond\tthird ",
        "",
        Priority::P2,
        "",
        Status::NotStarted,
        "",
    );
    assert_eq!(ticket_title(&r), "first second third");
    assert_eq!(
        label_safe("  -Sync triggers, \"offline\"  "),
        "Sync-triggers-offline"
    );
    assert_eq!(label_safe("שלום עולם"), "שלום-עולם");
    assert_eq!(label_safe("=@+"), "");
    let label = label_safe(&"ab ".repeat(40));
    assert!(
        label.chars().count() <= 50 && !label.ends_with('-'),
        "{label}"
    );
    assert_eq!(shell_quote("it's"), "'it'\\''s'");
    assert_eq!(jira_priority(Priority::P0), "Highest");
}

#[test]
fn ticket_options_choose_the_rows() {
    let plan = tricky_plan();
    let ids = |options: &TicketOptions| -> Vec<String> {
        ticket_rows(&plan, options)
            .iter()
            .map(|r| r.id.to_string())
            .collect()
    };
    assert_eq!(ids(&TicketOptions::default()), ["a1", "a2", "a3", "a4"]);
    let open = TicketOptions {
        open_only: true,
        ..Default::default()
    };
    assert_eq!(ids(&open), ["a1", "a3", "a4"]);
    let urgent = TicketOptions {
        urgent_only: true,
        ..Default::default()
    };
    assert_eq!(ids(&urgent), ["a1", "a2"]);
    let both = TicketOptions {
        open_only: true,
        urgent_only: true,
        rows: None,
    };
    assert_eq!(ids(&both), ["a1"]);
    let some = TicketOptions {
        rows: Some(vec![RowId::from("a4"), RowId::from("a1")]),
        ..Default::default()
    };
    assert_eq!(ids(&some), ["a1", "a4"]);
    let parsed =
        TicketOptions::from_query("open_only=1&urgent_only&rows=a1,%20a2,&title=x").unwrap();
    assert_eq!(
        parsed,
        TicketOptions {
            open_only: true,
            urgent_only: true,
            rows: Some(vec![RowId::from("a1"), RowId::from("a2")]),
        }
    );
    assert!(TicketOptions::from_query("open_only=maybe").is_err());
    let json: TicketOptions =
        serde_json::from_str(r#"{"urgent_only": true, "rows": ["a2"]}"#).unwrap();
    assert_eq!(ids(&json), ["a2"]);
    // A row without an item is never a ticket.
    let blank = Plan::new("t", vec![Row::blank(RowId::from("b"))]);
    assert_eq!(ticket_rows(&blank, &TicketOptions::default()).len(), 0);
}

#[test]
fn ticket_formats_have_slugs_and_file_names() {
    for f in TicketFormat::ALL {
        assert_eq!(TicketFormat::from_slug(f.slug()), Some(f));
        assert!(Format::from_slug(f.slug()).is_none(), "{}", f.slug());
    }
    assert_eq!(
        TicketFormat::JiraCsv.file_name("Background sync plan"),
        "background-sync-plan-jira.csv"
    );
    assert_eq!(
        TicketFormat::GithubScript.file_name("Q3: Sync"),
        "q3-sync-github-issues.sh"
    );
}

/// The script goes through `bash -n`, then runs against a fake `gh` first on PATH that
/// writes each argument NUL-terminated to a log: every title, body and label arrives byte
/// for byte, and nothing in them runs.
#[cfg(unix)]
#[test]
fn the_github_script_passes_bash_and_gives_gh_every_byte() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    let plan = Plan::new(
        "Shell \"test\" $(touch title-pwned)\nsecond line",
        vec![
            row(
                "s1",
                "It's a \"quoted\" $(touch pwned) `touch pwned2` title",
                "Sync triggers",
                Priority::P0,
                "ana@example.com",
                Status::InProgress,
                "line 1\nline 2 with 'single' and \"double\" quotes\n\
                 $(touch pwned3) `touch pwned4` $HOME ${PATH} \\ \\n !!\n\
                 -- --help\n'; touch pwned5; '",
            ),
            row(
                "s2",
                "--help",
                "-leading dash",
                Priority::P3,
                "",
                Status::NotStarted,
                "-n",
            ),
            row(
                "s3",
                "'; touch pwned6; echo '",
                "a,b \"c\"",
                Priority::P1,
                "",
                Status::Blocked,
                "tab\there\n",
            ),
            row(
                "s4",
                "   ",
                "Skipped: no item",
                Priority::P2,
                "",
                Status::Done,
                "",
            ),
        ],
    );
    let script = String::from_utf8(export_tickets(
        &plan,
        TicketFormat::GithubScript,
        &TicketOptions::default(),
    ))
    .unwrap();
    assert!(script.starts_with("#!/usr/bin/env bash\n"), "{script}");
    assert!(script.contains("\nset -euo pipefail\n"), "{script}");
    assert!(script.contains("--repo OWNER/REPO"), "{script}");

    let dir = tempfile::tempdir().unwrap();
    let script_path = dir.path().join("tickets.sh");
    std::fs::write(script_path.as_path(), script.as_bytes()).unwrap();
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(script_path.as_path())
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );

    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(
        &gh,
        "#!/usr/bin/env bash\n\
         for a in \"$@\"; do printf '%s\\000' \"$a\" >> \"$GH_LOG\"; done\n\
         printf '\\001\\000' >> \"$GH_LOG\"\n",
    )
    .unwrap();
    std::fs::set_permissions(gh.as_path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let log_path = dir.path().join("gh.log");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = Command::new("bash")
        .arg(script_path.as_path())
        .arg("--repo")
        .arg("acme/app")
        .current_dir(dir.path())
        .env("PATH", path)
        .env("GH_LOG", log_path.as_path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "the script failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );

    // The log: each call's arguments, NUL-terminated, then "\u{1}\0".
    let log = String::from_utf8(std::fs::read(log_path.as_path()).unwrap()).unwrap();
    let mut calls: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for arg in log.strip_suffix('\0').unwrap_or(&log).split('\0') {
        if arg == "\u{1}" {
            calls.push(std::mem::take(&mut current));
        } else {
            current.push(arg.to_owned());
        }
    }
    assert!(current.is_empty(), "{current:?}");

    let labels: Vec<&str> = calls
        .iter()
        .filter(|call| call[0] == "label")
        .map(|call| {
            assert_eq!(call[1..4], ["create", "--repo", "acme/app"]);
            call[call.len() - 1].as_str()
        })
        .collect();
    assert_eq!(
        labels,
        ["Sync-triggers", "P0", "leading-dash", "P3", "a-b-c", "P1"]
    );

    let issues: Vec<&Vec<String>> = calls.iter().filter(|call| call[0] == "issue").collect();
    let wanted: Vec<&Row> = ticket_rows(&plan, &TicketOptions::default());
    assert_eq!(wanted.len(), 3);
    assert_eq!(issues.len(), 3);
    for (call, row) in issues.iter().zip(&wanted) {
        assert_eq!(call[1..4], ["create", "--repo", "acme/app"]);
        let values = |flag: &str| -> Vec<String> {
            call.iter()
                .filter_map(|arg| arg.strip_prefix(flag))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(values("--title="), [ticket_title(row)]);
        assert_eq!(values("--body="), [ticket_body(row)]);
        assert_eq!(values("--label="), github_labels(row));
        assert!(ticket_body(row).starts_with(row.notes.trim()));
    }
    // Quotes, $(…), backquotes and line breaks arrive as written.
    assert_eq!(ticket_title(wanted[0]), wanted[0].item);
    assert_eq!(ticket_title(wanted[1]), "--help");
    assert_eq!(ticket_title(wanted[2]), wanted[2].item);
    assert!(ticket_body(wanted[0]).starts_with(&format!("{}\n\n- Category", wanted[0].notes)));
    for name in [
        "title-pwned",
        "pwned",
        "pwned2",
        "pwned3",
        "pwned4",
        "pwned5",
        "pwned6",
    ] {
        assert!(!dir.path().join(name).exists(), "{name} was created");
    }
}
