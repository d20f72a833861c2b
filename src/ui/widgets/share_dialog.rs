use super::lazy_part::{lazy_view, preload};
use crate::browser::{clipboard, dom, share_api};
use crate::model::OwnedShare;
use crate::shared::paths;
use crate::ui::editor::live::{use_live, LiveSync};
use crate::ui::editor::state::{use_plan, PlanContext};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

/// Creates the open plan's read-only link and remembers it.
async fn create_link(ctx: PlanContext) -> Result<OwnedShare, share_api::ShareError> {
    let plan_id = ctx.active();
    let created = share_api::create(&ctx.snapshot()).await?;
    let share = OwnedShare {
        plan: plan_id,
        id: created.id,
        url: created.url,
        owner_token: created.owner_token,
        published_at: dom::now_rfc3339(),
    };
    ctx.remember_share(share.clone());
    Ok(share)
}

/// "Share": create a read-only link, publish updates to it, revoke it; turn on editing.
///
/// The button and the dialog's frame are in the first load; what the dialog offers is in its
/// own chunk, fetched when the pointer or focus reaches the button, or at the latest on the
/// click.
#[component]
pub fn ShareDialog() -> impl IntoView {
    let ctx = use_plan();
    let live = use_live();
    let dialog = NodeRef::<html::Dialog>::new();
    let opened = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(String::new());
    let confirm_revoke = RwSignal::new(false);

    let open = move |_| {
        message.set(String::new());
        confirm_revoke.set(false);
        // Once: setting it again would build the options again.
        if !opened.get_untracked() {
            opened.set(true);
        }
        if let Some(d) = dialog.get() {
            let _ = d.show_modal();
        }
    };

    view! {
        <button
            type="button"
            class="button"
            on:click=open
            on:pointerenter=|_| preload(preload_share_options)
            on:focus=|_| preload(preload_share_options)
            aria-haspopup="dialog"
        >
            {move || if ctx.share.with(Option::is_some) || live.shared.get() { "Shared ✓" } else { "Share…" }}
        </button>
        <dialog node_ref=dialog class="dialog share-dialog" aria-labelledby="share-title">
            <form method="dialog">
                <h2 id="share-title">"Share"</h2>
                {move || opened.get().then(|| {
                    lazy_view("sharing options", move || share_options(ctx, live, busy, message, confirm_revoke))
                })}
                <div class="dialog-actions">
                    <button type="submit" class="button" value="close">"Close"</button>
                </div>
            </form>
        </dialog>
    }
}

