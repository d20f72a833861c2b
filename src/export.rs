//! Plan → files for Google Sheets, Excel and Notion, files → plan (with a column mapping for
//! other tools' exports), and plan → tickets for Jira, GitLab and GitHub. Pure functions over
//! bytes (server only: the browser posts the plan and downloads what comes back).

mod formats;
mod import;
mod mapping;
mod sheet;
mod tickets;

pub use formats::{export, file_name, Format};
pub use import::{import_csv, import_json, Imported};
pub use mapping::{
    apply, column_keys, import_mapped, preview, priority_from_word, resolve, status_from_word,
    suggest, ColumnPreview, MappingSpec, Preview, Target, Translation, Untranslated, ValueMaps,
};
pub use tickets::{
    export_tickets, github_labels, jira_priority, label_safe, shell_quote, ticket_body,
    ticket_rows, ticket_title, TicketFormat, TicketOptions,
};

#[cfg(test)]
mod tests;
