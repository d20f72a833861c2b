//! Actions on the whole plan (Reset, Import → Replace, deleting several rows at once). In a
//! plan edited together they change the plan for everyone, and Undo works only in the tab
//! that did it: the dialog says so, names who is here, and asks twice.

use crate::shared::wire::Role;
use crate::ui::editor::live::LiveSync;
use crate::ui::editor::state::use_plan;
use leptos::html;
use leptos::prelude::*;
use send_wrapper::SendWrapper;

/// What is about to happen, in words for the dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    /// "Reset to the template", "Replace the plan with 12 rows", "Delete 5 rows".
    pub title: String,
    /// What it does: "replaces the title and every row with the original checklist".
    pub effect: String,
    /// The button: "Reset", "Replace", "Delete".
    pub verb: String,
}

/// What runs once the person agreed. Only a browser ever sets it; the server renders the
/// page on any of its threads and drops the empty slot wherever it likes, so the slot is
/// thread-safe storage and only a value in it is bound to the browser's one thread.
type Then = Option<SendWrapper<Box<dyn FnOnce()>>>;

/// The page's one whole-plan dialog: what it asks, which step it is at, what runs after.
#[derive(Clone, Copy)]
pub struct WholePlan {
    ask: RwSignal<Option<Ask>>,
    /// 1: the first question; 2: "are you sure" (plans edited together).
    step: RwSignal<u8>,
    shared: RwSignal<bool>,
    then: StoredValue<Then>,
    dialog: NodeRef<html::Dialog>,
    live: LiveSync,
}

pub fn provide_whole_plan(live: LiveSync) -> WholePlan {
    let whole = WholePlan {
        live,
        ask: RwSignal::new(None),
        step: RwSignal::new(1),
        shared: RwSignal::new(false),
        then: StoredValue::new(None),
        dialog: NodeRef::new(),
    };
    provide_context(whole);
    whole
}

pub fn use_whole_plan() -> WholePlan {
    expect_context::<WholePlan>()
}

impl WholePlan {
    /// Runs `then` once the person agreed: twice, naming everyone, in a plan edited
    /// together; once in a private plan when `private_too`; otherwise at once (a private
    /// change Undo takes back).
    pub fn confirm(&self, ask: Ask, private_too: bool, then: impl FnOnce() + 'static) {
        let shared = self.live.shared.get_untracked();
        if !shared && !private_too {
            then();
            return;
        }
        self.then.set_value(Some(SendWrapper::new(Box::new(then))));
        self.shared.set(shared);
        self.step.set(1);
        self.ask.set(Some(ask));
        if let Some(d) = self.dialog.get_untracked() {
            let _ = d.show_modal();
        }
    }

    /// Whether the dialog has something to ask (it is loaded on first use: `LazyDialogs`).
    pub fn asking(&self) -> bool {
        self.ask.with(Option::is_some)
    }

    fn close(&self) {
        self.then.set_value(None);
        self.ask.set(None);
        if let Some(d) = self.dialog.get_untracked() {
            d.close();
        }
    }

    fn agree(&self) {
        if self.shared.get_untracked() && self.step.get_untracked() == 1 {
            self.step.set(2);
            return;
        }
        let then = self.then.try_update_value(Option::take).flatten();
        self.close();
        if let Some(then) = then {
            (then.take())();
        }
    }
}

/// "Ana, Bo and you are here now" — the people editing, then how many are watching.
pub fn who_is_here(live: LiveSync) -> String {
    let (mut editors, viewers) = live.peers.with(|peers| {
        let mut names: Vec<String> = peers
            .iter()
            .filter(|p| p.role == Role::Editor)
            .map(|p| p.name.clone())
            .collect();
        names.sort();
        names.dedup();
        let viewers = peers.iter().filter(|p| p.role == Role::Viewer).count();
        (names, viewers)
    });
    editors.push("you".to_owned());
    let names = match editors.as_slice() {
        [only] => format!("only {only} are editing now"),
        [rest @ .., last] => format!("{} and {last} are editing now", rest.join(", ")),
        [] => String::new(),
    };
    match viewers {
        0 => names,
        1 => format!("{names}, and 1 person is viewing"),
        n => format!("{names}, and {n} people are viewing"),
    }
}

#[component]
pub fn WholePlanDialog() -> impl IntoView {
    let ctx = use_plan();
    let whole = use_whole_plan();
    // Loaded after the first question was asked: it opens with it.
    super::lazy_part::open_when(whole.dialog, move || whole.ask.with(Option::is_some));
    let title = move || {
        whole.ask.with(|a| {
            a.as_ref().map(|a| {
                if whole.shared.get() {
                    format!("{} for everyone?", a.title)
                } else {
                    format!("{}?", a.title)
                }
            })
        })
    };
    let text = move || {
        let ask = whole.ask.get()?;
        Some(if whole.shared.get() {
            format!(
                "This {} in \u{201c}{}\u{201d} for everyone who edits it together: {}. Everyone \
                 else with the edit link sees it when they come back. Only you can undo it, with \
                 Undo in this tab.",
                ask.effect,
                ctx.title.get(),
                who_is_here(whole.live),
            )
        } else {
            format!("This {}. You can undo it with Undo or Ctrl+Z.", ask.effect)
        })
    };
    let button = move || {
        let ask = whole.ask.get()?;
        Some(match (whole.shared.get(), whole.step.get()) {
            (false, _) => ask.verb,
            (true, 1) => format!("{} for everyone\u{2026}", ask.verb),
            (true, _) => format!("Yes, {} for everyone", ask.verb.to_lowercase()),
        })
    };
    view! {
        <dialog
            node_ref=whole.dialog
            class="dialog whole-plan-dialog"
            aria-labelledby="whole-plan-title"
            aria-describedby="whole-plan-text"
            on:close=move |_| {
                whole.then.set_value(None);
                whole.ask.set(None);
            }
        >
            <h2 id="whole-plan-title">{title}</h2>
            <p id="whole-plan-text">{text}</p>
            {move || (whole.shared.get() && whole.step.get() == 2).then(|| view! {
                <p class="dialog-error" role="alert">
                    "Are you sure? The change reaches everyone at once, and they cannot undo it."
                </p>
            })}
            <div class="dialog-actions">
                <button type="button" class="button" autofocus on:click=move |_| whole.close()>
                    "Cancel"
                </button>
                <button type="button" class="button danger" on:click=move |_| whole.agree()>
                    {button}
                </button>
            </div>
        </dialog>
    }
}
