//! The one HTTP GET of the crate, used by the key cache, discovery and `backend-api doctor`
//! alike, so that "the doctor sees what the verifier sees" holds by construction.
//!
//! - `client` — the reqwest client: explicit rustls provider (no process-wide default is
//!   installed), a resolver whose failures are typed, no automatic redirects.
//! - `get` — one bounded GET of a JSON document, following redirects itself and recording
//!   each hop in a [`Hop`] (status, headers the doctor reads, timing).
//! - `redirect` — which redirects are followed.
//! - `error` — [`FetchError`], one variant per failure an operator fixes differently.

mod client;
mod error;
mod get;
mod redirect;

use std::time::{Duration, SystemTime};

use url::Url;

pub use error::FetchError;
pub use redirect::{MAX_REDIRECTS, redirect_refusal};

use crate::error::InitError;

/// Makes the GET requests; one per verifier, shared by its providers (and one per `doctor` run).
pub struct Fetcher {
    client: reqwest::Client,
    settings: FetchSettings,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher with these limits.
    pub fn new(settings: FetchSettings) -> Result<Fetcher, InitError> {
        let client = client::build(&settings)?;
        Ok(Fetcher { client, settings })
    }

    /// The limits this fetcher applies.
    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// GETs `url` expecting JSON (a key set or a discovery document).
    pub async fn get_json(&self, url: &Url) -> Result<Fetched, FetchError> {
        self.get_traced(url).await.result
    }

    /// Like [`Fetcher::get_json`], and also returns every hop taken (redirects included).
    pub async fn get_traced(&self, url: &Url) -> Traced {
        get::run(&self.client, &self.settings, url).await
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The body, at most `max_body_bytes` long, not HTML.
    pub body: Vec<u8>,
    /// `Cache-Control: max-age` (0 for `no-cache`/`no-store`), if present.
    pub max_age: Option<Duration>,
}

/// One request of a fetch: the first URL, or a redirect target.
#[derive(Debug, Clone)]
pub struct Hop {
    /// The URL requested (may carry credentials: show it through `RedactedUrl`).
    pub url: Url,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// The `Location` header of a redirect.
    pub location: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The server's clock, from its `Date` header.
    pub date: Option<SystemTime>,
    /// Time from sending the request to the end of its answer (or its failure).
    pub elapsed: Duration,
}

/// A fetch with its trace.
#[derive(Debug)]
pub struct Traced {
    /// Every request made, in order; empty only when the URL was never requested.
    pub hops: Vec<Hop>,
    /// The answer of the last hop, or why there is none.
    pub result: Result<Fetched, FetchError>,
}

impl Traced {
    /// The URL the answer (or the failure) came from.
    pub fn final_url(&self) -> Option<&Url> {
        self.hops.last().map(|h| &h.url)
    }
}

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
