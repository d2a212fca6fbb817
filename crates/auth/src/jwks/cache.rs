//! One provider's key set over time: first fetch in the background, scheduled
//! refresh (Cache-Control max-age, bounded), single-flight refresh on demand
//! with a cool-down, and stale-if-error up to `max_stale`.
//!
//! A fetch that answers a well-formed key set is authoritative: it replaces the
//! served set at once, even when it lists no usable key (keys it no longer lists
//! are refused from then on, and an empty set makes the provider not ready).
//! Only a failed fetch (transport error, bad status, not a key set) keeps the
//! previous set, and only while it is younger than `max_stale`.
//!
//! Concurrency design: readers take a cheap snapshot (`RwLock<Arc<JwkSet>>`);
//! every fetch happens while holding `refresh_lock`, and `started` counts
//! fetches begun. A caller remembers `started` *before* looking at the keys;
//! if it has grown once the caller holds the lock, a fetch that began after
//! the caller's look has finished on its behalf and it just looks again. That
//! is why 1,000 concurrent requests for a new `kid` cause exactly one fetch.
//! A fetch already in flight when the caller looked does not count: it may
//! have asked the provider before the new key existed (a scheduled refresh
//! racing a rotation), so the caller fetches again, cool-down permitting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, SystemTime};

use url::Url;

use crate::clock::Clock;
use crate::discovery;
use crate::fetch::{FetchSettings, Fetcher};
use crate::jwk::{self, JwkSet};
use crate::observe;
use crate::provider::{KeySource, ProviderConfig};
use crate::redact::{RedactedUrl, redact_url};
use crate::status::{KeySetState, ProviderStatus};

/// Shortest delay of the background loop, so a zero cool-down cannot spin.
const MIN_RETRY: Duration = Duration::from_millis(50);
/// Longest delay between retries while the provider is failing.
const MAX_RETRY: Duration = Duration::from_secs(60);

/// Where the keys come from, resolved once at construction.
enum Origin {
    Static,
    Url(Url),
    Discovery {
        issuer: String,
        internal: Option<Url>,
    },
}

/// After a success: the answer's max-age bounded to [min_refresh, max_refresh],
/// else `default_refresh`. After `failures` failures in a row: the cool-down,
/// doubling per failure, capped at a minute (or the default interval if shorter).
fn next_delay(settings: &FetchSettings, failures: u32, max_age: Option<Duration>) -> Duration {
    if failures > 0 {
        let doubling = settings
            .refresh_cooldown
            .saturating_mul(1 << failures.saturating_sub(1).min(16));
        let cap = MAX_RETRY
            .min(settings.default_refresh)
            .max(settings.refresh_cooldown);
        return doubling.min(cap).max(MIN_RETRY);
    }
    max_age
        .map_or(settings.default_refresh, |a| {
            a.clamp(settings.min_refresh, settings.max_refresh)
        })
        .max(MIN_RETRY)
}

#[derive(Default)]
struct State {
    keys: Option<Arc<JwkSet>>,
    fetched_at: Option<SystemTime>,
    last_error: Option<String>,
    /// Consecutive failed fetches (drives the retry back-off).
    failures: u32,
    /// `jwks_uri` found by discovery; cleared after a failure to discover again.
    discovered: Option<Url>,
    /// Start of the last fetch caused by a request (unknown kid / no keys).
    last_demand: Option<SystemTime>,
    /// Interval the last successful answer asked for.
    max_age: Option<Duration>,
}

/// Why a fetch was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// The background schedule.
    Scheduled,
    /// A request found no key for its kid, or no keys at all (cool-down applies).
    Demand,
    /// An explicit `Verifier::refresh` call.
    Forced,
}

pub(crate) struct KeyCache {
    provider: Arc<str>,
    origin: Origin,
    fetcher: Arc<Fetcher>,
    clock: Arc<dyn Clock>,
    state: RwLock<State>,
    refresh_lock: tokio::sync::Mutex<()>,
    /// Fetches begun (single-flight bookkeeping).
    started: AtomicU64,
    /// Fetches finished (status: pending until the first one ends).
    attempts: AtomicU64,
}

impl KeyCache {
    pub(crate) fn new(
        config: &ProviderConfig,
        provider: Arc<str>,
        fetcher: Arc<Fetcher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let mut state = State::default();
        let origin = match &config.keys {
            KeySource::Static(set) => {
                state.keys = Some(Arc::new(set.clone()));
                Origin::Static
            }
            KeySource::JwksUrl(url) => Origin::Url(config.back_channel(url)),
            KeySource::Discovery => Origin::Discovery {
                issuer: config.issuer.clone(),
                internal: config.internal_url.clone(),
            },
        };
        KeyCache {
            provider,
            origin,
            fetcher,
            clock,
            state: RwLock::new(state),
            refresh_lock: tokio::sync::Mutex::new(()),
            started: AtomicU64::new(0),
            attempts: AtomicU64::new(0),
        }
    }

