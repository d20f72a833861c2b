//! The plan as a spreadsheet: the active cell and the selected range, blocks of cells on the
//! clipboard (copy, paste from Sheets, Excel and LibreOffice), and the filtered, sorted view.

pub mod clipboard;
pub mod grid;
pub mod paste;
pub mod table_view;