/// The dialog's content: the read-only link ("Can view") and the edit link ("Can edit").
#[wasm_split(share_options, fallible, preload(preload_share_options))]
fn share_options(
    ctx: PlanContext,
    live: LiveSync,
    busy: RwSignal<bool>,
    message: RwSignal<String>,
    confirm_revoke: RwSignal<bool>,
) -> Result<AnyView, SplitLoaderError> {
    let create = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match create_link(ctx).await {
                Ok(_) => {
                    message.set(
                        "Link created. Copy it and send it to the people who should see the plan."
                            .into(),
                    );
                }
                Err(e) => message.set(e.message),
            }
            busy.set(false);
        });
    };
    let update = move |_| {
        let Some(share) = ctx.share.get_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        let plan = ctx.snapshot();
        busy.set(true);
        spawn_local(async move {
            match share_api::update(&share.id, &share.owner_token, &plan).await {
                Ok(()) => {
                    ctx.remember_share(OwnedShare {
                        published_at: dom::now_rfc3339(),
                        ..share
                    });
                    message.set("The link now shows the plan as it is here.".into());
                }
                Err(e) if matches!(e.status, Some(404 | 410)) => {
                    ctx.forget_share(&share.plan);
                    message.set(format!("{} Create a new link to share again.", e.message));
                }
                Err(e) => message.set(e.message),
            }
            busy.set(false);
        });
    };
    let revoke = move |_| {
        let Some(share) = ctx.share.get_untracked() else {
            return;
        };
        if !confirm_revoke.get_untracked() {
            confirm_revoke.set(true);
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match share_api::revoke(&share.id, &share.owner_token).await {
                Ok(()) => {
                    ctx.forget_share(&share.plan);
                    if live.shared.get_untracked() {
                        ctx.stop_live();
                    }
                    message.set(
                        "The link is revoked: anyone who opens it now sees that it was taken down."
                            .into(),
                    );
                }
                Err(e) => message.set(e.message),
            }
            confirm_revoke.set(false);
            busy.set(false);
        });
    };
    let copy_link = move |_| {
        let Some(share) = ctx.share.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let html = format!("<a href=\"{0}\">{0}</a>", share.url);
            match clipboard::copy_text_and_html(&share.url, &html).await {
                Ok(()) => message.set("Link copied.".into()),
                Err(why) => message.set(format!(
                    "Copying failed: {why}. Select the link and copy it."
                )),
            }
        });
    };
    let published = move || {
        ctx.share.with(|s| {
            s.as_ref().map(|s| {
                let ms = js_sys::Date::parse(&s.published_at);
                if ms.is_finite() {
                    format!("Last published {}.", dom::local_time(ms))
                } else {
                    String::new()
                }
            })
        })
    };
    let disabled = move || busy.get().to_string();
    // Someone who joined by edit link: the plan's links and a way out, no owner actions.
    let joined = move || live.shared.get() && ctx.share.with(Option::is_none);

    Ok(view! {
        {move || joined().then(|| view! { <JoinedShareView message/> })}
        <Show when=move || !joined()>
        <h3>"Can view"</h3>
        {move || match ctx.share.get() {
            None => view! {
                <p>
                    "Anyone with the link can view this plan, download it and make their own copy. "
                    "They cannot change yours. The link shows the plan as it is when you create or update it."
                </p>
                <div class="dialog-actions start">
                    <button type="button" class="button primary" on:click=create aria-disabled=disabled>
                        "Create link"
                    </button>
                </div>
            }
                .into_any(),
            Some(share) => view! {
                <label for="share-url">"Link"</label>
                <div class="formula-row">
                    <input id="share-url" class="formula" type="text" readonly value=share.url.clone()/>
                    <button type="button" class="button" on:click=copy_link>"Copy link"</button>
                </div>
                <p class="hint">
                    {move || if live.shared.get() {
                        "The plan is edited together: this link always shows it as it is now.".to_owned()
                    } else {
                        format!("{} Edits you make here appear on the link when you update it.", published().unwrap_or_default())
                    }}
                </p>
                <div class="dialog-actions start">
                    <Show when=move || !live.shared.get()>
                        <button type="button" class="button primary" on:click=update aria-disabled=disabled>
                            "Update link"
                        </button>
                    </Show>
                    <a class="button" href=share.url.clone() target="_blank" rel="noopener">"Open"</a>
                    <button type="button" class="button danger" on:click=revoke aria-disabled=disabled>
                        {move || if confirm_revoke.get() { "Yes, revoke the link" } else { "Revoke" }}
                    </button>
                </div>
                {move || confirm_revoke.get().then(|| view! {
                    <p class="dialog-error">"Revoking ends the link for everyone. You can create a new link later."</p>
                })}
            }
                .into_any(),
        }}
        <EditLinkSection busy message/>
        </Show>
        <p class="share-message" role="status">{move || message.get()}</p>
    }
    .into_any())
}

