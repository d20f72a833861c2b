//! Rendered pages served from memory. The editor page is the same for everyone, so it is
//! rendered once; a share page is kept for a few seconds (and dropped at once when its owner
//! updates or revokes it here). When a share page is older than that, one request renders it
//! again while the others are still served the copy (no stampede of renders). Each page is
//! stored plain, gzip and brotli, so serving it is a copy of bytes.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a share page is served from memory. Another instance's update or revoke shows
/// after at most this long; this instance's own show at once.
pub const SHARE_PAGE_TTL: Duration = Duration::from_secs(2);
const MAX_SHARE_PAGES: usize = 2_000;
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

struct CachedPage {
    plain: Bytes,
    gzip: Bytes,
    brotli: Bytes,
    content_type: HeaderValue,
    csp: HeaderValue,
    stored: Instant,
    /// Set by the one request that renders a stale page again.
    refreshing: AtomicBool,
}

impl CachedPage {
    fn is_fresh(&self) -> bool {
        self.stored.elapsed() < SHARE_PAGE_TTL
    }
}

#[derive(Default)]
pub struct PageCache {
    editor: RwLock<Option<Arc<CachedPage>>>,
    shares: RwLock<HashMap<String, Arc<CachedPage>>>,
}

/// Which cache a path belongs to.
enum Slot<'a> {
    Editor,
    Share(&'a str),
}

fn slot(path: &str) -> Option<Slot<'_>> {
    if path == "/" {
        return Some(Slot::Editor);
    }
    let id = path.strip_prefix("/s/")?;
    (id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(Slot::Share(id))
}

/// What the cache has for a request.
enum Lookup {
    /// Serve this.
    Hit(Arc<CachedPage>),
    /// Render the page (and store it).
    Miss,
}

impl PageCache {
    fn lookup(&self, slot: &Slot) -> Lookup {
        let page = match slot {
            Slot::Editor => self.editor.read().ok().and_then(|e| e.clone()),
            Slot::Share(id) => self.shares.read().ok().and_then(|s| s.get(*id).cloned()),
        };
        match page {
            None => Lookup::Miss,
            Some(page) if matches!(slot, Slot::Editor) || page.is_fresh() => Lookup::Hit(page),
            // Stale: the first request to notice renders it again; the rest get the copy.
            Some(page) => match page.refreshing.compare_exchange(
                false,
                true,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => Lookup::Miss,
                Err(_) => Lookup::Hit(page),
            },
        }
    }

    fn put(&self, slot: &Slot, page: Arc<CachedPage>) {
        match slot {
            Slot::Editor => {
                if let Ok(mut editor) = self.editor.write() {
                    *editor = Some(page);
                }
            }
            Slot::Share(id) => {
                if let Ok(mut shares) = self.shares.write() {
                    if shares.len() >= MAX_SHARE_PAGES {
                        shares.retain(|_, p| p.is_fresh());
                    }
                    if shares.len() < MAX_SHARE_PAGES {
                        shares.insert((*id).to_owned(), page);
                    }
                }
            }
        }
    }

    /// Forgets a share's page (its owner just changed or revoked it).
    pub fn forget_share(&self, id: &str) {
        if let Ok(mut shares) = self.shares.write() {
            shares.remove(id);
        }
    }
}

fn compress(plain: &[u8]) -> (Bytes, Bytes) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    let gzip = gz
        .write_all(plain)
        .and_then(|_| gz.finish())
        .unwrap_or_default();
    let mut brotli = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut brotli, 4096, 6, 22);
        let _ = w.write_all(plain);
    }
    (gzip.into(), brotli.into())
}

