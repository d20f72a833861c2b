//! The plan document and every change to it. Pure: no I/O, no browser, no server, so all
//! of it is unit-tested natively and shared by the editor, the exports and the share store.
//!
//! - `doc`: the plan as people see it (rows, limits, edits, ids, JSON);
//! - `crdt`: the plan as a replicated document (stamps, registers, positions, ops, merge);
//! - `sync`: a copy kept in step with the server's op log, and the server's accept rule;
//! - `session`: a tab's editing session (workspace, undo, live bookkeeping);
//! - `sheet`: the plan as a spreadsheet (cursor, clipboard blocks, the table view).

pub mod crdt;
pub mod doc;
pub mod session;
pub mod sheet;
pub mod sync;

pub use crdt::edits::{mine_to_undo, ops_for_change};
pub use crdt::{
    valid_position, CellValue, Change, Clock, Doc, Notes, Op, Position, Reg, RowDoc, Seen, Stamp,
    Version, WireOp, MAX_POSITION_LEN, MAX_VERSIONS, REBALANCE_AT,
};
pub use doc::cells::{guard_cell, unguard_cell};
pub use doc::decode::{decode_plan, decode_plan_json, parse_choice, DEFAULT_TITLE};
pub use doc::edit::{Edit, EditError};
pub use doc::ids::IdGen;
pub use doc::limits::{
    check_text, clean_text, is_valid_row_id, max_chars, Problem, ProblemKind, MAX_BODY_BYTES,
    MAX_NOTES_CHARS, MAX_PROBLEMS, MAX_ROWS, MAX_SHORT_CHARS, MAX_TITLE_CHARS,
};
pub use doc::plan::{Field, Plan, Priority, Row, RowId, Status, PLAN_SCHEMA};
pub use doc::readiness::{same_category, status_index, CategoryTally, Readiness, NO_CATEGORY};
pub use session::history::{History, MAX_UNDO_STEPS};
pub use session::local_history::{LocalHistory, PointError, LOCAL_HISTORY_BYTES};
pub use session::share_ids::{EditToken, OwnerToken, ShareId};
pub use session::workspace::{
    decode_envelope, Envelope, EnvelopeError, EnvelopeRef, LiveLink, OwnedShare, PlanEntry, PlanId,
    Workspace, FIRST_PLAN_ID, WORKSPACE_SCHEMA,
};
pub use session::{LocalStep, NotKept, Remote, Session};
pub use sheet::clipboard::{escape_html, to_html_table, to_tsv};
pub use sheet::grid::{column_index, CellRef, Cursor, Move};
pub use sheet::paste::{
    block_to_html, block_to_tsv, clipboard_block, copy_block, parse_html_table, parse_tsv,
    plan_paste, rectangle, Block, PastePlan, PasteProblem,
};
pub use sheet::table_view::{Sort, TableView, ViewSpec};
pub use sync::accept::{
    accept, batch_id, counter_of, doc_bytes, follows_on, replica_of, resume, Behind, DocLimits,
    LiveDoc, Outcome, Refusal, ReplicaRecord, Resume, Why, MAX_CLOCK_SKEW_MS, MAX_DOC_BYTES,
    MAX_DOC_ROWS, MAX_STAMP_COUNT,
};
pub use sync::{Batch, Logged, Overridden, SentBatch, SyncState, Update};
