//! The key-set lifecycle against a real JWKS server on 127.0.0.1: rotation,
//! retirement, outages at start and later, bad answers, slowness, single-flight
//! refresh and the cool-down against random-kid floods. Fetches are counted at
//! the server, not inside the verifier.

use std::time::Duration;

use backend_api_auth::{FetchSettings, KeySetState, Reason};
use serde_json::json;
use test_support::{Behaviour, JwksServer, TestKey, jwks};

use crate::helpers::{self, Setup, reason, wait_for_state};

#[tokio::test]
async fn rotated_in_key_is_accepted_after_exactly_one_refresh() {
    let (old, new) = (TestKey::generate("EdDSA"), TestKey::generate("ES256"));
    let setup = Setup::new(&[&old]).await;
    assert_eq!(setup.server.jwks_requests(), 1);
    setup.server.set_jwks(jwks(&[&old, &new]));
    let ok = setup
        .verifier
        .verify(&new.sign(&setup.claims("rotated")))
        .await
        .expect("new kid accepted");
    assert_eq!(ok.user_id, "rotated");
    assert_eq!(setup.server.jwks_requests(), 2);
    assert!(
        setup
            .verifier
            .verify(&old.sign(&setup.claims("old")))
            .await
            .is_ok(),
        "old key still published"
    );
}

/// A refresh already in flight when a new key appears asked before the key
/// existed: the request carrying the new kid must not settle for its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_kid_arriving_during_a_slow_refresh_is_fetched_again() {
    let (old, new) = (TestKey::generate("EdDSA"), TestKey::generate("EdDSA"));
    let setup = Setup::new(&[&old]).await;
    setup
        .server
        .set_behaviour(Behaviour::Slow(Duration::from_millis(400)));
    let in_flight = {
        let verifier = setup.verifier.clone();
        tokio::spawn(async move { verifier.refresh("idp").await })
    };
    while setup.server.jwks_requests() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The provider rotates while its answer (without the new key) is on the way.
    setup.server.set_jwks(jwks(&[&old, &new]));
    setup.server.set_behaviour(Behaviour::Serve);
    let ok = setup
        .verifier
        .verify(&new.sign(&setup.claims("during")))
        .await
        .expect("new kid accepted on first use");
    assert_eq!(ok.user_id, "during");
    in_flight.await.expect("join").expect("slow refresh ok");
    assert_eq!(
        setup.server.jwks_requests(),
        3,
        "start, slow refresh, one more"
    );
}

#[tokio::test]
async fn retired_key_is_refused_as_unknown_kid_even_for_a_cached_token() {
    let (kept, retired) = (TestKey::generate("EdDSA"), TestKey::generate("EdDSA"));
    let setup = Setup::new(&[&kept, &retired]).await;
    let token = retired.sign(&setup.claims("r"));
    assert!(setup.verifier.verify(&token).await.is_ok());
    setup.server.set_jwks(jwks(&[&kept]));
    setup.verifier.refresh("idp").await.expect("refresh");
    let err = setup
        .verifier
        .verify(&token)
        .await
        .expect_err("retired key");
    assert_eq!(err.reason(), Reason::UnknownKid);
    assert!(
        err.hint().expect("hint").contains(kept.kid()),
        "hint lists the kids present: {:?}",
        err.hint()
    );
}

#[tokio::test]
async fn provider_down_at_start_gives_keys_unavailable_then_recovers_by_itself() {
    let key = TestKey::generate("EdDSA");
    let server = JwksServer::reserve(jwks(&[&key])).await;
    let clock = helpers::clock();
    let verifier = helpers::verifier(
        vec![helpers::provider("idp", &server.jwks_url())],
        clock.clone(),
    );
    verifier.start();
    wait_for_state(&verifier, KeySetState::Unavailable).await;
    let claims = test_support::claims(
        helpers::ISSUER,
        helpers::AUDIENCE,
        "late",
        test_support::now(),
    );
    let err = verifier
        .verify(&key.sign(&claims))
        .await
        .expect_err("no keys yet");
    assert_eq!(err.reason(), Reason::KeysUnavailable);
    assert!(err.retry_after().is_some());
    let hint = err.hint().expect("hint");
    assert!(
        hint.contains("connection refused") && hint.contains(&server.jwks_url()),
        "{hint}"
    );
    assert!(
        verifier.status()[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("connection refused"))
    );

    server.resume().await;
    wait_for_state(&verifier, KeySetState::Fresh).await;
    assert!(verifier.verify(&key.sign(&claims)).await.is_ok());
}

