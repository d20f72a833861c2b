//! The live-editing protocol: typed messages between a browser and the server, the same
//! over a WebSocket (one binary frame per message) and over the fallback for networks that
//! block WebSockets (`POST` for what the browser sends, a Server-Sent Events stream, each
//! event one message in base64url, for what the server sends).
//!
//! Messages are encoded with postcard, a compact binary serde format: one cell edit is
//! about 40 bytes plus its text.
//!
//! A session: the browser sends `Hello` (the edit link's secret, or none to watch
//! read-only, and the last sequence it has); the server answers `Welcome`, then the
//! batches logged since (or a `Snapshot` when the browser has nothing or is older than
//! the log), then live traffic. Every batch the browser sends is acknowledged with `Ack`
//! only after it is committed; a batch sent again (after a lost acknowledgement) is
//! acknowledged again, never applied twice (the accept rule, `model::accept`, decides).
//! A browser that finds batches missing asks for them with `Resync`.

use crate::model::session::share_ids::{EditToken, OwnerToken};
use crate::model::{Doc, Field, Logged, Refusal, RowId, SentBatch};
use serde::{Deserialize, Serialize};

/// The protocol's version; the server refuses others with `ErrorCode::Protocol`.
pub const PROTOCOL: u16 = 3;

/// The largest message either side sends (a batch is split to fit).
pub const MAX_FRAME_BYTES: usize = 512 * 1024;

/// The most ops in one batch.
pub const MAX_OPS_PER_BATCH: usize = 2_000;

/// The header that carries the edit link's secret on the fallback's requests (never the
/// URL: URLs end up in logs and `Referer` headers).
pub const TOKEN_HEADER: &str = "x-syncplan-edit-token";

/// The headers that carry the page's replica and its key on the fallback's requests (its
/// presence is taken only from the page whose stream bound them).
pub const REPLICA_HEADER: &str = "x-syncplan-replica";
pub const KEY_HEADER: &str = "x-syncplan-replica-key";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientMsg {
    Hello(Hello),
    Ops(SentBatch),
    Presence(Presence),
    Ping(u32),
    /// Batches are missing after this sequence: send them (or the whole document).
    Resync {
        known: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u16,
    /// The edit link's secret; `None` watches the plan read-only.
    pub token: Option<EditToken>,
    /// The last sequence this browser has; `None` when it has no copy yet.
    pub known: Option<u64>,
    /// This tab's replica id: its presence, and the name its batches are sent in.
    pub replica: u32,
    /// The replica's secret (see `Batch::key`); an editor's first hello binds it to the
    /// replica for the plan.
    pub key: u64,
    pub name: String,
    /// The share's owner secret, sent by the browser that owns the plan: the server checks
    /// it as it checks any owner request, and tells everyone who owns the plan (by the name
    /// this connection gives). A wrong one is ignored, never trusted.
    pub owner: Option<OwnerToken>,
}

/// Where someone is: their name and the cell they are in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub name: String,
    pub cell: Option<(RowId, Field)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Editor,
    Viewer,
}

/// Someone else in the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub replica: u32,
    pub name: String,
    /// An index into the palette of presence colours.
    pub colour: u8,
    pub cell: Option<(RowId, Field)>,
    pub role: Role,
    /// Whether this is the plan's owner (proven with the owner secret).
    pub owner: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerMsg {
    Welcome {
        seq: u64,
        role: Role,
        /// The server's clock (ms since the epoch), so a browser can tell its own is off.
        now_ms: u64,
        peers: Vec<Peer>,
        /// The owner's display name as last seen (empty until the owner was here with
        /// editing on).
        owner: String,
    },
    Snapshot {
        seq: u64,
        doc: Doc,
    },
    Ops(Logged),
    /// The batch is stored, as `seq` or earlier (its logged ops come as `Ops`), but for
    /// the ops `refused` lists, which were not taken and never will be.
    Ack {
        batch: u64,
        seq: u64,
        refused: Vec<Refusal>,
    },
    Presence(Peer),
    Left {
        replica: u32,
    },
    Pong(u32),
    /// Something went wrong. Fatal ones are followed by a close with `code.close_code()`.
    Error {
        code: ErrorCode,
        /// The batch the error is about, if any (it was not stored).
        batch: Option<u64>,
        message: String,
    },
}

/// What went wrong, and whether trying again can help.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// A message that is not one (not postcard, wrong shape, an op naming no real field).
    BadMessage,
    /// A frame over `MAX_FRAME_BYTES`.
    TooBig,
    /// More ops per second than one connection may send.
    TooFast,
    /// The edit link is not (or no longer) valid.
    Forbidden,
    /// The owner turned editing off or replaced the edit link.
    Revoked,
    /// The plan's share was taken down or never existed.
    NotFound,
    /// The plan has as many connections as it takes.
    TooManyConnections,
    /// The batch would take the plan past its limits (rows); it was not stored.
    PlanFull,
    /// A read-only connection sent ops; nothing was written.
    ReadOnly,
    /// The database cannot be reached; try again later.
    Unavailable,
    /// The browser speaks another protocol version (reload the page).
    Protocol,
    /// A batch came before one it follows (send them again, in order).
    OutOfOrder,
    /// A batch in a replica's name without that replica's key.
    NotYours,
}

