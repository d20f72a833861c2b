//! A room's events for its connections, bounded in bytes: each connection reads them in
//! order at its own pace; one that falls behind the oldest event kept is told so, and is
//! sent the whole document instead of being buffered for.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The bytes of events a room keeps for connections that are behind.
pub const FEED_BYTES: usize = 1024 * 1024;

/// What goes out to a room's connections.
#[derive(Clone, Debug)]
pub enum Event {
    /// A committed batch (sent to connections that had not seen it).
    Logged(u64, Arc<[u8]>),
    /// Someone's presence changed (not sent back to its own connection).
    Presence(u32, Arc<[u8]>),
    /// The edit link changed or the share ended: connections check themselves.
    Revalidate { hash: Option<String>, ended: bool },
    /// The room read its document afresh: connections take it whole.
    Snapshot(u64, Arc<[u8]>),
}

impl Event {
    fn size(&self) -> usize {
        match self {
            Event::Logged(_, bytes) | Event::Presence(_, bytes) | Event::Snapshot(_, bytes) => {
                bytes.len() + 32
            }
            Event::Revalidate { .. } => 96,
        }
    }
}

struct Kept {
    /// Events with their numbers, oldest first.
    events: VecDeque<(u64, Event)>,
    bytes: usize,
    /// The number the next event gets.
    next: u64,
}

pub struct Feed {
    kept: Mutex<Kept>,
    budget: usize,
    /// The number of the next event (changes wake readers).
    tx: watch::Sender<u64>,
}

/// Where one connection is in its room's feed.
pub struct Cursor {
    next: u64,
    rx: watch::Receiver<u64>,
}

/// What a connection reads next.
pub enum Read {
    Event(Event),
    /// Events it had not read were dropped: it must take the whole document.
    Behind,
    Nothing,
}

impl Feed {
    pub fn new(budget: usize) -> Feed {
        Feed {
            kept: Mutex::new(Kept {
                events: VecDeque::new(),
                bytes: 0,
                next: 0,
            }),
            budget,
            tx: watch::channel(0).0,
        }
    }

    /// Adds an event, dropping the oldest past the budget (the newest always stays).
    pub fn send(&self, event: Event) {
        let next = {
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            let id = kept.next;
            kept.next += 1;
            kept.bytes += event.size();
            kept.events.push_back((id, event));
            while kept.bytes > self.budget && kept.events.len() > 1 {
                if let Some((_, old)) = kept.events.pop_front() {
                    kept.bytes -= old.size();
                }
            }
            kept.next
        };
        self.tx.send_replace(next);
    }

    /// A cursor at the next event: it reads everything sent from now on.
    pub fn subscribe(&self) -> Cursor {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        Cursor {
            next: kept.next,
            rx: self.tx.subscribe(),
        }
    }

    /// The next event for `cursor`, without waiting.
    pub fn read(&self, cursor: &mut Cursor) -> Read {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if cursor.next >= kept.next {
            return Read::Nothing;
        }
        let oldest = kept.events.front().map_or(kept.next, |(id, _)| *id);
        if cursor.next < oldest {
            cursor.next = kept.next;
            return Read::Behind;
        }
        let event = kept.events[(cursor.next - oldest) as usize].1.clone();
        cursor.next += 1;
        Read::Event(event)
    }

    /// The next event for `cursor`, waiting for one.
    pub async fn recv(&self, cursor: &mut Cursor) -> Read {
        loop {
            match self.read(cursor) {
                Read::Nothing => {
                    if cursor.rx.changed().await.is_err() {
                        return Read::Nothing;
                    }
                }
                other => return other,
            }
        }
    }

    /// Bytes of events kept.
    pub fn bytes(&self) -> usize {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(seq: u64, size: usize) -> Event {
        Event::Logged(seq, vec![0u8; size].into())
    }

    #[test]
    fn readers_read_in_order_and_one_left_behind_is_told() {
        let feed = Feed::new(1_000);
        let mut fast = feed.subscribe();
        let mut slow = feed.subscribe();
        for seq in 1..=3 {
            feed.send(logged(seq, 100));
        }
        for seq in 1..=3 {
            assert!(matches!(feed.read(&mut fast), Read::Event(Event::Logged(s, _)) if s == seq));
        }
        assert!(matches!(feed.read(&mut fast), Read::Nothing));
        // Far more than the budget goes by while `slow` reads nothing.
        for seq in 4..=40 {
            feed.send(logged(seq, 100));
        }
        assert!(feed.bytes() <= 1_000, "{} bytes kept", feed.bytes());
        assert!(matches!(feed.read(&mut slow), Read::Behind));
        assert!(
            matches!(feed.read(&mut slow), Read::Nothing),
            "caught up to now"
        );
        // The newest event stays even when it alone is over the budget.
        feed.send(logged(41, 5_000));
        assert!(matches!(
            feed.read(&mut slow),
            Read::Event(Event::Logged(41, _))
        ));
    }
}
