//! Rendered pages served from memory. The editor page is the same for everyone, so it is
//! rendered once. A share page is rendered from a request that carries nothing of the viewer's
//! (no headers: nothing one viewer sends can reach another), kept within a byte budget (least
//! recently used first out), and never served more than [`SHARE_PAGE_MAX_AGE`] after the
//! database read it shows: an update or revoke on any instance is visible within that bound,
//! however clients behave. Renders run as their own tasks, so a client hanging up cannot leave
//! a refresh half done. A refresh first reads the share's stamp (version, time, live, edit
//! sequence; one row, no plan): when none of it moved, the page is kept, dated from that read,
//! instead of being rendered again. Compressed copies are made on first request for each
//! encoding.

use crate::server::http::encoding::{bytes_response, preferred_encoding};
use crate::server::store::{ShareStamp, ShareStore};
use crate::shared::paths::{self, Route};
use crate::shared::ShareId;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lru::LruCache;
use std::collections::VecDeque;
use std::io::Write;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

/// The oldest a served share page may be, counted from the database read it shows. Another
/// instance's update or revoke is visible after at most this long (plus a render already
/// under way); this instance's own at once.
pub const SHARE_PAGE_MAX_AGE: Duration = Duration::from_secs(2);
/// Until this age a page is served as it is; after it, one background render refreshes it
/// while the copy is still served (until `SHARE_PAGE_MAX_AGE`).
const FRESH_FOR: Duration = Duration::from_secs(1);
/// The largest page body read from a render (far above what the plan limits allow).
const MAX_RENDER_BYTES: usize = 64 * 1024 * 1024;

/// What serving pages needs of the app: the cache, the store (a share's stamp, its visits)
/// and whether visits are recorded (only when a retention period ends unvisited shares).
#[derive(Clone)]
pub struct PagesState {
    pub pages: Arc<PageCache>,
    pub store: Arc<ShareStore>,
    pub record_visits: bool,
}

impl PagesState {
    /// Records that a share was seen, in the background (retention counts from it).
    pub fn visited(&self, id: &ShareId) {
        if self.record_visits {
            self.store.touch_later(id);
        }
    }
}

/// How a page is stored: its body plain, and compressed copies once asked for.
pub struct CachedPage {
    plain: Bytes,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
    content_type: HeaderValue,
    /// When the render began: its database read is at least this recent.
    snapshot: Instant,
    /// Set while one background render refreshes this page.
    refreshing: AtomicBool,
    /// The share's stamp, read before the render began (`None`: not known, so a refresh
    /// renders).
    stamp: Option<ShareStamp>,
}

impl CachedPage {
    fn new(
        plain: Bytes,
        content_type: HeaderValue,
        snapshot: Instant,
        stamp: Option<ShareStamp>,
    ) -> CachedPage {
        CachedPage {
            plain,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
            content_type,
            snapshot,
            refreshing: AtomicBool::new(false),
            stamp,
        }
    }

    /// The same page (and the compressed copies made so far), dated from a newer read that
    /// found its share unchanged.
    fn restamped(&self, snapshot: Instant) -> CachedPage {
        let copy = |lock: &OnceLock<Bytes>| {
            lock.get()
                .cloned()
                .map_or_else(OnceLock::new, OnceLock::from)
        };
        CachedPage {
            plain: self.plain.clone(),
            gzip: copy(&self.gzip),
            brotli: copy(&self.brotli),
            content_type: self.content_type.clone(),
            snapshot,
            refreshing: AtomicBool::new(false),
            stamp: self.stamp,
        }
    }

    fn age(&self) -> Duration {
        self.snapshot.elapsed()
    }

    /// Bytes held by this page in every encoding made so far.
    fn size(&self) -> usize {
        self.plain.len()
            + self.gzip.get().map_or(0, Bytes::len)
            + self.brotli.get().map_or(0, Bytes::len)
    }
}

