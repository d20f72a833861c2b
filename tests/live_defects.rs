//! One regression test per defect of the live path found by trying it as a hostile or
//! long-lived user would (each failed on the code before the accept rule). They drive the
//! shipped code — rooms without tasks (`Live::manual`), the real store on SQLite, the
//! browser's real session and protocol rules — one step at a time.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use syncplan::model::{
    batch_id, Batch, CellValue, DocLimits, Edit, Field, Op, Plan, PlanId, Row, RowId, Session,
    Stamp, Workspace,
};
use syncplan::server::{
    ClientKey, Live, LiveLimits, LiveLoad, LiveSession, Outbox, ShareStore, StoreLimits,
};
use syncplan::shared::live_client::{Conn, Effect, Joining};
use syncplan::shared::wire::{self, ClientMsg, ErrorCode, Hello, ServerMsg, PROTOCOL};
use syncplan::shared::{EditToken, ShareId};

const DAY: i64 = 86_400_000;

#[derive(Default)]
struct Wire {
    sent: VecDeque<Arc<[u8]>>,
    closed: Option<ErrorCode>,
}

impl Outbox for Wire {
    async fn send(&mut self, bytes: Arc<[u8]>) -> bool {
        self.sent.push_back(bytes);
        true
    }
    async fn close(&mut self, code: ErrorCode) {
        self.closed = Some(code);
    }
}

/// A database with a shared plan edited together, and instances over it.
struct Setup {
    _dir: tempfile::TempDir,
    url: String,
    now: Arc<AtomicI64>,
    id: ShareId,
    token: EditToken,
}

impl Setup {
    async fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("d.db").display());
        let store = ShareStore::open(&url, limits()).await.unwrap();
        let plan = Plan::new(
            "Plan",
            (0..3)
                .map(|i| Row {
                    item: format!("Row {i}"),
                    ..Row::blank(RowId(format!("r{i}")))
                })
                .collect(),
        );
        let (id, owner) = store
            .create(&plan, ClientKey::of("127.0.0.1".parse().unwrap()))
            .await
            .unwrap();
        let (token, _) = store.enable_editing(&id, &owner).await.unwrap().unwrap();
        Setup {
            _dir: dir,
            url,
            now: Arc::new(AtomicI64::new(1_800_000_000_000)),
            id,
            token,
        }
    }

    /// An instance (its own pool on the database): notes from others reach it only when
    /// the test hands them in.
    async fn instance(&self) -> (Arc<ShareStore>, Arc<Live>) {
        let store = Arc::new(ShareStore::open(&self.url, limits()).await.unwrap());
        let clock = self.now.clone();
        let live = Live::manual(
            store.clone(),
            Arc::new(|_: &ShareId| {}),
            LiveLimits::default(),
            DocLimits::default(),
            Arc::new(move || clock.load(Ordering::Relaxed)),
        );
        (store, live)
    }

    fn advance(&self, ms: i64) {
        self.now.fetch_add(ms, Ordering::Relaxed);
    }

    fn now(&self) -> i64 {
        self.now.load(Ordering::Relaxed)
    }
}

/// The address every test tab connects from.
fn client() -> ClientKey {
    ClientKey::of("127.0.0.1".parse().unwrap())
}

fn limits() -> StoreLimits {
    StoreLimits {
        // Pruned after a handful of batches.
        log_batches: 5,
        ..StoreLimits::default()
    }
}

/// A browser tab: the real session and protocol rules, connected to one instance.
struct Tab {
    session: Session,
    conn: Conn,
    plan: Option<PlanId>,
    live: Arc<Live>,
    server: Option<LiveSession>,
    wire: Wire,
    /// Messages on their way to the server.
    up: VecDeque<ClientMsg>,
    /// Everything it was told (sentences included).
    heard: Vec<ServerMsg>,
    notices: Vec<String>,
    skew: i64,
}

impl Tab {
    fn new(seed: u64, live: &Arc<Live>) -> Tab {
        Tab {
            session: Session::new(Workspace::with_plan(Plan::new("Mine", vec![])), seed),
            conn: Conn::default(),
            plan: None,
            live: live.clone(),
            server: None,
            wire: Wire::default(),
            up: VecDeque::new(),
            heard: Vec::new(),
            notices: Vec::new(),
            skew: 0,
        }
    }

