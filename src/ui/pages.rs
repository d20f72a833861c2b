//! The pages there are, chosen by path in `app`.

pub mod editor;
pub mod head;
pub mod not_found;
pub mod share;

pub use editor::EditorPage;
pub use not_found::NotFound;
pub use share::SharePage;