    pub(crate) fn is_remote(&self) -> bool {
        !matches!(self.origin, Origin::Static)
    }

    /// Number of fetches begun; read it *before* [`Self::keys`] and pass it to
    /// [`Self::refresh`].
    pub(crate) fn started(&self) -> u64 {
        self.started.load(Ordering::Acquire)
    }

    /// Number of finished fetches.
    pub(crate) fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::Acquire)
    }

    /// If a fetch was in flight when `seen` was read (its answer may predate a
    /// key the caller needs, or may hold it), waits for it to finish and returns
    /// true so the caller looks again before asking for a fetch of its own.
    pub(crate) async fn wait_for_fetch_in_flight(&self, seen: u64) -> bool {
        if seen == self.attempts() {
            return false;
        }
        drop(self.refresh_lock.lock().await);
        true
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn age(&self, state: &State) -> Option<Duration> {
        state
            .fetched_at
            .map(|t| self.clock.now().duration_since(t).unwrap_or_default())
    }

    /// The key set to verify with, unless it is missing or older than `max_stale`.
    pub(crate) fn keys(&self) -> Option<Arc<JwkSet>> {
        let state = self.read();
        let keys = state.keys.clone()?;
        match (&self.origin, self.age(&state)) {
            (Origin::Static, _) => Some(keys),
            (_, Some(age)) if age <= self.fetcher.settings().max_stale => Some(keys),
            _ => None,
        }
    }

    /// The last fetch error, for hints.
    pub(crate) fn last_error(&self) -> Option<String> {
        self.read().last_error.clone()
    }

    /// Fetches now unless a fetch began after `seen` (a [`Self::started`]
    /// reading) and has finished, or, for
    /// [`Trigger::Demand`], the cool-down has not elapsed. Returns whether this
    /// call fetched.
    pub(crate) async fn refresh(&self, trigger: Trigger, seen: u64) -> Result<bool, String> {
        if !self.is_remote() {
            return Ok(false);
        }
        let _guard = self.refresh_lock.lock().await;
        if trigger != Trigger::Forced && self.started() != seen {
            return Ok(false);
        }
        let now = self.clock.now();
        if trigger == Trigger::Demand {
            let mut state = self.write();
            let cooldown = self.fetcher.settings().refresh_cooldown;
            let cooling = state
                .last_demand
                .is_some_and(|t| now.duration_since(t).unwrap_or_default() < cooldown);
            if cooling {
                return Ok(false);
            }
            state.last_demand = Some(now);
        }
        self.started.fetch_add(1, Ordering::AcqRel);
        let result = self.fetch().await;
        let outcome = {
            let mut state = self.write();
            match result {
                Ok((set, max_age)) => {
                    tracing::debug!(provider = %self.provider, keys = set.len(), "key set fetched");
                    state.keys = Some(Arc::new(set));
                    state.fetched_at = Some(self.clock.now());
                    state.last_error = None;
                    state.failures = 0;
                    state.max_age = max_age;
                    Ok(true)
                }
                Err(message) => {
                    tracing::warn!(provider = %self.provider, error = %message, "key set fetch failed");
                    state.last_error = Some(message.clone());
                    state.failures = state.failures.saturating_add(1);
                    state.discovered = None;
                    Err(message)
                }
            }
        };
        // Publish after the keys are stored, so a reader that sees the new
        // count also sees the new keys.
        self.attempts.fetch_add(1, Ordering::Release);
        let label = if outcome.is_ok() { "ok" } else { "error" };
        metrics::counter!(observe::JWKS_FETCHES, "provider" => self.provider.to_string(), "outcome" => label).increment(1);
        self.publish_gauges();
        outcome
    }

    async fn fetch(&self) -> Result<(JwkSet, Option<Duration>), String> {
        let url = match &self.origin {
            Origin::Static => return Err("static key set".into()),
            Origin::Url(url) => url.clone(),
            Origin::Discovery { issuer, internal } => {
                let known = self.read().discovered.clone();
                match known {
                    Some(url) => url,
                    None => {
                        let url =
                            discovery::jwks_uri(&self.fetcher, issuer, internal.as_ref()).await?;
                        self.write().discovered = Some(url.clone());
                        url
                    }
                }
            }
        };
        let fetched = self
            .fetcher
            .get_json(&url)
            .await
            .map_err(|e| e.to_string())?;
        let shown = RedactedUrl::new(&url);
        let set = JwkSet::from_json(&fetched.body).map_err(|e| format!("GET {shown}: {e}"))?;
        for rejected in set.rejected() {
            // The reason names the rule broken (size, exponent, curve…), never key material.
            tracing::warn!(provider = %self.provider, url = %shown, kid = ?rejected.kid, reason = %rejected.reason, "key in the key set is unusable and never used");
        }
        if set.is_empty() {
            tracing::warn!(provider = %self.provider, url = %shown, problem = %jwk::describe_unusable(set.rejected()), "the fetched key set has no usable key: every token of this provider is refused and it is not ready");
        }
        Ok((set, fetched.max_age))
    }

    /// Delay before the next scheduled fetch.
    fn next_delay(&self) -> Duration {
        let state = self.read();
        next_delay(self.fetcher.settings(), state.failures, state.max_age)
    }

    /// Runs the schedule until the verifier is dropped; the first fetch is immediate.
    pub(crate) fn spawn_refresher(self: &Arc<Self>) {
        if !self.is_remote() {
            return;
        }
        let weak: Weak<KeyCache> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(cache) = weak.upgrade() else { return };
                let seen = cache.started();
                let _ = cache.refresh(Trigger::Scheduled, seen).await;
                let delay = cache.next_delay();
                drop(cache);
                tokio::time::sleep(delay).await;
            }
        });
    }

    fn state_of(&self, state: &State) -> KeySetState {
        let keys = state.keys.as_ref();
        match (&self.origin, keys) {
            (Origin::Static, _) => KeySetState::Fresh,
            (_, None) if self.attempts() == 0 => KeySetState::Pending,
            (_, None) => KeySetState::Unavailable,
            (_, Some(_))
                if self
                    .age(state)
                    .is_some_and(|a| a > self.fetcher.settings().max_stale) =>
            {
                KeySetState::Unavailable
            }
            (_, Some(set)) if set.is_empty() => KeySetState::Empty,
            (_, Some(_)) if state.last_error.is_some() => KeySetState::Stale,
            (_, Some(_)) => KeySetState::Fresh,
        }
    }

    fn publish_gauges(&self) {
        let state = self.read();
        let provider = self.provider.to_string();
        let count = state.keys.as_ref().map_or(0, |k| k.len());
        metrics::gauge!(observe::JWKS_KEYS, "provider" => provider.clone()).set(count as f64);
        if let Some(age) = self.age(&state) {
            metrics::gauge!(observe::JWKS_KEY_SET_AGE, "provider" => provider)
                .set(age.as_secs_f64());
        }
    }

    pub(crate) fn status(&self, config: &ProviderConfig) -> ProviderStatus {
        self.publish_gauges();
        let state = self.read();
        let jwks_url = match &self.origin {
            Origin::Static => None,
            Origin::Url(url) => Some(url),
            Origin::Discovery { .. } => state.discovered.as_ref(),
        };
        ProviderStatus {
            name: config.name.clone(),
            issuer: redact_url(&config.issuer),
            jwks_url: jwks_url.map(|url| RedactedUrl::new(url).to_string()),
            state: self.state_of(&state),
            key_count: state.keys.as_ref().map_or(0, |k| k.len()),
            key_ids: state.keys.as_ref().map(|k| k.key_ids()).unwrap_or_default(),
            unusable_keys: state
                .keys
                .as_ref()
                .map(|k| k.rejected().to_vec())
                .unwrap_or_default(),
            age: self.age(&state),
            last_error: state.last_error.clone(),
            fetches: self.attempts(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn max_age_is_honoured_within_bounds() {
        let settings = FetchSettings::default();
        assert_eq!(
            next_delay(&settings, 0, None),
            S(300),
            "Better Auth sends no max-age: 5 min"
        );
        assert_eq!(next_delay(&settings, 0, Some(S(600))), S(600));
        assert_eq!(
            next_delay(&settings, 0, Some(S(0))),
            S(30),
            "no-store cannot make us hammer"
        );
        assert_eq!(
            next_delay(&settings, 0, Some(S(86_400))),
            S(3600),
            "a day is capped at an hour"
        );
    }

    #[test]
    fn failures_back_off_from_the_cooldown_to_a_minute() {
        let settings = FetchSettings::default();
        let delays: Vec<u64> = (1..=6)
            .map(|f| next_delay(&settings, f, None).as_secs())
            .collect();
        assert_eq!(delays, [10, 20, 40, 60, 60, 60]);
        let zero = FetchSettings {
            refresh_cooldown: Duration::ZERO,
            ..settings
        };
        assert_eq!(next_delay(&zero, 3, None), MIN_RETRY, "never a busy loop");
    }
}
