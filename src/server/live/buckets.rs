//! Rate limits of live editing, kept per instance (not per room or connection), so they hold
//! across reconnects and across a room being dropped: edits and presence per replica (bound
//! to its key, so nobody can spend another's), edits per client address. Bounded: the least
//! recently used are forgotten first.

use crate::server::store::ClientKey;
use crate::shared::ShareId;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::Instant;

/// What a bucket limits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// Ops one replica sends to one plan.
    Ops(ShareId, u32),
    /// Presence one replica sends to one plan.
    Presence(ShareId, u32),
    /// Ops from one client address, to any plan.
    Client(ClientKey),
}

/// A token bucket: `rate` per second, up to `burst`.
#[derive(Clone, Debug)]
pub struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    at: Instant,
}

impl Bucket {
    pub fn new(rate: f64, burst: f64) -> Bucket {
        Bucket {
            tokens: burst,
            rate,
            burst,
            at: Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
    }

    pub fn take(&mut self, n: f64) -> bool {
        self.refill();
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }

    /// Gives back what `take` took (another limit refused the same request).
    fn give_back(&mut self, n: f64) {
        self.tokens = (self.tokens + n).min(self.burst);
    }
}

pub struct Buckets {
    map: Mutex<LruCache<Key, Bucket>>,
}

/// A limit: a key, and its rate and burst.
pub struct Limit {
    pub key: Key,
    pub rate: f64,
    pub burst: f64,
}

impl Buckets {
    pub fn new(capacity: usize) -> Buckets {
        Buckets {
            map: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity.max(1)).expect("at least 1"),
            )),
        }
    }

    /// Takes `n` from every limit's bucket, or from none (when one of them is short).
    pub fn take(&self, limits: &[Limit], n: f64) -> bool {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let mut taken: Vec<&Key> = Vec::new();
        for limit in limits {
            let bucket =
                map.get_or_insert_mut(limit.key.clone(), || Bucket::new(limit.rate, limit.burst));
            if !bucket.take(n) {
                for key in taken {
                    if let Some(b) = map.get_mut(key) {
                        b.give_back(n);
                    }
                }
                return false;
            }
            taken.push(&limit.key);
        }
        true
    }

    /// Buckets remembered.
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_refill_at_their_rate() {
        let mut b = Bucket::new(10.0, 5.0);
        assert!(b.take(5.0));
        assert!(!b.take(1.0));
        b.at -= Duration::from_millis(200);
        assert!(b.take(2.0));
    }

    #[test]
    fn a_limit_holds_across_takes_and_all_or_none_is_taken() {
        let buckets = Buckets::new(10);
        let id = ShareId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let client = ClientKey::of("192.0.2.1".parse().unwrap());
        let limits = |replica| {
            [
                Limit {
                    key: Key::Ops(id.clone(), replica),
                    rate: 0.0,
                    burst: 10.0,
                },
                Limit {
                    key: Key::Client(client),
                    rate: 0.0,
                    burst: 15.0,
                },
            ]
        };
        assert!(buckets.take(&limits(1), 10.0));
        assert!(
            !buckets.take(&limits(1), 1.0),
            "the replica's bucket is empty"
        );
        // Another replica from the same address: its own bucket, the address's shared.
        assert!(!buckets.take(&limits(2), 6.0), "the address has 5 left");
        assert!(
            buckets.take(&limits(2), 5.0),
            "nothing was taken by the refusal"
        );
        assert!(buckets.len() <= 10);
    }
}
