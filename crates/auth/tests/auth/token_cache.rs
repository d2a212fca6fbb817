//! The verified-token cache changes speed, never decisions: a hit is counted,
//! an entry dies with the token's exp and with its key's presence.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backend_api_auth::Reason;
use metrics::{
    Counter, CounterFn, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use test_support::{TestKey, jwks};

use crate::helpers::{Setup, reason};

/// A minimal in-memory recorder: counter values by name and labels.
#[derive(Default, Clone)]
pub struct Counters(Arc<Mutex<HashMap<String, Arc<AtomicU64>>>>);

struct Cell(Arc<AtomicU64>);

impl CounterFn for Cell {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::SeqCst);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::SeqCst);
    }
}

impl Counters {
    fn key(key: &Key) -> String {
        let mut labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        labels.sort();
        format!("{}{{{}}}", key.name(), labels.join(","))
    }

    /// Value of `name{labels}` with labels written `k=v` sorted by key.
    pub fn get(&self, name_and_labels: &str) -> u64 {
        self.0
            .lock()
            .expect("lock")
            .get(name_and_labels)
            .map_or(0, |c| c.load(Ordering::SeqCst))
    }
}

impl Recorder for Counters {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let cell = self
            .0
            .lock()
            .expect("lock")
            .entry(Self::key(key))
            .or_default()
            .clone();
        Counter::from_arc(Arc::new(Cell(cell)))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

/// Runs `body` on a current-thread runtime with `counters` as the recorder.
pub fn with_counters<F: std::future::Future<Output = ()>>(
    counters: &Counters,
    body: impl FnOnce() -> F,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    metrics::with_local_recorder(counters, || runtime.block_on(body()));
}

#[test]
fn repeated_token_is_served_from_the_cache() {
    let counters = Counters::default();
    with_counters(&counters, || async {
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
    let counters = Counters::default();
    with_counters(&counters, || async {
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
