//! A per-client rate limit (GCRA: a burst of `per_window`, then one every `window /
//! per_window`) whose memory is bounded: it remembers at most `capacity` clients, spread
//! over shards that each evict their least recently seen client in O(1) when full.

use crate::server::store::ClientKey;
use lru::LruCache;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SHARDS: usize = 16;

pub struct RateLimiter {
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// How far ahead of `now` a client's schedule may run (the burst).
    tolerance: Duration,
    /// Per client: when its next request would be on schedule ("theoretical arrival time").
    shards: Vec<Mutex<LruCache<ClientKey, Instant>>>,
}

impl RateLimiter {
    /// `per_window` requests per `window` per client, remembering at most `capacity` clients.
    pub fn new(per_window: u32, window: Duration, capacity: usize) -> RateLimiter {
        let per_window = per_window.max(1);
        let interval = window / per_window;
        let per_shard = NonZeroUsize::new(capacity.div_ceil(SHARDS).max(1)).expect("at least 1");
        RateLimiter {
            interval,
            tolerance: window.saturating_sub(interval),
            shards: (0..SHARDS)
                .map(|_| Mutex::new(LruCache::new(per_shard)))
                .collect(),
        }
    }

    /// Counts a request from `client`, or says how many seconds until one is allowed.
    pub fn check(&self, client: ClientKey, now: Instant) -> Result<(), u64> {
        let mut hasher = DefaultHasher::new();
        client.hash(&mut hasher);
        let shard = &self.shards[hasher.finish() as usize % SHARDS];
        let mut clients = shard.lock().unwrap_or_else(|e| e.into_inner());
        let scheduled = clients.get(&client).copied().unwrap_or(now).max(now);
        let ahead = scheduled - now;
        if ahead > self.tolerance {
            let wait = ahead - self.tolerance;
            return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        }
        // `push` evicts the least recently seen client when the shard is full.
        clients.push(client, scheduled + self.interval);
        Ok(())
    }

    /// How many clients are remembered now (at most the capacity given to `new`).
    pub fn remembered(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// The most clients this limiter ever remembers.
    pub fn capacity(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).cap().get())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u32) -> ClientKey {
        ClientKey::V4(n)
    }

    #[test]
    fn allows_a_burst_then_the_sustained_rate() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60), 1000);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(key(1), t0), Ok(()));
        }
        assert_eq!(limiter.check(key(1), t0 + Duration::from_secs(5)), Err(15));
        assert_eq!(
            limiter.check(key(2), t0),
            Ok(()),
            "clients are counted apart"
        );
        assert_eq!(limiter.check(key(1), t0 + Duration::from_secs(20)), Ok(()));
        assert!(limiter.check(key(1), t0 + Duration::from_secs(21)).is_err());
        assert_eq!(limiter.check(key(1), t0 + Duration::from_secs(60)), Ok(()));
    }

    #[test]
    fn refused_requests_do_not_push_the_schedule_further() {
        let limiter = RateLimiter::new(1, Duration::from_secs(10), 10);
        let t0 = Instant::now();
        assert_eq!(limiter.check(key(1), t0), Ok(()));
        for s in 1..10 {
            assert!(limiter.check(key(1), t0 + Duration::from_secs(s)).is_err());
        }
        assert_eq!(limiter.check(key(1), t0 + Duration::from_secs(10)), Ok(()));
    }

    #[test]
    fn memory_is_bounded_by_the_capacity() {
        let limiter = RateLimiter::new(30, Duration::from_secs(60), 1_000);
        let t0 = Instant::now();
        for n in 0..100_000 {
            let _ = limiter.check(key(n), t0);
        }
        assert!(limiter.remembered() <= limiter.capacity());
        assert!(limiter.capacity() < 1_100);
        // The most recent clients are still limited.
        for _ in 0..29 {
            assert_eq!(limiter.check(key(99_999), t0), Ok(()));
        }
        assert!(limiter.check(key(99_999), t0).is_err());
    }
}