#[tokio::test]
async fn provider_down_later_keeps_serving_stale_keys_until_max_stale() {
    let key = TestKey::generate("ES384");
    let setup = Setup::new(&[&key]).await;
    setup.server.stop().await;
    let failed = setup
        .verifier
        .refresh("idp")
        .await
        .expect_err("server is down");
    assert_eq!(failed.reason(), Reason::KeysUnavailable);
    let status = &setup.verifier.status()[0];
    assert_eq!(status.state, KeySetState::Stale);
    assert!(status.last_error.is_some());
    assert!(
        setup
            .verifier
            .verify(&key.sign(&setup.claims("stale")))
            .await
            .is_ok()
    );

    // Past the stale-if-error bound (24 h) the old keys are no longer trusted.
    setup.clock.advance(Duration::from_secs(25 * 3600));
    let token = key.sign(&setup.claims("too-old"));
    assert_eq!(
        reason(setup.verifier.verify(&token).await),
        Reason::KeysUnavailable
    );
    assert_eq!(setup.verifier.status()[0].state, KeySetState::Unavailable);
}

/// Starts a server that answers with `behaviour`, forces a fetch, returns the error text.
async fn fetch_error(behaviour: Behaviour) -> (String, String) {
    let key = TestKey::generate("EdDSA");
    let server = JwksServer::start(jwks(&[&key])).await;
    server.set_behaviour(behaviour);
    let verifier = helpers::verifier(
        vec![helpers::provider("idp", &server.jwks_url())],
        helpers::clock(),
    );
    let err = verifier.refresh("idp").await.expect_err("bad answer");
    assert_eq!(err.reason(), Reason::KeysUnavailable);
    let claims = test_support::claims(helpers::ISSUER, helpers::AUDIENCE, "u", test_support::now());
    assert_eq!(
        reason(verifier.verify(&key.sign(&claims)).await),
        Reason::KeysUnavailable
    );
    let hint = err.hint().expect("hint").to_owned();
    assert!(
        hint.contains(&server.jwks_url()),
        "error names the URL: {hint}"
    );
    (hint, server.jwks_url())
}

#[tokio::test]
async fn html_answer_is_a_clear_error() {
    let (hint, _) = fetch_error(Behaviour::Html).await;
    assert!(hint.contains("HTML page"), "{hint}");
}

#[tokio::test]
async fn not_found_answer_is_a_clear_error() {
    let (hint, _) = fetch_error(Behaviour::NotFound).await;
    assert!(hint.contains("404"), "{hint}");
}

#[tokio::test]
async fn server_error_answer_is_a_clear_error() {
    let (hint, _) = fetch_error(Behaviour::Status(502)).await;
    assert!(hint.contains("502"), "{hint}");
}

#[tokio::test]
async fn non_json_answer_is_a_clear_error() {
    let (hint, _) = fetch_error(Behaviour::NotJson).await;
    assert!(hint.contains("not JSON"), "{hint}");
}

#[tokio::test]
async fn garbage_answer_is_a_clear_error() {
    let (hint, _) = fetch_error(Behaviour::Garbage).await;
    assert!(hint.contains("not JSON"), "{hint}");
}

/// A fetched, well-formed empty set is authoritative: every key it no longer lists is
/// refused as `unknown_kid` from that fetch on (a cached verdict too), and the provider
/// is not ready, with a reason.
#[tokio::test]
async fn empty_key_set_revokes_every_key_and_makes_the_provider_not_ready() {
    let key = TestKey::generate("EdDSA");
    let setup = Setup::new(&[&key]).await;
    let token = key.sign(&setup.claims("cached"));
    assert!(setup.verifier.verify(&token).await.is_ok(), "cached now");
    setup.server.set_behaviour(Behaviour::EmptyKeys);
    setup
        .verifier
        .refresh("idp")
        .await
        .expect("a well-formed empty set is a successful fetch");
    assert_eq!(
        reason(setup.verifier.verify(&token).await),
        Reason::UnknownKid
    );
    let fresh = key.sign(&setup.claims("new"));
    assert_eq!(
        reason(setup.verifier.verify(&fresh).await),
        Reason::UnknownKid
    );
    let status = &setup.verifier.status()[0];
    assert_eq!((status.state, status.key_count), (KeySetState::Empty, 0));
    assert!(!status.state.usable());
    let problem = status.problem().expect("not ready");
    assert!(problem.contains("empty"), "{problem}");

    // Publishing a key again makes it ready again.
    setup.server.set_behaviour(Behaviour::Serve);
    setup.verifier.refresh("idp").await.expect("refresh");
    assert_eq!(setup.verifier.status()[0].state, KeySetState::Fresh);
    assert!(setup.verifier.verify(&fresh).await.is_ok());
}

