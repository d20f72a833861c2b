//! A live plan's versions, for editors (the edit link's secret) and the owner (the owner
//! token), as `Authorization: Bearer <secret>`; never cached:
//! - `GET /api/shares/{id}/versions`: the named versions, and the points that can be rebuilt;
//! - `POST /api/shares/{id}/versions` `{"name", "by"?, "seq"?}`: names a point (now by default);
//! - `GET /api/shares/{id}/versions/{seq}`: the plan as it was at that point;
//! - `DELETE /api/shares/{id}/versions/{seq}`: takes that point's name off.

use super::extract::{bearer_text, gone, not_found, parse_id};
use crate::model::clean_text;
use crate::server::http::error::AppError;
use crate::server::state::AppState;
use crate::server::store::{HistoryRefusal, VersionRefusal, MAX_VERSION_NAME_CHARS};
use crate::shared::api::NameVersion;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

fn not_allowed() -> AppError {
    AppError::Forbidden(
        "A plan's versions are for the people who edit it: send the edit link's secret \
         (after the # of the edit link) or the owner token as \"Authorization: Bearer \
         <secret>\"."
            .into(),
    )
}

fn secret(headers: &HeaderMap) -> Result<String, AppError> {
    bearer_text(headers)
        .map(|t| t.trim().to_owned())
        .ok_or_else(not_allowed)
}

fn refused(why: HistoryRefusal) -> AppError {
    match why {
        HistoryRefusal::Missing => not_found(),
        HistoryRefusal::Ended => gone(),
        HistoryRefusal::NotAllowed => not_allowed(),
        HistoryRefusal::NotLive => AppError::Conflict(
            "This plan is shared read-only, not edited together: its versions start when \
             its owner turns on editing together."
                .into(),
        ),
    }
}

fn version_refused(why: VersionRefusal) -> AppError {
    match why {
        VersionRefusal::Refused(why) => refused(why),
        VersionRefusal::NoSuchPoint { newest } => AppError::NotFound(format!(
            "The plan has no such point yet: its newest is {newest}."
        )),
        VersionRefusal::TooOld { oldest } => AppError::Gone(format!(
            "That point is older than the history this server keeps (SYNCPLAN_HISTORY_DAYS \
             and SYNCPLAN_HISTORY_MB); the oldest point it can rebuild is {oldest}. Named \
             versions are always kept."
        )),
        VersionRefusal::TooMany { most } => AppError::Conflict(format!(
            "This plan has {most} named versions, the most it keeps: take the \
             name off one you no longer need, then name this one."
        )),
        VersionRefusal::NoRoom => AppError::NoRoom(
            "This server's storage is full, so it cannot keep another named version now. \
             The plan and its history are safe; take the name off a version you no longer \
             need, or try again later."
                .into(),
        ),
    }
}

fn no_store(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn parse_seq(text: &str) -> Result<u64, AppError> {
    text.parse().map_err(|_| {
        AppError::BadRequest(
            "A version is named by a sequence of the plan's log, such as 120.".into(),
        )
    })
}

/// One line of text of at most `max` characters, trimmed.
fn one_line(text: &str, max: usize) -> String {
    clean_text(text, max)
        .replace(['\n', '\t'], " ")
        .trim()
        .to_owned()
}

pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let secret = secret(&headers)?;
    match state.store.versions(&id, &secret).await? {
        Ok(list) => Ok(no_store(Json(list))),
        Err(why) => Err(refused(why)),
    }
}

pub async fn name(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let secret = secret(&headers)?;
    let asked: NameVersion = serde_json::from_slice(&body).map_err(|_| {
        AppError::BadRequest(
            "Send the version's name as JSON: {\"name\": \"Sent to eng review\"}, with \
             \"seq\" to name an earlier point and \"by\" for your name."
                .into(),
        )
    })?;
    if asked.name.chars().count() > MAX_VERSION_NAME_CHARS {
        return Err(AppError::BadRequest(format!(
            "A version's name has at most {MAX_VERSION_NAME_CHARS} characters."
        )));
    }
    let name = one_line(&asked.name, MAX_VERSION_NAME_CHARS);
    if name.is_empty() {
        return Err(AppError::BadRequest(
            "Give the version a name, such as \"Sent to eng review\".".into(),
        ));
    }
    let by = one_line(&asked.by, 40);
    // Naming rebuilds the plan at its point, as reading one does: bounded like any heavy work.
    let _permit = state.heavy_permit().await?;
    let now = crate::server::store::now_ms();
    match state
        .store
        .name_version(&id, &secret, asked.seq, &name, &by, now)
        .await?
    {
        Ok(named) => Ok(no_store((StatusCode::CREATED, Json(named)))),
        Err(why) => Err(version_refused(why)),
    }
}

pub async fn get(
    State(state): State<AppState>,
    Path((id, seq)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let seq = parse_seq(&seq)?;
    let secret = secret(&headers)?;
    // Rebuilding a point reads up to the plan's whole history: bounded like any heavy work.
    let _permit = state.heavy_permit().await?;
    match state.store.version(&id, &secret, seq).await? {
        Ok(version) => Ok(no_store(Json(version))),
        Err(why) => Err(version_refused(why)),
    }
}

pub async fn unname(
    State(state): State<AppState>,
    Path((id, seq)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let seq = parse_seq(&seq)?;
    let secret = secret(&headers)?;
    match state.store.unname_version(&id, &secret, seq).await? {
        Ok(true) => Ok(StatusCode::NO_CONTENT.into_response()),
        Ok(false) => Err(AppError::NotFound(format!(
            "The point {seq} has no name to take off."
        ))),
        Err(why) => Err(refused(why)),
    }
}
