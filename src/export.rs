//! Plan → files for Google Sheets, Excel and Notion, and files → plan. Pure functions over
//! bytes (server only: the browser posts the plan and downloads what comes back).

mod formats;
mod import;

pub use formats::{export, file_name, Format};
pub use import::{import_csv, import_json, Imported};

#[cfg(test)]
mod tests;