#[tokio::test]
async fn failed_fetches_serve_the_last_set_only_up_to_the_configured_stale_max() {
    let key = TestKey::generate("EdDSA");
    let fetch = FetchSettings {
        max_stale: Duration::from_secs(600),
        ..helpers::test_fetch()
    };
    let setup = Setup::with_fetch(&[&key], fetch).await;
    setup.server.set_behaviour(Behaviour::Status(503));
    setup.verifier.refresh("idp").await.expect_err("503");
    setup.clock.advance(Duration::from_secs(599));
    assert!(
        setup
            .verifier
            .verify(&key.sign(&setup.claims("stale")))
            .await
            .is_ok(),
        "stale-if-error within the bound"
    );
    assert_eq!(setup.verifier.status()[0].state, KeySetState::Stale);
    setup.clock.advance(Duration::from_secs(2));
    assert_eq!(
        reason(
            setup
                .verifier
                .verify(&key.sign(&setup.claims("late")))
                .await
        ),
        Reason::KeysUnavailable
    );
    assert_eq!(setup.verifier.status()[0].state, KeySetState::Unavailable);
}

#[tokio::test]
async fn key_set_of_only_unusable_keys_says_why_each_is_unusable() {
    let key = TestKey::generate("EdDSA");
    let mut enc = key.public_jwk();
    enc["use"] = json!("enc");
    let server =
        JwksServer::start(json!({"keys": [enc, {"kty": "oct", "k": "c2VjcmV0", "kid": "sym"}]}))
            .await;
    let verifier = helpers::verifier(
        vec![helpers::provider("idp", &server.jwks_url())],
        helpers::clock(),
    );
    verifier.refresh("idp").await.expect("well-formed");
    let status = &verifier.status()[0];
    assert_eq!((status.state, status.key_count), (KeySetState::Empty, 0));
    let problem = status.problem().expect("not ready");
    assert!(
        problem.contains("use is \"enc\"") && problem.contains("symmetric"),
        "{problem}"
    );
}

#[tokio::test]
async fn oversized_answer_is_cut_off() {
    let (hint, _) = fetch_error(Behaviour::Huge).await;
    assert!(hint.contains("more than 262144 bytes"), "{hint}");
}

