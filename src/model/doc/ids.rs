//! Row and plan ids: short, random, unique within their plan or workspace.

use crate::model::doc::plan::RowId;

/// A small deterministic generator (SplitMix64). The caller seeds it from real entropy
/// (the browser's `crypto`, the server's OS RNG); tests seed it with constants.
#[derive(Clone, Debug)]
pub struct IdGen {
    state: u64,
}

impl IdGen {
    pub fn new(seed: u64) -> IdGen {
        IdGen { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A fresh id of `prefix` plus 10 base-36 characters (~51 bits) for which `taken`
    /// answers false.
    pub fn fresh(&mut self, prefix: char, taken: impl Fn(&str) -> bool) -> String {
        const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        loop {
            let mut n = self.next_u64();
            let mut id = String::with_capacity(11);
            id.push(prefix);
            for _ in 0..10 {
                id.push(ALPHABET[(n % 36) as usize] as char);
                n /= 36;
            }
            if !taken(&id) {
                return id;
            }
        }
    }

    pub fn row_id(&mut self, taken: impl Fn(&str) -> bool) -> RowId {
        RowId(self.fresh('r', taken))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_and_skip_taken_ones() {
        let mut a = IdGen::new(7);
        let first = a.row_id(|_| false);
        assert!(crate::model::is_valid_row_id(first.as_str()));
        assert_eq!(first.as_str().len(), 11);
        let mut b = IdGen::new(7);
        let second = b.row_id(|id| id == first.as_str());
        assert_ne!(first, second);
    }
}
