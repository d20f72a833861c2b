//! Tickets: Jira and GitLab CSV read back as their importers would, titles, options, and
//! the GitHub script run under bash.

use super::super::*;
use super::files::{row, tricky_plan};
use crate::model::{Plan, Priority, Row, RowId, Status};

pub(super) fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<csv::StringRecord>) {
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

pub(super) fn starts_like_a_formula(cell: &str) -> bool {
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
