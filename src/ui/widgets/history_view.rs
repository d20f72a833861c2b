//! What the history views share: who wrote an entry, when (in words), and where a plan's
//! history is read from.

use crate::model::{Field, RowId};
use crate::shared::api::{HistoryEntry, HistoryPage, NameVersion, NamedVersion, PlanVersion};
use crate::ui::editor::state::PlanContext;

/// Who wrote each entry: the name they gave (for an entry written before they gave it, the
/// name the same page load gave later), or else a label of their page load, the same one
/// in the whole history.
pub fn writers(entries: &[HistoryEntry]) -> Vec<String> {
    let mut named: std::collections::HashMap<u32, &str> = std::collections::HashMap::new();
    for e in entries.iter().filter(|e| !provisional(&e.name)) {
        named.entry(e.replica).or_insert(e.name.as_str());
    }
    entries
        .iter()
        .map(|e| match (provisional(&e.name), named.get(&e.replica)) {
            (true, Some(later)) => (*later).to_owned(),
            (true, None) if e.name.is_empty() => format!("Guest {}", e.replica % 10_000),
            _ => e.name.clone(),
        })
        .collect()
}

/// A name a page writes before its person gives one: none, or its browser's guest label
/// ("Guest 4821").
fn provisional(name: &str) -> bool {
    name.is_empty()
        || name
            .strip_prefix("Guest ")
            .is_some_and(|n| (1..=4).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

/// When, as people say it: "today 14:02", "yesterday 09:10", or the date (local time).
pub fn when(ms: i64) -> String {
    let at = js_sys::Date::new(&(ms as f64).into());
    let now = js_sys::Date::new_0();
    let yesterday = js_sys::Date::new(&(now.get_time() - 86_400_000.0).into());
    let day = |d: &js_sys::Date| (d.get_full_year(), d.get_month(), d.get_date());
    let time = format!("{:02}:{:02}", at.get_hours(), at.get_minutes());
    if day(&at) == day(&now) {
        format!("today {time}")
    } else if day(&at) == day(&yesterday) {
        format!("yesterday {time}")
    } else {
        crate::browser::dom::local_time(ms as f64)
    }
}

/// Where a history page can come from: the open plan's share and edit secret.
pub fn access(ctx: PlanContext) -> Option<(crate::model::ShareId, crate::model::EditToken)> {
    let active = ctx.active();
    ctx.with_session(|s| s.live(&active).map(|l| (l.share.clone(), l.token.clone())))
}

/// Where the open plan's history is read from: the server, for a plan edited together
/// (editors and the owner), or this browser's storage, for a plan kept here only.
#[derive(Clone, Debug)]
pub enum Source {
    Shared(crate::model::ShareId, crate::model::EditToken),
    Local(crate::model::PlanId),
}

impl Source {
    pub fn of(ctx: PlanContext) -> Source {
        match access(ctx) {
            Some((share, token)) => Source::Shared(share, token),
            None => Source::Local(ctx.active()),
        }
    }

    pub fn is_local(&self) -> bool {
        matches!(self, Source::Local(_))
    }

    /// A page of entries, newest first: before `before` (the last page's `next`), of one
    /// cell or of the whole plan.
    pub async fn page(
        &self,
        cell: Option<(&RowId, Field)>,
        before: Option<&str>,
        limit: usize,
    ) -> Result<HistoryPage, String> {
        match self {
            Source::Shared(share, token) => {
                let mut query = format!("limit={limit}");
                if let Some((row, field)) = cell {
                    query.push_str(&format!("&row={row}&field={}", field.key()));
                }
                if let Some(b) = before {
                    query.push_str(&format!("&before={b}"));
                }
                crate::browser::share_api::history(share, token, &query)
                    .await
                    .map_err(|e| e.message)
            }
            Source::Local(plan) => {
                let cell = cell.map(|(row, field)| (row.clone(), field));
                crate::browser::local_history::page(plan.clone(), cell)
                    .await
                    .map_err(|_| not_loaded())
            }
        }
    }

    /// The plan as it was at point `seq`.
    pub async fn version(&self, seq: u64) -> Result<PlanVersion, String> {
        match self {
            Source::Shared(share, token) => crate::browser::share_api::version(share, token, seq)
                .await
                .map_err(|e| e.message),
            Source::Local(plan) => crate::browser::local_history::version(plan.clone(), seq)
                .await
                .map_err(|_| not_loaded())?,
        }
    }

    /// The named versions, newest first, and the oldest point that can be rebuilt (past 0,
    /// a shared plan's history no longer begins with the plan as shared; a local history's
    /// oldest entries are always where it begins, so 0).
    pub async fn versions(&self) -> Result<(Vec<NamedVersion>, u64), String> {
        match self {
            Source::Shared(share, token) => crate::browser::share_api::versions(share, token)
                .await
                .map(|list| (list.versions, list.restorable_from))
                .map_err(|e| e.message),
            Source::Local(plan) => crate::browser::local_history::versions(plan.clone())
                .await
                .map(|list| (list, 0))
                .map_err(|_| not_loaded()),
        }
    }

    /// Names a point (now when `asked.seq` is `None`).
    pub async fn name(&self, asked: NameVersion) -> Result<NamedVersion, String> {
        match self {
            Source::Shared(share, token) => {
                crate::browser::share_api::name_version(share, token, &asked)
                    .await
                    .map_err(|e| e.message)
            }
            Source::Local(plan) => crate::browser::local_history::name(plan.clone(), asked)
                .await
                .map_err(|_| not_loaded())?,
        }
    }
}

/// Why a local history could not be read: its code could not be fetched.
fn not_loaded() -> String {
    "The history could not be loaded: the connection may be down, or a new version of \
     syncplan was published. Check your connection, then try again."
        .to_owned()
}

/// A history entry for tests: `(seq, at)`, the register, the value, and its writer.
#[cfg(test)]
pub(crate) fn entry(
    (seq, at): (u64, i64),
    (row, field): (&str, &str),
    value: &str,
    (replica, name): (u32, &str),
) -> HistoryEntry {
    HistoryEntry {
        seq,
        op: 0,
        row: row.into(),
        field: field.into(),
        value: value.into(),
        replica,
        name: name.into(),
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by(replica: u32, name: &str) -> HistoryEntry {
        entry((1, 0), ("r1", "owner"), "", (replica, name))
    }

    #[test]
    fn a_writer_is_named_by_the_name_their_page_gave_even_later() {
        let list = [
            by(7, "Olga"),
            by(9, ""),
            by(7, ""),
            by(7, "Guest 4821"),
            by(12_345, "Bo"),
            by(12_345, "Bob"),
            by(31, "Guest 77"),
            by(32, "Guest Star"),
        ];
        assert_eq!(
            writers(&list),
            [
                "Olga",
                "Guest 9",
                "Olga",
                "Olga",
                "Bo",
                "Bob",
                "Guest 77",
                "Guest Star"
            ],
            "newest first: a page renamed keeps each entry's own name"
        );
    }
}
