//! The Background Sync template as data: its categories, the expert checklist every new
//! plan starts from, the FAQ shown beside the table with the sources behind each answer, and
//! the advice earlier versions shipped, so saved plans can be offered the current text.

use crate::model::{Plan, Priority, Row, RowId, Status, DEFAULT_TITLE};

mod hints;

pub use hints::{hints_for, Hint, HintRule, Platform, HINT_RULES};

pub const PAGE_TITLE: &str = "Background sync planning template";
pub const INTRO: &str = "Plan reliable background sync for your mobile app. The checklist \
covers sync triggers, conflict resolution, the offline queue, bandwidth, battery and platform \
limits. Edit any cell: every change is saved in this browser.";

/// The day the rows and the FAQ were last checked against their sources (ISO 8601).
pub const CONTENT_CHECKED: &str = "2026-11-27";

/// What the content was checked against, as the page and the Markdown export say it.
pub const CHECKED_AGAINST: &str = "Android, Apple and Firebase documentation";

/// [`CONTENT_CHECKED`] as people read it, "27 Nov 2026": plain string work, so the server
/// and the browser render the same text.
pub fn content_checked_label() -> String {
    human_date(CONTENT_CHECKED).expect("CONTENT_CHECKED is a YYYY-MM-DD date")
}

/// "2026-11-27" → "27 Nov 2026"; `None` for anything that is not a YYYY-MM-DD date.
fn human_date(iso: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    let mut parts = iso.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !digits(year, 4) || !digits(month, 2) || !digits(day, 2) {
        return None;
    }
    let month: usize = month.parse().ok()?;
    let day: u8 = day.parse().ok()?;
    let name = MONTHS.get(month.checked_sub(1)?)?;
    (1..=31)
        .contains(&day)
        .then(|| format!("{day} {name} {year}"))
}

/// A checklist category and the FAQ answer that helps with it.
#[derive(Clone, Copy, Debug)]
pub struct Category {
    pub name: &'static str,
    pub faq: &'static str,
}

pub const CATEGORIES: [Category; 10] = [
    Category {
        name: "Sync triggers",
        faq: "faq-websockets",
    },
    Category {
        name: "Conflict resolution",
        faq: "faq-conflicts",
    },
    Category {
        name: "Offline queue",
        faq: "faq-queue",
    },
    Category {
        name: "Bandwidth",
        faq: "faq-bandwidth",
    },
    Category {
        name: "Battery",
        faq: "faq-battery",
    },
    Category {
        name: "Platform constraints",
        faq: "faq-interval",
    },
    Category {
        name: "Data integrity",
        faq: "faq-integrity",
    },
    Category {
        name: "Security",
        faq: "faq-security",
    },
    Category {
        name: "Testing",
        faq: "faq-testing",
    },
    Category {
        name: "Observability",
        faq: "faq-observability",
    },
];

/// The template category whose name matches `name` (ignoring case and outer spaces).
pub fn category(name: &str) -> Option<&'static Category> {
    let name = name.trim();
    CATEGORIES
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name))
}

/// The template's category names, in order: what every plan should cover.
pub fn category_names() -> [&'static str; 10] {
    CATEGORIES.map(|c| c.name)
}

/// One checklist row of the template: id, item, category, priority, note.
type TemplateRow = (
    &'static str,
    &'static str,
    &'static str,
    Priority,
    &'static str,
);

