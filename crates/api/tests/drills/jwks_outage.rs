//! The identity provider's key endpoint fails while authenticated traffic runs.
//!
//! With keys cached, an outage of the endpoint (down, slow, garbage, an HTML page) must not fail
//! one request; with no keys ever fetched, requests get 503 `keys_unavailable` with
//! `Retry-After`, and the same process serves normally once the endpoint is back.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use test_support::Behaviour;

use crate::support::identity::Identity;
use crate::support::service::{Service, ServiceEnv, client, free_port};
use crate::support::traffic::{Api, Failure, Load, Step};
use crate::support::{bounded, eventually};
use test_support::{TempDir, temp_dir};

const USER: &str = "drill-user";
/// How long each fault lasts while traffic runs.
const FAULT: Duration = Duration::from_secs(2);
/// A "slow" endpoint answers long after the service's fetch timeout (5 s).
const SLOW: Duration = Duration::from_secs(20);

/// What the key endpoint does during one phase of a drill.
#[derive(Clone, Copy, Debug)]
enum Endpoint {
    Down,
    Slow,
    Garbage,
    LoginPage,
    Healthy,
}

impl Endpoint {
    async fn apply(self, identity: &Identity) {
        let jwks = &identity.jwks;
        let behaviour = match self {
            Endpoint::Down => return jwks.stop().await,
            Endpoint::Slow => Behaviour::Slow(SLOW),
            Endpoint::Garbage => Behaviour::Garbage,
            Endpoint::LoginPage => Behaviour::Html,
            Endpoint::Healthy => Behaviour::Serve,
        };
        jwks.set_behaviour(behaviour);
        jwks.resume().await;
    }
}

fn sqlite(dir: &TempDir) -> String {
    format!("sqlite://{}/tasks.db", dir.path().display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_keys_carry_every_request_through_a_jwks_endpoint_down_slow_and_garbage() {
    bounded(async {
        let dir = temp_dir("jwks-cached");
        let identity = Identity::start().await;
        let env = ServiceEnv::new(&sqlite(&dir), &identity);
        let mut service = Service::start_ready(&env, free_port(), dir.path(), "api").await;
        let api = Api::new(client(), &service.url(""), USER);

        // Many distinct tokens, so requests keep needing the cached keys, not a cached verdict.
        let tokens: Vec<String> = (0..50).map(|_| identity.token(USER)).collect();
        let traffic = Load::reads(4, &api, &tokens);
        // Unknown kids make the service go to the endpoint during each fault (once per cooldown).
        let unknown: Vec<String> = (0..50).map(|_| identity.token_with_unknown_kid(USER)).collect();
        let probes = Load::start(1, {
            let (api, unknown) = (api.clone(), unknown.clone());
            move |_, sequence| {
                let (api, token) = (api.clone(), unknown[sequence as usize % unknown.len()].clone());
                async move { expect_refusal(api.list(&token).await, "401 unknown_kid") }
            }
        });

        let mut reached = Vec::new();
        // Slow comes last: its fetch stays in flight until the service's timeout, and a refresh
        // already in flight is not started twice.
        let phases = [Endpoint::Down, Endpoint::Garbage, Endpoint::LoginPage, Endpoint::Slow, Endpoint::Healthy];
        for phase in phases {
            let before = identity.jwks.jwks_requests();
            phase.apply(&identity).await;
            tokio::time::sleep(FAULT).await;
            reached.push((phase, identity.jwks.jwks_requests() - before));
        }
        let traffic = traffic.finish().await;
        let probes = probes.finish().await;

        assert!(traffic.ok > 0, "no traffic got through");
        assert!(traffic.clean(), "requests failed during the outage ({} good): {}", traffic.ok, traffic.sample());
        assert!(probes.clean(), "unknown kids not refused as unknown_kid: {}", probes.sample());
        for (phase, requests) in &reached {
            // Down cannot count connections it refuses; Healthy is no fault.
            if !matches!(phase, Endpoint::Down | Endpoint::Healthy) {
                assert!(*requests > 0, "the service never reached the endpoint while {phase:?}: fault not exercised");
            }
        }
        service.wait_status("/ready", 200).await;
        service.stop(Duration::from_secs(30)).await;
        eprintln!("jwks outage with cached keys: {} requests, none failed; key-set requests per phase {reached:?}", traffic.ok);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_keys_requests_get_503_keys_unavailable_then_recover_without_restart() {
    bounded(async {
        let dir = temp_dir("jwks-none");
        let identity = Identity::down().await;
        let env = ServiceEnv::new(&sqlite(&dir), &identity);
        let mut service = Service::spawn(&env, free_port(), dir.path(), "api");
        service.wait_status("/health", 200).await;
        let pid = service.pid();
        let api = Api::new(client(), &service.url(""), USER);
        let token = identity.token(USER);

        let ready = client()
            .get(service.url("/ready"))
            .send()
            .await
            .expect("GET /ready");
        assert_eq!(
            ready.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "/ready without keys"
        );

        assert_keys_unavailable(&service, &token, "endpoint down").await;
        for phase in [Endpoint::Garbage, Endpoint::LoginPage, Endpoint::Slow] {
            let before = identity.jwks.jwks_requests();
            phase.apply(&identity).await;
            let reached = eventually(Duration::from_secs(20), || async {
                // Each request may trigger a (rate-limited) fetch; wait until one reached the endpoint.
                api.list(&token).await;
                identity.jwks.jwks_requests() > before
            })
            .await;
            assert!(
                reached,
                "the service never fetched keys while the endpoint was {phase:?}"
            );
            assert_keys_unavailable(&service, &token, &format!("endpoint {phase:?}")).await;
        }

        Endpoint::Healthy.apply(&identity).await;
        let recovered = eventually(Duration::from_secs(30), || async {
            api.list(&token).await.result.is_ok()
        })
        .await;
        assert!(
            recovered,
            "no recovery after the endpoint came back\n{}",
            service.log_tail()
        );
        assert!(
            service.is_running() && service.pid() == pid,
            "recovered only by a restart"
        );
        service.wait_status("/ready", 200).await;
        service.stop(Duration::from_secs(30)).await;
    })
    .await;
}

/// One request with a valid token must be refused with 503 `keys_unavailable` and a usable
/// `Retry-After`, promptly (a slow endpoint must not hold the request for long).
async fn assert_keys_unavailable(service: &Service, token: &str, phase: &str) {
    let response = client()
        .get(service.url(&format!("/api/{USER}/tasks")))
        .bearer_auth(token)
        .timeout(Duration::from_secs(12))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{phase}: no answer: {e:?}"));
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{phase}"
    );
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(
        matches!(retry_after, Some(s) if s >= 1),
        "{phase}: Retry-After in seconds, got {retry_after:?}"
    );
    let body: Value = response.json().await.expect("problem body");
    assert_eq!(body["code"], "keys_unavailable", "{phase}: {body}");
}

/// A refusal is the expected outcome of a probe; anything else is its failure.
fn expect_refusal(step: Step, expected: &str) -> Step {
    let result = match step.result {
        Err(Failure::Answer(what)) if what.ends_with(expected) => Ok(()),
        Ok(()) => Err(Failure::Answer(format!("accepted, expected {expected}"))),
        other => other,
    };
    Step {
        title: None,
        result,
    }
}