/// What the browser should do after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Keep the connection; nothing to do.
    No,
    /// Reconnect after the usual backoff.
    Later,
    /// Do not reconnect: the link no longer works.
    Never,
}

impl ErrorCode {
    /// The WebSocket close code that follows a fatal error (`None`: the connection stays).
    pub fn close_code(self) -> Option<u16> {
        Some(match self {
            ErrorCode::BadMessage => 4400,
            ErrorCode::Revoked => 4401,
            ErrorCode::Forbidden => 4403,
            ErrorCode::NotFound => 4404,
            ErrorCode::TooManyConnections => 4408,
            ErrorCode::TooBig => 4413,
            ErrorCode::TooFast => 4429,
            ErrorCode::Unavailable => 4503,
            ErrorCode::Protocol => 4426,
            ErrorCode::OutOfOrder => 4409,
            ErrorCode::PlanFull | ErrorCode::ReadOnly | ErrorCode::NotYours => return None,
        })
    }

    pub fn from_close_code(code: u16) -> Option<ErrorCode> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.close_code() == Some(code))
    }

    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::BadMessage,
        ErrorCode::TooBig,
        ErrorCode::TooFast,
        ErrorCode::Forbidden,
        ErrorCode::Revoked,
        ErrorCode::NotFound,
        ErrorCode::TooManyConnections,
        ErrorCode::PlanFull,
        ErrorCode::ReadOnly,
        ErrorCode::Unavailable,
        ErrorCode::Protocol,
        ErrorCode::OutOfOrder,
        ErrorCode::NotYours,
    ];

    pub fn retry(self) -> Retry {
        match self {
            ErrorCode::PlanFull | ErrorCode::ReadOnly | ErrorCode::NotYours => Retry::No,
            // A message the server could not read is a fault of this page, not of the plan:
            // trying again keeps the person in the plan (their edits stay here meanwhile).
            ErrorCode::BadMessage
            | ErrorCode::TooBig
            | ErrorCode::TooFast
            | ErrorCode::TooManyConnections
            | ErrorCode::Unavailable
            | ErrorCode::OutOfOrder => Retry::Later,
            ErrorCode::Forbidden
            | ErrorCode::Revoked
            | ErrorCode::NotFound
            | ErrorCode::Protocol => Retry::Never,
        }
    }

    /// A sentence for the person editing.
    pub fn explain(self) -> &'static str {
        match self {
            ErrorCode::BadMessage => {
                "The server could not read a message from this page; it tries again shortly. If this stays, reload the page: nothing you typed is lost."
            }
            ErrorCode::TooBig => "A change was too large to send at once; it is sent in parts.",
            ErrorCode::TooFast => "Changes came faster than the server takes them; they are sent again shortly.",
            ErrorCode::Forbidden => "This edit link is not valid. Ask the plan's owner for a new one.",
            ErrorCode::Revoked => {
                "The owner turned off editing for this link. Your copy stays in this browser as a private plan; nothing you typed is lost."
            }
            ErrorCode::NotFound => {
                "This shared plan no longer exists. Your copy stays in this browser as a private plan."
            }
            ErrorCode::TooManyConnections => {
                "The shared plan has as many people connected as it allows. Your changes are kept here and sent when a place frees up."
            }
            ErrorCode::PlanFull => {
                "The shared plan is full (2,000 rows at most), so the rows you added were not kept."
            }
            ErrorCode::ReadOnly => "This is a read-only view; changes are not saved.",
            ErrorCode::Unavailable => {
                "The server cannot save right now. Your changes are kept in this browser and sent when it can."
            }
            ErrorCode::Protocol => "syncplan was updated. Reload the page to keep editing together.",
            ErrorCode::OutOfOrder => {
                "Some changes reached the server out of order; they are sent again now."
            }
            ErrorCode::NotYours => {
                "The server did not take a change sent in another page's name. Reload the page to keep editing together; nothing you typed is lost."
            }
        }
    }
}

/// Encodes a message (postcard).
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    // Only strings, numbers and sequences: encoding cannot fail.
    postcard::to_allocvec(msg).unwrap_or_default()
}

/// `ServerMsg::Snapshot { seq, doc }` encoded from a borrowed document: the same bytes as
/// `encode` of the message, without copying the document first.
pub fn encode_snapshot(seq: u64, doc: &Doc) -> Vec<u8> {
    // postcard writes an enum as its variant's index (`Snapshot` is the second), then its
    // fields in order.
    postcard::to_allocvec(&(1u32, seq, doc)).unwrap_or_default()
}

/// Decodes a message; `None` when the bytes are not one.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
    postcard::from_bytes(bytes).ok()
}

