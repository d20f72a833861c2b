#![no_main]
//! Plan JSON from anyone: never panics; what is accepted is a valid plan that exports and
//! re-imports unchanged.

use libfuzzer_sys::fuzz_target;
use syncplan::export::{export, import_json, Format};
use syncplan::model::{decode_plan_json, IdGen};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(plan) = decode_plan_json(text, &mut IdGen::new(1)) {
        assert!(plan.validate().is_ok());
        let back = import_json(&export(&plan, Format::Json), &mut IdGen::new(1)).unwrap();
        assert_eq!(back.plan, plan);
    }
});