/// The Share dialog of someone who joined by edit link: whose plan it is, its read-only
/// and edit links to copy, and Leave. Creating, updating or revoking links and turning
/// editing off are the owner's, and only the owner's browser offers them.
#[component]
fn JoinedShareView(message: RwSignal<String>) -> impl IntoView {
    let ctx = use_plan();
    let live = use_live();
    let confirm_leave = RwSignal::new(false);
    let links = move || {
        ctx.edit_link().map(|(share, edit_url)| {
            let origin = dom::origin().unwrap_or_default();
            (format!("{origin}{}", paths::share(&share)), edit_url)
        })
    };
    let copy = move |text: String, done: &'static str| {
        spawn_local(async move {
            let html = format!("<a href=\"{0}\">{0}</a>", text);
            match clipboard::copy_text_and_html(&text, &html).await {
                Ok(()) => message.set(done.into()),
                Err(why) => message.set(format!(
                    "Copying failed: {why}. Select the link and copy it."
                )),
            }
        });
    };
    let owner = move || {
        let name = live.owner.get();
        if name.trim().is_empty() {
            "This plan was shared with you by its owner.".to_owned()
        } else {
            format!("This plan belongs to {name}, who shared it with you.")
        }
    };
    let leave = move |_| {
        if !confirm_leave.get_untracked() {
            confirm_leave.set(true);
            return;
        }
        confirm_leave.set(false);
        let title = ctx.title.get_untracked();
        ctx.leave_shared();
        message.set(String::new());
        ctx.announce(format!(
            "You left \"{title}\". Your copy stays in your plans; the team's plan goes on without it."
        ));
    };
    let unsent = move || live.waiting.get();
    view! {
        <p class="share-owner">{owner}</p>
        {move || links().map(|(view_url, edit_url)| view! {
            <h3>"Can view"</h3>
            <label for="share-url">"Read-only link"</label>
            <div class="formula-row">
                <input id="share-url" class="formula" type="text" readonly value=view_url.clone()/>
                <button type="button" class="button" on:click={
                    let url = view_url.clone();
                    move |_| copy(url.clone(), "Link copied.")
                }>"Copy link"</button>
            </div>
            <p class="hint">"Anyone with this link sees the plan as it is now, and follows the changes live. They cannot change it."</p>
            <h3>"Can edit"</h3>
            <label for="edit-url">"Edit link"</label>
            <div class="formula-row">
                <input id="edit-url" class="formula" type="text" readonly value=edit_url.clone()/>
                <button type="button" class="button" on:click={
                    let url = edit_url.clone();
                    move |_| copy(url.clone(), "Edit link copied.")
                }>"Copy edit link"</button>
            </div>
            <p class="hint">"Anyone with this link can change the plan. Send it only to the people who should edit."</p>
        })}
        <h3>"Leave"</h3>
        <p class="hint">
            "Leaving stops your edits reaching the team and theirs reaching you. "
            "A private copy of the plan as it is now stays in your plans."
        </p>
        <div class="dialog-actions start">
            <button type="button" class="button danger" on:click=leave>
                {move || if confirm_leave.get() { "Yes, leave the plan" } else { "Leave…" }}
            </button>
        </div>
        {move || confirm_leave.get().then(|| {
            let n = unsent();
            view! {
                <p class="dialog-error">
                    {if n == 0 {
                        "The team keeps editing without you. To come back, open the edit link again.".to_owned()
                    } else {
                        format!(
                            "{n} of your changes have not reached the team yet: they stay in your copy only. \
                             To come back, open the edit link again."
                        )
                    }}
                </p>
            }
        })}
    }
}