/// The checklist. Ids t01–t27 keep the topics of the first template, so a saved row can be
/// matched to its current advice; rows added later take the next ids.
const ROWS: [TemplateRow; 35] = [
    (
        "t01",
        "Map every sync trigger",
        "Sync triggers",
        Priority::P0,
        "List when sync runs: app comes to the foreground, a local write (debounced), the network \
      comes back while the app runs, a periodic job, a server push. A backgrounded app is not \
      woken when the network returns: give the sync job a network constraint (WorkManager \
      NetworkType.CONNECTED) so it runs once a connection is there.",
    ),
    (
        "t02",
        "Schedule Android periodic sync with WorkManager",
        "Platform constraints",
        Priority::P1,
        "PeriodicWorkRequest runs at most every 15 minutes, at an inexact time, and Doze can hold \
      it back further. Never promise users a tighter interval.",
    ),
    (
        "t03",
        "Schedule iOS background refresh (BGAppRefreshTask)",
        "Platform constraints",
        Priority::P1,
        "Submit the next request at the start of every run, so a run that expires still leaves \
      one scheduled. earliestBeginDate is only a floor: iOS picks the moment, gives the task \
      about 30 seconds, may run it only a few times a day, and never runs it after a force-quit, \
      in Low Power Mode or with Background App Refresh off.",
    ),
    (
        "t04",
        "Treat silent push as a nudge, not a delivery channel",
        "Sync triggers",
        Priority::P2,
        "Apple's budget for silent pushes changes with conditions (send at most 2–3 an hour) and \
      none arrive after a force-quit; FCM holds normal-priority messages in Doze and demotes \
      high-priority ones that show no notification. The push only says that something changed; \
      the app then pulls the data.",
    ),
    (
        "t05",
        "Make the sync interval a server-side setting",
        "Sync triggers",
        Priority::P1,
        "Ship the interval in remote config so you can slow sync down or speed it up without \
      waiting for an app release.",
    ),
    (
        "t06",
        "Write down the conflict policy for each field",
        "Conflict resolution",
        Priority::P0,
        "Default to last-write-wins per field, not per record, ordered by the time the server \
      received the write or by a hybrid logical clock, never by the device's own clock. Let a \
      delete beat a concurrent edit, and get product sign-off on every exception.",
    ),
    (
        "t07",
        "Merge counters and lists as operations",
        "Conflict resolution",
        Priority::P1,
        "Send \"add 3\" or \"append item\" rather than the new total, so two offline devices do \
      not overwrite each other's changes.",
    ),
    (
        "t08",
        "Keep CRDTs for truly collaborative data",
        "Conflict resolution",
        Priority::P2,
        "Automerge or Yjs earn their cost for documents several people edit live. Most app data \
      is fine with per-field rules.",
    ),
    (
        "t09",
        "Keep a persistent, ordered upload queue",
        "Offline queue",
        Priority::P0,
        "Store pending writes on disk in the order they happened, grouped by transaction, so a \
      crash or a force-quit never loses or reorders them.",
    ),
    (
        "t10",
        "Make every upload safe to retry",
        "Offline queue",
        Priority::P0,
        "Give each mutation a client-generated idempotency key; the server stores the keys it \
      applied, with their results, for a retention window (Stripe keeps them at least a day) \
      and answers a repeat with the stored result. Or number mutations with a strictly \
      sequential per-client counter with no gaps: keeping only the newest id drops a parked \
      write that is retried later.",
    ),
    (
        "t11",
        "Acknowledge a write only after the server applied it",
        "Offline queue",
        Priority::P1,
        "Remove an item from the queue only when the server confirms it. Park a rejected write \
      with its error instead of blocking everything queued behind it.",
    ),
    (
        "t12",
        "Sync deltas from a server sync token, with a full-sync fallback",
        "Data integrity",
        Priority::P0,
        "Ask for changes since the opaque sync token the server issued last, deletions \
      (tombstones) included; a device or row timestamp misses late commits and skewed clocks. \
      When the server answers \"full sync required\" (e.g. 410 Gone past its retention), \
      re-sync in pages, newest data first, without freezing the UI.",
    ),
    (
        "t13",
        "Honour Low Data Mode and metered networks",
        "Bandwidth",
        Priority::P1,
        "iOS: set allowsConstrainedNetworkAccess and allowsExpensiveNetworkAccess to false for \
      bulk transfers. Android: NetworkType.UNMETERED for large transfers. Defer big downloads \
      to Wi-Fi.",
    ),
    (
        "t14",
        "Resume large transfers instead of restarting them",
        "Bandwidth",
        Priority::P1,
        "Background windows are short: move data in chunks with offsets so every window makes \
      progress.",
    ),
    (
        "t15",
        "Run heavy sync only on power or a healthy battery",
        "Battery",
        Priority::P1,
        "iOS: BGProcessingTask with requiresExternalPower. Android: WorkManager constraints \
      setRequiresCharging and setRequiresBatteryNotLow.",
    ),
    (
        "t16",
        "Back off exponentially, with jitter",
        "Battery",
        Priority::P0,
        "Let WorkManager's exponential BackoffPolicy space out job retries (it adds no \
      randomness of its own), add random jitter to the retries your own code makes, and honour \
      Retry-After on 429 and 503, so an outage neither drains batteries nor stampedes the API \
      when it recovers.",
    ),
    (
        "t17",
        "Use WebSockets only in the foreground",
        "Battery",
        Priority::P1,
        "Keep a socket open while the app is visible; in the background rely on push plus a pull \
      when the app comes back.",
    ),
    (
        "t18",
        "Design for sync that arrives hours late",
        "Platform constraints",
        Priority::P1,
        "Doze and App Standby buckets delay jobs; an app in the rare bucket gets about 10 minutes \
      of jobs a day. Show stale data honestly.",
    ),
    (
        "t19",
        "Enforce Wi-Fi-only transfers on iOS per request",
        "Platform constraints",
        Priority::P2,
        "Set allowsExpensiveNetworkAccess and allowsConstrainedNetworkAccess to false on the \
      URLSession configuration or request, or use a discretionary background session \
      (isDiscretionary), so the rule holds when the phone changes networks. A one-time check \
      of the network when the task starts goes stale.",
    ),
    (
        "t20",
        "Apply each server batch atomically",
        "Data integrity",
        Priority::P0,
        "Write a downloaded batch in one local transaction, so the client is never left with \
      half of it.",
    ),
    (
        "t21",
        "Verify data once sync settles",
        "Data integrity",
        Priority::P1,
        "Compare checksums or row counts between client and server after sync; log and alert on \
      any mismatch.",
    ),
    (
        "t22",
        "Plan the client reset path",
        "Data integrity",
        Priority::P1,
        "When the server can no longer reconcile a client, back up its unsynced changes first, \
      then recover or discard them. Never drop them silently.",
    ),
    (
        "t23",
        "Authenticate and authorise every uploaded write",
        "Security",
        Priority::P0,
        "Check each queued mutation against the user's current permissions: a write queued \
      offline may no longer be allowed when it arrives.",
    ),
    (
        "t24",
        "Scope downloaded data to each user",
        "Security",
        Priority::P1,
        "Sync rules decide which records a device receives. Never send data and rely on the app \
      to hide it.",
    ),
    (
        "t25",
        "Build a sync test harness",
        "Testing",
        Priority::P0,
        "Automate 1,000+ offline edits syncing at once, the same record edited on 5+ devices, and \
      the network cut mid-sync. Measure completion time, conflict rate and checksums.",
    ),
    (
        "t26",
        "Test under real OS restrictions",
        "Testing",
        Priority::P1,
        "Force Doze and standby buckets with adb, switch on Low Power Mode and Low Data Mode, and \
      check that sync still completes and catches up.",
    ),
    (
        "t27",
        "Show and measure sync health",
        "Observability",
        Priority::P1,
        "Send last successful sync, queue depth, errors and retries to telemetry, and show users \
      a \"last synced\" time.",
    ),
    (
        "t28",
        "Pick the background mechanism for each sync job",
        "Platform constraints",
        Priority::P1,
        "Android: expedited work for short urgent jobs, user-initiated data transfer jobs for big \
      transfers the user starts (Android 14+), and no long dataSync foreground services (capped \
      at 6 hours in 24 from Android 15; jobs beside them still use the job quota from Android \
      16). iOS: a background URLSession for large transfers (resumable uploads from iOS 17) and \
      BGContinuedProcessingTask for long work the user starts (iOS 26).",
    ),
    (
        "t29",
        "Detect and show the switches that turn sync off",
        "Observability",
        Priority::P1,
        "Read Background App Refresh (backgroundRefreshStatus), Low Power Mode, Android's \
      Restricted battery setting (isBackgroundRestricted) and Data Saver \
      (getRestrictBackgroundStatus), and tell users in the app what each one costs them. A \
      force-quit stops background sync on iOS until the app is opened again, so show the last \
      sync time too.",
    ),
    (
        "t30",
        "Set up push for sync on both platforms",
        "Sync triggers",
        Priority::P2,
        "iOS: enable the Remote notifications background mode and send content-available with \
      the headers apns-push-type background and apns-priority 5. Android: send FCM data \
      messages at normal priority and hand the sync to WorkManager from onMessageReceived. \
      Send the device token to your server at every launch.",
    ),
    (
        "t31",
        "Encrypt local data so background sync can still read it",
        "Security",
        Priority::P1,
        "Full file protection locks the store while the phone is locked, so background tasks \
      fail: use completeUntilFirstUserAuthentication on iOS and Android's default \
      credential-encrypted storage, and keep the keys in the Keychain or the Android Keystore.",
    ),
    (
        "t32",
        "Use HTTPS only, and pin certificates only with a rotation plan",
        "Security",
        Priority::P1,
        "Refuse cleartext traffic (App Transport Security, Android network security config). \
      Apple advises against pinning in most apps; if you must pin, pin the CA or public key, \
      ship backup pins with an expiry, and plan how to rotate them before old app versions \
      stop syncing.",
    ),
    (
        "t33",
        "Version queued mutations and the sync schema",
        "Offline queue",
        Priority::P1,
        "Writes queued offline can reach the server after a release changed the API: tag each \
      mutation with its schema version and keep the server accepting or migrating old versions \
      until those queues have drained.",
    ),
    (
        "t34",
        "Use conditional requests for unchanged data",
        "Bandwidth",
        Priority::P2,
        "Send If-None-Match with the stored ETag; the server answers 304 Not Modified, with no \
      body, when nothing changed (RFC 9110).",
    ),
    (
        "t35",
        "Log why the OS stopped your sync jobs",
        "Observability",
        Priority::P1,
        "Record WorkInfo.getStopReason (JobParameters.getStopReason for JobScheduler jobs) with \
      failed runs, and watch Android vitals' excessive partial wake locks metric: it can lower \
      your app's visibility on Google Play.",
    ),
];

