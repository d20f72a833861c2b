//! Persistence of the editor's workspace to local storage: read once after hydration,
//! written at most `SAVE_DELAY` after an edit, and kept in step with other tabs (another
//! tab's newer save is merged, never overwritten). Browser only: called from effects and
//! event handlers.

use super::state::{Notice, PlanContext, SaveState, TAB_ACTIVE_KEY};
use crate::browser::{dom, storage};
use crate::model::{IdGen, LocalStep, PlanId, Session};
use leptos::prelude::*;
use std::time::Duration;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

/// Edits are written to local storage at most this long after they happen.
pub const SAVE_DELAY: Duration = Duration::from_millis(150);

/// Local-storage bookkeeping for this tab.
#[derive(Clone, Debug, Default)]
struct Persist {
    /// The stored revision our copy is based on, and the tab that wrote it.
    pub(crate) base_revision: u64,
    pub(crate) base_writer: String,
    /// This tab's name in saves.
    pub(crate) me: String,
    /// Whether saving is possible and allowed.
    pub(crate) enabled: bool,
    pub(crate) scheduled: bool,
}

/// Keeps the editor's workspace in local storage: provided by the editor page (a read-only
/// page stores nothing).
#[derive(Clone, Copy)]
pub struct Persistence {
    ctx: PlanContext,
    state: StoredValue<Persist>,
}

/// Saves whatever the editor's state says changed (`edited`, `stored`, `switched`), at most
/// `SAVE_DELAY` later. Also in the context, for the history views (they save first, so
/// the local history they read is up to date).
pub fn provide_persistence(ctx: PlanContext) -> Persistence {
    let persistence = Persistence {
        ctx,
        state: StoredValue::new(Persist::default()),
    };
    provide_context(persistence);
    Effect::new(move |first: Option<()>| {
        ctx.edited.track();
        ctx.stored.track();
        ctx.switched.track();
        if first.is_some() {
            persistence.schedule_save();
        }
    });
    persistence
}

