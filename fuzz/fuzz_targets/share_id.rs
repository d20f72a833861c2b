#![no_main]
//! Share ids from URLs: only the 22-character base64url form is accepted.

use libfuzzer_sys::fuzz_target;
use syncplan::server::ShareId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(id) = ShareId::parse(text) {
        assert_eq!(id.as_str(), text);
        assert_eq!(text.len(), 22);
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
});
