//! A session's plans edited together: going live, joining, what is sent, and what the
//! server's answers do to the plan this tab shows.

use super::*;

impl Session {
    /// Makes `plan` a live plan: from now on it is the server's document `doc` at `seq`
    /// plus this tab's writes. Whatever this copy holds that the server's lacks is queued
    /// for the server (with its own stamps: a newer write the server holds stays newer), so
    /// joining never loses local edits and never writes over anyone's.
    pub fn go_live(&mut self, plan: &PlanId, share: ShareId, token: EditToken, doc: Doc, seq: u64) {
        let Some(entry) = self.workspace.entry_mut(plan) else {
            return;
        };
        let mut sync = SyncState::new(doc, seq);
        let mut view = sync.view();
        let extra: Vec<Op> = entry
            .doc
            .ops()
            .into_iter()
            .filter(|op| view.take(op))
            .collect();
        sync.local(extra);
        entry.live = Some(LiveLink {
            share,
            token,
            sync,
            resuming: false,
        });
        entry.doc = view;
        entry.plan = entry.doc.plan();
        self.pending.push(Change::SetLive(plan.clone()));
    }

    /// Makes `plan` live when its owner turns editing on for the first time: the server's
    /// copy was built from the published plan, so every register of this copy is queued,
    /// written anew, and wins over it. Until the server's copy arrives (`on_snapshot`) this
    /// copy is shown as it is.
    pub fn publish_live(&mut self, plan: &PlanId, share: ShareId, token: EditToken) {
        let stamp = self.clock.tick(self.now_ms);
        let Some(entry) = self.workspace.entry_mut(plan) else {
            return;
        };
        let mut sync = SyncState::new(Doc::empty(), 0);
        sync.local(entry.doc.published_ops(stamp));
        entry.doc = sync.view();
        entry.plan = entry.doc.plan();
        entry.live = Some(LiveLink {
            share,
            token,
            sync,
            resuming: false,
        });
        self.pending.push(Change::SetLive(plan.clone()));
    }

    /// Makes `plan` live again when its owner turns editing back on: the server's document
    /// holds what everyone wrote, so this copy waits for it (`on_snapshot`) and then sends
    /// only what it lacks, as `go_live` does.
    pub fn resume_live(&mut self, plan: &PlanId, share: ShareId, token: EditToken) {
        let Some(entry) = self.workspace.entry_mut(plan) else {
            return;
        };
        entry.live = Some(LiveLink {
            share,
            token,
            sync: SyncState::new(Doc::empty(), 0),
            resuming: true,
        });
        self.pending.push(Change::SetLive(plan.clone()));
    }

    /// A new secret for a live plan (the owner replaced the edit link).
    pub fn set_live_token(&mut self, plan: &PlanId, token: EditToken) {
        if let Some(live) = self.live_mut(plan) {
            live.token = token;
            self.pending.push(Change::SetLive(plan.clone()));
        }
    }

    /// Adds a live plan joined through an edit link (or finds the one already here) and
    /// returns its id.
    pub fn join(&mut self, share: &ShareId, token: EditToken, doc: Doc, seq: u64) -> PlanId {
        if let Some(entry) = self
            .workspace
            .plans
            .iter_mut()
            .find(|e| e.live.as_ref().is_some_and(|l| l.share == *share))
        {
            let id = entry.id.clone();
            if let Some(live) = &mut entry.live {
                live.token = token;
            }
            self.pending.push(Change::SetLive(id.clone()));
            return id;
        }
        let id = self.workspace.fresh_plan_id(&mut self.ids);
        let sync = SyncState::new(doc, seq);
        let entry = PlanEntry::from_doc(
            id.clone(),
            sync.view(),
            Some(LiveLink {
                share: share.clone(),
                token,
                sync,
                resuming: false,
            }),
        );
        self.change(Change::AddPlan(Box::new(entry)));
        self.pending.push(Change::SetLive(id.clone()));
        id
    }

