//! Plan → engineering tickets: a CSV for Jira's importer (which Linear's and other trackers'
//! Jira importers also read), a CSV for GitLab's issue import, and a bash script of
//! `gh issue create` commands for GitHub. Pure functions over the plan; which rows become
//! tickets is chosen with [`TicketOptions`].
//!
//! Formats as documented by each tool (checked when this was written; see README):
//! - Jira Cloud, "Prepare a CSV file for import": a header row with a Summary column, every
//!   field present on every row, values with commas or line breaks in double quotes, people
//!   as email addresses. Labels cannot contain spaces.
//! - GitLab, "Importing issues from CSV": header row with `title` and `description` (any
//!   case), comma separated, double quotes, CRLF or LF. A description line starting with `/`
//!   would run as a quick action, so such lines are escaped.
//! - GitHub CLI manual, `gh issue create` (`--title`, `--body`, `--label` repeatable and
//!   split at commas, `-R/--repo`) and `gh label create <name>` (an issue cannot take a label
//!   the repository does not have, so the script creates them first).

use super::formats::{base_name, csv_writer, finish};
use super::mapping::looks_like_email;
use crate::model::{guard_cell, Plan, Priority, Problem, Row, RowId, Status};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketFormat {
    /// Summary, Issue Type, Priority, Labels, Assignee, Description.
    JiraCsv,
    /// title, description.
    GitlabCsv,
    /// `#!/usr/bin/env bash`, one `gh issue create` per row.
    GithubScript,
}

impl TicketFormat {
    pub const ALL: [TicketFormat; 3] = [
        TicketFormat::JiraCsv,
        TicketFormat::GitlabCsv,
        TicketFormat::GithubScript,
    ];

    /// The name in URLs: `jira-csv`, `gitlab-csv`, `github-script`.
    pub fn slug(self) -> &'static str {
        match self {
            TicketFormat::JiraCsv => "jira-csv",
            TicketFormat::GitlabCsv => "gitlab-csv",
            TicketFormat::GithubScript => "github-script",
        }
    }

    pub fn from_slug(slug: &str) -> Option<TicketFormat> {
        TicketFormat::ALL.into_iter().find(|f| f.slug() == slug)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            TicketFormat::JiraCsv | TicketFormat::GitlabCsv => "text/csv; charset=utf-8",
            TicketFormat::GithubScript => "text/x-shellscript; charset=utf-8",
        }
    }

    /// The download name, from the plan title.
    pub fn file_name(self, title: &str) -> String {
        let suffix = match self {
            TicketFormat::JiraCsv => "-jira.csv",
            TicketFormat::GitlabCsv => "-gitlab.csv",
            TicketFormat::GithubScript => "-github-issues.sh",
        };
        format!("{}{suffix}", base_name(title))
    }
}

/// Which rows become tickets. Rows without an Item never do (a ticket needs a title).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TicketOptions {
    /// Leave out rows whose status is Done.
    pub open_only: bool,
    /// Only P0 and P1 rows.
    pub urgent_only: bool,
    /// Only these rows (for example the rows the table's filter shows), in plan order.
    pub rows: Option<Vec<RowId>>,
}

impl TicketOptions {
    pub fn includes(&self, row: &Row) -> bool {
        if row.item.trim().is_empty() {
            return false;
        }
        if self.open_only && row.status == Status::Done {
            return false;
        }
        if self.urgent_only && row.priority > Priority::P1 {
            return false;
        }
        self.rows.as_ref().is_none_or(|ids| ids.contains(&row.id))
    }

    /// Reads `open_only=1&urgent_only=true&rows=r1,r2` (all optional; `1`, `true`, `yes`,
    /// `on` or nothing turn a switch on; `0`, `false`, `no`, `off` leave it off). Other
    /// parameters are left to the caller.
    pub fn from_query(query: &str) -> Result<TicketOptions, Problem> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| Problem::invalid(None, None, "The query string could not be read."))?;
        let mut options = TicketOptions::default();
        for (name, value) in pairs {
            match name.as_str() {
                "open_only" => options.open_only = switch(&name, &value)?,
                "urgent_only" => options.urgent_only = switch(&name, &value)?,
                "rows" => {
                    options.rows = Some(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|id| !id.is_empty())
                            .map(RowId::from)
                            .collect(),
                    )
                }
                _ => {}
            }
        }
        Ok(options)
    }
}

