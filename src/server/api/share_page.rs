//! `GET /s/{id}`: loads the share, then renders the page from it. The page is rendered from
//! the share and the configuration only; the request's headers are never read.

use crate::app::shell;
use crate::server::state::AppState;
use crate::server::store::Lookup;
use crate::shared::paths::Route;
use crate::shared::{ShareId, ShareLoad, SharePageData, SharedPlan};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use leptos::prelude::provide_context;

pub async fn share_page(State(state): State<AppState>, request: Request) -> Response {
    // From the path itself: the page cache renders from a request of its own, which carries
    // the path but not the router's matched parameters.
    let id = match Route::of(request.uri().path()) {
        Route::Share(id) => id.to_owned(),
        _ => String::new(),
    };
    let permit = match state.heavy_permit().await {
        Ok(permit) => permit,
        Err(busy) => return busy.into_response(),
    };
    let data = SharePageData {
        load: load(&state, &id).await,
        link_origin: state.config.link_origin(),
        origin_configured: state.config.public_url.is_some(),
    };
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(data.clone());
            provide_context(state.clone());
        },
        move || shell(options.clone()),
    );
    let response = render(request).await;
    drop(permit);
    response
}

async fn load(state: &AppState, id: &str) -> ShareLoad {
    let Some(id) = ShareId::parse(id) else {
        return ShareLoad::Missing;
    };
    match state.store.get(&id).await {
        Ok(Lookup::Found(share)) => {
            state.visited(&id);
            ShareLoad::Found(SharedPlan {
                id: share.id,
                plan: share.plan,
                version: share.version,
                updated_at_ms: share.updated_at_ms,
                live: share.live,
            })
        }
        Ok(Lookup::Revoked) => ShareLoad::Revoked,
        Ok(Lookup::Expired) => ShareLoad::Expired,
        Ok(Lookup::Missing) => ShareLoad::Missing,
        Err(e) => {
            tracing::error!(error = %e, "a share page could not load its share");
            ShareLoad::Unavailable
        }
    }
}
