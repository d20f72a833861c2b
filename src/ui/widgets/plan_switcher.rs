use super::whole_plan::{use_whole_plan, Ask};
use crate::browser::share_api;
use crate::model::PlanId;
use crate::template;
use crate::ui::editor::state::use_plan;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The workspace's plans: switch, new, duplicate, delete. (Renaming is editing the title.)
#[component]
pub fn PlanSwitcher() -> impl IntoView {
    let ctx = use_plan();
    let dialog = NodeRef::<html::Dialog>::new();
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let on_change = move |ev: leptos::ev::Event| ctx.switch_plan(&PlanId(event_target_value(&ev)));
    let options = move || {
        let active = ctx.active_id.get();
        ctx.plans
            .get()
            .into_iter()
            .map(|(id, title)| {
                let selected = id == active;
                let label = if title.trim().is_empty() {
                    "Untitled plan".to_owned()
                } else {
                    title
                };
                view! {
                    <option value=id.0 selected=selected prop:selected=selected>
                        {label}
                    </option>
                }
            })
            .collect_view()
    };
    let open_delete = move |_| {
        error.set(String::new());
        if let Some(d) = dialog.get() {
            let _ = d.show_modal();
        }
    };
    let close = move || {
        if let Some(d) = dialog.get() {
            d.close();
        }
    };
    let confirm_delete = move |_| {
        let Some(share) = ctx.share.get_untracked() else {
            ctx.delete_active_plan();
            close();
            return;
        };
        // A live link is revoked first, so no one keeps seeing a plan that no longer exists here.
        busy.set(true);
        spawn_local(async move {
            match share_api::revoke(&share.id, &share.owner_token).await {
                Ok(()) => {
                    ctx.delete_active_plan();
                    close();
                }
                Err(e) => error.set(format!(
                    "The link could not be revoked, so nothing was deleted: {}",
                    e.message
                )),
            }
            busy.set(false);
        });
    };
    let has_link = move || ctx.share.with(Option::is_some);
    let whole = use_whole_plan();
    let reset = move |_| {
        whole.confirm(
            Ask {
                title: "Reset to the template".into(),
                effect: "replaces the title and every row with the original checklist".into(),
                verb: "Reset".into(),
            },
            true,
            move || ctx.reset_to_template(),
        );
    };
    view! {
        <div class="plan-switcher">
            <label for="plan-select">"Plan"</label>
            <select id="plan-select" class="plan-select" on:change=on_change>
                {options}
            </select>
            <button type="button" class="button" on:click=move |_| ctx.open_new_plan(template::default_plan())>
                "New plan"
            </button>
            <button type="button" class="button" on:click=move |_| ctx.duplicate_plan()>
                "Duplicate"
            </button>
            <button type="button" class="button" on:click=open_delete>
                "Delete plan…"
            </button>
            <button type="button" class="button" on:click=reset>
                "Reset to template…"
            </button>
        </div>
        <dialog node_ref=dialog class="dialog" aria-labelledby="delete-title" aria-describedby="delete-text">
            <form method="dialog">
                <h2 id="delete-title">"Delete this plan?"</h2>
                <p id="delete-text">
                    {move || format!("\"{}\" will be removed from this browser. This cannot be undone; download a backup first if you may need it.", ctx.title.get())}
                    {move || has_link().then_some(" Its share link will be revoked, so people who have it will see that it was taken down.")}
                </p>
                <p class="dialog-error" role="alert">{move || error.get()}</p>
                <div class="dialog-actions">
                    <button type="submit" class="button" value="cancel" autofocus>
                        "Cancel"
                    </button>
                    <button
                        type="button"
                        class="button danger"
                        on:click=confirm_delete
                        aria-disabled=move || busy.get().to_string()
                    >
                        {move || if has_link() { "Revoke link and delete" } else { "Delete plan" }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
