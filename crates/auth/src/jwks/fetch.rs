//! One bounded HTTP GET of a JSON document (a JWKS or an OpenID configuration):
//! connect and total timeouts, a body size limit, the redirect rule of `redirect`,
//! and errors that name the URL (never its credentials), say what came back and
//! what to fix.

use std::error::Error as _;
use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use url::Url;

use super::FetchSettings;
use crate::error::InitError;
use crate::redact::RedactedUrl;

/// A successful answer.
pub(crate) struct Fetched {
    pub body: Vec<u8>,
    /// `Cache-Control: max-age` (0 for `no-cache`/`no-store`), if present.
    pub max_age: Option<Duration>,
}

/// Makes the GET requests; one per verifier, shared by its providers.
pub(crate) struct Fetcher {
    client: reqwest::Client,
    settings: FetchSettings,
}

impl Fetcher {
    pub(crate) fn new(settings: FetchSettings) -> Result<Fetcher, InitError> {
        // reqwest is built without a default TLS provider (no ring); use aws-lc-rs.
        // An error only means a provider is already installed, which is fine.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.total_timeout)
            .redirect(super::redirect::policy())
            .user_agent(concat!("backend-api-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| InitError::HttpClient(e.to_string()))?;
        Ok(Fetcher { client, settings })
    }

    pub(crate) fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// GETs `url` expecting JSON. The error text is for operators: it names the
    /// URL and the likely fix, and never contains response bodies.
    pub(crate) async fn get_json(&self, url: &Url) -> Result<Fetched, String> {
        let shown = RedactedUrl::new(url);
        let mut response = self
            .client
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| describe_transport(url, &e, &self.settings))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!(
                "GET {shown} answered HTTP {status}; check that this is the key-set URL (Better Auth serves it at /api/auth/jwks when its jwt plugin is enabled)"
            ));
        }
        let limit = self.settings.max_body_bytes;
        let too_large = || {
            format!(
                "GET {shown} returned more than {limit} bytes; a key set is far smaller, check the URL"
            )
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let is_html = header_str(&response, CONTENT_TYPE).is_some_and(|t| t.contains("html"));
        let max_age = header_str(&response, CACHE_CONTROL).and_then(|v| max_age(&v));
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| describe_transport(url, &e, &self.settings))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        if is_html || body.trim_ascii_start().starts_with(b"<") {
            return Err(format!(
                "GET {shown} returned an HTML page, not JSON; the URL points at a web page (wrong path, or a proxy/login page) instead of the key set"
            ));
        }
        Ok(Fetched { body, max_age })
    }
}

fn header_str(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
}

/// `max-age=N` from a Cache-Control value; `no-store`/`no-cache` count as 0.
pub(crate) fn max_age(value: &str) -> Option<Duration> {
    let mut found = None;
    for directive in value.split(',').map(str::trim) {
        if directive == "no-store" || directive == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(secs) = directive.strip_prefix("max-age=") {
            found = secs
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    found
}

/// Turns a transport failure into words an operator can act on.
fn describe_transport(url: &Url, error: &reqwest::Error, settings: &FetchSettings) -> String {
    let host = url.host_str().unwrap_or("?");
    let is_domain = matches!(url.host(), Some(url::Host::Domain(_)));
    let url = RedactedUrl::new(url);
    if error.is_timeout() {
        // A stalled DNS lookup also ends here, so name the internal_url fix for hostnames.
        let dns_note = if is_domain {
            format!(
                "; if {host} is the public hostname of the identity provider, set internal_url to its in-cluster address"
            )
        } else {
            String::new()
        };
        return format!(
            "GET {url} timed out (connect limit {:?}, total limit {:?}); the identity provider is slow or unreachable from here{dns_note}",
            settings.connect_timeout, settings.total_timeout
        );
    }
    let chain = source_chain(error);
    if chain.contains("dns error")
        || chain.contains("failed to lookup address")
        || chain.contains("Name or service not known")
    {
        return format!(
            "host {host} does not resolve from here (GET {url}); if this is the identity provider's public hostname, set internal_url to its in-cluster address"
        );
    }
    if chain.contains("Connection refused") || chain.contains("connection refused") {
        return format!(
            "GET {url}: connection refused by {host}; is the identity provider running and listening on that port?"
        );
    }
    if error.is_body() || error.is_decode() {
        return format!("GET {url}: the answer broke off while reading it ({chain})");
    }
    format!("GET {url} failed: {chain}")
}

/// The error and its causes. reqwest takes credentials out of the URL it requests,
/// but a redirect's `Location` may carry some: that URL is shown redacted.
fn source_chain(error: &reqwest::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    let chain = parts.join(": ");
    match error.url() {
        Some(url) => chain.replace(url.as_str(), &RedactedUrl::new(url).to_string()),
        None => chain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_max_age_is_read() {
        assert_eq!(
            max_age("public, max-age=600"),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            max_age("max-age=\"60\", must-revalidate"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=abc"), None);
    }
}
