//! Earlier versions of a live plan over HTTP: every point the history keeps is rebuilt as
//! the plan was then (whatever order stamps arrived in), across the history's pruning and a
//! restart; named versions outlive the retention; only editors and the owner see them.

use super::support::*;
use crate::common::{body_text, send, with_token};
use axum::http::{header, StatusCode};
use axum::Router;
use syncplan::model::{CellValue, Op, Plan, Position, RowId, Stamp, Status};
use syncplan::shared::api::{NamedVersion, PlanVersion, VersionList};
use syncplan::shared::wire::{ClientMsg, ServerMsg};

/// A request with `secret` (none when `None`): the status and the body.
async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    secret: Option<&str>,
    body: Option<String>,
) -> (StatusCode, String) {
    let request = match secret {
        Some(secret) => with_token(method, uri, secret, body),
        None => axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap(),
    };
    let response = send(router, request).await;
    let status = response.status();
    if status.is_success() && status != StatusCode::NO_CONTENT {
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "no-store",
            "{uri}: versions are never cached"
        );
    }
    (status, body_text(response).await)
}

async fn version(router: &Router, id: &str, secret: &str, seq: u64) -> (StatusCode, Option<Plan>) {
    let (status, text) = call(
        router,
        "GET",
        &format!("/api/shares/{id}/versions/{seq}"),
        Some(secret),
        None,
    )
    .await;
    let plan = (status == StatusCode::OK)
        .then(|| serde_json::from_str::<PlanVersion>(&text).unwrap().plan);
    (status, plan)
}

