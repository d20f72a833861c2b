//! What the import's column mapping looks like on the wire: where each source column goes,
//! translations for values, and the preview the server shows before anything is imported.
//! The server decides (`export::mapping`); the import panel shows and edits; curl users send
//! the same mapping as JSON or query parameters.

use crate::model::{Field, Priority, Problem, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where one source column goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    Item,
    Category,
    Priority,
    Owner,
    Status,
    Notes,
    /// Appended to Notes, one line per column: `Column: value`.
    AddToNotes,
    /// Not imported.
    Skip,
}

impl Target {
    pub const ALL: [Target; 8] = [
        Target::Item,
        Target::Category,
        Target::Priority,
        Target::Owner,
        Target::Status,
        Target::Notes,
        Target::AddToNotes,
        Target::Skip,
    ];

    /// The plan column this target fills, if it is one.
    pub fn field(self) -> Option<Field> {
        match self {
            Target::Item => Some(Field::Item),
            Target::Category => Some(Field::Category),
            Target::Priority => Some(Field::Priority),
            Target::Owner => Some(Field::Owner),
            Target::Status => Some(Field::Status),
            Target::Notes => Some(Field::Notes),
            Target::AddToNotes | Target::Skip => None,
        }
    }

    /// The name in mappings: `item`, …, `add-to-notes`, `skip` (as serde writes it).
    pub fn slug(self) -> &'static str {
        match self {
            Target::Item => "item",
            Target::Category => "category",
            Target::Priority => "priority",
            Target::Owner => "owner",
            Target::Status => "status",
            Target::Notes => "notes",
            Target::AddToNotes => "add-to-notes",
            Target::Skip => "skip",
        }
    }

    /// Reads a slug in any case.
    pub fn from_slug(slug: &str) -> Option<Target> {
        let slug = slug.trim();
        Target::ALL
            .into_iter()
            .find(|t| t.slug().eq_ignore_ascii_case(slug))
    }

    /// What the import preview's drop-down shows.
    pub fn label(self) -> &'static str {
        match self {
            Target::AddToNotes => "Add to Notes as \u{201c}Column: value\u{201d}",
            Target::Skip => "Don't import",
            other => other.field().map(Field::header).unwrap_or_default(),
        }
    }
}

impl From<Field> for Target {
    fn from(field: Field) -> Target {
        match field {
            Field::Item => Target::Item,
            Field::Category => Target::Category,
            Field::Priority => Target::Priority,
            Field::Owner => Target::Owner,
            Field::Status => Target::Status,
            Field::Notes => Target::Notes,
        }
    }
}

/// Values the caller translated, e.g. `"Triage" → Not started`, for all rows at once. Keys
/// match in any case, with `-`, `_` and spaces alike. They win over the vocabularies; the
/// original word is not kept in Notes (the user chose).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValueMaps {
    pub priority: BTreeMap<String, Priority>,
    pub status: BTreeMap<String, Status>,
}

/// A mapping as the browser or a curl user sends it: targets for some columns (by key) and
/// translations for values. See the module documentation for both forms.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MappingSpec {
    pub columns: BTreeMap<String, Target>,
    pub values: ValueMaps,
}

impl MappingSpec {
    /// Reads the JSON form.
    pub fn from_json(text: &str) -> Result<MappingSpec, Problem> {
        serde_json::from_str(text).map_err(|e| {
            Problem::invalid(None, None, format!("The mapping could not be read: {e}."))
        })
    }
}

/// What the import panel shows before anything is imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub columns: Vec<ColumnPreview>,
    /// Rows with text.
    pub rows: usize,
    /// Priority and Status values we translate, and to what.
    pub translated: Vec<Translation>,
    /// Priority and Status values we cannot translate: each needs a value map (or another
    /// target for its column) before the import can go ahead.
    pub untranslated: Vec<Untranslated>,
    /// Rows longer than the header, and a CSV error that stopped the reading.
    pub problems: Vec<Problem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnPreview {
    /// The header as in the file (trimmed; may be empty).
    pub header: String,
    /// The unique name mappings use for this column.
    pub key: String,
    /// Where the column goes with the mapping given (the suggestion when none was).
    pub target: Target,
    /// What we suggested.
    pub suggested: Target,
    /// Up to three different values, each cut at 60 characters.
    pub samples: Vec<String>,
    /// How many rows have text in this column.
    pub filled: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translation {
    pub column: String,
    pub field: Field,
    pub value: String,
    /// `P0` … or `Not started` …
    pub to: String,
    /// Whether the original word is added to Notes (`Column: value`).
    pub kept_in_notes: bool,
    pub count: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Untranslated {
    pub column: String,
    pub field: Field,
    pub value: String,
    /// The first 20 row numbers (1-based, rows with text) that hold it.
    pub rows: Vec<usize>,
    pub count: usize,
}
