//! The verified-token cache changes speed, never decisions: a hit is counted,
//! an entry dies with the token's exp and with its key's presence.

use std::collections::HashMap;
use std::time::Duration;

use backend_api_auth::Reason;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use test_support::{TestKey, jwks};

use crate::helpers::{Setup, reason};

/// Counter values by `name{k=v,…}`, labels sorted by key, as a test's body left them.
pub struct Counters(HashMap<String, u64>);

impl Counters {
    /// Value of `name{labels}` with labels written `k=v` sorted by key; 0 if never counted.
    pub fn get(&self, name_and_labels: &str) -> u64 {
        self.0.get(name_and_labels).copied().unwrap_or(0)
    }
}

/// Runs `body` on a current-thread runtime with `metrics-util`'s debugging recorder as this
/// thread's recorder, and returns the counters it recorded.
pub fn with_counters<F: std::future::Future<Output = ()>>(body: impl FnOnce() -> F) -> Counters {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    metrics::with_local_recorder(&recorder, || runtime.block_on(body()));
    let counters = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| {
            let DebugValue::Counter(count) = value else {
                return None;
            };
            let key = key.key();
            let mut labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            Some((format!("{}{{{}}}", key.name(), labels.join(",")), count))
        })
        .collect();
    Counters(counters)
}

#[test]
fn repeated_token_is_served_from_the_cache() {
    let counters = with_counters(|| async {
        let key = TestKey::generate("RS256");
        let setup = Setup::new(&[&key]).await;
        let token = key.sign(&setup.claims("cached"));
        for _ in 0..5 {
            assert_eq!(
                setup.verifier.verify(&token).await.expect("ok").user_id,
                "cached"
            );
        }
    });
    assert_eq!(counters.get("token_cache_misses_total{}"), 1);
    assert_eq!(counters.get("token_cache_hits_total{}"), 4);
    assert_eq!(counters.get("auth_success_total{provider=idp}"), 5);
}

#[tokio::test]
async fn cached_token_still_expires() {
    let key = TestKey::generate("EdDSA");
    let setup = Setup::new(&[&key]).await;
    let token = key.sign(&setup.claims("soon"));
    assert!(setup.verifier.verify(&token).await.is_ok());
    setup.clock.advance(Duration::from_secs(3600 + 31));
    assert_eq!(reason(setup.verifier.verify(&token).await), Reason::Expired);
}

#[tokio::test]
async fn cached_token_dies_with_its_key() {
    let (kept, dropped) = (TestKey::generate("ES256"), TestKey::generate("ES256"));
    let setup = Setup::new(&[&kept, &dropped]).await;
    let token = dropped.sign(&setup.claims("k"));
    assert!(setup.verifier.verify(&token).await.is_ok());
    setup.server.set_jwks(jwks(&[&kept]));
    setup.verifier.refresh("idp").await.expect("refresh");
    assert_eq!(
        reason(setup.verifier.verify(&token).await),
        Reason::UnknownKid
    );
}

#[test]
fn failures_are_counted_by_reason_and_provider() {
    let counters = with_counters(|| async {
        let key = TestKey::generate("EdDSA");
        let setup = Setup::new(&[&key]).await;
        let mut expired = setup.claims("e");
        expired["exp"] = serde_json::json!(setup.now() - 3600);
        assert!(setup.verifier.verify(&key.sign(&expired)).await.is_err());
        assert!(setup.verifier.verify("not-a-token").await.is_err());
    });
    assert_eq!(
        counters.get("auth_failures_total{provider=idp,reason=expired}"),
        1
    );
    assert_eq!(
        counters.get("auth_failures_total{provider=unknown,reason=token_malformed}"),
        1
    );
    assert_eq!(
        counters.get("jwks_fetches_total{outcome=ok,provider=idp}"),
        1
    );
}
