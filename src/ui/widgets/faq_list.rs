#[cfg(feature = "ssr")]
use crate::template::{content_checked_label, Faq, CHECKED_AGAINST, CONTENT_CHECKED, FAQ};
use leptos::prelude::*;

/// The FAQ as an accordion of `<details>`: opens and closes without JavaScript. Category
/// links point at `#<id>-answer`, which browsers open and scroll to even without JavaScript.
/// Each answer ends with its sources; the line under the heading says when they were checked.
///
/// Static text, so only the server renders it: pages are always rendered by the server and
/// hydrated in the browser (never built there), and hydrating leaves a server-rendered
/// `inner_html` as it is. The FAQ's ~27 KB of text stay out of the WASM.
#[component]
pub fn FaqList() -> impl IntoView {
    view! { <section class="faq" id="faq" aria-labelledby="faq-heading" inner_html=content()/> }
}

#[cfg(feature = "ssr")]
fn content() -> String {
    view! {
        <h2 id="faq-heading">"Frequently asked questions"</h2>
        <p class="faq-checked">
            "Content checked against " {CHECKED_AGAINST} " on "
            <time datetime=CONTENT_CHECKED>{content_checked_label()}</time> "."
        </p>
        {FAQ.iter().map(|faq| view! { <FaqItem faq/> }).collect_view()}
    }
    .to_html()
}

#[cfg(not(feature = "ssr"))]
fn content() -> &'static str {
    ""
}

#[cfg(feature = "ssr")]
#[component]
fn FaqItem(faq: &'static Faq) -> impl IntoView {
    view! {
        <details class="faq-item" id=faq.id>
            <summary>
                <h3>{faq.question}</h3>
            </summary>
            <div class="faq-answer" id=format!("{}-answer", faq.id)>
                {faq.answer.iter().map(|p| view! { <p>{with_code(p)}</p> }).collect_view()}
                <p class="faq-sources">
                    "Sources: "
                    {faq
                        .sources
                        .iter()
                        .enumerate()
                        .map(|(i, source)| {
                            view! {
                                {(i > 0).then_some(" · ")}
                                <a href=source.url rel="noopener noreferrer">{source.title}</a>
                            }
                        })
                        .collect_view()}
                </p>
            </div>
        </details>
    }
}

#[cfg(feature = "ssr")]
/// Splits `text` at backticks: odd pieces render as `<code>`. Text only, never HTML.
fn with_code(text: &'static str) -> impl IntoView {
    text.split('`')
        .enumerate()
        .map(|(i, piece)| {
            if i % 2 == 1 {
                view! { <code>{piece}</code> }.into_any()
            } else {
                piece.into_any()
            }
        })
        .collect_view()
}
