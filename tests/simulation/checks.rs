//! The properties checked: quiescence, "Synced" means the stored plan, no acknowledged
//! write lost, every browser byte for byte the same, and every point the history keeps
//! rebuilt as the plan was then.

use super::*;

impl World {
    /// Delivers everything in flight, commits, routes notes, until nothing moves (no new
    /// edits, no faults).
    pub(super) async fn quiesce(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            for b in 0..self.browsers.len() {
                while self.browsers[b]
                    .link
                    .as_ref()
                    .is_some_and(|l| !l.up.is_empty() && l.ended.is_none())
                {
                    self.deliver_up(b).await;
                    moved = true;
                }
            }
            while !self.zombies.is_empty() {
                self.deliver_zombie(0).await;
                moved = true;
            }
            for s in 0..self.servers.len() {
                self.settle(s).await;
            }
            self.route_notes();
            for s in 0..self.servers.len() {
                self.listener_back(s).await;
                while !self.servers[s].inbox.is_empty() {
                    self.deliver_note(s).await;
                    moved = true;
                }
            }
            for b in 0..self.browsers.len() {
                while self.browsers[b]
                    .link
                    .as_ref()
                    .is_some_and(|l| !l.down.is_empty() || l.ended.is_some())
                {
                    self.deliver_down(b).await;
                    moved = true;
                }
                let before = self.browsers[b].link.as_ref().map_or(0, |l| l.up.len());
                self.flush(b);
                if self.browsers[b].link.as_ref().map_or(0, |l| l.up.len()) > before {
                    moved = true;
                }
            }
            if !moved {
                return;
            }
        }
        panic!("seed {}: the world did not settle", self.seed);
    }

    /// The plan as stored.
    pub(super) async fn stored(&self) -> (u64, Doc) {
        match self.servers[0]
            .store
            .load_live(&self.id)
            .await
            .expect("the store answers")
        {
            syncplan::server::LiveLoad::Live(stored) => (stored.live.seq, stored.live.doc),
            other => panic!("seed {}: the plan is not live: {other:?}", self.seed),
        }
    }

    /// Every browser that says "Synced" holds the plan as stored.
    pub(super) async fn check_synced(&mut self) {
        let (seq, doc) = self.stored().await;
        for b in 0..self.browsers.len() {
            let browser = &self.browsers[b];
            let (Some(plan), Some(link)) = (&browser.plan, &browser.link) else {
                continue;
            };
            if browser.hostile || !link.conn.synced(&browser.session) {
                continue;
            }
            let live = browser.session.live(plan).expect("a live plan");
            let entry = browser.session.entry(plan).expect("the plan");
            if live.sync.seq != seq || entry.doc != doc {
                let v = Violation::LeftBehind(format!(
                    "{} says Synced at {} holding {}, the plan is at {seq}",
                    browser.name,
                    live.sync.seq,
                    if entry.doc == doc {
                        "the same"
                    } else {
                        "another document"
                    }
                ));
                self.violation(v);
            }
        }
    }

    /// Everyone online, everything delivered.
    pub(super) async fn heal(&mut self) {
        for b in 0..self.browsers.len() {
            if self.browsers[b].typing.take().is_some() {
                self.browsers[b].session.end_typing();
            }
        }
        for _ in 0..50 {
            for b in 0..self.browsers.len() {
                if !self.browsers[b].hostile {
                    self.connect(b);
                }
            }
            for s in 0..self.servers.len() {
                self.servers[s].resync_due = true;
            }
            self.quiesce().await;
            let settled = self.browsers.iter().all(|browser| {
                browser.hostile
                    || browser
                        .link
                        .as_ref()
                        .is_some_and(|l| l.conn.synced(&browser.session))
            });
            if settled {
                return;
            }
        }
        let stuck: Vec<String> = self
            .browsers
            .iter()
            .filter(|b| !b.hostile && !b.link.as_ref().is_some_and(|l| l.conn.synced(&b.session)))
            .map(|b| b.name.clone())
            .collect();
        self.violation(Violation::LeftBehind(format!(
            "never synced again: {stuck:?}"
        )));
    }

    pub(super) async fn lose_an_acked_write(&mut self) {
        let (_, doc) = self.stored().await;
        for batch in &self.acked {
            let Some(logged) = self.ledger.get(batch) else {
                continue;
            };
            for op in &logged.ops {
                if let Op::Cell {
                    row,
                    value: CellValue::Owner(_),
                    stamp,
                } = op
                {
                    if doc.row(row).is_some_and(|r| r.owner.stamp == *stamp) {
                        let stale = syncplan::model::Reg {
                            value: "lost".to_owned(),
                            stamp: Stamp::BASE,
                        };
                        sqlx::any::install_default_drivers();
                        let pool = sqlx::AnyPool::connect(&self.url).await.unwrap();
                        sqlx::query(
                            "UPDATE share_cells SET reg = $1 WHERE share_id = $2 AND row_id = $3 AND field = 'owner'",
                        )
                        .bind(serde_json::to_string(&stale).unwrap())
                        .bind(self.id.as_str().to_owned())
                        .bind(row.as_str().to_owned())
                        .execute(&pool)
                        .await
                        .unwrap();
                        pool.close().await;
                        self.planted = true;
                        return;
                    }
                }
            }
        }
    }

    /// The checks after healing.
    pub(super) async fn check(&mut self) {
        if self.plant == Plant::LoseAckedWrite {
            self.lose_an_acked_write().await;
        }
        let (_, stored) = self.stored().await;
        // Every acknowledged op is in the plan, or written over by a later one.
        for batch in &self.acked.clone() {
            let Some(logged) = self.ledger.get(batch) else {
                continue;
            };
            for op in &logged.ops {
                if !kept(&stored, op) {
                    self.violations
                        .insert(Violation::AckedOpLost(format!("{op:?}")));
                }
            }
        }
        let known: BTreeSet<RowId> = self
            .browsers
            .iter()
            .flat_map(|b| b.inserted.iter().cloned())
            .chain(self.template_rows.iter().cloned())
            .collect();
        for id in stored.order() {
            if !known.contains(id) {
                self.violation(Violation::Diverged(format!("row {id} was never inserted")));
            }
        }
        for s in 0..self.servers.len() {
            if let Some(room) = self.servers[s].live.room_doc(&self.id).await {
                if room.doc != stored {
                    self.violation(Violation::Diverged(format!("instance {s}'s room")));
                }
            }
        }
        for b in 0..self.browsers.len() {
            let browser = &self.browsers[b];
            if browser.hostile {
                continue;
            }
            let Some(plan) = &browser.plan else {
                let v = Violation::ThrownOut(format!("{} never joined", browser.name));
                self.violations.insert(v);
                continue;
            };
            let entry = browser.session.entry(plan).expect("the plan");
            let mut shown = entry.plan.clone();
            if self.plant == Plant::DuplicateShownRow && !self.planted && !shown.rows.is_empty() {
                // The planted bug: the shown plan lists a row twice.
                shown.rows.push(shown.rows[0].clone());
                self.planted = true;
            }
            let ids: BTreeSet<&RowId> = shown.rows.iter().map(|r| &r.id).collect();
            if ids.len() != shown.rows.len() {
                let v = Violation::RowShownTwice(browser.name.clone());
                self.violations.insert(v);
            }
            if entry.doc.checksum() != stored.checksum() || entry.doc != stored {
                let v = Violation::Diverged(format!("{}'s document", browser.name));
                self.violations.insert(v);
            }
            if shown != stored.plan() {
                let v = Violation::Diverged(format!("{}'s shown plan", browser.name));
                self.violations.insert(v);
            }
        }
    }
}

