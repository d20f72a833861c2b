//! Who a share is and who may change it: its public id, the owner's secret and an edit
//! link's secret, each its own type (in the workspace, the REST bodies and the live
//! protocol alike).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;

/// A share's public id: 128 random bits, base64url without padding (22 characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShareId(String);

impl ShareId {
    /// The id's length in characters.
    pub const LEN: usize = 22;

    /// Accepts exactly what the server generates; anything else cannot name a share.
    pub fn parse(text: &str) -> Option<ShareId> {
        (text.len() == Self::LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| ShareId(text.to_owned()))
    }

    /// A fresh id from 16 random bytes.
    #[cfg(feature = "ssr")]
    pub fn from_random(bytes: [u8; 16]) -> ShareId {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        ShareId(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret that proves a right over a share, of kind `K`: one type for both kinds, told
/// apart by a marker, so neither can be passed where the other belongs. Sent and stored as
/// a plain string; never printed (its `Debug` hides it, so neither a log line nor a panic
/// message can leak one). The server makes them and keeps only their hash.
pub struct Secret<K> {
    text: String,
    kind: PhantomData<K>,
}

/// Lets its holder update or revoke a share and turn editing on or off.
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

impl<K> Secret<K> {
    /// A secret as it was given (a header, an address, a saved workspace), surrounding
    /// space removed.
    pub fn new(text: &str) -> Secret<K> {
        Secret {
            text: text.trim().to_owned(),
            kind: PhantomData,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl<K> From<&str> for Secret<K> {
    fn from(text: &str) -> Secret<K> {
        Secret::new(text)
    }
}

impl<K> Clone for Secret<K> {
    fn clone(&self) -> Self {
        Secret::new(&self.text)
    }
}

impl<K> PartialEq for Secret<K> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<K> Eq for Secret<K> {}

impl<K: Kind> fmt::Debug for Secret<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(…)", K::NAME)
    }
}

impl<K> Serialize for Secret<K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de, K> Deserialize<'de> for Secret<K> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| Secret::new(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_ids_parse() {
        assert!(ShareId::parse("AAAAAAAAAAAAAAAAAAAAAA").is_some());
        for bad in [
            "",
            "short",
            "../../../../etc/passwd",
            &"a".repeat(23),
            "aaaaaaaaaaaaaaaaaaaaa!",
        ] {
            assert_eq!(ShareId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output_and_travel_as_plain_strings() {
        let owner = OwnerToken::new("owner-secret-123");
        let edit = EditToken::new(" edit-secret-456 ");
        assert_eq!(format!("{owner:?} {edit:?}"), "OwnerToken(…) EditToken(…)");
        assert_eq!(
            edit.as_str(),
            "edit-secret-456",
            "space around a pasted secret goes"
        );
        assert_eq!(
            serde_json::to_string(&owner).unwrap(),
            r#""owner-secret-123""#
        );
        let back: EditToken = serde_json::from_str(r#""edit-secret-456""#).unwrap();
        assert_eq!(back, edit);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn random_ids_parse_back() {
        let id = ShareId::from_random([7; 16]);
        assert_eq!(id.as_str().len(), ShareId::LEN);
        assert_eq!(ShareId::parse(id.as_str()), Some(id));
    }
}
