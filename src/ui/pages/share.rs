use super::head::{page_head, SiteHeader};
use crate::browser::{clipboard, dom, storage};
use crate::shared::{ShareLoad, SharePageData, SharedPlan, SHARE_DATA_ID};
use crate::ui::editor::state::provide_plan_context;
use crate::ui::widgets::faq_list::FaqList;
use crate::ui::widgets::plan_table::PlanTable;
use crate::ui::widgets::readiness_summary::ReadinessSummary;
use crate::ui::widgets::table_filters::TableFilters;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// What the page shows: given by the server while rendering; read back from the page
/// while hydrating. `None` only when the page was reached without a server render.
fn page_data() -> Option<SharePageData> {
    #[cfg(feature = "ssr")]
    {
        use_context::<SharePageData>()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let raw = web_sys::window()?
            .document()?
            .get_element_by_id(SHARE_DATA_ID)?
            .get_attribute("data-share")?;
        serde_json::from_str(&raw).ok()
    }
}

fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = axum::http::StatusCode::from_u16(code) {
            response.set_status(status);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// `/s/{id}`: a shared plan, read-only.
#[component]
pub fn SharePage() -> impl IntoView {
    let Some(data) = page_data() else {
        // Rendered without the share-page handler's data: load the page from the server.
        Effect::new(move |_| dom::reload());
        return view! { <main id="main"><p>"Loading the shared plan…"</p></main> }.into_any();
    };
    Effect::new(move |_| {
        set_timeout(dom::mark_ready, Duration::ZERO);
    });
    // Data for hydration, as an attribute: escaped like any attribute, never code.
    let raw = serde_json::to_string(&data).unwrap_or_default();
    let body = match data.load {
        ShareLoad::Found(shared) => view! {
            <SharedPlanView shared link_origin=data.link_origin origin_configured=data.origin_configured/>
        }
        .into_any(),
        ShareLoad::Missing => {
            set_status(404);
            view! {
                <ShareMessage
                    title="This shared plan does not exist"
                    text="Check that the link is complete. If someone sent it to you, ask them for a new one."
                />
            }
            .into_any()
        }
        ShareLoad::Revoked => {
            set_status(410);
            view! {
                <ShareMessage
                    title="This shared plan was taken down"
                    text="Its owner revoked the link, so the plan is no longer available here. Ask them to share it again."
                />
            }
            .into_any()
        }
        ShareLoad::Expired => {
            set_status(410);
            view! {
                <ShareMessage
                    title="This shared plan has expired"
                    text="Nobody opened it for a long time, so this server removed it. Ask its owner to share it again."
                />
            }
            .into_any()
        }
        ShareLoad::Unavailable => {
            set_status(503);
            view! {
                <ShareMessage
                    title="This shared plan cannot be shown right now"
                    text="The server could not reach its database. Please reload in a minute."
                />
            }
            .into_any()
        }
    };
    view! {
        <a class="skip-link" href="#main">"Skip to the plan"</a>
        <SiteHeader/>
        <div id=SHARE_DATA_ID hidden data-share=raw></div>
        {body}
    }
    .into_any()
}

#[component]
fn ShareMessage(title: &'static str, text: &'static str) -> impl IntoView {
    page_head(format!("{title} · syncplan"), None, true);
    view! {
        <main id="main" class="message-page">
            <h1>{title}</h1>
            <p>{text}</p>
            <p>
                <a href="/" class="button primary">"Open the planning template"</a>
            </p>
        </main>
    }
}

#[component]
fn SharedPlanView(
    shared: SharedPlan,
    link_origin: String,
    origin_configured: bool,
) -> impl IntoView {
    let ctx = provide_plan_context(shared.plan.clone(), true);
    crate::ui::editor::grid::provide_grid(ctx);
    let title = shared.plan.title.clone();
    // When the plan last changed: the server's time, then each live change as it arrives.
    let changed = RwSignal::new(shared.updated_at_ms as f64);
    if shared.live {
        let share = shared.id.clone();
        Effect::new(move |_| crate::ui::editor::watch::Watch::start(ctx, share.clone(), changed));
    }
    // `=IMPORTDATA()` needs the full address. Unless it is configured, the browser knows it
    // best: it is where the page was loaded from.
    let origin = RwSignal::new(link_origin);
    if !origin_configured {
        Effect::new(move |_| {
            if let Some(o) = dom::origin() {
                origin.set(o);
            }
        });
    }
    let id = shared.id.clone();
    let formula =
        Memo::new(move |_| origin.with(|o| format!("=IMPORTDATA(\"{o}/s/{id}/export/csv\")")));
    let status = RwSignal::new(String::new());
    let make_copy = move |_| match storage::add_plan_copy(ctx.snapshot()) {
        Ok(id) => {
            status.set("Copied. Opening your copy…".into());
            dom::navigate(&format!("/?plan={id}"));
        }
        Err(why) => status.set(format!("The copy could not be made: {why}.")),
    };
    let copy_formula = {
        move |_| {
            let formula = formula.get_untracked();
            spawn_local(async move {
                let message = match clipboard::copy_text_and_html(&formula, &formula).await {
                    Ok(()) => "Formula copied. Paste it into cell A1 of a Google Sheet.".to_owned(),
                    Err(why) => format!("Copying failed: {why}."),
                };
                status.set(message);
            });
        }
    };
    let downloads = crate::ui::widgets::export_panel::EXPORTS
        .iter()
        .map(|e| {
            view! {
                <a class="button" href=crate::shared::paths::share_export(&shared.id, e.slug) download="" title=e.hint>
                    {e.label}
                </a>
            }
        })
        .collect_view();
    // The server writes UTC (it cannot know the reader's zone); the browser then shows its
    // own zone, with UTC on hover.
    // "3 min ago" once in the browser (the server writes the UTC time), kept current.
    let now = RwSignal::new(None::<f64>);
    Effect::new(move |_| {
        now.set(Some(js_sys::Date::now()));
        let _ = set_interval_with_handle(
            move || now.set(Some(js_sys::Date::now())),
            std::time::Duration::from_secs(20),
        );
    });
    let updated_text = move || match now.get() {
        Some(now) => format!(
            "{} ({})",
            dom::local_time(changed.get()),
            crate::ui::widgets::save_indicator::ago(now - changed.get())
        ),
        None => format_utc(shared.updated_at_ms),
    };
    let updated_title = move || format_utc(changed.get() as i64);
    page_head(
        format!("{} · shared plan · syncplan", title_text(&title)),
        None,
        true,
    );
    view! {
        <main id="main" class="editor shared">
            <div class="intro">
                <p class="eyebrow">
                    {if shared.live { "Shared plan · read-only · updates live" } else { "Shared plan · read-only" }}
                </p>
                <h1>{move || ctx.title.get()}</h1>
                <p class="lead">
                    "Last updated "
                    <time datetime=utc_iso(shared.updated_at_ms) title=updated_title data-testid="updated">
                        {updated_text}
                    </time>
                    ". You can download it or make your own copy to edit; changes to your copy stay with you."
                </p>
            </div>
            <div class="layout">
                <section class="plan" aria-label="Shared plan">
                    <div class="toolbar">
                        <button type="button" class="button primary" on:click=make_copy>
                            "Make a copy"
                        </button>
                        <p class="save-indicator" role="status">{move || status.get()}</p>
                    </div>
                    <section class="get-template" aria-labelledby="get-template-heading">
                        <h2 id="get-template-heading">"Get this plan"</h2>
                        <div class="downloads">{downloads}</div>
                        <div class="live-sheet">
                            <label for="importdata">"Live Google Sheet: paste into cell A1"</label>
                            <div class="formula-row">
                                <input id="importdata" class="formula" type="text" readonly value=move || formula.get() prop:value=move || formula.get()/>
                                <button type="button" class="button" on:click=copy_formula>
                                    "Copy formula"
                                </button>
                            </div>
                        </div>
                    </section>
                    <ReadinessSummary/>
                    <TableFilters/>
                    <PlanTable/>
                </section>
                <aside class="guidance">
                    <FaqList/>
                </aside>
            </div>
        </main>
    }
}

/// User text for `<title>`: leptos_meta 0.8 writes the title without escaping it, so `<` and
/// `>` (which could close the element) become look-alike angle quotes.
fn title_text(text: &str) -> String {
    text.replace('<', "‹").replace('>', "›")
}

/// `2026-11-25T14:05:00Z`.
fn utc_iso(ms: i64) -> String {
    let (y, m, d, hh, mm) = civil(ms);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:00Z")
}

/// `25 Nov 2026, 14:05 UTC`: the same on the server and in the browser (no time zone data
/// needed, so hydration matches).
pub fn format_utc(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, hh, mm) = civil(ms);
    format!("{d} {} {y}, {hh:02}:{mm:02} UTC", MONTHS[(m - 1) as usize])
}

/// Unix milliseconds → (year, month, day, hour, minute) in UTC (Howard Hinnant's
/// days-to-civil algorithm).
fn civil(ms: i64) -> (i64, i64, i64, i64, i64) {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_cannot_close_the_title_element() {
        assert_eq!(
            title_text("</title><script>x</script>"),
            "‹/title›‹script›x‹/script›"
        );
        assert_eq!(title_text("Plain & simple"), "Plain & simple");
    }

    #[test]
    fn dates_format_in_utc() {
        assert_eq!(format_utc(0), "1 Jan 1970, 00:00 UTC");
        // 2026-11-25T14:05:30Z
        assert_eq!(format_utc(1_795_615_530_000), "25 Nov 2026, 14:05 UTC");
        assert_eq!(utc_iso(1_795_615_530_000), "2026-11-25T14:05:00Z");
        // A leap day.
        assert_eq!(format_utc(951_782_400_000), "29 Feb 2000, 00:00 UTC");
    }
}
