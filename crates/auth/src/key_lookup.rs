//! Finding the key for a token's `kid` in its provider's key set, refreshing
//! the set when the kid is unknown (single-flight and cool-down live in the
//! key cache), and saying precisely why no key was found.
//!
//! A request whose provider has no keys cached at all (first fetch still
//! running, or failing) waits at most the configured initial wait, then gets
//! `keys_unavailable`; the fetch goes on in its own task, so giving up never
//! cancels it, and other providers' requests never wait on this one.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::algorithm::Algorithm;
use crate::error::{AuthError, Reason};
use crate::jwk::{Jwk, JwkSet};
use crate::jwks::{KeyCache, cache::Trigger};
use crate::routing::truncated;

/// How long to wait and what to say when giving up.
pub(crate) struct Waits {
    /// `Retry-After` of a `keys_unavailable` answer.
    pub retry_after: Duration,
    /// Longest wait while no keys are cached.
    pub initial_wait: Duration,
}

/// The key that may verify `alg` for `kid`, after at most one demand refresh.
pub(crate) async fn find(
    cache: &Arc<KeyCache>,
    provider: &str,
    alg: Algorithm,
    kid: Option<&str>,
    waits: &Waits,
) -> Result<Arc<Jwk>, AuthError> {
    let retry_after = waits.retry_after;
    let deadline = Instant::now() + waits.initial_wait;
    let (mut refreshed, mut waited) = (false, false);
    loop {
        // Read the fetch count before the keys: see the KeyCache docs.
        let seen = cache.started();
        let keys = cache.keys();
        if let Some(set) = &keys
            && let Some(key) = select(set, alg, kid)?
        {
            return Ok(key);
        }
        if refreshed || !cache.is_remote() {
            return Err(match keys {
                Some(set) => unknown_kid(&set, provider, kid),
                None => unavailable(cache, retry_after),
            });
        }
        // Bounded only while nothing is cached: with keys, a miss is an unknown kid
        // and the fetch's own timeouts bound the wait.
        let bound = keys.is_none().then_some(deadline);
        let gave_up = || unavailable(cache, retry_after);
        if !waited {
            match bounded(bound, cache.wait_for_fetch_in_flight(seen)).await {
                None => return Err(gave_up()),
                Some(true) => {
                    waited = true;
                    continue;
                }
                Some(false) => {}
            }
        }
        if bound.is_some() {
            let cache = Arc::clone(cache);
            let fetch = tokio::spawn(async move { cache.refresh(Trigger::Demand, seen).await });
            if bounded(bound, fetch).await.is_none() {
                return Err(gave_up());
            }
        } else {
            let _ = cache.refresh(Trigger::Demand, seen).await;
        }
        refreshed = true;
    }
}

/// `future`'s output, or `None` if `deadline` passes first.
async fn bounded<T>(deadline: Option<Instant>, future: impl Future<Output = T>) -> Option<T> {
    match deadline {
        None => Some(future.await),
        Some(deadline) => tokio::time::timeout_at(deadline, future).await.ok(),
    }
}

fn unavailable(cache: &KeyCache, retry_after: Duration) -> AuthError {
    let hint = cache
        .last_error()
        .unwrap_or_else(|| "the first key-set fetch has not finished yet".to_owned());
    AuthError::new(
        Reason::KeysUnavailable,
        "the signing keys of this token's issuer are unavailable; try again shortly",
    )
    .with_hint(hint)
    .with_retry_after(retry_after)
}

fn unknown_kid(keys: &JwkSet, provider: &str, kid: Option<&str>) -> AuthError {
    let shown = kid.map_or_else(
        || "(none)".to_owned(),
        |k| format!("{:?}", truncated(k, 64)),
    );
    AuthError::new(Reason::UnknownKid, format!("no signing key with kid {shown} is known for this issuer")).with_hint(format!(
        "the key set of provider {provider:?} has kids {:?}; a new key appears after the next refresh (at most one per cool-down); a token from another environment or provider looks like this too",
        keys.key_ids()
    ))
}

/// The key with this kid that can verify `alg`. `Ok(None)`: no such kid (a
/// refresh may help). A token without kid uses the only key of a one-key set.
/// A kid whose key does not fit `alg` is refused, never "fixed".
fn select(set: &JwkSet, alg: Algorithm, kid: Option<&str>) -> Result<Option<Arc<Jwk>>, AuthError> {
    let mut candidates: Vec<&Arc<Jwk>> = set.with_kid(kid).collect();
    if candidates.is_empty() && kid.is_none() && set.len() == 1 {
        candidates = set.keys().iter().collect();
    }
    let Some(first) = candidates.first() else {
        return Ok(None);
    };
    if let Some(key) = candidates.iter().find(|k| k.algorithms().any(|a| a == alg)) {
        return Ok(Some(Arc::clone(key)));
    }
    let fits: Vec<&str> = first.algorithms().map(Algorithm::as_str).collect();
    Err(AuthError::new(
        Reason::AlgNotAllowed,
        format!("the key for this kid cannot verify {alg}"),
    )
    .with_hint(format!(
        "kid {:?} is a {} key for {}; the token's alg does not match the key",
        first.kid().unwrap_or("(none)"),
        first.key_type(),
        fits.join("/")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::{TestKey, jwks};

    fn set(keys: &[&TestKey]) -> JwkSet {
        JwkSet::from_json(jwks(keys).to_string().as_bytes()).expect("jwks")
    }

    #[test]
    fn kid_selects_the_key_and_a_wrong_alg_is_refused() {
        let (ed, ec) = (TestKey::generate("EdDSA"), TestKey::generate("ES256"));
        let keys = set(&[&ed, &ec]);
        let found = select(&keys, Algorithm::ES256, Some(ec.kid()))
            .expect("ok")
            .expect("key");
        assert_eq!(found.kid(), Some(ec.kid()));
        let err = select(&keys, Algorithm::EdDSA, Some(ec.kid())).expect_err("mismatch");
        assert_eq!(err.reason(), Reason::AlgNotAllowed);
        assert!(
            select(&keys, Algorithm::EdDSA, Some("nope"))
                .expect("ok")
                .is_none()
        );
    }

    #[test]
    fn token_without_kid_uses_only_a_lone_key() {
        let (a, b) = (TestKey::generate("EdDSA"), TestKey::generate("EdDSA"));
        assert!(
            select(&set(&[&a]), Algorithm::EdDSA, None)
                .expect("ok")
                .is_some()
        );
        assert!(
            select(&set(&[&a, &b]), Algorithm::EdDSA, None)
                .expect("ok")
                .is_none()
        );
    }
}
