//! The attack suite: one test per attack, each asserting the exact reason code.
//! Every token here is otherwise valid (right issuer, audience, fresh times), so
//! only the attack itself can be the cause of the refusal.

use backend_api_auth::{Algorithm, KeySource, ProviderConfig, Reason};
use serde_json::{Value, json};
use test_support::{JwksServer, TestKey, b64, compact, jwks};
use url::Url;

use crate::helpers::{self, ISSUER, Setup, reason};

async fn setup() -> (Setup, TestKey) {
    let key = TestKey::generate("ES256");
    let setup = Setup::new(&[&key]).await;
    (setup, key)
}

fn header(key: &TestKey) -> Value {
    json!({"alg": key.alg(), "typ": "JWT", "kid": key.kid()})
}

#[tokio::test]
async fn alg_none_in_any_case_is_alg_not_allowed() {
    let (setup, key) = setup().await;
    let claims = setup.claims("mallory").to_string();
    for none in ["none", "None", "NONE", "nOnE"] {
        let head = json!({"alg": none, "typ": "JWT", "kid": key.kid()}).to_string();
        for signature in [&b""[..], b"x"] {
            let token = compact(head.as_bytes(), claims.as_bytes(), signature);
            assert_eq!(
                reason(setup.verifier.verify(&token).await),
                Reason::AlgNotAllowed,
                "{none}"
            );
        }
    }
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_alg_not_allowed() {
    let (setup, key) = setup().await;
    let claims = setup.claims("mallory");
    // Classic confusion: the attacker HMACs with bytes of the public key, in every form they can get.
    let jwk_text = key.public_jwk().to_string();
    for secret in [key.public_key_bytes(), jwk_text.into_bytes()] {
        let forged = TestKey::hmac("HS256", &secret);
        let token = forged.sign_with_header(&json!({"alg": "HS256", "kid": key.kid()}), &claims);
        assert_eq!(
            reason(setup.verifier.verify(&token).await),
            Reason::AlgNotAllowed
        );
    }
}

#[tokio::test]
async fn alg_outside_the_provider_list_is_alg_not_allowed() {
    let key = TestKey::generate("RS256");
    let server = JwksServer::start(jwks(&[&key])).await;
    let provider = ProviderConfig {
        algorithms: vec![Algorithm::ES256],
        ..helpers::provider("idp", &server.jwks_url())
    };
    let verifier = helpers::verifier(vec![provider], helpers::clock());
    let claims = test_support::claims(ISSUER, helpers::AUDIENCE, "u", test_support::now());
    let err = verifier
        .verify(&key.sign(&claims))
        .await
        .expect_err("RS256 not allowed");
    assert_eq!(err.reason(), Reason::AlgNotAllowed);
    assert_eq!(server.jwks_requests(), 0, "refused before any key lookup");
}

#[tokio::test]
async fn key_of_another_type_under_the_same_kid_is_alg_not_allowed() {
    let (setup, key) = setup().await;
    // An EdDSA token claiming the ES256 key's kid: never verified with a mismatched key.
    let ed = TestKey::generate("EdDSA");
    let token = ed.sign_with_header(
        &json!({"alg": "EdDSA", "kid": key.kid()}),
        &setup.claims("m"),
    );
    assert_eq!(
        reason(setup.verifier.verify(&token).await),
        Reason::AlgNotAllowed
    );
}

#[tokio::test]
async fn kid_path_sql_and_overlong_tricks_are_unknown_kid() {
    let (setup, key) = setup().await;
    let claims = setup.claims("mallory");
    let tricks = [
        "../../../../etc/passwd".to_owned(),
        "/dev/null".to_owned(),
        "' OR '1'='1' --".to_owned(),
        "kid\u{0000}nul".to_owned(),
        format!("{}\r\nX-Injected: 1", key.kid()),
        "k".repeat(4000),
    ];
    let before = setup.server.jwks_requests();
    for kid in tricks {
        let token = key.sign_with_header(&json!({"alg": "ES256", "kid": kid}), &claims);
        let err = setup.verifier.verify(&token).await.expect_err("trick kid");
        assert_eq!(err.reason(), Reason::UnknownKid, "{kid:.40}");
        assert!(
            err.message().len() < 200,
            "the kid is truncated in messages"
        );
    }
    assert!(
        setup.server.jwks_requests() - before <= 1,
        "cool-down bounds the refreshes"
    );
}

#[tokio::test]
async fn jku_x5u_jwk_and_x5c_headers_are_never_followed() {
    let (setup, _) = setup().await;
    let attacker = TestKey::generate("ES256");
    let evil = JwksServer::start(jwks(&[&attacker])).await;
    let claims = setup.claims("mallory");
    for (name, value) in [
        ("jku", json!(evil.jwks_url())),
        ("x5u", json!(evil.jwks_url())),
        ("jwk", attacker.public_jwk()),
        (
            "x5c",
            json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]),
        ),
    ] {
        let mut head = header(&attacker);
        head[name] = value;
        let token = attacker.sign_with_header(&head, &claims);
        assert_eq!(
            reason(setup.verifier.verify(&token).await),
            Reason::UnknownKid,
            "{name}"
        );
    }
    assert_eq!(
        evil.jwks_requests(),
        0,
        "the attacker's URL was never fetched"
    );
}