/// The share pages in memory.
struct SharePages {
    pages: LruCache<ShareId, Arc<CachedPage>>,
    /// Pages in the order they were stored, to purge the expired ones without a scan.
    stored: VecDeque<(Instant, ShareId)>,
    bytes: usize,
    /// When this instance last changed or revoked each share: a render that began earlier
    /// must not be stored.
    invalidated: LruCache<ShareId, Instant>,
}

pub struct PageCache {
    editor: RwLock<Option<Arc<CachedPage>>>,
    shares: Mutex<SharePages>,
    budget: usize,
    /// Share pages rendered so far (misses and refreshes that found a change).
    share_renders: AtomicU64,
}

impl PageCache {
    /// A cache holding at most `budget` bytes of share pages (0: share pages are not kept).
    pub fn new(budget: usize) -> PageCache {
        PageCache {
            editor: RwLock::new(None),
            shares: Mutex::new(SharePages {
                pages: LruCache::unbounded(),
                stored: VecDeque::new(),
                bytes: 0,
                invalidated: LruCache::new(NonZeroUsize::new(10_000).expect("not zero")),
            }),
            budget,
            share_renders: AtomicU64::new(0),
        }
    }

    /// A page larger than this is served but not kept.
    fn max_page(&self) -> usize {
        self.budget / 8
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SharePages> {
        self.shares.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn share(&self, id: &ShareId) -> Option<Arc<CachedPage>> {
        let mut shares = self.lock();
        shares.purge_expired();
        shares.pages.get(id).cloned()
    }

    /// Keeps a rendered share page, unless the share changed here since the render began.
    fn put_share(&self, id: &ShareId, page: Arc<CachedPage>) {
        let size = page.size();
        if size > self.max_page() {
            return;
        }
        let mut shares = self.lock();
        if shares
            .invalidated
            .get(id)
            .is_some_and(|at| *at >= page.snapshot)
        {
            return;
        }
        if let Some(old) = shares.pages.put(id.clone(), page.clone()) {
            shares.bytes -= old.size();
        }
        shares.bytes += size;
        shares.stored.push_back((page.snapshot, id.clone()));
        shares.purge_expired();
        while shares.bytes > self.budget {
            match shares.pages.pop_lru() {
                Some((_, evicted)) => shares.bytes -= evicted.size(),
                None => break,
            }
        }
    }

    /// Counts a compressed copy just added to `page`, if the page is still in the cache.
    fn grew(&self, id: &ShareId, page: &Arc<CachedPage>, added: usize) {
        let mut shares = self.lock();
        let held = shares.pages.peek(id).is_some_and(|p| Arc::ptr_eq(p, page));
        if held {
            shares.bytes += added;
            while shares.bytes > self.budget {
                match shares.pages.pop_lru() {
                    Some((_, evicted)) => shares.bytes -= evicted.size(),
                    None => break,
                }
            }
        }
    }

    /// Forgets a share's page now (its owner just changed or revoked it), and keeps renders
    /// already under way from storing what they read before.
    pub fn forget_share(&self, id: &ShareId) {
        let mut shares = self.lock();
        if let Some(old) = shares.pages.pop(id) {
            shares.bytes -= old.size();
        }
        shares.invalidated.put(id.clone(), Instant::now());
    }

    /// Bytes of share pages held now.
    pub fn share_bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Share pages held now.
    pub fn share_pages(&self) -> usize {
        self.lock().pages.len()
    }

    /// Share pages rendered since the start (a cache hit, or a refresh of an unchanged share,
    /// renders nothing).
    pub fn share_renders(&self) -> u64 {
        self.share_renders.load(Ordering::Relaxed)
    }

    /// Renders a share page whose share had `stamp` just before the render began.
    async fn render_share(&self, next: &Next, path: &str, stamp: Option<ShareStamp>) -> Rendered {
        self.share_renders.fetch_add(1, Ordering::Relaxed);
        render(next, path, stamp).await
    }

    /// Drops every share page past its maximum age.
    pub fn purge_expired(&self) {
        self.lock().purge_expired();
    }
}

impl SharePages {
    fn purge_expired(&mut self) {
        while let Some((at, _)) = self.stored.front() {
            if at.elapsed() < SHARE_PAGE_MAX_AGE {
                break;
            }
            let (at, id) = self.stored.pop_front().expect("front exists");
            // Only if the page held is the one stored then (not a newer render).
            if self.pages.peek(&id).is_some_and(|p| p.snapshot == at) {
                if let Some(old) = self.pages.pop(&id) {
                    self.bytes -= old.size();
                }
            }
        }
    }
}

/// Which cached page a path is.
enum Slot {
    Editor,
    Share(ShareId),
}

fn slot(path: &str) -> Option<Slot> {
    match Route::of(path) {
        Route::Editor => Some(Slot::Editor),
        Route::Share(id) => ShareId::parse(id).map(Slot::Share),
        _ => None,
    }
}

/// The outcome of rendering a page from a header-less request.
enum Rendered {
    Page(Arc<CachedPage>),
    /// Anything but a 200 HTML page (404, 410, 503…): passed on as it is.
    Other(Response),
}

/// Renders `path` through the rest of the app as a task of its own (a client hanging up
/// does not stop it), from a request with no headers at all.
async fn render(next: &Next, path: &str, stamp: Option<ShareStamp>) -> Rendered {
    let request = Request::get(path)
        .body(Body::empty())
        .expect("a path from a parsed URI makes a valid request");
    let snapshot = Instant::now();
    let task = tokio::spawn(next.clone().run(request));
    let response = match task.await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "a page render failed");
            return Rendered::Other(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The page could not be rendered. Please reload.",
                )
                    .into_response(),
            );
        }
    };
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if response.status() != StatusCode::OK || !html {
        return Rendered::Other(response);
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_RENDER_BYTES).await {
        Ok(plain) => Rendered::Page(Arc::new(CachedPage::new(
            plain,
            parts
                .headers
                .get(header::CONTENT_TYPE)
                .cloned()
                .unwrap_or(HeaderValue::from_static("text/html; charset=utf-8")),
            snapshot,
            stamp,
        ))),
        Err(e) => {
            tracing::error!(error = %e, "a rendered page could not be read");
            Rendered::Other(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The page could not be rendered. Please reload.",
                )
                    .into_response(),
            )
        }
    }
}

