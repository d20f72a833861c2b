//! Every integration test but `memory.rs` (which counts the allocations of its whole
//! process), in one test binary: one link instead of thirteen, and the suites run side by
//! side. Run one suite with `cargo test --release --features ssr --test integration live::`.

/// Without the server (`--features ssr`) there is nothing to test here: say how to run it
/// rather than pass silently.
#[cfg(not(feature = "ssr"))]
#[test]
#[ignore = "the integration suites need the server: run `cargo test --features ssr` (or `make test`)"]
fn integration_suites_need_the_ssr_feature() {}

#[cfg(feature = "ssr")]
mod common;

#[cfg(feature = "ssr")]
mod api_exports;
#[cfg(feature = "ssr")]
mod api_shares;
#[cfg(feature = "ssr")]
mod attacks;
#[cfg(feature = "ssr")]
mod crash_safety;
#[cfg(feature = "ssr")]
mod live;
#[cfg(feature = "ssr")]
mod live_crash;
#[cfg(feature = "ssr")]
mod live_defects;
#[cfg(feature = "ssr")]
mod pages;
#[cfg(feature = "ssr")]
mod resources;
#[cfg(feature = "ssr")]
mod robustness;
#[cfg(feature = "ssr")]
mod security;
#[cfg(feature = "ssr")]
mod simulation;
#[cfg(feature = "ssr")]
mod slow_clients;
#[cfg(feature = "ssr")]
mod store_backends;
#[cfg(feature = "ssr")]
mod store_faults;
