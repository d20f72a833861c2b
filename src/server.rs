//! The HTTP server: configuration, router assembly, handlers and errors.

mod config;
mod error;
mod exports;
mod page_cache;
mod rate_limit;
mod routes;
mod share_api;
mod shares;

pub use config::{Config, DEFAULT_DATABASE_URL};
pub use error::AppError;
pub use page_cache::SHARE_PAGE_TTL;
pub use routes::{app, AppState};
pub use share_api::load_for_page;
pub use shares::{ShareId, ShareStore, StoreError};
