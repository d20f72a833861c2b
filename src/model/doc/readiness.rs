//! How ready a plan is: P0 items done, progress per category and per status, and the
//! expected categories that have no row yet. Pure, so the summary above the table (editor
//! and share page, server and browser) and its tests agree.

use crate::model::doc::plan::{Priority, Status};

/// What the readiness summary shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    pub total: usize,
    pub p0_total: usize,
    pub p0_done: usize,
    /// Rows per status, in `Status::ALL` order.
    pub by_status: [usize; 4],
    /// The expected categories first (in their order, empty ones included), then every
    /// other category in the order it first appears; rows without one come last.
    pub categories: Vec<CategoryTally>,
}

/// One category's rows, counted by status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryTally {
    /// The category as the filter matches it (the expected spelling when there is one;
    /// empty for rows without a category).
    pub name: String,
    /// Whether the template expects this category.
    pub expected: bool,
    /// Rows per status, in `Status::ALL` order.
    pub by_status: [usize; 4],
}

impl CategoryTally {
    pub fn total(&self) -> usize {
        self.by_status.iter().sum()
    }

    pub fn done(&self) -> usize {
        self.by_status[status_index(Status::Done)]
    }

    /// The name to show: rows without a category are grouped as "No category".
    pub fn label(&self) -> &str {
        if self.name.is_empty() {
            NO_CATEGORY
        } else {
            &self.name
        }
    }
}

/// How rows without a category are labelled in the summary.
pub const NO_CATEGORY: &str = "No category";

pub fn status_index(status: Status) -> usize {
    Status::ALL.iter().position(|s| *s == status).unwrap_or(0)
}

/// Whether two category names are the same category (case and outer spaces ignored).
pub fn same_category(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.eq_ignore_ascii_case(b)
        || (!(a.is_ascii() && b.is_ascii()) && a.to_lowercase() == b.to_lowercase())
}

impl Readiness {
    /// Counts `rows` given as (category, priority, status); `expected` are the categories
    /// every plan should cover.
    pub fn of<'a>(
        rows: impl IntoIterator<Item = (&'a str, Priority, Status)>,
        expected: &[&str],
    ) -> Readiness {
        let mut categories: Vec<CategoryTally> = expected
            .iter()
            .map(|name| CategoryTally {
                name: (*name).to_owned(),
                expected: true,
                by_status: [0; 4],
            })
            .collect();
        let mut uncategorised = [0usize; 4];
        let mut r = Readiness::default();
        for (category, priority, status) in rows {
            let s = status_index(status);
            r.total += 1;
            r.by_status[s] += 1;
            if priority == Priority::P0 {
                r.p0_total += 1;
                if status == Status::Done {
                    r.p0_done += 1;
                }
            }
            let category = category.trim();
            if category.is_empty() {
                uncategorised[s] += 1;
                continue;
            }
            match categories
                .iter_mut()
                .find(|c| same_category(&c.name, category))
            {
                Some(tally) => tally.by_status[s] += 1,
                None => {
                    let mut by_status = [0; 4];
                    by_status[s] = 1;
                    categories.push(CategoryTally {
                        name: category.to_owned(),
                        expected: false,
                        by_status,
                    });
                }
            }
        }
        if uncategorised.iter().any(|n| *n > 0) {
            categories.push(CategoryTally {
                name: String::new(),
                expected: false,
                by_status: uncategorised,
            });
        }
        r.categories = categories;
        r
    }

    pub fn done(&self) -> usize {
        self.by_status[status_index(Status::Done)]
    }

    /// Expected categories that no row covers yet.
    pub fn missing(&self) -> impl Iterator<Item = &str> {
        self.categories
            .iter()
            .filter(|c| c.expected && c.total() == 0)
            .map(|c| c.name.as_str())
    }

    /// The headline, e.g. "4 of 11 P0 items done".
    pub fn p0_sentence(&self) -> String {
        match self.p0_total {
            0 => "No P0 items yet: mark what must work before launch as P0.".to_owned(),
            1 => format!("{} of 1 P0 item done", self.p0_done),
            n => format!("{} of {n} P0 items done", self.p0_done),
        }
    }

