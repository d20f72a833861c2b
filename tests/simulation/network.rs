//! The simulated network and servers: connections that break, deliveries in both
//! directions, notes between instances, restarts.

use super::*;

impl World {
    pub(super) fn connect(&mut self, b: usize) {
        if self.browsers[b].link.is_some() {
            return;
        }
        let server = self.rng.below(self.servers.len() as u64) as usize;
        let browser = &mut self.browsers[b];
        let joining = browser.plan.is_none().then(|| Joining {
            share: self.id.clone(),
            token: self.token.clone(),
        });
        let conn = Conn::new(browser.plan.clone(), joining);
        let name = browser.name.clone();
        let hello = conn.hello(&browser.session, self.token.clone(), name);
        browser.link = Some(Link {
            server,
            epoch: self.servers[server].epoch,
            conn,
            session: None,
            up: VecDeque::from([hello]),
            down: VecDeque::new(),
            ended: None,
            wire: Wire::default(),
        });
    }

    /// The connection breaks (both ways); what it had sent may still reach the server.
    pub(super) async fn disconnect(&mut self, b: usize) {
        let Some(mut link) = self.browsers[b].link.take() else {
            return;
        };
        link.conn.closed();
        let keep = !link.up.is_empty() && link.session.is_some() && self.rng.chance(30);
        if keep {
            self.zombies.push(Zombie {
                server: link.server,
                epoch: link.epoch,
                session: link.session.take(),
                up: std::mem::take(&mut link.up),
            });
        } else if let Some(session) = link.session.take() {
            self.end_session(link.server, link.epoch, session).await;
        }
    }

    pub(super) async fn end_session(&mut self, server: usize, epoch: u64, session: LiveSession) {
        if self.servers[server].epoch == epoch {
            let live = self.servers[server].live.clone();
            live.end(session).await;
        }
    }

    /// One message from browser `b` reaches its server.
    pub(super) async fn deliver_up(&mut self, b: usize) {
        let Some(link) = self.browsers[b].link.as_mut() else {
            return;
        };
        if link.ended.is_some() {
            return;
        }
        if self.servers[link.server].epoch != link.epoch {
            // The instance restarted: the connection is gone.
            self.browsers[b].link = None;
            return;
        }
        let Some(msg) = link.up.pop_front() else {
            return;
        };
        let live = self.servers[link.server].live.clone();
        let end: Option<Option<ErrorCode>> = match link.session.as_mut() {
            None => match msg {
                ClientMsg::Hello(hello) => match live
                    .open(&self.id, hello, client_of(b), &mut link.wire)
                    .await
                {
                    Ok(session) => {
                        link.session = Some(session);
                        None
                    }
                    Err(Refused(code)) => {
                        let _ = link.wire.send(error_bytes(code)).await;
                        link.wire.close(code).await;
                        Some(Some(code))
                    }
                },
                _ => {
                    link.wire.close(ErrorCode::BadMessage).await;
                    Some(Some(ErrorCode::BadMessage))
                }
            },
            Some(session) => live
                .handle(session, msg, &mut link.wire)
                .await
                .err()
                .map(Some),
        };
        if let Some(code) = end {
            if let Some(session) = link.session.take() {
                live.finish(session, &mut link.wire, code).await;
            }
            link.ended = Some(code);
        }
        collect(link);
    }

    /// One message reaches browser `b` (or, when none is left, the close that followed).
    pub(super) async fn deliver_down(&mut self, b: usize) {
        let plant_here = self.plant == Plant::DropLastDelivery && !self.planted;
        let Some(link) = self.browsers[b].link.as_mut() else {
            return;
        };
        let Some(bytes) = link.down.pop_front() else {
            if let Some(code) = link.ended {
                self.closed(b, code).await;
            }
            return;
        };
        let msg: ServerMsg = wire::decode(&bytes).expect("the server sends what the browser reads");
        if std::env::var("SYNCPLAN_SIM_TRACE").is_ok() {
            let what = match &msg {
                ServerMsg::Ops(l) => format!("Ops seq {} batch {:x}", l.seq, l.batch),
                ServerMsg::Snapshot { seq, .. } => format!("Snapshot {seq}"),
                ServerMsg::Welcome { seq, .. } => format!("Welcome {seq}"),
                other => format!("{other:?}").chars().take(80).collect(),
            };
            eprintln!("  browser {b} gets {what}");
        }
        if plant_here
            && !self.browsers[b].hostile
            && matches!(msg, ServerMsg::Ops(_))
            && self.browsers[b]
                .link
                .as_ref()
                .is_some_and(|l| l.down.is_empty() && l.up.is_empty())
        {
            // The planted bug: the last batch never reaches this browser, and nothing says so.
            self.planted = true;
            return;
        }
        let browser = &mut self.browsers[b];
        let local = (self.now.load(Ordering::Relaxed) + browser.skew).max(1) as u64;
        browser.session.set_time(local);
        if let ServerMsg::Ack { batch, refused, .. } = &msg {
            if !browser.hostile {
                if !refused.is_empty() {
                    let v = Violation::NotKept(format!("{}: {refused:?}", browser.name));
                    self.violations.insert(v);
                }
                self.acked.insert(*batch);
            }
        }
        let browser = &mut self.browsers[b];
        let link = browser.link.as_mut().expect("still connected");
        let effects = link.conn.on_message(&mut browser.session, msg);
        for effect in effects {
            match effect {
                Effect::Send(msg) => link.up.push_back(msg),
                Effect::Joined(id) => browser.plan = Some(id),
                Effect::NotKept(not_kept) if !browser.hostile => {
                    let v = Violation::NotKept(format!("{}: {:?}", browser.name, not_kept.ops));
                    self.violations.insert(v);
                }
                Effect::Notice(text) if !browser.hostile => {
                    let v = Violation::NotKept(format!("{}: told \"{text}\"", browser.name));
                    self.violations.insert(v);
                }
                _ => {}
            }
        }
    }