/// A person's colour in presence and in the history: from the name they show (the one they
/// gave, or their browser's guest label), so it is the same on every visit. FNV-1a of the
/// name, folded to 0..8.
pub fn colour_of_name(name: &str) -> u8 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in name.trim().to_lowercase().bytes() {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    (hash.wrapping_mul(2_654_435_761) >> 29) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_keeps_their_colour_across_visits_and_people_spread_over_the_palette() {
        assert_eq!(colour_of_name("Olga"), colour_of_name(" olga "));
        assert_eq!(colour_of_name("Guest 4821"), colour_of_name("Guest 4821"));
        let colours: std::collections::BTreeSet<u8> = (1..=60)
            .map(|n| colour_of_name(&format!("Guest {n}")))
            .collect();
        assert!(colours.iter().all(|c| *c < 8));
        assert!(colours.len() >= 7, "{colours:?}");
    }
    use crate::model::{Batch, CellValue, Op, Plan, Priority, Row, Stamp, WireOp};

    #[test]
    fn one_cell_edit_is_at_most_74_bytes_plus_its_text() {
        let value = "Ana";
        let msg = ClientMsg::Ops(SentBatch::from(Batch {
            id: (u64::from(u32::MAX) << 32) | 123_456,
            key: u64::MAX,
            ops: vec![Op::Cell {
                // Row ids are 11 characters.
                row: RowId::from("r0123456789"),
                value: CellValue::Owner(value.into()),
                stamp: Stamp {
                    wall: 1_798_761_600_000,
                    count: 3,
                    replica: u32::MAX,
                },
            }],
        }));
        let bytes = encode(&msg);
        assert!(bytes.len() <= 74 + value.len(), "{} bytes", bytes.len());
        assert_eq!(decode::<ClientMsg>(&bytes), Some(msg));
        let ack = encode(&ServerMsg::Ack {
            batch: u64::MAX,
            seq: 1_000_000,
            refused: Vec::new(),
        });
        assert!(ack.len() <= 16);
    }

    #[test]
    fn a_typed_op_is_written_as_its_text_and_read_back_only_when_its_column_takes_it() {
        let plan = Plan::new("T", vec![Row::blank(RowId::from("a"))]);
        let mut ops = crate::model::Doc::from_plan(&plan).ops();
        ops.push(Op::Cell {
            row: RowId::from("a"),
            value: CellValue::Priority(Priority::P0),
            stamp: Stamp::BASE,
        });
        for op in ops {
            let wire = WireOp::from(op.clone());
            // The same bytes as the ops of the log and of storage before values were typed.
            assert_eq!(encode(&op), encode(&wire));
            assert_eq!(
                serde_json::to_string(&op).ok(),
                serde_json::to_string(&wire).ok()
            );
            assert_eq!(decode::<Op>(&encode(&wire)), Some(op));
        }
        let p0 = serde_json::to_string(&WireOp::Cell {
            row: RowId::from("a"),
            field: Field::Priority,
            value: "P0".into(),
            stamp: Stamp::BASE,
        })
        .unwrap_or_default();
        assert!(p0.contains(r#""field":"priority","value":"P0""#), "{p0}");
        let unknown = WireOp::Cell {
            row: RowId::from("a"),
            field: Field::Priority,
            value: "P9".into(),
            stamp: Stamp::BASE,
        };
        assert_eq!(decode::<Op>(&encode(&unknown)), None);
        assert!(decode::<WireOp>(&encode(&unknown)).is_some());
    }

    #[test]
    fn documents_and_errors_round_trip() {
        let plan = Plan::new("T", vec![Row::blank(RowId::from("a"))]);
        for msg in [
            ServerMsg::Snapshot {
                seq: 9,
                doc: Doc::from_plan(&plan),
            },
            ServerMsg::Error {
                code: ErrorCode::PlanFull,
                batch: Some(3),
                message: "full".into(),
            },
        ] {
            assert_eq!(decode::<ServerMsg>(&encode(&msg)), Some(msg));
        }
        assert_eq!(decode::<ClientMsg>(b"\xff\xff garbage"), None);
    }

    #[test]
    fn a_snapshot_encodes_the_same_from_a_borrowed_document() {
        let plan = Plan::new("T", vec![Row::blank(RowId::from("a"))]);
        let doc = Doc::from_plan(&plan);
        assert_eq!(
            encode_snapshot(42, &doc),
            encode(&ServerMsg::Snapshot { seq: 42, doc })
        );
    }

    #[test]
    fn close_codes_map_back_and_say_whether_to_retry() {
        for code in ErrorCode::ALL {
            if let Some(close) = code.close_code() {
                assert!((4000..5000).contains(&close));
                assert_eq!(ErrorCode::from_close_code(close), Some(code));
            }
            assert!(code.explain().ends_with('.'));
        }
        assert_eq!(ErrorCode::Revoked.retry(), Retry::Never);
        assert_eq!(ErrorCode::Unavailable.retry(), Retry::Later);
    }
}