fn preferred_encoding(headers: &HeaderMap) -> Option<&'static str> {
    let accepted = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let offers = |name: &str| {
        accepted.split(',').any(|part| {
            let mut pieces = part.split(';');
            let coding = pieces.next().unwrap_or_default().trim();
            let refused = pieces.any(|p| p.trim().replace(' ', "") == "q=0");
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    if offers("br") {
        Some("br")
    } else if offers("gzip") {
        Some("gzip")
    } else {
        None
    }
}

fn respond(page: &CachedPage, request_headers: &HeaderMap, head_only: bool) -> Response {
    let encoding = preferred_encoding(request_headers);
    let bytes = match encoding {
        Some("br") => page.brotli.clone(),
        Some(_) => page.gzip.clone(),
        None => page.plain.clone(),
    };
    let length = bytes.len();
    let mut response = if head_only {
        Body::empty().into_response()
    } else {
        Body::from(bytes).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, page.content_type.clone());
    headers.insert(header::CONTENT_SECURITY_POLICY, page.csp.clone());
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(e) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    response
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"))
}

/// Serves `/` and `/s/{id}` from memory when it can and fills the cache when it cannot, and
/// gives every HTML page its Content-Security-Policy (which names the page's own inline
/// scripts by hash, so cached pages need no per-request nonce).
pub async fn serve_pages(
    State(cache): State<Arc<PageCache>>,
    request: Request,
    next: Next,
) -> Response {
    let head_only = request.method() == Method::HEAD;
    let readable = request.method() == Method::GET || head_only;
    let path = request.uri().path().to_owned();
    let slot = if readable { slot(&path) } else { None };
    if let Some(slot) = &slot {
        if let Lookup::Hit(page) = cache.lookup(slot) {
            return respond(&page, request.headers(), head_only);
        }
    }
    let request_headers = request.headers().clone();
    let response = next.run(request).await;
    if let Some(Slot::Share(id)) = &slot {
        if response.status() != StatusCode::OK {
            // Revoked or gone meanwhile (perhaps on another instance): no stale copy stays.
            cache.forget_share(id);
        }
    }
    if !is_html(&response) || response.headers().contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(plain) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The page could not be rendered. Please reload.",
        )
            .into_response();
    };
    let csp = content_security_policy(&plain);
    let Some(slot) = slot.filter(|_| parts.status == StatusCode::OK) else {
        parts.headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from(plain));
    };
    let (gzip, brotli) = tokio::task::spawn_blocking({
        let plain = plain.clone();
        move || compress(&plain)
    })
    .await
    .unwrap_or_default();
    let page = Arc::new(CachedPage {
        plain,
        gzip,
        brotli,
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("text/html; charset=utf-8")),
        csp,
        stored: Instant::now(),
        refreshing: AtomicBool::new(false),
    });
    cache.put(&slot, page.clone());
    respond(&page, &request_headers, head_only)
}

/// The policy for an HTML page: scripts only from this origin plus the page's own inline
/// scripts (Leptos' hydration script and serialized data), by SHA-256; WebAssembly
/// compilation allowed; nothing else inline, no plugins, no framing, no `<base>`.
pub fn content_security_policy(html: &[u8]) -> HeaderValue {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for script in inline_scripts(html) {
        let digest = Sha256::digest(script);
        script_src.push_str(" 'sha256-");
        script_src.push_str(&STANDARD.encode(digest));
        script_src.push('\'');
    }
    let policy = format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; worker-src 'self'; manifest-src 'self'; \
         form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ))
}

/// The bodies of `<script>` elements without `src`.
fn inline_scripts(html: &[u8]) -> Vec<&[u8]> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_editor_and_well_formed_share_pages_are_cached() {
        assert!(matches!(slot("/"), Some(Slot::Editor)));
        assert!(matches!(
            slot("/s/AAAAAAAAAAAAAAAAAAAAAA"),
            Some(Slot::Share(_))
        ));
        for other in [
            "/s/short",
            "/s/AAAAAAAAAAAAAAAAAAAAAA/export/csv",
            "/api/shares",
            "/pkg/x.js",
        ] {
            assert!(slot(other).is_none(), "{other}");
        }
    }

    #[test]
    fn encodings_are_picked_from_accept_encoding() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            m
        };
        assert_eq!(preferred_encoding(&h("gzip, deflate, br")), Some("br"));
        assert_eq!(preferred_encoding(&h("gzip")), Some("gzip"));
        assert_eq!(preferred_encoding(&h("br;q=0, gzip")), Some("gzip"));
        assert_eq!(preferred_encoding(&h("identity")), None);
        assert_eq!(preferred_encoding(&HeaderMap::new()), None);
    }

    #[test]
    fn the_policy_lists_each_inline_script_by_hash() {
        let html = br#"<html><head><script type="module" nonce="x">import("/pkg/a.js")</script>
            <script src="/pkg/b.js"></script></head><body><script>window.__X=[1]</script></body></html>"#;
        let scripts = inline_scripts(html);
        assert_eq!(
            scripts,
            [&b"import(\"/pkg/a.js\")"[..], &b"window.__X=[1]"[..]]
        );
        let csp = content_security_policy(html);
        let csp = csp.to_str().unwrap();
        let hash = STANDARD.encode(Sha256::digest(b"window.__X=[1]"));
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"));
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{directive}");
        }
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn compressed_copies_decompress_to_the_page() {
        use std::io::Read;
        let plain = "<html>".repeat(1000);
        let (gzip, br) = compress(plain.as_bytes());
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, plain);
        let mut out = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, plain);
        assert!(br.len() < plain.len() / 10);
    }
}