/// The checklist as it shipped until the content check of 2026-11-27, word for word: a saved
/// row that still holds one of these is offered the current advice (see [`updated_advice`]).
/// Never edit these; when the rows change again, add the outgoing text as another table.
const PREVIOUS_ROWS: [TemplateRow; 27] = [
    (
        "t01",
        "Map every sync trigger",
        "Sync triggers",
        Priority::P0,
        "List when sync runs: app comes to the foreground, a local write (debounced), the network \
      comes back, a periodic job, a server push. Note what each one sends and fetches.",
    ),
    (
        "t02",
        "Schedule Android periodic sync with WorkManager",
        "Platform constraints",
        Priority::P1,
        "PeriodicWorkRequest runs at most every 15 minutes, at an inexact time, and Doze can hold \
      it back further. Never promise users a tighter interval.",
    ),
    (
        "t03",
        "Schedule iOS background refresh (BGAppRefreshTask)",
        "Platform constraints",
        Priority::P1,
        "Submit a new request at the end of every run. earliestBeginDate is only a floor: iOS \
      picks the moment, and the task gets roughly 30 seconds.",
    ),
    (
        "t04",
        "Treat silent push as a nudge, not a delivery channel",
        "Sync triggers",
        Priority::P2,
        "Apple throttles background pushes (about 2-3 an hour) and may drop them. The push only \
      says that something changed; the app then pulls the data.",
    ),
    (
        "t05",
        "Make the sync interval a server-side setting",
        "Sync triggers",
        Priority::P1,
        "Ship the interval in remote config so you can slow sync down or speed it up without \
      waiting for an app release.",
    ),
    (
        "t06",
        "Write down the conflict policy for each field",
        "Conflict resolution",
        Priority::P0,
        "Default to last-write-wins per field, not per record, and let a delete beat a concurrent \
      edit. Get product sign-off on every exception.",
    ),
    (
        "t07",
        "Merge counters and lists as operations",
        "Conflict resolution",
        Priority::P1,
        "Send \"add 3\" or \"append item\" rather than the new total, so two offline devices do \
      not overwrite each other's changes.",
    ),
    (
        "t08",
        "Keep CRDTs for truly collaborative data",
        "Conflict resolution",
        Priority::P2,
        "Automerge or Yjs earn their cost for documents several people edit live. Most app data \
      is fine with per-field rules.",
    ),
    (
        "t09",
        "Keep a persistent, ordered upload queue",
        "Offline queue",
        Priority::P0,
        "Store pending writes on disk in the order they happened, grouped by transaction, so a \
      crash or a force-quit never loses or reorders them.",
    ),
    (
        "t10",
        "Make every upload safe to retry",
        "Offline queue",
        Priority::P0,
        "Give each mutation a client-generated id; the server remembers the last one it applied \
      for each client and ignores repeats.",
    ),
    (
        "t11",
        "Acknowledge a write only after the server applied it",
        "Offline queue",
        Priority::P1,
        "Remove an item from the queue only when the server confirms it. Park a rejected write \
      with its error instead of blocking everything queued behind it.",
    ),
    (
        "t12",
        "Sync deltas from a cursor, with a full-sync fallback",
        "Data integrity",
        Priority::P0,
        "Ask for changes since lastSyncTimestamp. When the server answers \"full sync required\", \
      re-sync in pages, newest data first, without freezing the UI.",
    ),
    (
        "t13",
        "Honour Low Data Mode and metered networks",
        "Bandwidth",
        Priority::P1,
        "iOS: allowsConstrainedNetworkAccess and allowsExpensiveNetworkAccess. Android: \
      NetworkType.UNMETERED for large transfers. Defer big downloads to Wi-Fi.",
    ),
    (
        "t14",
        "Resume large transfers instead of restarting them",
        "Bandwidth",
        Priority::P1,
        "Background windows are short: move data in chunks with offsets so every window makes \
      progress.",
    ),
    (
        "t15",
        "Run heavy sync only on power or a healthy battery",
        "Battery",
        Priority::P1,
        "iOS: BGProcessingTask with requiresExternalPower. Android: WorkManager constraints \
      setRequiresCharging and setRequiresBatteryNotLow.",
    ),
    (
        "t16",
        "Back off exponentially, with jitter",
        "Battery",
        Priority::P0,
        "Retry failed syncs at growing, randomised intervals (WorkManager BackoffPolicy) so an \
      outage neither drains batteries nor stampedes the API when it recovers.",
    ),
    (
        "t17",
        "Use WebSockets only in the foreground",
        "Battery",
        Priority::P1,
        "Keep a socket open while the app is visible; in the background rely on push plus a pull \
      when the app comes back.",
    ),
    (
        "t18",
        "Design for sync that arrives hours late",
        "Platform constraints",
        Priority::P1,
        "Doze and App Standby buckets delay jobs; an app in the rare bucket gets about 10 minutes \
      of jobs a day. Show stale data honestly.",
    ),
    (
        "t19",
        "Check the network inside iOS background tasks",
        "Platform constraints",
        Priority::P2,
        "iOS has no Wi-Fi-only flag for background tasks: check the current path when the task \
      starts and skip heavy work on cellular.",
    ),
    (
        "t20",
        "Apply each server batch atomically",
        "Data integrity",
        Priority::P0,
        "Write a downloaded batch in one local transaction, so the client is never left with \
      half of it.",
    ),
    (
        "t21",
        "Verify data once sync settles",
        "Data integrity",
        Priority::P1,
        "Compare checksums or row counts between client and server after sync; log and alert on \
      any mismatch.",
    ),
    (
        "t22",
        "Plan the client reset path",
        "Data integrity",
        Priority::P1,
        "When the server can no longer reconcile a client, back up its unsynced changes first, \
      then recover or discard them. Never drop them silently.",
    ),
    (
        "t23",
        "Authenticate and authorise every uploaded write",
        "Security",
        Priority::P0,
        "Check each queued mutation against the user's current permissions: a write queued \
      offline may no longer be allowed when it arrives.",
    ),
    (
        "t24",
        "Scope downloaded data to each user",
        "Security",
        Priority::P1,
        "Sync rules decide which records a device receives. Never send data and rely on the app \
      to hide it.",
    ),
    (
        "t25",
        "Build a sync test harness",
        "Testing",
        Priority::P0,
        "Automate 1,000+ offline edits syncing at once, the same record edited on 5+ devices, and \
      the network cut mid-sync. Measure completion time, conflict rate and checksums.",
    ),
    (
        "t26",
        "Test under real OS restrictions",
        "Testing",
        Priority::P1,
        "Force Doze and standby buckets with adb, switch on Low Power Mode and Low Data Mode, and \
      check that sync still completes and catches up.",
    ),
    (
        "t27",
        "Show and measure sync health",
        "Observability",
        Priority::P1,
        "Send last successful sync, queue depth, errors and retries to telemetry, and show users \
      a \"last synced\" time.",
    ),
];

