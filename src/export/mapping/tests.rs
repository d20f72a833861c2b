use super::*;
use std::collections::BTreeMap;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|&r| strings(r)).collect()
}

#[test]
fn header_synonyms_are_placed() {
    let headers = strings(&["Task", "Area", "Priority", "Assignee", "Status", "Comments"]);
    let rows = table(&[&["a", "b", "High", "Ana", "Done", "c"]]);
    assert_eq!(
        suggest(&headers, &rows),
        [
            Target::Item,
            Target::Category,
            Target::Priority,
            Target::Owner,
            Target::Status,
            Target::Notes
        ]
    );
    let headers = strings(&[
        "SUMMARY",
        "issue_type",
        "State",
        "DRI",
        "Details",
        "Severity",
    ]);
    let rows = table(&[&["a", "Bug", "Done", "Ana", "x", "Major"]]);
    assert_eq!(
        suggest(&headers, &rows),
        [
            Target::Item,
            Target::Category,
            Target::Status,
            Target::Owner,
            Target::Notes,
            Target::Priority
        ]
    );
}

#[test]
fn the_surest_header_wins_and_the_others_go_to_notes() {
    // Labels beats Issue Type for Category; Item beats Title; a repeated Labels goes to Notes.
    let headers = strings(&["Title", "Issue Type", "Labels", "Labels", "Item", "Owner"]);
    let rows = table(&[&["t", "Task", "sync", "offline", "i", ""]]);
    assert_eq!(
        suggest(&headers, &rows),
        [
            Target::AddToNotes,
            Target::AddToNotes,
            Target::Category,
            Target::AddToNotes,
            Target::Item,
            Target::Owner
        ]
    );
}

#[test]
fn values_place_columns_with_unknown_headers() {
    let headers = strings(&[
        "What", "Level", "Where", "Who", "Qty", "Empty", "#", "Other",
    ]);
    let rows = table(&[
        &["a", "High", "Done", "ana@example.com", "1", "", "1", "x"],
        &["b", "p0", "to-do", "ben@example.com", "2", " ", "2", ""],
        &["c", "Low", "In Progress", "", "3", "", "3", ""],
    ]);
    assert_eq!(
        suggest(&headers, &rows),
        [
            Target::AddToNotes,
            Target::Priority,
            Target::Status,
            Target::Owner,
            Target::AddToNotes, // bare numbers are not priorities
            Target::Skip,
            Target::Skip,
            Target::AddToNotes,
        ]
    );
    // A second priority-like column does not take Priority twice.
    let headers = strings(&["Priority", "Impact"]);
    let rows = table(&[&["P1", "High"]]);
    assert_eq!(
        suggest(&headers, &rows),
        [Target::Priority, Target::AddToNotes]
    );
}

#[test]
fn vocabularies_translate_and_say_when_the_word_is_kept() {
    let p = priority_from_word;
    assert_eq!(p("Highest"), Some((Priority::P0, false)));
    assert_eq!(p("urgent"), Some((Priority::P0, false)));
    assert_eq!(p("Blocker"), Some((Priority::P0, false)));
    assert_eq!(p("Critical"), Some((Priority::P0, true)));
    assert_eq!(p("Major"), Some((Priority::P1, false)));
    assert_eq!(p("High"), Some((Priority::P1, false)));
    assert_eq!(p("No priority"), Some((Priority::P2, false)));
    assert_eq!(p("Minor"), Some((Priority::P2, false)));
    assert_eq!(p("Trivial"), Some((Priority::P3, false)));
    assert_eq!(p("Lowest"), Some((Priority::P3, true)));
    assert_eq!(p("P4"), Some((Priority::P3, true)));
    assert_eq!(p("P7"), None);
    let s = status_from_word;
    assert_eq!(s("To Do"), Some((Status::NotStarted, false)));
    assert_eq!(s("Backlog"), Some((Status::NotStarted, false)));
    assert_eq!(s("In Progress"), Some((Status::InProgress, false)));
    assert_eq!(s("In Review"), Some((Status::InProgress, true)));
    assert_eq!(s("Won\u{2019}t Do"), Some((Status::Done, true)));
    assert_eq!(s("won't-do"), Some((Status::Done, true)));
    assert_eq!(s("Cancelled"), Some((Status::Done, true)));
    assert_eq!(s("Completed"), Some((Status::Done, false)));
    assert_eq!(s("on hold"), Some((Status::Blocked, false)));
    assert_eq!(s("Triage"), None);
}

