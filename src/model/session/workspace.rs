//! The browser's workspace: the plans kept in one browser, and the versioned envelope that
//! stores them in local storage.

use crate::model::crdt::Doc;
use crate::model::doc::decode::decode_plan_json;
use crate::model::doc::ids::IdGen;
use crate::model::doc::limits::MAX_ROWS;
use crate::model::doc::plan::Plan;
use crate::model::session::share_ids::{EditToken, OwnerToken, ShareId};
use crate::model::sync::SyncState;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::fmt;

/// The envelope's current schema. History:
/// - 1: `{"schema":1,"saved_at":…,"plan":{…}}`, one plan per browser.
/// - 2: a workspace of plans (`active`, `plans`) plus `revision` and `writer`, which let two
///   tabs tell whose save is newer.
/// - 3: each plan is kept as its replicated document (`doc`: registers with stamps), or,
///   for a plan edited together through an edit link, as its link and sync state (`live`),
///   so two tabs' copies merge like any two replicas.
pub const WORKSPACE_SCHEMA: u32 = 3;

/// A plan's identity inside the workspace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlanId(pub String);

impl PlanId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of the plan every new workspace starts with.
pub const FIRST_PLAN_ID: &str = "main";

/// One plan of the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanEntry {
    pub id: PlanId,
    /// What the editor shows and edits: always `doc.plan()`.
    pub plan: Plan,
    /// The replicated document (for a live plan: the server's copy plus this browser's
    /// edits it has not confirmed yet).
    pub doc: Doc,
    /// Set while the plan is edited together through an edit link.
    pub live: Option<LiveLink>,
}

impl PlanEntry {
    /// A plan nobody edited yet (a new plan, the template, a plan from an older save).
    pub fn new(id: PlanId, plan: Plan) -> PlanEntry {
        let doc = Doc::from_plan(&plan);
        PlanEntry {
            id,
            plan: doc.plan(),
            doc,
            live: None,
        }
    }

    /// An entry for `doc`.
    pub fn from_doc(id: PlanId, doc: Doc, live: Option<LiveLink>) -> PlanEntry {
        PlanEntry {
            id,
            plan: doc.plan(),
            doc,
            live,
        }
    }
}

/// A plan edited together: which shared plan, the capability to edit it, and where this
/// browser stands with the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveLink {
    /// The share's id (the plan's read-only link is `/s/{share}`).
    pub share: ShareId,
    /// The edit link's secret (from its `#` part; never sent in a URL).
    pub token: EditToken,
    pub sync: SyncState,
    /// Editing was turned on again for a plan that was edited together before: this copy
    /// waits for the server's document, then sends only what it lacks (never writing over
    /// edits made meanwhile that this copy had not received).
    #[serde(default)]
    pub resuming: bool,
}

/// How an entry is stored (schema 3).
#[derive(Serialize)]
struct StoredEntryRef<'a> {
    id: &'a PlanId,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc: Option<&'a Doc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    live: Option<&'a LiveLink>,
}

impl Serialize for PlanEntry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StoredEntryRef {
            id: &self.id,
            // A live plan's document is its sync state's view: stored once.
            doc: self.live.is_none().then_some(&self.doc),
            live: self.live.as_ref(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PlanEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct StoredEntry {
            id: PlanId,
            doc: Option<Doc>,
            live: Option<LiveLink>,
        }
        let stored = StoredEntry::deserialize(deserializer)?;
        entry_from_stored(stored.id, stored.doc, stored.live)
            .map_err(|e| serde::de::Error::custom(e.0))
    }
}

/// Checks a stored document (and its sync state) and builds the entry.
fn entry_from_stored(
    id: PlanId,
    doc: Option<Doc>,
    live: Option<LiveLink>,
) -> Result<PlanEntry, EnvelopeError> {
    match (doc, live) {
        (_, Some(mut live)) => {
            live.sync.confirmed = live.sync.confirmed.sanitized();
            let doc = live.sync.view();
            Ok(PlanEntry::from_doc(id, doc, Some(live)))
        }
        (Some(doc), None) => Ok(PlanEntry::from_doc(id, doc.sanitized(), None)),
        (None, None) => Err(EnvelopeError("it has neither a document nor a link".into())),
    }
}