/// The plan every new workspace starts with. Its row ids are fixed, so the server and the
/// browser render the same page before local data is applied.
pub fn default_plan() -> Plan {
    let rows = ROWS
        .iter()
        .map(|&(id, item, category, priority, notes)| Row {
            id: RowId::from(id),
            item: item.into(),
            category: category.into(),
            priority,
            owner: String::new(),
            status: Status::NotStarted,
            notes: notes.into(),
        })
        .collect();
    Plan::new(DEFAULT_TITLE, rows)
}

/// What "Update this row to the current advice" writes into a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdviceUpdate {
    pub item: &'static str,
    pub notes: &'static str,
    /// The template's new category, only when the template moved the topic and the row still
    /// has the old one; otherwise the row keeps its category.
    pub category: Option<&'static str>,
}

/// The current advice for a row that still holds earlier template advice word for word.
///
/// A row matches when its item and notes both equal an earlier template row (by text, not by
/// id: imports give rows new ids); any edit to either means the text is the user's and it is
/// left alone. The update sets item and notes, and the category only as described on
/// [`AdviceUpdate::category`]; priority, owner and status are always the user's. Rows whose
/// advice did not change get `None`. Offering and undoing the update is the editor's job.
pub fn updated_advice(row: &Row) -> Option<AdviceUpdate> {
    updated_advice_for(&row.item, &row.notes, &row.category)
}

/// [`updated_advice`] for a row's item, notes and category, without building a row.
pub fn updated_advice_for(item: &str, notes: &str, category: &str) -> Option<AdviceUpdate> {
    advice_between(item, notes, category, &PREVIOUS_ROWS, &ROWS)
}

fn advice_between(
    row_item: &str,
    row_notes: &str,
    row_category: &str,
    previous: &[TemplateRow],
    current: &[TemplateRow],
) -> Option<AdviceUpdate> {
    let &(id, old_item, old_category, _, old_notes) = previous
        .iter()
        .find(|&&(_, item, _, _, notes)| row_item == item && row_notes == notes)?;
    let &(_, item, category, _, notes) = current.iter().find(|r| r.0 == id)?;
    if item == old_item && notes == old_notes {
        return None;
    }
    let moved = category != old_category && row_category == old_category;
    Some(AdviceUpdate {
        item,
        notes,
        category: moved.then_some(category),
    })
}

/// A primary document an FAQ answer rests on.
#[derive(Clone, Copy, Debug)]
pub struct Source {
    pub title: &'static str,
    /// Always `https://`, with no spaces, quotes, brackets or parentheses, so it can go
    /// straight into an HTML attribute and a Markdown link.
    pub url: &'static str,
}

/// One question of the FAQ. Answers are paragraphs of plain text; `backticks` mark code.
#[derive(Clone, Copy, Debug)]
pub struct Faq {
    pub id: &'static str,
    pub question: &'static str,
    pub answer: &'static [&'static str],
    /// Where the answer's facts come from, shown after it.
    pub sources: &'static [Source],
}

