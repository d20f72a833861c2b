//! The plan as people see it: rows of text, priorities and statuses, the limits every plan
//! keeps, the edits a person makes, ids, and reading a plan from JSON.

pub mod cells;
pub mod decode;
pub mod edit;
pub mod ids;
pub mod limits;
pub mod plan;
pub mod readiness;
