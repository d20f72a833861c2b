//! Pages served from memory: rendered pages (the editor, share pages within their age bound)
//! and the site's static files.

pub mod page_cache;
pub mod static_files;