const ANDROID_PERIODIC_WORK: Source = Source {
    title: "Android: PeriodicWorkRequest",
    url: "https://developer.android.com/reference/androidx/work/PeriodicWorkRequest",
};
const ANDROID_DEFINE_WORK: Source = Source {
    title: "Android: Define work requests (constraints, expedited work, retries)",
    url: "https://developer.android.com/develop/background-work/background-tasks/persistent/getting-started/define-work",
};
const ANDROID_BACKOFF_POLICY: Source = Source {
    title: "Android: BackoffPolicy",
    url: "https://developer.android.com/reference/androidx/work/BackoffPolicy",
};
const ANDROID_DOZE: Source = Source {
    title: "Android: Optimize for Doze and App Standby",
    url: "https://developer.android.com/training/monitoring-device-state/doze-standby",
};
const ANDROID_STANDBY_BUCKETS: Source = Source {
    title: "Android: App Standby Buckets",
    url: "https://developer.android.com/topic/performance/appstandby",
};
const ANDROID_POWER_LIMITS: Source = Source {
    title: "Android: Power management resource limits",
    url: "https://developer.android.com/topic/performance/power/power-details",
};
const ANDROID_USER_INITIATED_TRANSFER: Source = Source {
    title: "Android: User-initiated data transfer",
    url: "https://developer.android.com/develop/background-work/background-tasks/uidt",
};
const ANDROID_FGS_TIMEOUT: Source = Source {
    title: "Android: Foreground service timeouts",
    url: "https://developer.android.com/develop/background-work/services/fgs/timeout",
};
const ANDROID_16_CHANGES: Source = Source {
    title: "Android 16: Behavior changes for all apps",
    url: "https://developer.android.com/about/versions/16/behavior-changes-all",
};
const ANDROID_WORK_INFO: Source = Source {
    title: "Android: WorkInfo and its stop reasons",
    url: "https://developer.android.com/reference/androidx/work/WorkInfo",
};
const ANDROID_VITALS_WAKE_LOCKS: Source = Source {
    title: "Android vitals: Excessive partial wake locks",
    url: "https://developer.android.com/google/play/vitals/excessive-wakelock",
};
const ANDROID_DATA_SAVER: Source = Source {
    title: "Android: Optimize network data usage (Data Saver)",
    url: "https://developer.android.com/training/basics/network-ops/data-saver",
};
const ANDROID_ACTIVITY_MANAGER: Source = Source {
    title: "Android: ActivityManager (isBackgroundRestricted)",
    url: "https://developer.android.com/reference/android/app/ActivityManager",
};
const ANDROID_DIRECT_BOOT: Source = Source {
    title: "Android: Support Direct Boot mode (credential-encrypted storage)",
    url: "https://developer.android.com/privacy-and-security/direct-boot",
};
const ANDROID_KEYSTORE: Source = Source {
    title: "Android Keystore system",
    url: "https://developer.android.com/privacy-and-security/keystore",
};
const ANDROID_NETWORK_SECURITY: Source = Source {
    title: "Android: Network security configuration",
    url: "https://developer.android.com/privacy-and-security/security-config",
};
const APPLE_APP_REFRESH: Source = Source {
    title: "Apple: BGAppRefreshTask",
    url: "https://developer.apple.com/documentation/backgroundtasks/bgapprefreshtask",
};
const APPLE_EARLIEST_BEGIN: Source = Source {
    title: "Apple: BGTaskRequest.earliestBeginDate",
    url:
        "https://developer.apple.com/documentation/backgroundtasks/bgtaskrequest/earliestbegindate",
};
const APPLE_BACKGROUND_EXECUTION: Source = Source {
    title: "WWDC20: Background execution demystified",
    url: "https://developer.apple.com/videos/play/wwdc2020/10063/",
};
const APPLE_BACKGROUND_STRATEGIES: Source = Source {
    title: "Apple: Choosing background strategies for your app",
    url: "https://developer.apple.com/documentation/backgroundtasks/choosing-background-strategies-for-your-app",
};
const APPLE_CONTINUED_PROCESSING: Source = Source {
    title: "Apple: BGContinuedProcessingTask",
    url: "https://developer.apple.com/documentation/backgroundtasks/bgcontinuedprocessingtask",
};
const APPLE_RESUMABLE_UPLOADS: Source = Source {
    title: "Apple: Pausing and resuming uploads",
    url: "https://developer.apple.com/documentation/foundation/pausing-and-resuming-uploads",
};
const APPLE_EXTERNAL_POWER: Source = Source {
    title: "Apple: BGProcessingTaskRequest.requiresExternalPower",
    url: "https://developer.apple.com/documentation/backgroundtasks/bgprocessingtaskrequest/requiresexternalpower",
};
const APPLE_BACKGROUND_PUSH: Source = Source {
    title: "Apple: Pushing background updates to your app",
    url: "https://developer.apple.com/documentation/usernotifications/pushing-background-updates-to-your-app",
};
const APPLE_APNS_REQUESTS: Source = Source {
    title: "Apple: Sending notification requests to APNs",
    url: "https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns",
};
const APPLE_EXPENSIVE_NETWORK: Source = Source {
    title: "Apple: URLSessionConfiguration.allowsExpensiveNetworkAccess",
    url: "https://developer.apple.com/documentation/foundation/urlsessionconfiguration/allowsexpensivenetworkaccess",
};
const APPLE_CONSTRAINED_NETWORK: Source = Source {
    title: "Apple: URLSessionConfiguration.allowsConstrainedNetworkAccess",
    url: "https://developer.apple.com/documentation/foundation/urlsessionconfiguration/allowsconstrainednetworkaccess",
};
const APPLE_DISCRETIONARY: Source = Source {
    title: "Apple: URLSessionConfiguration.isDiscretionary",
    url: "https://developer.apple.com/documentation/foundation/urlsessionconfiguration/isdiscretionary",
};
const APPLE_REFRESH_STATUS: Source = Source {
    title: "Apple: UIApplication.backgroundRefreshStatus",
    url: "https://developer.apple.com/documentation/uikit/uiapplication/backgroundrefreshstatus",
};
const APPLE_LOW_POWER_MODE: Source = Source {
    title: "Apple: ProcessInfo.isLowPowerModeEnabled",
    url: "https://developer.apple.com/documentation/foundation/processinfo/islowpowermodeenabled",
};
const APPLE_FILE_PROTECTION: Source = Source {
    title: "Apple: FileProtectionType.completeUntilFirstUserAuthentication",
    url: "https://developer.apple.com/documentation/foundation/fileprotectiontype/completeuntilfirstuserauthentication",
};
const APPLE_KEYCHAIN: Source = Source {
    title: "Apple: Keychain services",
    url: "https://developer.apple.com/documentation/security/keychain-services",
};
const APPLE_PINNING: Source = Source {
    title: "Apple: Identity Pinning, how to configure server certificates for your app",
    url: "https://developer.apple.com/news/?id=g9ejcf8y",
};
const FCM_PRIORITY: Source = Source {
    title: "Firebase: Set and manage Android message priority",
    url: "https://firebase.google.com/docs/cloud-messaging/android/message-priority",
};
const FCM_RECEIVE: Source = Source {
    title: "Firebase: Receive messages in an Android app",
    url: "https://firebase.google.com/docs/cloud-messaging/android/receive",
};
const RFC_HTTP_SEMANTICS: Source = Source {
    title: "RFC 9110: HTTP Semantics (ETag, If-None-Match, 304, Retry-After)",
    url: "https://www.rfc-editor.org/rfc/rfc9110",
};
const RFC_TOO_MANY_REQUESTS: Source = Source {
    title: "RFC 6585: Additional HTTP Status Codes (429)",
    url: "https://www.rfc-editor.org/rfc/rfc6585",
};
const RFC_WEBSOCKET: Source = Source {
    title: "RFC 6455: The WebSocket Protocol",
    url: "https://www.rfc-editor.org/rfc/rfc6455",
};
const GOOGLE_CALENDAR_SYNC: Source = Source {
    title: "Google Calendar API: Synchronize resources efficiently",
    url: "https://developers.google.com/calendar/api/guides/sync",
};
const STRIPE_IDEMPOTENCY: Source = Source {
    title: "Stripe: Idempotent requests",
    url: "https://docs.stripe.com/api/idempotent_requests",
};
const REPLICACHE_PUSH: Source = Source {
    title: "Replicache: Push endpoint reference",
    url: "https://doc.replicache.dev/reference/server-push",
};
const POWERSYNC_WRITE_PATH: Source = Source {
    title: "PowerSync: Write path concepts",
    url: "https://docs.powersync.com/handling-writes/write-path/concepts",
};
const AWS_BACKOFF: Source = Source {
    title: "Amazon Builders' Library: Timeouts, retries and backoff with jitter",
    url: "https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/",
};
const HYBRID_LOGICAL_CLOCKS: Source = Source {
    title: "Kulkarni et al.: Logical Physical Clocks (hybrid logical clocks)",
    url: "https://cse.buffalo.edu/tech-reports/2014-04.pdf",
};
const AUTOMERGE: Source = Source {
    title: "Automerge",
    url: "https://automerge.org/",
};
const YJS: Source = Source {
    title: "Yjs documentation",
    url: "https://docs.yjs.dev/",
};
const SQLITE_TRANSACTIONS: Source = Source {
    title: "SQLite: Transactions",
    url: "https://www.sqlite.org/lang_transaction.html",
};

