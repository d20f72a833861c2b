//! syncplan: plan reliable background sync for mobile apps.
//!
//! One crate, two builds: the server (`ssr`) and the browser WASM (`hydrate`).

// The editor's view types nest deeply; the default limit is too low for them.
#![recursion_limit = "256"]

pub mod app;
pub mod browser;
pub mod model;
pub mod shared;
pub mod template;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
