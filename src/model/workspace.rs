//! The browser's workspace: the plans kept in one browser, and the versioned envelope that
//! stores them in local storage.

use super::decode::decode_plan_json;
use super::ids::IdGen;
use super::limits::MAX_ROWS;
use super::plan::Plan;
use super::replica::Doc;
use super::sync::SyncState;
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
    pub share: String,
    /// The edit link's secret (from its `#` part; never sent in a URL).
    pub token: String,
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
    pub id: String,
    pub url: String,
    pub owner_token: String,
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
mod tests {
    use super::*;
    use crate::model::plan::{Priority, Status};

    fn decode(text: &str) -> Result<Envelope, EnvelopeError> {
        decode_envelope(text, &mut IdGen::new(3))
    }

    #[test]
    fn migrates_a_hand_written_schema_1_save() {
        // As the single-plan version of syncplan wrote it.
        let v1 = r#"{
            "schema": 1,
            "saved_at": "2026-10-01T09:30:00Z",
            "plan": {
                "schema": 1,
                "title": "Offline sync for Field App",
                "rows": [
                    {"id": "t01", "item": "Trigger matrix", "category": "Sync triggers",
                     "priority": "P0", "owner": "Ana", "status": "In progress",
                     "notes": "foreground, reconnect, push"},
                    {"id": "t02", "item": "Backoff", "category": "Battery",
                     "priority": "P1", "owner": "", "status": "Done", "notes": ""}
                ]
            }
        }"#;
        let env = decode(v1).unwrap();
        assert_eq!(env.schema, WORKSPACE_SCHEMA);
        assert_eq!(env.revision, 0);
        assert_eq!(env.saved_at, "2026-10-01T09:30:00Z");
        assert_eq!(env.workspace.active.as_str(), FIRST_PLAN_ID);
        let plan = env.workspace.plan(&env.workspace.active).unwrap();
        assert_eq!(plan.title, "Offline sync for Field App");
        assert_eq!(plan.rows.len(), 2);
        assert_eq!(plan.rows[0].owner, "Ana");
        assert_eq!(plan.rows[0].status, Status::InProgress);
        assert_eq!(plan.rows[1].priority, Priority::P1);
        assert_eq!(plan.rows[1].status, Status::Done);

