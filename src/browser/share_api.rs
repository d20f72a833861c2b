//! The editor's calls to the share API.

use crate::model::{EditToken, OwnerToken, Plan, ShareId};
use crate::shared::api::{
    ApiError, CreatedShare, EditLink, HistoryPage, NameVersion, NamedVersion, PlanVersion,
    VersionList,
};
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
    read_with(
        gloo_net::http::Request::get(&paths::api_share_history(id, query)),
        token,
        None,
    )
    .await
}

/// Reads the JSON answer of a call made with the edit link's secret.
async fn read_with<T: serde::de::DeserializeOwned>(
    builder: gloo_net::http::RequestBuilder,
    token: &EditToken,
    body: Option<String>,
) -> Result<T, ShareError> {
    let builder = builder.header("Authorization", &format!("Bearer {}", token.as_str()));
    let sent = match body {
        Some(body) => {
            builder
                .header("Content-Type", "application/json")
                .body(body)
                .map_err(|_| offline())?
                .send()
                .await
        }
        None => builder.send().await,
    };
    let response = sent.map_err(|_| offline())?;
    if response.ok() {
        response.json::<T>().await.map_err(|_| offline())
    } else {
        Err(failure(response).await)
    }
}

/// A live plan's named versions and the points that can be rebuilt.
pub async fn versions(id: &ShareId, token: &EditToken) -> Result<VersionList, ShareError> {
    read_with(
        gloo_net::http::Request::get(&paths::api_share_versions(id)),
        token,
        None,
    )
    .await
}

/// The plan as it was at the point `seq`.
pub async fn version(id: &ShareId, token: &EditToken, seq: u64) -> Result<PlanVersion, ShareError> {
    read_with(
        gloo_net::http::Request::get(&paths::api_share_version(id, seq)),
        token,
        None,
    )
    .await
}

/// Names a point (now when `seq` is `None`).
pub async fn name_version(
    id: &ShareId,
    token: &EditToken,
    asked: &NameVersion,
) -> Result<NamedVersion, ShareError> {
    let body = serde_json::to_string(asked).map_err(|_| offline())?;
    read_with(
        gloo_net::http::Request::post(&paths::api_share_versions(id)),
        token,
        Some(body),
    )
    .await
}
