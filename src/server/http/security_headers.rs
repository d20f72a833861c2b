//! Response headers that protect users, as one layer over every response (whatever produced
//! it: a handler, the page cache, a static file, an error): the Content-Security-Policy,
//! framing, sniffing and referrer rules, HSTS, and keeping shared plans out of search
//! engines and Referer headers.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use leptos::config::LeptosOptions;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The headers, worked out once at start-up.
pub struct PagePolicy {
    /// For HTML pages: scripts from this origin plus exactly the inline scripts the app
    /// emits itself (Leptos' hydration loader), by hash.
    html: HeaderValue,
    hsts: Option<HeaderValue>,
}

/// Everything that is not a page: nothing may load, nothing may frame it.
const OTHER: HeaderValue = HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'");
/// A service worker runs under the CSP it is served with: it may fetch from this origin.
const WORKER: HeaderValue = HeaderValue::from_static("default-src 'none'; connect-src 'self'");

impl PagePolicy {
    /// The policy for the pages of this build. The inline scripts allowed are those the
    /// app emits on a page of its own shell with no content: Leptos' hydration loader and
    /// its (constant) hydration-data preamble. No page content, and so no user text, ever
    /// decides what may run: a script that is not one of these is blocked by the browser.
    pub async fn for_app(options: &LeptosOptions, https: bool) -> PagePolicy {
        let scripts = app_scripts(options).await;
        PagePolicy {
            html: html_policy(scripts.iter().map(String::as_bytes)),
            hsts: https.then(|| HeaderValue::from_static("max-age=31536000")),
        }
    }

    pub fn html(&self) -> &HeaderValue {
        &self.html
    }
}

/// The bodies of the inline scripts of an empty page rendered the way every page is.
async fn app_scripts(options: &LeptosOptions) -> Vec<String> {
    use leptos::prelude::*;
    // Rendering spawns tasks; the router sets this up too, but it may not exist yet.
    let _ = any_spawner::Executor::init_tokio();
    let options = options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        || {},
        move || {
            let options = options.clone();
            view! {
                <!DOCTYPE html>
                <html>
                    <head>
                        <HydrationScripts options/>
                    </head>
                    <body></body>
                </html>
            }
        },
    );
    let request = axum::http::Request::get("/")
        .body(axum::body::Body::empty())
        .expect("a valid request");
    let response = render(request).await;
    let html = axum::body::to_bytes(response.into_body(), 1024 * 1024)
        .await
        .expect("an empty page renders in memory");
    inline_scripts(&html)
        .into_iter()
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

fn html_policy<'a>(scripts: impl Iterator<Item = &'a [u8]>) -> HeaderValue {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for script in scripts {
        script_src.push_str(" 'sha256-");
        script_src.push_str(&STANDARD.encode(Sha256::digest(script)));
        script_src.push('\'');
    }
    let policy = format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; worker-src 'self'; manifest-src 'self'; \
         form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).expect("a policy of ASCII text and base64 is a valid header")
}

/// The bodies of `<script>` elements without `src`.
pub fn inline_scripts(html: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = find(rest, b"<script") {
        let after = &rest[start..];
        let Some(tag_end) = find(after, b">") else {
            break;
        };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = find(body, b"</script>") else {
            break;
        };
        if find(tag, b" src=").is_none() {
            found.push(&body[..close]);
        }
        rest = &body[close..];
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub async fn security_headers(
    State(policy): State<Arc<PagePolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let path = PathKind::of(request.uri().path());
    let mut response = next.run(request).await;
    apply(&policy, path, response.headers_mut());
    response
}

/// What the headers depend on in a request's path.
#[derive(Clone, Copy)]
pub struct PathKind {
    share: bool,
    worker: bool,
}

impl PathKind {
    pub fn of(path: &str) -> PathKind {
        let route = crate::shared::paths::Route::of(path);
        PathKind {
            share: route.is_shared(),
            worker: route == crate::shared::paths::Route::ServiceWorker,
        }
    }
}

/// Sets the hardening headers on a response to a request for `path`.
pub fn apply(policy: &PagePolicy, path: PathKind, headers: &mut HeaderMap) {
    let html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    let csp = if html {
        policy.html.clone()
    } else if path.worker {
        WORKER
    } else {
        OTHER
    };
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Some(hsts) = &policy.hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    if path.share {
        // Shared plans are for the people who have the link: keep them out of search
        // engines, and keep the link out of Referer headers.
        headers.insert(
            "x-robots-tag",
            HeaderValue::from_static("noindex, nofollow"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    } else {
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_src_scripts_skipped() {
        let html = br#"<html><head><script type="module" nonce="x">import("/pkg/a.js")</script>
            <script src="/pkg/b.js"></script></head><body><script>window.__X=[1]</script></body></html>"#;
        assert_eq!(
            inline_scripts(html),
            [&b"import(\"/pkg/a.js\")"[..], &b"window.__X=[1]"[..]]
        );
    }

    #[tokio::test]
    async fn the_page_policy_names_the_app_scripts_and_nothing_unsafe() {
        let options = LeptosOptions::builder().output_name("syncplan").build();
        let scripts = app_scripts(&options).await;
        assert!(
            scripts.iter().any(|s| s.contains("hydrate")),
            "the hydration loader: {scripts:?}"
        );
        assert!(scripts.len() <= 3, "{scripts:?}");
        let policy = PagePolicy::for_app(&options, false).await;
        let csp = policy.html().to_str().unwrap();
        for script in &scripts {
            let hash = STANDARD.encode(Sha256::digest(script.as_bytes()));
            assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
        }
        for directive in [
            "script-src 'self' 'wasm-unsafe-eval' 'sha256-",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{directive}");
        }
        assert!(!csp.contains("unsafe-inline"));
        assert!(policy.hsts.is_none());
        assert!(PagePolicy::for_app(&options, true).await.hsts.is_some());
    }
}