    /// Stops editing `plan` together: it stays here as a private plan holding everything
    /// shown, this tab's unsent edits included.
    pub fn leave_live(&mut self, plan: &PlanId) {
        if let Some(entry) = self.workspace.entry_mut(plan) {
            if entry.live.take().is_some() {
                self.pending.push(Change::SetLive(plan.clone()));
            }
        }
    }

    pub fn live(&self, plan: &PlanId) -> Option<&LiveLink> {
        self.workspace.entry(plan).and_then(|e| e.live.as_ref())
    }

    /// The next batch of this tab's writes to send, if any (`max_ops` at most). Its id is
    /// this tab's replica and its next counter for the plan.
    pub fn outgoing(&mut self, plan: &PlanId, max_ops: usize) -> Option<Batch> {
        let replica = self.clock.replica;
        let key = self.key;
        let next = self.counters.get(plan).copied().unwrap_or(0) + 1;
        let live = self.live_mut(plan)?;
        if live.resuming {
            return None;
        }
        let batch = live.sync.seal(max_ops, batch_id(replica, next), key)?;
        self.counters.insert(plan.clone(), next);
        self.pending.push(Change::Edit(plan.clone()));
        Some(batch)
    }

    /// Every batch the server has not acknowledged (to send again after reconnecting), in
    /// the order they were made. Batches saved by an older version of the editor (without
    /// a key) are sealed again as this tab's.
    pub fn unacknowledged(&mut self, plan: &PlanId) -> Vec<Batch> {
        let replica = self.clock.replica;
        let key = self.key;
        let mut next = self.counters.get(plan).copied().unwrap_or(0);
        let Some(live) = self.live_mut(plan) else {
            return Vec::new();
        };
        let mut rekeyed = false;
        for batch in &mut live.sync.pending {
            if batch.key == 0 {
                next += 1;
                batch.id = batch_id(replica, next);
                batch.key = key;
                rekeyed = true;
            }
        }
        let list = live.sync.unacknowledged().cloned().collect();
        if rekeyed {
            self.counters.insert(plan.clone(), next);
            self.pending.push(Change::Edit(plan.clone()));
        }
        list
    }

    /// Whether a batch of the plan awaits the server's acknowledgement.
    pub fn in_flight(&self, plan: &PlanId) -> bool {
        self.live(plan)
            .is_some_and(|l| l.sync.unacknowledged().next().is_some())
    }

    /// Writes waiting for the server.
    pub fn waiting(&self, plan: &PlanId) -> usize {
        self.live(plan).map_or(0, |l| l.sync.waiting())
    }

    fn live_mut(&mut self, plan: &PlanId) -> Option<&mut LiveLink> {
        self.workspace.entry_mut(plan).and_then(|e| e.live.as_mut())
    }

    /// A batch the server logged (anyone's).
    pub fn on_logged(&mut self, plan: &PlanId, logged: Logged) -> Remote {
        for op in &logged.ops {
            self.clock.observe(op.stamp());
        }
        let Some(entry) = self.workspace.entry_mut(plan) else {
            return Remote::Nothing;
        };
        let Some(live) = entry.live.as_mut() else {
            return Remote::Nothing;
        };
        let update = live.sync.on_ops(logged, &mut entry.doc);
        let remote = settle(entry, update);
        self.pending.push(Change::Edit(plan.clone()));
        remote
    }

    /// This tab's changes that lost to someone else's when they were logged, since this
    /// was last asked.
    pub fn take_overridden(&mut self, plan: &PlanId) -> Vec<crate::model::Overridden> {
        self.workspace
            .entry_mut(plan)
            .and_then(|e| e.live.as_mut())
            .map(|live| std::mem::take(&mut live.sync.overridden))
            .unwrap_or_default()
    }