/// A share link this browser created, with the secret that updates or revokes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedShare {
    /// The workspace plan the link publishes.
    pub plan: PlanId,
    pub id: ShareId,
    pub url: String,
    pub owner_token: OwnerToken,
    /// RFC 3339 time of the last publish.
    #[serde(default)]
    pub published_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    /// The plan that was open last.
    pub active: PlanId,
    pub plans: Vec<PlanEntry>,
    /// Share links owned by this browser (added in schema 2 without a bump: older saves
    /// simply have none).
    #[serde(default)]
    pub shares: Vec<OwnedShare>,
}

impl Workspace {
    /// A workspace holding one plan.
    pub fn with_plan(plan: Plan) -> Workspace {
        Workspace {
            active: PlanId(FIRST_PLAN_ID.into()),
            plans: vec![PlanEntry::new(PlanId(FIRST_PLAN_ID.into()), plan)],
            shares: Vec::new(),
        }
    }

    /// The link that publishes `plan`, if this browser made one.
    pub fn share_of(&self, plan: &PlanId) -> Option<&OwnedShare> {
        self.shares.iter().find(|s| &s.plan == plan)
    }

    /// A plan id not used in this workspace.
    pub fn fresh_plan_id(&self, ids: &mut IdGen) -> PlanId {
        PlanId(ids.fresh('p', |c| self.plans.iter().any(|e| e.id.as_str() == c)))
    }

    pub fn plan(&self, id: &PlanId) -> Option<&Plan> {
        self.plans.iter().find(|e| &e.id == id).map(|e| &e.plan)
    }

    pub fn entry(&self, id: &PlanId) -> Option<&PlanEntry> {
        self.plans.iter().find(|e| &e.id == id)
    }

    pub fn entry_mut(&mut self, id: &PlanId) -> Option<&mut PlanEntry> {
        self.plans.iter_mut().find(|e| &e.id == id)
    }
}

/// What local storage holds under `syncplan.workspace`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub schema: u32,
    /// Grows by one with every save from any tab; the higher revision is the newer copy.
    pub revision: u64,
    /// Which tab wrote it (breaks ties between equal revisions).
    pub writer: String,
    /// RFC 3339 time of the save.
    pub saved_at: String,
    #[serde(flatten)]
    pub workspace: Workspace,
}

/// An envelope to be written, borrowing the workspace instead of copying it.
#[derive(Serialize)]
pub struct EnvelopeRef<'a> {
    pub schema: u32,
    pub revision: u64,
    pub writer: &'a str,
    pub saved_at: &'a str,
    #[serde(flatten)]
    pub workspace: &'a Workspace,
}

impl EnvelopeRef<'_> {
    pub fn to_json(&self) -> String {
        // Strings and numbers only: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Envelope {
    pub fn to_json(&self) -> String {
        EnvelopeRef {
            schema: self.schema,
            revision: self.revision,
            writer: &self.writer,
            saved_at: &self.saved_at,
            workspace: &self.workspace,
        }
        .to_json()
    }

    /// Whether this save is newer than one at `revision` written by `writer`.
    pub fn is_newer_than(&self, revision: u64, writer: &str) -> bool {
        (self.revision, self.writer.as_str()) > (revision, writer)
    }
}

