//! Corrections made when the content was checked against its sources stay corrected.

use super::super::*;
#[allow(unused_imports)]
use super::content::{all_texts, answer_text, category_faq, row_text, saved_row};
use std::collections::HashSet;

#[test]
fn discretionary_sessions_are_not_sold_as_wifi_only() {
    let t19 = row_text("t19");
    assert!(t19.contains("allowsCellularAccess"));
    assert!(t19.contains("does not keep a transfer off cellular"));
    let bandwidth = answer_text("faq-bandwidth");
    assert!(bandwidth.contains("only a scheduling hint"));
    assert!(!bandwidth.contains("by itself"));
}

#[test]
fn standby_buckets_bound_the_android_interval() {
    let interval = answer_text("faq-interval");
    for phrase in [
        "App Standby Buckets",
        "cannot choose its bucket",
        "10 minutes of jobs in 24 hours",
    ] {
        assert!(interval.contains(phrase), "faq-interval lacks {phrase}");
    }
    assert!(row_text("t02").contains("The system picks the bucket"));
}

#[test]
fn foreground_service_caps_say_whom_and_when() {
    let mechanism = answer_text("faq-mechanism");
    for text in [row_text("t28"), mechanism.clone()] {
        for phrase in ["Android 15", "mediaProcessing", "in the background"] {
            assert!(text.contains(phrase), "{phrase}: {text}");
        }
    }
    assert!(mechanism.contains("count starts again when the user interacts"));
}

#[test]
fn fcm_guidance_is_current() {
    let push = answer_text("faq-push");
    for phrase in [
        "AndroidConfigV2",
        "background_sync",
        "onBackgroundSyncReceived",
        "preview",
    ] {
        assert!(push.contains(phrase), "faq-push lacks {phrase}");
    }
    for f in &FAQ {
        for s in f.sources {
            assert!(!s.url.contains("/cloud-messaging/android/message-priority"));
            assert!(!s.url.ends_with("/cloud-messaging/android/receive"));
        }
    }
}

#[test]
fn idempotency_keys_outlive_the_offline_period() {
    for text in [row_text("t10"), answer_text("faq-queue")] {
        assert!(
            text.contains("longest offline period you support"),
            "{text}"
        );
    }
}

#[test]
fn conflict_ordering_admits_its_costs() {
    for text in [row_text("t06"), answer_text("faq-conflicts")] {
        for phrase in ["If-Match", "412", "clamp"] {
            assert!(text.contains(phrase), "{phrase}: {text}");
        }
    }
}

#[test]
fn keys_say_when_they_can_be_read() {
    for text in [row_text("t31"), answer_text("faq-security")] {
        for phrase in [
            "kSecAttrAccessibleWhenUnlocked",
            "kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly",
            "setUnlockedDeviceRequired",
        ] {
            assert!(text.contains(phrase), "{phrase}: {text}");
        }
    }
}

#[test]
fn stop_reasons_are_not_failures() {
    for text in [row_text("t35"), answer_text("faq-observability")] {
        assert!(text.contains("Result.failure()"), "{text}");
        assert!(text.contains("was not stopped"), "{text}");
    }
}

#[test]
fn a_force_quit_is_tested_as_a_catch_up() {
    let testing = answer_text("faq-testing");
    assert!(!testing.contains("force-quit the app, and check"));
    for phrase in ["simulate-launch", "next launch", "force-stop"] {
        assert!(testing.contains(phrase), "faq-testing lacks {phrase}");
    }
    assert!(row_text("t26").contains("catches up when the user next opens the app"));
    assert!(answer_text("faq-mechanism").contains("a force-quit by the user cancels them"));
}

#[test]
fn each_answer_cites_the_page_that_says_it() {
    let sources = |id: &str| faq(id).expect("an FAQ answer").sources;
    // Retry-After on 503 is RFC 9110's; RFC 6585 only defines 429.
    assert!(sources("faq-battery")
        .iter()
        .any(|s| s.url == RFC_HTTP_SEMANTICS.url));
    // The PowerSync page is about uploads, not sync tokens.
    assert!(sources("faq-background-days")
        .iter()
        .all(|s| s.url != POWERSYNC_WRITE_PATH.url));
    // Android says a backgrounded app gets no connectivity broadcast.
    assert!(sources("faq-websockets")
        .iter()
        .any(|s| s.url == ANDROID_BACKGROUND_OPTIMIZATION.url));
    // The client reset is Realm's, not Google Calendar's.
    assert!(sources("faq-integrity")
        .iter()
        .any(|s| s.url == REALM_CLIENT_RESET.url));
}

