//! Components. They render the plan and call `PlanContext` (which calls the model); they
//! never re-implement model logic. The same table renders the editor and, with
//! `read_only`, a shared plan.

mod column_widths;
mod editor_page;
mod export_panel;
mod faq_list;
mod grid;
mod import_panel;
mod lazy_part;
mod live_bar;
mod live_sync;
mod not_found;
mod notes_versions;
mod notice_banner;
mod plan_context;
mod plan_persist;
mod plan_row;
mod plan_switcher;
mod plan_table;
mod readiness_summary;
mod save_indicator;
mod share_dialog;
mod share_page;
mod shortcuts;
mod table_filters;
mod toolbar;
mod welcome;
mod whole_plan;

pub use editor_page::EditorPage;
pub use export_panel::{ExportChoice, ExportMenu, ImportMenu, EXPORTS, TICKETS};
pub use faq_list::FaqList;
pub use grid::{use_grid, GridContext};
pub use not_found::NotFound;
pub use plan_context::{
    provide_plan_context, use_plan, Notice, PlanContext, RowCells, SaveState, TypingNews,
};
pub use plan_table::PlanTable;
pub use readiness_summary::ReadinessSummary;
pub use share_page::{format_utc, SharePage};
pub use table_filters::TableFilters;
