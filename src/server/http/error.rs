//! One error type for every handler: users get a sentence they can act on, logs get the cause.

use crate::model::{Problem, ProblemKind};
use crate::server::store::StoreError;
use crate::shared::api::{ApiError, ApiProblem};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("unknown export format {0:?}")]
    UnknownFormat(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedType(String),
    #[error("invalid plan: {0:?}")]
    Invalid(Vec<Problem>),
    #[error("rate limited for {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// The client's share links for today are used up.
    #[error("daily quota of {per_day} used up")]
    DailyQuota { per_day: u32, retry_after: u64 },
    /// The share store holds as much as it may.
    #[error("the share store is full")]
    StoreFull,
    /// The share store has no room for what this request would keep (said how).
    #[error("{0}")]
    NoRoom(String),
    #[error("{0}")]
    Unavailable(String),
    /// Too many heavy requests at once: try again shortly.
    #[error("overloaded")]
    Busy { retry_after: u64 },
    #[error("the request took too long")]
    Timeout,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<Vec<Problem>> for AppError {
    fn from(problems: Vec<Problem>) -> AppError {
        match problems.first() {
            Some(p) if p.kind == ProblemKind::TooLarge => AppError::TooLarge(p.message.clone()),
            _ => AppError::Invalid(problems),
        }
    }
}

impl AppError {
    /// A request body over `MAX_BODY_BYTES` (the one sentence for it, whoever refuses).
    pub fn body_too_large() -> AppError {
        AppError::TooLarge(format!(
            "The request is larger than {} MiB. Split the plan or remove long notes.",
            crate::model::MAX_BODY_BYTES / (1024 * 1024)
        ))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) | AppError::UnknownFormat(_) => StatusCode::NOT_FOUND,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited { .. } | AppError::DailyQuota { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::StoreFull | AppError::NoRoom(_) => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Unavailable(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Timeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> ApiError {
        match self {
            AppError::UnknownFormat(name) => {
                let formats: Vec<String> = crate::export::Format::ALL
                    .iter()
                    .map(|f| f.slug().to_owned())
                    .collect();
                ApiError {
                    error: format!(
                        "There is no export format \"{name}\". Use one of: {}.",
                        formats.join(", ")
                    ),
                    formats,
                    ..ApiError::default()
                }
            }
            AppError::Invalid(problems) => {
                let first = problems.first();
                let error = match (problems.len(), first) {
                    (1, Some(p)) => p.to_string(),
                    (n, Some(p)) => format!("There are {n} problems. The first: {p}"),
                    (_, None) => "The plan is not valid.".to_owned(),
                };
                ApiError {
                    error,
                    row: first.and_then(|p| p.row),
                    field: first.and_then(|p| p.field.clone()),
                    problems: problems
                        .iter()
                        .map(|p| ApiProblem {
                            row: p.row,
                            column: p.field.clone(),
                            message: p.message.clone(),
                        })
                        .collect(),
                    ..ApiError::default()
                }
            }
            AppError::RateLimited { retry_after } => ApiError::new(format!(
                "Too many share links created from your network. Try again in {retry_after} seconds."
            )),
            AppError::DailyQuota { per_day, .. } => ApiError::new(format!(
                "Your network has created {per_day} share links today, the most allowed in \
                 a day. Try again tomorrow, or update a link you already made."
            )),
            AppError::StoreFull => ApiError::new(
                "This server cannot store more shared plans right now. Your plan is \
                 still saved in this browser; existing links keep working. Try again \
                 later or ask the site's operator to raise the limit.",
            ),
            AppError::Busy { retry_after } => ApiError::new(format!(
                "The server is busy with other large requests. Try again in {retry_after} \
                 seconds."
            )),
            AppError::Timeout => ApiError::new(
                "The request took too long and was stopped. Try again; if it keeps \
                 happening, send a smaller plan.",
            ),
            AppError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                ApiError::new("Something went wrong on our side. Please try again in a moment.")
            }
            AppError::BadRequest(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Gone(m)
            | AppError::NoRoom(m)
            | AppError::Conflict(m)
            | AppError::TooLarge(m)
            | AppError::UnsupportedType(m)
            | AppError::Unavailable(m) => ApiError::new(m.clone()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if let AppError::RateLimited { retry_after }
        | AppError::DailyQuota { retry_after, .. }
        | AppError::Busy { retry_after } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// What the store's failures mean to a client. The cause is logged here, once; the client
/// gets a sentence.
impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Unavailable(cause) => {
                tracing::error!(%cause, "share store unavailable");
                AppError::Unavailable(
                    "Sharing is unavailable right now. Your plan is still saved in this browser; \
                     try again in a minute."
                        .into(),
                )
            }
            StoreError::Internal(cause) => AppError::Internal(cause),
            StoreError::DailyQuota { per_day } => AppError::DailyQuota {
                per_day,
                retry_after: seconds_to_next_utc_day(),
            },
            StoreError::Full => {
                tracing::warn!("the share store is full (SYNCPLAN_MAX_STORE_MB)");
                AppError::StoreFull
            }
        }
    }
}

fn seconds_to_next_utc_day() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    86_400 - now % 86_400
}
