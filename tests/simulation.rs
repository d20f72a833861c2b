//! The simulation: the live-editing code that ships, run under a seeded scheduler with
//! injected faults, the way FoundationDB and TigerBeetle test theirs.
//!
//! - **Browsers** are the real editing session (`model::Session`: edits, undo, Notes typing,
//!   the sync queue) driven by the real protocol rules (`shared::live_client::Conn`).
//! - **Two server instances** are the real rooms (`server::Live`, built without tasks so
//!   each step is one call), the real accept rule and the real store (its own SQLite pool
//!   each, on one database file), with an op log kept tiny so it is pruned all the time.
//! - **The network** delivers each connection's messages in order (as a WebSocket does) but
//!   breaks connections at any point, lets a broken connection's messages still reach the
//!   server later (a retry racing its original), restarts servers, drops the notes between
//!   instances (a listener reconnects later and reads everything again), and holds
//!   browsers offline for simulated days, with clocks set wrong.
//! - **A hostile editor** (in some seeds) sends stamps far in the future, maximal counters,
//!   batches in other replicas' names, position keys past any limit and copied stamps.
//!
//! Checked, at checkpoints and after everyone reconnects: a browser that says "Synced" holds
//! the plan as stored; every acknowledged op is in the stored plan or written over by a
//! later one; every browser ends with the stored plan, byte for byte, and shows each row
//! once; no honest browser is ever thrown out or told its edits were not kept.
//!
//! Deterministic: `SYNCPLAN_SIM_SEEDS` sets how many seeds run (default 12),
//! `SYNCPLAN_SIM_SEED` runs one (failures print it), `SYNCPLAN_SIM_STEPS` the steps per
//! seed (default 500). Seeds that once failed are in `REGRESSIONS` and always run.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use syncplan::model::{
    batch_id, Batch, CellValue, Doc, DocLimits, Edit, Field, Logged, Op, Plan, PlanId, Position,
    Priority, Row, RowId, Session, Stamp, Status, Workspace,
};
use syncplan::server::{
    ClientKey, Live, LiveLimits, LiveSession, Note, Outbox, Refused, ShareStore, StoreLimits,
};
use syncplan::shared::live_client::{Conn, Effect, Joining};
use syncplan::shared::wire::{self, ClientMsg, ErrorCode, Retry, ServerMsg};
use syncplan::shared::{EditToken, ShareId};

/// Seeds that failed once (each was a bug): they run every time.
/// 185: notes a crashing instance had sent were lost with it (the simulation's fault: NOTIFY
/// goes out with the commit). 714: a batch in the name of a replica that had not said hello
/// yet registered it with the sender's key, locking its real owner out.
const REGRESSIONS: &[(u64, usize)] = &[(185, 2_000), (714, 3_000)];

const DAY: i64 = 86_400_000;

/// A small deterministic random source (xorshift*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Clone>(&mut self, list: &[T]) -> Option<T> {
        (!list.is_empty()).then(|| list[self.below(list.len() as u64) as usize].clone())
    }
}

/// A planted bug, to show each check can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plant {
    None,
    /// The store loses a write it acknowledged.
    LoseAckedWrite,
    /// A browser misses the last batch and nothing tells it.
    DropLastDelivery,
    /// A browser's shown plan lists a row twice.
    DuplicateShownRow,
    /// The history loses the entries after its base.
    DropHistory,
}

/// What a check found wrong.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Violation {
    /// A browser said "Synced" while missing batches (or holding another document).
    LeftBehind(String),
    AckedOpLost(String),
    Diverged(String),
    RowShownTwice(String),
    ThrownOut(String),
    NotKept(String),
    /// An earlier version of the plan, rebuilt from the history, is not what the plan was.
    HistoryWrong(String),
}

/// What the server side of a connection sent, in order; and its close.
#[derive(Default)]
struct Wire {
    sent: Vec<Arc<[u8]>>,
    closed: Option<ErrorCode>,
}

impl Outbox for Wire {
    async fn send(&mut self, bytes: Arc<[u8]>) -> bool {
        if self.closed.is_some() {
            return false;
        }
        self.sent.push(bytes);
        true
    }

    async fn close(&mut self, code: ErrorCode) {
        self.closed = Some(code);
    }
}

/// One connection between a browser and an instance.
struct Link {
    server: usize,
    /// The instance's restart count when the connection opened.
    epoch: u64,
    conn: Conn,
    session: Option<LiveSession>,
    up: VecDeque<ClientMsg>,
    down: VecDeque<Arc<[u8]>>,
    /// The server ended the connection (with this code): after `down` drains, the browser
    /// sees the close.
    ended: Option<Option<ErrorCode>>,
    wire: Wire,
}

