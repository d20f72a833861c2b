#![no_main]
//! What local storage may hold (any version, damaged, hand-edited): never panics; what is
//! accepted holds at least one valid plan.

use libfuzzer_sys::fuzz_target;
use syncplan::model::{decode_envelope, IdGen};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(envelope) = decode_envelope(text, &mut IdGen::new(1)) {
        assert!(!envelope.workspace.plans.is_empty());
        for entry in &envelope.workspace.plans {
            assert!(entry.plan.validate().is_ok());
        }
    }
});