fn switch(name: &str, value: &str) -> Result<bool, Problem> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Problem::invalid(
            None,
            Some(name),
            format!("\"{value}\" is not a yes or no for {name}; use 1 or 0."),
        )),
    }
}

/// The rows `options` selects, in plan order.
pub fn ticket_rows<'a>(plan: &'a Plan, options: &TicketOptions) -> Vec<&'a Row> {
    plan.rows
        .iter()
        .filter(|row| options.includes(row))
        .collect()
}

pub fn export_tickets(plan: &Plan, format: TicketFormat, options: &TicketOptions) -> Vec<u8> {
    match format {
        TicketFormat::JiraCsv => jira_csv(plan, options),
        TicketFormat::GitlabCsv => gitlab_csv(plan, options),
        TicketFormat::GithubScript => github_script(plan, options).into_bytes(),
    }
}

/// Jira's, GitLab's and GitHub's limit for a title is 255 characters or a little more.
const MAX_TITLE_CHARS: usize = 255;

/// The ticket title: the Item on one line (line breaks and tabs become spaces), cut at 255
/// characters with `…` (the full Item is then in the description).
pub fn ticket_title(row: &Row) -> String {
    let one_line: String = row
        .item
        .trim()
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    if one_line.chars().count() <= MAX_TITLE_CHARS {
        return one_line;
    }
    let mut title: String = one_line.chars().take(MAX_TITLE_CHARS - 1).collect();
    title.push('\u{2026}');
    title
}

/// Category, priority, owner and status as lines, and the whole Item when the title is not.
fn details(row: &Row) -> Vec<String> {
    let mut lines = Vec::new();
    if ticket_title(row) != row.item.trim() {
        lines.push(format!("Item: {}", row.item.trim()));
    }
    if !row.category.trim().is_empty() {
        lines.push(format!("Category: {}", row.category.trim()));
    }
    lines.push(format!(
        "Priority: {} ({})",
        row.priority.as_str(),
        row.priority.meaning()
    ));
    if !row.owner.trim().is_empty() {
        lines.push(format!("Owner: {}", row.owner.trim()));
    }
    lines.push(format!("Status: {}", row.status.as_str()));
    lines
}

/// The notes as written, a blank line, then the details, each line after `bullet`.
fn describe(row: &Row, bullet: &str) -> String {
    let mut out = String::with_capacity(row.notes.len() + 160);
    if !row.notes.trim().is_empty() {
        out.push_str(&row.notes);
        out.push_str("\n\n");
    }
    let lines: Vec<String> = details(row)
        .into_iter()
        .map(|line| format!("{bullet}{line}"))
        .collect();
    out.push_str(&lines.join("\n"));
    out
}

/// The issue body for GitHub (Markdown): the notes, then a list of the row's other columns.
pub fn ticket_body(row: &Row) -> String {
    describe(row, "- ")
}

/// Jira's words for our levels (its default scheme: Highest, High, Medium, Low, Lowest).
pub fn jira_priority(priority: Priority) -> &'static str {
    match priority {
        Priority::P0 => "Highest",
        Priority::P1 => "High",
        Priority::P2 => "Medium",
        Priority::P3 => "Low",
    }
}

/// A label every tracker takes as one label: letters, digits, `_` and `.`; every other run
/// (spaces, which Jira labels cannot hold; commas, at which `gh --label` splits; quotes)
/// becomes one `-`, never at either end. At most 50 characters.
pub fn label_safe(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut gap = false;
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' || c == '.' {
            if gap && !out.is_empty() {
                if count + 2 > 50 {
                    break;
                }
                out.push('-');
                count += 1;
            }
            if count + 1 > 50 {
                break;
            }
            out.push(c);
            count += 1;
            gap = false;
        } else {
            gap = true;
        }
    }
    out
}

