//! Platform-constraint hints: a row that names a schedule the platforms will not keep
//! ("poll every 5 min in the background") gets a short warning, in terms of the platform the
//! row names, linking to the FAQ answer that explains the limit. The rules are data;
//! `hints_for` applies them.

/// Which rows a rule looks at, by the platforms a row names. A row that names no platform
/// runs on both, so every limit of either platform applies to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Rows that name Android, or no platform.
    Android,
    /// Rows that name iOS, or no platform.
    Ios,
    /// Rows that name Android and not iOS: for Android's own wording of a limit.
    AndroidOnly,
    /// Rows that name iOS and not Android: for Apple's own wording of a limit.
    IosOnly,
    /// Rows that name both platforms or neither: for one wording that covers both.
    BothOrNeither,
}

impl Platform {
    /// Whether a row naming Android (`android`) and iOS (`ios`) is one of these rows.
    fn covers(self, android: bool, ios: bool) -> bool {
        match self {
            Platform::Android => android || !ios,
            Platform::Ios => ios || !android,
            Platform::AndroidOnly => android && !ios,
            Platform::IosOnly => ios && !android,
            Platform::BothOrNeither => android == ios,
        }
    }
}

/// One platform limit.
#[derive(Debug)]
pub struct HintRule {
    pub id: &'static str,
    pub platform: Platform,
    /// Fires when the row names a repeat interval shorter than this many seconds.
    pub shorter_than_secs: f64,
    /// When not empty, the row must also mention one of these phrases.
    pub needs_any: &'static [&'static str],
    /// Rows that mention a phrase of one of these lists are left alone.
    pub unless_any: &'static [&'static [&'static str]],
    /// Whether intervals of retries ("retry every 30 s", "back off every 2 min") are left
    /// out when looking for the shortest interval.
    pub skip_retries: bool,
    pub message: &'static str,
    /// The FAQ answer that explains the limit.
    pub faq: &'static str,
}

/// The foreground, where apps may poll as often as they like.
const FOREGROUND: &[&str] = &[
    "foreground",
    "websocket",
    "websockets",
    "web socket",
    "while the app is open",
    "on screen",
];

/// Pushes, which the silent-push rules cover.
const PUSH: &[&str] = &["push", "pushes"];

/// Pushes that wake the app without showing anything: Apple's background notifications and
/// FCM's data messages.
const SILENT_PUSH: &[&str] = &[
    "silent push",
    "silent pushes",
    "silent notification",
    "silent notifications",
    "background push",
    "background pushes",
    "background notification",
    "background notifications",
    "content available",
    "data message",
    "data messages",
];

/// Pushes more often than this are a schedule, not a nudge: Apple advises sending no more
/// than two or three an hour.
const PUSH_SCHEDULE_SECS: f64 = 20.0 * 60.0;

