//! What the browser and the server exchange: share ids, a loaded share, header names. Both
//! builds see this module; `ui` and `server` both use it and never import each other.

use crate::model::Plan;
use serde::{Deserialize, Serialize};
use std::fmt;

pub mod api;
pub mod import;
pub mod live_client;
pub mod paths;
pub mod wire;

/// A share's public id: 128 random bits, base64url without padding (22 characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShareId(String);

impl ShareId {
    /// The id's length in characters.
    pub const LEN: usize = 22;

    /// Accepts exactly what the server generates; anything else cannot name a share.
    pub fn parse(text: &str) -> Option<ShareId> {
        (text.len() == Self::LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| ShareId(text.to_owned()))
    }

    /// A fresh id from 16 random bytes.
    #[cfg(feature = "ssr")]
    pub fn from_random(bytes: [u8; 16]) -> ShareId {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        ShareId(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A shared plan as the share page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedPlan {
    pub id: ShareId,
    pub plan: Plan,
    pub version: i64,
    pub updated_at_ms: i64,
    /// Edited together through an edit link: the page follows the edits live.
    #[serde(default)]
    pub live: bool,
}

/// What the share page found for its id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ShareLoad {
    Found(SharedPlan),
    Missing,
    /// Taken down by its owner.
    Revoked,
    /// Expired by the server's retention policy (not visited for a long time).
    Expired,
    Unavailable,
}

/// What the share page is rendered from: the server puts it in the page (as an attribute)
/// and the browser reads it back to hydrate, so both render the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharePageData {
    pub load: ShareLoad,
    /// The origin links are written with when the page is rendered (`SYNCPLAN_PUBLIC_URL`,
    /// else the server's own address).
    pub link_origin: String,
    /// Whether `link_origin` is configured; if not, the browser uses the origin it loaded
    /// the page from (a viewer's request headers never reach a page another viewer gets).
    pub origin_configured: bool,
}

pub use api::headers;

/// Where the share page keeps its data for hydration: an attribute (escaped like any
/// attribute), never a script, so user text can never become code.
pub const SHARE_DATA_ID: &str = "share-data";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_ids_parse() {
        assert!(ShareId::parse("AAAAAAAAAAAAAAAAAAAAAA").is_some());
        for bad in [
            "",
            "short",
            "../../../../etc/passwd",
            &"a".repeat(23),
            "aaaaaaaaaaaaaaaaaaaaa!",
        ] {
            assert_eq!(ShareId::parse(bad), None, "{bad}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn random_ids_parse_back() {
        let id = ShareId::from_random([7; 16]);
        assert_eq!(id.as_str().len(), ShareId::LEN);
        assert_eq!(ShareId::parse(id.as_str()), Some(id));
    }
}
