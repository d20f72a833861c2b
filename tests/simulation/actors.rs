//! What the simulated people do: honest edits, a hostile editor's attacks, and one step
//! of the world.

use super::*;

impl World {
    /// One person's edit, through the same session calls the editor makes.
    pub(super) fn edit(&mut self, b: usize) {
        let local = self.local_now(b);
        let browser = &mut self.browsers[b];
        let Some(plan) = browser.plan.clone() else {
            return;
        };
        browser.session.set_time(local);
        if let Some((row, left)) = browser.typing.take() {
            // The next keystroke in the Notes editor.
            let text = format!(
                "{}{}",
                browser
                    .session
                    .plan(&plan)
                    .and_then(|p| p.row(&row))
                    .map_or(String::new(), |r| r.notes.clone()),
                (b'a' + (self.rng.below(26) as u8)) as char
            );
            let _ = browser.session.apply(
                &plan,
                Edit::SetField {
                    row: row.clone(),
                    field: Field::Notes,
                    value: text,
                },
            );
            if left > 1 {
                browser.typing = Some((row, left - 1));
            } else {
                browser.session.end_typing();
                browser.session.seal(&plan);
            }
            return;
        }
        let rows: Vec<RowId> = browser
            .session
            .plan(&plan)
            .map(|p| p.rows.iter().map(|r| r.id.clone()).collect())
            .unwrap_or_default();
        let word = format!("w{}", self.rng.below(60));
        let kind = self.rng.below(100);
        let edit = if kind < 35 {
            let Some(row) = self.rng.pick(&rows) else {
                return;
            };
            let field = [
                Field::Item,
                Field::Category,
                Field::Owner,
                Field::Priority,
                Field::Status,
            ][self.rng.below(5) as usize];
            let value = match field {
                Field::Priority => Priority::ALL[self.rng.below(4) as usize]
                    .as_str()
                    .to_owned(),
                Field::Status => Status::ALL[self.rng.below(4) as usize].as_str().to_owned(),
                _ => word,
            };
            Edit::SetField { row, field, value }
        } else if kind < 47 {
            // Typing in a Notes cell: opens the editor, keystrokes follow as later edits.
            let Some(row) = self.rng.pick(&rows) else {
                return;
            };
            browser.session.begin_typing(&plan, &row, Field::Notes);
            browser.typing = Some((row, 1 + self.rng.below(4) as u32));
            return;
        } else if kind < 60 {
            let id = browser.session.new_row_id(&plan);
            browser.inserted.push(id.clone());
            Edit::InsertRow {
                at: self.rng.below(rows.len() as u64 + 1) as usize,
                row: Row {
                    item: format!("new {word}"),
                    ..Row::blank(id)
                },
            }
        } else if kind < 68 {
            let Some(row) = self.rng.pick(&rows) else {
                return;
            };
            Edit::DeleteRow { row }
        } else if kind < 84 {
            let Some(row) = self.rng.pick(&rows) else {
                return;
            };
            // Often to the top: the same spot again and again grows position keys.
            let to = if self.rng.chance(40) {
                0
            } else {
                self.rng.below(rows.len() as u64) as usize
            };
            Edit::MoveRow { row, to }
        } else if kind < 92 {
            browser.session.undo(&plan);
            return;
        } else if kind < 96 {
            browser.session.redo(&plan);
            return;
        } else {
            // Someone settles a Notes cell written at once by several people.
            let conflicted = browser.session.entry(&plan).and_then(|e| {
                e.doc
                    .rows
                    .iter()
                    .find(|(_, r)| r.alive.value && r.notes.in_conflict())
                    .map(|(id, r)| (id.clone(), r.notes.text().to_owned()))
            });
            if let Some((row, text)) = conflicted {
                browser
                    .session
                    .resolve_notes(&plan, &row, format!("{text} (kept)"));
            }
            return;
        };
        let _ = browser.session.apply(&plan, edit);
        browser.session.seal(&plan);
    }

