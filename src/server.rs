//! The HTTP server: configuration, router assembly, handlers and errors.

mod client_addr;
mod config;
mod error;
mod exports;
mod live;
mod live_api;
mod live_store;
mod notify;
mod page_cache;
mod rate_limit;
mod routes;
mod security_headers;
mod serve;
mod share_api;
mod share_page;
mod shares;
mod state;
mod static_files;

pub use client_addr::{client_ip, parse_hop, ClientKey, ProxySetup};
pub use config::{Config, LiveLimits, DEFAULT_DATABASE_URL};
pub use error::AppError;
pub use live::{Live, Now, OnChange, Outbox, Refused, Session as LiveSession};
pub use live_store::{key_hash, EditToken, LiveLoad, StoredLive};
pub use notify::{Note, CHANNEL as NOTIFY_CHANNEL};
pub use page_cache::SHARE_PAGE_MAX_AGE;
pub use rate_limit::RateLimiter;
pub use routes::{app, redact_path};
pub use security_headers::inline_scripts;
pub use serve::{serve, ConnectionLimits};
pub use shares::{ShareStore, StoreError, StoreLimits};
pub use state::{spawn_maintenance, AppState};
