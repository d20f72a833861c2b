//! `POST /api/export/{format}` and `POST /api/import`.

use super::extract::{
    body_kind, file_response, random_seed, read_body, unsupported, BodyKind, ExportFormat, PlanBody,
};
use crate::export;
use crate::model::{IdGen, DEFAULT_TITLE};
use crate::server::http::error::AppError;
use crate::server::state::AppState;
use crate::shared::headers::IGNORED_COLUMNS;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

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
