//! How a live connection comes back: how long to wait after each failure, when a network
//! that keeps refusing WebSockets gets the fallback (Server-Sent Events and `POST`), how
//! often to ping, and when a silent connection is given up. Pure rules (the randomness is
//! passed in), so they are tested natively; the editor's sync client applies them.

use std::time::Duration;

/// Ping interval.
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// A connection silent this long (milliseconds) is given up and opened again.
pub const SILENT_MS: f64 = 50_000.0;
/// The first wait after a failure, and the most it grows to (milliseconds).
pub const BACKOFF_FIRST_MS: f64 = 500.0;
pub const BACKOFF_MAX_MS: f64 = 30_000.0;
/// WebSockets that end before a welcome, in a row, after which the fallback is used.
pub const WS_FAILURES_BEFORE_FALLBACK: u32 = 2;

/// The wait before reconnecting after `attempt` failures in a row: 0.5 s doubling to 30 s,
/// times `jitter` in [0, 1) mapped to between half and all of it, so clients that lost the
/// server together do not come back in step.
pub fn backoff_with(attempt: u32, jitter: f64) -> Duration {
    let full = (BACKOFF_FIRST_MS * 2f64.powi(attempt.min(16) as i32)).min(BACKOFF_MAX_MS);
    let factor = 0.5 + 0.5 * jitter.clamp(0.0, 1.0);
    Duration::from_millis((full * factor) as u64)
}

/// `backoff_with` and the browser's randomness.
pub fn backoff(attempt: u32) -> Duration {
    backoff_with(attempt, js_sys::Math::random())
}

/// Whether the next connection should use the fallback, after `failures` WebSockets in a
/// row ended before a welcome while the browser said it was online.
pub fn use_fallback(failures: u32) -> bool {
    failures >= WS_FAILURES_BEFORE_FALLBACK
}

/// Whether a connection last heard from `silent_ms` ago is to be given up.
pub fn gone_silent(silent_ms: f64) -> bool {
    silent_ms > SILENT_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_to_a_ceiling_with_jitter_between_half_and_all() {
        assert_eq!(backoff_with(0, 0.0), Duration::from_millis(250));
        assert_eq!(backoff_with(0, 0.999_999), Duration::from_millis(499));
        assert_eq!(backoff_with(1, 1.0), Duration::from_millis(1_000));
        assert_eq!(backoff_with(3, 1.0), Duration::from_millis(4_000));
        assert_eq!(backoff_with(6, 1.0), Duration::from_millis(30_000));
        assert_eq!(backoff_with(u32::MAX, 0.0), Duration::from_millis(15_000));
        for attempt in 0..40 {
            let (low, high) = (backoff_with(attempt, 0.0), backoff_with(attempt, 1.0));
            assert!(low * 2 >= high - Duration::from_millis(1) && low <= high);
            assert!(high <= Duration::from_secs(30));
        }
    }

    #[test]
    fn the_fallback_comes_after_two_refused_sockets_and_silence_after_50_s() {
        assert!(!use_fallback(0) && !use_fallback(1) && use_fallback(2));
        assert!(!gone_silent(49_999.0) && gone_silent(50_001.0));
        assert!(SILENT_MS > PING_EVERY.as_millis() as f64 * 2.0);
    }
}
