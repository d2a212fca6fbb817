//! What each provider's key set looks like right now, for `/ready`, `/metrics`
//! and `doctor`. A snapshot: reading it never triggers a fetch.

use std::time::Duration;

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
    /// Time since the served key set was fetched.
    pub age: Option<Duration>,
    /// The last fetch error: names the URL or host and the fix, never a secret.
    pub last_error: Option<String>,
    /// Fetch attempts so far.
    pub fetches: u64,
}
