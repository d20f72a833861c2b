//! The editor's state and what subscribes to it. `state` imports nothing of the UI; the
//! grid, persistence and the sync client each import `state` only, and each is provided by
//! the page that needs it.

pub mod grid;
pub mod live;
pub mod persist;
pub mod state;
pub mod watch;