/// A broken connection whose messages still reach the server (its answers go nowhere).
struct Zombie {
    server: usize,
    epoch: u64,
    session: Option<LiveSession>,
    up: VecDeque<ClientMsg>,
}

struct Browser {
    name: String,
    session: Session,
    /// The live plan, once joined.
    plan: Option<PlanId>,
    link: Option<Link>,
    /// How wrong this browser's clock is (ms).
    skew: i64,
    hostile: bool,
    /// Notes being typed: the row, and keystrokes left.
    typing: Option<(RowId, u32)>,
    /// Rows this browser inserted.
    inserted: Vec<RowId>,
    /// The hostile editor's own batch counter.
    counter: u32,
}

struct Server {
    store: Arc<ShareStore>,
    live: Arc<Live>,
    epoch: u64,
    /// Notes from this instance's store (for the other instance).
    notes: tokio::sync::mpsc::UnboundedReceiver<Note>,
    /// Notes from the other instance, on their way here.
    inbox: VecDeque<Note>,
    /// The listener lost notes: it reads everything again when it is back.
    resync_due: bool,
    logged: tokio::sync::mpsc::UnboundedReceiver<(ShareId, Logged)>,
}

struct World {
    rng: Rng,
    plant: Plant,
    seed: u64,
    now: Arc<AtomicI64>,
    url: String,
    _dir: tempfile::TempDir,
    id: ShareId,
    token: EditToken,
    servers: Vec<Server>,
    browsers: Vec<Browser>,
    zombies: Vec<Zombie>,
    /// Every batch logged, by id.
    ledger: BTreeMap<u64, Logged>,
    /// Batches honest browsers were told are stored.
    acked: BTreeSet<u64>,
    template_rows: BTreeSet<RowId>,
    violations: BTreeSet<Violation>,
    /// A planted bug already did its harm.
    planted: bool,
}

fn template() -> Plan {
    Plan::new(
        "Shared plan",
        (0..6)
            .map(|i| Row {
                item: format!("Row {i}"),
                notes: if i % 2 == 0 {
                    format!("notes {i}")
                } else {
                    String::new()
                },
                ..Row::blank(RowId(format!("t{i}")))
            })
            .collect(),
    )
}

fn live_limits() -> LiveLimits {
    LiveLimits {
        connections_per_plan: 1_000,
        ops_per_second: 1_000_000,
        ops_burst: 1_000_000,
        ..LiveLimits::default()
    }
}

/// The address browser `b` connects from (one each).
fn client_of(b: usize) -> ClientKey {
    ClientKey::of(std::net::IpAddr::V4(std::net::Ipv4Addr::new(
        127, 0, 1, b as u8,
    )))
}

fn store_limits() -> StoreLimits {
    StoreLimits {
        // Pruned all the time: browsers offline for a while come back to a log that no
        // longer reaches them, and retries arrive long after their batch left the log.
        log_batches: 6,
        log_bytes: 16 * 1024,
        // The history is folded into its base all the time too.
        history_bytes: 6 * 1024,
        ..StoreLimits::default()
    }
}

async fn open_server(url: &str, now: &Arc<AtomicI64>) -> Server {
    let store = Arc::new(
        ShareStore::open(url, store_limits())
            .await
            .expect("the store opens"),
    );
    let notes = store.notes_here();
    let logged = store.logged_here();
    let clock = now.clone();
    let live = Live::manual(
        store.clone(),
        Arc::new(|_: &ShareId| {}),
        live_limits(),
        DocLimits::default(),
        Arc::new(move || clock.load(Ordering::Relaxed)),
    );
    Server {
        store,
        live,
        epoch: 0,
        notes,
        inbox: VecDeque::new(),
        resync_due: false,
        logged,
    }
}

