//! Memory is bounded by what a request may do, not by what it sends: a 2 MiB body of a
//! million tiny rows is refused while it is decoded, without building those rows. (One test
//! in this binary: the allocator counts every thread's allocations.)

#[cfg(not(feature = "ssr"))]
#[test]
#[ignore = "the memory test needs the server: run `cargo test --features ssr` (or `make test`)"]
fn the_memory_test_needs_the_ssr_feature() {}

#[cfg(feature = "ssr")]
mod common;

#[cfg(feature = "ssr")]
mod with_server {

    use crate::common::{post, send, state_with};
    use axum::http::StatusCode;
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use syncplan::model::MAX_BODY_BYTES;

    struct Counting;

    static LIVE: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = System.alloc(layout);
            if !p.is_null() {
                let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            }
            p
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            System.dealloc(ptr, layout);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
    }

    #[global_allocator]
    static ALLOCATOR: Counting = Counting;

    #[tokio::test]
    async fn a_million_tiny_rows_are_refused_without_decoding_them_all() {
        let (_state, app, _dir) = state_with(None, |_| {}).await;
        let mut body = String::from("{\"rows\":[{}");
        while body.len() + 4 < MAX_BODY_BYTES - 16 {
            body.push_str(",{}");
        }
        body.push_str("]}");
        let rows = body.matches("{}").count();
        assert!(rows > 600_000, "{rows} rows");
        for uri in ["/api/export/csv", "/api/shares", "/api/import"] {
            let request = post(uri, "application/json", body.clone());
            let baseline = LIVE.load(Ordering::Relaxed);
            PEAK.store(baseline, Ordering::Relaxed);
            let response = send(&app, request).await;
            let peak = PEAK.load(Ordering::Relaxed) - baseline;
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
            // The body itself (2 MiB, read once) plus the decoder's work up to the row limit.
            assert!(
                peak < 16 * 1024 * 1024,
                "{uri}: {} MiB allocated at the peak for {rows} rows",
                peak / (1024 * 1024)
            );
            println!("{uri}: peak {} KiB above baseline", peak / 1024);
        }
    }
}