pub const FAQ: [Faq; 13] = [
    Faq {
        id: "faq-background-days",
        question: "How do I handle sync when the app has been in the background for days?",
        answer: &[
            "Combine delta sync with a full-sync fallback. When the app returns to the \
             foreground, ask the server for everything changed since the last sync token it \
             gave you: an opaque cursor the server issues with every sync response, deletions \
             (tombstones) included.",
            "Many guides suggest asking for changes since `lastSyncTimestamp`. A timestamp \
             cursor loses rows: a transaction that commits late can carry a time earlier than \
             the cursor, and device and server clocks disagree. Only the server knows exactly \
             what it has sent, so let it put that in the token.",
            "If the server answers that a full sync is required (for example `410 Gone`, \
             because the delta is too large or the token is older than its retention window), \
             start a full re-sync instead. Make that re-sync incremental, in pages, so it never \
             blocks the UI: users should see their newest data within seconds while older data \
             fills in behind it.",
        ],
        sources: &[GOOGLE_CALENDAR_SYNC, POWERSYNC_WRITE_PATH],
    },
    Faq {
        id: "faq-websockets",
        question: "Should I use WebSockets or polling for real-time sync?",
        answer: &[
            "Use WebSockets when you need sub-second updates for collaborative features such \
             as shared editing, chat or live dashboards. Use polling when minutes-old data is \
             fresh enough.",
            "Sockets add connection management and, on mobile, cost battery through keep-alive \
             traffic. Many apps go hybrid: a socket while the app is in the foreground, then \
             push notifications plus a pull on return to the foreground for background sync.",
            "Whichever you choose, write down every trigger: the app coming to the foreground, \
             a debounced local write, the network returning while the app runs, the periodic \
             job and pushes. A backgrounded app is not woken when the network returns, so give \
             the sync job a network constraint instead (on Android, WorkManager's \
             `NetworkType.CONNECTED`). \"How do I set up push for sync on both platforms?\" \
             covers the pushes.",
        ],
        sources: &[
            RFC_WEBSOCKET,
            ANDROID_DEFINE_WORK,
            APPLE_BACKGROUND_STRATEGIES,
        ],
    },
    Faq {
        id: "faq-testing",
        question: "How do I test sync reliability at scale?",
        answer: &[
            "Build a test harness that simulates many devices making concurrent changes over \
             varied network conditions, and automate three scenarios: 1,000+ offline edits \
             syncing at once, the same record edited from 5+ devices, and the network dropping \
             in the middle of a sync.",
            "Measure how long sync takes to complete, the conflict rate, and data integrity: \
             checksums must match on every device once sync settles. Then run a beta across \
             real networks to catch the failures a lab misses.",
            "Test under the limits real phones impose, too: force Doze and App Standby buckets \
             with `adb`, turn on Low Power Mode and Low Data Mode, force-quit the app, and check \
             that sync still completes and catches up.",
        ],
        sources: &[ANDROID_DOZE, ANDROID_STANDBY_BUCKETS],
    },
    Faq {
        id: "faq-interval",
        question: "What is the right sync interval for periodic background sync?",
        answer: &[
            "It depends on how fresh the data must be and on your battery budget. Every 15 to \
             30 minutes in the background is achievable on Android only: WorkManager runs \
             periodic work at most every 15 minutes, at inexact times, and Doze defers it \
             further.",
            "On iOS, expect a few background refreshes a day. The system decides when \
             `BGAppRefreshTask` runs from how people use the app; `earliestBeginDate` is only a \
             floor, and nothing runs after a force-quit, in Low Power Mode or with Background \
             App Refresh off.",
            "So the only reliable moment to be fresh is the foreground: sync when the app \
             opens, and poll every 30 to 60 seconds while it is open if a WebSocket is not an \
             option. Keep the interval configurable on the server so you can change it without \
             an app update.",
            "Periodic work is only one of the tools the platforms offer; \"Which background \
             mechanism should each sync job use?\" covers the others.",
        ],
        sources: &[
            ANDROID_PERIODIC_WORK,
            ANDROID_DOZE,
            APPLE_APP_REFRESH,
            APPLE_EARLIEST_BEGIN,
            APPLE_BACKGROUND_EXECUTION,
        ],
    },
    Faq {
        id: "faq-conflicts",
        question: "How do I choose a conflict-resolution strategy?",
        answer: &[
            "Decide per field, in writing, before you build. Last-write-wins at field level \
             (not whole-record) is the right default for most data: two people editing \
             different fields of one record both keep their change. Let deletes win over \
             concurrent edits unless product says otherwise.",
            "Decide whose clock defines \"last\". Order writes by the time the server received \
             them, or by a hybrid logical clock that devices and server advance together; \
             never by raw device time, which users and drifting clocks can set to anything.",
            "Counters, balances and lists need merge operations (\"add 3\", \"append\") \
             instead of overwritten values. Reach for CRDTs such as Automerge or Yjs only for \
             data several people edit together in real time; they cost storage and complexity.",
        ],
        sources: &[HYBRID_LOGICAL_CLOCKS, AUTOMERGE, YJS],
    },
    Faq {
        id: "faq-queue",
        question: "How should the offline upload queue work?",
        answer: &[
            "Persist every local write to an ordered queue on disk before showing it as done, \
             grouped by the transaction it belongs to, and upload in that order.",
            "Make retries safe with an idempotency key: each mutation carries a key the client \
             generated, and the server stores the keys it applied, with their results, for a \
             retention window longer than any retry can take (Stripe keeps them for at least \
             24 hours). A repeat gets the stored result instead of being applied twice. The \
             alternative is a strictly sequential per-client counter with no gaps, like \
             Replicache's `lastMutationID`. Remembering only the newest id is not enough: it \
             breaks with random ids, and it drops a parked write that is retried later.",
            "Drop an item only after the server has applied it, and move a rejected write \
             aside with its error so it cannot block the rest.",
            "Version what you queue. A write made offline can reach the server after a release \
             changed its API, so tag each mutation with its schema version and keep the server \
             accepting (or migrating) old versions until those queues have drained.",
        ],
        sources: &[STRIPE_IDEMPOTENCY, REPLICACHE_PUSH, POWERSYNC_WRITE_PATH],
    },
    Faq {
        id: "faq-bandwidth",
        question: "How do I keep sync cheap on metered and low-data networks?",
        answer: &[
            "Send deltas, not full records, and compress payloads. Respect the user's data \
             settings: on iOS set `allowsConstrainedNetworkAccess` and \
             `allowsExpensiveNetworkAccess` to false for bulk transfers so Low Data Mode and \
             cellular are honoured; on Android give large jobs the `NetworkType.UNMETERED` \
             constraint and check Data Saver with `getRestrictBackgroundStatus()`.",
            "Set those rules on every request or session rather than checking the network once \
             when a task starts: that check goes stale when the phone changes networks. A \
             discretionary background session (`isDiscretionary`) lets iOS wait for Wi-Fi and \
             power by itself.",
            "Do not download what has not changed: send the stored `ETag` in `If-None-Match`, \
             and the server answers `304 Not Modified` with no body.",
            "Background windows are short, so make large uploads and downloads resumable in \
             chunks. Fetch what the user sees first, and defer attachments and history to \
             Wi-Fi.",
        ],
        sources: &[
            APPLE_CONSTRAINED_NETWORK,
            APPLE_EXPENSIVE_NETWORK,
            APPLE_DISCRETIONARY,
            ANDROID_DATA_SAVER,
            RFC_HTTP_SEMANTICS,
        ],
    },
    Faq {
        id: "faq-battery",
        question: "How much battery may background sync use, and what limits does the OS set?",
        answer: &[
            "Assume the OS will ration you. Android's Doze and App Standby buckets defer jobs \
             (an app in the rare bucket gets about 10 minutes of jobs per day), and iOS gives \
             a background refresh roughly 30 seconds, at times it chooses.",
            "Batch work into few wake-ups, and run heavy jobs only while charging or with a \
             healthy battery (`requiresExternalPower`, `setRequiresBatteryNotLow`). Retry with \
             exponential backoff: WorkManager's `BackoffPolicy.EXPONENTIAL` spaces out job \
             retries (30 seconds at first by default, doubling up to 5 hours) but adds no \
             randomness, so add random jitter to the retries your own code makes, and honour \
             `Retry-After` on 429 and 503 responses.",
            "Keep sockets for the foreground, and design the UI so sync arriving hours late is \
             still fine.",
        ],
        sources: &[
            ANDROID_POWER_LIMITS,
            ANDROID_BACKOFF_POLICY,
            APPLE_EXTERNAL_POWER,
            AWS_BACKOFF,
            RFC_TOO_MANY_REQUESTS,
        ],
    },
    Faq {
        id: "faq-mechanism",
        question: "Which background mechanism should each sync job use?",
        answer: &[
            "Match each job to the mechanism the platform built for it, and check again with \
             every OS release. On Android, WorkManager is the default: periodic work for \
             routine sync, expedited work for short jobs the user is waiting for, and \
             constraints (network, charging, battery not low) for the rest. For a large \
             transfer the user starts, Android 14 added user-initiated data transfer jobs, \
             which show a notification and may run for a long time.",
            "Avoid long `dataSync` foreground services: from Android 15 they may run for only \
             6 hours in any 24 before the system calls `Service.onTimeout()`, and from Android \
             16 jobs that run alongside a foreground service still count against the app's \
             job quota. Log `WorkInfo.getStopReason()` to see when a quota stopped you.",
            "On iOS, use `BGAppRefreshTask` for short refreshes (about 30 seconds, a few times \
             a day), `BGProcessingTask` for heavy maintenance while charging, and a background \
             `URLSession` for large uploads and downloads, which the system carries on while \
             your app is suspended; since iOS 17 it can resume an interrupted upload if your \
             server supports resumable uploads. For long work the user starts and watches, \
             iOS 26 adds `BGContinuedProcessingTask`, which shows its progress and which the \
             user can cancel.",
        ],
        sources: &[
            ANDROID_DEFINE_WORK,
            ANDROID_USER_INITIATED_TRANSFER,
            ANDROID_FGS_TIMEOUT,
            ANDROID_16_CHANGES,
            APPLE_BACKGROUND_STRATEGIES,
            APPLE_RESUMABLE_UPLOADS,
            APPLE_CONTINUED_PROCESSING,
        ],
    },
    Faq {
        id: "faq-push",
        question: "How do I set up push for sync on both platforms?",
        answer: &[
            "A push can only say that something changed; the app then pulls. On iOS, turn on \
             the Push Notifications capability and the Remote notifications background mode, \
             and send a background notification: `content-available: 1` with no alert, sound \
             or badge, the header `apns-push-type: background` and `apns-priority: 5`. Handle \
             it in `application(_:didReceiveRemoteNotification:fetchCompletionHandler:)` and \
             call the completion handler when the pull is done.",
            "Apple's budget for background notifications is dynamic: send at most two or three \
             an hour, expect some to be dropped, and expect none at all after the user \
             force-quits the app. Never use them as a schedule.",
            "On Android, send FCM data messages (a `data` payload without `notification`). \
             Normal priority suits sync: FCM delivers it at once while the phone is awake and \
             holds it while the phone is in Doze. High priority is meant for messages that show \
             the user a notification; if yours do not, FCM demotes them to normal priority. \
             `onMessageReceived` gets only a short window, so enqueue the sync with WorkManager \
             from there.",
            "Send the device token to your server at every launch and whenever it changes \
             (`onNewToken` on Android). If you send to iOS through FCM too, put the APNs \
             headers in the message's `apns` block.",
        ],
        sources: &[
            APPLE_BACKGROUND_PUSH,
            APPLE_APNS_REQUESTS,
            FCM_PRIORITY,
            FCM_RECEIVE,
        ],
    },
    Faq {
        id: "faq-security",
        question: "How do I keep synced data secure?",
        answer: &[
            "Treat every uploaded write as untrusted: authenticate the device and check the \
             user's permissions on the server for each mutation, at the moment it arrives. A \
             write queued offline last week may no longer be allowed.",
            "Scope downloads on the server with sync rules, so a device only ever receives \
             the records its user may see; never rely on the app to hide data. Revoke sync for \
             a device when its user signs out.",
            "Encrypt the local store and the queue with a protection that background tasks can \
             still read while the phone is locked. Full protection \
             (`FileProtectionType.complete`) makes files unreadable soon after the phone locks, \
             so background sync fails. Use \
             `completeUntilFirstUserAuthentication` on iOS, which stays readable from the first \
             unlock after a restart, and Android's default credential-encrypted storage, which \
             behaves the same way. Keep the keys in the Keychain (readable after first unlock, \
             `kSecAttrAccessibleAfterFirstUnlock`) or the Android Keystore, never beside the \
             data.",
            "Send everything over HTTPS: App Transport Security and Android's network security \
             configuration refuse cleartext by default. Apple advises against certificate \
             pinning in most apps. Pin only if a rule requires it, and then pin the CA or public \
             key, ship backup pins with an expiry, and plan how to rotate them before the \
             certificate changes, or old app versions stop syncing.",
        ],
        sources: &[
            APPLE_FILE_PROTECTION,
            APPLE_KEYCHAIN,
            ANDROID_DIRECT_BOOT,
            ANDROID_KEYSTORE,
            APPLE_PINNING,
            ANDROID_NETWORK_SECURITY,
        ],
    },
    Faq {
        id: "faq-observability",
        question: "How do I know sync is working for real users?",
        answer: &[
            "Instrument the client: time of the last successful sync, queue depth, sync \
             duration, errors by type and retry counts, sent to your telemetry with the OS \
             version and network type.",
            "Record why the OS stopped your work: on Android, `WorkInfo.getStopReason()` (or \
             `JobParameters.getStopReason()`) tells you whether a quota, a constraint, the \
             standby bucket or the user ended it. Watch Android vitals too: excessive partial \
             wake locks is a core vital and can lower your app's visibility on Google Play.",
            "Detect the switches that turn sync off and say so in the app: Background App \
             Refresh (`backgroundRefreshStatus`) and Low Power Mode (`isLowPowerModeEnabled`) \
             on iOS, the Restricted battery setting (`isBackgroundRestricted()`) and Data Saver \
             (`getRestrictBackgroundStatus()`) on Android. A force-quit stops background sync \
             on iOS until the app is opened again.",
            "Alert on rising failure rates and growing queues, and show users a clear \"last \
             synced\" time with a way to retry. It turns silent failures into support tickets \
             you can act on.",
        ],
        sources: &[
            ANDROID_WORK_INFO,
            ANDROID_VITALS_WAKE_LOCKS,
            APPLE_REFRESH_STATUS,
            APPLE_LOW_POWER_MODE,
            ANDROID_ACTIVITY_MANAGER,
            ANDROID_DATA_SAVER,
        ],
    },
    Faq {
        id: "faq-integrity",
        question: "How do I make sure sync never loses or corrupts data?",
        answer: &[
            "Apply each batch from the server in a single local transaction, so a crash never \
             leaves half of it. After sync settles, compare checksums or record counts with \
             the server and report any mismatch.",
            "Plan the client reset: when the server can no longer reconcile a device, back up \
             its unsynced changes before recovering or discarding them, and tell the user.",
        ],
        sources: &[SQLITE_TRANSACTIONS, GOOGLE_CALENDAR_SYNC],
    },
];