    /// Connects (joining the plan the first time) and says hello.
    async fn connect(&mut self, setup: &Setup, live: &Arc<Live>) {
        self.live = live.clone();
        self.wire = Wire::default();
        let joining = self.plan.is_none().then(|| Joining {
            share: setup.id.clone(),
            token: setup.token.clone(),
        });
        self.conn = Conn::new(self.plan.clone(), joining);
        let hello = self
            .conn
            .hello(&self.session, setup.token.clone(), "Tab".into());
        let ClientMsg::Hello(hello) = hello else {
            unreachable!()
        };
        self.server = Some(
            self.live
                .open(&setup.id, hello, client(), &mut self.wire)
                .await
                .expect("the session opens"),
        );
        self.exchange(setup).await;
    }

    /// The connection breaks: nothing in flight arrives.
    async fn drop_connection(&mut self) {
        if let Some(session) = self.server.take() {
            self.live.end(session).await;
        }
        self.conn.closed();
        self.up.clear();
        self.wire = Wire::default();
    }

    fn local_now(&self, setup: &Setup) -> u64 {
        (setup.now() + self.skew) as u64
    }

    /// An edit of the live plan, sent at once.
    fn edit(&mut self, setup: &Setup, edit: Edit) {
        self.session.set_time(self.local_now(setup));
        let plan = self.plan.clone().expect("joined");
        self.session.apply(&plan, edit).expect("the edit applies");
        self.session.seal(&plan);
        let out = self.conn.outgoing(&mut self.session);
        self.up.extend(out);
    }

    fn set(&mut self, setup: &Setup, row: &str, field: Field, value: &str) {
        self.edit(
            setup,
            Edit::SetField {
                row: RowId::from(row),
                field,
                value: value.into(),
            },
        );
    }

