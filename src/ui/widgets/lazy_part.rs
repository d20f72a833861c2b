//! Parts of the editor that the first load does not need, loaded on first use.
//!
//! A function marked `#[wasm_split(name, fallible)]` goes, with the code only it uses, into its
//! own WASM chunk (`scripts/build-site.mjs` cuts it out; the server build calls it directly).
//! The first call fetches the chunk; a failed fetch is not remembered, so calling again retries.

use leptos::prelude::*;
use std::future::Future;
use wasm_split_helpers::SplitLoaderError;

/// What a lazily loaded part says when its code cannot be fetched.
fn load_failed_message(what: &str) -> String {
    format!(
        "The {what} could not be loaded: the connection may be down, or a new version of \
         syncplan was published. Check your connection, then try again."
    )
}

/// Where a lazily loaded part is.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Loading,
    Ready,
    Failed,
}

/// The view `load` returns once its chunk is there: nothing while it loads (the chunk is small,
/// and usually already fetched when the user showed the intent to use it), and a sentence with
/// a "Try again" button when the chunk cannot be fetched. Nothing else on the page changes.
pub fn lazy_view<F, Fut>(what: &'static str, load: F) -> impl IntoView
where
    F: Fn() -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, SplitLoaderError>> + 'static,
{
    let part = RwSignal::new(Part::Loading);
    let loaded = StoredValue::new_local(None::<AnyView>);
    // The part is built under the owner of the place it shows in (its contexts, its
    // cleanup), also when "Try again" starts it from a click.
    let owner = StoredValue::new_local(Owner::current());
    let start = move || {
        part.set(Part::Loading);
        let run = async move {
            match load().await {
                Ok(view) => {
                    loaded.set_value(Some(view));
                    part.set(Part::Ready);
                }
                Err(_) => part.set(Part::Failed),
            }
        };
        match owner.get_value() {
            Some(owner) => owner.with(|| leptos::task::spawn_local_scoped(run)),
            None => leptos::task::spawn_local(run),
        }
    };
    start();
    move || match part.get() {
        Part::Loading => None::<AnyView>.into_any(),
        // Taken once: this only runs again if the part is loaded again.
        Part::Ready => loaded.try_update_value(Option::take).flatten().into_any(),
        Part::Failed => view! {
            <div class="lazy-failed" role="alert">
                <p>{load_failed_message(what)}</p>
                <button type="button" class="button" on:click=move |_| start()>
                    "Try again"
                </button>
            </div>
        }
        .into_any(),
    }
}

/// Opens `dialog` as a modal whenever `wanted` says so and the dialog is on the page (a
/// dialog in a lazily loaded part arrives after the click that asked for it).
pub fn open_when(dialog: NodeRef<leptos::html::Dialog>, wanted: impl Fn() -> bool + 'static) {
    Effect::new(move |_| {
        if wanted() {
            if let Some(d) = dialog.get() {
                if !d.open() {
                    let _ = d.show_modal();
                }
            }
        }
    });
}

/// Starts fetching a part's chunk ahead of its use (on hover or focus of what opens it).
pub fn preload<Fut>(load: impl FnOnce() -> Fut + 'static)
where
    Fut: Future<Output = Result<(), SplitLoaderError>> + 'static,
{
    leptos::task::spawn_local(async move {
        // A failure shows when the part is opened, with its retry; nothing to say here.
        let _ = load().await;
    });
}
