use super::faq_list::FaqList;
use super::plan_context::provide_plan_context;
use super::plan_table::PlanTable;
use super::readiness_summary::ReadinessSummary;
use super::table_filters::TableFilters;
use crate::browser::{clipboard, dom, storage};
use crate::model::Plan;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A shared plan as the share page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedPlan {
    pub id: String,
    pub plan: Plan,
    pub version: i64,
    pub updated_at_ms: i64,
    /// The address of its CSV, for `=IMPORTDATA()`.
    pub csv_url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ShareLoad {
    Found(SharedPlan),
    Missing,
    Revoked,
    Unavailable,
}

/// Loads the share: from the store while rendering on the server; from the API in the
/// browser (only needed if the page was not rendered on the server).
fn fetch_share(id: String) -> impl std::future::Future<Output = ShareLoad> + Send {
    #[cfg(feature = "ssr")]
    let server = (
        use_context::<crate::server::AppState>(),
        use_context::<axum::http::request::Parts>(),
    );
    async move {
        #[cfg(feature = "ssr")]
        {
            match server {
                (Some(state), Some(parts)) => {
                    crate::server::load_for_page(&state, &parts.headers, &id).await
                }
                _ => ShareLoad::Unavailable,
            }
        }
        #[cfg(not(feature = "ssr"))]
        {
            // Browser futures are not Send; the browser has one thread, so that is fine.
            send_wrapper::SendWrapper::new(fetch_share_in_browser(id)).await
        }
    }
}

#[cfg(not(feature = "ssr"))]
async fn fetch_share_in_browser(id: String) -> ShareLoad {
    let Ok(response) = gloo_net::http::Request::get(&format!("/api/shares/{id}"))
        .send()
        .await
    else {
        return ShareLoad::Unavailable;
    };
    match response.status() {
        200 => {
            let updated_at_ms = response
                .headers()
                .get("x-syncplan-updated-at")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let version = response
                .headers()
                .get("x-syncplan-version")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let origin = web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default();
            match response.json::<Plan>().await {
                Ok(plan) => ShareLoad::Found(SharedPlan {
                    csv_url: format!("{origin}/s/{id}/export/csv"),
                    id,
                    plan,
                    version,
                    updated_at_ms,
                }),
                Err(_) => ShareLoad::Unavailable,
            }
        }
        404 => ShareLoad::Missing,
        410 => ShareLoad::Revoked,
        _ => ShareLoad::Unavailable,
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
    let params = use_params_map();
    let share = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        fetch_share,
    );
    Effect::new(move |_| {
        set_timeout(dom::mark_ready, Duration::ZERO);
    });
    view! {
        <Meta name="robots" content="noindex, nofollow"/>
        <a class="skip-link" href="#main">"Skip to the plan"</a>
        <header class="site-header">
            <a class="brand" href="/">"syncplan"</a>
            <span class="tagline">"Plan reliable background sync for mobile apps"</span>
        </header>
        <Suspense fallback=|| view! { <main id="main"><p>"Loading the shared plan…"</p></main> }>
            {move || Suspend::new(async move {
                match share.await {
                    ShareLoad::Found(shared) => view! { <SharedPlanView shared/> }.into_any(),
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
                }
            })}
        </Suspense>
    }
}

#[component]
fn ShareMessage(title: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <Title text=format!("{title} · syncplan")/>
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
fn SharedPlanView(shared: SharedPlan) -> impl IntoView {
    provide_plan_context(shared.plan.clone(), true);
    let title = shared.plan.title.clone();
    let formula = format!("=IMPORTDATA(\"{}\")", shared.csv_url);
    let status = RwSignal::new(String::new());
    let plan = shared.plan.clone();
    let make_copy = move |_| match storage::add_plan_copy(plan.clone()) {
        Ok(id) => {
            status.set("Copied. Opening your copy…".into());
            dom::navigate(&format!("/?plan={id}"));
        }
        Err(why) => status.set(format!("The copy could not be made: {why}.")),
    };
    let copy_formula = {
        let formula = formula.clone();
        move |_| {
            let formula = formula.clone();
            spawn_local(async move {
                let message = match clipboard::copy_text_and_html(&formula, &formula).await {
                    Ok(()) => "Formula copied. Paste it into cell A1 of a Google Sheet.".to_owned(),
                    Err(why) => format!("Copying failed: {why}."),
                };
                status.set(message);
            });
        }
    };
    let downloads = super::EXPORTS
        .iter()
        .map(|e| {
            view! {
                <a class="button" href=format!("/s/{}/export/{}", shared.id, e.slug) download="" title=e.hint>
                    {e.label}
                </a>
            }
        })
        .collect_view();
    view! {
        <Title text=format!("{} · shared plan · syncplan", title_text(&title))/>
        <main id="main" class="editor shared">
            <div class="intro">
                <p class="eyebrow">"Shared plan · read-only"</p>
                <h1>{title.clone()}</h1>
                <p class="lead">
                    "Last updated " <time datetime=utc_iso(shared.updated_at_ms)>{format_utc(shared.updated_at_ms)}</time>
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
                                <input id="importdata" class="formula" type="text" readonly value=formula/>
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
