//! What the browser and the server exchange: share ids, a loaded share, header names. Both
//! builds see this module; `ui` and `server` both use it and never import each other.

use crate::model::Plan;
use serde::{Deserialize, Serialize};

pub mod api;
pub mod import;
pub mod live_client;
pub mod paths;
pub mod wire;

pub use crate::model::session::share_ids::{EditToken, OwnerToken, ShareId};

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