/// "Can edit": turn on editing through an edit link, copy it, replace it, turn it off.
#[component]
fn EditLinkSection(busy: RwSignal<bool>, message: RwSignal<String>) -> impl IntoView {
    let ctx = use_plan();
    let live = use_live();
    let confirm_off = RwSignal::new(false);
    // Turns editing on (creating the view link first when there is none), or replaces
    // the edit link.
    let enable = move |replace: bool| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        confirm_off.set(false);
        spawn_local(async move {
            let share = match ctx.share.get_untracked() {
                Some(share) => Ok(share),
                None => create_link(ctx).await,
            };
            let result = match share {
                Ok(share) => share_api::enable_editing(&share.id, &share.owner_token)
                    .await
                    .map(|link| (share.id, link)),
                Err(e) => Err(e),
            };
            match result {
                Ok((id, link)) => {
                    ctx.go_live(id, link.edit_token, link.resumed);
                    message.set(if replace {
                        "A new edit link is ready. The old one stopped working: whoever used it keeps a private copy.".into()
                    } else {
                        "Editing is on. Copy the edit link and send it to the people who should edit the plan with you.".into()
                    });
                }
                Err(e) if matches!(e.status, Some(404 | 410)) => {
                    if let Some(share) = ctx.share.get_untracked() {
                        ctx.forget_share(&share.plan);
                    }
                    message.set(format!("{} Create a new link to share again.", e.message));
                }
                Err(e) => message.set(e.message),
            }
            busy.set(false);
        });
    };
    let turn_off = move |_| {
        let Some(share) = ctx.share.get_untracked() else {
            return;
        };
        if !confirm_off.get_untracked() {
            confirm_off.set(true);
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match share_api::disable_editing(&share.id, &share.owner_token).await {
                Ok(()) => {
                    ctx.stop_live();
                    message.set(
                        "Editing is off. Everyone who had the edit link keeps a private copy; the plan here is yours alone again.".into(),
                    );
                }
                Err(e) => message.set(e.message),
            }
            confirm_off.set(false);
            busy.set(false);
        });
    };
    let copy_edit_link = move |_| {
        let Some((_, url)) = ctx.edit_link() else {
            return;
        };
        spawn_local(async move {
            match clipboard::copy_text_and_html(&url, &url).await {
                Ok(()) => message.set("Edit link copied.".into()),
                Err(why) => message.set(format!(
                    "Copying failed: {why}. Select the link and copy it."
                )),
            }
        });
    };
    let disabled = move || busy.get().to_string();
    let owner = move || ctx.share.with(Option::is_some);
    view! {
        <h3>"Can edit"</h3>
        {move || match live.shared.get().then(|| ctx.edit_link()).flatten() {
            Some((share, url)) => view! {
                <label for="edit-url">"Edit link"</label>
                <div class="formula-row">
                    <input id="edit-url" class="formula" type="text" readonly value=url/>
                    <button type="button" class="button" on:click=copy_edit_link>"Copy edit link"</button>
                </div>
                <p class="hint">
                    "Anyone with this link can change the plan; everyone sees every change as it is made. "
                    "Send it only to the people who should edit."
                </p>
                {move || (!owner()).then(|| {
                    let view_url = paths::share(&share);
                    view! {
                        <p class="hint">
                            "This plan was shared with you. A read-only view: "
                            <a href=view_url.clone() target="_blank" rel="noopener">{view_url.clone()}</a>
                        </p>
                    }
                })}
                <Show when=owner>
                    <div class="dialog-actions start">
                        <button type="button" class="button" on:click=move |_| enable(true) aria-disabled=disabled>
                            "New edit link"
                        </button>
                        <button type="button" class="button danger" on:click=turn_off aria-disabled=disabled>
                            {move || if confirm_off.get() { "Yes, turn editing off" } else { "Turn editing off" }}
                        </button>
                    </div>
                    {move || confirm_off.get().then(|| view! {
                        <p class="dialog-error">
                            "Turning editing off disconnects everyone who edits through the link. They keep a private copy."
                        </p>
                    })}
                </Show>
            }
                .into_any(),
            _ => view! {
                <p>
                    "Turn on editing to get an edit link: the people you send it to edit this plan with you, "
                    "live, and keep editing offline."
                </p>
                <div class="dialog-actions start">
                    <button type="button" class="button primary" on:click=move |_| enable(false) aria-disabled=disabled>
                        "Turn on editing"
                    </button>
                </div>
            }
                .into_any(),
        }}
    }
}