/// Why a stored value could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeError(pub String);

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a stored envelope of any known schema and brings it to the current one. Each plan
/// is read straight from its JSON text (no JSON tree of a 2,000-row plan is built).
pub fn decode_envelope(text: &str, ids: &mut IdGen) -> Result<Envelope, EnvelopeError> {
    let obj: HashMap<String, &RawValue> = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            EnvelopeError("it is not a JSON object".into())
        } else {
            EnvelopeError(format!("it is not valid JSON ({e})"))
        }
    })?;
    let field = |key: &str| obj.get(key).map(|raw| raw.get());
    let schema = field("schema")
        .and_then(|raw| serde_json::from_str::<u64>(raw).ok())
        .ok_or_else(|| EnvelopeError("it has no schema number".into()))?;
    let entries = match schema {
        // Schema 1 kept a single plan; schema 2 keeps it as the first plan of a workspace.
        1 => {
            let raw = field("plan")
                .ok_or_else(|| EnvelopeError("the schema 1 save has no plan".into()))?;
            vec![PlanEntry::new(
                PlanId(FIRST_PLAN_ID.into()),
                plan_from(raw, 1, ids)?,
            )]
        }
        2 | 3 => {
            let plans: Vec<&RawValue> = field("plans")
                .and_then(|raw| serde_json::from_str(raw).ok())
                .ok_or_else(|| EnvelopeError("it has no list of plans".into()))?;
            let mut entries = Vec::with_capacity(plans.len());
            for (i, entry) in plans.into_iter().enumerate() {
                let entry: HashMap<String, &RawValue> = serde_json::from_str(entry.get())
                    .map_err(|_| EnvelopeError(format!("plan {} is not an object", i + 1)))?;
                let id = entry
                    .get("id")
                    .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| EnvelopeError(format!("plan {} has no id", i + 1)))?;
                if schema == 2 {
                    // Schema 2 kept plain plans: each becomes a document nobody edited yet.
                    let plan = entry.get("plan").map_or("null", |raw| raw.get());
                    entries.push(PlanEntry::new(PlanId(id), plan_from(plan, i + 1, ids)?));
                    continue;
                }
                let damaged =
                    |e: serde_json::Error| EnvelopeError(format!("plan {} is damaged: {e}", i + 1));
                let doc = match entry.get("doc") {
                    Some(raw) => Some(serde_json::from_str::<Doc>(raw.get()).map_err(damaged)?),
                    None => None,
                };
                let live = match entry.get("live") {
                    Some(raw) => {
                        Some(serde_json::from_str::<LiveLink>(raw.get()).map_err(damaged)?)
                    }
                    None => None,
                };
                let entry = entry_from_stored(PlanId(id), doc, live)
                    .map_err(|e| EnvelopeError(format!("plan {} is damaged: {e}", i + 1)))?;
                if entry.plan.rows.len() > MAX_ROWS {
                    return Err(EnvelopeError(format!(
                        "plan {} has more than {MAX_ROWS} rows",
                        i + 1
                    )));
                }
                entries.push(entry);
            }
            entries
        }
        s if s > WORKSPACE_SCHEMA as u64 => {
            return Err(EnvelopeError(format!(
                "it was saved by a newer version of syncplan (schema {s})"
            )))
        }
        s => return Err(EnvelopeError(format!("schema {s} is unknown"))),
    };
    if entries.is_empty() {
        return Err(EnvelopeError("it holds no plans".into()));
    }
    let text_field = |key: &str| {
        field(key)
            .and_then(|raw| serde_json::from_str::<String>(raw).ok())
            .unwrap_or_default()
    };
    let mut active = PlanId(text_field("active"));
    if schema == 1 || !entries.iter().any(|e| e.id == active) {
        active = entries[0].id.clone();
    }
    // Owned shares are a convenience: a damaged entry is dropped, never fatal.
    let shares = field("shares")
        .and_then(|raw| serde_json::from_str::<Vec<&RawValue>>(raw).ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| serde_json::from_str::<OwnedShare>(s.get()).ok())
        .filter(|s| entries.iter().any(|e| e.id == s.plan))
        .collect();
    Ok(Envelope {
        schema: WORKSPACE_SCHEMA,
        revision: if schema == 1 {
            0
        } else {
            field("revision")
                .and_then(|raw| serde_json::from_str::<u64>(raw).ok())
                .unwrap_or(0)
        },
        writer: if schema == 1 {
            String::new()
        } else {
            text_field("writer")
        },
        saved_at: text_field("saved_at"),
        workspace: Workspace {
            active,
            plans: entries,
            shares,
        },
    })
}

/// Plan `n` of a stored envelope, from its JSON text.
fn plan_from(json: &str, n: usize, ids: &mut IdGen) -> Result<Plan, EnvelopeError> {
    decode_plan_json(json, ids).map_err(|problems| {
        EnvelopeError(format!(
            "plan {n} is damaged: {}",
            problems
                .first()
                .map(ToString::to_string)
                .unwrap_or_default()
        ))
    })
}

#[cfg(test)]
mod tests;