impl World {
    /// Every point of the plan's history that can still be rebuilt (a sample of them, the
    /// newest always) reads as the plan was then: the template with every logged batch up
    /// to that point applied, as the ledger saw them logged.
    pub(super) async fn check_history(&mut self) {
        let store = self.servers[0].store.clone();
        let secret = self.token.as_str().to_owned();
        if self.plant == Plant::DropHistory {
            self.drop_history().await;
        }
        let list = match store.versions(&self.id, &secret).await {
            Ok(Ok(list)) => list,
            other => {
                let v = Violation::HistoryWrong(format!("no versions: {other:?}"));
                self.violation(v);
                return;
            }
        };
        let mut logged: Vec<&Logged> = self.ledger.values().collect();
        logged.sort_by_key(|l| l.seq);
        let mut doc = Doc::from_plan(&template());
        let mut points = vec![(0u64, doc.plan())];
        for l in logged {
            for op in &l.ops {
                doc.apply(op);
            }
            points.push((l.seq, doc.plan()));
        }
        if points.last().map(|p| p.0) != Some(list.seq) {
            let v = Violation::HistoryWrong(format!(
                "the ledger ends at {:?}, the plan at {}",
                points.last().map(|p| p.0),
                list.seq
            ));
            self.violation(v);
            return;
        }
        let kept: Vec<(u64, Plan)> = points
            .into_iter()
            .filter(|(seq, _)| *seq >= list.restorable_from)
            .collect();
        let mut sample: Vec<usize> = (0..6)
            .map(|_| self.rng.below(kept.len() as u64) as usize)
            .collect();
        sample.push(kept.len() - 1);
        for i in sample {
            let (seq, was) = &kept[i];
            match store.version(&self.id, &secret, *seq).await {
                Ok(Ok(version)) if version.plan == *was => {}
                Ok(Ok(_)) => {
                    let v = Violation::HistoryWrong(format!("point {seq} rebuilt otherwise"));
                    self.violation(v);
                }
                other => {
                    let v = Violation::HistoryWrong(format!("point {seq}: {other:?}"));
                    self.violation(v);
                }
            }
        }
        // The store's size counts the plan and its history exactly (it is the quota).
        match store.audit_usage().await {
            Ok((kept, counted)) if kept == counted => {}
            other => {
                let v = Violation::HistoryWrong(format!(
                    "the store's size as kept and counted: {other:?}"
                ));
                self.violation(v);
            }
        }
    }

