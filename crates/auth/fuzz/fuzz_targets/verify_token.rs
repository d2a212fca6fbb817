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

use backend_api_auth::{HmacSecret, JwkSet, KeySource, ProviderConfig, Verifier, VerifierConfig};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

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
        let keys = JwkSet::from_json(doc["jwks"].to_string().as_bytes()).expect("fixture JWKS");
        let secret = URL_SAFE_NO_PAD
            .decode(doc["hmac_secret"].as_str().expect("secret"))
            .expect("base64url secret");
        let provider = ProviderConfig {
            audiences: Some(vec![doc["audience"].as_str().expect("aud").to_owned()]),
            hmac_secret: Some(HmacSecret::new(secret)),
            ..ProviderConfig::new(
                "fixtures",
                doc["issuer"].as_str().expect("iss"),
                KeySource::Static(keys),
            )
        };
        let config = VerifierConfig {
            providers: vec![provider],
            // Every input must reach the signature check, not a cached verdict.
            token_cache_capacity: 0,
            ..VerifierConfig::default()
        };
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
