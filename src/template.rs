//! The Background Sync template as data: its categories, the expert checklist every new
//! plan starts from, and the FAQ shown beside the table.

use crate::model::{Plan, Priority, Row, RowId, Status, DEFAULT_TITLE};

mod hints;

pub use hints::{hints_for, Hint, HintRule, Platform, HINT_RULES};

pub const PAGE_TITLE: &str = "Background sync planning template";
pub const INTRO: &str = "Plan reliable background sync for your mobile app. The checklist \
covers sync triggers, conflict resolution, the offline queue, bandwidth, battery and platform \
limits. Edit any cell: every change is saved in this browser.";

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

const ROWS: [TemplateRow; 27] = [
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

/// One question of the FAQ. Answers are paragraphs of plain text; `backticks` mark code.
#[derive(Clone, Copy, Debug)]
pub struct Faq {
    pub id: &'static str,
    pub question: &'static str,
    pub answer: &'static [&'static str],
}

pub const FAQ: [Faq; 11] = [
    Faq {
        id: "faq-background-days",
        question: "How do I handle sync when the app has been in the background for days?",
        answer: &[
            "Combine delta sync with a full-sync fallback. When the app returns to the \
             foreground, ask the server for everything changed since `lastSyncTimestamp`.",
            "If the server answers that a full sync is required (the delta is too large), or \
             the timestamp is older than the server's retention window, start a full re-sync \
             instead. Make that re-sync incremental, in pages, so it never blocks the UI: \
             users should see their newest data within seconds while older data fills in \
             behind it.",
        ],
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
        ],
    },
    Faq {
        id: "faq-interval",
        question: "What is the right sync interval for periodic background sync?",
        answer: &[
            "It depends on how fresh the data must be and on your battery budget. For most \
             apps, every 15 to 30 minutes in the background is enough.",
            "The platforms decide the exact timing: iOS runs `BGAppRefreshTask` when it judges \
             best, whatever you ask for, and Android's WorkManager will not run periodic work \
             more often than every 15 minutes. In the foreground, poll every 30 to 60 seconds \
             if a WebSocket is not an option. Keep the interval configurable on the server so \
             you can change it without an app update.",
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
            "Counters, balances and lists need merge operations (\"add 3\", \"append\") \
             instead of overwritten values. Reach for CRDTs such as Automerge or Yjs only for \
             data several people edit together in real time; they cost storage and complexity.",
        ],
    },
    Faq {
        id: "faq-queue",
        question: "How should the offline upload queue work?",
        answer: &[
            "Persist every local write to an ordered queue on disk before showing it as done, \
             grouped by the transaction it belongs to, and upload in that order.",
            "Make retries safe: each mutation carries a client-generated id, and the server \
             records the last id it applied for each client, so a retry after a timeout is \
             ignored instead of applied twice. Drop an item only after the server has applied \
             it, and move a rejected write aside with its error so it cannot block the rest.",
        ],
    },
    Faq {
        id: "faq-bandwidth",
        question: "How do I keep sync cheap on metered and low-data networks?",
        answer: &[
            "Send deltas, not full records, and compress payloads. Respect the user's data \
             settings: on iOS set `allowsConstrainedNetworkAccess` and \
             `allowsExpensiveNetworkAccess` to false for bulk transfers so Low Data Mode and \
             cellular are honoured; on Android give large jobs the `NetworkType.UNMETERED` \
             constraint.",
            "Background windows are short, so make large uploads and downloads resumable in \
             chunks. Fetch what the user sees first, and defer attachments and history to \
             Wi-Fi.",
        ],
    },
    Faq {
        id: "faq-battery",
        question: "How much battery may background sync use, and what limits does the OS set?",
        answer: &[
            "Assume the OS will ration you. Android's Doze and App Standby buckets defer jobs \
             (an app in the rare bucket gets about 10 minutes of jobs per day), and iOS gives \
             a background refresh roughly 30 seconds, at times it chooses.",
            "Batch work into few wake-ups, retry with exponential backoff and jitter, and run \
             heavy jobs only while charging or with a healthy battery \
             (`requiresExternalPower`, `setRequiresBatteryNotLow`). Keep sockets for the \
             foreground. Design the UI so sync arriving hours late is still fine.",
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
             the records its user may see; never rely on the app to hide data. Encrypt the \
             local store and the queue, and revoke sync for a device when its user signs out.",
        ],
    },
    Faq {
        id: "faq-observability",
        question: "How do I know sync is working for real users?",
        answer: &[
            "Instrument the client: time of the last successful sync, queue depth, sync \
             duration, errors by type and retry counts, sent to your telemetry with the OS \
             version and network type.",
            "Alert on rising failure rates and growing queues, and show users a clear \"last \
             synced\" time with a way to retry. It turns silent failures into support tickets \
             you can act on.",
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
    },
];

pub fn faq(id: &str) -> Option<&'static Faq> {
    FAQ.iter().find(|f| f.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_template_is_a_valid_plan() {
        let plan = default_plan();
        assert!(plan.rows.len() >= 25);
        assert_eq!(plan.validate(), Ok(()));
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
}