pub const HINT_RULES: [HintRule; 5] = [
    HintRule {
        id: "android-periodic-minimum",
        platform: Platform::Android,
        shorter_than_secs: 15.0 * 60.0,
        needs_any: &[],
        unless_any: &[FOREGROUND, PUSH, SILENT_PUSH],
        // Retries follow WorkManager's backoff (10 seconds at the least) or the app's own
        // timers, not the 15-minute minimum of periodic work.
        skip_retries: true,
        message: "Android runs periodic background work at most every 15 minutes \
                  (WorkManager's minimum), and Doze can push it back further.",
        faq: "faq-interval",
    },
    HintRule {
        id: "ios-refresh-not-guaranteed",
        platform: Platform::Ios,
        // A daily schedule is about what iOS grants; anything tighter is a wish.
        shorter_than_secs: 24.0 * 3600.0,
        needs_any: &[],
        unless_any: &[FOREGROUND, PUSH, SILENT_PUSH],
        skip_retries: false,
        message: "iOS decides when background refresh runs: earliestBeginDate is only a \
                  floor, Apple promises no number of runs (there may be none), and none come \
                  after a force-quit.",
        faq: "faq-interval",
    },
    HintRule {
        id: "silent-push-throttled",
        platform: Platform::BothOrNeither,
        shorter_than_secs: PUSH_SCHEDULE_SECS,
        needs_any: SILENT_PUSH,
        unless_any: &[],
        skip_retries: false,
        message: "Neither platform keeps a silent-push schedule: Apple advises sending no more \
                  than two or three an hour, may deliver fewer and delivers none after a \
                  force-quit, and FCM may delay normal-priority messages to a backgrounded app \
                  and deprioritise high-priority ones that show no notification. Use a push \
                  as a nudge to sync, never as the schedule.",
        faq: "faq-push",
    },
    HintRule {
        id: "silent-push-apple-budget",
        platform: Platform::IosOnly,
        shorter_than_secs: PUSH_SCHEDULE_SECS,
        needs_any: SILENT_PUSH,
        unless_any: &[],
        skip_retries: false,
        message: "Apple rations silent pushes by a budget that changes with conditions (send \
                  no more than two or three an hour), may deliver fewer, and delivers none \
                  after a force-quit: use a push as a nudge to sync, never as the schedule.",
        faq: "faq-push",
    },
    HintRule {
        id: "silent-push-fcm-priority",
        platform: Platform::AndroidOnly,
        shorter_than_secs: PUSH_SCHEDULE_SECS,
        needs_any: SILENT_PUSH,
        unless_any: &[],
        skip_retries: false,
        message: "FCM may delay normal-priority messages whenever the app is in the \
                  background and may deprioritise high-priority ones that show no \
                  notification: use a push as a nudge to sync, never as the schedule.",
        faq: "faq-push",
    },
];

const ANDROID_WORDS: &[&str] = &["android", "workmanager", "jobscheduler", "doze"];
const IOS_WORDS: &[&str] = &[
    "ios",
    "iphone",
    "ipad",
    "bgapprefreshtask",
    "bgprocessingtask",
    "bgtaskscheduler",
    "background fetch",
    "apple",
    "apns",
];

/// A rule that fired on a row, with the words that made it fire.
#[derive(Clone, Debug, PartialEq)]
pub struct Hint {
    pub rule: &'static str,
    /// The schedule as the row wrote it, e.g. "every 5 min".
    pub phrase: String,
    pub message: &'static str,
    pub faq: &'static str,
}

impl Hint {
    pub fn text(&self) -> String {
        format!("“{}”: {}", self.phrase, self.message)
    }
}

/// The hints for a row's text (item and notes).
pub fn hints_for(texts: &[&str]) -> Vec<Hint> {
    // Cheap exit for the common case (a 2,000-row plan checks every row): every interval
    // `find_intervals` reads has one of these words, or a number with a unit ("5-minute").
    let may_name_interval = texts.iter().any(|t| {
        SCHEDULE_WORDS
            .iter()
            .any(|w| contains_ignore_ascii_case(t, w))
            || has_number_with_unit(t)
    });
    if !may_name_interval {
        return Vec::new();
    }
    let text = texts.join("\n");
    let tokens = tokenize(&text);
    let intervals = find_intervals(&tokens);
    if intervals.is_empty() {
        return Vec::new();
    }
    let names_android = ANDROID_WORDS.iter().any(|w| mentions(&tokens, w));
    let names_ios = IOS_WORDS.iter().any(|w| mentions(&tokens, w));
    HINT_RULES
        .iter()
        .filter(|rule| rule.platform.covers(names_android, names_ios))
        .filter(|rule| {
            !rule
                .unless_any
                .iter()
                .flat_map(|list| list.iter())
                .any(|w| mentions(&tokens, w))
        })
        .filter(|rule| {
            rule.needs_any.is_empty() || rule.needs_any.iter().any(|w| mentions(&tokens, w))
        })
        .filter_map(|rule| {
            let shortest = intervals
                .iter()
                .filter(|i| !(rule.skip_retries && i.retry))
                .min_by(|a, b| a.secs.total_cmp(&b.secs))?;
            (shortest.secs < rule.shorter_than_secs).then(|| Hint {
                rule: rule.id,
                phrase: text[shortest.start..shortest.end].to_owned(),
                message: rule.message,
                faq: rule.faq,
            })
        })
        .collect()
}

