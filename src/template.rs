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
pub const CONTENT_CHECKED: &str = "2026-12-06";

/// What the content was checked against, as the page and the Markdown export say it.
pub const CHECKED_AGAINST: &str = "Android, Apple and Firebase documentation";

/// [`CONTENT_CHECKED`] as people read it, "6 Dec 2026": plain string work, so the server
/// and the browser render the same text.
pub fn content_checked_label() -> String {
    human_date(CONTENT_CHECKED).expect("CONTENT_CHECKED is a YYYY-MM-DD date")
}

/// "2026-12-06" → "6 Dec 2026"; `None` for anything that is not a YYYY-MM-DD date.
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
/// matched to its current advice; rows added later take the next ids. A row's facts are
/// explained, with sources, in the FAQ answers (each category links one; see the test
/// `every_fact_in_a_row_or_answer_has_an_https_source`).
const ROWS: [TemplateRow; 40] = [
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
        "PeriodicWorkRequest runs at most every 15 minutes, at an inexact time. Doze holds it back \
      further, and App Standby Buckets ration job time by how the app is used: in the rare \
      bucket it gets about 10 minutes of jobs in 24 hours. The system picks the bucket, not the \
      app, so never promise users a tighter interval.",
    ),
    (
        "t03",
        "Schedule iOS background refresh (BGAppRefreshTask)",
        "Platform constraints",
        Priority::P1,
        "Submit the next request at the start of every run, so a run that expires still leaves \
      one scheduled. earliestBeginDate is only a floor: iOS picks the moment from how people use \
      the app and other conditions, ends the run with the task's expiration handler, publishes \
      no number of runs (there may be none), and never runs it after a force-quit, in Low Power \
      Mode or with Background App Refresh off.",
    ),
    (
        "t04",
        "Treat silent push as a nudge, not a delivery channel",
        "Sync triggers",
        Priority::P2,
        "Apple's budget for background notifications changes with conditions: send no more than \
      two or three an hour, expect fewer to arrive, and none after a force-quit. FCM may delay \
      normal-priority messages whenever the app is in the background, and may deprioritise \
      high-priority ones that show no notification (it judges the last 7 days). The push only \
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
        "Default to last-write-wins per field, not per record, ordered by the time the server \
      received the write or by a hybrid logical clock, never by the device's own clock. \
      Ordering by receipt lets the last upload win, so a stale offline edit can beat newer \
      ones: send the version each edit started from and reject stale writes (If-Match, 412). \
      A hybrid logical clock still follows device clocks: clamp or reject timestamps far ahead \
      of the server's. Let a delete beat a concurrent edit, and get product sign-off on every \
      exception.",
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
      applied, with their results, for a retention window longer than the longest offline \
      period you support, and answers a repeat with the stored result. Stripe, for one, may \
      drop keys once they are 24 hours old, far sooner than a queue that waits offline for \
      days. Or number mutations with a strictly sequential per-client counter with no gaps: \
      keeping only the newest id drops a parked write that is retried later.",
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
      bulk transfers, and from iOS 26.1 decide allowsUltraConstrainedNetworkAccess too. \
      Android: NetworkType.UNMETERED for large transfers. Defer big downloads to Wi-Fi.",
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
        "Set allowsExpensiveNetworkAccess and allowsConstrainedNetworkAccess to false (or \
      allowsCellularAccess to false for a strict Wi-Fi-only rule) on the URLSession \
      configuration or request, so the rule holds when the phone changes networks. A \
      discretionary background session (isDiscretionary) only lets iOS pick a good time and \
      does not keep a transfer off cellular; a one-time check of the network when the task \
      starts goes stale.",
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
        "Force Doze and standby buckets with adb, launch BGTaskScheduler tasks from the debugger \
      on a device, and switch on Low Power Mode and Low Data Mode. After a force-quit (iOS) or \
      a force-stop (Android) expect no background sync at all; check that sync catches up when \
      the user next opens the app.",
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
      transfers the user starts (Android 14+), and no long dataSync foreground services: in \
      apps targeting Android 15+ they may run 6 hours in 24 while the app is in the background \
      (mediaProcessing too; using the app resets the count), and from Android 16 jobs \
      started beside them still use the job quota. iOS: a background URLSession for large \
      transfers (resumable uploads from iOS 17) and BGContinuedProcessingTask for long work \
      the user starts (iOS 26).",
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
      messages at normal priority and hand the sync to WorkManager from onMessageReceived \
      (Firebase's AndroidConfigV2, still in preview, adds a background_sync message type for \
      onBackgroundSyncReceived). Send the device token to your server at every launch.",
    ),
    (
        "t31",
        "Encrypt local data so background sync can still read it",
        "Security",
        Priority::P1,
        "Full file protection locks the store while the phone is locked, so background tasks \
      fail: use completeUntilFirstUserAuthentication on iOS and Android's default \
      credential-encrypted storage. Keychain items default to kSecAttrAccessibleWhenUnlocked: \
      give the sync keys kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly, which also keeps \
      them off other devices restored from a backup. Android Keystore keys made with \
      setUnlockedDeviceRequired cannot be used while the phone is locked.",
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
        "Record WorkInfo.getStopReason (JobParameters.getStopReason for JobScheduler jobs) for \
      runs that were stopped before they finished, by a quota, a constraint, the standby \
      bucket, a timeout or a cancel; a run that returned Result.failure() was not stopped, so \
      log those separately. Watch Android vitals' excessive partial wake locks metric too: it \
      can lower your app's visibility on Google Play.",
    ),
    (
        "t36",
        "Plan for pushes that are dropped or collapsed",
        "Sync triggers",
        Priority::P1,
        "APNs and FCM refuse payloads over 4 KB, so send a poke, not the data. While a device is \
      offline APNs keeps only one notification per app, for at most 30 days; FCM keeps up to \
      100 non-collapsible messages per device, then discards them all and calls \
      onDeletedMessages: answer that with a full sync. FCM holds at most four collapse keys per \
      device, and a message for at most 28 days.",
    ),
    (
        "t37",
        "Run one sync at a time",
        "Sync triggers",
        Priority::P1,
        "Push, periodic work, reconnection and app start all ask for a sync: funnel them into one \
      job. Android: enqueue it as unique work (enqueueUniqueWork, or enqueueUniquePeriodicWork \
      with ExistingPeriodicWorkPolicy KEEP or UPDATE). iOS: give each job one BGTaskScheduler \
      identifier (a new request replaces the pending one) and let a single sync coordinator in \
      the app join calls that arrive while a sync runs.",
    ),
    (
        "t38",
        "Catch up after a force-quit or force-stop",
        "Platform constraints",
        Priority::P1,
        "A force-quit on iOS cancels the app's background transfers and stops its background \
      work until the user opens it again. A force-stop on Android clears its jobs and alarms \
      and keeps it stopped until the user opens it (ApplicationStartInfo.wasForceStopped tells \
      you afterwards, from Android 15); device makers may restrict background work further. \
      Sync at the next launch and schedule the periodic work again.",
    ),
    (
        "t39",
        "Let iOS finish a sync the user walks away from",
        "Platform constraints",
        Priority::P1,
        "Wrap a sync that is still running when the user leaves the app in beginBackgroundTask \
      and end the task when it finishes, so iOS gives it extra time before suspending the app. \
      List every task identifier in BGTaskSchedulerPermittedIdentifiers and register each \
      handler before the app finishes launching.",
    ),
    (
        "t40",
        "Keep expedited work within its quota, and alarms out of sync",
        "Platform constraints",
        Priority::P1,
        "Expedited work draws on a quota that depends on the standby bucket: choose an \
      OutOfQuotaPolicy (RUN_AS_NON_EXPEDITED_WORK_REQUEST or DROP_WORK_REQUEST), and implement \
      getForegroundInfo, because on Android 11 and lower WorkManager runs expedited work as a \
      foreground service with that notification. Do not schedule sync with exact alarms: on \
      Android 14 most newly installed apps that target Android 13+ have SCHEDULE_EXACT_ALARM \
      denied by default.",
    ),
];

