//! `GET /api/shares/{id}/history`: a page of a live plan's history, for editors (the edit
//! link's secret) and the owner (the owner token), as `Authorization: Bearer <secret>`.
//! Query: `row` and `field` (one cell's values), `before` (the `next` of the page before),
//! `after` (only what was logged after that sequence: what changed since a browser last
//! saw the plan), `limit` (at most 500; 100 by default). Never cached.

use super::extract::{bearer_text, gone, not_found, parse_id};
use crate::model::{is_valid_row_id, RowId};
use crate::server::http::error::AppError;
use crate::server::state::AppState;
use crate::server::store::{HistoryQuery, HistoryRefusal, MAX_HISTORY_PAGE};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Fields a history can be asked for.
const FIELDS: [&str; 9] = [
    "title", "alive", "position", "item", "category", "priority", "owner", "status", "notes",
];

fn not_allowed() -> AppError {
    AppError::Forbidden(
        "A plan's history is for the people who edit it: send the edit link's secret (after \
         the # of the edit link) or the owner token as \"Authorization: Bearer <secret>\"."
            .into(),
    )
}

/// The query, read strictly: an unknown name or a malformed value is a sentence, not a
/// silently ignored part.
fn read_query(raw: Option<&str>) -> Result<HistoryQuery, AppError> {
    let bad = |what: &str| AppError::BadRequest(what.to_owned());
    let mut query = HistoryQuery {
        limit: 100,
        ..HistoryQuery::default()
    };
    let (mut row, mut field) = (None, None);
    for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "row" if is_valid_row_id(value) => row = Some(RowId::from(value)),
            "row" => return Err(bad("The row is not a row id of a plan.")),
            "field" if FIELDS.contains(&value) => field = Some(value.to_owned()),
            "field" => {
                return Err(bad(&format!(
                    "The field must be one of {}.",
                    FIELDS.join(", ")
                )))
            }
            "before" => {
                let parsed = value
                    .split_once('.')
                    .and_then(|(s, o)| Some((s.parse().ok()?, o.parse().ok()?)));
                query.before = Some(parsed.ok_or_else(|| {
                    bad("`before` takes the `next` of the page before, such as 120.3.")
                })?);
            }
            "after" => {
                query.after = Some(value.parse().map_err(|_| {
                    bad("`after` takes a sequence of the plan's log, such as 120.")
                })?);
            }
            "limit" => {
                query.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_HISTORY_PAGE).contains(n))
                    .ok_or_else(|| {
                        bad(&format!(
                            "`limit` is a number from 1 to {MAX_HISTORY_PAGE}."
                        ))
                    })?;
            }
            _ => {
                return Err(bad(&format!(
                    "A history takes row, field, before, after and limit; not {name}."
                )))
            }
        }
    }
    query.cell = match (row, field) {
        (Some(row), Some(field)) => Some((row, field)),
        (None, Some(field)) if field == "title" => Some((RowId::from(""), field)),
        (None, None) => None,
        _ => return Err(bad("A cell's history takes both its row and its field.")),
    };
    Ok(query)
}

pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let query = read_query(raw.as_deref())?;
    let secret = bearer_text(&headers)
        .map(|t| t.trim().to_owned())
        .ok_or_else(not_allowed)?;
    let page = match state.store.history(&id, &secret, &query).await? {
        Ok(page) => page,
        Err(HistoryRefusal::Missing) => return Err(not_found()),
        Err(HistoryRefusal::Ended) => return Err(gone()),
        Err(HistoryRefusal::NotAllowed) => return Err(not_allowed()),
        Err(HistoryRefusal::NotLive) => {
            return Err(AppError::Conflict(
                "This plan is shared read-only, not edited together: its history starts \
                 when its owner turns on editing together."
                    .into(),
            ))
        }
    };
    let mut response = Json(page).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_query_is_read_strictly() {
        let q = read_query(Some("row=r1&field=status&before=12.3&limit=20&after=4")).unwrap();
        assert_eq!(q.cell, Some((RowId::from("r1"), "status".to_owned())));
        assert_eq!((q.before, q.limit, q.after), (Some((12, 3)), 20, Some(4)));
        assert!(read_query(None).unwrap().cell.is_none());
        for bad in [
            "row=r1",
            "field=owner",
            "row=a%20b&field=owner",
            "field=secret&row=r1",
            "limit=0",
            "limit=501",
            "before=12",
            "after=-1",
            "colour=red",
        ] {
            assert!(read_query(Some(bad)).is_err(), "{bad}");
        }
    }
}