// ----- every fact in a row or an answer rests on an https source -----

/// Identifier-shaped words: an inner capital (`isDiscretionary`,
/// `WorkInfo.getStopReason`) or an underscore (`SCHEDULE_EXACT_ALARM`). Platform names
/// such as "iOS" are not code.
fn api_names(text: &str) -> Vec<&str> {
    const NOT_CODE: [&str; 5] = ["iOS", "iPadOS", "macOS", "iPhone", "iPad"];
    text.split(|c: char| c.is_whitespace() || c == '(' || c == '`')
        .map(|w| w.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .map(|w| w.strip_suffix("'s").unwrap_or(w))
        .filter(|w| !NOT_CODE.contains(w))
        .filter(|w| {
            w.contains('_')
                || w.as_bytes()
                    .windows(2)
                    .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase())
        })
        .collect()
}

/// Amounts with a unit ("15 minutes", "a 15-minute floor", "4 KB"), the unit spelled
/// one way, so a row and an answer that word them differently still match.
fn quantities(text: &str) -> Vec<(String, &'static str)> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '-' || c == '(' || c == ')')
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .filter(|pair| pair[0].bytes().all(|b| b.is_ascii_digit() || b == b','))
        .filter_map(|pair| unit(pair[1]).map(|u| (pair[0].replace(',', ""), u)))
        .collect()
}

fn unit(word: &str) -> Option<&'static str> {
    Some(match word.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "min" | "mins" | "minute" | "minutes" => "min",
        "h" | "hour" | "hours" => "h",
        "day" | "days" => "d",
        "week" | "weeks" => "w",
        "kb" => "KB",
        "byte" | "bytes" => "B",
        _ => return None,
    })
}

#[test]
fn the_fact_finders_read_code_and_amounts() {
    assert_eq!(
        api_names("Set isDiscretionary (or `allowsCellularAccess`) and WorkManager's quota"),
        ["isDiscretionary", "allowsCellularAccess", "WorkManager"]
    );
    assert_eq!(
        api_names("Call WorkInfo.getStopReason(), not SCHEDULE_EXACT_ALARM."),
        ["WorkInfo.getStopReason", "SCHEDULE_EXACT_ALARM"]
    );
    assert!(api_names("Sync on iOS and Android, over Wi-Fi, with If-None-Match").is_empty());
    assert_eq!(
        quantities("every 15 minutes, a 15-minute floor, 4 KB, 1,000 bytes"),
        [
            ("15".to_owned(), "min"),
            ("15".to_owned(), "min"),
            ("4".to_owned(), "KB"),
            ("1000".to_owned(), "B"),
        ]
    );
    assert!(quantities("Android 14, 1,000+ edits, 5+ devices, 410 Gone").is_empty());
}

/// Rows carry no links of their own: each points, through its category, at an FAQ answer,
/// and the answers carry the sources. So every code name or amount a row states must be
/// stated in an answer too, and every answer that states one must list https sources.
#[test]
fn every_fact_in_a_row_or_answer_has_an_https_source() {
    for f in &FAQ {
        let text = f.answer.join("\n");
        if !api_names(&text).is_empty() || !quantities(&text).is_empty() {
            assert!(
                !f.sources.is_empty(),
                "{} states facts without a source",
                f.id
            );
        }
        for s in f.sources {
            assert!(s.url.starts_with("https://"), "{}: {}", f.id, s.url);
        }
    }
    let answers = FAQ
        .iter()
        .map(|f| f.answer.join("\n"))
        .collect::<Vec<_>>()
        .join("\n");
    let stated = quantities(&answers);
    for &(id, item, category, _, notes) in &ROWS {
        let text = format!("{item}\n{notes}");
        let names = api_names(&text);
        let amounts = quantities(&text);
        if names.is_empty() && amounts.is_empty() {
            continue;
        }
        let answer = faq(category_faq(category)).expect("an FAQ answer");
        assert!(
            !answer.sources.is_empty(),
            "{id}: {} has no source",
            answer.id
        );
        for name in names {
            assert!(
                answers.contains(name),
                "{id} names {name}, which no sourced FAQ answer explains"
            );
        }
        for amount in amounts {
            assert!(
                stated.contains(&amount),
                "{id} states {amount:?}, which no sourced FAQ answer states"
            );
        }
    }
}