fn jira_csv(plan: &Plan, options: &TicketOptions) -> Vec<u8> {
    let mut w = csv_writer(64 + plan.rows.len() * 300);
    let _ = w.write_record([
        "Summary",
        "Issue Type",
        "Priority",
        "Labels",
        "Assignee",
        "Description",
    ]);
    for row in ticket_rows(plan, options) {
        let summary = ticket_title(row);
        let label = label_safe(&row.category);
        let owner = row.owner.trim();
        let assignee = if looks_like_email(owner) { owner } else { "" };
        let description = describe(row, "");
        let _ = w.write_record([
            &*guard_cell(&summary),
            "Task",
            jira_priority(row.priority),
            &*guard_cell(&label),
            &*guard_cell(assignee),
            &*guard_cell(&description),
        ]);
    }
    finish(w)
}

/// A line starting with `/` in a GitLab description runs as a quick action (`/close`,
/// `/assign`); `\/` shows the same text and runs nothing.
fn without_quick_actions(text: &str) -> String {
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            let rest = line.trim_start();
            if rest.starts_with('/') {
                let indent = &line[..line.len() - rest.len()];
                format!("{indent}\\{rest}")
            } else {
                line.to_owned()
            }
        })
        .collect();
    lines.join("\n")
}

fn gitlab_csv(plan: &Plan, options: &TicketOptions) -> Vec<u8> {
    let mut w = csv_writer(64 + plan.rows.len() * 300);
    let _ = w.write_record(["title", "description"]);
    for row in ticket_rows(plan, options) {
        let title = ticket_title(row);
        let description = without_quick_actions(&ticket_body(row));
        let _ = w.write_record([&*guard_cell(&title), &*guard_cell(&description)]);
    }
    finish(w)
}

/// `text` as one bash word: in single quotes, where nothing is expanded (`$`, backquotes,
/// `\` and line breaks are literal); each `'` is written `'\''` (end the quotes, an escaped
/// quote, quote again). NUL, which no argument can hold, is dropped.
pub fn shell_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Text for a `#` comment line: one line.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The labels of a row's issue: its category (label-safe) and its priority.
pub fn github_labels(row: &Row) -> Vec<String> {
    let mut labels = Vec::with_capacity(2);
    let category = label_safe(&row.category);
    if !category.is_empty() {
        labels.push(category);
    }
    labels.push(row.priority.as_str().to_owned());
    labels
}

fn github_script(plan: &Plan, options: &TicketOptions) -> String {
    let rows: Vec<&Row> = ticket_rows(plan, options);
    let mut out = String::with_capacity(1024 + rows.len() * 400);
    out.push_str("#!/usr/bin/env bash\n");
    out.push_str(&format!(
        "# {} GitHub issue(s) from the plan \"{}\", made by syncplan.\n",
        rows.len(),
        comment_text(plan.title.trim())
    ));
    out.push_str(concat!(
        "#\n",
        "# Needs the GitHub CLI (https://cli.github.com), signed in with `gh auth login`.\n",
        "# Run it inside a clone of the repository:   bash this-file.sh\n",
        "# or name the repository:                    bash this-file.sh --repo OWNER/REPO\n",
        "# Every argument is passed on to each gh command (${1+\"$@\"} is \"$@\", written so that\n",
        "# bash 3.2 with `set -u` accepts none). Labels are created first; a label that already\n",
        "# exists is left as it is.\n",
        "set -euo pipefail\n",
    ));

    let mut labels: Vec<String> = Vec::new();
    for row in &rows {
        for label in github_labels(row) {
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
    }
    if !labels.is_empty() {
        out.push('\n');
    }
    for label in &labels {
        // Label names never start with `-` (see `label_safe`), so none reads as an option.
        out.push_str(&format!(
            "gh label create ${{1+\"$@\"}} {} 2>/dev/null || true\n",
            shell_quote(label)
        ));
    }
    for row in &rows {
        out.push_str("\ngh issue create ${1+\"$@\"} \\\n");
        out.push_str(&format!(
            "  --title={} \\\n",
            shell_quote(&ticket_title(row))
        ));
        out.push_str(&format!("  --body={}", shell_quote(&ticket_body(row))));
        for label in github_labels(row) {
            out.push_str(&format!(" \\\n  --label={}", shell_quote(&label)));
        }
        out.push('\n');
    }
    out
}
