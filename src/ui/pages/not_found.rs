use crate::ui::pages::head::page_head;
use leptos::prelude::*;

/// The 404 page (also sets the HTTP status when rendered on the server).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    page_head("Page not found · syncplan".to_owned(), None, false);
    view! {
        <main id="main" class="message-page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. Check the link, or start from the planning template."</p>
            <p><a href="/" class="button primary">"Open the planning template"</a></p>
        </main>
    }
}