// ----- saved plans keep their text; old advice can be updated on request -----

/// Today's template row `id`.
fn current_row(id: &str) -> TemplateRow {
    *ROWS.iter().find(|r| r.0 == id).expect("a template row")
}

/// The oldest earlier advice of row `id`.
fn first_previous(id: &str) -> TemplateRow {
    *PREVIOUS_ROWS
        .iter()
        .find(|r| r.0 == id)
        .expect("an earlier version of the row")
}

#[test]
fn an_untouched_old_row_is_offered_the_current_advice() {
    let (_, item, category, _, notes) = first_previous("t10");
    let (_, new_item, _, _, new_notes) = current_row("t10");
    // Imported rows get new ids; priority, owner and status are the user's.
    let row = saved_row("r7", item, category, notes);
    let update = updated_advice(&row).expect("t10 changed");
    assert_eq!(update.item, new_item);
    assert_eq!(update.notes, new_notes);
    assert_eq!(update.category, None);
    // Once applied, nothing more is offered.
    let updated = Row {
        item: update.item.into(),
        notes: update.notes.into(),
        ..row
    };
    assert_eq!(updated_advice(&updated), None);
}

#[test]
fn an_edited_old_row_is_the_users_and_left_alone() {
    let (id, item, category, _, notes) = first_previous("t10");
    let edited_notes = saved_row(id, item, category, &format!("{notes} Ask Ana."));
    assert_eq!(updated_advice(&edited_notes), None);
    let edited_item = saved_row(id, &format!("{item}!"), category, notes);
    assert_eq!(updated_advice(&edited_item), None);
}

#[test]
fn current_and_unchanged_rows_need_no_update() {
    for row in default_plan().rows {
        assert_eq!(updated_advice(&row), None, "{}", row.id);
    }
    // Only advice that differs from today's is kept, each text once.
    for &(id, item, _, _, notes) in &PREVIOUS_ROWS {
        let (_, new_item, _, _, new_notes) = current_row(id);
        assert_ne!((item, notes), (new_item, new_notes), "{id} reads as today");
    }
    let texts: HashSet<_> = PREVIOUS_ROWS.iter().map(|r| (r.1, r.4)).collect();
    assert_eq!(texts.len(), PREVIOUS_ROWS.len());
}

#[test]
fn every_earlier_version_is_offered_todays_advice() {
    for &(id, item, category, _, notes) in &PREVIOUS_ROWS {
        let update = updated_advice(&saved_row(id, item, category, notes))
            .unwrap_or_else(|| panic!("{id} is not offered an update: {notes}"));
        let (_, new_item, _, _, new_notes) = current_row(id);
        assert_eq!((update.item, update.notes), (new_item, new_notes), "{id}");
    }
    let ids: Vec<_> = PREVIOUS_ROWS.iter().map(|r| r.0).collect();
    assert_eq!(
        ids,
        [
            // Until 2026-11-27.
            "t01", "t02", "t03", "t04", "t06", "t10", "t12", "t13", "t16", "t19", "t26",
            // From 2026-11-27 until 2026-12-06.
            "t03", "t04", "t06", "t10", "t13", "t19", "t28", "t30", "t31", "t35",
        ]
    );
}

#[test]
fn a_moved_topic_moves_the_row_only_from_its_old_category() {
    let previous = [("t01", "Old item", "Battery", Priority::P1, "Old note")];
    let current = [("t01", "New item", "Bandwidth", Priority::P0, "New note")];
    let untouched = saved_row("x", "Old item", "Battery", "Old note");
    assert_eq!(
        advice_between(
            &untouched.item,
            &untouched.notes,
            &untouched.category,
            &previous,
            &current
        ),
        Some(AdviceUpdate {
            item: "New item",
            notes: "New note",
            category: Some("Bandwidth"),
        })
    );
    let recategorised = saved_row("x", "Old item", "Security", "Old note");
    assert_eq!(
        advice_between(
            &recategorised.item,
            &recategorised.notes,
            &recategorised.category,
            &previous,
            &current
        )
        .map(|u| u.category),
        Some(None)
    );
}