        // What we write back is the current schema and reads back the same.
        let again = decode(&env.to_json()).unwrap();
        assert_eq!(again, env);
    }

    #[test]
    fn round_trips_the_current_schema() {
        let env = Envelope {
            schema: WORKSPACE_SCHEMA,
            revision: 41,
            writer: "tab-a".into(),
            saved_at: "2026-11-25T10:00:00.000Z".into(),
            workspace: Workspace::with_plan(crate::template::default_plan()),
        };
        assert_eq!(decode(&env.to_json()), Ok(env));
    }

    #[test]
    fn explains_what_is_wrong_with_a_damaged_save() {
        let err = |t: &str| decode(t).unwrap_err().0;
        assert!(err("{not json").starts_with("it is not valid JSON"));
        assert_eq!(err("[1]"), "it is not a JSON object");
        assert_eq!(err(r#"{"plans":[]}"#), "it has no schema number");
        assert!(err(r#"{"schema":7,"plans":[]}"#).contains("newer version"));
        assert_eq!(err(r#"{"schema":2,"plans":[]}"#), "it holds no plans");
        assert!(
            err(r#"{"schema":2,"plans":[{"id":"p","plan":{"rows":[{"status":"?"}]}}]}"#)
                .starts_with("plan 1 is damaged: Row 1, status")
        );
        assert_eq!(err(r#"{"schema":1}"#), "the schema 1 save has no plan");
    }

    #[test]
    fn owned_shares_round_trip_and_damaged_ones_are_dropped() {
        let env = decode(
            r#"{"schema":2,"revision":1,"writer":"w","saved_at":"","active":"p1",
                "plans":[{"id":"p1","plan":{"title":"A","rows":[]}}],
                "shares":[{"plan":"p1","id":"abc","url":"http://x/s/abc","owner_token":"t"},
                          {"plan":"p1"},
                          {"plan":"gone","id":"d","url":"u","owner_token":"t"}]}"#,
        )
        .unwrap();
        assert_eq!(env.workspace.shares.len(), 1);
        let share = env.workspace.share_of(&PlanId("p1".into())).unwrap();
        assert_eq!(share.id, "abc");
        assert_eq!(decode(&env.to_json()).unwrap(), env);
    }

    #[test]
    fn an_unknown_active_plan_falls_back_to_the_first() {
        let env = decode(
            r#"{"schema":2,"revision":3,"writer":"w","saved_at":"","active":"gone",
                "plans":[{"id":"p1","plan":{"title":"A","rows":[]}}]}"#,
        )
        .unwrap();
        assert_eq!(env.workspace.active.as_str(), "p1");
        assert_eq!(env.revision, 3);
    }

    #[test]
    fn newer_means_higher_revision_then_writer() {
        let mut env = decode(
            &Envelope {
                schema: WORKSPACE_SCHEMA,
                revision: 5,
                writer: "b".into(),
                saved_at: String::new(),
                workspace: Workspace::with_plan(Plan::new("x", vec![])),
            }
            .to_json(),
        )
        .unwrap();
        assert!(env.is_newer_than(4, "z"));
        assert!(env.is_newer_than(5, "a"));
        assert!(!env.is_newer_than(5, "b"));
        env.revision = 4;
        assert!(!env.is_newer_than(5, "a"));
    }

    #[test]
    fn migrates_a_hand_written_schema_2_save_to_documents() {
        // As syncplan wrote it before plans were replicated documents.
        let v2 = r#"{"schema":2,"revision":12,"writer":"tab-1","saved_at":"2026-11-20T08:00:00Z",
            "active":"p2",
            "plans":[
              {"id":"main","plan":{"schema":1,"title":"Field App","rows":[
                {"id":"t01","item":"Trigger matrix","category":"Sync triggers","priority":"P0",
                 "owner":"Ana","status":"In progress","notes":"foreground"},
                {"id":"t02","item":"Backoff","category":"Battery","priority":"P2",
                 "owner":"","status":"Not started","notes":""}]}},
              {"id":"p2","plan":{"title":"Second","rows":[]}}],
            "shares":[{"plan":"main","id":"s1","url":"http://x/s/s1","owner_token":"t"}]}"#;
        let env = decode(v2).unwrap();
        assert_eq!(env.schema, 3);
        assert_eq!(env.revision, 12);
        assert_eq!(env.workspace.active.as_str(), "p2");
        let main = env.workspace.entry(&PlanId("main".into())).unwrap();
        assert_eq!(main.plan.title, "Field App");
        assert_eq!(main.plan.rows.len(), 2);
        assert_eq!(main.plan.rows[0].owner, "Ana");
        assert_eq!(main.doc.plan(), main.plan, "the document holds the plan");
        // Nobody edited it yet: every register is unedited content.
        assert!(main.doc.ops().iter().all(|op| op.stamp().is_unedited()));
        assert!(main.live.is_none());
        assert_eq!(env.workspace.shares.len(), 1);
        // Written back as schema 3, it reads back the same.
        let json = env.to_json();
        assert!(json.contains(r#""schema":3"#) && json.contains(r#""doc""#));
        assert_eq!(decode(&json).unwrap(), env);
    }

    #[test]
    fn a_live_plan_is_stored_as_its_link_and_read_back_with_its_queue() {
        use crate::model::{Field, Op, Stamp, SyncState};
        let plan = crate::template::default_plan();
        let confirmed = Doc::from_plan(&plan);
        let mut sync = SyncState::new(confirmed, 7);
        let row = plan.rows[0].id.clone();
        sync.local([Op::Cell {
            row: row.clone(),
            field: Field::Owner,
            value: "Queued offline".into(),
            stamp: Stamp {
                wall: 1_700_000_000_000,
                count: 0,
                replica: 42,
            },
        }]);
        let mut workspace = Workspace::with_plan(plan);
        let view = sync.view();
        workspace.plans[0] = PlanEntry::from_doc(
            PlanId("main".into()),
            view,
            Some(LiveLink {
                share: "abc".into(),
                token: "secret".into(),
                sync,
                resuming: false,
            }),
        );
        let env = Envelope {
            schema: WORKSPACE_SCHEMA,
            revision: 1,
            writer: "w".into(),
            saved_at: String::new(),
            workspace,
        };
        let json = env.to_json();
        assert!(
            !json.contains(r#""doc""#),
            "a live plan is stored once, as its link"
        );
        let back = decode(&json).unwrap();
        assert_eq!(back, env);
        assert_eq!(back.workspace.plans[0].plan.rows[0].owner, "Queued offline");
        assert_eq!(
            back.workspace.plans[0]
                .live
                .as_ref()
                .unwrap()
                .sync
                .waiting(),
            1
        );
    }

    #[test]
    fn a_hand_edited_document_is_brought_within_the_rules() {
        let long = "x".repeat(300);
        let text = format!(
            r#"{{"schema":3,"revision":1,"writer":"w","saved_at":"","active":"p",
              "plans":[{{"id":"p","doc":{{"title":["{long}",[5,0,9]],"rows":{{
                "bad id!":{{"alive":[true,[1,0,1]],"position":["V",[1,0,1]],"item":["",[0,0,0]],
                  "category":["",[0,0,0]],"priority":["P2",[0,0,0]],"owner":["",[0,0,0]],
                  "status":["Not started",[0,0,0]],"notes":[]}},
                "ok":{{"alive":[true,[1,0,1]],"position":["%%",[1,0,1]],"item":["a\u0000b",[1,0,1]],
                  "category":["",[0,0,0]],"priority":["P2",[0,0,0]],"owner":["",[0,0,0]],
                  "status":["Not started",[0,0,0]],"notes":[]}}}}}}}}]}}"#
        );
        let env = decode(&text).unwrap();
        let plan = &env.workspace.plans[0].plan;
        assert_eq!(plan.title.chars().count(), crate::model::MAX_TITLE_CHARS);
        assert_eq!(plan.rows.len(), 1);
        assert_eq!(plan.rows[0].item, "ab");
    }
}