#[tokio::test]
async fn crit_header_is_token_malformed() {
    let (setup, key) = setup().await;
    let mut head = header(&key);
    head["crit"] = json!(["exp"]);
    let token = key.sign_with_header(&head, &setup.claims("m"));
    assert_eq!(
        reason(setup.verifier.verify(&token).await),
        Reason::TokenMalformed
    );
}

#[tokio::test]
async fn duplicate_json_members_are_token_malformed() {
    let (setup, key) = setup().await;
    let now = setup.now();
    let good_header = header(&key).to_string();
    let payload = format!(
        r#"{{"iss":"{ISSUER}","aud":"backend-api","sub":"alice","sub":"admin","exp":{}}}"#,
        now + 600
    );
    let token = key.sign_raw(good_header.as_bytes(), payload.as_bytes());
    assert_eq!(
        reason(setup.verifier.verify(&token).await),
        Reason::TokenMalformed
    );
    let dup_header = format!(r#"{{"alg":"ES256","alg":"none","kid":"{}"}}"#, key.kid());
    let token = key.sign_raw(
        dup_header.as_bytes(),
        setup.claims("a").to_string().as_bytes(),
    );
    assert_eq!(
        reason(setup.verifier.verify(&token).await),
        Reason::TokenMalformed
    );
}

#[tokio::test]
async fn huge_header_or_payload_is_token_too_large() {
    let (setup, key) = setup().await;
    let mut head = header(&key);
    head["pad"] = json!("h".repeat(9000));
    let token = key.sign_with_header(&head, &setup.claims("m"));
    assert_eq!(
        reason(setup.verifier.verify(&token).await),
        Reason::TokenTooLarge
    );
    let mut claims = setup.claims("m");
    claims["pad"] = json!("p".repeat(9000));
    assert_eq!(
        reason(setup.verifier.verify(&key.sign(&claims)).await),
        Reason::TokenTooLarge
    );
}

#[tokio::test]
async fn non_canonical_base64_is_token_malformed() {
    let (setup, key) = setup().await;
    let token = key.sign(&setup.claims("m"));
    assert!(setup.verifier.verify(&token).await.is_ok());
    let (input, sig) = token.rsplit_once('.').expect("parts");
    // ES256: 64 bytes = 86 chars with 4 unused bits; setting them changes the
    // text but not the decoded bytes of a lenient decoder.
    let last = sig.chars().last().expect("char");
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let pos = alphabet.find(last).expect("b64 char");
    let sibling = alphabet.as_bytes()[pos ^ 1] as char;
    let variants = [
        format!("{input}.{}{sibling}", &sig[..sig.len() - 1]),
        format!("{token}="),
        format!("{input}.{}", sig.replace('-', "+").replace('_', "/")),
    ];
    for variant in variants.iter().filter(|v| **v != token) {
        assert_eq!(
            reason(setup.verifier.verify(variant).await),
            Reason::TokenMalformed,
            "{variant}"
        );
    }
    let (head, rest) = token.split_once('.').expect("parts");
    let padded_header = format!("{head}==.{rest}");
    assert_eq!(
        reason(setup.verifier.verify(&padded_header).await),
        Reason::TokenMalformed
    );
}

#[tokio::test]
async fn trailing_data_is_token_malformed() {
    let (setup, key) = setup().await;
    let token = key.sign(&setup.claims("m"));
    for variant in [
        format!("{token}."),
        format!("{token}.x"),
        format!("{token} "),
        format!("{token}\n"),
        format!(" {token}"),
    ] {
        assert_eq!(
            reason(setup.verifier.verify(&variant).await),
            Reason::TokenMalformed,
            "{variant:?}"
        );
    }
    // Trailing bytes after the JSON object inside a part.
    let payload = format!("{}garbage", setup.claims("m"));
    let token = key.sign_raw(header(&key).to_string().as_bytes(), payload.as_bytes());
    assert_eq!(
        reason(setup.verifier.verify(&token).await),
        Reason::TokenMalformed
    );
}

#[tokio::test]
async fn wrong_iss_is_issuer_unknown() {
    let (setup, key) = setup().await;
    let mut claims = setup.claims("m");
    claims["iss"] = json!("https://evil.example.com");
    assert_eq!(
        reason(setup.verifier.verify(&key.sign(&claims)).await),
        Reason::IssuerUnknown
    );
    claims.as_object_mut().expect("obj").remove("iss");
    assert_eq!(
        reason(setup.verifier.verify(&key.sign(&claims)).await),
        Reason::IssuerUnknown
    );
    claims["iss"] = json!(["https://id.example.com"]);
    assert_eq!(
        reason(setup.verifier.verify(&key.sign(&claims)).await),
        Reason::TokenMalformed
    );
}

#[tokio::test]
async fn wrong_aud_is_audience_mismatch() {
    let (setup, key) = setup().await;
    let mut claims = setup.claims("m");
    for aud in [json!("other-api"), json!(["a", "b"]), json!([])] {
        claims["aud"] = aud;
        assert_eq!(
            reason(setup.verifier.verify(&key.sign(&claims)).await),
            Reason::AudienceMismatch
        );
    }
    claims.as_object_mut().expect("obj").remove("aud");
    assert_eq!(
        reason(setup.verifier.verify(&key.sign(&claims)).await),
        Reason::AudienceMismatch
    );
}

#[tokio::test]
async fn expired_token_is_refused_as_expired() {
    let (setup, key) = setup().await;
    let mut claims = setup.claims("m");
    claims["exp"] = json!(setup.now() - 31);
    assert_eq!(
        reason(setup.verifier.verify(&key.sign(&claims)).await),
        Reason::Expired
    );
    claims["exp"] = json!(setup.now() - 29);
    assert!(
        setup.verifier.verify(&key.sign(&claims)).await.is_ok(),
        "inside the 30 s leeway"
    );
}

#[tokio::test]
async fn nbf_in_the_future_is_not_yet_valid() {
    let (setup, key) = setup().await;
    let mut claims = setup.claims("m");
    claims["nbf"] = json!(setup.now() + 120);
    assert_eq!(
        reason(setup.verifier.verify(&key.sign(&claims)).await),
        Reason::NotYetValid
    );
    claims["nbf"] = json!(setup.now());
    claims["iat"] = json!(setup.now() + 120);
    assert_eq!(
        reason(setup.verifier.verify(&key.sign(&claims)).await),
        Reason::NotYetValid
    );
}

#[tokio::test]
async fn missing_exp_is_claim_missing() {
    let (setup, key) = setup().await;
    let mut claims = setup.claims("m");
    claims.as_object_mut().expect("obj").remove("exp");
    assert_eq!(
        reason(setup.verifier.verify(&key.sign(&claims)).await),
        Reason::ClaimMissing
    );
    claims["exp"] = json!("tomorrow");
    assert_eq!(
        reason(setup.verifier.verify(&key.sign(&claims)).await),
        Reason::TokenMalformed
    );
}

#[tokio::test]
async fn token_signed_by_another_providers_key_is_refused() {
    let (a_key, b_key) = (TestKey::generate("ES256"), TestKey::generate("ES256"));
    let a = JwksServer::start(jwks(&[&a_key])).await;
    let b = JwksServer::start(jwks(&[&b_key])).await;
    let b_provider = ProviderConfig::new(
        "b",
        "https://b.example.com",
        KeySource::JwksUrl(Url::parse(&b.jwks_url()).expect("url")),
    );
    let verifier = helpers::verifier(
        vec![helpers::provider("a", &a.jwks_url()), b_provider],
        helpers::clock(),
    );
    let claims = test_support::claims(ISSUER, helpers::AUDIENCE, "m", test_support::now());
    // B's key, A's issuer: B's kid is not in A's set.
    assert_eq!(
        reason(verifier.verify(&b_key.sign(&claims)).await),
        Reason::UnknownKid
    );
    // B's key claiming A's kid: the signature does not verify with A's key.
    let token = b_key.sign_with_header(&json!({"alg": "ES256", "kid": a_key.kid()}), &claims);
    assert_eq!(reason(verifier.verify(&token).await), Reason::BadSignature);
    assert_eq!(
        b.jwks_requests(),
        0,
        "B's keys are never consulted for A's issuer"
    );
}

#[tokio::test]
async fn garbage_tokens_are_token_malformed() {
    let (setup, _) = setup().await;
    for junk in [
        "abc",
        "a.b",
        "a.b.c",
        "....",
        "eyJ.eyJ.eyJ",
        &format!("{}.{}.{}", b64("{"), b64("{}"), b64("s")),
    ] {
        assert_eq!(
            reason(setup.verifier.verify(junk).await),
            Reason::TokenMalformed,
            "{junk}"
        );
    }
    assert_eq!(
        reason(setup.verifier.verify("").await),
        Reason::TokenMissing
    );
}