    /// Whole percent of `part` in `whole` (0 when `whole` is 0), rounded down so 100 %
    /// means everything.
    pub fn percent(part: usize, whole: usize) -> usize {
        (part * 100).checked_div(whole).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED: [&str; 3] = ["Sync triggers", "Testing", "Security"];

    fn tally(rows: &[(&str, Priority, Status)]) -> Readiness {
        Readiness::of(rows.iter().map(|&(c, p, s)| (c, p, s)), &EXPECTED)
    }

    #[test]
    fn counts_p0_done_and_total() {
        let r = tally(&[
            ("Testing", Priority::P0, Status::Done),
            ("Testing", Priority::P0, Status::InProgress),
            ("Security", Priority::P0, Status::Done),
            ("Security", Priority::P1, Status::Done),
        ]);
        assert_eq!((r.p0_done, r.p0_total), (2, 3));
        assert_eq!(r.total, 4);
        assert_eq!(r.done(), 3);
        assert_eq!(r.p0_sentence(), "2 of 3 P0 items done");
    }

    #[test]
    fn counts_per_status_in_status_order() {
        let r = tally(&[
            ("Testing", Priority::P2, Status::Blocked),
            ("Testing", Priority::P2, Status::Blocked),
            ("Testing", Priority::P2, Status::NotStarted),
            ("Testing", Priority::P2, Status::Done),
        ]);
        assert_eq!(r.by_status, [1, 0, 2, 1]);
    }

    #[test]
    fn expected_categories_come_first_and_empty_ones_are_missing() {
        let r = tally(&[
            ("Offline queue", Priority::P1, Status::Done),
            ("testing ", Priority::P1, Status::InProgress),
        ]);
        let names: Vec<&str> = r.categories.iter().map(|c| c.label()).collect();
        assert_eq!(
            names,
            ["Sync triggers", "Testing", "Security", "Offline queue"]
        );
        assert_eq!(r.categories[1].by_status, [0, 1, 0, 0]);
        assert_eq!(
            r.missing().collect::<Vec<_>>(),
            ["Sync triggers", "Security"]
        );
        assert!(!r.categories[3].expected);
    }

    #[test]
    fn other_categories_group_case_insensitively_keeping_the_first_spelling() {
        let r = tally(&[
            ("Offline queue", Priority::P1, Status::Done),
            ("OFFLINE QUEUE", Priority::P1, Status::NotStarted),
        ]);
        let queue = &r.categories[3];
        assert_eq!(queue.name, "Offline queue");
        assert_eq!((queue.done(), queue.total()), (1, 2));
    }

    #[test]
    fn rows_without_a_category_are_grouped_last() {
        let r = tally(&[
            ("  ", Priority::P1, Status::Done),
            ("Zeta", Priority::P1, Status::Done),
            ("", Priority::P3, Status::Blocked),
        ]);
        let last = r.categories.last().unwrap();
        assert_eq!(last.label(), NO_CATEGORY);
        assert_eq!(last.name, "");
        assert_eq!(last.total(), 2);
        assert_eq!(r.categories[r.categories.len() - 2].name, "Zeta");
    }

    #[test]
    fn an_empty_plan_has_everything_missing_and_no_p0() {
        let r = tally(&[]);
        assert_eq!(r.total, 0);
        assert_eq!(r.missing().count(), 3);
        assert!(r.p0_sentence().starts_with("No P0 items yet"));
        assert_eq!(Readiness::percent(0, 0), 0);
    }

    #[test]
    fn percent_rounds_down_so_100_means_all() {
        assert_eq!(Readiness::percent(199, 200), 99);
        assert_eq!(Readiness::percent(2, 3), 66);
        assert_eq!(Readiness::percent(3, 3), 100);
    }

    #[test]
    fn the_template_covers_every_category_and_has_p0_items() {
        let plan = crate::template::default_plan();
        let names: Vec<&str> = crate::template::CATEGORIES.iter().map(|c| c.name).collect();
        let r = Readiness::of(
            plan.rows
                .iter()
                .map(|row| (row.category.as_str(), row.priority, row.status)),
            &names,
        );
        assert_eq!(r.missing().count(), 0);
        assert_eq!(r.categories.len(), 10);
        assert_eq!(r.total, plan.rows.len());
        assert!(r.p0_total >= 5);
        assert_eq!(r.p0_done, 0);
    }
}
