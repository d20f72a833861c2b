//! The parts pages are made of: the table and its rows, the toolbar and its menus, dialogs,
//! the readiness summary, the live bar. They read and change the editor's state through
//! `editor`.

pub mod cell_history;
pub mod column_widths;
pub mod export_panel;
pub mod faq_list;
pub mod history_view;
pub mod import_panel;
pub mod lazy_dialogs;
pub mod lazy_part;
pub mod live_bar;
pub mod notes_versions;
pub mod notice_banner;
pub mod plan_history;
pub mod plan_row;
pub mod plan_switcher;
pub mod plan_table;
pub mod readiness_summary;
pub mod save_indicator;
pub mod share_dialog;
pub mod shortcuts;
pub mod since_seen;
pub mod table_filters;
pub mod toolbar;
pub mod welcome;
pub mod whole_plan;
