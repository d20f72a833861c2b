//! The HTML shell and the routes.

use crate::ui::{EditorPage, NotFound, SharePage};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, MetaTags};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=EditorPage/>
                // An edit link: the editor, which joins the plan (the secret is after `#`).
                <Route path=path!("/e/:id") view=EditorPage/>
                // Async: the whole page (and its 404 / 410 status) is ready before it is sent.
                <Route path=path!("/s/:id") view=SharePage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
