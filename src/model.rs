//! The plan document and every change to it. Pure: no I/O, no browser, no server, so all
//! of it is unit-tested natively and shared by the editor, the exports and the share store.

mod accept;
mod cells;
mod clipboard;
mod decode;
mod doc_edit;
mod edit;
mod grid;
mod history;
mod ids;
mod limits;
mod paste;
mod plan;
mod readiness;
mod replica;
mod session;
mod sync;
mod table_view;
mod workspace;

pub use accept::{
    accept, batch_id, counter_of, doc_bytes, follows_on, replica_of, resume, Behind, DocLimits,
    LiveDoc, Outcome, Refusal, ReplicaRecord, Resume, Why, MAX_CLOCK_SKEW_MS, MAX_DOC_BYTES,
    MAX_DOC_ROWS, MAX_STAMP_COUNT,
};
pub use cells::{guard_cell, unguard_cell};
pub use clipboard::{to_html_table, to_tsv};
pub use decode::{decode_plan, decode_plan_json, parse_choice, DEFAULT_TITLE};
pub use doc_edit::{mine_to_undo, ops_for_change};
pub use edit::{Edit, EditError};
pub use grid::{column_index, CellRef, Cursor, Move};
pub use history::{History, MAX_UNDO_STEPS};
pub use ids::IdGen;
pub use limits::{
    check_text, clean_text, is_valid_row_id, max_chars, Problem, ProblemKind, MAX_BODY_BYTES,
    MAX_NOTES_CHARS, MAX_PROBLEMS, MAX_ROWS, MAX_SHORT_CHARS, MAX_TITLE_CHARS,
};
pub use paste::{
    block_to_html, block_to_tsv, clipboard_block, copy_block, parse_html_table, parse_tsv,
    plan_paste, rectangle, Block, PastePlan, PasteProblem,
};
pub use plan::{Field, Plan, Priority, Row, RowId, Status, PLAN_SCHEMA};
pub use readiness::{same_category, status_index, CategoryTally, Readiness, NO_CATEGORY};
pub use replica::{
    valid_position, Change, Clock, Doc, Notes, Op, Position, Reg, RowDoc, Seen, Stamp, Version,
    MAX_POSITION_LEN, MAX_VERSIONS, REBALANCE_AT,
};
pub use session::{NotKept, Remote, Session};
pub use sync::{Batch, Logged, SyncState, Update};
pub use table_view::{Sort, TableView, ViewSpec};
pub use workspace::{
    decode_envelope, Envelope, EnvelopeError, EnvelopeRef, LiveLink, OwnedShare, PlanEntry, PlanId,
    Workspace, FIRST_PLAN_ID, WORKSPACE_SCHEMA,
};
