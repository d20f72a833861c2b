//! Reading a picked or dropped file, and sending it to `/api/import` (for a CSV, first for a
//! preview of its column mapping).

use crate::model::Plan;
use crate::shared::import::{MappingSpec, Preview};
use wasm_bindgen_futures::JsFuture;

/// What `/api/import` answered.
pub enum ImportAnswer {
    Plan {
        plan: Plan,
        ignored_columns: Vec<String>,
        /// Columns whose text was added to Notes as `Column: value`.
        noted_columns: Vec<String>,
    },
    Problems {
        error: String,
        problems: Vec<ImportProblem>,
    },
}

use crate::shared::api::ApiError as ErrorBody;
/// One problem of a file, as the server lists it.
pub use crate::shared::api::ApiProblem as ImportProblem;

/// The file's text (UTF-8; the server reports anything else).
pub async fn read_text(file: &web_sys::File) -> Result<String, String> {
    JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| "the file could not be read".to_owned())
}

/// Whether the file is a plan backup (JSON) rather than a sheet (CSV, TSV).
pub fn is_json(file_name: &str) -> bool {
    file_name.to_ascii_lowercase().ends_with(".json")
}

/// The import endpoint's address for a file, with its title and (for a CSV) the mapping.
fn import_url(file_name: &str, mapping: Option<&MappingSpec>, preview: bool) -> String {
    let stem = file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(file_name);
    let mut url = format!(
        "{}?title={}",
        crate::shared::paths::IMPORT,
        js_sys::encode_uri_component(stem)
    );
    if let Some(spec) = mapping {
        let json = serde_json::to_string(spec).unwrap_or_default();
        url.push_str(&format!("&mapping={}", js_sys::encode_uri_component(&json)));
    }
    if preview {
        url.push_str("&preview=1");
    }
    url
}

async fn post(
    url: &str,
    file_name: &str,
    text: String,
) -> Result<gloo_net::http::Response, String> {
    let content_type = if is_json(file_name) {
        "application/json"
    } else {
        "text/csv"
    };
    gloo_net::http::Request::post(url)
        .header("Content-Type", content_type)
        .body(text)
        .map_err(|_| "the file could not be sent".to_owned())?
        .send()
        .await
        .map_err(|_| "the server could not be reached; check your connection".to_owned())
}

/// What a sheet would become with `mapping`: its columns, where each goes, the values
/// translated and not.
pub async fn preview(
    file_name: &str,
    text: String,
    mapping: &MappingSpec,
) -> Result<Result<Preview, ImportAnswer>, String> {
    let url = import_url(file_name, Some(mapping), true);
    let response = post(&url, file_name, text).await?;
    if response.ok() {
        return response
            .json::<Preview>()
            .await
            .map(Ok)
            .map_err(|_| "the server's answer could not be read".to_owned());
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Ok(Err(ImportAnswer::Problems {
            error: body.error,
            problems: body.problems,
        })),
        Err(_) => Err(format!("the server answered {}", response.status())),
    }
}

/// Sends a file's text to the import endpoint as CSV (with its column mapping) or JSON.
pub async fn import(
    file_name: &str,
    text: String,
    mapping: Option<&MappingSpec>,
) -> Result<ImportAnswer, String> {
    let url = import_url(file_name, mapping, false);
    let response = post(&url, file_name, text).await?;
    if response.ok() {
        let list = |name: &str| -> Vec<String> {
            response
                .headers()
                .get(name)
                .map(|h| h.split(", ").map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let ignored = list(crate::shared::headers::IGNORED_COLUMNS);
        let noted = list(crate::shared::headers::NOTED_COLUMNS);
        let plan = response
            .json::<Plan>()
            .await
            .map_err(|_| "the server's answer could not be read".to_owned())?;
        return Ok(ImportAnswer::Plan {
            plan,
            ignored_columns: ignored,
            noted_columns: noted,
        });
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Ok(ImportAnswer::Problems {
            error: body.error,
            problems: body.problems,
        }),
        Err(_) => Err(format!("the server answered {}", response.status())),
    }
}

/// A file made by an export endpoint: its name (from `Content-Disposition`), type and bytes.
pub struct Exported {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// Asks an export endpoint (`/api/export/…`) for the file of `plan_json`. The page then
/// offers it as a download and stays where it is, online or not.
pub async fn export(url: &str, plan_json: String, fallback_name: &str) -> Result<Exported, String> {
    let response = gloo_net::http::Request::post(url)
        .header("Content-Type", "application/json")
        .body(plan_json)
        .map_err(|_| "the plan could not be sent".to_owned())?
        .send()
        .await
        .map_err(|_| {
            "the server could not be reached. Files are made by the server, so downloads need \
             a connection; Copy for Sheets works offline"
                .to_owned()
        })?;
    if !response.ok() {
        return Err(match response.json::<ErrorBody>().await {
            Ok(body) => body.error.trim_end_matches('.').to_owned(),
            Err(_) => format!("the server answered {}", response.status()),
        });
    }
    let name = response
        .headers()
        .get("content-disposition")
        .and_then(|d| {
            d.split("filename=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| fallback_name.to_owned());
    let mime = response
        .headers()
        .get("content-type")
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let bytes = response
        .binary()
        .await
        .map_err(|_| "the file could not be read from the server's answer".to_owned())?;
    Ok(Exported { name, mime, bytes })
}
