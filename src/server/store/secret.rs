//! The secrets the store hands out: an owner token (update or revoke a share) and an edit
//! link's secret (edit a plan together). One type for both, told apart by a marker, so
//! neither can be passed where the other is expected: 256 random bits, base64url, shown
//! once; the store keeps only a SHA-256, compared in constant time, and neither ever
//! reaches a log.

use super::StoreError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use crate::model::session::share_ids::{EditToken, OwnerToken, Secret};

impl<K> Secret<K> {
    /// A fresh secret from the OS random source.
    pub(super) fn generate() -> Result<Secret<K>, StoreError> {
        Ok(Secret::new(&URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)))
    }

    /// The hash the store keeps and compares.
    pub fn hash(&self) -> String {
        hex_sha256(self.as_str().as_bytes())
    }

    /// The hash of a secret given as text.
    pub fn hash_of(text: &str) -> String {
        Secret::<K>::new(text).hash()
    }
}

pub(super) fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Internal(format!("the OS random source failed: {e}")))?;
    Ok(bytes)
}

/// Compares two hashes in constant time.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_never_shown() {
        let a = OwnerToken::generate().unwrap();
        let b = OwnerToken::generate().unwrap();
        assert_ne!(a.as_str(), b.as_str());
        assert_eq!(a.as_str().len(), 43);
        assert_eq!(a.hash().len(), 64);
        assert_eq!(format!("{a:?}"), "OwnerToken(…)", "tokens never reach logs");
        let e = EditToken::generate().unwrap();
        assert_eq!(format!("{e:?}"), "EditToken(…)");
        assert_eq!(EditToken::hash_of(&format!(" {} ", e.as_str())), e.hash());
        assert!(same_hash(&e.hash(), &e.hash()) && !same_hash(&e.hash(), &a.hash()));
    }
}
