//! The welcome for someone who joins a plan by its edit link: whose plan it is, that every
//! change reaches everyone, and the name the others will see (asked once, remembered,
//! changeable in the live bar).

use crate::ui::editor::live::use_live;
use crate::ui::editor::state::use_plan;
use leptos::html;
use leptos::prelude::*;

#[component]
pub fn Welcome() -> impl IntoView {
    let ctx = use_plan();
    let live = use_live();
    let dialog = NodeRef::<html::Dialog>::new();
    let name = NodeRef::<html::Input>::new();
    // Opens each time a plan is joined (not on the owner's own plan, not on reloads).
    Effect::new(move |seen: Option<u32>| {
        let joined = live.joined.get();
        if seen.is_some_and(|s| s != joined) {
            if let Some(d) = dialog.get_untracked() {
                let _ = d.show_modal();
            }
            if let Some(input) = name.get_untracked() {
                input.set_value(&live.name.get_untracked());
                let _ = input.focus();
            }
        }
        joined
    });
    let heading = move || {
        let title = ctx.title.get();
        let owner = live.owner.get();
        if owner.trim().is_empty() {
            format!("You\u{2019}re editing \u{201c}{title}\u{201d} together")
        } else {
            format!("You\u{2019}re editing \u{201c}{title}\u{201d} with {owner}")
        }
    };
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = name.get_untracked() {
            live.set_name(input.value());
        }
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
        let who = live.name.get_untracked();
        ctx.announce(if who.trim().is_empty() {
            "You are editing together. Add your name in the live bar whenever you like.".into()
        } else {
            format!("You are editing together as {who}.")
        });
    };
    view! {
        <dialog node_ref=dialog class="dialog welcome" aria-labelledby="welcome-title" aria-describedby="welcome-text">
            <form on:submit=start>
                <h2 id="welcome-title">{heading}</h2>
                <p id="welcome-text">
                    "Every change you make reaches everyone with the edit link as you make it; theirs "
                    "appear here the same way. A copy is kept in this browser, so you can keep working "
                    "offline."
                </p>
                <label for="welcome-name">"Display name"</label>
                <input
                    id="welcome-name"
                    type="text"
                    maxlength="40"
                    autocomplete="nickname"
                    placeholder="Shown to the others next to your cell"
                    node_ref=name
                />
                <p class="hint">"You can change it any time in the bar above the table."</p>
                <div class="dialog-actions">
                    <button type="submit" class="button primary">"Start editing"</button>
                </div>
            </form>
        </dialog>
    }
}
