//! `make soak`: the server under sustained mixed load and under faults, on this machine.
//!
//! 1. Load: finds the mix's capacity (closed loop), then holds 60 % of it open-loop for
//!    60 s (`SOAK_SECONDS`): req/s held, p50 / p99 from each request's scheduled time,
//!    errors by status.
//! 2. Crashes: SIGKILL at random moments under load, `PRAGMA integrity_check`, restart;
//!    every acknowledged share must come back identical (`SOAK_KILL_CYCLES`, default 20).
//! 3. Faults (root only, it mounts a small filesystem): the disk fills up; later the server
//!    starts while the database's filesystem is read-only. Sharing answers 503 JSON, the
//!    editor keeps working, and sharing works again without a restart once the fault is gone.
//!
//! Prints a report and writes bench/SOAK.md.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use syncplan::model::Plan;
use syncplan_bench::sample_plan;

type Http = Client<HttpConnector, Full<Bytes>>;

/// A request's latency (ms, from its scheduled time) and its answer.
/// Latency from the scheduled time (ms), the kind of request, and what came back.
type Outcome = (f64, &'static str, Result<StatusCode, String>);

/// The request `mixed_request` makes for `pick`.
fn kind_of(pick: usize) -> &'static str {
    match pick % 20 {
        0..=6 => "GET /",
        7..=12 => "GET /s/{id}",
        13..=15 => "POST /api/export/csv",
        16 | 17 => "POST /api/shares",
        _ => "PUT /api/shares/{id}",
    }
}

const PORT: u16 = 3950;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Server {
    child: Child,
}

