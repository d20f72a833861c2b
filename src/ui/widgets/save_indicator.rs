use crate::browser::dom;
use crate::ui::editor::live::use_live;
use crate::ui::editor::live::Link;
use crate::ui::editor::state::{use_plan, SaveState};
use leptos::prelude::*;
use std::time::Duration;

/// "Saved in this browser · 2 s ago", or a warning when edits are not being saved.
#[component]
pub fn SaveIndicator() -> impl IntoView {
    let ctx = use_plan();
    let now = RwSignal::new(0.0);
    Effect::new(move |_| {
        now.set(dom::now_ms());
        if let Ok(handle) =
            set_interval_with_handle(move || now.set(dom::now_ms()), Duration::from_secs(1))
        {
            on_cleanup(move || handle.clear());
        }
    });
    let saved_text = move || match ctx.save_state.get() {
        SaveState::Starting => String::new(),
        SaveState::Ready => "Edits are saved in this browser".into(),
        SaveState::Saved { at_ms } => {
            format!("Saved in this browser · {}", ago(now.get() - at_ms))
        }
        SaveState::Failed(why) => format!(
            "Not saved: {why}. Your edits are kept in this tab; download a backup to be safe."
        ),
        SaveState::Unavailable(why) => {
            format!("Not saving: {why}. Your edits stay in this tab until you close it.")
        }
        SaveState::NewerVersion => "Not saving: a newer version of syncplan is open in another \
            tab. Reload this page to keep editing."
            .into(),
    };
    let live = use_live();
    let text = move || {
        if live.shared.get() {
            if let Some(text) = live_text(live.link.get(), live.waiting.get()) {
                return text;
            }
        }
        saved_text()
    };
    let warning = move || {
        (live.shared.get() && live.link.get() == Link::Offline)
            || matches!(
                ctx.save_state.get(),
                SaveState::Failed(_) | SaveState::Unavailable(_) | SaveState::NewerVersion
            )
    };
    view! {
        <p class="save-indicator" class:warning=warning data-testid="save-indicator">
            {text}
        </p>
        <noscript>
            <p class="save-indicator warning">
                "JavaScript is off: you can read the plan, but edits are not saved."
            </p>
        </noscript>
    }
}

/// What the indicator says about a plan edited together (`None`: say how it is saved).
fn live_text(link: Link, waiting: usize) -> Option<String> {
    let changes = |n: usize| {
        if n == 1 {
            "1 change".to_owned()
        } else {
            format!("{n} changes")
        }
    };
    Some(match (link, waiting) {
        (Link::Off, _) => return None,
        (Link::Online, 0) => "Synced".into(),
        (Link::Online, n) => format!("{} waiting to sync", changes(n)),
        (Link::Connecting, 0) => "Connecting…".into(),
        (Link::Connecting, n) => format!("Connecting… {} waiting to sync", changes(n)),
        (Link::Offline, 0) => "Offline — changes are kept in this browser".into(),
        (Link::Offline, n) => format!(
            "Offline — changes are kept in this browser ({} waiting to sync)",
            changes(n)
        ),
    })
}

/// "just now", "4 s ago", "3 min ago", "2 h ago", "5 d ago".
pub fn ago(ms: f64) -> String {
    let s = (ms / 1000.0).floor().max(0.0) as u64;
    match s {
        0 => "just now".into(),
        1..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_shared_plan_says_whether_it_is_synced() {
        use super::{live_text, Link};
        assert_eq!(live_text(Link::Off, 3), None);
        assert_eq!(live_text(Link::Online, 0).unwrap(), "Synced");
        assert_eq!(
            live_text(Link::Online, 3).unwrap(),
            "3 changes waiting to sync"
        );
        assert_eq!(
            live_text(Link::Online, 1).unwrap(),
            "1 change waiting to sync"
        );
        assert_eq!(
            live_text(Link::Offline, 0).unwrap(),
            "Offline — changes are kept in this browser"
        );
        assert!(live_text(Link::Offline, 2)
            .unwrap()
            .contains("2 changes waiting to sync"));
    }

    #[test]
    fn ago_reads_naturally() {
        assert_eq!(super::ago(-5.0), "just now");
        assert_eq!(super::ago(999.0), "just now");
        assert_eq!(super::ago(2_000.0), "2 s ago");
        assert_eq!(super::ago(125_000.0), "2 min ago");
        assert_eq!(super::ago(7_200_000.0), "2 h ago");
        assert_eq!(super::ago(200_000_000.0), "2 d ago");
    }
}
