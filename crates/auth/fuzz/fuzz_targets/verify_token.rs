//! Token parsing and verification against a fixed key set of every algorithm (the
//! independent fixtures: EdDSA, ES256/384/512, RS/PS256/384/512 and an HS256 secret).
//!
//! Invariants: nothing panics, and no input is accepted unless it is exactly one of the
//! fixture tokens, which were signed by the fixture keys (a mutation that still verifies
//! would be a forgery or a parsing ambiguity). `explain` runs the same decision, so it must
//! agree with `verify`.
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use backend_api_auth::Verifier;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The fixture verifier configuration, the same as the integration tests use.
#[path = "../../tests/auth/independent.rs"]
mod independent;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    verifier: Verifier,
    signed: HashSet<String>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let doc: Value =
            serde_json::from_str(include_str!("../../tests/auth/fixtures/independent.json"))
                .expect("fixture JSON");
        let config = independent::fixture_config(&doc, independent::fixture_keys(&doc));
        let signed = doc["tokens"]
            .as_array()
            .expect("tokens")
            .iter()
            .map(|t| t["token"].as_str().expect("token").to_owned())
            .collect();
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime"),
            verifier: Verifier::new(config).expect("verifier"),
            signed,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixture();
    let verdict = f.runtime.block_on(f.verifier.verify(token));
    if let Ok(accepted) = &verdict {
        assert!(
            f.signed.contains(token),
            "accepted a token the fixture keys never signed (user {:?}): {token}",
            accepted.user_id
        );
    }
    let explained = f.runtime.block_on(f.verifier.explain(token));
    assert_eq!(
        explained.verdict.as_ref().map(|t| &t.user_id).map_err(|e| e.reason()),
        verdict.as_ref().map(|t| &t.user_id).map_err(|e| e.reason()),
        "explain and verify disagree"
    );
});
