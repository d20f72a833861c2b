//! Shared pieces of the benchmarks: the plans they use.

use syncplan::model::{Plan, Priority, Row, RowId, Status};

/// A plan of `n` rows with realistic text: commas, quotes, line breaks, a formula-looking
/// cell now and then.
pub fn sample_plan(n: usize) -> Plan {
    let template = syncplan::template::default_plan();
    let rows = (0..n)
        .map(|i| {
            let t = &template.rows[i % template.rows.len()];
            Row {
                id: RowId(format!("r{i:05}")),
                item: format!("{} #{i}", t.item),
                category: t.category.clone(),
                priority: Priority::ALL[i % 4],
                owner: if i % 3 == 0 {
                    format!("Owner {i}, \"team\"")
                } else {
                    String::new()
                },
                status: Status::ALL[i % 4],
                notes: if i % 7 == 0 {
                    format!("={i}+1\n{}", t.notes)
                } else {
                    t.notes.clone()
                },
            }
        })
        .collect();
    Plan::new("Benchmark plan", rows)
}
