//! What several handlers take from a request, and give back: share ids, the client (for
//! per-client limits), the owner's secret, plan bodies (JSON or a form), export formats,
//! file downloads, the origin links are written with.

use crate::export::{self, Format};
use crate::model::{decode_plan_json, IdGen, Plan, MAX_BODY_BYTES};
use crate::server::http::client_addr::client_ip;
use crate::server::http::error::AppError;
use crate::server::state::AppState;
use crate::server::store::{ClientKey, OwnerAction, OwnerToken};
use crate::shared::{paths, ShareId};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;
use tokio::sync::OwnedSemaphorePermit;

pub fn not_found() -> AppError {
    AppError::NotFound(
        "There is no shared plan at this link. Check that the link is complete.".into(),
    )
}

pub fn gone() -> AppError {
    AppError::Gone("This shared plan was taken down by its owner.".into())
}

pub fn expired() -> AppError {
    AppError::Gone(
        "This shared plan expired: nobody opened it for a long time. Ask its owner to share it \
         again."
            .into(),
    )
}

pub fn forbidden() -> AppError {
    AppError::Forbidden(
        "Only the link's owner can change it: send the owner token from the browser that \
         created the link as \"Authorization: Bearer <token>\"."
            .into(),
    )
}

pub fn parse_id(text: &str) -> Result<ShareId, AppError> {
    ShareId::parse(text).ok_or_else(not_found)
}

/// The client a request comes from, for per-client limits.
pub struct Client(pub ClientKey);

impl FromRequestParts<AppState> for Client {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // Without a socket (tests driving the router directly) every request is one client.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let ip = client_ip(peer, &parts.headers, &state.config.proxies).map_err(|bad| {
            AppError::BadRequest(format!(
                "The {} header is malformed: {bad}.",
                state.config.proxies.header
            ))
        })?;
        Ok(Client(ClientKey::of(ip)))
    }
}

/// Counts a share creation against the client's per-minute limit.
pub struct CreationQuota(pub ClientKey);

impl FromRequestParts<AppState> for CreationQuota {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Client(client) = Client::from_request_parts(parts, state).await?;
        state
            .limiter
            .check(client, Instant::now())
            .map_err(|retry_after| AppError::RateLimited { retry_after })?;
        Ok(CreationQuota(client))
    }
}

/// The address a new share is reached at. `SYNCPLAN_PUBLIC_URL` when set; else the host the
/// creator's request came to (this answer goes to the creator alone and is never cached),
/// with `https` only when a trusted proxy says so.
pub fn share_url(state: &AppState, request: &HeaderMap, id: &ShareId) -> String {
    format!("{}{}", request_origin(state, request), paths::share(id))
}

pub fn request_origin(state: &AppState, request: &HeaderMap) -> String {
    if let Some(base) = &state.config.public_url {
        return base.clone();
    }
    let host = request
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    let https = state.config.proxies.trusted_proxies > 0
        && request
            .get("x-forwarded-proto")
            .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    match host {
        Some(host) => format!("{}://{host}", if https { "https" } else { "http" }),
        None => state.config.link_origin(),
    }
}

/// The secret of `Authorization: Bearer <secret>` (the scheme in any case), if there is one.
pub fn bearer_text(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then_some(token)
}

pub fn bearer(headers: &HeaderMap) -> Result<OwnerToken, AppError> {
    bearer_text(headers)
        .map(OwnerToken::new)
        .ok_or_else(forbidden)
}

pub fn owner_result(action: OwnerAction) -> Result<StatusCode, AppError> {
    match action {
        OwnerAction::Done => Ok(StatusCode::NO_CONTENT),
        OwnerAction::Forbidden => Err(forbidden()),
        OwnerAction::Missing => Err(not_found()),
        OwnerAction::Revoked => Err(gone()),
        OwnerAction::Live => Err(AppError::Conflict(
            "This plan is edited together through an edit link: its link always shows the \
             current plan, so there is nothing to publish."
                .into(),
        )),
    }
}

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
pub enum BodyKind {
    Json,
    Form,
    Csv,
    Other(String),
}

pub fn body_kind(headers: &HeaderMap) -> BodyKind {
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
pub async fn read_body(body: Body, headers: &HeaderMap) -> Result<Bytes, AppError> {
    let too_large = AppError::body_too_large;
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

pub fn unsupported(kind: &str, expected: &str) -> AppError {
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
