//! The share API (`/api/shares…`) and share downloads (`/s/{id}/export/{format}`).

use super::extract::{
    bearer, expired, file_response, gone, not_found, owner_result, parse_id, share_url,
    CreationQuota, ExportFormat, JsonPlan,
};
use crate::server::http::error::AppError;
use crate::server::state::AppState;
use crate::server::store::Lookup;
use crate::shared::api::CreatedShare;
use crate::shared::{headers, paths};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

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
        Json(CreatedShare {
            id: id.clone(),
            url,
            owner_token: token,
        }),
    )
        .into_response();
    let headers = response.headers_mut();
    // The owner token is a secret: no cache anywhere may keep this answer.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(location) = HeaderValue::from_str(&paths::api_share(&id)) {
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
            state.visited(&id);
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
        state.live.share_ended(&id).await;
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
            state.visited(&id);
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
