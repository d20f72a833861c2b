//! `POST /api/export/{format}` and `POST /api/import`.

use super::error::AppError;
use super::state::AppState;
use crate::export::{self, Format};
use crate::model::{decode_plan_json, IdGen, Plan, DEFAULT_TITLE, MAX_BODY_BYTES};
use crate::shared::headers::IGNORED_COLUMNS;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use tokio::sync::OwnedSemaphorePermit;

/// A seed for row ids from the OS random source.
pub fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    // If the OS cannot give randomness, ids are still unique per plan (every id is checked).
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// The `{format}` of an export URL; an unknown one is a 404 that lists the formats.
pub struct ExportFormat(pub Format);

impl<S: Send + Sync> FromRequestParts<S> for ExportFormat {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::BadRequest("The URL is malformed.".into()))?;
        let name = params
            .iter()
            .find(|(k, _)| k == "format")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        Format::from_slug(name)
            .map(ExportFormat)
            .ok_or_else(|| AppError::UnknownFormat(name.to_owned()))
    }
}

/// What a request body claims to be.
#[derive(Debug, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
    Csv,
    Other(String),
}

fn body_kind(headers: &HeaderMap) -> BodyKind {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return BodyKind::Other(String::new());
    };
    let essence = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => BodyKind::Json,
        "application/x-www-form-urlencoded" => BodyKind::Form,
        // Windows labels .csv files as Excel's; plain text is what some tools send.
        "text/csv"
        | "application/csv"
        | "text/comma-separated-values"
        | "application/vnd.ms-excel"
        | "text/plain" => BodyKind::Csv,
        _ => BodyKind::Other(essence),
    }
}

/// Reads the whole body, refusing anything over the size limit with a 413.
async fn read_body(body: Body, headers: &HeaderMap) -> Result<Bytes, AppError> {
    let too_large = || {
        AppError::TooLarge(format!(
            "The request is larger than {} MiB. Split the plan or remove long notes.",
            MAX_BODY_BYTES / (1024 * 1024)
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            let over_limit = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            if over_limit {
                too_large()
            } else {
                AppError::BadRequest("The request body could not be read. Send it again.".into())
            }
        })
}

fn unsupported(kind: &str, expected: &str) -> AppError {
    let sent = if kind.is_empty() {
        "no Content-Type".to_owned()
    } else {
        format!("Content-Type {kind}")
    };
    AppError::UnsupportedType(format!("The request has {sent}; send {expected}."))
}

#[derive(Deserialize)]
struct PlanForm {
    plan: Option<String>,
}

/// A plan sent as JSON, or as the form field `plan` (so a plain HTML form works without
/// JavaScript). Checked and normalised; any problem is a 422 naming row and field. Holds a
/// heavy-work permit for as long as the handler keeps it.
pub struct PlanBody(pub Plan, pub OwnedSemaphorePermit);

impl FromRequest<AppState> for PlanBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (plan, permit) = decode_body(req, state, true).await?;
        Ok(PlanBody(plan, permit))
    }
}

/// A plan sent as JSON only. The share API takes nothing else, so a cross-site HTML form
/// (which can only send form encodings and plain text) cannot create or change a share.
pub struct JsonPlan(pub Plan, pub OwnedSemaphorePermit);

impl FromRequest<AppState> for JsonPlan {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (plan, permit) = decode_body(req, state, false).await?;
        Ok(JsonPlan(plan, permit))
    }
}

async fn decode_body(
    req: Request,
    state: &AppState,
    forms: bool,
) -> Result<(Plan, OwnedSemaphorePermit), AppError> {
    let (parts, body) = req.into_parts();
    let kind = body_kind(&parts.headers);
    let expected = if forms {
        "the plan as application/json, or a form with a \"plan\" field"
    } else {
        "the plan as application/json"
    };
    match &kind {
        BodyKind::Json => {}
        BodyKind::Form if forms => {}
        BodyKind::Other(other) => return Err(unsupported(other, expected)),
        BodyKind::Form => return Err(unsupported("application/x-www-form-urlencoded", expected)),
        BodyKind::Csv => return Err(unsupported("text/csv", expected)),
    }
    let permit = state.heavy_permit().await?;
    let bytes = read_body(body, &parts.headers).await?;
    let mut ids = IdGen::new(random_seed());
    let plan = if kind == BodyKind::Form {
        let form: PlanForm = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
        let json = form.plan.ok_or_else(|| {
            AppError::BadRequest("The form has no \"plan\" field with the plan JSON.".into())
        })?;
        decode_plan_json(&json, &mut ids)?
    } else {
        let json = std::str::from_utf8(&bytes)
            .map_err(|_| AppError::BadRequest("The body is not UTF-8 text.".into()))?;
        decode_plan_json(json, &mut ids)?
    };
    Ok((plan, permit))
}

/// The file download of `plan` in `format`.
pub fn file_response(plan: &Plan, format: Format) -> Response {
    let body = export::export(plan, format);
    let disposition = format!(
        "attachment; filename=\"{}\"",
        export::file_name(&plan.title, format)
    );
    let mut response = Body::from(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn export_plan(
    ExportFormat(format): ExportFormat,
    PlanBody(plan, _permit): PlanBody,
) -> Response {
    file_response(&plan, format)
}

#[derive(Deserialize)]
pub struct ImportQuery {
    title: Option<String>,
}

pub async fn import_plan(
    State(state): State<AppState>,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let kind = body_kind(&headers);
    let expected = "a CSV file as text/csv or a plan as application/json";
    let mut ids = IdGen::new(random_seed());
    let _permit = state.heavy_permit().await?;
    let imported = match kind {
        BodyKind::Csv => {
            let bytes = read_body(body, &headers).await?;
            let title = query
                .title
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty());
            export::import_csv(&bytes, title.unwrap_or(DEFAULT_TITLE), &mut ids)?
        }
        BodyKind::Json => {
            let bytes = read_body(body, &headers).await?;
            export::import_json(&bytes, &mut ids)?
        }
        BodyKind::Form => return Err(unsupported("a form", expected)),
        BodyKind::Other(other) => return Err(unsupported(&other, expected)),
    };
    let mut response = Json(imported.plan).into_response();
    if !imported.ignored_columns.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&imported.ignored_columns.join(", ")) {
            response.headers_mut().insert(IGNORED_COLUMNS, v);
        }
    }
    Ok(response)
}
