#![cfg(feature = "ssr")]
//! Live editing over real sockets against the real router: edit links, WebSockets, the
//! Server-Sent Events fallback, every error close, revoking and rotating links, on SQLite
//! and (when `SYNCPLAN_TEST_POSTGRES_URL` names a server) on PostgreSQL, including two
//! instances behind one database.

mod editing;
mod fallback;
mod history;
mod limits;
mod support;
mod versions;
