//! The plan document: a titled, ordered list of checklist rows.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The plan document's current schema version (see `migrate` for older ones).
pub const PLAN_SCHEMA: u32 = 1;

/// A row's stable identity inside one plan. Never shown to users.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RowId(pub String);

impl RowId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RowId {
    fn from(s: &str) -> Self {
        RowId(s.to_owned())
    }
}

/// How urgent a row is: P0 (must have before launch) to P3 (nice to have).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    P0,
    P1,
    #[default]
    P2,
    P3,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P0, Priority::P1, Priority::P2, Priority::P3];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P0 => "P0",
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
        }
    }

    /// What the level means, for tooltips and screen readers.
    pub fn meaning(self) -> &'static str {
        match self {
            Priority::P0 => "must have before launch",
            Priority::P1 => "should have at launch",
            Priority::P2 => "soon after launch",
            Priority::P3 => "nice to have",
        }
    }

    /// Reads a priority as people write it in spreadsheets: `P1`, `p1`, `1`, `High`, …
    pub fn parse(text: &str) -> Option<Priority> {
        let t = text.trim().to_ascii_lowercase();
        Some(match t.as_str() {
            "p0" | "0" | "critical" | "blocker" | "urgent" | "highest" => Priority::P0,
            "p1" | "1" | "high" => Priority::P1,
            "p2" | "2" | "medium" | "med" | "normal" => Priority::P2,
            "p3" | "3" | "low" | "lowest" => Priority::P3,
            _ => return None,
        })
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a row stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    #[default]
    NotStarted,
    InProgress,
    Blocked,
    Done,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::NotStarted,
        Status::InProgress,
        Status::Blocked,
        Status::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "Not started",
            Status::InProgress => "In progress",
            Status::Blocked => "Blocked",
            Status::Done => "Done",
        }
    }

    /// A short machine-friendly name, used for CSS classes.
    pub fn slug(self) -> &'static str {
        match self {
            Status::NotStarted => "not-started",
            Status::InProgress => "in-progress",
            Status::Blocked => "blocked",
            Status::Done => "done",
        }
    }

    /// Reads a status as people write it: `Done`, `done`, `complete`, `todo`, `doing`, …
    pub fn parse(text: &str) -> Option<Status> {
        let t: String = text
            .trim()
            .chars()
            .map(|c| if c == '-' || c == '_' { ' ' } else { c })
            .collect::<String>()
            .to_lowercase();
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        Some(match t.as_str() {
            "not started" | "todo" | "to do" | "open" | "new" | "backlog" | "planned" => {
                Status::NotStarted
            }
            "in progress" | "doing" | "started" | "wip" | "active" | "ongoing" => {
                Status::InProgress
            }
            "blocked" | "on hold" | "waiting" | "stuck" => Status::Blocked,
            "done" | "complete" | "completed" | "finished" | "closed" | "shipped" => Status::Done,
            _ => return None,
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! serde_as_text {
    ($ty:ty, $what:literal, $accepted:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                <$ty>::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        concat!("\"{}\" is not a ", $what, ": use ", $accepted),
                        text
                    ))
                })
            }
        }
    };
}

serde_as_text!(Priority, "priority", "P0, P1, P2 or P3");
serde_as_text!(
    Status,
    "status",
    "Not started, In progress, Blocked or Done"
);

/// One checklist line of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub id: RowId,
    pub item: String,
    pub category: String,
    pub priority: Priority,
    pub owner: String,
    pub status: Status,
    pub notes: String,
}

impl Row {
    /// An empty row, as "Add row" creates it.
    pub fn blank(id: RowId) -> Row {
        Row {
            id,
            item: String::new(),
            category: String::new(),
            priority: Priority::default(),
            owner: String::new(),
            status: Status::default(),
            notes: String::new(),
        }
    }

    /// The text of one column, as a spreadsheet shows it.
    pub fn text(&self, field: Field) -> &str {
        match field {
            Field::Item => &self.item,
            Field::Category => &self.category,
            Field::Priority => self.priority.as_str(),
            Field::Owner => &self.owner,
            Field::Status => self.status.as_str(),
            Field::Notes => &self.notes,
        }
    }
}

