//! Why a fetch returned no document. Each variant is a different fix for the operator; the
//! `Display` text names the URL (never its credentials), what came back and what to do, and
//! never contains a response body.

use std::time::Duration;

/// A failed GET of a key set or discovery document.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// No answer within the connect or total limit (a stalled DNS lookup also ends here).
    #[error(
        "GET {url} timed out (connect limit {connect:?}, total limit {total:?}); the identity provider is slow or unreachable from here{}",
        internal_url_note(host.as_deref())
    )]
    Timeout {
        /// The URL, redacted.
        url: String,
        /// The host when it is a name (not an IP address): the `internal_url` fix may apply.
        host: Option<String>,
        /// Connect limit applied.
        connect: Duration,
        /// Total limit applied.
        total: Duration,
    },
    /// The host name does not resolve.
    #[error(
        "host {host} does not resolve from here (GET {url}); if this is the identity provider's public hostname, set internal_url to its in-cluster address"
    )]
    Unresolvable {
        /// The URL, redacted.
        url: String,
        /// The host that did not resolve.
        host: String,
        /// The resolver's words.
        detail: String,
    },
    /// The connection was refused: nothing listens on that port.
    #[error(
        "GET {url}: connection refused by {host}; is the identity provider running and listening on that port?"
    )]
    Refused {
        /// The URL, redacted.
        url: String,
        /// The host that refused.
        host: String,
    },
    /// The answer broke off while its body was read.
    #[error("GET {url}: the answer broke off while reading it ({detail})")]
    BrokenBody {
        /// The URL, redacted.
        url: String,
        /// The transport error chain.
        detail: String,
    },
    /// Any other transport failure (TLS, protocol, unreachable network).
    #[error("GET {url} failed: {detail}")]
    Transport {
        /// The URL, redacted.
        url: String,
        /// The transport error chain, URLs redacted.
        detail: String,
    },
    /// A status other than 2xx (a redirect that could not be followed included).
    #[error(
        "GET {url} answered HTTP {}; check that this is the key-set URL (Better Auth serves it at /api/auth/jwks when its jwt plugin is enabled)",
        status_text(*status)
    )]
    Status {
        /// The URL, redacted.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body is larger than `max_body_bytes`.
    #[error("GET {url} returned more than {limit} bytes; a key set is far smaller, check the URL")]
    TooLarge {
        /// The URL, redacted.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// An HTML page (declared, or sniffed from the body) instead of JSON.
    #[error(
        "GET {url} returned an HTML page, not JSON; the URL points at a web page (wrong path, or a proxy/login page) instead of the key set"
    )]
    Html {
        /// The URL, redacted.
        url: String,
        /// The declared `Content-Type`, if any.
        content_type: Option<String>,
    },
    /// A redirect that is not followed (too many, https to http, not http(s)).
    #[error("GET {url}: {refusal}")]
    Redirect {
        /// The URL that redirected, redacted.
        url: String,
        /// Why it is not followed (see [`crate::redirect_refusal`]).
        refusal: String,
    },
}

fn internal_url_note(host: Option<&str>) -> String {
    match host {
        Some(host) => format!(
            "; if {host} is the public hostname of the identity provider, set internal_url to its in-cluster address"
        ),
        None => String::new(),
    }
}

fn status_text(status: u16) -> String {
    reqwest::StatusCode::from_u16(status).map_or_else(|_| status.to_string(), |s| s.to_string())
}
