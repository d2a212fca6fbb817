//! Remote key sets: fetching a JWKS over HTTP with tight limits (`fetch`) and the
//! redirects it follows (`redirect`), and keeping one provider's keys fresh through
//! rotation and outages (`cache`).

pub(crate) mod cache;
mod fetch;
mod redirect;

use std::time::Duration;

pub(crate) use cache::KeyCache;
pub(crate) use fetch::Fetcher;
pub use redirect::{MAX_REDIRECTS, redirect_refusal};

/// Limits and schedules of key-set fetches (shared by all providers).
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// TCP/TLS connect timeout (2 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout, body included (5 s).
    pub total_timeout: Duration,
    /// Largest accepted response body (256 KiB).
    pub max_body_bytes: usize,
    /// Refresh interval when the response has no `Cache-Control: max-age` (5 min).
    pub default_refresh: Duration,
    /// Lower bound on a max-age-driven refresh interval (30 s).
    pub min_refresh: Duration,
    /// Upper bound on a max-age-driven refresh interval (1 h).
    pub max_refresh: Duration,
    /// Least time between two fetches triggered by unknown `kid`s or missing keys
    /// (10 s, `JWKS_REFRESH_COOLDOWN_SECONDS`); also the first retry delay after a failure.
    pub refresh_cooldown: Duration,
    /// How long the last good key set keeps being served while fetches fail (24 h,
    /// `JWKS_STALE_MAX_SECONDS`). Only failed fetches keep it: a fetched, well-formed set
    /// replaces it at once, even an empty one.
    pub max_stale: Duration,
    /// Longest a request waits for its provider's keys when none are cached yet (first
    /// fetch still running or failing) before it is answered `keys_unavailable` (3 s,
    /// `JWKS_INITIAL_WAIT_SECONDS`). The fetch itself goes on in the background.
    pub initial_wait: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(5),
            max_body_bytes: 256 * 1024,
            default_refresh: Duration::from_secs(300),
            min_refresh: Duration::from_secs(30),
            max_refresh: Duration::from_secs(3600),
            refresh_cooldown: Duration::from_secs(10),
            max_stale: Duration::from_secs(24 * 3600),
            initial_wait: Duration::from_secs(3),
        }
    }
}
