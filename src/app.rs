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

#[component]
pub fn App() -> impl IntoView {
    match Page::of(&crate::ui::current_path()) {
        Page::Editor => view! { <EditorPage/> }.into_any(),
        Page::Share => view! { <SharePage/> }.into_any(),
        Page::NotFound => view! { <NotFound/> }.into_any(),
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

    /// The server renders a page on one of its threads and may let it go on another (a
    /// streamed body is polled by whichever worker is free). Nothing a page holds may be
    /// bound to the thread that built it: dropping such a value elsewhere panics, and the
    /// visitor gets an empty response.
    #[cfg(feature = "ssr")]
    #[test]
    fn a_page_built_on_one_thread_can_be_let_go_on_another() {
        use super::App;
        use leptos::prelude::*;
        for path in ["/", "/e/AAAAAAAAAAAAAAAAAAAAAA"] {
            let owner = Owner::new();
            let html = owner.with(|| {
                let (parts, ()) = axum::http::Request::get(path)
                    .body(())
                    .expect("a request")
                    .into_parts();
                provide_context(parts);
                view! { <App/> }.to_html()
            });
            assert!(html.contains("plan-table"), "{path} renders the editor");
            std::thread::spawn(move || owner.unset_with_forced_cleanup())
                .join()
                .unwrap_or_else(|_| {
                    panic!("{path}: letting the page go on another thread panicked")
                });
        }
    }
}