pub fn faq(id: &str) -> Option<&'static Faq> {
    FAQ.iter().find(|f| f.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Item and notes of the template row `id`.
    fn row_text(id: &str) -> String {
        let &(_, item, _, _, notes) = ROWS.iter().find(|r| r.0 == id).expect("a template row");
        format!("{item}\n{notes}")
    }

    /// The whole answer `id`, paragraphs joined.
    fn answer_text(id: &str) -> String {
        faq(id).expect("an FAQ answer").answer.join("\n")
    }

    /// Every row and every answer paragraph, labelled for failure messages.
    fn all_texts() -> Vec<(String, String)> {
        let rows = ROWS.iter().map(|r| (r.0.to_owned(), row_text(r.0)));
        let answers = FAQ.iter().flat_map(|f| {
            f.answer
                .iter()
                .map(move |p| (f.id.to_owned(), (*p).to_owned()))
        });
        rows.chain(answers).collect()
    }

    fn saved_row(id: &str, item: &str, category: &str, notes: &str) -> Row {
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
        assert_eq!(content_checked_label(), "27 Nov 2026");
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
    fn ios_refresh_is_a_few_times_a_day() {
        let interval = answer_text("faq-interval");
        assert!(interval.contains("achievable on Android only"));
        assert!(interval.contains("a few background refreshes a day"));
        assert!(row_text("t03").contains("a few times a day"));
    }

    #[test]
    fn silent_push_limits_are_given_for_both_platforms() {
        let t04 = row_text("t04");
        for phrase in ["Apple", "force-quit", "FCM", "Doze", "demotes"] {
            assert!(t04.contains(phrase), "t04 lacks {phrase}");
        }
        let push = answer_text("faq-push");
        for phrase in ["apns-push-type: background", "apns-priority: 5", "demotes"] {
            assert!(push.contains(phrase), "faq-push lacks {phrase}");
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
        ] {
            assert!(
                answer_text(answer).contains(phrase),
                "{answer} lacks {phrase}"
            );
        }
    }

    fn category_faq(name: &str) -> &'static str {
        category(name).expect("a template category").faq
    }

    // ----- saved plans keep their text; old advice can be updated on request -----

    #[test]
    fn an_untouched_old_row_is_offered_the_current_advice() {
        let (_, item, category, _, notes) = PREVIOUS_ROWS[9];
        // Imported rows get new ids; priority, owner and status are the user's.
        let row = saved_row("r7", item, category, notes);
        let update = updated_advice(&row).expect("t10 changed");
        assert_eq!(update.item, ROWS[9].1);
        assert_eq!(update.notes, ROWS[9].4);
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
        let (id, item, category, _, notes) = PREVIOUS_ROWS[9];
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
        // t02 reads the same as before.
        let (id, item, category, _, notes) = PREVIOUS_ROWS[1];
        assert_eq!(updated_advice(&saved_row(id, item, category, notes)), None);
    }

    #[test]
    fn every_corrected_row_is_offered_its_correction() {
        let changed: Vec<_> = PREVIOUS_ROWS
            .iter()
            .filter(|&&(id, item, category, _, notes)| {
                updated_advice(&saved_row(id, item, category, notes)).is_some()
            })
            .map(|r| r.0)
            .collect();
        assert_eq!(
            changed,
            ["t01", "t03", "t04", "t06", "t10", "t12", "t13", "t16", "t19"]
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
}
