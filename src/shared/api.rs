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