impl Server {
    async fn start(database: &Path) -> Server {
        let root = root();
        let mut child = Command::new(root.join("target/release/syncplan"))
            .current_dir(&root)
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{PORT}"))
            .env(
                "SYNCPLAN_DATABASE_URL",
                format!("sqlite://{}?mode=rwc", database.display()),
            )
            // Every request comes from this one address; the limit is tested in `make test`.
            .env("SYNCPLAN_SHARE_RATE_LIMIT", "100000000")
            .env("SYNCPLAN_SHARES_PER_DAY", "1000000000")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("target/release/syncplan starts (run `make soak`, which builds it)");
        let client = http();
        for _ in 0..2000 {
            // Up: 200, or 503 when its database cannot be reached (it serves anyway).
            if let Ok((StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE, _)) =
                call(&client, Method::GET, "/healthz", None, None).await
            {
                return Server { child };
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not start");
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http() -> Http {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(256)
        .build(connector)
}

async fn call(
    client: &Http,
    method: Method,
    path: &str,
    body: Option<String>,
    token: Option<&str>,
) -> Result<(StatusCode, Bytes), String> {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://127.0.0.1:{PORT}{path}"))
        .header("content-type", "application/json");
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, bytes))
}

/// A share this run created and the server acknowledged.
#[derive(Clone)]
struct Owned {
    id: String,
    token: String,
    /// The last plan the server acknowledged.
    plan: Plan,
    /// Updates sent but not (yet) acknowledged: a kill may have cut them off before or after
    /// they were written, so the server may hold any of them.
    unacknowledged: Vec<Plan>,
}

#[derive(Default)]
struct Shared {
    owned: Mutex<Vec<Owned>>,
    counter: AtomicUsize,
}

async fn create_share(client: &Http, shared: &Shared, rows: usize) -> Result<StatusCode, String> {
    let n = shared.counter.fetch_add(1, Ordering::Relaxed);
    let mut plan = sample_plan(rows);
    plan.title = format!("soak share {n}");
    let (status, body) = call(
        client,
        Method::POST,
        "/api/shares",
        Some(plan.to_json()),
        None,
    )
    .await?;
    if status == StatusCode::CREATED {
        let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        shared.owned.lock().unwrap().push(Owned {
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            token: v["owner_token"].as_str().unwrap_or_default().to_owned(),
            plan,
            unacknowledged: Vec::new(),
        });
    }
    Ok(status)
}

/// One request of the mix: 35 % editor, 30 % share page, 15 % export, 10 % create, 10 % update.
async fn mixed_request(
    client: &Http,
    shared: &Shared,
    pick: usize,
    export_body: &str,
) -> Result<StatusCode, String> {
    let any_share = || {
        let owned = shared.owned.lock().unwrap();
        owned.get(pick % owned.len().max(1)).cloned()
    };
    match pick % 20 {
        0..=6 => call(client, Method::GET, "/", None, None)
            .await
            .map(|r| r.0),
        7..=12 => match any_share() {
            Some(s) => call(client, Method::GET, &format!("/s/{}", s.id), None, None)
                .await
                .map(|r| r.0),
            None => Ok(StatusCode::OK),
        },
        13..=15 => call(
            client,
            Method::POST,
            "/api/export/csv",
            Some(export_body.to_owned()),
            None,
        )
        .await
        .map(|r| r.0),
        16 | 17 => create_share(client, shared, 30).await,
        _ => match any_share() {
            Some(s) => {
                let mut next = s.plan.clone();
                next.rows[0].notes = format!("updated {pick}");
                {
                    let mut owned = shared.owned.lock().unwrap();
                    if let Some(o) = owned.iter_mut().find(|o| o.id == s.id) {
                        o.unacknowledged.push(next.clone());
                    }
                }
                let path = format!("/api/shares/{}", s.id);
                let status = call(
                    client,
                    Method::PUT,
                    &path,
                    Some(next.to_json()),
                    Some(&s.token),
                )
                .await?
                .0;
                if status == StatusCode::NO_CONTENT {
                    let mut owned = shared.owned.lock().unwrap();
                    if let Some(o) = owned.iter_mut().find(|o| o.id == s.id) {
                        o.unacknowledged.retain(|p| p != &next);
                        o.plan = next;
                    }
                }
                Ok(status)
            }
            None => Ok(StatusCode::OK),
        },
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

struct LoadResult {
    target_rate: f64,
    held_rate: f64,
    p50: f64,
    p99: f64,
    /// p50 and p99 per kind of request.
    by_kind: BTreeMap<&'static str, (f64, f64)>,
    statuses: BTreeMap<String, usize>,
    errors_non_429: usize,
}

/// Closed loop: how many requests of the mix per second the server completes. Only answers
/// a person would call a success count: a fast "come back later" is not capacity.
async fn capacity(client: &Http, shared: &Arc<Shared>, export_body: &Arc<String>) -> f64 {
    let done = Arc::new(AtomicUsize::new(0));
    let refused: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let until = Instant::now() + Duration::from_secs(5);
    let workers: Vec<_> = (0..64)
        .map(|w| {
            let (client, shared, body, done, refused) = (
                client.clone(),
                shared.clone(),
                export_body.clone(),
                done.clone(),
                refused.clone(),
            );
            tokio::spawn(async move {
                let mut i = w * 7919;
                while Instant::now() < until {
                    match mixed_request(&client, &shared, i, &body).await {
                        Ok(status) if status.is_success() => {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        other => {
                            let key = match other {
                                Ok(status) => status.as_u16().to_string(),
                                Err(e) => e,
                            };
                            *refused.lock().unwrap().entry(key).or_default() += 1;
                        }
                    }
                    i += 1;
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let refused = refused.lock().unwrap();
    if !refused.is_empty() {
        println!("the capacity probe saw answers other than success: {refused:?}");
    }
    done.load(Ordering::Relaxed) as f64 / 5.0
}

/// Open loop at `rate` for `seconds`; latency counts from each request's scheduled time.
async fn open_loop(
    client: &Http,
    shared: &Arc<Shared>,
    export_body: &Arc<String>,
    rate: f64,
    seconds: u64,
) -> LoadResult {
    let start = Instant::now();
    let total = (rate * seconds as f64) as usize;
    let results: Arc<Mutex<Vec<Outcome>>> = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let scheduled = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(scheduled.into()).await;
        let (client, shared, body, results) = (
            client.clone(),
            shared.clone(),
            export_body.clone(),
            results.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let pick = i * 7 + 3;
            let outcome = mixed_request(&client, &shared, pick, &body).await;
            let latency = scheduled.elapsed().as_secs_f64() * 1000.0;
            results.lock().unwrap().push((latency, kind_of(pick), outcome));
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let results = results.lock().unwrap();
    let mut latencies: Vec<f64> = results.iter().map(|r| r.0).collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut per_kind: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for (latency, kind, _) in results.iter() {
        per_kind.entry(kind).or_default().push(*latency);
    }
    let by_kind = per_kind
        .into_iter()
        .map(|(kind, mut l)| {
            l.sort_by(|a, b| a.partial_cmp(b).unwrap());
            (kind, (percentile(&l, 0.50), percentile(&l, 0.99)))
        })
        .collect();
    let mut statuses = BTreeMap::new();
    let mut errors_non_429 = 0;
    for (_, _, outcome) in results.iter() {
        let key = match outcome {
            Ok(s) => s.as_u16().to_string(),
            Err(_) => "connection error".to_owned(),
        };
        let failed = match outcome {
            Ok(s) => !(s.is_success() || *s == StatusCode::TOO_MANY_REQUESTS),
            Err(_) => true,
        };
        if failed {
            errors_non_429 += 1;
        }
        *statuses.entry(key).or_insert(0) += 1;
    }
    // Where failures happened, on the console: which request, which answer, and when.
    let mut failures: BTreeMap<(&'static str, String), (usize, f64)> = BTreeMap::new();
    for (i, (_, kind, outcome)) in results.iter().enumerate() {
        let key = match outcome {
            Ok(s) if s.is_success() || *s == StatusCode::TOO_MANY_REQUESTS => continue,
            Ok(s) => s.as_u16().to_string(),
            Err(e) => e.clone(),
        };
        let entry = failures.entry((kind, key)).or_insert((0, i as f64 / rate));
        entry.0 += 1;
    }
    for ((kind, answer), (count, first_s)) in &failures {
        println!("{count} × {answer} for {kind} (from about {first_s:.0} s)");
    }
    LoadResult {
        target_rate: rate,
        held_rate: results.len() as f64 / elapsed,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        by_kind,
        statuses,
        errors_non_429,
    }
}

/// `PRAGMA integrity_check` on the database file (server stopped).
async fn integrity_check(database: &Path) -> String {
    use sqlx::ConnectOptions;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(database)
        .read_only(true);
    match options.connect().await {
        Ok(mut conn) => sqlx::query_scalar::<_, String>("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| format!("error: {e}")),
        Err(e) => format!("cannot open: {e}"),
    }
}

/// Reads back every acknowledged share: it must hold its last acknowledged plan, or one of
/// the updates that were in flight when the server died. Returns (checked, lost).
async fn verify_all(client: &Http, shared: &Shared) -> (usize, usize) {
    let owned = shared.owned.lock().unwrap().clone();
    let mut lost = 0;
    for s in &owned {
        let stored = match call(
            client,
            Method::GET,
            &format!("/api/shares/{}", s.id),
            None,
            None,
        )
        .await
        {
            Ok((StatusCode::OK, body)) => serde_json::from_slice::<Plan>(&body).ok(),
            _ => None,
        };
        match stored {
            Some(p) if p == s.plan => {}
            Some(p) if s.unacknowledged.contains(&p) => {
                // An update that arrived before the kill: it is now the acknowledged state.
                let mut all = shared.owned.lock().unwrap();
                if let Some(o) = all.iter_mut().find(|o| o.id == s.id) {
                    o.plan = p;
                    o.unacknowledged.clear();
                }
            }
            _ => lost += 1,
        }
    }
    (owned.len(), lost)
}

fn sh(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[tokio::main]
async fn main() {
    let out = root().join("bench/out/soak");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let client = http();
    let export_body = Arc::new(sample_plan(50).to_json());
    let mut report = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    report.push_str(&format!(
        "# Soak and fault results\n\nMeasured by `make soak` on {} × {cpu}. Mix: 35 % GET /, 30 % GET /s/{{id}}, \
         15 % POST /api/export/csv (50 rows), 10 % POST /api/shares (30 rows), 10 % PUT /api/shares/{{id}}.\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    ));

    // 1. Sustained load.
    let db = out.join("load.db");
    let server = Server::start(&db).await;
    let shared = Arc::new(Shared::default());
    for _ in 0..20 {
        create_share(&client, &shared, 30).await.unwrap();
    }
    let cap = capacity(&client, &shared, &export_body).await;
    let seconds = env_num("SOAK_SECONDS", 60);
    println!("capacity of the mix: {cap:.0} req/s; holding 60 % for {seconds} s…");
    let load = open_loop(&client, &shared, &export_body, (cap * 0.6).floor(), seconds).await;
    server.kill();
    let statuses: Vec<String> = load
        .statuses
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    report.push_str(&format!(
        "\n## Sustained mixed load ({seconds} s, open loop)\n\n| measure | value |\n|---|---|\n\
         | closed-loop capacity of the mix | {cap:.0} req/s |\n| target rate (60 %, the load generator shares the 2 cores) | {:.0} req/s |\n\
         | held | {:.0} req/s |\n| p50 / p99 (from scheduled time) | {:.2} / {:.2} ms |\n\
         | responses | {} |\n| errors other than 429 | {} (goal 0) |\n",
        load.target_rate, load.held_rate, load.p50, load.p99, statuses.join(", "), load.errors_non_429
    ));
    report.push_str("\n| request | p50 ms | p99 ms |\n|---|---|---|\n");
    for (kind, (p50, p99)) in &load.by_kind {
        report.push_str(&format!("| {kind} | {p50:.2} | {p99:.2} |\n"));
    }

    // 2. SIGKILL under load.
    let cycles = env_num("SOAK_KILL_CYCLES", 20) as usize;
    let db = out.join("kill.db");
    let shared = Arc::new(Shared::default());
    let mut seed = Instant::now().elapsed().as_nanos() as u64 | 0x9e37_79b9;
    let mut integrity = Vec::new();
    let mut verified_lost = 0;
    println!("{cycles} SIGKILL cycles under load…");
    for _ in 0..cycles {
        let server = Server::start(&db).await;
        let (_, lost) = verify_all(&client, &shared).await;
        verified_lost += lost;
        if shared.owned.lock().unwrap().is_empty() {
            create_share(&client, &shared, 30).await.unwrap();
        }
        let load = {
            let (client, shared, body) = (client.clone(), shared.clone(), export_body.clone());
            tokio::spawn(async move {
                open_loop(&client, &shared, &body, (cap * 0.5).max(50.0), 4).await
            })
        };
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(Duration::from_millis(500 + seed % 3000)).await;
        server.kill();
        let _ = load.await;
        integrity.push(integrity_check(&db).await);
    }
    let server = Server::start(&db).await;
    let (acknowledged, lost) = verify_all(&client, &shared).await;
    server.kill();
    let all_ok = integrity.iter().all(|r| r == "ok");
    report.push_str(&format!(
        "\n## SIGKILL under load\n\n| measure | value |\n|---|---|\n| kill cycles | {cycles} |\n\
         | shares acknowledged (201) | {acknowledged} |\n| shares lost or changed | {} (goal 0) |\n\
         | `PRAGMA integrity_check` after each kill | {} |\n",
        lost + verified_lost,
        if all_ok {
            "ok every time".to_owned()
        } else {
            format!("{integrity:?}")
        }
    ));

    // 3. Disk full and read-only database on a small filesystem.
    report.push_str("\n## Disk full and read-only database\n\n");
    let fs = out.join("fs");
    std::fs::create_dir_all(&fs).unwrap();
    let image = out.join("fs.img");
    let mounted = is_root()
        && sh(&format!(
            "truncate -s 16M {0} && mkfs.ext4 -q -F {0} && mount -o loop {0} {1}",
            image.display(),
            fs.display()
        ));
    if !mounted {
        report.push_str("Skipped: mounting a small filesystem needs root.\n");
    } else {
        let db = fs.join("shares.db");
        let server = Server::start(&db).await;
        let shared = Arc::new(Shared::default());
        for _ in 0..5 {
            create_share(&client, &shared, 30).await.unwrap();
        }
        let existing = shared.owned.lock().unwrap()[0].id.clone();
        let mut lines = vec![
            "| situation | create a share | read a share | editor page |".to_owned(),
            "|---|---|---|---|".to_owned(),
        ];
        let probe = |label: &'static str| {
            let (client, shared, existing) = (client.clone(), shared.clone(), existing.clone());
            async move {
                let mut plan = sample_plan(30);
                plan.title = "probe".into();
                let create = call(
                    &client,
                    Method::POST,
                    "/api/shares",
                    Some(plan.to_json()),
                    None,
                )
                .await;
                let created = match &create {
                    Ok((s, body)) => {
                        if *s == StatusCode::CREATED {
                            let v: serde_json::Value = serde_json::from_slice(body).unwrap();
                            shared.owned.lock().unwrap().push(Owned {
                                id: v["id"].as_str().unwrap().to_owned(),
                                token: v["owner_token"].as_str().unwrap().to_owned(),
                                plan,
                                unacknowledged: Vec::new(),
                            });
                        }
                        let message = serde_json::from_slice::<serde_json::Value>(body)
                            .ok()
                            .and_then(|v| v["error"].as_str().map(str::to_owned))
                            .map(|m| format!(" \"{m}\""))
                            .unwrap_or_default();
                        format!("{}{message}", s.as_u16())
                    }
                    Err(e) => format!("error: {e}"),
                };
                let read = call(
                    &client,
                    Method::GET,
                    &format!("/api/shares/{existing}"),
                    None,
                    None,
                )
                .await
                .map(|r| r.0.as_u16());
                let editor = call(&client, Method::GET, "/", None, None)
                    .await
                    .map(|r| r.0.as_u16());
                format!(
                    "| {label} | {created} | {:?} | {:?} |",
                    read.unwrap_or(0),
                    editor.unwrap_or(0)
                )
            }
        };
        lines.push(probe("normal").await);
        // Fill the disk.
        sh(&format!(
            "dd if=/dev/zero of={}/filler bs=1M count=64 2>/dev/null; sync",
            fs.display()
        ));
        let mut full = String::new();
        for _ in 0..20 {
            full = probe("disk full").await;
            if !full.contains("| 201") {
                break;
            }
        }
        lines.push(full);
        sh(&format!("rm -f {}/filler; sync", fs.display()));
        lines.push(probe("space freed, no restart").await);
        // A filesystem cannot turn read-only under open files; the server is restarted
        // while it is read-only, then it becomes writable with the server running.
        server.kill();
        sh(&format!("mount -o remount,ro {}", fs.display()));
        let server = Server::start(&db).await;
        lines.push(probe("started on a read-only database").await);
        sh(&format!("mount -o remount,rw {}", fs.display()));
        lines.push(probe("writable again, no restart").await);
        let (acknowledged, lost) = verify_all(&client, &shared).await;
        server.kill();
        sh(&format!("umount {}", fs.display()));
        report.push_str(&lines.join("\n"));
        report.push_str(&format!(
            "\n\nAll {acknowledged} acknowledged shares readable afterwards: {} lost.\n",
            lost
        ));
    }
    println!("\n{report}");
    std::fs::write(root().join("bench/SOAK.md"), report).unwrap();
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}
