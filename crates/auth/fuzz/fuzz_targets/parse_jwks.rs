//! Key-set JSON parsing (`JwkSet::from_json`), as fetched from an identity provider.
//!
//! Invariants: nothing panics; at most 100 keys are considered; every key kept is usable
//! (it names at least one algorithm) and has a 43-character RFC 7638 thumbprint.
#![no_main]

use backend_api_auth::JwkSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(set) = JwkSet::from_json(data) else {
        return;
    };
    assert!(set.len() + set.rejected().len() <= 100, "more than 100 keys read");
    assert_eq!(set.key_ids().len(), set.len());
    for key in set.keys() {
        assert!(key.algorithms().next().is_some(), "a kept key verifies nothing");
        assert_eq!(key.thumbprint().len(), 43);
    }
});
