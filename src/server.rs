//! The HTTP server: configuration, router assembly, handlers and errors.

mod config;
mod error;
mod exports;
mod routes;

pub use config::Config;
pub use error::AppError;
pub use routes::{app, AppState};
