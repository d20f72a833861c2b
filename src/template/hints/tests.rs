use super::*;

fn rules(text: &str) -> Vec<&'static str> {
    hints_for(&[text]).into_iter().map(|h| h.rule).collect()
}

fn shortest(text: &str) -> Option<f64> {
    find_intervals(&tokenize(text))
        .into_iter()
        .map(|i| i.secs)
        .reduce(f64::min)
}

#[test]
fn the_cheap_exit_skips_only_text_without_intervals() {
    assert!(has_number_with_unit("a 5-minute interval"));
    assert!(has_number_with_unit("30s polling"));
    assert!(has_number_with_unit("every 2.5 hours"));
    assert!(!has_number_with_unit("row 12: plan the sync step"));
    assert!(!has_number_with_unit("Android 14+ and iOS 17"));
    assert!(hints_for(&["Checklist item 12: plan the sync step", "Notes for row 12"]).is_empty());
    assert!(!hints_for(&["a 5-minute sync in the background"]).is_empty());
}

#[test]
fn tells_retry_schedules_from_repeat_schedules() {
    let retries = |text: &str| {
        find_intervals(&tokenize(text))
            .into_iter()
            .map(|i| i.retry)
            .collect::<Vec<_>>()
    };
    assert_eq!(retries("retry every 30 s"), [true]);
    assert_eq!(retries("Retries: every 10 seconds"), [true]);
    assert_eq!(retries("back off every 2 min"), [true]);
    assert_eq!(retries("sync every 5 min"), [false]);
    assert_eq!(retries("check back every 5 min"), [false]);
    assert_eq!(retries("retry once; later, sync every 5 min"), [false]);
}

#[test]
fn reads_the_ways_people_write_intervals() {
    assert_eq!(shortest("Sync every 5 min"), Some(300.0));
    assert_eq!(shortest("sync every 5min"), Some(300.0));
    assert_eq!(shortest("Poll EVERY 30s"), Some(30.0));
    assert_eq!(shortest("every 1.5 hours"), Some(5400.0));
    assert_eq!(shortest("every 2,5 minutes"), Some(150.0));
    assert_eq!(shortest("every 0.25 hours"), Some(900.0));
    assert_eq!(shortest("every 1.5.5 min"), None);
    assert_eq!(shortest("every five minutes"), Some(300.0));
    assert_eq!(shortest("every 5–10 minutes"), Some(300.0));
    assert_eq!(shortest("every 10 to 20 min"), Some(600.0));
    assert_eq!(shortest("every minute"), Some(60.0));
    assert_eq!(shortest("every few minutes"), Some(180.0));
    assert_eq!(shortest("every couple of hours"), Some(7200.0));
    assert_eq!(shortest("once a minute"), Some(60.0));
    assert_eq!(shortest("4 times an hour"), Some(900.0));
    assert_eq!(shortest("twice per hour"), Some(1800.0));
    assert_eq!(shortest("use a 5-minute interval"), Some(300.0));
    assert_eq!(shortest("10 min polling"), Some(600.0));
}

#[test]
fn ignores_numbers_that_are_not_intervals() {
    assert_eq!(shortest("Give each mutation a client id"), None);
    assert_eq!(shortest("about 10 minutes of jobs per day"), None);
    assert_eq!(shortest("the same record edited on 5+ devices"), None);
    assert_eq!(shortest("at the end of every run"), None);
    assert_eq!(shortest("0 times a minute"), None);
    assert_eq!(shortest(""), None);
}

#[test]
fn android_minimum_fires_below_15_minutes_in_the_background() {
    assert_eq!(
        rules("Android: WorkManager job every 10 minutes"),
        ["android-periodic-minimum"]
    );
    assert!(rules("Android: sync every 15 min").is_empty());
    assert!(rules("Android: sync every 30 minutes").is_empty());
    assert!(rules("In the foreground, poll every 30 seconds").is_empty());
    assert!(rules("Keep a WebSocket open and ping every 20 s").is_empty());
}

#[test]
fn android_minimum_leaves_retry_schedules_alone() {
    // Retries follow WorkManager's backoff (10 s at the least) or the app's own timers.
    assert!(rules("Android: retry every 30 s").is_empty());
    assert!(rules("Android: WorkManager retries every 30 seconds, then backs off").is_empty());
    assert!(rules("Android: back off every 2 min after a failure").is_empty());
    // A periodic job in the same row is still held to the minimum.
    assert_eq!(
        rules("Android: sync every 5 min, and retry a failure at once"),
        ["android-periodic-minimum"]
    );
    let hints = hints_for(&["Android: retry every 30 s; sync every 5 min"]);
    assert_eq!(hints.len(), 1);
    assert_eq!(hints[0].phrase, "every 5 min");
    // A row naming no platform still gets iOS's caveat: iOS grants no time for retries in
    // the background either.
    assert_eq!(rules("retry every 30 s"), ["ios-refresh-not-guaranteed"]);
}

#[test]
fn ios_rows_are_told_that_timing_is_not_guaranteed() {
    assert_eq!(
        rules("iOS: BGAppRefreshTask every 30 minutes"),
        ["ios-refresh-not-guaranteed"]
    );
    // Named iOS only: the Android minimum does not apply.
    assert_eq!(
        rules("Refresh the iPhone app every 5 min"),
        ["ios-refresh-not-guaranteed"]
    );
    // Both platforms named: both limits apply.
    assert_eq!(
        rules("Android and iOS: sync every 5 min"),
        ["android-periodic-minimum", "ios-refresh-not-guaranteed"]
    );
    // A daily schedule is what iOS grants anyway.
    assert!(rules("iOS: refresh the catalogue once a day").is_empty());
    assert!(rules("iOS: back up every 2 days").is_empty());
    // "scenarios" and "radios" are not iOS: the row names Android only.
    assert_eq!(
        rules("Android: test scenarios and radios every 10 min"),
        ["android-periodic-minimum"]
    );
}