#[test]
fn an_untranslated_value_is_reported_with_its_rows_then_mapped() {
    let csv = "Task,State\nA,Triage\nB,Done\nC,triage\nD,Later\n";
    let preview = preview(csv.as_bytes(), &MappingSpec::default()).unwrap();
    let found: Vec<(&str, Vec<usize>)> = preview
        .untranslated
        .iter()
        .map(|u| (u.value.as_str(), u.rows.clone()))
        .collect();
    assert_eq!(
        found,
        [("Triage", vec![1]), ("triage", vec![3]), ("Later", vec![4])]
    );
    assert_eq!(preview.translated[0].value, "Done");
    assert_eq!(preview.translated[0].to, "Done");

    let problems = import_mapped(
        csv.as_bytes(),
        &MappingSpec::default(),
        "t",
        &mut IdGen::new(1),
    )
    .unwrap_err();
    let located: Vec<_> = problems
        .iter()
        .map(|p| (p.row, p.field.as_deref()))
        .collect();
    assert_eq!(
        located,
        [
            (Some(1), Some("status")),
            (Some(3), Some("status")),
            (Some(4), Some("status"))
        ]
    );
    assert!(problems[0].message.contains("\"Triage\""));

    let spec = MappingSpec::from_json(
        r#"{"values": {"status": {"TRIAGE": "Not started", "later": "blocked"}}}"#,
    )
    .unwrap();
    let rows = import_mapped(csv.as_bytes(), &spec, "t", &mut IdGen::new(1))
        .unwrap()
        .plan
        .rows;
    let statuses: Vec<Status> = rows.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            Status::NotStarted,
            Status::Done,
            Status::NotStarted,
            Status::Blocked
        ]
    );
    assert_eq!(rows[0].notes, "", "a word the user mapped is not repeated");
}

#[test]
fn lossy_words_and_unplaced_columns_are_kept_in_notes() {
    let csv = "Title,Status,Priority,Notes,Sprint,Empty\n\
               A,Won't Do,Lowest,\"first\nsecond\",S1,\n";
    let imported = import_mapped(
        csv.as_bytes(),
        &MappingSpec::default(),
        "t",
        &mut IdGen::new(2),
    )
    .unwrap();
    let row = &imported.plan.rows[0];
    assert_eq!(row.status, Status::Done);
    assert_eq!(row.priority, Priority::P3);
    assert_eq!(
        row.notes,
        "first\nsecond\nStatus: Won't Do\nPriority: Lowest\nSprint: S1"
    );
    assert_eq!(imported.noted_columns, ["Sprint"]);
    assert_eq!(imported.ignored_columns, ["Sprint", "Empty"]);
}

