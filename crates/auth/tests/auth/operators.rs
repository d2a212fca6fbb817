//! What operators see: explain() steps, hints that name the setting to change,
//! status snapshots and configuration errors found before any token.

use backend_api_auth::{
    Algorithm, DevelopmentKey, HmacSecret, InitError, JwkSet, KeySetState, KeySource,
    ProviderConfig, Reason, StepOutcome, Verifier, VerifierConfig,
};
use serde_json::json;
use test_support::TestKey;
use url::Url;

use crate::helpers::{self, Setup};

#[tokio::test]
async fn explain_walks_every_step_of_an_accepted_token() {
    let key = TestKey::generate("PS256");
    let setup = Setup::new(&[&key]).await;
    let explanation = setup
        .verifier
        .explain(&key.sign(&setup.claims("alice")))
        .await;
    let names: Vec<&str> = explanation.steps.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "size",
            "decode",
            "issuer",
            "algorithm",
            "key",
            "signature",
            "exp",
            "nbf/iat",
            "aud",
            "user"
        ]
    );
    assert!(
        explanation
            .steps
            .iter()
            .all(|s| s.outcome == StepOutcome::Pass)
    );
    assert_eq!(explanation.provider.as_deref(), Some("idp"));
    assert_eq!(explanation.header.expect("header")["alg"], "PS256");
    assert_eq!(explanation.verdict.expect("accepted").user_id, "alice");
}

#[tokio::test]
async fn explain_stops_at_the_failing_step_with_the_same_reason_as_verify() {
    let key = TestKey::generate("EdDSA");
    let setup = Setup::new(&[&key]).await;
    let mut claims = setup.claims("alice");
    claims["aud"] = json!("someone-else");
    let token = key.sign(&claims);
    let explanation = setup.verifier.explain(&token).await;
    let last = explanation.steps.last().expect("steps");
    assert_eq!((last.name, last.outcome), ("aud", StepOutcome::Fail));
    assert!(
        last.detail.contains("audience_mismatch") && last.detail.contains("backend-api"),
        "{}",
        last.detail
    );
    let verdict = explanation.verdict.expect_err("refused").reason();
    assert_eq!(
        verdict,
        setup
            .verifier
            .verify(&token)
            .await
            .expect_err("refused")
            .reason()
    );
}

#[tokio::test]
async fn issuer_mismatch_hint_names_the_setting_and_both_issuers() {
    let mut provider =
        ProviderConfig::better_auth(&Url::parse("http://frontend:3000").expect("url"));
    let key = TestKey::generate("EdDSA");
    provider.keys = KeySource::Static(
        JwkSet::from_json(test_support::jwks(&[&key]).to_string().as_bytes()).expect("jwks"),
    );
    let verifier = helpers::verifier(vec![provider], helpers::clock());
    let claims = test_support::claims(
        "https://app.example.com",
        "https://app.example.com",
        "u",
        test_support::now(),
    );
    let err = verifier
        .verify(&key.sign(&claims))
        .await
        .expect_err("wrong issuer");
    assert_eq!(err.reason(), Reason::IssuerUnknown);
    let hint = err.hint().expect("hint");
    assert!(
        hint.contains("https://app.example.com")
            && hint.contains("http://frontend:3000")
            && hint.contains("set BETTER_AUTH_ISSUER"),
        "{hint}"
    );
    assert!(
        !err.message().contains("frontend"),
        "client message does not reveal configuration"
    );
}

#[tokio::test]
async fn development_key_signs_tokens_the_development_provider_accepts() {
    let dir = test_support::temp_dir("auth-it-dev");
    let key = DevelopmentKey::load_or_create(&dir.path().join("dev-key.pem")).expect("dev key");
    let verifier = helpers::verifier(vec![key.provider()], helpers::clock());
    let now = test_support::now();
    let token = key.sign(&json!({
        "iss": DevelopmentKey::ISSUER, "aud": DevelopmentKey::AUDIENCE, "sub": "alice", "exp": now + 900, "iat": now,
    }));
    let accepted = verifier.verify(&token).await.expect("dev token");
    assert_eq!(
        (accepted.user_id.as_str(), &*accepted.provider),
        ("alice", "development")
    );
    let status = &verifier.status()[0];
    assert_eq!(
        (status.state, status.key_ids.clone()),
        (KeySetState::Fresh, vec![key.kid().to_owned()])
    );
    std::fs::remove_dir_all(dir).ok();
}