/// Words that start the intervals `find_intervals` reads ("every 5 min", "4 times an hour").
const SCHEDULE_WORDS: [&str; 5] = ["every", "each", "once", "twice", "times"];

/// Whether a number is followed (after at most two spaces or hyphens) by a time unit, as
/// in "a 5-minute interval" or "30s polling".
fn has_number_with_unit(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b',')
        {
            i += 1;
        }
        let mut j = i;
        while j < bytes.len() && j - i < 2 && matches!(bytes[j], b' ' | b'-') {
            j += 1;
        }
        let start = j;
        while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
            j += 1;
        }
        if j > start && unit_secs(&text[start..j].to_ascii_lowercase()).is_some() {
            return true;
        }
        i = j.max(i + 1);
    }
    false
}

fn contains_ignore_ascii_case(text: &str, word: &str) -> bool {
    text.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

#[derive(Clone, Debug, PartialEq)]
struct Token {
    /// Lower-cased.
    text: String,
    start: usize,
    end: usize,
    number: Option<f64>,
}

/// Splits text into words and numbers: "every 5min" is `every`, `5`, `min`; "1.5" stays one
/// number; everything that is not a letter or digit separates.
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_ascii_digit() {
            let mut end = start + 1;
            while let Some(&(i, d)) = chars.peek() {
                let decimal_point = (d == '.' || d == ',')
                    && text[i + 1..]
                        .chars()
                        .next()
                        .is_some_and(|n| n.is_ascii_digit());
                if d.is_ascii_digit() || decimal_point {
                    end = i + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(Token {
                text: text[start..end].to_owned(),
                start,
                end,
                number: parse_number(&text[start..end]),
            });
        } else if c.is_alphabetic() {
            let mut end = start + c.len_utf8();
            while let Some(&(i, d)) = chars.peek() {
                if d.is_alphabetic() || d == '\'' {
                    end = i + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let word = text[start..end].to_lowercase();
            let number = number_word(&word);
            tokens.push(Token {
                text: word,
                start,
                end,
                number,
            });
        }
    }
    tokens
}

/// Reads "5", "1.5" or "2,5" (by hand: `str::parse::<f64>` would add kilobytes of WASM).
fn parse_number(digits: &str) -> Option<f64> {
    let mut parts = digits.split(['.', ',']);
    let whole = parts.next()?;
    let fraction = parts.next().unwrap_or("");
    if parts.next().is_some() || whole.len() > 12 || fraction.len() > 6 {
        return None;
    }
    let value = |s: &str| s.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    let scale = 10u64.pow(fraction.len() as u32);
    Some(value(whole) as f64 + value(fraction) as f64 / scale as f64)
}

fn number_word(word: &str) -> Option<f64> {
    Some(match word {
        "one" => 1.0,
        "two" => 2.0,
        "three" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "seven" => 7.0,
        "eight" => 8.0,
        "nine" => 9.0,
        "ten" => 10.0,
        "twelve" => 12.0,
        "fifteen" => 15.0,
        "twenty" => 20.0,
        "thirty" => 30.0,
        "sixty" => 60.0,
        _ => return None,
    })
}

fn unit_secs(word: &str) -> Option<f64> {
    Some(match word {
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        _ => return None,
    })
}

/// Whether the words of `phrase` appear one after another.
fn mentions(tokens: &[Token], phrase: &str) -> bool {
    let words: Vec<&str> = phrase.split(' ').collect();
    tokens
        .windows(words.len())
        .any(|w| w.iter().zip(&words).all(|(t, word)| t.text == *word))
}

#[derive(Debug)]
struct Interval {
    secs: f64,
    start: usize,
    end: usize,
    /// Whether a retry word comes just before it ("retry every 30 s").
    retry: bool,
}

/// Whether one of the three words before token `at` makes an interval a retry schedule:
/// "retry every 30 s", "retries every minute", "back off every 2 min".
fn is_retry(tokens: &[Token], at: usize) -> bool {
    let word = |i: usize| tokens.get(i).map(|t| t.text.as_str()).unwrap_or("");
    (at.saturating_sub(3)..at).any(|i| {
        matches!(
            word(i),
            "retry" | "retries" | "retried" | "retrying" | "backoff"
        ) || (word(i) == "off" && matches!(word(i.wrapping_sub(1)), "back" | "backs" | "backing"))
    })
}

/// Every repeat interval the text names: "every 5 min", "each 30 s", "every 5–10 minutes"
/// (the shorter end counts), "every minute", "every few minutes", "once a minute",
/// "4 times an hour", "a 5-minute interval".
fn find_intervals(tokens: &[Token]) -> Vec<Interval> {
    let mut found = Vec::new();
    let word = |i: usize| tokens.get(i).map(|t| t.text.as_str()).unwrap_or("");
    let number = |i: usize| tokens.get(i).and_then(|t| t.number);
    let unit = |i: usize| tokens.get(i).and_then(|t| unit_secs(&t.text));
    let span = |from: usize, to: usize, secs: f64| Interval {
        secs,
        start: tokens[from].start,
        end: tokens[to].end,
        retry: is_retry(tokens, from),
    };
    for i in 0..tokens.len() {
        match word(i) {
            "every" | "each" => {
                if let Some(n) = number(i + 1) {
                    // "every 5 min", "every 5 to 10 min", "every 5-10 min"
                    let mut j = i + 2;
                    if matches!(word(j), "to" | "or") && number(j + 1).is_some() {
                        j += 2;
                    } else if number(j).is_some() {
                        j += 1;
                    }
                    if let Some(u) = unit(j) {
                        found.push(span(i, j, n * u));
                    }
                } else if let Some(u) = unit(i + 1) {
                    found.push(span(i, i + 1, u));
                } else if matches!(word(i + 1), "few" | "couple") {
                    let j = if word(i + 2) == "of" { i + 3 } else { i + 2 };
                    if let Some(u) = unit(j) {
                        let n = if word(i + 1) == "few" { 3.0 } else { 2.0 };
                        found.push(span(i, j, n * u));
                    }
                }
            }
            "once" | "twice" | "times" => {
                // "once a minute", "twice per hour", "4 times an hour"
                let (count, from) = match word(i) {
                    "once" => (Some(1.0), i),
                    "twice" => (Some(2.0), i),
                    _ => (i.checked_sub(1).and_then(number), i.saturating_sub(1)),
                };
                if let Some(count) = count.filter(|c| *c > 0.0) {
                    if matches!(word(i + 1), "a" | "an" | "per" | "every") {
                        if let Some(u) = unit(i + 2) {
                            found.push(span(from, i + 2, u / count));
                        }
                    }
                }
            }
            _ => {
                // "a 5-minute interval", "5 min polling"
                if let (Some(n), Some(u)) = (number(i), unit(i + 1)) {
                    if matches!(
                        word(i + 2),
                        "interval"
                            | "intervals"
                            | "poll"
                            | "polling"
                            | "cadence"
                            | "refresh"
                            | "schedule"
                            | "cycle"
                            | "sync"
                            | "syncs"
                    ) && !matches!(word(i.wrapping_sub(1)), "every" | "each")
                    {
                        found.push(span(i, i + 2, n * u));
                    }
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests;
