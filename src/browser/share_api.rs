//! The editor's calls to the share API.

use crate::model::{EditToken, OwnerToken, Plan, ShareId};
use crate::shared::api::{ApiError, CreatedShare, EditLink, HistoryPage};
use crate::shared::paths;

/// What went wrong, with the HTTP status when the server answered.
pub struct ShareError {
    pub status: Option<u16>,
    pub message: String,
}

async fn failure(response: gloo_net::http::Response) -> ShareError {
    let status = response.status();
    let message = match response.json::<ApiError>().await {
        Ok(body) => body.error,
        Err(_) => format!("The server answered {status}. Try again in a minute."),
    };
    ShareError {
        status: Some(status),
        message,
    }
}

fn offline() -> ShareError {
    ShareError {
        status: None,
        message: "The server could not be reached. Check your connection and try again.".into(),
    }
}

fn json_request(
    builder: gloo_net::http::RequestBuilder,
    plan: &Plan,
) -> Result<gloo_net::http::Request, ShareError> {
    builder
        .header("Content-Type", "application/json")
        .body(plan.to_json())
        .map_err(|_| offline())
}

/// The `Authorization` header that proves the owner's right.
fn bearer(token: &OwnerToken) -> String {
    format!("Bearer {}", token.as_str())
}

pub async fn create(plan: &Plan) -> Result<CreatedShare, ShareError> {
    let response = json_request(gloo_net::http::Request::post(paths::SHARES), plan)?
        .send()
        .await
        .map_err(|_| offline())?;
    if response.status() == 201 {
        response.json::<CreatedShare>().await.map_err(|_| offline())
    } else {
        Err(failure(response).await)
    }
}

pub async fn update(id: &ShareId, token: &OwnerToken, plan: &Plan) -> Result<(), ShareError> {
    let builder =
        gloo_net::http::Request::put(&paths::api_share(id)).header("Authorization", &bearer(token));
    let response = json_request(builder, plan)?
        .send()
        .await
        .map_err(|_| offline())?;
    if response.status() == 204 {
        Ok(())
    } else {
        Err(failure(response).await)
    }
}

pub async fn revoke(id: &ShareId, token: &OwnerToken) -> Result<(), ShareError> {
    let response = gloo_net::http::Request::delete(&paths::api_share(id))
        .header("Authorization", &bearer(token))
        .send()
        .await
        .map_err(|_| offline())?;
    match response.status() {
        // Gone already counts as revoked.
        204 | 410 => Ok(()),
        _ => Err(failure(response).await),
    }
}

/// Turns editing on for a share (or replaces its edit link): the new link's secret.
pub async fn enable_editing(
    id: &ShareId,
    owner_token: &OwnerToken,
) -> Result<EditLink, ShareError> {
    let response = gloo_net::http::Request::post(&paths::api_share_edit(id))
        .header("Authorization", &bearer(owner_token))
        .send()
        .await
        .map_err(|_| offline())?;
    if response.ok() {
        response.json::<EditLink>().await.map_err(|_| offline())
    } else {
        Err(failure(response).await)
    }
}

/// Turns editing off: every edit link of the share stops working.
pub async fn disable_editing(id: &ShareId, owner_token: &OwnerToken) -> Result<(), ShareError> {
    let response = gloo_net::http::Request::delete(&paths::api_share_edit(id))
        .header("Authorization", &bearer(owner_token))
        .send()
        .await
        .map_err(|_| offline())?;
    match response.status() {
        204 | 404 | 410 => Ok(()),
        _ => Err(failure(response).await),
    }
}

/// A page of a plan's history (`query`: see `paths::api_share_history`), read with the
/// edit link's secret.
pub async fn history(
    id: &ShareId,
    token: &EditToken,
    query: &str,
) -> Result<HistoryPage, ShareError> {
    let response = gloo_net::http::Request::get(&paths::api_share_history(id, query))
        .header("Authorization", &format!("Bearer {}", token.as_str()))
        .send()
        .await
        .map_err(|_| offline())?;
    if response.ok() {
        response.json::<HistoryPage>().await.map_err(|_| offline())
    } else {
        Err(failure(response).await)
    }
}