/// The editable columns of a row, in table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Item,
    Category,
    Priority,
    Owner,
    Status,
    Notes,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Item,
        Field::Category,
        Field::Priority,
        Field::Owner,
        Field::Status,
        Field::Notes,
    ];

    /// The JSON / error-report name: `item`, `category`, …
    pub fn key(self) -> &'static str {
        match self {
            Field::Item => "item",
            Field::Category => "category",
            Field::Priority => "priority",
            Field::Owner => "owner",
            Field::Status => "status",
            Field::Notes => "notes",
        }
    }

    /// The column header users see: `Item`, `Category`, …
    pub fn header(self) -> &'static str {
        match self {
            Field::Item => "Item",
            Field::Category => "Category",
            Field::Priority => "Priority",
            Field::Owner => "Owner",
            Field::Status => "Status",
            Field::Notes => "Notes",
        }
    }

    /// Finds a column by its header, ignoring case and surrounding spaces.
    pub fn from_header(header: &str) -> Option<Field> {
        let h = header.trim();
        Field::ALL
            .into_iter()
            .find(|f| f.header().eq_ignore_ascii_case(h))
    }

    /// Whether the column holds free text (the others are fixed choices).
    pub fn is_text(self) -> bool {
        !matches!(self, Field::Priority | Field::Status)
    }
}

/// A plan: the document users edit, export and share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub schema: u32,
    pub title: String,
    pub rows: Vec<Row>,
}

impl Plan {
    pub fn new(title: impl Into<String>, rows: Vec<Row>) -> Plan {
        Plan {
            schema: PLAN_SCHEMA,
            title: title.into(),
            rows,
        }
    }

    pub fn position(&self, id: &RowId) -> Option<usize> {
        self.rows.iter().position(|r| &r.id == id)
    }

    pub fn row(&self, id: &RowId) -> Option<&Row> {
        self.rows.iter().find(|r| &r.id == id)
    }

    /// Serialises the plan as its canonical JSON document.
    pub fn to_json(&self) -> String {
        // A plan is strings and enums only: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
impl Row {
    /// A blank row `id` whose Item is `item` (for tests).
    pub(crate) fn with_item(id: &str, item: &str) -> Row {
        Row {
            item: item.into(),
            ..Row::blank(RowId::from(id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_reads_aliases_case_insensitively() {
        assert_eq!(Priority::parse("p0"), Some(Priority::P0));
        assert_eq!(Priority::parse(" High "), Some(Priority::P1));
        assert_eq!(Priority::parse("LOW"), Some(Priority::P3));
        assert_eq!(Priority::parse("2"), Some(Priority::P2));
        assert_eq!(Priority::parse("P4"), None);
        assert_eq!(Priority::parse(""), None);
    }

    #[test]
    fn status_reads_aliases() {
        assert_eq!(Status::parse("todo"), Some(Status::NotStarted));
        assert_eq!(Status::parse("Not Started"), Some(Status::NotStarted));
        assert_eq!(Status::parse("in-progress"), Some(Status::InProgress));
        assert_eq!(Status::parse("doing"), Some(Status::InProgress));
        assert_eq!(Status::parse("complete"), Some(Status::Done));
        assert_eq!(Status::parse("on  hold"), Some(Status::Blocked));
        assert_eq!(Status::parse("later"), None);
    }

    #[test]
    fn enums_serialise_as_their_labels() {
        let row = Row {
            status: Status::InProgress,
            priority: Priority::P0,
            ..Row::blank(RowId::from("a"))
        };
        let json = serde_json::to_string(&row).unwrap();
        assert!(json.contains(r#""priority":"P0""#), "{json}");
        assert!(json.contains(r#""status":"In progress""#), "{json}");
        let back: Row = serde_json::from_str(&json).unwrap();
        assert_eq!(back, row);
    }

    #[test]
    fn a_wrong_priority_is_named_in_the_error() {
        let err = serde_json::from_str::<Priority>(r#""urgent-ish""#).unwrap_err();
        assert!(err.to_string().contains("\"urgent-ish\" is not a priority"));
    }

    #[test]
    fn headers_match_case_insensitively() {
        assert_eq!(Field::from_header(" notes "), Some(Field::Notes));
        assert_eq!(Field::from_header("ITEM"), Some(Field::Item));
        assert_eq!(Field::from_header("#"), None);
    }
}
