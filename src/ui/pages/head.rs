//! What every page shares: the path being rendered, the `<head>` tags, the site header.

use leptos::prelude::*;

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

/// The site's header: the brand (a link home) and the tagline.
#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="brand" href="/">"syncplan"</a>
            <span class="tagline">"Plan reliable background sync for mobile apps"</span>
        </header>
    }
}