    /// The hostile editor sends something a correct editor never would.
    pub(super) fn attack(&mut self, b: usize) {
        let now = self.now() as u64;
        // Editors it saw (in presence): the ones it may send batches in the name of.
        let victims: Vec<u32> = self
            .browsers
            .iter()
            .filter(|v| !v.hostile && v.link.is_some())
            .map(|v| v.session.replica())
            .collect();
        let browser = &mut self.browsers[b];
        let (Some(plan), Some(link)) = (browser.plan.clone(), browser.link.as_mut()) else {
            return;
        };
        if !link.conn.welcomed {
            return;
        }
        let Some(entry) = browser.session.entry(&plan) else {
            return;
        };
        let rows: Vec<RowId> = entry.plan.rows.iter().map(|r| r.id.clone()).collect();
        let Some(row) = self.rng.pick(&rows) else {
            return;
        };
        let replica = browser.session.replica();
        let stamp = |wall: u64, count: u32| Stamp {
            wall,
            count,
            replica,
        };
        let cell = |value: &str, s: Stamp| Op::Cell {
            row: row.clone(),
            value: CellValue::Owner(value.into()),
            stamp: s,
        };
        let (ops, in_name_of) = match self.rng.below(6) {
            // A clock days ahead: moved back to the bound.
            0 => (
                vec![cell("from the future", stamp(now + 3 * DAY as u64, 0))],
                None,
            ),
            // A counter no clock reaches, just inside the bound.
            1 => (
                vec![cell(
                    "frozen",
                    Stamp {
                        wall: now + 59_000,
                        count: u32::MAX,
                        replica: u32::MAX,
                    },
                )],
                None,
            ),
            // A position key past any limit.
            2 => (
                vec![Op::Position {
                    row: row.clone(),
                    position: Position("V".repeat(600)),
                    stamp: stamp(now, 0),
                }],
                None,
            ),
            // A stamp copied from a write the plan holds, with other content.
            3 => {
                let held = entry.doc.row(&row).map(|r| r.stamp(Field::Item));
                match held {
                    Some(s) if !s.is_unedited() => (
                        vec![Op::Cell {
                            row: row.clone(),
                            value: CellValue::Item("forged".into()),
                            stamp: s,
                        }],
                        None,
                    ),
                    _ => return,
                }
            }
            // A batch in another editor's name (one it saw in presence).
            4 => {
                let Some(victim) = self.rng.pick(&victims) else {
                    return;
                };
                let counter = 1 + self.rng.below(8) as u32;
                (
                    vec![cell("in your name", stamp(now, 0))],
                    Some((victim, counter)),
                )
            }
            // A Notes version that claims to have seen thousands of writers.
            _ => (
                vec![Op::Notes {
                    row: row.clone(),
                    version: syncplan::model::Version {
                        text: "seen everything".into(),
                        stamp: stamp(now, 0),
                        seen: (0..5_000).map(|r| (r, stamp(now, 0))).collect(),
                        logged: 99,
                        base: u64::MAX,
                    },
                }],
                None,
            ),
        };
        let browser = &mut self.browsers[b];
        let id = match in_name_of {
            Some((victim, counter)) => batch_id(victim, counter),
            None => {
                browser.counter += 1;
                batch_id(replica, browser.counter)
            }
        };
        let key = browser.session.key();
        let link = browser.link.as_mut().expect("connected");
        link.up
            .push_back(ClientMsg::Ops(Batch { id, key, ops }.into()));
    }

    // ----- the run -----

    pub(super) async fn step(&mut self) {
        let advance = match self.rng.below(200) {
            0 => DAY + self.rng.below(2 * DAY as u64) as i64,
            1..=8 => self.rng.below(120_000) as i64,
            _ => self.rng.below(2_000) as i64,
        };
        self.now.fetch_add(advance, Ordering::Relaxed);
        let b = self.rng.below(self.browsers.len() as u64) as usize;
        let s = self.rng.below(self.servers.len() as u64) as usize;
        let action = self.rng.below(1000);
        if std::env::var("SYNCPLAN_SIM_TRACE").is_ok() {
            let link = self.browsers[b]
                .link
                .as_ref()
                .map(|l| (l.server, l.up.len(), l.down.len(), l.conn.welcomed));
            eprintln!(
                "t={} action {action} browser {b} {link:?} server {s}",
                self.now()
            );
        }
        match action {
            0..=249 => {
                if self.browsers[b].hostile {
                    self.attack(b);
                } else {
                    self.edit(b);
                    if self.rng.chance(50) {
                        self.flush(b);
                    }
                }
            }
            250..=299 => self.flush(b),
            300..=339 => {
                if self.browsers[b].link.is_some() {
                    self.disconnect(b).await;
                } else {
                    self.connect(b);
                }
            }
            340..=589 => self.deliver_up(b).await,
            590..=839 => self.deliver_down(b).await,
            840..=919 => self.settle(s).await,
            920..=964 => self.deliver_note(s).await,
            965..=974 => {
                // The listener's connection drops: what was on its way is lost.
                self.servers[s].inbox.clear();
                self.route_notes();
                self.servers[s].inbox.clear();
                self.servers[s].resync_due = true;
            }
            975..=989 => self.listener_back(s).await,
            990..=994 => {
                if !self.zombies.is_empty() {
                    let z = self.rng.below(self.zombies.len() as u64) as usize;
                    self.deliver_zombie(z).await;
                }
            }
            _ => self.restart(s).await,
        }
    }
}
