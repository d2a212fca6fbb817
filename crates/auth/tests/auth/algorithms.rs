//! Every algorithm end to end through a real JWKS server, with keys and tokens
//! from test-support (aws-lc-rs signing), and HMAC with a configured secret.

use backend_api_auth::{HmacSecret, KeySource, ProviderConfig, Reason};
use serde_json::json;
use test_support::{ALL_ALGORITHMS, JwksServer, TestKey, jwks};
use url::Url;

use crate::helpers::{self, AUDIENCE, ISSUER, Setup, flip_signature_bit, reason};

#[tokio::test]
async fn every_asymmetric_algorithm_verifies_from_a_jwks_server() {
    let keys: Vec<TestKey> = ALL_ALGORITHMS
        .iter()
        .filter(|a| !a.starts_with("HS"))
        .map(|a| TestKey::generate(a))
        .collect();
    let refs: Vec<&TestKey> = keys.iter().collect();
    let setup = Setup::new(&refs).await;
    for key in &keys {
        let token = key.sign(&setup.claims(key.alg()));
        let ok = setup
            .verifier
            .verify(&token)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", key.alg()));
        assert_eq!(ok.user_id, key.alg());
        assert_eq!(&*ok.provider, "idp");
        assert_eq!(
            reason(setup.verifier.verify(&flip_signature_bit(&token, 9)).await),
            Reason::BadSignature
        );
    }
    assert_eq!(
        setup.server.jwks_requests(),
        1,
        "all keys came from one fetch"
    );
}

#[tokio::test]
async fn rsa_key_without_alg_verifies_both_pkcs1_and_pss() {
    let mut key = TestKey::generate("RS256");
    let mut jwk = key.public_jwk();
    jwk.as_object_mut().expect("object").remove("alg");
    let server = JwksServer::start(json!({ "keys": [jwk] })).await;
    let verifier = helpers::verifier(
        vec![helpers::provider("idp", &server.jwks_url())],
        helpers::clock(),
    );
    let claims = test_support::claims(ISSUER, AUDIENCE, "u", test_support::now());
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        key = key.with_alg(alg);
        assert!(verifier.verify(&key.sign(&claims)).await.is_ok(), "{alg}");
    }
}

#[tokio::test]
async fn rsa_key_pinned_to_rs256_refuses_ps256() {
    let key = TestKey::generate("RS256");
    let server = JwksServer::start(jwks(&[&key])).await;
    let verifier = helpers::verifier(
        vec![helpers::provider("idp", &server.jwks_url())],
        helpers::clock(),
    );
    let claims = test_support::claims(ISSUER, AUDIENCE, "u", test_support::now());
    let pss = key.with_alg("PS256").sign(&claims);
    assert_eq!(reason(verifier.verify(&pss).await), Reason::AlgNotAllowed);
}

#[tokio::test]
async fn hmac_verifies_only_with_the_configured_secret() {
    let secret = b"a-shared-secret-of-enough-length-123456";
    let mut provider = ProviderConfig::new(
        "hs",
        ISSUER,
        KeySource::JwksUrl(Url::parse("http://127.0.0.1:9/jwks").expect("url")),
    );
    provider.hmac_secret = Some(HmacSecret::new(secret.to_vec()));
    let verifier = helpers::verifier(vec![provider], helpers::clock());
    let claims = test_support::claims(ISSUER, AUDIENCE, "h", test_support::now());
    for alg in ["HS256", "HS384", "HS512"] {
        let good = TestKey::hmac(alg, secret).sign(&claims);
        assert_eq!(verifier.verify(&good).await.expect(alg).user_id, "h");
        let wrong = TestKey::hmac(alg, b"another secret").sign(&claims);
        assert_eq!(reason(verifier.verify(&wrong).await), Reason::BadSignature);
    }
}
