//! The REST API's bodies and header names, one type each: the server writes them, the
//! browser (and the tests) read them. Paths are in `paths`.

use crate::shared::{EditToken, OwnerToken, ShareId};
use serde::{Deserialize, Serialize};

/// `201` from `POST /api/shares`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedShare {
    pub id: ShareId,
    /// The read-only link (`{origin}/s/{id}`).
    pub url: String,
    /// The secret that updates, revokes and turns editing on; shown once, kept hashed.
    pub owner_token: OwnerToken,
}

/// `200` from `POST /api/shares/{id}/edit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditLink {
    pub edit_token: EditToken,
    /// `{origin}/e/{id}#{edit_token}`: the secret travels after `#`, so browsers never send
    /// it to a server or in a `Referer`.
    pub edit_url: String,
    /// The plan was edited together before (editing turned back on): the owner's copy joins
    /// the server's document rather than replacing it.
    #[serde(default)]
    pub resumed: bool,
}

/// Every error answer: a sentence saying what to do; for an invalid plan or file, where
/// (the first problem's `row` and `field`) and every problem (at most 50).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ApiProblem>,
    /// For an unknown export format: the ones there are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formats: Vec<String>,
    /// For a live-editing refusal over HTTP: the protocol's error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl ApiError {
    pub fn new(error: impl Into<String>) -> ApiError {
        ApiError {
            error: error.into(),
            ..ApiError::default()
        }
    }
}

/// One problem of an invalid plan or file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiProblem {
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

/// One value a register of a plan edited together was given (`GET
/// /api/shares/{id}/history`, for editors and the owner).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The batch's place in the op log, and the op's in the batch: the order of writes.
    pub seq: u64,
    pub op: u32,
    /// The row's id ('' for the title).
    pub row: String,
    /// `title`, `alive`, `position`, `item`, `category`, `priority`, `owner`, `status` or
    /// `notes`.
    pub field: String,
    /// The value written: the text; `1` or `0` for `alive` (added back or deleted); '' for
    /// `position` (moved).
    pub value: String,
    /// The page load that wrote it.
    pub replica: u32,
    /// The name its writer gave when joining ('' when none). Self-declared.
    pub name: String,
    /// When the server logged it (Unix ms).
    pub at: i64,
}

/// `200` from `GET /api/shares/{id}/history`: newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// `before` for the next (older) page; `None` when this is the last.
    pub next: Option<String>,
    /// When the oldest entry kept was written (older ones went by retention), if any.
    pub kept_since: Option<i64>,
}

/// A point of a live plan's history given a name ("Sent to eng review"), kept whatever
/// the retention (`GET` and `POST /api/shares/{id}/versions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedVersion {
    /// The point: the plan as it was once the batch `seq` was logged (0: as shared).
    pub seq: u64,
    pub name: String,
    /// The name the person who named it gave ('' when none). Self-declared.
    pub by: String,
    /// When it was named (Unix ms).
    pub at: i64,
}

/// `200` from `GET /api/shares/{id}/versions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionList {
    /// Newest first.
    pub versions: Vec<NamedVersion>,
    /// The oldest point that can be rebuilt (older ones went by retention; named ones stay).
    pub restorable_from: u64,
    /// The newest point: the plan as it is now.
    pub seq: u64,
}

/// The body of `POST /api/shares/{id}/versions`: names the point `seq` (now when absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameVersion {
    pub name: String,
    #[serde(default)]
    pub by: String,
    #[serde(default)]
    pub seq: Option<u64>,
}

/// `200` from `GET /api/shares/{id}/versions/{seq}`: the plan as it was at that point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanVersion {
    pub seq: u64,
    /// When that point's batch was logged (Unix ms); `None` for the plan as shared.
    pub at: Option<i64>,
    /// The point's name, when it was given one.
    pub name: Option<String>,
    pub plan: crate::model::Plan,
}

/// Response headers the browser reads.
pub mod headers {
    /// On `GET /api/shares/{id}`: when the share was last published (Unix ms).
    pub const UPDATED_AT: &str = "x-syncplan-updated-at";
    /// On `GET /api/shares/{id}`: the share's version, one more with every update.
    pub const VERSION: &str = "x-syncplan-version";
    /// On `POST /api/import`: CSV columns the import did not use, comma-separated.
    pub const IGNORED_COLUMNS: &str = "x-syncplan-ignored-columns";
    /// On `POST /api/import`: CSV columns whose text was added to Notes, comma-separated.
    pub const NOTED_COLUMNS: &str = "x-syncplan-noted-columns";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_a_sentence_and_only_what_applies() {
        let json = serde_json::to_string(&ApiError::new("Try again.")).unwrap();
        assert_eq!(json, r#"{"error":"Try again."}"#);
        let back: ApiError = serde_json::from_str(r#"{"error":"x","row":3,"extra":1}"#).unwrap();
        assert_eq!(back.row, Some(3));
    }
}
