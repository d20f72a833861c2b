//! Export of a 2,000-row plan: the real handler (through the router, as a request) against
//! the floor of the job, serde_json parsing the same document plus a bare `csv::Writer`.

use axum::body::Body;
use axum::http::{header, Request};
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt;
use std::hint::black_box;
use syncplan::model::{Field, Plan};
use syncplan::server::{app, AppState, Config};
use syncplan_bench::sample_plan;
use tower::ServiceExt;

fn reference(json: &str) -> Vec<u8> {
    let plan: Plan = serde_json::from_str(json).expect("valid plan");
    let mut w = csv::Writer::from_writer(Vec::with_capacity(json.len()));
    w.write_record([
        "#", "Item", "Category", "Priority", "Owner", "Status", "Notes",
    ])
    .unwrap();
    for (i, row) in plan.rows.iter().enumerate() {
        w.write_field((i + 1).to_string()).unwrap();
        for f in Field::ALL {
            w.write_field(row.text(f)).unwrap();
        }
        w.write_record(None::<&[u8]>).unwrap();
    }
    w.into_inner().unwrap()
}

fn export_bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("syncplan-bench-{}", std::process::id()));
    let router = runtime.block_on(async {
        let config = Config::for_tests(&format!("sqlite://{}/b.db?mode=rwc", dir.display()));
        app(AppState::new(config).await.unwrap())
    });
    let json = sample_plan(2_000).to_json();
    let mut group = c.benchmark_group("export 2000 rows");
    group.sample_size(30);
    group.bench_function("reference: serde_json + bare csv::Writer", |b| {
        b.iter(|| black_box(reference(black_box(&json))))
    });
    for format in ["csv", "markdown"] {
        group.bench_function(format!("POST /api/export/{format}"), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let request = Request::post(format!("/api/export/{format}"))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(json.clone()))
                        .unwrap();
                    let response = router.clone().oneshot(request).await.unwrap();
                    assert!(response.status().is_success());
                    black_box(response.into_body().collect().await.unwrap().to_bytes())
                })
            })
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, export_bench);
criterion_main!(benches);
