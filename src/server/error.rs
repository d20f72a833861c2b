//! One error type for every handler: users get a sentence they can act on, logs get the cause.

use crate::model::{Problem, ProblemKind};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

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
    TooLarge(String),
    #[error("{0}")]
    UnsupportedType(String),
    #[error("invalid plan: {0:?}")]
    Invalid(Vec<Problem>),
    #[error("rate limited for {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("{0}")]
    Unavailable(String),
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
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) | AppError::UnknownFormat(_) => StatusCode::NOT_FOUND,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Timeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> Value {
        match self {
            AppError::UnknownFormat(name) => {
                let formats: Vec<_> = crate::export::Format::ALL
                    .iter()
                    .map(|f| f.slug())
                    .collect();
                json!({
                    "error": format!(
                        "There is no export format \"{name}\". Use one of: {}.",
                        formats.join(", ")
                    ),
                    "formats": formats,
                })
            }
            AppError::Invalid(problems) => {
                let first = problems.first();
                let error = match (problems.len(), first) {
                    (1, Some(p)) => p.to_string(),
                    (n, Some(p)) => format!("There are {n} problems. The first: {p}"),
                    (_, None) => "The plan is not valid.".to_owned(),
                };
                let list: Vec<Value> = problems
                    .iter()
                    .map(|p| json!({ "row": p.row, "column": p.field, "message": p.message }))
                    .collect();
                json!({
                    "error": error,
                    "row": first.and_then(|p| p.row),
                    "field": first.and_then(|p| p.field.clone()),
                    "problems": list,
                })
            }
            AppError::RateLimited { retry_after } => json!({
                "error": format!(
                    "Too many share links created from your network. Try again in {retry_after} seconds."
                )
            }),
            AppError::Timeout => json!({
                "error": "The request took too long and was stopped. Try again; if it keeps \
                          happening, send a smaller plan."
            }),
            AppError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                json!({ "error": "Something went wrong on our side. Please try again in a moment." })
            }
            AppError::BadRequest(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Gone(m)
            | AppError::TooLarge(m)
            | AppError::UnsupportedType(m)
            | AppError::Unavailable(m) => json!({ "error": m }),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if let AppError::RateLimited { retry_after } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}