    /// The server stored one of our batches (as `seq`), all but the ops `refused` lists:
    /// those are taken out of what this tab shows, and returned with the plan as it was
    /// shown before, so nothing typed is lost.
    pub fn on_ack(
        &mut self,
        plan: &PlanId,
        batch: u64,
        seq: u64,
        refused: &[Refusal],
    ) -> (Remote, Option<NotKept>) {
        let Some(entry) = self.workspace.entry_mut(plan) else {
            return (Remote::Nothing, None);
        };
        let Some(live) = entry.live.as_mut() else {
            return (Remote::Nothing, None);
        };
        let not_kept = live
            .sync
            .pending
            .iter()
            .find(|b| b.id == batch)
            .filter(|_| !refused.is_empty())
            .map(|b| NotKept {
                ops: refused
                    .iter()
                    .filter_map(|r| b.ops.get(r.op as usize).map(|op| (op.clone(), r.why)))
                    .collect(),
                before: entry.plan.clone(),
            });
        let update = live.sync.on_ack(batch, seq);
        let remote = settle(entry, update);
        self.pending.push(Change::Edit(plan.clone()));
        (remote, not_kept)
    }

    /// The server took none of batch `batch` and never will: it leaves what this tab
    /// shows, and comes back with the plan as it was shown before.
    pub fn not_taken(&mut self, plan: &PlanId, batch: u64) -> (Remote, Option<NotKept>) {
        let Some(entry) = self.workspace.entry_mut(plan) else {
            return (Remote::Nothing, None);
        };
        let Some(live) = entry.live.as_mut() else {
            return (Remote::Nothing, None);
        };
        let Some(held) = live.sync.pending.iter().find(|b| b.id == batch).cloned() else {
            return (Remote::Nothing, None);
        };
        let not_kept = NotKept {
            ops: held.ops.into_iter().map(|op| (op, Why::Invalid)).collect(),
            before: entry.plan.clone(),
        };
        live.sync.drop_pending(batch);
        let remote = settle(entry, Update::Rebuild);
        self.pending.push(Change::Edit(plan.clone()));
        (remote, Some(not_kept))
    }

    /// The server's whole document (we were older than its log, or had none). A plan
    /// whose editing was just turned on again takes it now and sends what it lacks.
    pub fn on_snapshot(&mut self, plan: &PlanId, seq: u64, doc: Doc) -> Remote {
        self.clock.observe(doc.latest());
        let Some(entry) = self.workspace.entry_mut(plan) else {
            return Remote::Nothing;
        };
        let Some(live) = entry.live.as_mut() else {
            return Remote::Nothing;
        };
        if live.resuming {
            let (share, token) = (live.share.clone(), live.token.clone());
            self.go_live(plan, share, token, doc, seq);
            return Remote::Rebuild;
        }
        let update = live.sync.on_snapshot(seq, doc);
        let remote = settle(entry, update);
        self.pending.push(Change::Edit(plan.clone()));
        remote
    }

    /// Whether the plan's copy misses logged batches before ones it holds.
    pub fn has_gap(&self, plan: &PlanId) -> bool {
        self.live(plan).is_some_and(|l| l.sync.has_gap())
    }
}

/// Brings the shown plan in line after a message from the server.
fn settle(entry: &mut PlanEntry, update: Update) -> Remote {
    match update {
        Update::Rebuild => {
            if let Some(live) = &entry.live {
                entry.doc = live.sync.view();
            }
            entry.plan = entry.doc.plan();
            Remote::Rebuild
        }
        Update::Changes(changes) if changes.is_empty() => Remote::Nothing,
        Update::Changes(changes) => {
            if changes.contains(&DocChange::Order) {
                entry.plan = entry.doc.plan();
            } else {
                for change in &changes {
                    match change {
                        DocChange::Title => entry.plan.title = entry.doc.title.value.clone(),
                        DocChange::Cell(id, _) => {
                            let fresh = entry.doc.row(id).map(|r| r.to_row(id));
                            if let (Some(fresh), Some(i)) = (fresh, entry.plan.position(id)) {
                                entry.plan.rows[i] = fresh;
                            }
                        }
                        DocChange::Order => {}
                    }
                }
            }
            Remote::Changed(changes)
        }
    }
}