#[test]
fn a_mapping_from_json_or_query_changes_the_suggestion() {
    let csv = "Task,Area,Labels,Comments\nA,Sync,backend,hello\n";
    let json = r#"{"columns": {"labels": "category", "Comments": "skip"}}"#;
    let from_json = MappingSpec::from_json(json).unwrap();
    let from_query =
        MappingSpec::from_query("title=x&column.labels=category&column.Comments=skip").unwrap();
    assert_eq!(from_json, from_query);
    let preview = preview(csv.as_bytes(), &from_json).unwrap();
    let targets: Vec<Target> = preview.columns.iter().map(|c| c.target).collect();
    // Labels takes Category explicitly, so Area (suggested Category) goes to Notes.
    assert_eq!(
        targets,
        [
            Target::Item,
            Target::AddToNotes,
            Target::Category,
            Target::Skip
        ]
    );
    assert_eq!(preview.columns[1].suggested, Target::Category);
    let row = import_mapped(csv.as_bytes(), &from_json, "t", &mut IdGen::new(3))
        .unwrap()
        .plan
        .rows
        .remove(0);
    assert_eq!(row.category, "backend");
    assert_eq!(row.notes, "Area: Sync");

    let query = MappingSpec::from_query(
        "column.Task=ITEM&priority.Sev+5=p3&status.In%20triage=Not%20started",
    )
    .unwrap();
    assert_eq!(query.columns["Task"], Target::Item);
    assert_eq!(query.values.priority["Sev 5"], Priority::P3);
    assert_eq!(query.values.status["In triage"], Status::NotStarted);
    assert!(MappingSpec::from_query("column.Task=title").is_err());
    assert!(MappingSpec::from_query("priority.x=P9").is_err());
    assert!(MappingSpec::from_json(r#"{"columns": {"Task": "title"}}"#).is_err());
    assert!(MappingSpec::from_json(r#"{"colums": {}}"#).is_err());
}

#[test]
fn a_mapping_that_names_a_missing_column_or_a_field_twice_is_refused() {
    let csv = "Task,Notes\nA,b\n";
    let spec = MappingSpec::from_query("column.Taks=item").unwrap();
    let problems = preview(csv.as_bytes(), &spec).unwrap_err();
    assert!(problems[0].message.contains("\"Taks\""), "{problems:?}");
    assert!(problems[0].message.contains("Task, Notes"));
    let spec = MappingSpec::from_query("column.Task=notes&column.Notes=notes").unwrap();
    let problems = import_mapped(csv.as_bytes(), &spec, "t", &mut IdGen::new(1)).unwrap_err();
    assert_eq!(problems[0].field.as_deref(), Some("notes"));
    let problems = apply(
        csv.as_bytes(),
        &[Target::Item],
        &ValueMaps::default(),
        "t",
        &mut IdGen::new(1),
    )
    .unwrap_err();
    assert!(problems[0].message.contains("2."));
}

#[test]
fn repeated_headers_get_keys_of_their_own() {
    let keys = column_keys(&strings(&["Labels", "labels", "", "Labels", "Labels (2)"]));
    assert_eq!(
        keys,
        [
            "Labels",
            "labels (2)",
            "Column 3",
            "Labels (3)",
            "Labels (2) (2)"
        ]
    );
}

#[test]
fn preview_samples_are_short_and_distinct() {
    let long = "x".repeat(70);
    let csv = format!("Item,Notes\na,{long}\na,{long}\nb,\nc,\nd,\n");
    let preview = preview(csv.as_bytes(), &MappingSpec::default()).unwrap();
    assert_eq!(preview.rows, 5);
    assert_eq!(preview.columns[0].samples, ["a", "b", "c"]);
    assert_eq!(preview.columns[0].filled, 5);
    assert_eq!(preview.columns[1].samples.len(), 1);
    assert_eq!(preview.columns[1].samples[0].chars().count(), 61);
    assert_eq!(preview.columns[1].filled, 2);
    let json = serde_json::to_value(&preview).unwrap();
    assert_eq!(json["columns"][1]["target"], "notes");
    assert_eq!(json["columns"][0]["key"], "Item");
}

// ----- fixtures: real export shapes, hand-written from each tool's documented format -----

/// Every non-empty cell of the file is in the plan: its text in the mapped field or in
/// Notes, a priority or status translated (and in Notes when the word is kept).
fn assert_nothing_lost(bytes: &[u8], targets: &[Target], values: &ValueMaps, plan: &Plan) {
    let table = read_table(bytes).unwrap();
    assert_eq!(plan.rows.len(), table.rows.len());
    for (row, cells) in plan.rows.iter().zip(&table.rows) {
        for ((cell, target), header) in cells.iter().zip(targets).zip(&table.headers) {
            let text = unguard_cell(cell).replace("\r\n", "\n");
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            match target {
                Target::Skip => panic!("{text:?} in {header} was skipped"),
                Target::Priority => {
                    let (priority, keep) = values.translate_priority(text).unwrap();
                    assert_eq!(row.priority, priority, "{text}");
                    assert!(!keep || row.notes.contains(text), "{text}");
                }
                Target::Status => {
                    let (status, keep) = values.translate_status(text).unwrap();
                    assert_eq!(row.status, status, "{text}");
                    assert!(!keep || row.notes.contains(text), "{text}");
                }
                _ => assert!(
                    [&row.item, &row.category, &row.owner, &row.notes]
                        .iter()
                        .any(|field| field.contains(text)),
                    "{text:?} from {header} is not in {row:?}"
                ),
            }
        }
    }
}

/// Checks the suggestion (columns not named: Notes when they have text, else skipped),
/// imports with it and `values`, and checks that nothing was lost.
fn fixture(bytes: &[u8], expected: &[(&str, Target)], values: ValueMaps) -> Plan {
    let spec = MappingSpec {
        columns: BTreeMap::new(),
        values,
    };
    let preview = preview(bytes, &spec).unwrap();
    for (key, _) in expected {
        assert!(
            preview.columns.iter().any(|c| c.key == *key),
            "no column {key}"
        );
    }
    for column in &preview.columns {
        let default = if column.filled > 0 {
            Target::AddToNotes
        } else {
            Target::Skip
        };
        let want = expected
            .iter()
            .find(|(key, _)| *key == column.key)
            .map_or(default, |(_, t)| *t);
        assert_eq!(column.suggested, want, "column {}", column.key);
    }
    assert!(preview.problems.is_empty(), "{:?}", preview.problems);
    assert!(
        preview.untranslated.is_empty(),
        "{:?}",
        preview.untranslated
    );
    let targets: Vec<Target> = preview.columns.iter().map(|c| c.target).collect();
    let plan = import_mapped(bytes, &spec, "Imported", &mut IdGen::new(9))
        .unwrap()
        .plan;
    assert_nothing_lost(bytes, &targets, &spec.values, &plan);
    plan
}

const PLAN_COLUMNS: [Target; 6] = [
    Target::Item,
    Target::Category,
    Target::Priority,
    Target::Owner,
    Target::Status,
    Target::Notes,
];

#[test]
fn google_sheets_with_custom_headers() {
    let bytes = include_bytes!("../../../tests/fixtures/import/google-sheets.csv");
    let headers = ["Task", "Area", "Priority", "Assignee", "Status", "Comments"];
    let expected: Vec<(&str, Target)> = headers.into_iter().zip(PLAN_COLUMNS).collect();
    let plan = fixture(bytes, &expected, ValueMaps::default());
    let row = &plan.rows[0];
    assert_eq!(row.item, "Queue offline writes");
    assert_eq!(row.category, "Sync triggers");
    assert_eq!(row.priority, Priority::P1);
    assert_eq!(row.owner, "Ana Lima");
    assert_eq!(row.status, Status::InProgress);
    assert_eq!(
        row.notes,
        "Use an outbox table; see \"Outbox\" doc.\nRetry with backoff."
    );
    assert_eq!(plan.rows[2].item, "Budget, phase 1");
    assert_eq!(plan.rows[2].notes, "=2+2 stays text");
    assert_eq!(plan.rows[3].priority, Priority::P0);
    assert_eq!(plan.rows[3].owner, "Zoë 🚀");
}

#[test]
fn excel_csv_with_bom_crlf_and_custom_headers() {
    let bytes = include_bytes!("../../../tests/fixtures/import/excel.csv");
    assert!(bytes.starts_with(b"\xef\xbb\xbf"));
    let headers = [
        "Title",
        "Type",
        "Severity",
        "Responsible",
        "Stage",
        "Details",
    ];
    let mut expected: Vec<(&str, Target)> = headers.into_iter().zip(PLAN_COLUMNS).collect();
    expected.push(("Due date", Target::AddToNotes));
    let plan = fixture(bytes, &expected, ValueMaps::default());
    let row = &plan.rows[0];
    assert_eq!(row.item, "Background fetch budget");
    assert_eq!(row.priority, Priority::P0);
    assert_eq!(row.status, Status::InProgress);
    assert_eq!(
        row.notes,
        "iOS gives about 30 s\nper wake-up\nSeverity: Critical\nStage: In Review\n\
         Due date: 01/03/2026"
    );
    assert_eq!(plan.rows[1].status, Status::Done);
    assert_eq!(plan.rows[1].notes, "Replaced by push\nStage: Won't Do");
    assert_eq!(plan.rows[2].priority, Priority::P1);
    assert_eq!(plan.rows[2].notes, "-42\nDue date: 15/02/2026");
}

#[test]
fn jira_export_excel_csv_all_fields() {
    let bytes = include_bytes!("../../../tests/fixtures/import/jira.csv");
    let expected = [
        ("Summary", Target::Item),
        ("Issue Type", Target::AddToNotes),
        ("Status", Target::Status),
        ("Priority", Target::Priority),
        ("Assignee", Target::Owner),
        ("Labels", Target::Category),
        ("Labels (2)", Target::AddToNotes),
        ("Description", Target::Notes),
        ("Watchers (2)", Target::AddToNotes),
    ];
    let plan = fixture(bytes, &expected, ValueMaps::default());
    let row = &plan.rows[0];
    assert_eq!(row.item, "Queue offline writes");
    assert_eq!(row.category, "sync");
    assert_eq!(row.priority, Priority::P0);
    assert_eq!(row.owner, "ana@example.com");
    assert_eq!(row.status, Status::InProgress);
    assert!(row
        .notes
        .starts_with("Use an outbox table.\nRetry with \"exponential\" backoff.\n"));
    assert!(row.notes.contains("\nIssue key: SYNC-1\n"));
    assert!(row.notes.contains("\nLabels: offline\n"));
    assert_eq!(plan.rows[1].status, Status::NotStarted);
    assert_eq!(plan.rows[2].priority, Priority::P3);
    assert!(plan.rows[2].notes.contains("\nPriority: Lowest"));
    assert!(plan.rows[2].notes.contains("\nResolution: Won't Do"));
    assert_eq!(plan.rows[3].status, Status::InProgress);
    assert!(plan.rows[3].notes.contains("\nStatus: In Review"));
}

#[test]
fn linear_csv_export_with_a_triage_status_mapped_once() {
    let bytes = include_bytes!("../../../tests/fixtures/import/linear.csv");
    let preview = preview(bytes, &MappingSpec::default()).unwrap();
    assert_eq!(preview.untranslated.len(), 1);
    assert_eq!(preview.untranslated[0].value, "Triage");
    assert_eq!(preview.untranslated[0].column, "Status");
    assert_eq!(preview.untranslated[0].rows, [2]);
    let mut values = ValueMaps::default();
    values
        .status
        .insert("Triage".to_owned(), Status::NotStarted);
    let expected = [
        ("Title", Target::Item),
        ("Labels", Target::Category),
        ("Priority", Target::Priority),
        ("Assignee", Target::Owner),
        ("Status", Target::Status),
        ("Description", Target::Notes),
        ("Creator", Target::AddToNotes),
    ];
    let plan = fixture(bytes, &expected, values);
    assert_eq!(plan.rows[0].priority, Priority::P0);
    assert_eq!(plan.rows[0].category, "Feature, Sync");
    assert_eq!(plan.rows[1].status, Status::NotStarted);
    assert_eq!(plan.rows[1].owner, "");
    assert_eq!(plan.rows[2].status, Status::Done);
    assert_eq!(plan.rows[2].priority, Priority::P2);
    assert!(plan.rows[2].notes.contains("\nStatus: Canceled"));
    assert!(plan.rows[0].notes.starts_with("Outbox table.\n\n- retry"));
}

#[test]
fn asana_csv_export() {
    let bytes = include_bytes!("../../../tests/fixtures/import/asana.csv");
    let expected = [
        ("Name", Target::Item),
        ("Section/Column", Target::Category),
        ("Assignee", Target::Owner),
        ("Assignee Email", Target::AddToNotes),
        ("Tags", Target::AddToNotes),
        ("Notes", Target::Notes),
        ("Start Date", Target::Skip),
    ];
    let plan = fixture(bytes, &expected, ValueMaps::default());
    assert_eq!(plan.rows[0].item, "Queue offline writes");
    assert_eq!(plan.rows[0].category, "Doing");
    assert!(plan.rows[0].notes.contains("\nTags: sync,offline"));
    assert!(plan.rows[1].notes.contains("Completed At: 2024-05-04"));
    assert!(plan.rows[2]
        .notes
        .starts_with("Covers 'single' and \"double\" quotes"));
}

#[test]
fn github_projects_view_export_is_tab_separated() {
    let bytes = include_bytes!("../../../tests/fixtures/import/github-projects.tsv");
    let expected = [
        ("Title", Target::Item),
        ("Assignees", Target::Owner),
        ("Status", Target::Status),
        ("Labels", Target::Category),
        ("Priority", Target::Priority),
        ("URL", Target::AddToNotes),
    ];
    let plan = fixture(bytes, &expected, ValueMaps::default());
    assert_eq!(plan.rows[0].owner, "octocat, hubot");
    assert_eq!(plan.rows[0].category, "enhancement, sync");
    assert_eq!(plan.rows[1].item, "Draft: conflict rules");
    assert_eq!(plan.rows[1].priority, Priority::P1);
    assert_eq!(plan.rows[2].status, Status::Done);
}

#[test]
fn notion_database_csv() {
    let bytes = include_bytes!("../../../tests/fixtures/import/notion.csv");
    let expected = [
        ("Task name", Target::Item),
        ("Status", Target::Status),
        ("Assignee", Target::Owner),
        ("Priority", Target::Priority),
        ("Task type", Target::Category),
        ("Description", Target::Notes),
        ("Due", Target::AddToNotes),
        ("Effort level", Target::AddToNotes),
    ];
    let plan = fixture(bytes, &expected, ValueMaps::default());
    assert_eq!(plan.rows[0].category, "Feature request, Polish");
    assert_eq!(plan.rows[0].status, Status::InProgress);
    assert!(plan.rows[0]
        .notes
        .ends_with("\nDue: May 20, 2024\nEffort level: Medium"));
    assert_eq!(plan.rows[2].notes.lines().next(), Some("Cases:"));
}
