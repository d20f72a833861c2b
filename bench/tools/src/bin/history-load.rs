//! A plan's history under a long life (part of `make bench`): a live plan of 200 rows gets
//! 100,000 logged ops (`HISTORY_OPS`), 100 per batch, through the store's real commit (accept
//! rule, op log, history), on SQLite. Then, through the real router (request to response
//! body, in process), 200 times each: the first page of the plan's history (the panel reads
//! 500 at once; the API's default is 100), one cell's history, what changed after a point
//! ("since you last looked"), and the plan as it was at the newest point and at the middle
//! one (a preview). The history bound is raised so that every op is kept.
//!
//! Prints Markdown rows for bench/RESULTS.md on stdout.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use std::time::Instant;
use syncplan::model::{Batch, CellValue, DocLimits, Op, Plan, Row, RowId, SentBatch, Stamp};
use syncplan::server::{app, AppState, ClientKey, Config, LiveLoad, ShareStore, StoreLimits};
use tower::ServiceExt;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

const ROWS: usize = 200;
const PER_BATCH: usize = 100;

#[tokio::main]
async fn main() {
    let total = env_num("HISTORY_OPS", 100_000) as usize;
    let dir = tempfile_dir();
    let url = format!("sqlite://{}/history.db?mode=rwc", dir.display());
    let limits = StoreLimits {
        history_bytes: 1 << 30,
        log_batches: 5_000,
        ..StoreLimits::default()
    };
    let store = ShareStore::open(&url, limits.clone()).await.unwrap();
    let plan = Plan::new(
        "History bench",
        (0..ROWS)
            .map(|i| Row {
                item: format!("Item {i}"),
                ..Row::blank(RowId(format!("r{i}")))
            })
            .collect(),
    );
    let (id, owner) = store
        .create(&plan, ClientKey::of("127.0.0.1".parse().unwrap()))
        .await
        .unwrap();
    let (edit, _) = store.enable_editing(&id, &owner).await.unwrap().unwrap();
    let hash = store.edit_hash(&id).await.unwrap().unwrap();
    let LiveLoad::Live(stored) = store.load_live(&id).await.unwrap() else {
        panic!("the plan is live");
    };
    let mut live = stored.live;
    let start_wall = 1_800_000_000_000u64;
    let started = Instant::now();
    let batches = total.div_ceil(PER_BATCH);
    for b in 0..batches {
        // Ten editors take turns.
        let replica = 1 + (b % 10) as u32;
        let key = u64::from(replica) * 7_919 + 1;
        if b < 10 {
            assert!(store.bind_replica(&id, replica, key, 0).await.unwrap());
        }
        let ops = (0..PER_BATCH)
            .map(|k| {
                let n = b * PER_BATCH + k;
                let row = RowId(format!("r{}", n % ROWS));
                let value = match n % 3 {
                    0 => CellValue::Owner(format!("owner {n}")),
                    1 => CellValue::Item(format!("Item {n}, rewritten")),
                    _ => CellValue::Status(syncplan::model::Status::ALL[n % 4]),
                };
                Op::Cell {
                    row,
                    value,
                    stamp: Stamp {
                        wall: start_wall + n as u64,
                        count: 0,
                        replica,
                    },
                }
            })
            .collect();
        let batch = SentBatch::from(Batch {
            id: (u64::from(replica) << 32) | (b / 10 + 1) as u64,
            key,
            ops,
        });
        let now = (start_wall + (b * PER_BATCH) as u64) as i64;
        store
            .commit(
                &id,
                &hash,
                &mut live,
                &[(batch, format!("Editor {replica}"))],
                now,
                &DocLimits::default(),
            )
            .await
            .unwrap();
    }
    let write_s = started.elapsed().as_secs_f64();
    let newest = live.seq;
    drop(store);

    let mut config = Config::for_tests(&url);
    config.store_limits = limits;
    let state = AppState::new(config).await.unwrap();
    let router = app(state);
    let secret = edit.as_str().to_owned();
    let get = |path: String| {
        let router = router.clone();
        let secret = secret.clone();
        async move {
            let request = Request::get(&path)
                .header("Authorization", format!("Bearer {secret}"))
                .body(Body::empty())
                .unwrap();
            let t = Instant::now();
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            assert!(status.is_success(), "{path}: {status}");
            (ms, body.len())
        }
    };
    let cases = [
        (
            "plan history, first page of 100",
            format!("/api/shares/{id}/history"),
            "≤ 50 ms",
        ),
        (
            "plan history, first page of 500 (the panel's)",
            format!("/api/shares/{id}/history?limit=500"),
            "≤ 50 ms",
        ),
        (
            "one cell's history",
            format!("/api/shares/{id}/history?row=r7&field=owner"),
            "≤ 20 ms",
        ),
        (
            "changed after the middle point (since you last looked), first 500",
            format!("/api/shares/{id}/history?limit=500&after={}", newest / 2),
            "",
        ),
        (
            "the plan at the newest point",
            format!("/api/shares/{id}/versions/{newest}"),
            "",
        ),
        (
            "the plan at the middle point (50,000 ops rebuilt)",
            format!("/api/shares/{id}/versions/{}", newest / 2),
            "",
        ),
    ];
    println!("| measure | p50 ms | p95 ms | response bytes | goal |");
    println!("|---|---|---|---|---|");
    for (name, path, goal) in cases {
        let runs = if path.contains("/versions/") { 20 } else { 200 };
        let mut times = Vec::with_capacity(runs);
        let mut bytes = 0;
        get(path.clone()).await;
        for _ in 0..runs {
            let (ms, len) = get(path.clone()).await;
            times.push(ms);
            bytes = len;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| {name} | {:.2} | {:.2} | {bytes} | {goal} |",
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }
    let size = std::fs::metadata(dir.join("history.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "{total} ops in {batches} batches of {PER_BATCH} written through the store's commit in \
         {write_s:.1} s; the database file is {:.1} MiB.",
        size as f64 / (1 << 20) as f64
    );
    if std::env::var_os("HISTORY_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("kept {}", dir.display());
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("syncplan-history-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