impl World {
    async fn new(seed: u64, plant: Plant) -> World {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let dir = match std::path::Path::new("/dev/shm").is_dir() {
            true => tempfile::tempdir_in("/dev/shm").unwrap(),
            false => tempfile::tempdir().unwrap(),
        };
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("sim.db").display());
        let now = Arc::new(AtomicI64::new(1_800_000_000_000));
        let servers = vec![open_server(&url, &now).await, open_server(&url, &now).await];
        let (id, owner) = servers[0]
            .store
            .create(&template(), ClientKey::of("127.0.0.1".parse().unwrap()))
            .await
            .expect("the plan is shared");
        let (token, _) = servers[0]
            .store
            .enable_editing(&id, &owner)
            .await
            .expect("the store answers")
            .expect("the owner may");
        let hostile = seed.is_multiple_of(3);
        let count = 2 + (seed % 3) as usize + usize::from(hostile);
        let browsers = (0..count)
            .map(|i| {
                let skew = match rng.below(5) {
                    0 => 0,
                    1 => rng.below(3 * DAY as u64) as i64 - DAY,
                    2 => rng.below(5_000) as i64,
                    3 => 2 * DAY + rng.below(DAY as u64) as i64,
                    _ => -(rng.below(10 * DAY as u64) as i64),
                };
                Browser {
                    name: format!("browser {i}"),
                    session: Session::new(
                        Workspace::with_plan(Plan::new("Mine", vec![])),
                        rng.next() | 1,
                    ),
                    plan: None,
                    link: None,
                    skew,
                    hostile: hostile && i == count - 1,
                    typing: None,
                    inserted: Vec::new(),
                    counter: 0,
                }
            })
            .collect();
        World {
            rng,
            plant,
            seed,
            now,
            url,
            _dir: dir,
            id,
            token,
            servers,
            browsers,
            zombies: Vec::new(),
            ledger: BTreeMap::new(),
            acked: BTreeSet::new(),
            template_rows: template().rows.iter().map(|r| r.id.clone()).collect(),
            violations: BTreeSet::new(),
            planted: false,
        }
    }

    fn now(&self) -> i64 {
        self.now.load(Ordering::Relaxed)
    }

    fn local_now(&self, b: usize) -> u64 {
        (self.now() + self.browsers[b].skew).max(1) as u64
    }

    fn violation(&mut self, v: Violation) {
        if std::env::var("SYNCPLAN_SIM_TRACE").is_ok() {
            eprintln!("VIOLATION at t={}: {v:?}", self.now());
        }
        self.violations.insert(v);
    }

    // ----- connections -----
}

mod actors;
mod checks;
mod network;
use checks::*;

async fn run(seed: u64, steps: usize, plant: Plant) -> World {
    let mut world = World::new(seed, plant).await;
    for b in 0..world.browsers.len() {
        if world.rng.chance(80) {
            world.connect(b);
        }
    }
    for step in 1..=steps {
        world.step().await;
        if step % 100 == 0 {
            world.quiesce().await;
            world.check_synced().await;
        }
    }
    world.heal().await;
    world.check_synced().await;
    world.check().await;
    world.check_history().await;
    world
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The seeds to run, with their steps: the chosen ones, then the regressions.
fn seeds(steps: usize) -> Vec<(u64, usize)> {
    if let Ok(seed) = std::env::var("SYNCPLAN_SIM_SEED") {
        return vec![(seed.parse().expect("SYNCPLAN_SIM_SEED is a number"), steps)];
    }
    let mut list: Vec<(u64, usize)> = (1..=setting("SYNCPLAN_SIM_SEEDS", 12))
        .map(|seed| (seed, steps))
        .collect();
    list.extend(REGRESSIONS.iter().copied());
    list
}

#[tokio::test(flavor = "current_thread")]
async fn the_shipped_live_path_keeps_every_acknowledged_edit_under_faults() {
    let steps = setting("SYNCPLAN_SIM_STEPS", 500) as usize;
    let seeds = seeds(steps);
    let mut failed = Vec::new();
    for (seed, steps) in &seeds {
        let world = run(*seed, *steps, Plant::None).await;
        let history_from = world.servers[0]
            .store
            .versions(&world.id, world.token.as_str())
            .await
            .ok()
            .and_then(Result::ok)
            .map_or(0, |v| v.restorable_from);
        println!(
            "seed {seed}: {} browsers, {} batches logged, {} acknowledged, plan at {}, \
             history from {history_from}",
            world.browsers.len(),
            world.ledger.len(),
            world.acked.len(),
            world.stored().await.0
        );
        if !world.violations.is_empty() {
            eprintln!("seed {seed}:");
            for v in &world.violations {
                eprintln!("  {v:?}");
            }
            failed.push(*seed);
        }
    }
    assert!(
        failed.is_empty(),
        "seeds {failed:?} failed (rerun one with SYNCPLAN_SIM_SEED=…)"
    );
    println!("{} seeds × {steps} steps: every check held", seeds.len());
}

#[tokio::test(flavor = "current_thread")]
async fn every_check_fails_on_a_planted_bug() {
    for (plant, expected) in [
        (Plant::LoseAckedWrite, "AckedOpLost"),
        (Plant::DropLastDelivery, "LeftBehind"),
        (Plant::DuplicateShownRow, "RowShownTwice"),
        (Plant::DropHistory, "HistoryWrong"),
    ] {
        let mut caught = false;
        for seed in 1..=30 {
            let world = run(seed, 300, plant).await;
            if !world.planted {
                continue;
            }
            let kinds: Vec<String> = world.violations.iter().map(|v| format!("{v:?}")).collect();
            assert!(
                kinds.iter().any(|k| k.starts_with(expected)),
                "{plant:?} (seed {seed}) was not caught: {kinds:?}"
            );
            caught = true;
            break;
        }
        assert!(caught, "{plant:?} never got planted");
    }
}