#[tokio::test]
async fn slow_server_times_out() {
    let (hint, _) = fetch_error(Behaviour::Slow(Duration::from_secs(3))).await;
    assert!(hint.contains("timed out"), "{hint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_with_a_new_kid_cause_exactly_one_fetch() {
    let (old, new) = (TestKey::generate("EdDSA"), TestKey::generate("EdDSA"));
    // No cool-down: only single-flight can keep this to one fetch.
    let fetch = FetchSettings {
        refresh_cooldown: Duration::ZERO,
        ..helpers::test_fetch()
    };
    let setup = Setup::with_fetch(&[&old], fetch).await;
    setup.server.set_jwks(jwks(&[&old, &new]));
    // A slow answer keeps the fetch in flight while every request arrives.
    setup
        .server
        .set_behaviour(Behaviour::Slow(Duration::from_millis(300)));
    let before = setup.server.jwks_requests();
    // Distinct tokens, so the verified-token cache cannot help; a barrier
    // releases all requests at once.
    let tokens: Vec<String> = (0..1000)
        .map(|i| new.sign(&setup.claims(&format!("user-{i}"))))
        .collect();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(tokens.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for token in tokens {
        let (verifier, barrier) = (setup.verifier.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            verifier.verify(&token).await
        });
    }
    let mut accepted = 0;
    while let Some(result) = tasks.join_next().await {
        result.expect("task").expect("new kid accepted");
        accepted += 1;
    }
    assert_eq!(accepted, 1000);
    assert_eq!(setup.server.jwks_requests() - before, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kid_flood_is_bounded_by_the_cooldown() {
    let key = TestKey::generate("EdDSA");
    let setup = Setup::new(&[&key]).await;
    let flood = |round: u32| {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..300 {
            let token = test_support::TestKey::generate("EdDSA")
                .with_kid(format!("random-{round}-{i}"))
                .sign(&setup.claims("attacker"));
            let verifier = setup.verifier.clone();
            tasks.spawn(async move { verifier.verify(&token).await });
        }
        tasks
    };
    for round in 0..3 {
        let before = setup.server.jwks_requests();
        let mut tasks = flood(round);
        while let Some(result) = tasks.join_next().await {
            assert_eq!(reason(result.expect("task")), Reason::UnknownKid);
        }
        assert_eq!(
            setup.server.jwks_requests() - before,
            1,
            "round {round}: one fetch per cool-down"
        );
        // Still inside the cool-down: more random kids cause no fetch at all.
        let mut tasks = flood(round + 10);
        while tasks.join_next().await.is_some() {}
        assert_eq!(setup.server.jwks_requests() - before, 1);
        setup.pass_cooldown();
    }
}

/// With nothing cached and a stalled key endpoint, a request waits at most the initial
/// wait (not the fetch's own 30 s timeout here), and the other provider is not slowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_first_fetch_is_waited_for_only_up_to_the_initial_wait() {
    let (stalled_key, healthy_key) = (TestKey::generate("EdDSA"), TestKey::generate("ES256"));
    let stalled = JwksServer::start(jwks(&[&stalled_key])).await;
    stalled.set_behaviour(Behaviour::Slow(Duration::from_secs(60)));
    let healthy = JwksServer::start(jwks(&[&healthy_key])).await;
    let fetch = FetchSettings {
        total_timeout: Duration::from_secs(30),
        initial_wait: Duration::from_millis(300),
        ..helpers::test_fetch()
    };
    let other_issuer = "https://other.example.com";
    let other = backend_api_auth::ProviderConfig {
        issuer: other_issuer.into(),
        ..helpers::provider("healthy", &healthy.jwks_url())
    };
    let verifier = helpers::verifier_with(
        vec![helpers::provider("stalled", &stalled.jwks_url()), other],
        helpers::clock(),
        fetch,
    );
    verifier.start();
    let now = test_support::now();
    let token = stalled_key.sign(&test_support::claims(
        helpers::ISSUER,
        helpers::AUDIENCE,
        "u",
        now,
    ));
    let refused = tokio::time::timeout(Duration::from_secs(10), verifier.verify(&token))
        .await
        .expect("answered after the initial wait, long before the fetch timeout");
    let error = refused.expect_err("no keys yet");
    assert_eq!(error.reason(), Reason::KeysUnavailable);
    assert!(error.retry_after().is_some());
    let healthy_token = healthy_key.sign(&test_support::claims(
        other_issuer,
        helpers::AUDIENCE,
        "v",
        now,
    ));
    let accepted = tokio::time::timeout(Duration::from_secs(10), verifier.verify(&healthy_token))
        .await
        .expect("the healthy provider does not wait on the stalled one")
        .expect("accepted");
    assert_eq!(accepted.user_id, "v");
    assert!(stalled.jwks_requests() >= 1);
}

#[tokio::test]
async fn redirects_are_followed_up_to_the_cap() {
    let key = TestKey::generate("EdDSA");
    let target = JwksServer::start(jwks(&[&key])).await;
    let hop = JwksServer::start(jwks(&[])).await;
    hop.set_behaviour(Behaviour::RedirectTo(target.jwks_url()));
    let verifier = helpers::verifier(
        vec![helpers::provider("idp", &hop.jwks_url())],
        helpers::clock(),
    );
    verifier
        .refresh("idp")
        .await
        .expect("one http -> http hop is followed");
    assert_eq!(verifier.status()[0].key_count, 1);

    hop.set_behaviour(Behaviour::RedirectTo(hop.jwks_url()));
    let error = verifier.refresh("idp").await.expect_err("redirect loop");
    let hint = error.hint().expect("hint");
    assert!(hint.contains("more than 3 redirects"), "{hint}");
    assert_eq!(
        hop.jwks_requests(),
        1 + 4,
        "the first fetch, then 4 requests of the loop"
    );
}