    /// The connection of browser `b` was closed by the server with `code`.
    pub(super) async fn closed(&mut self, b: usize, code: Option<ErrorCode>) {
        let browser = &mut self.browsers[b];
        if let Some(mut link) = browser.link.take() {
            link.conn.closed();
        }
        if let Some(code) = code {
            if code.retry() == Retry::Never && !browser.hostile {
                let v = Violation::ThrownOut(format!("{} closed with {code:?}", browser.name));
                self.violations.insert(v);
            }
        }
    }

    /// The server side of every connection on instance `s` sends what is due.
    pub(super) async fn pump(&mut self, s: usize) {
        let live = self.servers[s].live.clone();
        let epoch = self.servers[s].epoch;
        for browser in &mut self.browsers {
            let Some(link) = browser.link.as_mut() else {
                continue;
            };
            if link.server != s || link.epoch != epoch {
                continue;
            }
            if let Some(session) = link.session.as_mut() {
                if let Err(code) = live.pump(session, &mut link.wire).await {
                    let session = link.session.take().expect("there");
                    live.finish(session, &mut link.wire, code).await;
                    link.ended = Some(code);
                }
            }
            collect(link);
        }
        for zombie in &mut self.zombies {
            if zombie.server != s || zombie.epoch != epoch {
                continue;
            }
            if let Some(session) = zombie.session.as_mut() {
                let mut nowhere = Wire::default();
                if live.pump(session, &mut nowhere).await.is_err() {
                    let session = zombie.session.take().expect("there");
                    live.finish(session, &mut nowhere, None).await;
                }
            }
        }
    }

    /// Instance `s` commits what is queued; the ledger takes what was logged.
    pub(super) async fn settle(&mut self, s: usize) {
        self.servers[s].live.settle().await;
        self.read_ledger();
        self.pump(s).await;
    }

    pub(super) fn read_ledger(&mut self) {
        for server in &mut self.servers {
            while let Ok((_, logged)) = server.logged.try_recv() {
                self.ledger.insert(logged.batch, logged);
            }
        }
    }

    /// Notes each instance's store made go to the other instance's listener.
    pub(super) fn route_notes(&mut self) {
        let n = self.servers.len();
        for s in 0..n {
            while let Ok(note) = self.servers[s].notes.try_recv() {
                let other = (s + 1) % n;
                self.servers[other].inbox.push_back(note);
            }
        }
    }

    pub(super) async fn deliver_note(&mut self, s: usize) {
        self.route_notes();
        if let Some(note) = self.servers[s].inbox.pop_front() {
            if std::env::var("SYNCPLAN_SIM_TRACE").is_ok() {
                eprintln!("  server {s} hears {note:?}");
            }
            let live = self.servers[s].live.clone();
            live.on_note(note).await;
            self.pump(s).await;
        }
    }

    pub(super) async fn listener_back(&mut self, s: usize) {
        if self.servers[s].resync_due {
            self.servers[s].resync_due = false;
            if std::env::var("SYNCPLAN_SIM_TRACE").is_ok() {
                eprintln!("  server {s} listens again");
            }
            let live = self.servers[s].live.clone();
            live.resync().await;
            self.pump(s).await;
        }
    }

    /// A zombie connection's next message reaches the server.
    pub(super) async fn deliver_zombie(&mut self, z: usize) {
        let zombie = &mut self.zombies[z];
        if self.servers[zombie.server].epoch != zombie.epoch {
            self.zombies.remove(z);
            return;
        }
        let live = self.servers[zombie.server].live.clone();
        let mut nowhere = Wire::default();
        let done = match (zombie.session.as_mut(), zombie.up.pop_front()) {
            (Some(session), Some(msg)) => live.handle(session, msg, &mut nowhere).await.is_err(),
            _ => true,
        };
        if done || zombie.up.is_empty() {
            let zombie = self.zombies.remove(z);
            if let Some(session) = zombie.session {
                live.finish(session, &mut nowhere, None).await;
            }
        }
    }

    pub(super) async fn restart(&mut self, s: usize) {
        if std::env::var("SYNCPLAN_SIM_TRACE").is_ok() {
            eprintln!("  server {s} restarts");
        }
        // What its commits told the other instances was sent with them (NOTIFY goes out
        // with the transaction), whatever becomes of this instance now.
        self.route_notes();
        self.read_ledger();
        let mut fresh = open_server(&self.url, &self.now).await;
        fresh.epoch = self.servers[s].epoch + 1;
        // Everything the old instance held is gone: its connections break.
        self.servers[s] = fresh;
        for b in 0..self.browsers.len() {
            if self.browsers[b]
                .link
                .as_ref()
                .is_some_and(|l| l.server == s)
            {
                let mut link = self.browsers[b].link.take().expect("there");
                link.conn.closed();
            }
        }
        self.zombies.retain(|z| z.server != s);
    }

    // ----- browsers -----

    /// This browser's writes not sent yet go out (once it is welcomed).
    pub(super) fn flush(&mut self, b: usize) {
        let local = self.local_now(b);
        let browser = &mut self.browsers[b];
        if browser.hostile {
            return;
        }
        let Some(link) = browser.link.as_mut() else {
            return;
        };
        browser.session.set_time(local);
        for msg in link.conn.outgoing(&mut browser.session) {
            link.up.push_back(msg);
        }
    }
}
