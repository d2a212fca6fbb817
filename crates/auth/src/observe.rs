//! Names and descriptions of the metrics this crate emits through the
//! `metrics` facade. The service installs the recorder (Prometheus) and may
//! call [`describe_metrics`] so the exposition carries HELP text.

/// Counter `{reason, provider}`: refused tokens (provider `unknown` when not routed).
pub const AUTH_FAILURES: &str = "auth_failures_total";
/// Counter `{provider}`: accepted tokens.
pub const AUTH_SUCCESS: &str = "auth_success_total";
/// Counter `{provider, outcome}`: key-set fetches (`ok`, `error`).
pub const JWKS_FETCHES: &str = "jwks_fetches_total";
/// Gauge `{provider}`: seconds since the served key set was fetched.
pub const JWKS_KEY_SET_AGE: &str = "jwks_key_set_age_seconds";
/// Gauge `{provider}`: usable keys in the served key set.
pub const JWKS_KEYS: &str = "jwks_keys";
/// Counter: verified-token cache hits.
pub const TOKEN_CACHE_HITS: &str = "token_cache_hits_total";
/// Counter: verified-token cache misses.
pub const TOKEN_CACHE_MISSES: &str = "token_cache_misses_total";

/// Registers HELP text and units for every metric above with the installed recorder.
pub fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge};
    describe_counter!(
        AUTH_FAILURES,
        "Refused bearer tokens by reason code and provider"
    );
    describe_counter!(AUTH_SUCCESS, "Accepted bearer tokens by provider");
    describe_counter!(JWKS_FETCHES, "Key-set fetches by provider and outcome");
    describe_gauge!(
        JWKS_KEY_SET_AGE,
        Unit::Seconds,
        "Age of the key set being served, by provider"
    );
    describe_gauge!(
        JWKS_KEYS,
        "Usable keys in the key set being served, by provider"
    );
    describe_counter!(TOKEN_CACHE_HITS, "Verified-token cache hits");
    describe_counter!(TOKEN_CACHE_MISSES, "Verified-token cache misses");
}
