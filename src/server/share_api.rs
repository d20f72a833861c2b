//! The share API (`/api/shares…`) and share downloads (`/s/{id}/export/{format}`).

use super::client_addr::{client_ip, ClientKey};
use super::error::AppError;
use super::exports::{file_response, ExportFormat, JsonPlan};
use super::shares::{Lookup, OwnerAction, OwnerToken};
use super::state::AppState;
use crate::shared::{headers, ShareId};
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

fn not_found() -> AppError {
    AppError::NotFound(
        "There is no shared plan at this link. Check that the link is complete.".into(),
    )
}

fn gone() -> AppError {
    AppError::Gone("This shared plan was taken down by its owner.".into())
}

fn expired() -> AppError {
    AppError::Gone(
        "This shared plan expired: nobody opened it for a long time. Ask its owner to share it \
         again."
            .into(),
    )
}

fn forbidden() -> AppError {
    AppError::Forbidden(
        "Only the link's owner can change it: send the owner token from the browser that \
         created the link as \"Authorization: Bearer <token>\"."
            .into(),
    )
}

pub(super) fn parse_id(text: &str) -> Result<ShareId, AppError> {
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
fn share_url(state: &AppState, request: &HeaderMap, id: &ShareId) -> String {
    format!("{}/s/{id}", request_origin(state, request))
}

pub(super) fn request_origin(state: &AppState, request: &HeaderMap) -> String {
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

pub(super) fn bearer(headers: &HeaderMap) -> Result<OwnerToken, AppError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(forbidden)?;
    let (scheme, token) = value.split_once(' ').ok_or_else(forbidden)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(forbidden());
    }
    Ok(OwnerToken::from_header(token))
}

pub(super) fn owner_result(action: OwnerAction) -> Result<StatusCode, AppError> {
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

/// Share pages, share JSON and share downloads belong in one viewer's browser only.
const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-cache");

pub async fn create_share(
    State(state): State<AppState>,
    CreationQuota(client): CreationQuota,
    request_headers: HeaderMap,
    JsonPlan(plan, _permit): JsonPlan,
) -> Result<Response, AppError> {
    let (id, token) = state.store.create(&plan, client).await?;
    let url = share_url(&state, &request_headers, &id);
    let mut response = (
        StatusCode::CREATED,
        Json(json!({ "id": id.as_str(), "url": url, "owner_token": token.as_str() })),
    )
        .into_response();
    let headers = response.headers_mut();
    // The owner token is a secret: no cache anywhere may keep this answer.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(location) = HeaderValue::from_str(&format!("/api/shares/{id}")) {
        headers.insert(header::LOCATION, location);
    }
    Ok(response)
}

pub async fn get_share(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    match state.store.get(&id).await? {
        Lookup::Found(share) => {
            visited(&state, &id);
            let mut response = Json(share.plan).into_response();
            let h = response.headers_mut();
            h.insert(header::CACHE_CONTROL, PRIVATE);
            h.insert(headers::UPDATED_AT, HeaderValue::from(share.updated_at_ms));
            h.insert(headers::VERSION, HeaderValue::from(share.version));
            Ok(response)
        }
        Lookup::Revoked => Err(gone()),
        Lookup::Expired => Err(expired()),
        Lookup::Missing => Err(not_found()),
    }
}

pub async fn update_share(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request_headers: HeaderMap,
    JsonPlan(plan, _permit): JsonPlan,
) -> Result<StatusCode, AppError> {
    let id = parse_id(&id)?;
    let token = bearer(&request_headers)?;
    let result = owner_result(state.store.update(&id, &token, &plan).await?);
    state.pages.forget_share(&id);
    result
}

pub async fn revoke_share(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request_headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let id = parse_id(&id)?;
    let token = bearer(&request_headers)?;
    let result = owner_result(state.store.revoke(&id, &token).await?);
    state.pages.forget_share(&id);
    if result.is_ok() {
        super::live_api::share_ended(&state, &id).await;
    }
    result
}

/// `GET /s/{id}/export/{format}`: a shared plan's file; `csv` works with `=IMPORTDATA()`.
pub async fn export_share(
    State(state): State<AppState>,
    Path((id, _)): Path<(String, String)>,
    ExportFormat(format): ExportFormat,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let _permit = state.heavy_permit().await?;
    match state.store.get(&id).await? {
        Lookup::Found(share) => {
            visited(&state, &id);
            let mut response = file_response(&share.plan, format);
            // Spreadsheets re-fetch live imports; let them see updates at once.
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, PRIVATE);
            Ok(response)
        }
        Lookup::Revoked => Err(gone()),
        Lookup::Expired => Err(expired()),
        Lookup::Missing => Err(not_found()),
    }
}

/// Records a visit for the retention policy (when it is on), without making anyone wait.
pub fn visited(state: &AppState, id: &ShareId) {
    if state.config.retention_days.is_none() {
        return;
    }
    let (store, id) = (state.store.clone(), id.clone());
    tokio::spawn(async move {
        if let Err(e) = store.touch(&id).await {
            tracing::debug!(error = %e, "a share visit could not be recorded");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        assert_eq!(
            bearer(&headers(&[("authorization", "bearer tok")]))
                .unwrap()
                .as_str(),
            "tok"
        );
        assert!(bearer(&headers(&[("authorization", "Basic tok")])).is_err());
        assert!(bearer(&headers(&[("authorization", "Bearer ")])).is_err());
        assert!(bearer(&HeaderMap::new()).is_err());
    }
}
