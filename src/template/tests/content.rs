//! The template's content: every row and answer well formed, sourced and linked.

use super::super::*;
use std::collections::HashSet;

/// Item and notes of the template row `id`.
pub(super) fn row_text(id: &str) -> String {
    let &(_, item, _, _, notes) = ROWS.iter().find(|r| r.0 == id).expect("a template row");
    format!("{item}\n{notes}")
}

/// The whole answer `id`, paragraphs joined.
pub(super) fn answer_text(id: &str) -> String {
    faq(id).expect("an FAQ answer").answer.join("\n")
}

/// Every row and every answer paragraph, labelled for failure messages.
pub(super) fn all_texts() -> Vec<(String, String)> {
    let rows = ROWS.iter().map(|r| (r.0.to_owned(), row_text(r.0)));
    let answers = FAQ.iter().flat_map(|f| {
        f.answer
            .iter()
            .map(move |p| (f.id.to_owned(), (*p).to_owned()))
    });
    rows.chain(answers).collect()
}

pub(super) fn saved_row(id: &str, item: &str, category: &str, notes: &str) -> Row {
    Row {
        id: RowId::from(id),
        item: item.into(),
        category: category.into(),
        priority: Priority::P3,
        owner: "Ana".into(),
        status: Status::InProgress,
        notes: notes.into(),
    }
}

#[test]
fn the_template_is_a_valid_plan() {
    let plan = default_plan();
    assert!(plan.rows.len() >= 25);
    assert_eq!(plan.validate(), Ok(()));
    let ids: HashSet<_> = ROWS.iter().map(|r| r.0).collect();
    assert_eq!(ids.len(), ROWS.len());
}

#[test]
fn every_category_has_rows_and_an_faq_answer() {
    let plan = default_plan();
    for c in CATEGORIES {
        assert!(
            plan.rows.iter().any(|r| r.category == c.name),
            "no row in {}",
            c.name
        );
        assert!(faq(c.faq).is_some(), "{} links to a missing FAQ", c.name);
    }
    for r in &plan.rows {
        assert!(
            category(&r.category).is_some(),
            "{} has an unknown category",
            r.item
        );
        assert!(!r.notes.is_empty());
    }
}

#[test]
fn faq_ids_are_unique_and_cover_the_seed_questions() {
    let ids: HashSet<_> = FAQ.iter().map(|f| f.id).collect();
    assert_eq!(ids.len(), FAQ.len());
    assert!(FAQ.len() >= 8);
    for q in [
        "background for days",
        "WebSockets or polling",
        "test sync reliability at scale",
        "right sync interval",
    ] {
        assert!(FAQ.iter().any(|f| f.question.contains(q)), "missing: {q}");
    }
}

#[test]
fn categories_match_case_insensitively() {
    assert_eq!(category(" battery ").unwrap().name, "Battery");
    assert!(category("Payments").is_none());
}

#[test]
fn every_answer_names_its_sources_as_safe_https_links() {
    for f in &FAQ {
        assert!(!f.sources.is_empty(), "{} has no source", f.id);
        for s in f.sources {
            assert!(
                !s.title.trim().is_empty(),
                "{}: a source without a title",
                f.id
            );
            assert_eq!(s.title, s.title.trim(), "{}: {:?}", f.id, s.title);
            assert!(s.url.starts_with("https://"), "{}: {}", f.id, s.url);
            // Safe in an href and inside Markdown's (...) without escaping.
            assert!(
                !s.url
                    .chars()
                    .any(|c| c.is_whitespace() || "()<>\"'[]`".contains(c)),
                "{}: {}",
                f.id,
                s.url
            );
        }
    }
}

#[test]
fn answers_close_every_code_span() {
    for f in &FAQ {
        for p in f.answer {
            assert_eq!(p.matches('`').count() % 2, 0, "{}: {p}", f.id);
        }
    }
}

