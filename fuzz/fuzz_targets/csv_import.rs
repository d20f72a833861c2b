#![no_main]
//! CSV files from any spreadsheet: never panics; what is accepted is a valid plan whose CSV
//! export imports back to the same rows.

use libfuzzer_sys::fuzz_target;
use syncplan::export::{export, import_csv, Format};
use syncplan::model::IdGen;

fuzz_target!(|data: &[u8]| {
    if let Ok(imported) = import_csv(data, "t", &mut IdGen::new(1)) {
        let plan = imported.plan;
        assert!(plan.validate().is_ok());
        let again = import_csv(&export(&plan, Format::Csv), "t", &mut IdGen::new(2)).unwrap();
        let strip = |p: &syncplan::model::Plan| -> Vec<Vec<String>> {
            p.rows
                .iter()
                .map(|r| vec![r.item.clone(), r.category.clone(), r.owner.clone(), r.notes.clone()])
                .collect()
        };
        assert_eq!(strip(&again.plan), strip(&plan));
    }
});
