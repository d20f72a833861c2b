//! The HTML shell and the pages, chosen by path.

use crate::shared::paths::Route;
use crate::ui::{EditorPage, NotFound, SharePage};
use leptos::prelude::*;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};
    provide_meta_context();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
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

/// The pages there are. Links between them are plain links (a page load each), so the
/// page is chosen once, from the path, on the server and again when hydrating; no client
/// router is shipped for three paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// `/`, and an edit link `/e/{share}` (the editor, which joins the plan; the secret is
    /// after `#`).
    Editor,
    /// `/s/{share}`: a shared plan, read-only (rendered whole before it is sent, with its
    /// 404 or 410 status, by the server's share-page handler).
    Share,
    NotFound,
}

impl Page {
    pub fn of(path: &str) -> Page {
        match Route::of(path) {
            Route::Editor | Route::EditLink(_) => Page::Editor,
            Route::Share(_) => Page::Share,
            _ => Page::NotFound,
        }
    }
}

/// The path of the request being rendered, or of the address being hydrated.
pub fn current_path() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .map(|parts| parts.uri.path().to_owned())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        crate::browser::dom::path()
    }
}

#[component]
pub fn App() -> impl IntoView {
    match Page::of(&current_path()) {
        Page::Editor => view! { <EditorPage/> }.into_any(),
        Page::Share => view! { <SharePage/> }.into_any(),
        Page::NotFound => view! { <NotFound/> }.into_any(),
    }
}

/// Puts a page's `<title>` and `<meta>` tags into `<head>`. Only the server writes them;
/// they never change in the browser, where hydration leaves the head as it is, so
/// leptos_meta is not in the WASM. Renders nothing where it is called.
pub fn page_head(title: String, description: Option<&'static str>, noindex: bool) {
    #[cfg(feature = "ssr")]
    {
        use leptos_meta::{Meta, Title};
        // Rendering registers each tag with the page's head and writes nothing here.
        let _ = view! { <Title text=title/> }.to_html();
        if let Some(content) = description {
            let _ = view! { <Meta name="description" content/> }.to_html();
        }
        if noindex {
            let _ = view! { <Meta name="robots" content="noindex, nofollow"/> }.to_html();
        }
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (title, description, noindex);
    }
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn pages_are_chosen_by_exact_paths() {
        assert_eq!(Page::of("/"), Page::Editor);
        assert_eq!(Page::of("/e/AAAAAAAAAAAAAAAAAAAAAA"), Page::Editor);
        assert_eq!(Page::of("/e/AAAAAAAAAAAAAAAAAAAAAA/"), Page::Editor);
        assert_eq!(Page::of("/s/AAAAAAAAAAAAAAAAAAAAAA"), Page::Share);
        for path in [
            "",
            "/e/",
            "/e//",
            "/s/",
            "/s/a/",
            "/s/a/b",
            "/e/a/b",
            "/x",
            "/index.html",
            "//",
            "/s/a/export/csv",
            "/api/shares",
        ] {
            assert_eq!(Page::of(path), Page::NotFound, "{path}");
        }
    }
}
