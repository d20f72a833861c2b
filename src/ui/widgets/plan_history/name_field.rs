//! The field that names a version: a label, the name (Enter names it too), a button, an
//! optional hint, and the refusal when there is one.

use leptos::prelude::*;

#[component]
pub fn NameField(
    /// The input's id.
    id: &'static str,
    label: &'static str,
    button: &'static str,
    /// A line under the field, when given.
    #[prop(optional)]
    hint: Option<&'static str>,
    text: RwSignal<String>,
    error: RwSignal<Option<String>>,
    /// Names the version (with `text`).
    name: Callback<()>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="name-version">
            <label for=id>{label}</label>
            <input
                id=id
                type="text"
                maxlength="80"
                placeholder="Sent to eng review"
                aria-describedby=hint.map(|_| hint_id.clone())
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        name.run(());
                    }
                }
            />
            <button type="button" class="button" on:click=move |_| name.run(())>
                {button}
            </button>
            {hint.map(|h| view! { <p id=hint_id.clone() class="hint">{h}</p> })}
            {move || error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        </div>
    }
}
