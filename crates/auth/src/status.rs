//! What each provider's key set looks like right now, for `/ready`, `/metrics`
//! and `doctor`. A snapshot: reading it never triggers a fetch.

use std::time::Duration;

use crate::jwk::{RejectedKey, describe_unusable};

/// Health of a provider's key set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySetState {
    /// The first fetch has not finished yet.
    Pending,
    /// The last fetch succeeded.
    Fresh,
    /// The last fetch failed; the last good key set is still served (stale-if-error).
    Stale,
    /// No usable keys: never fetched successfully, or too old to keep serving.
    Unavailable,
    /// The last fetch answered a well-formed key set without any usable key: it is
    /// authoritative, so every token is refused until the provider publishes one.
    Empty,
}

impl KeySetState {
    /// True when tokens can be verified (`Fresh` or `Stale`).
    pub fn usable(self) -> bool {
        matches!(self, KeySetState::Fresh | KeySetState::Stale)
    }

    /// Lower-case name for JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            KeySetState::Pending => "pending",
            KeySetState::Fresh => "fresh",
            KeySetState::Stale => "stale",
            KeySetState::Unavailable => "unavailable",
            KeySetState::Empty => "empty",
        }
    }
}

/// A snapshot of one provider.
#[derive(Debug, Clone)]
pub struct ProviderStatus {
    /// Provider name.
    pub name: String,
    /// Expected issuer.
    pub issuer: String,
    /// Where keys are fetched from (after discovery and `internal_url`), if remote.
    pub jwks_url: Option<String>,
    /// Key-set health.
    pub state: KeySetState,
    /// Number of usable keys served.
    pub key_count: usize,
    /// Their key ids.
    pub key_ids: Vec<String>,
    /// Keys of the served set that are never used, with the reason (no key material).
    pub unusable_keys: Vec<RejectedKey>,
    /// Time since the served key set was fetched.
    pub age: Option<Duration>,
    /// The last fetch error: names the URL or host and the fix, never a secret.
    pub last_error: Option<String>,
    /// Fetch attempts so far.
    pub fetches: u64,
}

impl ProviderStatus {
    /// Why tokens of this provider cannot be verified now (`None` when they can):
    /// the reason `/ready` and `doctor` give. Never shows credentials.
    pub fn problem(&self) -> Option<String> {
        let at = self
            .jwks_url
            .as_deref()
            .map_or_else(String::new, |url| format!(" at {url}"));
        match self.state {
            KeySetState::Fresh | KeySetState::Stale => None,
            KeySetState::Pending => Some("the key set has not been fetched yet".to_owned()),
            KeySetState::Empty => Some(format!(
                "{}{at}: every token of this provider is refused until it publishes a usable key",
                describe_unusable(&self.unusable_keys)
            )),
            KeySetState::Unavailable => Some(
                self.last_error
                    .clone()
                    .unwrap_or_else(|| format!("no usable key set{at}")),
            ),
        }
    }
}
