#![cfg(feature = "ssr")]
//! Every integration test but `memory.rs` (which counts the allocations of its whole
//! process), in one test binary: one link instead of thirteen, and the suites run side by
//! side. Run one suite with `cargo test --release --features ssr --test integration live::`.

mod common;

mod api_exports;
mod api_shares;
mod attacks;
mod crash_safety;
mod live;
mod live_crash;
mod live_defects;
mod pages;
mod resources;
mod robustness;
mod security;
mod simulation;
mod slow_clients;
mod store_backends;
mod store_faults;