#[test]
fn the_checked_date_reads_the_same_everywhere() {
    assert_eq!(content_checked_label(), "6 Dec 2026");
    assert_eq!(human_date("2027-01-05").as_deref(), Some("5 Jan 2027"));
    for bad in [
        "",
        "2026-11",
        "2026-13-01",
        "2026-00-10",
        "2026-11-32",
        "2026-11-00",
        "26-11-27",
        "2026-1-27",
        "+026-11-27",
        "2026-11-27-01",
        "2026/11/27",
    ] {
        assert_eq!(human_date(bad), None, "{bad:?}");
    }
}

// ----- the corrections of the 2026-11 content check stay corrected -----

#[test]
fn deltas_follow_a_server_token_not_a_timestamp() {
    assert!(row_text("t12").contains("sync token"));
    assert!(answer_text("faq-background-days").contains("sync token"));
    for (place, text) in all_texts() {
        if text.contains("lastSyncTimestamp") {
            // Only an answer that explains why a timestamp cursor fails may name it.
            assert!(
                !place.starts_with('t'),
                "{place} recommends lastSyncTimestamp"
            );
            assert!(
                text.contains("token") && text.contains("loses rows"),
                "{place}: {text}"
            );
        }
    }
}

#[test]
fn workmanager_is_not_credited_with_jitter() {
    for (place, text) in all_texts() {
        assert!(!text.contains("randomised interval"), "{place}");
        assert!(!text.contains("randomized interval"), "{place}");
        if text.contains("BackoffPolicy") {
            assert!(text.contains("no randomness"), "{place}: {text}");
        }
    }
    let t16 = row_text("t16");
    for phrase in ["BackoffPolicy", "jitter", "Retry-After"] {
        assert!(t16.contains(phrase), "t16 lacks {phrase}");
    }
    assert!(answer_text("faq-battery").contains("Retry-After"));
}

#[test]
fn ios_refresh_is_rescheduled_at_the_start_of_a_run() {
    let t03 = row_text("t03");
    assert!(t03.contains("at the start of every run"));
    assert!(!t03.contains("end of every run"));
}

#[test]
fn ios_enforces_wifi_only_per_request() {
    for (place, text) in all_texts() {
        assert!(!text.contains("no Wi-Fi-only flag"), "{place}");
    }
    let t19 = row_text("t19");
    for phrase in [
        "allowsExpensiveNetworkAccess",
        "allowsConstrainedNetworkAccess",
        "isDiscretionary",
    ] {
        assert!(t19.contains(phrase), "t19 lacks {phrase}");
    }
}

#[test]
fn retries_are_made_safe_with_idempotency_keys() {
    for text in [row_text("t10"), answer_text("faq-queue")] {
        for phrase in [
            "idempotency key",
            "retention window",
            "strictly sequential per-client counter",
        ] {
            assert!(text.contains(phrase), "{phrase}: {text}");
        }
    }
    for (place, text) in all_texts() {
        assert!(!text.contains("last one it applied"), "{place}");
        assert!(!text.contains("last id it applied"), "{place}");
    }
}

#[test]
fn last_write_wins_names_whose_clock_decides() {
    for text in [row_text("t06"), answer_text("faq-conflicts")] {
        assert!(text.contains("hybrid logical clock"), "{text}");
        assert!(text.contains("server received"), "{text}");
        assert!(text.contains("never by"), "{text}");
    }
}

#[test]
fn reconnection_is_caught_with_a_network_constraint() {
    assert!(row_text("t01").contains("network constraint"));
    assert!(answer_text("faq-websockets").contains("network constraint"));
}

#[test]
fn local_data_stays_readable_to_background_sync() {
    let security = answer_text("faq-security");
    for phrase in [
        "completeUntilFirstUserAuthentication",
        "first unlock",
        "credential-encrypted",
        "Keychain",
        "Android Keystore",
        "pinning",
    ] {
        assert!(security.contains(phrase), "faq-security lacks {phrase}");
    }
    assert!(row_text("t31").contains("completeUntilFirstUserAuthentication"));
}

