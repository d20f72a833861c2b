//! How the table is viewed: a filter (category, status, text) and a sort. A view never
//! changes the plan; it is worked out when the user changes it, so rows do not jump or
//! vanish while someone types, and rows added afterwards always show (at the end).

use crate::model::doc::plan::{Field, Row, RowId, Status};
use crate::model::doc::readiness::same_category;
use std::cmp::Ordering;
use std::collections::HashSet;

/// What the user asked to see.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewSpec {
    /// Only rows of this category ("" for rows without one).
    pub category: Option<String>,
    pub status: Option<Status>,
    /// Every word must appear in some cell (case ignored).
    pub text: String,
    pub sort: Option<Sort>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub field: Field,
    pub descending: bool,
}

/// A view worked out for particular rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableView {
    /// The display order when sorted (`None`: plan order).
    pub order: Option<Vec<RowId>>,
    /// Rows the filter hides.
    pub hidden: HashSet<RowId>,
}

impl ViewSpec {
    pub fn is_filtering(&self) -> bool {
        self.category.is_some() || self.status.is_some() || !self.text.trim().is_empty()
    }

    /// Whether `row` passes the filter.
    pub fn matches(&self, row: &Row) -> bool {
        if let Some(category) = &self.category {
            if !same_category(category, &row.category) {
                return false;
            }
        }
        if let Some(status) = self.status {
            if row.status != status {
                return false;
            }
        }
        let text = self.text.trim();
        if text.is_empty() {
            return true;
        }
        let haystack = Field::ALL
            .iter()
            .map(|f| row.text(*f))
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase();
        text.to_lowercase()
            .split_whitespace()
            .all(|word| haystack.contains(word))
    }

    /// Works the view out for `rows`.
    pub fn apply(&self, rows: &[Row]) -> TableView {
        let hidden = if self.is_filtering() {
            rows.iter()
                .filter(|r| !self.matches(r))
                .map(|r| r.id.clone())
                .collect()
        } else {
            HashSet::new()
        };
        let order = self.sort.map(|sort| {
            let mut sorted: Vec<&Row> = rows.iter().collect();
            // Stable: rows that compare equal keep their plan order.
            sorted.sort_by(|a, b| compare(a, b, sort));
            sorted.into_iter().map(|r| r.id.clone()).collect()
        });
        TableView { order, hidden }
    }

    /// The next sort when the user clicks a column header: ascending, descending, off.
    pub fn next_sort(&self, field: Field) -> Option<Sort> {
        match self.sort {
            Some(Sort {
                field: f,
                descending: false,
            }) if f == field => Some(Sort {
                field,
                descending: true,
            }),
            Some(Sort { field: f, .. }) if f == field => None,
            _ => Some(Sort {
                field,
                descending: false,
            }),
        }
    }

    /// Says what the view shows, e.g. "Sorted by Priority, P0 first".
    pub fn describe_sort(&self) -> Option<String> {
        let sort = self.sort?;
        let direction = match (sort.field, sort.descending) {
            (Field::Priority, false) => "P0 first",
            (Field::Priority, true) => "P3 first",
            (Field::Status, false) => "Not started first",
            (Field::Status, true) => "Done first",
            (_, false) => "A to Z",
            (_, true) => "Z to A",
        };
        Some(format!("Sorted by {}, {direction}", sort.field.header()))
    }
}

/// Orders two rows by the sorted column. Empty text sorts last either way.
fn compare(a: &Row, b: &Row, sort: Sort) -> Ordering {
    let ordering = match sort.field {
        Field::Priority => a.priority.cmp(&b.priority),
        Field::Status => a.status.cmp(&b.status),
        field => {
            let (x, y) = (a.text(field).trim(), b.text(field).trim());
            match (x.is_empty(), y.is_empty()) {
                (true, true) => return Ordering::Equal,
                (true, false) => return Ordering::Greater,
                (false, true) => return Ordering::Less,
                (false, false) => x.to_lowercase().cmp(&y.to_lowercase()),
            }
        }
    };
    if sort.descending {
        ordering.reverse()
    } else {
        ordering
    }
}

