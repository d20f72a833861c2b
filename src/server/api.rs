//! The handlers, one module per part of the HTTP API; what several of them need (request
//! extractors, the owner's secret, file downloads) is in `extract`, so no handler calls
//! another.

pub mod exports;
pub mod extract;
pub mod history;
pub mod live;
pub mod share_page;
pub mod shares;
pub mod versions;
