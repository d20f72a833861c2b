//! The workspace in local storage: one versioned envelope, backups of values we could not
//! read, and the revision check that keeps a tab from writing an older copy over a newer one.

use crate::model::{
    decode_envelope, Envelope, EnvelopeRef, IdGen, Plan, PlanId, Session, Workspace,
    WORKSPACE_SCHEMA,
};
use serde::Deserialize;

pub const WORKSPACE_KEY: &str = "syncplan.workspace";
pub const BACKUP_PREFIX: &str = "syncplan.backup.";

/// Why local storage cannot be used.
fn storage() -> Result<web_sys::Storage, String> {
    let window = web_sys::window().ok_or("there is no browser window")?;
    match window.local_storage() {
        Ok(Some(storage)) => Ok(storage),
        Ok(None) => Err("this browser has no local storage".into()),
        Err(e) => Err(format!(
            "the browser blocks local storage ({})",
            js_error_name(&e)
        )),
    }
}

/// The name of a thrown DOM exception (`QuotaExceededError`, `SecurityError`, …).
fn js_error_name(e: &wasm_bindgen::JsValue) -> String {
    js_sys::Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// What the first read after page load found.
pub enum Loaded {
    /// Nothing stored yet: a first visit.
    Nothing,
    Found(Envelope),
    /// A value was there but could not be read; it has been copied to `backup_key`
    /// (`None` if even that failed, in which case it is left untouched).
    Damaged {
        reason: String,
        backup_key: Option<String>,
        raw: String,
    },
    /// Local storage cannot be used at all.
    Unavailable(String),
}

pub fn load(ids: &mut IdGen, now_ms: f64) -> Loaded {
    let storage = match storage() {
        Ok(s) => s,
        Err(why) => return Loaded::Unavailable(why),
    };
    let raw = match storage.get_item(WORKSPACE_KEY) {
        Ok(Some(raw)) => raw,
        Ok(None) => return Loaded::Nothing,
        Err(e) => {
            return Loaded::Unavailable(format!(
                "the browser refused to read local storage ({})",
                js_error_name(&e)
            ))
        }
    };
    match decode_envelope(&raw, ids) {
        Ok(envelope) => Loaded::Found(envelope),
        Err(reason) => {
            let backup_key = backup(&storage, &raw, now_ms);
            Loaded::Damaged {
                reason: reason.0,
                backup_key,
                raw,
            }
        }
    }
}

/// Copies `raw` to a fresh `syncplan.backup.<unix-ms>` key that never overwrites another.
fn backup(storage: &web_sys::Storage, raw: &str, now_ms: f64) -> Option<String> {
    let mut ms = now_ms as u64;
    loop {
        let key = format!("{BACKUP_PREFIX}{ms}");
        match storage.get_item(&key) {
            Ok(Some(_)) => ms += 1,
            Ok(None) => {
                return set_raw(storage, &key, raw).ok().map(|_| key);
            }
            Err(_) => return None,
        }
    }
}

fn set_raw(storage: &web_sys::Storage, key: &str, value: &str) -> Result<(), String> {
    storage.set_item(key, value).map_err(|e| js_error_name(&e))
}

/// The part of a stored envelope needed to tell whether it is newer than ours.
#[derive(Deserialize)]
struct Header {
    schema: u32,
    #[serde(default)]
    revision: u64,
    #[serde(default)]
    writer: String,
}

pub enum Saved {
    /// Written as revision `revision`; to make room, the local histories of `dropped` went.
    Written {
        revision: u64,
        dropped: Vec<PlanId>,
    },
    /// Another tab saved a newer copy since we last looked: adopt it, then save again.
    Newer(Envelope),
    /// A newer version of syncplan wrote the workspace; writing ours would lose its data.
    NewerVersion,
    Failed(String),
}

/// Saves `workspace` as the revision after `base` (written by `base_writer`), unless the
/// stored copy is newer than that base.
pub fn save(base: u64, base_writer: &str, writer: &str, workspace: &Workspace) -> Saved {
    let storage = match storage() {
        Ok(s) => s,
        Err(why) => return Saved::Failed(why),
    };
    if let Ok(Some(current)) = storage.get_item(WORKSPACE_KEY) {
        match serde_json::from_str::<Header>(&current) {
            Ok(h) if h.schema > WORKSPACE_SCHEMA => return Saved::NewerVersion,
            Ok(h) if (h.revision, h.writer.as_str()) > (base, base_writer) => {
                let mut ids = IdGen::new(super::dom::random_seed());
                if let Ok(newer) = decode_envelope(&current, &mut ids) {
                    return Saved::Newer(newer);
                }
            }
            // Damaged or older: ours replaces it (a damaged value was backed up on load).
            _ => {}
        }
    }
    let revision = base + 1;
    let saved_at = super::dom::now_rfc3339();
    let envelope = EnvelopeRef {
        schema: WORKSPACE_SCHEMA,
        revision,
        writer,
        saved_at: &saved_at,
        workspace,
    };
    // When the storage is full, local histories make room: the plans come first.
    let text = envelope.to_json();
    let mut dropped = Vec::new();
    loop {
        match storage.set_item(WORKSPACE_KEY, &text) {
            Ok(()) => return Saved::Written { revision, dropped },
            Err(e) if js_error_name(&e) == "QuotaExceededError" => {
                match super::local_history::make_room() {
                    Some(plan) => dropped.push(plan),
                    None => {
                        return Saved::Failed("this browser's storage for the site is full".into())
                    }
                }
            }
            Err(e) => {
                return Saved::Failed(format!(
                    "the browser refused to save ({})",
                    js_error_name(&e)
                ))
            }
        }
    }
}

/// Reads another tab's save from a `storage` event's new value.
pub fn decode_foreign(raw: &str, ids: &mut IdGen) -> Option<Envelope> {
    decode_envelope(raw, ids).ok()
}

/// Adds `plan` as a new plan of this browser's workspace and makes it the one that opens
/// next. Never overwrites anything: a newer save from another tab is taken first, and a
/// value that cannot be read is backed up before it is replaced.
pub fn add_plan_copy(plan: Plan) -> Result<PlanId, String> {
    let storage = storage()?;
    let seed = super::dom::random_seed();
    let mut ids = IdGen::new(seed);
    let me = format!("copy-{:x}", seed & 0xffff_ffff);
    let (workspace, mut base, mut base_writer) = match storage.get_item(WORKSPACE_KEY) {
        Ok(Some(raw)) => match decode_envelope(&raw, &mut ids) {
            Ok(envelope) => (Some(envelope.workspace), envelope.revision, envelope.writer),
            Err(_) => {
                backup(&storage, &raw, super::dom::now_ms())
                    .ok_or("there is no room to back up the plans already in this browser")?;
                (None, 0, String::new())
            }
        },
        Ok(None) => (None, 0, String::new()),
        Err(e) => {
            return Err(format!(
                "the browser refused to read local storage ({})",
                js_error_name(&e)
            ))
        }
    };
    // No workspace yet: the copy becomes its only plan.
    let workspace = workspace.unwrap_or_else(|| Workspace {
        active: PlanId(String::new()),
        plans: Vec::new(),
        shares: Vec::new(),
    });
    let mut session = Session::new(workspace, seed);
    let id = session.add_plan(plan);
    session.set_active(&id);
    for _ in 0..5 {
        match save(base, &base_writer, &me, session.workspace()) {
            Saved::Written { .. } => return Ok(id),
            Saved::Newer(newer) => {
                base = newer.revision;
                base_writer = newer.writer.clone();
                session.adopt(newer.workspace);
                session.set_active(&id);
            }
            Saved::NewerVersion => {
                return Err(
                    "a newer version of syncplan is open in another tab; reload this page".into(),
                )
            }
            Saved::Failed(why) => return Err(why),
        }
    }
    Err("other tabs kept saving at the same moment; try again".into())
}
