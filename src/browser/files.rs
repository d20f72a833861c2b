//! Reading a picked or dropped file, and sending it to `/api/import`.

use crate::model::Plan;
use serde::Deserialize;
use wasm_bindgen_futures::JsFuture;

/// What `/api/import` answered.
pub enum ImportAnswer {
    Plan {
        plan: Plan,
        ignored_columns: Vec<String>,
    },
    Problems {
        error: String,
        problems: Vec<ImportProblem>,
    },
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ImportProblem {
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    problems: Vec<ImportProblem>,
}

/// The file's text (UTF-8; the server reports anything else).
pub async fn read_text(file: &web_sys::File) -> Result<String, String> {
    JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| "the file could not be read".to_owned())
}

/// Sends a file's text to the import endpoint as CSV or JSON (by its name).
pub async fn import(file_name: &str, text: String) -> Result<ImportAnswer, String> {
    let lower = file_name.to_ascii_lowercase();
    let content_type = if lower.ends_with(".json") {
        "application/json"
    } else {
        "text/csv"
    };
    let stem = file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(file_name);
    let url = format!("/api/import?title={}", js_sys::encode_uri_component(stem));
    let response = gloo_net::http::Request::post(&url)
        .header("Content-Type", content_type)
        .body(text)
        .map_err(|_| "the file could not be sent".to_owned())?
        .send()
        .await
        .map_err(|_| "the server could not be reached; check your connection".to_owned())?;
    if response.ok() {
        let ignored = response
            .headers()
            .get("x-syncplan-ignored-columns")
            .map(|h| h.split(", ").map(str::to_owned).collect())
            .unwrap_or_default();
        let plan = response
            .json::<Plan>()
            .await
            .map_err(|_| "the server's answer could not be read".to_owned())?;
        return Ok(ImportAnswer::Plan {
            plan,
            ignored_columns: ignored,
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
