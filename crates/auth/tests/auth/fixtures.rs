//! Tokens for every algorithm minted once by Python `cryptography`
//! (fixtures/make_fixtures.py → fixtures/independent.json): each verifies, and
//! flipping any single bit of any of them is refused.

use backend_api_auth::{Reason, Verifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::helpers::{flip_signature_bit, reason};
use crate::independent::{fixture_config, fixture_keys};

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/independent.json")).expect("fixture JSON")
}

fn fixture_verifier(doc: &Value) -> Verifier {
    let set = fixture_keys(doc);
    assert_eq!(
        set.len(),
        10,
        "every asymmetric fixture key is usable: {:?}",
        set.rejected()
    );
    Verifier::new(fixture_config(doc, set)).expect("config")
}

fn tokens(doc: &Value) -> Vec<(String, String)> {
    doc["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| {
            (
                t["alg"].as_str().expect("alg").to_owned(),
                t["token"].as_str().expect("token").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_algorithm_from_an_independent_implementation_verifies() {
    let doc = fixtures();
    let verifier = fixture_verifier(&doc);
    let all = tokens(&doc);
    assert_eq!(all.len(), 13);
    for (alg, token) in all {
        let accepted = verifier
            .verify(&token)
            .await
            .unwrap_or_else(|e| panic!("{alg}: {e} / {:?}", e.hint()));
        assert_eq!(accepted.user_id, format!("user-{}", alg.to_lowercase()));
    }
}

#[tokio::test]
async fn flipping_any_signature_bit_of_any_fixture_is_bad_signature() {
    let doc = fixtures();
    let verifier = fixture_verifier(&doc);
    for (alg, token) in tokens(&doc) {
        let sig_bits = URL_SAFE_NO_PAD
            .decode(token.rsplit('.').next().expect("sig"))
            .expect("b64")
            .len()
            * 8;
        // Every bit for the short signatures; a spread of 64 for long RSA ones.
        let step = (sig_bits / 64).max(1);
        for bit in (0..sig_bits).step_by(step) {
            let flipped = flip_signature_bit(&token, bit);
            assert_eq!(
                reason(verifier.verify(&flipped).await),
                Reason::BadSignature,
                "{alg} bit {bit}"
            );
        }
    }
}

#[tokio::test]
async fn flipping_any_bit_of_the_token_text_is_refused() {
    let doc = fixtures();
    let verifier = fixture_verifier(&doc);
    for (alg, token) in tokens(&doc) {
        let bytes = token.as_bytes();
        for index in (0..bytes.len()).step_by(7) {
            for bit in [0u8, 3, 5] {
                let mut changed = bytes.to_vec();
                changed[index] ^= 1 << bit;
                let Ok(text) = String::from_utf8(changed) else {
                    continue;
                };
                assert!(
                    verifier.verify(&text).await.is_err(),
                    "{alg}: byte {index} bit {bit} accepted"
                );
            }
        }
    }
}