    /// The planted bug: the history loses what was logged after its base.
    async fn drop_history(&mut self) {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.url).await.unwrap();
        let dropped = sqlx::query(
            "DELETE FROM share_history WHERE share_id = $1 AND seq > \
             (SELECT history_from FROM shares WHERE id = $1)",
        )
        .bind(self.id.as_str().to_owned())
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected();
        pool.close().await;
        self.planted = dropped > 0;
    }
}

/// Whether the stored plan holds `op`, or a later write to its register.
pub(super) fn kept(doc: &Doc, op: &Op) -> bool {
    let stamp = op.stamp();
    let Some(same) = doc.same_write(op) else {
        // Another stamp: only a later one may have replaced it.
        return match op {
            Op::Notes { row, version } => doc.row(row).is_some_and(|r| {
                r.notes.supersedes(version) || r.notes.versions.iter().any(|v| v.stamp > stamp)
            }),
            _ => doc.held_stamp(op) > stamp,
        };
    };
    same
}

/// Moves what the server side sent into the connection's queue to the browser.
pub(super) fn collect(link: &mut Link) {
    link.down.extend(link.wire.sent.drain(..));
    if let Some(code) = link.wire.closed {
        link.ended = Some(Some(code));
    }
}

pub(super) fn error_bytes(code: ErrorCode) -> Arc<[u8]> {
    wire::encode(&ServerMsg::Error {
        code,
        batch: None,
        message: code.explain().to_owned(),
    })
    .into()
}