#[test]
fn ios_refresh_promises_no_count_or_duration() {
    let interval = answer_text("faq-interval");
    assert!(interval.contains("achievable on Android only"));
    assert!(interval.contains("publishes no number of background refreshes"));
    assert!(row_text("t03").contains("publishes no number of runs"));
    // Apple gives neither a count of refreshes nor a run time in the cited pages.
    for (place, text) in all_texts() {
        for phrase in ["few times a day", "few background refreshes", "30 seconds"] {
            if phrase == "30 seconds" && place == "faq-battery" {
                // WorkManager's default backoff, not an iOS run time.
                continue;
            }
            assert!(!text.contains(phrase), "{place}: {phrase}");
        }
    }
}

#[test]
fn silent_push_limits_are_given_for_both_platforms() {
    let t04 = row_text("t04");
    for phrase in [
        "Apple",
        "two or three an hour",
        "force-quit",
        "FCM",
        "may delay",
        "deprioritise",
    ] {
        assert!(t04.contains(phrase), "t04 lacks {phrase}");
    }
    let push = answer_text("faq-push");
    for phrase in [
        "apns-push-type: background",
        "apns-priority: 5",
        "two or three an hour",
        "whenever the app is in the background",
        "deprioritise",
    ] {
        assert!(push.contains(phrase), "faq-push lacks {phrase}");
    }
    // FCM may deprioritise such messages, judged over time; it does not always demote them.
    for (place, text) in all_texts() {
        assert!(!text.contains("demotes"), "{place}");
    }
}

#[test]
fn the_new_topics_have_rows_and_answers() {
    for (id, category, phrase) in [
        ("t28", "Platform constraints", "BGContinuedProcessingTask"),
        ("t29", "Observability", "Restricted battery setting"),
        ("t30", "Sync triggers", "apns-push-type"),
        ("t31", "Security", "Keystore"),
        ("t32", "Security", "backup pins"),
        ("t33", "Offline queue", "schema version"),
        ("t34", "Bandwidth", "ETag"),
        ("t35", "Observability", "getStopReason"),
        ("t36", "Sync triggers", "onDeletedMessages"),
        ("t37", "Sync triggers", "enqueueUniqueWork"),
        ("t38", "Platform constraints", "force-stop"),
        (
            "t39",
            "Platform constraints",
            "BGTaskSchedulerPermittedIdentifiers",
        ),
        ("t40", "Platform constraints", "OutOfQuotaPolicy"),
    ] {
        let row = ROWS.iter().find(|r| r.0 == id).expect("a new row");
        assert_eq!(row.2, category, "{id}");
        assert!(row.4.contains(phrase), "{id} lacks {phrase}");
        let answer = category_faq(category);
        assert!(faq(answer).is_some(), "{id}: {category} has no answer");
    }
    for (answer, phrase) in [
        ("faq-mechanism", "user-initiated data transfer"),
        ("faq-mechanism", "Service.onTimeout()"),
        ("faq-interval", "Which background mechanism"),
        ("faq-websockets", "set up push"),
        ("faq-observability", "isBackgroundRestricted()"),
        ("faq-observability", "Android vitals"),
        ("faq-security", "backup pins"),
        ("faq-queue", "schema version"),
        ("faq-bandwidth", "304 Not Modified"),
        ("faq-push", "onDeletedMessages"),
        ("faq-push", "collapse keys"),
        ("faq-websockets", "ExistingPeriodicWorkPolicy"),
        ("faq-testing", "simulate-launch"),
        (
            "faq-mechanism",
            "beginBackgroundTask(withName:expirationHandler:)",
        ),
        ("faq-mechanism", "SCHEDULE_EXACT_ALARM"),
        ("faq-bandwidth", "allowsUltraConstrainedNetworkAccess"),
    ] {
        assert!(
            answer_text(answer).contains(phrase),
            "{answer} lacks {phrase}"
        );
    }
}

pub(super) fn category_faq(name: &str) -> &'static str {
    category(name).expect("a template category").faq
}