impl Persistence {
    /// Reads the stored workspace once after hydration and starts saving.
    pub fn load(&self) {
        let seed = dom::random_seed();
        let me = format!("tab-{:x}", seed & 0xffff_ffff_ffff);
        let mut ids = IdGen::new(seed);
        self.state.update_value(|p| p.me = me);
        // The server render's session has a fixed seed: this tab gets its own replica id
        // and batch ids, whatever is stored.
        self.ctx.session.update_value(|s| {
            *s = Session::new(s.workspace().clone(), seed.rotate_left(17));
        });
        match storage::load(&mut ids, dom::now_ms()) {
            storage::Loaded::Nothing => {
                self.state.update_value(|p| p.enabled = true);
                self.ctx.save_state.set(SaveState::Ready);
            }
            storage::Loaded::Found(envelope) => {
                let saved_at = js_sys::Date::parse(&envelope.saved_at);
                self.state.update_value(|p| {
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
                self.ctx.session.set_value(session);
                self.ctx.save_state.set(if saved_at.is_finite() {
                    SaveState::Saved { at_ms: saved_at }
                } else {
                    SaveState::Ready
                });
                self.ctx.sync();
            }
            storage::Loaded::Damaged {
                reason,
                backup_key,
                raw,
            } => {
                let text = match &backup_key {
                    Some(key) => {
                        self.state.update_value(|p| p.enabled = true);
                        self.ctx.save_state.set(SaveState::Ready);
                        format!(
                            "The plan saved in this browser could not be read: {reason}. \
                             It is kept unchanged under the key \"{key}\" and you can \
                             download it below. You are now editing a fresh copy of the \
                             template."
                        )
                    }
                    None => {
                        self.ctx.save_state.set(SaveState::Unavailable(
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
                self.ctx.notice.set(Some(Notice {
                    text,
                    backup: Some(raw),
                    cell: None,
                }));
            }
            storage::Loaded::Unavailable(why) => {
                self.ctx.save_state.set(SaveState::Unavailable(why));
            }
        }
    }

    fn schedule_save(&self) {
        let skip = self.state.with_value(|p| p.scheduled || !p.enabled);
        if skip {
            return;
        }
        self.state.update_value(|p| p.scheduled = true);
        let this = *self;
        set_timeout(move || this.save_now(), SAVE_DELAY);
    }

    /// Writes unsaved edits now (also used when the page is being hidden or closed).
    pub fn save_now(&self) {
        self.state.update_value(|p| p.scheduled = false);
        let (enabled, base, base_writer, me) = self.state.with_value(|p| {
            (
                p.enabled,
                p.base_revision,
                p.base_writer.clone(),
                p.me.clone(),
            )
        });
        if !enabled || !self.ctx.session.with_value(Session::has_unsaved) {
            return;
        }
        // Timed as the `syncplan:save` user-timing measure (read by the benchmarks).
        let timing = dom::Timing::start("syncplan:save");
        let outcome = self
            .ctx
            .session
            .with_value(|s| storage::save(base, &base_writer, &me, s.workspace()));
        timing.finish();
        match outcome {
            storage::Saved::Written { revision, dropped } => {
                self.state.update_value(|p| {
                    p.base_revision = revision;
                    p.base_writer = p.me.clone();
                });
                self.ctx.session.update_value(Session::mark_saved);
                // The plans are saved; now their local histories, which never cost a save.
                let steps = self
                    .ctx
                    .session
                    .try_update_value(Session::take_local_steps)
                    .unwrap_or_default();
                self.tell_dropped(dropped);
                if !steps.is_empty() {
                    let this = *self;
                    leptos::task::spawn_local(async move {
                        // Not loaded: the steps are lost to the history, never to the plan.
                        if let Ok(dropped) = write_local_history(this.ctx, steps).await {
                            this.tell_dropped(dropped);
                        }
                    });
                }
                self.ctx.save_state.set(SaveState::Saved {
                    at_ms: dom::now_ms(),
                });
            }
            storage::Saved::Newer(envelope) => {
                self.adopt(envelope);
                self.save_now();
            }
            storage::Saved::NewerVersion => {
                self.state.update_value(|p| p.enabled = false);
                self.ctx.save_state.set(SaveState::NewerVersion);
            }
            storage::Saved::Failed(why) => self.ctx.save_state.set(SaveState::Failed(why)),
        }
    }

    /// Says which plans' local histories had to go to make room in the browser's storage.
    fn tell_dropped(&self, mut dropped: Vec<PlanId>) {
        dropped.dedup();
        let titles: Vec<String> = self.ctx.session.with_value(|s| {
            dropped
                .iter()
                .filter_map(|id| s.plan(id).map(|p| format!("“{}”", p.title)))
                .collect()
        });
        if titles.is_empty() {
            return;
        }
        let (whose, them) = match titles.len() {
            1 => (format!("the history of {}", titles[0]), "its"),
            _ => (format!("the histories of {}", titles.join(", ")), "their"),
        };
        self.ctx.notice.set(Some(Notice {
            text: format!(
                "This browser's storage for the site is full, so {whose} was dropped to keep \
                 your plans saved. The plans are safe; {them} history starts again from now."
            ),
            backup: None,
            cell: None,
        }));
    }

    /// Takes another tab's newer save, keeping this tab's unsaved edits on top.
    fn adopt(&self, envelope: crate::model::Envelope) {
        self.state.update_value(|p| {
            p.base_revision = envelope.revision;
            p.base_writer = envelope.writer.clone();
        });
        self.ctx
            .session
            .update_value(|s| s.adopt(envelope.workspace));
        self.ctx.sync();
        self.ctx.switched.notify();
    }

    /// Handles another tab's write to the workspace key.
    pub fn on_foreign_save(&self, raw: &str) {
        let (enabled, base, base_writer) = self
            .state
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
        if self.ctx.session.with_value(Session::has_unsaved) {
            self.schedule_save();
        } else if saved_at.is_finite() {
            self.ctx
                .save_state
                .set(SaveState::Saved { at_ms: saved_at });
        }
    }
}

/// Writes steps to the local histories of their plans; the plans whose history had to go.
/// A part of its own: the first load does not need it.
#[wasm_split(local_history, fallible)]
fn write_local_history(
    ctx: PlanContext,
    steps: Vec<LocalStep>,
) -> Result<Vec<PlanId>, SplitLoaderError> {
    Ok(ctx
        .session
        .with_value(|s| crate::browser::local_history::write(steps, s.workspace())))
}