/// Serves `/` and `/s/{id}` from memory when it can, and renders them when it must.
/// A fresh page from the cache (the editor; a share page younger than `FRESH_FOR`), for the
/// fast path in front of every other layer; `None`: a miss or a page due for a refresh,
/// which `serve_pages` renders and refreshes.
pub async fn fresh_hit(
    cache: &PageCache,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Option<Response> {
    let head_only = method == Method::HEAD;
    if !(head_only || method == Method::GET) {
        return None;
    }
    let (id, page) = match slot(path)? {
        Slot::Editor => (None, cache.editor.read().ok()?.clone()?),
        Slot::Share(id) if cache.budget > 0 => {
            let page = cache.share(&id).filter(|p| p.age() < FRESH_FOR)?;
            (Some(id), page)
        }
        Slot::Share(_) => return None,
    };
    Some(respond(cache, id.as_ref(), &page, headers, head_only).await)
}

pub async fn serve_pages(
    State(state): State<PagesState>,
    request: Request,
    next: Next,
) -> Response {
    let head_only = request.method() == Method::HEAD;
    let readable = request.method() == Method::GET || head_only;
    let Some(slot) = readable.then(|| slot(request.uri().path())).flatten() else {
        return next.run(request).await;
    };
    let cache = &state.pages;
    let headers = request.headers().clone();
    match slot {
        Slot::Editor => {
            let cached = cache.editor.read().ok().and_then(|e| e.clone());
            let page = match cached {
                Some(page) => page,
                None => match render(&next, "/", None).await {
                    Rendered::Page(page) => {
                        if let Ok(mut editor) = cache.editor.write() {
                            *editor = Some(page.clone());
                        }
                        page
                    }
                    Rendered::Other(response) => return response,
                },
            };
            respond(cache, None, &page, &headers, head_only).await
        }
        Slot::Share(id) => {
            if cache.budget == 0 {
                return next.run(request).await;
            }
            let path = paths::share(&id);
            if let Some(page) = cache.share(&id) {
                let age = page.age();
                if age < SHARE_PAGE_MAX_AGE {
                    if age >= FRESH_FOR && !page.refreshing.swap(true, Ordering::AcqRel) {
                        refresh_later(state.clone(), next, id.clone(), path, page.clone());
                    }
                    return respond(cache, Some(&id), &page, &headers, head_only).await;
                }
            }
            match cache.render_share(&next, &path, None).await {
                Rendered::Page(page) => {
                    cache.put_share(&id, page.clone());
                    respond(cache, Some(&id), &page, &headers, head_only).await
                }
                Rendered::Other(response) => {
                    // Gone, missing or failing (perhaps changed on another instance).
                    cache.forget_share(&id);
                    response
                }
            }
        }
    }
}

/// Renders a share page again in the background; the copy keeps being served meanwhile.
fn refresh_later(state: PagesState, next: Next, id: ShareId, path: String, old: Arc<CachedPage>) {
    tokio::spawn(async move {
        // Clears the flag however the render ends, so a failed refresh can be retried.
        struct Done(Arc<CachedPage>);
        impl Drop for Done {
            fn drop(&mut self) {
                self.0.refreshing.store(false, Ordering::Release);
            }
        }
        let done = Done(old);
        let snapshot = Instant::now();
        let stamp = state.store.stamp(&id).await.ok().flatten();
        if stamp.is_some() && stamp == done.0.stamp {
            // Unchanged: the same page, now as recent as this read. Counted as a visit, as
            // the render's own read would have been.
            state.visited(&id);
            state
                .pages
                .put_share(&id, Arc::new(done.0.restamped(snapshot)));
            return;
        }
        match state.pages.render_share(&next, &path, stamp).await {
            Rendered::Page(page) => state.pages.put_share(&id, page),
            Rendered::Other(_) => state.pages.forget_share(&id),
        }
    });
}

fn gzip(plain: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gz.write_all(plain)?;
    gz.finish()
}

fn brotli(plain: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        w.write_all(plain)?;
        w.flush()?;
    }
    Ok(out)
}

