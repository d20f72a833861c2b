//! `POST /api/export/{format}` and `POST /api/import`.

use super::extract::{
    body_kind, file_response, random_seed, read_body, unsupported, BodyKind, ExportFormat, PlanBody,
};
use crate::export::{self, MappingSpec, TicketFormat, TicketOptions};
use crate::model::{IdGen, DEFAULT_TITLE};
use crate::server::http::error::AppError;
use crate::server::state::AppState;
use crate::shared::headers::{IGNORED_COLUMNS, NOTED_COLUMNS};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn export_plan(
    ExportFormat(format): ExportFormat,
    PlanBody(plan, _permit): PlanBody,
) -> Response {
    file_response(&plan, format)
}

/// `POST /api/import`: a CSV (`text/csv`) or a plan (`application/json`) as a plan, or 422
/// with every problem located. For a CSV, the query may carry `title`, a column mapping
/// (`column.<column>=<target>`, `status.<value>=<status>`, `priority.<value>=<P0–P3>`, or
/// all of it as JSON in `mapping`: see `export::mapping`), and `preview=1`, which answers
/// what the mapping would do (columns, samples, values translated and not) instead of the
/// plan.
pub async fn import_plan(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let query = query.unwrap_or_default();
    let params: Vec<(String, String)> = serde_urlencoded::from_str(&query)
        .map_err(|_| AppError::BadRequest("The query string could not be read.".into()))?;
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    };
    let kind = body_kind(&headers);
    let expected = "a CSV file as text/csv or a plan as application/json";
    let mut ids = IdGen::new(random_seed());
    let _permit = state.heavy_permit().await?;
    let imported = match kind {
        BodyKind::Csv => {
            let spec = match param("mapping") {
                Some(json) => MappingSpec::from_json(json),
                None => MappingSpec::from_query(&query),
            }
            .map_err(|p| AppError::from(vec![p]))?;
            let bytes = read_body(body, &headers).await?;
            if matches!(param("preview"), Some("1" | "true" | "yes")) {
                let mut response = Json(export::preview(&bytes, &spec)?).into_response();
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                return Ok(response);
            }
            let title = param("title").filter(|t| !t.is_empty());
            export::import_mapped(&bytes, &spec, title.unwrap_or(DEFAULT_TITLE), &mut ids)?
        }
        BodyKind::Json => {
            let bytes = read_body(body, &headers).await?;
            export::import_json(&bytes, &mut ids)?
        }
        BodyKind::Form => return Err(unsupported("a form", expected)),
        BodyKind::Other(other) => return Err(unsupported(&other, expected)),
    };
    let mut response = Json(imported.plan).into_response();
    for (name, columns) in [
        (IGNORED_COLUMNS, &imported.ignored_columns),
        (NOTED_COLUMNS, &imported.noted_columns),
    ] {
        // Header values are ASCII: other names are written as JSON escapes would.
        let list = columns
            .iter()
            .map(|c| c.escape_default().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        if let Ok(v) = HeaderValue::from_str(&list) {
            if !list.is_empty() {
                response.headers_mut().insert(name, v);
            }
        }
    }
    Ok(response)
}

/// `POST /api/export/tickets/{format}`: the plan's rows as tickets for Jira (`jira-csv`),
/// GitLab (`gitlab-csv`) or the GitHub CLI (`github-script`). Query: `open_only=1` (rows not
/// Done), `urgent_only=1` (P0 and P1 only). The body is the plan, as for every export (send
/// only the rows you want: the page sends the rows its filter shows when asked to).
pub async fn export_tickets(
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    PlanBody(plan, _permit): PlanBody,
) -> Result<Response, AppError> {
    let format = TicketFormat::from_slug(&slug).ok_or_else(|| {
        AppError::NotFound(format!(
            "There is no ticket format \"{slug}\". Use jira-csv, gitlab-csv or github-script."
        ))
    })?;
    let options = TicketOptions::from_query(&query.unwrap_or_default())
        .map_err(|p| AppError::from(vec![p]))?;
    let body = export::export_tickets(&plan, format, &options);
    let disposition = format!("attachment; filename=\"{}\"", format.file_name(&plan.title));
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
    Ok(response)
}
