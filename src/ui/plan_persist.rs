//! Persistence of the editor's workspace to local storage: read once after hydration,
//! written at most `SAVE_DELAY` after an edit, and kept in step with other tabs (another
//! tab's newer save is merged, never overwritten). Browser only: called from effects and
//! event handlers.

use super::plan_context::{Notice, PlanContext, SaveState, TAB_ACTIVE_KEY};
use crate::browser::{dom, storage};
use crate::model::{IdGen, PlanId, Session};
use leptos::prelude::*;
use std::time::Duration;

/// Edits are written to local storage at most this long after they happen.
pub const SAVE_DELAY: Duration = Duration::from_millis(150);

/// Local-storage bookkeeping for this tab.
#[derive(Clone, Debug, Default)]
pub(super) struct Persist {
    /// The stored revision our copy is based on, and the tab that wrote it.
    pub(super) base_revision: u64,
    pub(super) base_writer: String,
    /// This tab's name in saves.
    pub(super) me: String,
    /// Whether saving is possible and allowed.
    pub(super) enabled: bool,
    pub(super) scheduled: bool,
}

impl PlanContext {
    /// Reads the stored workspace once after hydration and starts saving.
    pub fn load_from_storage(&self) {
        let seed = dom::random_seed();
        let me = format!("tab-{:x}", seed & 0xffff_ffff_ffff);
        let mut ids = IdGen::new(seed);
        self.persist.update_value(|p| p.me = me);
        // The server render's session has a fixed seed: this tab gets its own replica id
        // and batch ids, whatever is stored.
        self.session.update_value(|s| {
            *s = Session::new(s.workspace().clone(), seed.rotate_left(17));
        });
        match storage::load(&mut ids, dom::now_ms()) {
            storage::Loaded::Nothing => {
                self.persist.update_value(|p| p.enabled = true);
                self.save_state.set(SaveState::Ready);
            }
            storage::Loaded::Found(envelope) => {
                let saved_at = js_sys::Date::parse(&envelope.saved_at);
                self.persist.update_value(|p| {
                    p.enabled = true;
                    p.base_revision = envelope.revision;
                    p.base_writer = envelope.writer.clone();
                });
                let mut session = Session::new(envelope.workspace, seed.rotate_left(17));
                // This tab's plan: the one a link asked for, else the one it had open, else
                // the one used last anywhere.
                let wanted = dom::query_param("plan");
                if wanted.is_some() {
                    dom::replace_url("/");
                }
                for id in [wanted, dom::tab_get(TAB_ACTIVE_KEY)].into_iter().flatten() {
                    if session.set_active(&PlanId(id)) {
                        break;
                    }
                }
                session.mark_saved();
                dom::tab_set(TAB_ACTIVE_KEY, session.active().as_str());
                self.session.set_value(session);
                self.save_state.set(if saved_at.is_finite() {
                    SaveState::Saved { at_ms: saved_at }
                } else {
                    SaveState::Ready
                });
                self.sync();
            }
            storage::Loaded::Damaged {
                reason,
                backup_key,
                raw,
            } => {
                let text = match &backup_key {
                    Some(key) => {
                        self.persist.update_value(|p| p.enabled = true);
                        self.save_state.set(SaveState::Ready);
                        format!(
                            "The plan saved in this browser could not be read: {reason}. \
                             It is kept unchanged under the key \"{key}\" and you can \
                             download it below. You are now editing a fresh copy of the \
                             template."
                        )
                    }
                    None => {
                        self.save_state.set(SaveState::Unavailable(
                            "the stored plan could not be read or backed up".into(),
                        ));
                        format!(
                            "The plan saved in this browser could not be read ({reason}), \
                             and there was no room to back it up, so it is left untouched \
                             and this tab will not save. Download it below, then free some \
                             browser storage and reload."
                        )
                    }
                };
                self.notice.set(Some(Notice {
                    text,
                    backup: Some(raw),
                }));
            }
            storage::Loaded::Unavailable(why) => {
                self.save_state.set(SaveState::Unavailable(why));
            }
        }
    }

    pub(super) fn schedule_save(&self) {
        let skip = self.persist.with_value(|p| p.scheduled || !p.enabled);
        if skip {
            return;
        }
        self.persist.update_value(|p| p.scheduled = true);
        let ctx = *self;
        set_timeout(move || ctx.save_now(), SAVE_DELAY);
    }

    /// Writes unsaved edits now (also used when the page is being hidden or closed).
    pub fn save_now(&self) {
        self.persist.update_value(|p| p.scheduled = false);
        let (enabled, base, base_writer, me) = self.persist.with_value(|p| {
            (
                p.enabled,
                p.base_revision,
                p.base_writer.clone(),
                p.me.clone(),
            )
        });
        if !enabled || !self.session.with_value(Session::has_unsaved) {
            return;
        }
        // Timed as the `syncplan:save` user-timing measure (read by the benchmarks).
        let timing = dom::Timing::start("syncplan:save");
        let outcome = self
            .session
            .with_value(|s| storage::save(base, &base_writer, &me, s.workspace()));
        timing.finish();
        match outcome {
            storage::Saved::Written { revision } => {
                self.persist.update_value(|p| {
                    p.base_revision = revision;
                    p.base_writer = p.me.clone();
                });
                self.session.update_value(Session::mark_saved);
                self.save_state.set(SaveState::Saved {
                    at_ms: dom::now_ms(),
                });
            }
            storage::Saved::Newer(envelope) => {
                self.adopt(envelope);
                self.save_now();
            }
            storage::Saved::NewerVersion => {
                self.persist.update_value(|p| p.enabled = false);
                self.save_state.set(SaveState::NewerVersion);
            }
            storage::Saved::Failed(why) => self.save_state.set(SaveState::Failed(why)),
        }
    }

    /// Takes another tab's newer save, keeping this tab's unsaved edits on top.
    fn adopt(&self, envelope: crate::model::Envelope) {
        self.persist.update_value(|p| {
            p.base_revision = envelope.revision;
            p.base_writer = envelope.writer.clone();
        });
        self.session.update_value(|s| s.adopt(envelope.workspace));
        self.sync();
        self.live.follow(*self);
    }

    /// Handles another tab's write to the workspace key.
    pub fn on_foreign_save(&self, raw: &str) {
        let (enabled, base, base_writer) = self
            .persist
            .with_value(|p| (p.enabled, p.base_revision, p.base_writer.clone()));
        if !enabled {
            return;
        }
        let mut ids = IdGen::new(dom::random_seed());
        let Some(envelope) = storage::decode_foreign(raw, &mut ids) else {
            return;
        };
        if !envelope.is_newer_than(base, &base_writer) {
            return;
        }
        let saved_at = js_sys::Date::parse(&envelope.saved_at);
        self.adopt(envelope);
        if self.session.with_value(Session::has_unsaved) {
            self.schedule_save();
        } else if saved_at.is_finite() {
            self.save_state.set(SaveState::Saved { at_ms: saved_at });
        }
    }
}
