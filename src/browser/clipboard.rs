//! Writing rich clipboard content (plain text plus HTML) for "Copy for Sheets".

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Puts `text` and `html` on the clipboard together, so the pasting app picks the richer
/// one. Uses the async Clipboard API, and the `copy` event where that is refused.
pub async fn copy_text_and_html(text: &str, html: &str) -> Result<(), String> {
    match write_with_api(text, html).await {
        Ok(()) => Ok(()),
        Err(_) => write_with_copy_event(text, html),
    }
}

fn blob(content: &str, mime: &str) -> Result<web_sys::Blob, JsValue> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    web_sys::Blob::new_with_str_sequence_and_options(&js_sys::Array::of1(&content.into()), &options)
}

async fn write_with_api(text: &str, html: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let navigator = window.navigator();
    // Undefined outside secure contexts.
    if js_sys::Reflect::get(&navigator, &"clipboard".into())?.is_undefined() {
        return Err(JsValue::NULL);
    }
    let record = js_sys::Object::new();
    js_sys::Reflect::set(
        &record,
        &"text/plain".into(),
        &blob(text, "text/plain")?.into(),
    )?;
    js_sys::Reflect::set(
        &record,
        &"text/html".into(),
        &blob(html, "text/html")?.into(),
    )?;
    let item = web_sys::ClipboardItem::new_with_record_from_str_to_blob_promise(&record)?;
    JsFuture::from(navigator.clipboard().write(&js_sys::Array::of1(&item))).await?;
    Ok(())
}

fn write_with_copy_event(text: &str, html: &str) -> Result<(), String> {
    let refused = || "the browser refused to copy; select the table and copy it instead".to_owned();
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(refused)?;
    let (text, html) = (text.to_owned(), html.to_owned());
    let on_copy =
        Closure::<dyn Fn(web_sys::ClipboardEvent)>::new(move |ev: web_sys::ClipboardEvent| {
            if let Some(data) = ev.clipboard_data() {
                let _ = data.set_data("text/plain", &text);
                let _ = data.set_data("text/html", &html);
                ev.prevent_default();
            }
        });
    let listener = on_copy.as_ref().unchecked_ref();
    let _ = document.add_event_listener_with_callback("copy", listener);
    let copied = document
        .dyn_ref::<web_sys::HtmlDocument>()
        .map(|d| d.exec_command("copy").unwrap_or(false))
        .unwrap_or(false);
    let _ = document.remove_event_listener_with_callback("copy", listener);
    if copied {
        Ok(())
    } else {
        Err(refused())
    }
}
