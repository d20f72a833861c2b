//! Components, in three layers whose imports point down only:
//!
//! - `pages`: the editor, a shared plan's read-only page, not found; each provides the
//!   parts of the editor it needs;
//! - `widgets`: the table, toolbar, menus, dialogs and bars the pages are made of;
//! - `editor`: the editor's state (`state`: the model session and one signal per cell) and
//!   what subscribes to it: the grid (active cell, selection, keys), persistence to local
//!   storage, and the sync client of plans edited together.
//!
//! Components call the state, which calls the model; they never re-implement model logic.

mod editor;
mod pages;
mod widgets;

pub use editor::grid::{use_grid, GridContext};
pub use editor::state::{
    provide_plan_context, use_plan, Notice, PlanContext, RowCells, SaveState, TypingNews,
};
pub use pages::head::current_path;
pub use pages::share::format_utc;
pub use pages::{EditorPage, NotFound, SharePage};
pub use widgets::export_panel::{ExportChoice, ExportMenu, ImportMenu, EXPORTS, TICKETS};