/// Advice earlier versions of the template shipped, word for word, for every row whose text
/// differs from today's: a saved row that still holds one of these is offered the current
/// advice (see [`updated_advice`]). Rows whose text never changed are left out, since they
/// have nothing to offer. Never edit an entry; when the rows change again, add the outgoing
/// text of each changed row (an id may appear once per version), and drop an entry only if
/// its row comes back to exactly that text.
const PREVIOUS_ROWS: [TemplateRow; 21] = [
    // As shipped until the content check of 2026-11-27.
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
        "t06",
        "Write down the conflict policy for each field",
        "Conflict resolution",
        Priority::P0,
        "Default to last-write-wins per field, not per record, and let a delete beat a concurrent \
      edit. Get product sign-off on every exception.",
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
        "t16",
        "Back off exponentially, with jitter",
        "Battery",
        Priority::P0,
        "Retry failed syncs at growing, randomised intervals (WorkManager BackoffPolicy) so an \
      outage neither drains batteries nor stampedes the API when it recovers.",
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
        "t26",
        "Test under real OS restrictions",
        "Testing",
        Priority::P1,
        "Force Doze and standby buckets with adb, switch on Low Power Mode and Low Data Mode, and \
      check that sync still completes and catches up.",
    ),
    // As shipped from 2026-11-27 until the content check of 2026-12-06.
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
        "t06",
        "Write down the conflict policy for each field",
        "Conflict resolution",
        Priority::P0,
        "Default to last-write-wins per field, not per record, ordered by the time the server \
      received the write or by a hybrid logical clock, never by the device's own clock. Let a \
      delete beat a concurrent edit, and get product sign-off on every exception.",
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
        "t13",
        "Honour Low Data Mode and metered networks",
        "Bandwidth",
        Priority::P1,
        "iOS: set allowsConstrainedNetworkAccess and allowsExpensiveNetworkAccess to false for \
      bulk transfers. Android: NetworkType.UNMETERED for large transfers. Defer big downloads \
      to Wi-Fi.",
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
        "t35",
        "Log why the OS stopped your sync jobs",
        "Observability",
        Priority::P1,
        "Record WorkInfo.getStopReason (JobParameters.getStopReason for JobScheduler jobs) with \
      failed runs, and watch Android vitals' excessive partial wake locks metric: it can lower \
      your app's visibility on Google Play.",
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
const ANDROID_MANAGE_WORK: Source = Source {
    title: "Android: Managing work (unique work)",
    url: "https://developer.android.com/develop/background-work/background-tasks/persistent/how-to/manage-work",
};
const ANDROID_BACKOFF_POLICY: Source = Source {
    title: "Android: BackoffPolicy",
    url: "https://developer.android.com/reference/androidx/work/BackoffPolicy",
};
const ANDROID_WORK_REQUEST: Source = Source {
    title: "Android: WorkRequest (default, minimum and maximum backoff)",
    url: "https://developer.android.com/reference/kotlin/androidx/work/WorkRequest",
};
const ANDROID_OUT_OF_QUOTA: Source = Source {
    title: "Android: OutOfQuotaPolicy",
    url: "https://developer.android.com/reference/androidx/work/OutOfQuotaPolicy",
};
const ANDROID_EXPEDITED_QUOTA: Source = Source {
    title: "Android Developers blog: Using WorkManager on Android 12 (expedited work quotas)",
    url: "https://medium.com/androiddevelopers/using-workmanager-on-android-12-f7d483ca0ecb",
};
const ANDROID_12_FOREGROUND_SERVICES: Source = Source {
    title: "Android 12: Foreground service launch restrictions (expedited jobs)",
    url: "https://developer.android.com/about/versions/12/foreground-services",
};
const ANDROID_WORKER: Source = Source {
    title: "Android: Worker.getForegroundInfo",
    url: "https://developer.android.com/reference/androidx/work/Worker",
};
const ANDROID_EXACT_ALARMS: Source = Source {
    title: "Android 14: Schedule exact alarms are denied by default",
    url: "https://developer.android.com/about/versions/14/changes/schedule-exact-alarms",
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
const ANDROID_BACKGROUND_OPTIMIZATION: Source = Source {
    title: "Android: Background optimization (network broadcasts, Restricted setting)",
    url: "https://developer.android.com/topic/performance/background-optimization",
};
const ANDROID_USER_INITIATED_TRANSFER: Source = Source {
    title: "Android: User-initiated data transfer",
    url: "https://developer.android.com/develop/background-work/background-tasks/uidt",
};
const ANDROID_FGS_TIMEOUT: Source = Source {
    title: "Android: Foreground service timeouts",
    url: "https://developer.android.com/develop/background-work/services/fgs/timeout",
};
const ANDROID_15_CHANGES: Source = Source {
    title: "Android 15: Behavior changes for all apps (package stopped state)",
    url: "https://developer.android.com/about/versions/15/behavior-changes-all",
};
const ANDROID_APP_START_INFO: Source = Source {
    title: "Android: ApplicationStartInfo (wasForceStopped)",
    url: "https://developer.android.com/reference/android/app/ApplicationStartInfo",
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
const ANDROID_KEY_GEN_SPEC: Source = Source {
    title: "Android: KeyGenParameterSpec.Builder (setUnlockedDeviceRequired)",
    url: "https://developer.android.com/reference/android/security/keystore/KeyGenParameterSpec.Builder",
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
const APPLE_BGTASK: Source = Source {
    title: "Apple: BGTask (expiration handler)",
    url: "https://developer.apple.com/documentation/backgroundtasks/bgtask",
};
const APPLE_BGTASK_SUBMIT: Source = Source {
    title: "Apple: BGTaskScheduler.submit (a new request replaces the pending one)",
    url: "https://developer.apple.com/documentation/backgroundtasks/bgtaskscheduler/submit%28_:%29",
};
const APPLE_BGTASK_REGISTER: Source = Source {
    title: "Apple: BGTaskScheduler.register (handlers registered before launch ends)",
    url: "https://developer.apple.com/documentation/backgroundtasks/bgtaskscheduler/register%28fortaskwithidentifier:using:launchhandler:%29",
};
const APPLE_USING_BACKGROUND_TASKS: Source = Source {
    title: "Apple: Using background tasks to update your app (permitted identifiers)",
    url:
        "https://developer.apple.com/documentation/uikit/using-background-tasks-to-update-your-app",
};
const APPLE_TASK_DEBUGGING: Source = Source {
    title: "Apple: Starting and terminating tasks during development",
    url: "https://developer.apple.com/documentation/backgroundtasks/starting-and-terminating-tasks-during-development",
};
const APPLE_EXTEND_BACKGROUND_TIME: Source = Source {
    title: "Apple: Extending your app's background execution time",
    url: "https://developer.apple.com/documentation/uikit/extending-your-app-s-background-execution-time",
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
const APPLE_BACKGROUND_SESSION: Source = Source {
    title: "Apple: URLSessionConfiguration.background(withIdentifier:)",
    url: "https://developer.apple.com/documentation/foundation/urlsessionconfiguration/background%28withidentifier:%29",
};
const APPLE_BACKGROUND_DOWNLOADS: Source = Source {
    title: "Apple: Downloading files in the background",
    url: "https://developer.apple.com/documentation/foundation/downloading-files-in-the-background",
};
const APPLE_BACKGROUND_CANCEL_REASONS: Source = Source {
    title: "Apple: URL session background task cancellation reasons (user force-quit)",
    url: "https://developer.apple.com/documentation/foundation/url-session-background-task-cancellation-reasons",
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
const APPLE_NOTIFICATION_PAYLOAD: Source = Source {
    title: "Apple: Generating a remote notification (payload size)",
    url: "https://developer.apple.com/documentation/usernotifications/generating-a-remote-notification",
};
const APPLE_SESSION_CONFIGURATION: Source = Source {
    title: "Apple: URLSessionConfiguration (allowsCellularAccess)",
    url: "https://developer.apple.com/documentation/foundation/urlsessionconfiguration",
};
const APPLE_EXPENSIVE_NETWORK: Source = Source {
    title: "Apple: URLSessionConfiguration.allowsExpensiveNetworkAccess",
    url: "https://developer.apple.com/documentation/foundation/urlsessionconfiguration/allowsexpensivenetworkaccess",
};
const APPLE_CONSTRAINED_NETWORK: Source = Source {
    title: "Apple: URLSessionConfiguration.allowsConstrainedNetworkAccess",
    url: "https://developer.apple.com/documentation/foundation/urlsessionconfiguration/allowsconstrainednetworkaccess",
};
const APPLE_ULTRA_CONSTRAINED_NETWORK: Source = Source {
    title: "Apple: URLSessionConfiguration.allowsUltraConstrainedNetworkAccess (iOS 26.1)",
    url: "https://developer.apple.com/documentation/foundation/urlsessionconfiguration/allowsultraconstrainednetworkaccess",
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
const APPLE_KEYCHAIN_DEFAULT: Source = Source {
    title: "Apple: kSecAttrAccessibleWhenUnlocked (the default)",
    url: "https://developer.apple.com/documentation/security/ksecattraccessiblewhenunlocked",
};
const APPLE_KEYCHAIN_AFTER_FIRST_UNLOCK: Source = Source {
    title: "Apple: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly",
    url: "https://developer.apple.com/documentation/security/ksecattraccessibleafterfirstunlockthisdeviceonly",
};
const APPLE_PINNING: Source = Source {
    title: "Apple: Identity Pinning, how to configure server certificates for your app",
    url: "https://developer.apple.com/news/?id=g9ejcf8y",
};
const FCM_PRIORITY: Source = Source {
    title: "Firebase: Set the priority of a message",
    url: "https://firebase.google.com/docs/cloud-messaging/customize-messages/setting-message-priority",
};
const FCM_ANDROID_PRIORITY: Source = Source {
    title: "Firebase: Set and manage Android message priority",
    url: "https://firebase.google.com/docs/cloud-messaging/android-message-priority",
};
const FCM_RECEIVE: Source = Source {
    title: "Firebase: Receive messages in Android apps",
    url: "https://firebase.google.com/docs/cloud-messaging/android/receive-messages",
};
const FCM_ANDROID_CONFIG_V2: Source = Source {
    title: "Firebase: Migrate to AndroidConfigV2 (preview)",
    url: "https://firebase.google.com/docs/cloud-messaging/send/v2-api",
};
const FCM_MESSAGE_TYPES: Source = Source {
    title: "Firebase: Message types (payload size)",
    url: "https://firebase.google.com/docs/cloud-messaging/customize-messages/set-message-type",
};
const FCM_COLLAPSIBLE: Source = Source {
    title: "Firebase: Non-collapsible and collapsible messages",
    url: "https://firebase.google.com/docs/cloud-messaging/customize-messages/collapsible-message-types",
};
const FCM_LIFESPAN: Source = Source {
    title: "Firebase: Set the lifespan of a message",
    url: "https://firebase.google.com/docs/cloud-messaging/customize-messages/setting-message-lifespan",
};
const RFC_HTTP_SEMANTICS: Source = Source {
    title: "RFC 9110: HTTP Semantics (conditional requests, 304, 410, 412, 503, Retry-After)",
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
const REALM_CLIENT_RESET: Source = Source {
    title: "Atlas Device SDK: Client reset (recover or discard unsynced changes)",
    url: "https://mongodb.com/docs/atlas/device-sdks/sdk/java/sync/reset-a-client-realm",
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
        sources: &[GOOGLE_CALENDAR_SYNC, RFC_HTTP_SEMANTICS],
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
             job and pushes. A backgrounded app is not woken when the network returns (an app \
             targeting Android 7.0 or higher gets no connectivity broadcast through a receiver \
             declared in its manifest), so give the sync job a network constraint instead (on \
             Android, \
             WorkManager's `NetworkType.CONNECTED`). \"How do I set up push for sync on both \
             platforms?\" covers the pushes.",
            "All of these triggers should start the same sync, and only one sync should run at \
             a time. On Android, enqueue it as unique work: `enqueueUniqueWork` for one-off \
             runs, `enqueueUniquePeriodicWork` with `ExistingPeriodicWorkPolicy` `KEEP` or \
             `UPDATE` for the periodic one. On iOS, give each job one `BGTaskScheduler` \
             identifier (submitting a request replaces the pending one with that identifier) \
             and route every trigger through a single sync coordinator in the app that joins \
             calls arriving while a sync runs.",
        ],
        sources: &[
            RFC_WEBSOCKET,
            ANDROID_BACKGROUND_OPTIMIZATION,
            ANDROID_DEFINE_WORK,
            ANDROID_MANAGE_WORK,
            APPLE_BGTASK_SUBMIT,
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
             with `adb`, turn on Low Power Mode and Low Data Mode, and check that sync still \
             catches up. On iOS, launch a `BGTaskScheduler` task at once from the debugger on a \
             device (Apple documents the simulate-launch command; it is for development only) \
             instead of waiting hours for the system to run it.",
            "Include a force-quit (iOS) and a force-stop (Android) in the plan, and expect no \
             background sync at all afterwards: iOS cancels the app's background transfers \
             and does not run its background work until the user opens it again, and Android \
             clears its jobs and alarms until then. The test passes when sync catches up at \
             the next launch.",
        ],
        sources: &[
            ANDROID_DOZE,
            ANDROID_STANDBY_BUCKETS,
            APPLE_TASK_DEBUGGING,
            APPLE_BACKGROUND_CANCEL_REASONS,
            APPLE_BACKGROUND_EXECUTION,
            ANDROID_15_CHANGES,
            ANDROID_APP_START_INFO,
        ],
    },
    Faq {
        id: "faq-interval",
        question: "What is the right sync interval for periodic background sync?",
        answer: &[
            "It depends on how fresh the data must be and on your battery budget. Every 15 to \
             30 minutes in the background is achievable on Android only, and only while the \
             app is used often: WorkManager runs a `PeriodicWorkRequest` at most every 15 \
             minutes, at inexact times, and Doze defers it further.",
            "App Standby Buckets limit jobs too. The system puts each app in a bucket (Active, \
             Working set, Frequent, Rare, Restricted) from how recently and how often it is \
             used, and each lower bucket gets less job time: in the rare bucket, about 10 \
             minutes of jobs in 24 hours. The app cannot choose its bucket, and device makers \
             may assign buckets by their own criteria; the limits are lifted while the phone \
             charges.",
            "On iOS, Apple publishes no number of background refreshes a day. The system \
             decides when `BGAppRefreshTask` runs from how people use the app and the state of \
             the device, and it may not run at all: `earliestBeginDate` is only a floor, and \
             nothing runs after a force-quit, in Low Power Mode or with Background App Refresh \
             off.",
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
            ANDROID_STANDBY_BUCKETS,
            ANDROID_POWER_LIMITS,
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
            "Know what each choice costs. Ordering by the time the server received a write \
             makes the last upload win, so an edit made offline hours ago can overwrite newer \
             ones when it finally arrives: send the version each edit started from and let the \
             server refuse a stale one, as HTTP does with `If-Match` and `412 Precondition \
             Failed`. A hybrid logical clock still takes the largest physical time it has \
             seen, so one device with its clock far in the future drags every later timestamp \
             along: have the server reject or clamp timestamps far ahead of its own clock.",
            "Counters, balances and lists need merge operations (\"add 3\", \"append\") \
             instead of overwritten values. Reach for CRDTs such as Automerge or Yjs only for \
             data several people edit together in real time; they cost storage and complexity.",
        ],
        sources: &[HYBRID_LOGICAL_CLOCKS, RFC_HTTP_SEMANTICS, AUTOMERGE, YJS],
    },
    Faq {
        id: "faq-queue",
        question: "How should the offline upload queue work?",
        answer: &[
            "Persist every local write to an ordered queue on disk before showing it as done, \
             grouped by the transaction it belongs to, and upload in that order.",
            "Make retries safe with an idempotency key: each mutation carries a key the client \
             generated, and the server stores the keys it applied, with their results, for a \
             retention window longer than the longest offline period you support, since a \
             queued write may be retried days later. Off-the-shelf windows are short: Stripe \
             may drop keys once they are 24 hours old. A repeat gets the stored result instead \
             of being applied twice. The alternative is a strictly sequential per-client \
             counter with no gaps, like Replicache's `lastMutationID`. Remembering only the \
             newest id is not enough: it breaks with random ids, and it drops a parked write \
             that is retried later.",
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
             cellular are honoured, and from iOS 26.1 decide \
             `allowsUltraConstrainedNetworkAccess` too; on Android give large jobs the \
             `NetworkType.UNMETERED` constraint and check Data Saver with \
             `getRestrictBackgroundStatus()`.",
            "Set those rules on every request or session rather than checking the network once \
             when a task starts: that check goes stale when the phone changes networks. For a \
             strict Wi-Fi-only rule, set `allowsCellularAccess` to false as well. A \
             discretionary background session (`isDiscretionary`) is only a scheduling hint: \
             iOS may wait for Wi-Fi and power, but nothing keeps the transfer off cellular.",
            "Do not download what has not changed: send the stored `ETag` in `If-None-Match`, \
             and the server answers `304 Not Modified` with no body.",
            "Background windows are short, so make large uploads and downloads resumable in \
             chunks. Fetch what the user sees first, and defer attachments and history to \
             Wi-Fi.",
        ],
        sources: &[
            APPLE_CONSTRAINED_NETWORK,
            APPLE_EXPENSIVE_NETWORK,
            APPLE_ULTRA_CONSTRAINED_NETWORK,
            APPLE_SESSION_CONFIGURATION,
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
             a background refresh a short run, at times it chooses, and calls the task's \
             expiration handler just before that time is up.",
            "Batch work into few wake-ups, and run heavy jobs only while charging or with a \
             healthy battery (`requiresExternalPower`, `setRequiresCharging`, \
             `setRequiresBatteryNotLow`). Retry with exponential backoff: WorkManager's \
             `BackoffPolicy.EXPONENTIAL` spaces out job retries (30 seconds at first by \
             default, never less than 10 seconds, doubling up to 5 hours) but adds no \
             randomness, so add random jitter to the retries your own code makes, and honour \
             `Retry-After` on 429 and 503 responses.",
            "Keep sockets for the foreground, and design the UI so sync arriving hours late is \
             still fine.",
        ],
        sources: &[
            ANDROID_POWER_LIMITS,
            ANDROID_DEFINE_WORK,
            ANDROID_BACKOFF_POLICY,
            ANDROID_WORK_REQUEST,
            APPLE_EXTERNAL_POWER,
            APPLE_BGTASK,
            AWS_BACKOFF,
            RFC_TOO_MANY_REQUESTS,
            RFC_HTTP_SEMANTICS,
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
            "Expedited work has a quota that depends on the app's standby bucket. Choose what \
             happens when it runs out with an `OutOfQuotaPolicy` \
             (`RUN_AS_NON_EXPEDITED_WORK_REQUEST` or `DROP_WORK_REQUEST`), and implement \
             `getForegroundInfo`: on Android 11 and lower, WorkManager runs expedited work as a \
             foreground service showing that notification. Do not build sync on \
             `AlarmManager` exact alarms: on Android 14 and later, `SCHEDULE_EXACT_ALARM` is \
             denied by default to most newly installed apps that target Android 13 or higher.",
            "Avoid long `dataSync` foreground services. In apps targeting Android 15 or \
             higher, `dataSync` and `mediaProcessing` services may run for only 6 hours in any \
             24 while the app is in the background, each type counted apart, before the \
             system calls `Service.onTimeout()`; the count starts again when the user \
             interacts with the app. From Android 16, jobs that run alongside a foreground \
             service still count against the app's job quota. Log \
             `WorkInfo.getStopReason()` to see when a quota stopped you.",
            "On iOS, use `BGAppRefreshTask` for short refreshes whenever the system grants \
             them, `BGProcessingTask` for heavy maintenance while charging, and a background \
             `URLSession` for large uploads and downloads. The system runs those transfers in a \
             separate process, so they go on while your app is suspended and even after the \
             system ends it; a force-quit by the user cancels them. Since iOS 17 it can resume \
             an interrupted upload if your server \
             supports resumable uploads. For long work the user starts and watches, iOS 26 \
             adds `BGContinuedProcessingTask`, which shows its progress and which the user can \
             cancel.",
            "Two iOS details decide whether any of this runs. List every task identifier in \
             `BGTaskSchedulerPermittedIdentifiers` and register each handler before the app \
             finishes launching. And when the user leaves the app in the middle of a sync, \
             wrap the work in `beginBackgroundTask(withName:expirationHandler:)` and end the \
             task when it finishes, so iOS gives it extra time before suspending the app.",
        ],
        sources: &[
            ANDROID_DEFINE_WORK,
            ANDROID_USER_INITIATED_TRANSFER,
            ANDROID_EXPEDITED_QUOTA,
            ANDROID_OUT_OF_QUOTA,
            ANDROID_12_FOREGROUND_SERVICES,
            ANDROID_WORKER,
            ANDROID_EXACT_ALARMS,
            ANDROID_FGS_TIMEOUT,
            ANDROID_16_CHANGES,
            APPLE_BACKGROUND_STRATEGIES,
            APPLE_BACKGROUND_SESSION,
            APPLE_BACKGROUND_DOWNLOADS,
            APPLE_BACKGROUND_CANCEL_REASONS,
            APPLE_RESUMABLE_UPLOADS,
            APPLE_CONTINUED_PROCESSING,
            APPLE_USING_BACKGROUND_TASKS,
            APPLE_BGTASK_REGISTER,
            APPLE_EXTEND_BACKGROUND_TIME,
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
            "Apple's budget for background notifications depends on current conditions: send \
             no more than two or three an hour, expect fewer to arrive, and expect none at all \
             after the user force-quits the app. Never use them as a schedule.",
            "On Android, send FCM data messages (a `data` payload without `notification`) at \
             normal priority, which suits sync: FCM may delay normal-priority messages \
             whenever the app is in the background, not only in Doze. High priority is meant \
             for messages that show the user a notification; if yours do not, FCM may \
             deprioritise them to normal priority, judging by the last 7 days of messages. \
             `onMessageReceived` gets only a short window, so enqueue the sync with WorkManager \
             from there.",
            "Firebase is previewing a newer Android message format, `AndroidConfigV2`: a \
             `background_sync` message type for non-urgent sync, delivered to the new \
             `onBackgroundSyncReceived` callback, and a separate type for urgent notifications. \
             While it is in preview, keep sending normal-priority data messages; FCM translates \
             the new format for devices with older SDKs, so you can move to it later without \
             waiting for app updates.",
            "Plan for pushes that never arrive. APNs and FCM refuse payloads over 4 KB, so send \
             a poke rather than the data. While a device is offline, APNs keeps only one \
             notification per app, for at most 30 days as set by `apns-expiration`. FCM keeps \
             up to 100 non-collapsible messages per device; past that it discards them all and \
             the app gets `onDeletedMessages`, which should start a full sync. FCM stores at \
             most four collapse keys per device and keeps a message for at most 28 days.",
            "Send the device token to your server at every launch and whenever it changes \
             (`onNewToken` on Android). If you send to iOS through FCM too, put the APNs \
             headers in the message's `apns` block.",
        ],
        sources: &[
            APPLE_BACKGROUND_PUSH,
            APPLE_APNS_REQUESTS,
            APPLE_NOTIFICATION_PAYLOAD,
            FCM_PRIORITY,
            FCM_ANDROID_PRIORITY,
            FCM_RECEIVE,
            FCM_ANDROID_CONFIG_V2,
            FCM_MESSAGE_TYPES,
            FCM_COLLAPSIBLE,
            FCM_LIFESPAN,
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
             behaves the same way.",
            "Keep the keys in the Keychain or the Android Keystore, never beside the data, and \
             check their lock state too. A Keychain item added without an accessibility class \
             gets `kSecAttrAccessibleWhenUnlocked` and cannot be read while the phone is \
             locked: set `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly` explicitly, which \
             also keeps the item from moving to another device through a backup. On Android, a \
             Keystore key created with `setUnlockedDeviceRequired(true)` cannot decrypt while \
             the phone is locked, so background sync must not depend on one.",
            "Send everything over HTTPS: App Transport Security and Android's network security \
             configuration refuse cleartext by default. Apple advises against certificate \
             pinning in most apps. Pin only if a rule requires it, and then pin the CA or public \
             key, ship backup pins with an expiry, and plan how to rotate them before the \
             certificate changes, or old app versions stop syncing.",
        ],
        sources: &[
            APPLE_FILE_PROTECTION,
            APPLE_KEYCHAIN,
            APPLE_KEYCHAIN_DEFAULT,
            APPLE_KEYCHAIN_AFTER_FIRST_UNLOCK,
            ANDROID_DIRECT_BOOT,
            ANDROID_KEYSTORE,
            ANDROID_KEY_GEN_SPEC,
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
            "Record why work was stopped before it finished: on Android, \
             `WorkInfo.getStopReason()` (or `JobParameters.getStopReason()` for JobScheduler \
             jobs) tells you whether a quota, a constraint, the standby bucket, a timeout or a \
             cancel ended the run. A \
             run that returned `Result.failure()` was not stopped and has no stop reason, so \
             log your own failures separately. Watch Android vitals too: excessive partial \
             wake locks is a core vital and can lower your app's visibility on Google Play.",
            "Detect the switches that turn sync off and say so in the app: Background App \
             Refresh (`backgroundRefreshStatus`) and Low Power Mode (`isLowPowerModeEnabled`) \
             on iOS, the Restricted battery setting (`isBackgroundRestricted()`) and Data Saver \
             (`getRestrictBackgroundStatus()`) on Android. A force-quit stops background sync \
             on iOS until the app is opened again, and a force-stop does the same on Android \
             (`ApplicationStartInfo.wasForceStopped()` reports it from Android 15).",
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
            ANDROID_APP_START_INFO,
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
        sources: &[SQLITE_TRANSACTIONS, REALM_CLIENT_RESET],
    },
];

pub fn faq(id: &str) -> Option<&'static Faq> {
    FAQ.iter().find(|f| f.id == id)
}

#[cfg(test)]
mod tests;