/// `{"user_id":"bob","sub":"alice"}` is alice for a provider that reads `sub` (every provider
/// from the providers file by default) and bob only for Better Auth, whose default is
/// `user_id`, then `sub`.
#[tokio::test]
async fn user_id_claim_counts_only_where_the_provider_reads_it() {
    let key = TestKey::generate("EdDSA");
    let server = test_support::JwksServer::start(test_support::jwks(&[&key])).await;
    let clock = helpers::clock();
    let mut better_auth =
        ProviderConfig::better_auth(&Url::parse(&server.base_url()).expect("url"));
    better_auth.keys = KeySource::JwksUrl(Url::parse(&server.jwks_url()).expect("url"));
    let better_auth_issuer = better_auth.issuer.clone();
    let verifier = helpers::verifier(
        vec![helpers::provider("file", &server.jwks_url()), better_auth],
        clock,
    );
    let both = |iss: &str, aud: &str| {
        let mut claims = test_support::claims(iss, aud, "alice", test_support::now());
        claims["user_id"] = json!("bob");
        key.sign(&claims)
    };
    let from_file = verifier
        .verify(&both(helpers::ISSUER, helpers::AUDIENCE))
        .await
        .expect("accepted");
    assert_eq!(from_file.user_id, "alice");
    let from_better_auth = verifier
        .verify(&both(&better_auth_issuer, &better_auth_issuer))
        .await
        .expect("accepted");
    assert_eq!(from_better_auth.user_id, "bob");

    let mut integer_sub =
        test_support::claims(helpers::ISSUER, helpers::AUDIENCE, "x", test_support::now());
    integer_sub["sub"] = json!(42);
    assert_eq!(
        helpers::reason(verifier.verify(&key.sign(&integer_sub)).await),
        Reason::TokenMalformed
    );
    integer_sub.as_object_mut().expect("obj").remove("sub");
    assert_eq!(
        helpers::reason(verifier.verify(&key.sign(&integer_sub)).await),
        Reason::ClaimMissing
    );
}

#[test]
fn configuration_errors_are_found_before_any_token() {
    let url = Url::parse("http://idp:8080/jwks").expect("url");
    let p = |name: &str, iss: &str| ProviderConfig::new(name, iss, KeySource::JwksUrl(url.clone()));
    let build = |providers| {
        Verifier::new(VerifierConfig {
            providers,
            ..Default::default()
        })
    };
    assert!(matches!(
        build(vec![p("a", "x"), p("b", "x")]),
        Err(InitError::DuplicateIssuer { .. })
    ));
    assert!(matches!(
        build(vec![p("a", "x"), p("a", "y")]),
        Err(InitError::DuplicateName(_))
    ));
    let hs = ProviderConfig {
        algorithms: vec![Algorithm::HS256],
        ..p("a", "x")
    };
    assert!(matches!(
        build(vec![hs]),
        Err(InitError::HmacWithoutSecret { .. })
    ));
    let empty_secret = ProviderConfig {
        hmac_secret: Some(HmacSecret::new(Vec::new())),
        ..p("a", "x")
    };
    assert!(matches!(
        build(vec![empty_secret]),
        Err(InitError::EmptySecret(_))
    ));
    let empty_set = ProviderConfig::new("a", "x", KeySource::Static(JwkSet::default()));
    assert!(matches!(
        build(vec![empty_set]),
        Err(InitError::EmptyStaticKeys(_))
    ));
    let bad_scheme = ProviderConfig::new(
        "a",
        "x",
        KeySource::JwksUrl(Url::parse("file:///etc/keys").expect("url")),
    );
    assert!(matches!(
        build(vec![bad_scheme]),
        Err(InitError::BadUrl { .. })
    ));
    let discovery_no_url = ProviderConfig::new("a", "not a url", KeySource::Discovery);
    assert!(matches!(
        build(vec![discovery_no_url]),
        Err(InitError::BadUrl { .. })
    ));
    assert!(build(vec![p("a", "x"), p("b", "y")]).is_ok());
}

#[tokio::test]
async fn pending_status_before_start_and_no_network_in_new() {
    let verifier = helpers::verifier(
        vec![helpers::provider("idp", "http://127.0.0.1:9/jwks")],
        helpers::clock(),
    );
    let status = &verifier.status()[0];
    assert_eq!((status.state, status.fetches), (KeySetState::Pending, 0));
    assert_eq!(status.jwks_url.as_deref(), Some("http://127.0.0.1:9/jwks"));
}

#[tokio::test]
async fn better_auth_defaults_work_against_a_real_jwks_endpoint() {
    let key = TestKey::generate("EdDSA");
    let server = test_support::JwksServer::start(test_support::jwks(&[&key])).await;
    let base = Url::parse(&server.base_url()).expect("url");
    let verifier = helpers::verifier(vec![ProviderConfig::better_auth(&base)], helpers::clock());
    verifier.start();
    helpers::wait_for_state(&verifier, KeySetState::Fresh).await;
    assert_eq!(
        verifier.status()[0].jwks_url,
        Some(format!("{}/api/auth/jwks", server.base_url()))
    );
    // Better Auth's JWT plugin: iss and aud are its base URL, sub and id are the user id.
    let now = test_support::now();
    let token = key.sign(&json!({
        "iss": server.base_url(), "aud": server.base_url(), "sub": "ba-user", "id": "ba-user",
        "email": "a@example.com", "iat": now, "exp": now + 900,
    }));
    let accepted = verifier.verify(&token).await.expect("Better Auth token");
    assert_eq!(
        (accepted.user_id.as_str(), &*accepted.provider),
        ("ba-user", "better-auth")
    );
}
