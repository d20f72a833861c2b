//! What instances of the server tell each other about plans edited together, as one typed
//! note encoded and decoded here. On PostgreSQL a note travels by `NOTIFY` on [`CHANNEL`]
//! (inside the transaction that made it, so it is delivered only if that commits); the
//! store can also hand notes to a local listener (the simulation's instances).

use crate::shared::wire::{self, Peer};
use crate::shared::ShareId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The PostgreSQL channel instances tell each other on.
pub const CHANNEL: &str = "syncplan_live";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A batch was logged for the plan as `seq`.
    Ops { id: ShareId, seq: u64 },
    /// The plan's edit link changed, or its share ended.
    Revoke { id: ShareId },
    /// Someone connected to another instance moved (or arrived).
    Presence { id: ShareId, peer: Peer },
    /// Someone connected to another instance left.
    Left { id: ShareId, replica: u32 },
}

impl Note {
    pub fn id(&self) -> &ShareId {
        match self {
            Note::Ops { id, .. }
            | Note::Revoke { id }
            | Note::Presence { id, .. }
            | Note::Left { id, .. } => id,
        }
    }

    /// The note as a `NOTIFY` payload (short text: PostgreSQL takes under 8,000 bytes).
    pub fn encode(&self) -> String {
        match self {
            Note::Ops { id, seq } => format!("ops {id} {seq}"),
            Note::Revoke { id } => format!("revoke {id}"),
            Note::Presence { id, peer } => {
                format!(
                    "presence {id} {}",
                    URL_SAFE_NO_PAD.encode(wire::encode(peer))
                )
            }
            Note::Left { id, replica } => format!("left {id} {replica}"),
        }
    }

    /// A payload back as a note; `None` for anything else (another program on the channel).
    pub fn decode(text: &str) -> Option<Note> {
        let mut parts = text.splitn(3, ' ');
        let (kind, id) = (parts.next()?, ShareId::parse(parts.next()?)?);
        let rest = parts.next();
        Some(match kind {
            "ops" => Note::Ops {
                id,
                seq: rest?.parse().ok()?,
            },
            "revoke" => Note::Revoke { id },
            "presence" => Note::Presence {
                id,
                peer: wire::decode(&URL_SAFE_NO_PAD.decode(rest?).ok()?)?,
            },
            "left" => Note::Left {
                id,
                replica: rest?.parse().ok()?,
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::wire::Role;

    #[test]
    fn notes_round_trip_and_strangers_are_ignored() {
        let id = ShareId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        for note in [
            Note::Ops {
                id: id.clone(),
                seq: 42,
            },
            Note::Revoke { id: id.clone() },
            Note::Presence {
                id: id.clone(),
                peer: Peer {
                    replica: 7,
                    name: "Ana B".into(),
                    colour: 3,
                    cell: None,
                    role: Role::Editor,
                    owner: true,
                },
            },
            Note::Left {
                id: id.clone(),
                replica: 7,
            },
        ] {
            assert_eq!(Note::decode(&note.encode()), Some(note));
        }
        for stranger in [
            "",
            "ops",
            "ops nope 1",
            "hello AAAAAAAAAAAAAAAAAAAAAA",
            "ops AAAAAAAAAAAAAAAAAAAAAA x",
        ] {
            assert_eq!(Note::decode(stranger), None, "{stranger}");
        }
    }
}
