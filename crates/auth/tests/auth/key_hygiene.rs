//! Keys that cannot be safely verified against are unusable everywhere at once: never
//! used to verify, not counted in the status (`/ready`), and named with the reason.

use backend_api_auth::{KeySetState, Reason};
use serde_json::json;
use test_support::{JwksServer, TestKey, b64, compact};

use crate::helpers::{self, reason};

/// The issue's forgery: with the identity point as an Ed25519 key, `R = identity, S = 0`
/// (0x01 then 63 zero bytes) "verifies" any message, so any user could be claimed.
#[tokio::test]
async fn small_order_ed25519_key_cannot_be_used_to_forge_tokens() {
    let good = TestKey::generate("EdDSA");
    let mut keys = vec![good.public_jwk()];
    for (kid, x) in [
        ("identity", b64([[1u8].as_slice(), &[0; 31]].concat())),
        ("zeros", b64([0u8; 32])),
    ] {
        keys.push(json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA"}));
    }
    let server = JwksServer::start(json!({ "keys": keys })).await;
    let verifier = helpers::verifier(
        vec![helpers::provider("idp", &server.jwks_url())],
        helpers::clock(),
    );
    verifier.refresh("idp").await.expect("fetch");
    let claims = test_support::claims(
        helpers::ISSUER,
        helpers::AUDIENCE,
        "admin",
        test_support::now(),
    );
    let mut forged_signature = vec![0u8; 64];
    forged_signature[0] = 1;
    for kid in ["identity", "zeros"] {
        let header = json!({"alg": "EdDSA", "kid": kid}).to_string();
        let token = compact(
            header.as_bytes(),
            claims.to_string().as_bytes(),
            &forged_signature,
        );
        assert_eq!(
            reason(verifier.verify(&token).await),
            Reason::UnknownKid,
            "{kid}"
        );
    }
    let status = &verifier.status()[0];
    assert_eq!(status.key_count, 1, "only the real key counts");
    assert_eq!(status.state, KeySetState::Fresh);
    let unusable: Vec<_> = status
        .unusable_keys
        .iter()
        .map(|k| {
            (
                k.kid.clone().unwrap_or_default(),
                k.reason.contains("small-order"),
            )
        })
        .collect();
    assert_eq!(
        unusable,
        [("identity".to_owned(), true), ("zeros".to_owned(), true)]
    );
    assert!(verifier.verify(&good.sign(&claims)).await.is_ok());
}

/// RSA exponents 1, 2 and 2^64+1 were counted as usable keys although AWS-LC never
/// verifies with them: one rule now decides, at parse time.
#[tokio::test]
async fn rsa_keys_with_unusable_exponents_are_not_counted() {
    let good = TestKey::generate("RS256");
    let mut keys = vec![good.public_jwk()];
    for (kid, e) in [
        ("e1", vec![1u8]),
        ("e2", vec![2]),
        ("e2^64+1", vec![1, 0, 0, 0, 0, 0, 0, 0, 1]),
    ] {
        let mut jwk = TestKey::generate("RS256").with_kid(kid).public_jwk();
        jwk["e"] = json!(b64(e));
        keys.push(jwk);
    }
    let server = JwksServer::start(json!({ "keys": keys })).await;
    let verifier = helpers::verifier(
        vec![helpers::provider("idp", &server.jwks_url())],
        helpers::clock(),
    );
    verifier.refresh("idp").await.expect("fetch");
    let status = &verifier.status()[0];
    assert_eq!(status.key_count, 1);
    assert_eq!(status.key_ids, [good.kid()]);
    assert_eq!(status.unusable_keys.len(), 3);
    assert!(
        status
            .unusable_keys
            .iter()
            .all(|k| k.reason.contains("RSA public exponent")),
        "{:?}",
        status.unusable_keys
    );
}