#[test]
fn a_row_naming_no_platform_gets_the_limits_of_both() {
    assert_eq!(
        rules("Sync every 5 min"),
        ["android-periodic-minimum", "ios-refresh-not-guaranteed"]
    );
    // Fine on Android, a wish on iOS.
    assert_eq!(
        rules("Sync every 30 minutes"),
        ["ios-refresh-not-guaranteed"]
    );
    assert_eq!(rules("Sync every 15 min"), ["ios-refresh-not-guaranteed"]);
    assert_eq!(
        rules("Refresh 4 times an hour"),
        ["ios-refresh-not-guaranteed"]
    );
    assert!(rules("Sync once a day").is_empty());
    assert!(rules("Rotate the keys every 90 days").is_empty());
    let hints = hints_for(&["Sync every 30 minutes"]);
    assert!(hints[0].message.contains("promises no number of runs"));
    assert!(!hints[0].message.contains("a few refreshes a day"));
}

#[test]
fn silent_push_schedules_get_the_named_platforms_reason() {
    // No platform named: one message covering both.
    assert_eq!(
        rules("Send a silent push every 5 minutes to wake the app"),
        ["silent-push-throttled"]
    );
    assert_eq!(
        rules("Silent push every 10 min, in the foreground too"),
        ["silent-push-throttled"]
    );
    assert_eq!(
        rules("Android and iOS: silent push every 5 min"),
        ["silent-push-throttled"]
    );
    // One platform named: that platform's own reason.
    assert_eq!(
        rules("iOS: silent push every 10 minutes"),
        ["silent-push-apple-budget"]
    );
    assert_eq!(
        rules("APNs background notification every 5 min"),
        ["silent-push-apple-budget"]
    );
    assert_eq!(
        rules("Android: FCM data message every 5 min to trigger sync"),
        ["silent-push-fcm-priority"]
    );
    // A push now and then is a nudge, not a schedule.
    assert!(rules("Silent push once an hour").is_empty());
    assert!(rules("Android: silent push once an hour").is_empty());
}

#[test]
fn push_messages_speak_of_the_right_platform() {
    let message = |id: &str| {
        HINT_RULES
            .iter()
            .find(|r| r.id == id)
            .expect("a push rule")
            .message
    };
    let apple = message("silent-push-apple-budget");
    assert!(apple.contains("Apple") && apple.contains("force-quit"));
    assert!(!apple.contains("FCM"));
    assert!(apple.contains("no more than two or three an hour"));
    assert!(apple.contains("may deliver fewer"));
    let fcm = message("silent-push-fcm-priority");
    assert!(fcm.contains("FCM") && fcm.contains("may delay") && fcm.contains("deprioritise"));
    assert!(!fcm.contains("Apple"));
    let both = message("silent-push-throttled");
    for phrase in [
        "Apple",
        "no more than two or three an hour",
        "force-quit",
        "FCM",
        "deprioritise",
    ] {
        assert!(both.contains(phrase), "{phrase}");
    }
    for rule in &HINT_RULES {
        assert!(!rule.message.contains("a few an hour"), "{}", rule.id);
        assert!(!rule.message.contains("demotes"), "{}", rule.id);
    }
}

#[test]
fn platform_filters_split_rows_as_documented() {
    use Platform::*;
    // (names Android, names iOS) for: neither, Android only, iOS only, both.
    let rows = [(false, false), (true, false), (false, true), (true, true)];
    let covered = |p: Platform| rows.map(|(a, i)| p.covers(a, i));
    assert_eq!(covered(Android), [true, true, false, true]);
    assert_eq!(covered(Ios), [true, false, true, true]);
    assert_eq!(covered(AndroidOnly), [false, true, false, false]);
    assert_eq!(covered(IosOnly), [false, false, true, false]);
    assert_eq!(covered(BothOrNeither), [true, false, false, true]);
}

#[test]
fn a_hint_quotes_the_rows_words_and_links_the_faq() {
    let hints = hints_for(&["Poll the server", "Every 5 Min while in the background"]);
    assert_eq!(hints.len(), 2);
    assert!(hints.iter().all(|h| h.phrase == "Every 5 Min"));
    assert!(hints.iter().all(|h| h.faq == "faq-interval"));
    assert!(hints[0].text().starts_with("“Every 5 Min”: Android runs"));
    assert!(hints[1].text().starts_with("“Every 5 Min”: iOS decides"));
    assert!(crate::template::faq(hints[0].faq).is_some());
}

#[test]
fn every_rule_links_an_existing_faq_answer() {
    for rule in &HINT_RULES {
        assert!(crate::template::faq(rule.faq).is_some(), "{}", rule.id);
    }
}

#[test]
fn the_template_itself_triggers_no_hint() {
    for row in crate::template::default_plan().rows {
        assert!(
            hints_for(&[&row.item, &row.notes]).is_empty(),
            "{}: {:?}",
            row.item,
            hints_for(&[&row.item, &row.notes])
        );
    }
}

#[test]
fn odd_text_does_not_panic() {
    for text in [
        "every",
        "every 5",
        "5",
        "times",
        "3 times",
        "once a",
        "every 9999999999999999999999 s",
        "every 1.1234567 min",
        "é every ½ min ∞",
        "every 1.5.5 min",
    ] {
        let _ = hints_for(&[text]);
    }
}
