//! The HTTP server, in layers (imports point down only):
//!
//! - `routes` assembles the router and `state` (the composition root) the parts;
//! - `api`: the handlers (share API, live editing, exports, the share page, cached pages);
//! - `http`: what every handler uses — errors, client addresses, security headers,
//!   encodings, connection limits;
//! - `pages` (rendered pages and static files in memory) and `live` (rooms for plans edited
//!   together, and the notes between instances);
//! - `store`: the database (shares, live plans, secrets, notes between instances).

mod api;
mod config;
mod http;
mod live;
mod pages;
mod routes;
mod state;
mod store;

pub use config::{Config, LiveLimits, DEFAULT_DATABASE_URL};
pub use http::client_addr::{client_ip, parse_hop, ProxySetup};
pub use http::error::AppError;
pub use http::rate_limit::RateLimiter;
pub use http::security_headers::inline_scripts;
pub use http::serve::{serve, ConnectionLimits};
pub use live::{Live, Now, OnChange, Outbox, Refused, Session as LiveSession};
pub use pages::page_cache::SHARE_PAGE_MAX_AGE;
pub use routes::app;
pub use state::{spawn_maintenance, AppState};
pub use store::{
    key_hash, ClientKey, EditToken, LiveLoad, Note, OwnerToken, ShareStore, StoreError,
    StoreLimits, StoredLive, CHANNEL as NOTIFY_CHANNEL,
};