impl TableView {
    /// The rows in display order: the sorted ones first, then rows the sort has not seen
    /// (added since) in plan order. Rows that no longer exist are skipped.
    pub fn arrange<T: Clone>(&self, rows: &[T], id: impl Fn(&T) -> &RowId) -> Vec<T> {
        let Some(order) = &self.order else {
            return rows.to_vec();
        };
        let by_id: std::collections::HashMap<&RowId, &T> =
            rows.iter().map(|r| (id(r), r)).collect();
        let sorted: HashSet<&RowId> = order.iter().collect();
        order
            .iter()
            .filter_map(|rid| by_id.get(rid).map(|r| (*r).clone()))
            .chain(rows.iter().filter(|r| !sorted.contains(id(r))).cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Priority;

    fn row(id: &str, item: &str, category: &str, priority: Priority, status: Status) -> Row {
        Row {
            item: item.into(),
            category: category.into(),
            priority,
            status,
            ..Row::blank(RowId::from(id))
        }
    }

    fn rows() -> Vec<Row> {
        vec![
            row(
                "a",
                "Queue uploads",
                "Offline queue",
                Priority::P1,
                Status::Done,
            ),
            row("b", "", "Testing", Priority::P0, Status::Blocked),
            row(
                "c",
                "backoff with jitter",
                "battery",
                Priority::P0,
                Status::NotStarted,
            ),
            row(
                "d",
                "Audit log",
                "Security",
                Priority::P3,
                Status::InProgress,
            ),
        ]
    }

    fn ids(list: &[RowId]) -> Vec<&str> {
        list.iter().map(RowId::as_str).collect()
    }

    fn visible(spec: &ViewSpec) -> Vec<String> {
        let rows = rows();
        let view = spec.apply(&rows);
        rows.iter()
            .filter(|r| !view.hidden.contains(&r.id))
            .map(|r| r.id.to_string())
            .collect()
    }

    #[test]
    fn no_filter_hides_nothing_and_keeps_plan_order() {
        let view = ViewSpec::default().apply(&rows());
        assert!(view.hidden.is_empty());
        assert_eq!(view.order, None);
        assert!(!ViewSpec::default().is_filtering());
    }

    #[test]
    fn filters_by_category_ignoring_case() {
        let spec = ViewSpec {
            category: Some("Battery".into()),
            ..ViewSpec::default()
        };
        assert_eq!(visible(&spec), ["c"]);
    }

    #[test]
    fn filters_by_status() {
        let spec = ViewSpec {
            status: Some(Status::Blocked),
            ..ViewSpec::default()
        };
        assert_eq!(visible(&spec), ["b"]);
    }

    #[test]
    fn text_filter_needs_every_word_in_any_cell() {
        let spec = ViewSpec {
            text: "  JITTER p0 ".into(),
            ..ViewSpec::default()
        };
        assert_eq!(visible(&spec), ["c"]);
        let spec = ViewSpec {
            text: "done queue".into(),
            ..ViewSpec::default()
        };
        assert_eq!(visible(&spec), ["a"]);
        let spec = ViewSpec {
            text: "nothing-like-this".into(),
            ..ViewSpec::default()
        };
        assert!(visible(&spec).is_empty());
    }

    #[test]
    fn filters_combine() {
        let spec = ViewSpec {
            status: Some(Status::Done),
            text: "audit".into(),
            ..ViewSpec::default()
        };
        assert!(visible(&spec).is_empty());
    }

    #[test]
    fn sorts_text_case_insensitively_with_empty_cells_last() {
        let spec = ViewSpec {
            sort: Some(Sort {
                field: Field::Item,
                descending: false,
            }),
            ..ViewSpec::default()
        };
        let order = spec.apply(&rows()).order.unwrap();
        assert_eq!(ids(&order), ["d", "c", "a", "b"]);
        let spec = ViewSpec {
            sort: spec.next_sort(Field::Item),
            ..ViewSpec::default()
        };
        let order = spec.apply(&rows()).order.unwrap();
        assert_eq!(ids(&order), ["a", "c", "d", "b"]);
    }

    #[test]
    fn sorts_priority_and_status_by_meaning_keeping_ties_in_plan_order() {
        let spec = ViewSpec {
            sort: Some(Sort {
                field: Field::Priority,
                descending: false,
            }),
            ..ViewSpec::default()
        };
        assert_eq!(
            ids(&spec.apply(&rows()).order.unwrap()),
            ["b", "c", "a", "d"]
        );
        let spec = ViewSpec {
            sort: Some(Sort {
                field: Field::Status,
                descending: true,
            }),
            ..ViewSpec::default()
        };
        assert_eq!(
            ids(&spec.apply(&rows()).order.unwrap()),
            ["a", "b", "d", "c"]
        );
    }

    #[test]
    fn clicking_a_header_cycles_ascending_descending_off() {
        let mut spec = ViewSpec::default();
        spec.sort = spec.next_sort(Field::Owner);
        assert_eq!(spec.sort.map(|s| s.descending), Some(false));
        spec.sort = spec.next_sort(Field::Owner);
        assert_eq!(spec.sort.map(|s| s.descending), Some(true));
        spec.sort = spec.next_sort(Field::Owner);
        assert_eq!(spec.sort, None);
        spec.sort = spec.next_sort(Field::Notes);
        spec.sort = spec.next_sort(Field::Item);
        assert_eq!(
            spec.sort,
            Some(Sort {
                field: Field::Item,
                descending: false
            })
        );
        assert_eq!(spec.describe_sort().unwrap(), "Sorted by Item, A to Z");
    }

    #[test]
    fn arrange_puts_rows_added_after_sorting_at_the_end_and_skips_deleted_ones() {
        let spec = ViewSpec {
            sort: Some(Sort {
                field: Field::Priority,
                descending: false,
            }),
            ..ViewSpec::default()
        };
        let mut rows = rows();
        let view = spec.apply(&rows);
        rows.remove(1);
        rows.insert(0, row("new", "", "", Priority::P0, Status::NotStarted));
        let arranged = view.arrange(&rows, |r| &r.id);
        let order: Vec<&str> = arranged.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(order, ["c", "a", "d", "new"]);
        let plain = TableView::default().arrange(&rows, |r| &r.id);
        assert_eq!(plain, rows);
    }
}
