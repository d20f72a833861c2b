//! The secrets the store hands out: an owner token (update or revoke a share) and an edit
//! link's secret (edit a plan together). One type for both, told apart by a marker, so
//! neither can be passed where the other is expected: 256 random bits, base64url, shown
//! once; the store keeps only a SHA-256, compared in constant time, and neither ever
//! reaches a log.

use super::StoreError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::marker::PhantomData;
use subtle::ConstantTimeEq;

/// A secret of kind `K`.
pub struct Secret<K> {
    text: String,
    kind: PhantomData<K>,
}

/// Lets its holder update or revoke a share.
pub enum Owner {}
/// Lets its holder edit a plan together (the part of an edit link after `#`).
pub enum Edit {}

pub type OwnerToken = Secret<Owner>;
pub type EditToken = Secret<Edit>;

/// How a kind of secret is named where it could be seen (its `Debug`).
pub trait Kind {
    const NAME: &'static str;
}

impl Kind for Owner {
    const NAME: &'static str = "OwnerToken";
}

impl Kind for Edit {
    const NAME: &'static str = "EditToken";
}

impl<K> Clone for Secret<K> {
    fn clone(&self) -> Self {
        Secret {
            text: self.text.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: Kind> std::fmt::Debug for Secret<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}(…)", K::NAME)
    }
}

impl<K> Secret<K> {
    /// A fresh secret from the OS random source.
    pub(super) fn generate() -> Result<Secret<K>, StoreError> {
        Ok(Secret::from_header(
            &URL_SAFE_NO_PAD.encode(random_bytes::<32>()?),
        ))
    }

    /// A secret as a client sent it (surrounding space removed).
    pub fn from_header(text: &str) -> Secret<K> {
        Secret {
            text: text.trim().to_owned(),
            kind: PhantomData,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The hash the store keeps and compares.
    pub fn hash(&self) -> String {
        hex_sha256(self.text.as_bytes())
    }

    /// The hash of a secret given as text.
    pub fn hash_of(text: &str) -> String {
        Secret::<K>::from_header(text).hash()
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
