//! Client-only adapters: local storage, the DOM, downloads. Called from effects and event
//! handlers only, never while rendering (they would panic on the server and break
//! hydration).

pub mod clipboard;
pub mod dom;
pub mod files;
pub mod live_socket;
pub mod local_history;
pub mod reconnect;
pub mod share_api;
pub mod storage;