    /// Messages both ways until nothing moves (the room commits whatever is queued).
    async fn exchange(&mut self, setup: &Setup) {
        for _ in 0..1_000 {
            let mut moved = false;
            while let Some(msg) = self.up.pop_front() {
                moved = true;
                if let Some(session) = self.server.as_mut() {
                    let _ = self.live.handle(session, msg, &mut self.wire).await;
                }
            }
            self.live.settle().await;
            if let Some(session) = self.server.as_mut() {
                let _ = self.live.pump(session, &mut self.wire).await;
            }
            while let Some(bytes) = self.wire.sent.pop_front() {
                moved = true;
                let msg: ServerMsg = wire::decode(&bytes).unwrap();
                self.heard.push(msg.clone());
                self.session.set_time(self.local_now(setup));
                for effect in self.conn.on_message(&mut self.session, msg) {
                    match effect {
                        Effect::Send(m) => self.up.push_back(m),
                        Effect::Joined(id) => self.plan = Some(id),
                        Effect::Notice(text) => self.notices.push(text),
                        Effect::NotKept(n) => self.notices.push(format!("not kept: {:?}", n.ops)),
                        _ => {}
                    }
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the exchange did not settle");
    }

    fn plan(&self) -> Plan {
        self.session
            .plan(self.plan.as_ref().expect("joined"))
            .expect("the plan")
            .clone()
    }

    fn synced(&self) -> bool {
        self.conn.synced(&self.session)
    }
}

async fn stored(store: &ShareStore, id: &ShareId) -> (u64, Plan) {
    match store.load_live(id).await.unwrap() {
        LiveLoad::Live(s) => (s.live.seq, s.live.doc.plan()),
        other => panic!("{other:?}"),
    }
}

/// Defect 1: a batch retried after its log entry was pruned was logged again, with fresh
/// stamps, and the stale value replaced a newer one.
#[tokio::test(flavor = "current_thread")]
async fn a_retry_after_the_op_log_was_pruned_is_not_applied_again() {
    let setup = Setup::new().await;
    let (store, live) = setup.instance().await;
    let mut a = Tab::new(1, &live);
    a.skew = DAY; // a clock a day ahead: its stamps are moved back
    a.connect(&setup, &live).await;
    let mut c = Tab::new(2, &live);
    c.connect(&setup, &live).await;
    // A's batch is stored, but the acknowledgement is lost with the connection.
    a.set(&setup, "r0", Field::Owner, "stale A");
    let resend = a.up.clone();
    {
        let session = a.server.as_mut().unwrap();
        let msg = a.up.pop_front().unwrap();
        a.live.handle(session, msg, &mut a.wire).await.unwrap();
    }
    live.settle().await;
    a.drop_connection().await;
    // C overwrites the cell, then many batches prune the log far past A's batch.
    setup.advance(120_000);
    c.exchange(&setup).await;
    c.set(&setup, "r0", Field::Owner, "C, later");
    c.exchange(&setup).await;
    for i in 0..12 {
        setup.advance(1_000);
        c.set(
            &setup,
            "r1",
            Field::Notes,
            &format!("note {i} {}", "x".repeat(2_000)),
        );
        c.exchange(&setup).await;
    }
    // A comes back and sends its batch again, as its session does after a reconnect.
    setup.advance(60_000);
    a.connect(&setup, &live).await;
    assert!(resend.iter().all(|m| matches!(m, ClientMsg::Ops(_))));
    a.exchange(&setup).await;
    c.exchange(&setup).await;
    let (_, plan) = stored(&store, &setup.id).await;
    assert_eq!(
        plan.rows[0].owner, "C, later",
        "the retry was applied again"
    );
    assert_eq!(a.plan(), plan);
    assert!(a.synced() && c.synced());
}

/// Defect 2: an editor on an instance that fell behind the op log kept showing "Synced"
/// while it never received what the other instance logged.
#[tokio::test(flavor = "current_thread")]
async fn an_editor_on_an_instance_behind_the_log_is_sent_the_document() {
    let setup = Setup::new().await;
    let (store, on_a) = setup.instance().await;
    let (_, on_b) = setup.instance().await;
    let mut x = Tab::new(1, &on_b);
    x.connect(&setup, &on_b).await;
    let mut y = Tab::new(2, &on_a);
    y.connect(&setup, &on_a).await;
    // Y logs 25 batches on A; B hears nothing of them (its notes are lost).
    for i in 0..25 {
        setup.advance(1_000);
        y.set(&setup, "r2", Field::Owner, &format!("Y {i}"));
        y.exchange(&setup).await;
    }
    // X edits on B: B's room finds itself behind a pruned log.
    setup.advance(1_000);
    x.set(&setup, "r0", Field::Owner, "X");
    x.exchange(&setup).await;
    let (seq, plan) = stored(&store, &setup.id).await;
    assert_eq!(plan.rows[2].owner, "Y 24");
    assert_eq!(x.plan(), plan, "X was left with an old plan");
    assert!(x.synced());
    assert_eq!(
        x.session.live(x.plan.as_ref().unwrap()).unwrap().sync.seq,
        seq
    );
}

/// Defect 6: batch ids were chosen by the client and de-duplicated per plan, so anyone
/// could send a victim's next id first and have the victim's batch dropped as a repeat.
#[tokio::test(flavor = "current_thread")]
async fn nobody_can_pre_empt_another_editors_batches() {
    let setup = Setup::new().await;
    let (store, live) = setup.instance().await;
    let mut victim = Tab::new(1, &live);
    victim.connect(&setup, &live).await;
    let replica = victim.session.replica();
    // The attacker saw the victim's replica in presence, and says hello as it.
    let mut wire_out = Wire::default();
    let mut attacker = live
        .open(
            &setup.id,
            Hello {
                protocol: PROTOCOL,
                token: Some(setup.token.clone()),
                known: None,
                replica,
                key: 12_345,
                name: "Mallory".into(),
                owner: None,
            },
            client(),
            &mut wire_out,
        )
        .await
        .unwrap();
    for counter in 1..=3 {
        let batch = Batch {
            id: batch_id(replica, counter),
            key: 12_345,
            ops: vec![Op::Cell {
                row: RowId::from("r0"),
                value: CellValue::Owner("Mallory".into()),
                stamp: Stamp {
                    wall: setup.now() as u64,
                    count: counter,
                    replica,
                },
            }],
        };
        live.handle(&mut attacker, ClientMsg::Ops(batch.into()), &mut wire_out)
            .await
            .unwrap();
    }
    live.settle().await;
    let _ = live.pump(&mut attacker, &mut wire_out).await;
    let refusals = wire_out
        .sent
        .iter()
        .filter_map(|b| wire::decode::<ServerMsg>(b))
        .filter(|m| {
            matches!(
                m,
                ServerMsg::Error {
                    code: ErrorCode::NotYours,
                    ..
                }
            )
        })
        .count();
    assert_eq!(refusals, 3);
    // The victim's own batches, with the same ids, are stored.
    victim.set(&setup, "r0", Field::Owner, "Victim");
    victim.exchange(&setup).await;
    let (_, plan) = stored(&store, &setup.id).await;
    assert_eq!(plan.rows[0].owner, "Victim");
    assert!(victim.notices.is_empty(), "{:?}", victim.notices);
    assert!(victim.synced());
}

/// Defect 4: a Notes cell written one after another from many page loads stuck at 8
/// "versions" once its list of writers was cut to 256.
#[tokio::test(flavor = "current_thread")]
async fn notes_written_one_after_another_from_many_page_loads_never_conflict() {
    let setup = Setup::new().await;
    let (store, live) = setup.instance().await;
    for page in 0..300u64 {
        setup.advance(1_000);
        let mut tab = Tab::new(1_000 + page, &live);
        tab.connect(&setup, &live).await;
        tab.set(&setup, "r1", Field::Notes, &format!("page {page}"));
        tab.exchange(&setup).await;
        tab.drop_connection().await;
    }
    match store.load_live(&setup.id).await.unwrap() {
        LiveLoad::Live(s) => {
            let notes = &s.live.doc.rows[&RowId::from("r1")].notes;
            assert_eq!(notes.versions.len(), 1, "a false conflict");
            assert_eq!(notes.text(), "page 299");
            assert!(
                notes.versions[0].seen.len() <= 2,
                "{:?}",
                notes.versions[0].seen
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Defect 8: text typed into an open Notes editor was written over what someone else wrote
/// meanwhile, with no second version and no message.
#[tokio::test(flavor = "current_thread")]
async fn notes_typed_while_someone_else_wrote_them_keep_both_versions() {
    let setup = Setup::new().await;
    let (store, live) = setup.instance().await;
    let mut a = Tab::new(1, &live);
    a.connect(&setup, &live).await;
    let mut b = Tab::new(2, &live);
    b.connect(&setup, &live).await;
    let plan_a = a.plan.clone().unwrap();
    // A opens the Notes editor and starts typing (each keystroke is sent).
    a.session
        .begin_typing(&plan_a, &RowId::from("r0"), Field::Notes);
    a.set(&setup, "r0", Field::Notes, "A's");
    a.exchange(&setup).await;
    // B writes the same cell (having seen A's first keystroke) and presses Enter.
    b.exchange(&setup).await;
    setup.advance(500);
    b.set(&setup, "r0", Field::Notes, "B's note");
    b.exchange(&setup).await;
    // A's editor hears of it and can say so; A keeps typing and presses Enter.
    a.exchange(&setup).await;
    assert!(a.session.changed_while_typing().is_some(), "A is not told");
    setup.advance(500);
    a.set(&setup, "r0", Field::Notes, "A's text");
    a.session.end_typing();
    a.exchange(&setup).await;
    b.exchange(&setup).await;
    match store.load_live(&setup.id).await.unwrap() {
        LiveLoad::Live(s) => {
            let notes = &s.live.doc.rows[&RowId::from("r0")].notes;
            let texts: Vec<&str> = notes.versions.iter().map(|v| v.text.as_str()).collect();
            assert_eq!(notes.versions.len(), 2, "{texts:?}");
            assert!(texts.contains(&"B's note") && texts.contains(&"A's text"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(a.plan(), b.plan());
}

/// Defect 9: turning editing back on re-stamped every register of the owner's copy, so
/// edits the owner had not received were written over.
#[tokio::test(flavor = "current_thread")]
async fn turning_editing_back_on_keeps_what_others_wrote_meanwhile() {
    let setup = Setup::new().await;
    let (store, live) = setup.instance().await;
    let mut owner = Tab::new(1, &live);
    owner.connect(&setup, &live).await;
    let plan = owner.plan.clone().unwrap();
    // The owner turns editing off (keeps a private copy) and edits it.
    owner.drop_connection().await;
    owner.session.leave_live(&plan);
    owner.session.set_time(owner.local_now(&setup));
    owner
        .session
        .apply(
            &plan,
            Edit::SetField {
                row: RowId::from("r1"),
                field: Field::Item,
                value: "owner, offline".into(),
            },
        )
        .unwrap();
    // Meanwhile an editor changes another cell.
    setup.advance(10_000);
    let mut editor = Tab::new(2, &live);
    editor.connect(&setup, &live).await;
    editor.set(&setup, "r0", Field::Owner, "editor's");
    editor.exchange(&setup).await;
    // Editing goes back on: the owner's copy joins the plan.
    setup.advance(10_000);
    owner.session.set_time(owner.local_now(&setup));
    owner
        .session
        .resume_live(&plan, setup.id.clone(), setup.token.clone());
    owner.connect(&setup, &live).await;
    owner.exchange(&setup).await;
    editor.exchange(&setup).await;
    let (_, stored_plan) = stored(&store, &setup.id).await;
    assert_eq!(stored_plan.rows[0].owner, "editor's", "written over");
    assert_eq!(
        stored_plan.rows[1].item, "owner, offline",
        "the owner's edit is lost"
    );
    assert_eq!(owner.plan(), stored_plan);
    assert_eq!(editor.plan(), stored_plan);
}
