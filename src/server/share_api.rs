//! The share API (`/api/shares…`), share downloads (`/s/{id}/export/{format}`), and what the
//! share page needs from the store.

use super::error::AppError;
use super::exports::{file_response, ExportFormat, PlanBody};
use super::routes::AppState;
use super::shares::{Lookup, OwnerAction, OwnerToken, ShareId, StoreError};
use crate::ui::{ShareLoad, SharedPlan};
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Instant;

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
        }
    }
}

fn not_found() -> AppError {
    AppError::NotFound(
        "There is no shared plan at this link. Check that the link is complete.".into(),
    )
}

fn gone() -> AppError {
    AppError::Gone("This shared plan was taken down by its owner.".into())
}

fn forbidden() -> AppError {
    AppError::Forbidden(
        "Only the link's owner can change it: send the owner token from the browser that \
         created the link as \"Authorization: Bearer <token>\"."
            .into(),
    )
}

fn parse_id(text: &str) -> Result<ShareId, AppError> {
    ShareId::parse(text).ok_or_else(not_found)
}

/// Counts a share creation against the client's per-minute limit.
pub struct CreationQuota;

impl FromRequestParts<AppState> for CreationQuota {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let client = client_key(parts, state.config.client_ip_header.as_deref());
        state
            .limiter
            .check(&client, Instant::now())
            .map_err(|retry_after| AppError::RateLimited { retry_after })?;
        Ok(CreationQuota)
    }
}

/// The client's address: from the configured proxy header, else the socket.
fn client_key(parts: &Parts, header: Option<&str>) -> String {
    if let Some(name) = header {
        if let Some(first) = parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            return first.to_owned();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The public address of a share: `SYNCPLAN_PUBLIC_URL`, else the host the request came to.
pub fn share_url(public_url: Option<&str>, headers: &HeaderMap, id: &str) -> String {
    format!("{}/s/{id}", site_base(public_url, headers))
}

fn site_base(public_url: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(base) = public_url {
        return base.to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    match host {
        Some(host) => format!("{}://{host}", if https { "https" } else { "http" }),
        None => String::new(),
    }
}

fn bearer(headers: &HeaderMap) -> Result<OwnerToken, AppError> {
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

fn owner_result(action: OwnerAction) -> Result<StatusCode, AppError> {
    match action {
        OwnerAction::Done => Ok(StatusCode::NO_CONTENT),
        OwnerAction::Forbidden => Err(forbidden()),
        OwnerAction::Missing => Err(not_found()),
        OwnerAction::Revoked => Err(gone()),
    }
}

pub async fn create_share(
    State(state): State<AppState>,
    _quota: CreationQuota,
    headers: HeaderMap,
    PlanBody(plan): PlanBody,
) -> Result<Response, AppError> {
    let (id, token) = state.store.create(&plan).await?;
    let url = share_url(state.config.public_url.as_deref(), &headers, id.as_str());
    let mut response = (
        StatusCode::CREATED,
        Json(json!({ "id": id.as_str(), "url": url, "owner_token": token.as_str() })),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/shares/{}", id.as_str())) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

pub async fn get_share(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    match state.store.get(&parse_id(&id)?).await? {
        Lookup::Found(share) => {
            let mut response = Json(share.plan).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            if let Ok(v) = HeaderValue::from_str(&share.updated_at_ms.to_string()) {
                headers.insert("x-syncplan-updated-at", v);
            }
            if let Ok(v) = HeaderValue::from_str(&share.version.to_string()) {
                headers.insert("x-syncplan-version", v);
            }
            Ok(response)
        }
        Lookup::Revoked => Err(gone()),
        Lookup::Missing => Err(not_found()),
    }
}

pub async fn update_share(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    PlanBody(plan): PlanBody,
) -> Result<StatusCode, AppError> {
    let id = parse_id(&id)?;
    let token = bearer(&headers)?;
    let result = owner_result(state.store.update(&id, &token, &plan).await?);
    state.pages.forget_share(id.as_str());
    result
}

pub async fn revoke_share(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let id = parse_id(&id)?;
    let token = bearer(&headers)?;
    let result = owner_result(state.store.revoke(&id, &token).await?);
    state.pages.forget_share(id.as_str());
    result
}

/// `GET /s/{id}/export/{format}`: a shared plan's file; `csv` works with `=IMPORTDATA()`.
pub async fn export_share(
    State(state): State<AppState>,
    Path((id, _)): Path<(String, String)>,
    ExportFormat(format): ExportFormat,
) -> Result<Response, AppError> {
    match state.store.get(&parse_id(&id)?).await? {
        Lookup::Found(share) => {
            let mut response = file_response(&share.plan, format);
            // Spreadsheets re-fetch live imports; let them see updates at once.
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            Ok(response)
        }
        Lookup::Revoked => Err(gone()),
        Lookup::Missing => Err(not_found()),
    }
}

/// What the share page shows for `id` (called while rendering it on the server).
pub async fn load_for_page(state: &AppState, headers: &HeaderMap, id: &str) -> ShareLoad {
    let Some(id) = ShareId::parse(id) else {
        return ShareLoad::Missing;
    };
    match state.store.get(&id).await {
        Ok(Lookup::Found(share)) => {
            let base = site_base(state.config.public_url.as_deref(), headers);
            ShareLoad::Found(SharedPlan {
                csv_url: format!("{base}/s/{}/export/csv", share.id),
                id: share.id,
                plan: share.plan,
                version: share.version,
                updated_at_ms: share.updated_at_ms,
            })
        }
        Ok(Lookup::Revoked) => ShareLoad::Revoked,
        Ok(Lookup::Missing) => ShareLoad::Missing,
        Err(e) => {
            tracing::error!(error = %e, "share page could not load its share");
            ShareLoad::Unavailable
        }
    }
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
    fn share_urls_prefer_the_configured_public_url() {
        let h = headers(&[("host", "internal:3000")]);
        assert_eq!(
            share_url(Some("https://plans.example.com"), &h, "abc"),
            "https://plans.example.com/s/abc"
        );
        assert_eq!(share_url(None, &h, "abc"), "http://internal:3000/s/abc");
        let h = headers(&[
            ("host", "plans.example.com"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            share_url(None, &h, "abc"),
            "https://plans.example.com/s/abc"
        );
        let h = headers(&[("host", "evil.com/<script>")]);
        assert_eq!(share_url(None, &h, "abc"), "/s/abc");
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
