//! Small DOM helpers: time, entropy, focus, downloads, the readiness signal.

use wasm_bindgen::JsCast;

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Milliseconds since the page started, with sub-millisecond precision.
pub fn now_precise() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(now_ms, |p| p.now())
}

/// The current time as RFC 3339 (UTC).
pub fn now_rfc3339() -> String {
    js_sys::Date::new_0().to_iso_string().into()
}

/// `ms` (Unix milliseconds) in this browser's time zone and language, with the zone's
/// name: "6 Dec 2026, 07:42 CET".
pub fn local_time(ms: f64) -> String {
    let options = js_sys::Object::new();
    for (key, value) in [
        ("day", "numeric"),
        ("month", "short"),
        ("year", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("timeZoneName", "short"),
    ] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    js_sys::Date::new(&ms.into())
        .to_locale_string("default", &options)
        .into()
}

/// 64 bits of seed for id generation. `Math.random` is enough: ids only need to be unique
/// within a plan, and every new id is checked against the plan.
pub fn random_seed() -> u64 {
    let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (hi << 32 | lo) ^ now_ms() as u64
}

/// Tells tests and benchmarks the page is interactive and stored data is applied:
/// `<body data-hydrated="true">` and the `syncplan:ready` performance mark.
pub fn mark_ready() {
    if let Some(body) = document().and_then(|d| d.body()) {
        let _ = body.set_attribute("data-hydrated", "true");
    }
    mark("syncplan:ready");
}

/// Registers the service worker that lets the editor open offline after this visit. Where
/// service workers are unavailable (plain http on another host, private modes), the page
/// simply keeps needing the network.
pub fn register_service_worker() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if !js_sys::Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false) {
        return;
    }
    let promise = window.navigator().service_worker().register("/sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        // A failed registration only means no offline copy; the page works as before.
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    });
}

/// A user-timing mark (for profilers and benchmarks).
pub fn mark(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        let _ = perf.mark(name);
    }
}

/// The element matching a CSS selector.
pub fn query(selector: &str) -> Option<web_sys::HtmlElement> {
    document()?
        .query_selector(selector)
        .ok()
        .flatten()?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()
}

/// Offers `bytes` as a file download named `file_name`.
pub fn download_bytes(file_name: &str, bytes: &[u8], mime: &str) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    download_parts(file_name, &js_sys::Array::of1(&array), mime)
}

/// Offers `content` as a file download named `file_name`.
pub fn download_text(file_name: &str, content: &str, mime: &str) -> Result<(), String> {
    download_parts(file_name, &js_sys::Array::of1(&content.into()), mime)
}

fn download_parts(file_name: &str, parts: &js_sys::Array, mime: &str) -> Result<(), String> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(parts, &options)
        .map_err(|_| "the browser could not prepare the file".to_owned())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser could not prepare the file".to_owned())?;
    let document = document().ok_or("there is no document")?;
    let anchor = document
        .create_element("a")
        .map_err(|_| "the browser could not start the download".to_owned())?
        .unchecked_into::<web_sys::HtmlAnchorElement>();
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    // Revoking at once can cancel the download in some browsers; a minute is plenty.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}

/// Opens the FAQ answer with this id and brings it into view.
pub fn open_faq(id: &str) {
    if let Some(details) = document()
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|el| el.dyn_into::<web_sys::HtmlDetailsElement>().ok())
    {
        details.set_open(true);
        details.scroll_into_view();
        if let Some(summary) = details
            .query_selector("summary")
            .ok()
            .flatten()
            .and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = summary.focus();
        }
    }
}

/// Loads another page.
pub fn navigate(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(url);
    }
}

/// The value of `name` in the page's query string.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// Replaces the address bar's URL without loading anything.
pub fn replace_url(url: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
}

/// This tab's own small memory (which plan it has open), kept across reloads of the tab.
pub fn tab_get(key: &str) -> Option<String> {
    web_sys::window()?
        .session_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

pub fn tab_set(key: &str, value: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
}

/// A span of work recorded as a user-timing measure, so profilers and benchmarks can see it.
/// Only the latest measure of a name is kept.
pub struct Timing {
    name: &'static str,
}

impl Timing {
    pub fn start(name: &'static str) -> Timing {
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let _ = perf.mark(&format!("{name}:start"));
        }
        Timing { name }
    }

    pub fn finish(self) {
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let start = format!("{}:start", self.name);
            perf.clear_measures_with_measure_name(self.name);
            let _ = perf.measure_with_start_mark(self.name, &start);
            perf.clear_marks_with_mark_name(&start);
        }
    }
}

/// The origin this page was loaded from (`https://plans.example.com`).
pub fn origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

/// Loads the current address again from the server.
pub fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Runs `f` in a task of its own as soon as the browser has had a turn (painting, input),
/// without the 4 ms floor that nested timers get: how long work is split into short tasks.
pub fn next_task(f: impl FnOnce() + 'static) {
    use wasm_bindgen::closure::Closure;
    let Ok(channel) = web_sys::MessageChannel::new() else {
        leptos::prelude::set_timeout(f, std::time::Duration::ZERO);
        return;
    };
    let handler = Closure::once_into_js(move |_: web_sys::MessageEvent| f());
    channel.port1().set_onmessage(Some(handler.unchecked_ref()));
    if channel
        .port2()
        .post_message(&wasm_bindgen::JsValue::NULL)
        .is_err()
    {
        channel.port1().set_onmessage(None);
    }
}

/// A small value this browser remembers for every tab (the display name).
pub fn local_get(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

pub fn local_set(key: &str, value: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
}

/// The page's path (`/e/abc`).
pub fn path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default()
}

/// The page's fragment, `#` included (empty when there is none).
pub fn hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Calls `f` on every `event` of the window, for the page's lifetime.
pub fn on_window(event: &str, f: impl Fn() + 'static) {
    use wasm_bindgen::closure::Closure;
    if let Some(window) = web_sys::window() {
        let handler = Closure::<dyn Fn()>::new(f);
        let _ = window.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
        handler.forget();
    }
}

/// Whether the browser believes it is online.
pub fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}
