//! Fractional positions: rows ordered by base-62 keys, so concurrent moves and inserts
//! never duplicate or lose a row.

use serde::{Deserialize, Serialize};

/// A position in the plan's order: a fraction in base 62 (`0-9A-Za-z`), compared as text.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Position(pub String);

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn digit(c: u8) -> usize {
    DIGITS.iter().position(|d| *d == c).unwrap_or(0)
}

impl Position {
    /// A position between `a` and `b` (either may be open). Never ends in `0`, so there is
    /// always room for another one on either side.
    pub fn between(a: Option<&Position>, b: Option<&Position>) -> Position {
        let a = a.map_or("", |p| p.0.as_str());
        match b {
            // Appending: step the first digit up where there is room, so keys stay short.
            None => Position(after(a)),
            Some(b) if b.0.as_str() <= a => Position(after(a)),
            Some(b) => Position(midpoint(a, &b.0)),
        }
    }

    /// `n` positions in order, evenly spread, for a plan that has none yet.
    pub fn spread(n: usize) -> Vec<Position> {
        let mut width = 1;
        while 62usize.pow(width as u32) <= n + 1 {
            width += 1;
        }
        (1..=n)
            .map(|i| {
                let mut digits = vec![b'0'; width];
                let mut k = i * (62usize.pow(width as u32) / (n + 1));
                for d in digits.iter_mut().rev() {
                    *d = DIGITS[k % 62];
                    k /= 62;
                }
                let mut key = String::from_utf8(digits).expect("ASCII digits");
                // A trailing `V` leaves room on both sides.
                key.push('V');
                Position(key)
            })
            .collect()
    }
}

/// The longest position key the server takes (an editor rewrites positions long before
/// one grows this long: see `REBALANCE_AT`).
pub const MAX_POSITION_LEN: usize = 512;

/// A key longer than this makes the editor give every row a fresh, short position.
pub const REBALANCE_AT: usize = 24;

/// Whether a position from elsewhere is one `between` could have made: base-62 digits,
/// not ending in `0` (nothing could be placed before `0`, nor between `x` and `x0`).
pub fn valid_position(p: &Position) -> bool {
    !p.0.is_empty()
        && p.0.len() <= MAX_POSITION_LEN
        && p.0.bytes().all(|b| DIGITS.contains(&b))
        && !p.0.ends_with('0')
}

/// A key after `a`, short when possible.
fn after(a: &str) -> String {
    let bytes = a.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let d = digit(*b);
        if d < 60 {
            let mut out = a[..i].to_owned();
            out.push(DIGITS[d + 1] as char);
            return out;
        }
    }
    format!("{a}V")
}

/// A key strictly between `a` and `b` (`a < b`; `a` may be empty, meaning 0).
fn midpoint(a: &str, b: &str) -> String {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let mut out = String::new();
    let mut i = 0;
    loop {
        let da = ab.get(i).map_or(0, |c| digit(*c));
        let db = bb.get(i).map_or(62, |c| digit(*c));
        if da == db {
            out.push(DIGITS[da] as char);
            i += 1;
            continue;
        }
        if db > da + 1 {
            out.push(DIGITS[(da + db) / 2] as char);
            return out;
        }
        // Adjacent digits: keep a's digit and go past the rest of a.
        out.push(DIGITS[da] as char);
        let rest = a.get(i + 1..).unwrap_or("");
        out.push_str(&after_fraction(rest));
        return out;
    }
}

/// A key after the fraction `rest` with no upper bound, never ending in `0`.
fn after_fraction(rest: &str) -> String {
    let bytes = rest.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let d = digit(*b);
        if d < 61 {
            let mut out = rest[..i].to_owned();
            out.push(DIGITS[(d + 62) / 2] as char);
            return out;
        }
    }
    format!("{rest}V")
}
