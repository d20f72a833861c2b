use super::plan_context::{use_plan, SaveState};
use crate::browser::dom;
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
    let text = move || match ctx.save_state.get() {
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
    let warning = move || {
        matches!(
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

/// "just now", "4 s ago", "3 min ago", "2 h ago", "5 d ago".
fn ago(ms: f64) -> String {
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
    fn ago_reads_naturally() {
        assert_eq!(super::ago(-5.0), "just now");
        assert_eq!(super::ago(999.0), "just now");
        assert_eq!(super::ago(2_000.0), "2 s ago");
        assert_eq!(super::ago(125_000.0), "2 min ago");
        assert_eq!(super::ago(7_200_000.0), "2 h ago");
        assert_eq!(super::ago(200_000_000.0), "2 d ago");
    }
}