async fn list(router: &Router, id: &str, secret: &str) -> VersionList {
    let (status, text) = call(
        router,
        "GET",
        &format!("/api/shares/{id}/versions"),
        Some(secret),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Sends one batch; the sequence it was logged at.
async fn write(c: &mut Client, id: u64, ops: Vec<Op>) -> u64 {
    c.send(&ClientMsg::Ops(batch_of(id, ops))).await;
    loop {
        if let ServerMsg::Ack { refused, seq, .. } = c.next().await {
            assert!(refused.is_empty(), "{refused:?}");
            return seq;
        }
    }
}

/// A small deterministic generator (the test's seed is in its name).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// A batch of random writes: cells, rows added, deleted and moved, the title; some stamped
/// in the past, so they lose to what is there (the log's order is not the plan's).
fn random_ops(rng: &mut Lcg, rows: &mut Vec<String>, step: u64, replica: u32) -> Vec<Op> {
    let positions = Position::spread(12);
    let base = now() + step * 10;
    let mut ops = Vec::new();
    for k in 0..1 + rng.below(3) {
        let wall = if rng.below(4) == 0 {
            base - 60_000
        } else {
            base + k
        };
        let stamp = Stamp {
            wall,
            count: k as u32,
            replica,
        };
        let row = RowId(rows[rng.below(rows.len() as u64) as usize].clone());
        ops.push(match rng.below(7) {
            0 => {
                let id = format!("n{step}x{k}");
                rows.push(id.clone());
                Op::Alive {
                    row: RowId(id),
                    alive: true,
                    stamp,
                }
            }
            1 => Op::Alive {
                row,
                alive: rng.below(2) == 0,
                stamp,
            },
            2 => Op::Position {
                row,
                position: positions[rng.below(12) as usize].clone(),
                stamp,
            },
            3 => Op::Title {
                text: format!("Plan {step}"),
                stamp,
            },
            4 => Op::Cell {
                row,
                value: CellValue::Status(Status::ALL[rng.below(4) as usize]),
                stamp,
            },
            _ => Op::Cell {
                row,
                value: CellValue::Item(format!("item {step}.{k} {}", "x".repeat(40))),
                stamp,
            },
        });
    }
    ops
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_point_kept_is_rebuilt_as_it_was_across_pruning_and_a_restart_seed_7() {
    for url in backends() {
        // Room for a few dozen batches of history: the oldest are folded into the base
        // again and again.
        let dir = tempfile::tempdir().unwrap();
        let url = url.unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("shares.db").display()
            )
        });
        let small = |c: &mut syncplan::server::Config| c.store_limits.history_bytes = 12 * 1024;
        let server = start(Some(&url), small).await;
        let (id, owner, edit) = live_share(&server.router).await;
        let mut ana = Client::hello_as(server.addr, &id, &edit, 1, "Ana", None).await;
        ana.joined().await;
        let mut rng = Lcg(7);
        let mut rows: Vec<String> = (1..=3).map(|i| format!("r{i}")).collect();
        let mut seen = vec![(0, plan())];
        let mut named_at = None;
        for step in 0..120u64 {
            let ops = random_ops(&mut rng, &mut rows, step, 1);
            let seq = write(&mut ana, (1 << 32) | (step + 1), ops).await;
            seen.push((seq, share_json(&server.router, &id).await));
            if step == 10 {
                let (status, text) = call(
                    &server.router,
                    "POST",
                    &format!("/api/shares/{id}/versions"),
                    Some(&edit),
                    Some(r#"{"name": "  Sent to eng review ", "by": "Ana"}"#.into()),
                )
                .await;
                assert_eq!(status, StatusCode::CREATED, "{text}");
                let named: NamedVersion = serde_json::from_str(&text).unwrap();
                assert_eq!(
                    (named.seq, named.name.as_str(), named.by.as_str()),
                    (seq, "Sent to eng review", "Ana")
                );
                named_at = Some(seq);
            }
        }
        drop(ana);
        drop(server);
        // Another server on the same database: nothing of it was kept in memory.
        let server = start(Some(&url), small).await;
        let kept = list(&server.router, &id, &owner).await;
        assert!(
            kept.restorable_from > 20,
            "the history was folded ({}), else this test proves nothing",
            kept.restorable_from
        );
        assert_eq!(kept.seq, seen.last().unwrap().0);
        let named_at = named_at.unwrap();
        assert!(
            named_at < kept.restorable_from,
            "the named point is past the retention"
        );
        assert_eq!(
            kept.versions.iter().map(|v| v.seq).collect::<Vec<_>>(),
            [named_at]
        );
        let mut rebuilt = 0;
        for (seq, was) in &seen {
            let (status, plan) = version(&server.router, &id, &edit, *seq).await;
            if *seq >= kept.restorable_from || *seq == named_at {
                assert_eq!(status, StatusCode::OK, "point {seq}");
                assert_eq!(plan.as_ref(), Some(was), "point {seq} as it was");
                rebuilt += 1;
            } else {
                assert_eq!(
                    status,
                    StatusCode::GONE,
                    "point {seq} is past the retention"
                );
            }
        }
        assert!(rebuilt > 10, "{rebuilt} points rebuilt");
        let (status, _) = version(&server.router, &id, &edit, kept.seq + 1).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "no such point yet");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_for_editors_and_names_are_checked() {
    let server = start(None, |_| {}).await;
    let (id, owner, edit) = live_share(&server.router).await;
    let versions = format!("/api/shares/{id}/versions");
    let (status, text) = call(&server.router, "GET", &versions, None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("edit link"), "{text}");
    let (other, other_owner, other_edit) = live_share(&server.router).await;
    for secret in [&other_owner, &other_edit] {
        let (status, plan) = version(&server.router, &id, secret, 0).await;
        assert_eq!((status, plan), (StatusCode::FORBIDDEN, None));
    }
    // Point 0 is the plan as shared.
    let (status, shared) = version(&server.router, &other, &other_edit, 0).await;
    assert_eq!((status, shared), (StatusCode::OK, Some(plan())));
    for (body, says) in [
        ("not json", "as JSON"),
        (r#"{"name": "   "}"#, "Give the version a name"),
        (
            &format!(r#"{{"name": "{}"}}"#, "n".repeat(81)),
            "at most 80",
        ),
        (r#"{"name": "Later", "seq": 99}"#, "no such point"),
    ] {
        let (status, text) = call(
            &server.router,
            "POST",
            &versions,
            Some(&edit),
            Some(body.into()),
        )
        .await;
        assert!(status.is_client_error(), "{body}: {status}");
        assert!(text.contains(says), "{body}: {text}");
    }
    let (status, text) = call(
        &server.router,
        "GET",
        &format!("{versions}/abc"),
        Some(&edit),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("sequence"), "{text}");
    // At most 50 named versions; renaming one is not one more; taking a name off makes room.
    let mut ana = Client::hello_as(server.addr, &id, &edit, 1, "Ana", None).await;
    ana.joined().await;
    for i in 0..50u64 {
        let seq = write(
            &mut ana,
            (1 << 32) | (i + 1),
            vec![owner_op("r1", &format!("v{i}"), now() + i, 1)],
        )
        .await;
        let body = format!(r#"{{"name": "Version {i}", "seq": {seq}}}"#);
        let (status, text) =
            call(&server.router, "POST", &versions, Some(&owner), Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{text}");
    }
    let (status, text) = call(
        &server.router,
        "POST",
        &versions,
        Some(&edit),
        Some(r#"{"name": "One too many", "seq": 0}"#.into()),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(text.contains("50 named versions"), "{text}");
    let (status, _) = call(
        &server.router,
        "POST",
        &versions,
        Some(&edit),
        Some(r#"{"name": "Renamed", "seq": 1}"#.into()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = call(
        &server.router,
        "DELETE",
        &format!("{versions}/2"),
        Some(&edit),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &server.router,
        "DELETE",
        &format!("{versions}/2"),
        Some(&edit),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &server.router,
        "POST",
        &versions,
        Some(&edit),
        Some(r#"{"name": "Now there is room", "seq": 0}"#.into()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let named = list(&server.router, &id, &edit).await.versions;
    assert_eq!(named.len(), 50);
    assert_eq!(
        named.last().map(|v| v.name.as_str()),
        Some("Now there is room")
    );
    assert!(named.iter().any(|v| v.seq == 1 && v.name == "Renamed"));
    // Taken down: gone, with its versions.
    let response = send(
        &server.router,
        with_token("DELETE", &format!("/api/shares/{id}"), &owner, None),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = version(&server.router, &id, &owner, 0).await;
    assert_eq!(status, StatusCode::GONE);
}

/// A live plan's history — entries, base, named versions — is counted in the store's size
/// beside its plan, kept exact through edits, pruning, naming and taking a name off, and
/// given back when the plan is taken down; a full store folds the history so the plan keeps
/// its room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_counts_in_the_store_and_gives_way_when_it_is_full() {
    // Databases of its own: the test counts all the store holds.
    for (_, url, _dir) in crate::common::fresh_backends().await {
        let limits = |c: &mut syncplan::server::Config| {
            c.store_limits.history_bytes = 64 * 1024;
            c.store_limits.max_bytes = 160 * 1024;
        };
        let server = start(Some(&url), limits).await;
        let store = &server.state.store;
        let exact = || async {
            let (kept, counted) = store.audit_usage().await.unwrap();
            assert_eq!(kept, counted, "the store's size as kept and as counted");
            kept
        };
        let empty = exact().await;
        let (id, owner, edit) = live_share(&server.router).await;
        let shared = exact().await;
        assert!(shared > empty);
        let mut ana = Client::hello_as(server.addr, &id, &edit, 1, "Ana", None).await;
        ana.joined().await;
        let t = now();
        // Each batch rewrites one row's Notes with 2,000 characters: the plan stays small,
        // its history grows by about 4 KB a batch (the value and the op).
        for step in 0..80u64 {
            let ops = vec![Op::Notes {
                row: RowId(format!("r{}", 1 + step % 3)),
                version: syncplan::model::Version {
                    text: format!("{step} {}", "n".repeat(2_000)),
                    stamp: Stamp {
                        wall: t + step,
                        count: 0,
                        replica: 1,
                    },
                    seen: vec![],
                    logged: 0,
                    base: 0,
                },
            }];
            write(&mut ana, (1 << 32) | (step + 1), ops).await;
            let used = exact().await;
            assert!(
                used <= 160 * 1024 + 8 * 1024,
                "step {step}: the store holds {used} bytes"
            );
        }
        // The history gave way to stay within the store: its oldest points were folded.
        let versions = list(&server.router, &id, &edit).await;
        assert!(versions.restorable_from > 0, "{versions:?}");
        let (status, _) = call(
            &server.router,
            "POST",
            &format!("/api/shares/{id}/versions"),
            Some(&edit),
            Some(r#"{"name": "Counted too"}"#.into()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let named = exact().await;
        let (status, _) = call(
            &server.router,
            "DELETE",
            &format!("/api/shares/{id}/versions/{}", versions.seq),
            Some(&edit),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(
            exact().await < named,
            "taking the name off gives its bytes back"
        );
        let (status, _) = call(
            &server.router,
            "DELETE",
            &format!("/api/shares/{id}"),
            Some(&owner),
            None,
        )
        .await;
        assert!(status.is_success(), "{status}");
        assert_eq!(
            exact().await,
            empty,
            "the plan and its history are given back"
        );
    }
}

/// A named version keeps a copy of its plan, counted in the store's size: when the store has
/// no room for it, naming is refused with a sentence (the plan and its history are kept).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn naming_a_version_is_refused_when_the_store_has_no_room_for_it() {
    for (_, url, _dir) in crate::common::fresh_backends().await {
        // What one plan edited together takes, measured on a store of its own.
        let probe = start(None, |_| {}).await;
        live_share(&probe.router).await;
        let (one_plan, _) = probe.state.store.audit_usage().await.unwrap();
        let server = start(Some(&url), |c| {
            c.store_limits.max_bytes = one_plan as u64 + 100;
        })
        .await;
        let (id, _, edit) = live_share(&server.router).await;
        let before = server.state.store.audit_usage().await.unwrap();
        let (status, text) = call(
            &server.router,
            "POST",
            &format!("/api/shares/{id}/versions"),
            Some(&edit),
            Some(r#"{"name": "No room"}"#.into()),
        )
        .await;
        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{text}");
        assert!(text.contains("cannot keep another named version"), "{text}");
        assert_eq!(server.state.store.audit_usage().await.unwrap(), before);
        assert!(list(&server.router, &id, &edit).await.versions.is_empty());
    }
}