/// The page in `encoding`, compressing it on first use; `None` when that failed.
async fn encoded(
    cache: &PageCache,
    id: Option<&ShareId>,
    page: &Arc<CachedPage>,
    encoding: &'static str,
) -> Option<Bytes> {
    let slot = if encoding == "br" {
        &page.brotli
    } else {
        &page.gzip
    };
    if let Some(bytes) = slot.get() {
        return Some(bytes.clone());
    }
    let plain = page.plain.clone();
    let made = tokio::task::spawn_blocking(move || {
        if encoding == "br" {
            brotli(&plain)
        } else {
            gzip(&plain)
        }
    })
    .await;
    match made {
        Ok(Ok(bytes)) => {
            let bytes = Bytes::from(bytes);
            if slot.set(bytes.clone()).is_ok() {
                if let Some(id) = id {
                    cache.grew(id, page, bytes.len());
                }
            }
            Some(slot.get().cloned().unwrap_or(bytes))
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, encoding, "compressing a page failed; serving it plain");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, encoding, "compressing a page failed; serving it plain");
            None
        }
    }
}

async fn respond(
    cache: &PageCache,
    id: Option<&ShareId>,
    page: &Arc<CachedPage>,
    request_headers: &HeaderMap,
    head_only: bool,
) -> Response {
    let mut encoding = preferred_encoding(request_headers);
    let mut bytes = page.plain.clone();
    if let Some(e) = encoding {
        match encoded(cache, id, page, e).await {
            Some(b) => bytes = b,
            None => encoding = None,
        }
    }
    let mut response = bytes_response(bytes, head_only, page.content_type.clone(), encoding);
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // Share pages are for one viewer's browser only; the editor is the same for everyone.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if id.is_some() {
            "private, no-cache"
        } else {
            "no-cache"
        }),
    );
    response
}

#[cfg(test)]
mod tests;
