//! OpenID Connect discovery: reads `<issuer>/.well-known/openid-configuration` through the
//! back channel and takes its `jwks_uri`, with the same rules for the key cache and `doctor`
//! ([`DiscoveryDocument::parse`]).

use serde_json::Value;
use url::Url;

use crate::back_channel::{configuration_url, rewrite};
use crate::fetch::Fetcher;
use crate::redact::{RedactedUrl, redact_url};

/// What the verifier uses of a discovery document.
#[derive(Debug, Clone)]
pub struct DiscoveryDocument {
    /// The `jwks_uri`, as published (before the back-channel rewrite).
    pub jwks_uri: Url,
    /// The `issuer` the document advertises, if any.
    pub issuer: Option<String>,
    /// The whole document, for checks of other members (`authorization_endpoint`, ...).
    pub raw: Value,
}

impl DiscoveryDocument {
    /// Parses the body fetched from `url`; the error is for operators.
    pub fn parse(body: &[u8], url: &Url) -> Result<DiscoveryDocument, String> {
        let fetched_over = url.scheme().to_owned();
        let url = RedactedUrl::new(url);
        let doc: Value = serde_json::from_slice(body)
            .map_err(|e| format!("GET {url} did not return a JSON discovery document ({e})"))?;
        let jwks = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("discovery document at {url} has no jwks_uri"))?;
        let jwks = Url::parse(jwks)
            .map_err(|e| format!("discovery document at {url} has a bad jwks_uri: {e}"))?;
        if !matches!(jwks.scheme(), "http" | "https") {
            return Err(format!(
                "discovery document at {url} has a non-http jwks_uri {}",
                RedactedUrl::new(&jwks)
            ));
        }
        // Same rule as for redirects: what was read over TLS must not send us to plain http.
        if fetched_over == "https" && jwks.scheme() == "http" {
            return Err(format!(
                "discovery document at {url} (https) names an http jwks_uri {}; keys are never fetched without TLS after an https step",
                RedactedUrl::new(&jwks)
            ));
        }
        let issuer = doc.get("issuer").and_then(Value::as_str).map(str::to_owned);
        Ok(DiscoveryDocument {
            jwks_uri: jwks,
            issuer,
            raw: doc,
        })
    }
}

/// Reads `jwks_uri` from the issuer's discovery document, through `internal`.
pub(crate) async fn jwks_uri(
    fetcher: &Fetcher,
    issuer: &str,
    internal: Option<&Url>,
) -> Result<Url, String> {
    let url = rewrite(&configuration_url(issuer)?, issuer, internal);
    let fetched = fetcher.get_json(&url).await.map_err(|e| e.to_string())?;
    let doc = DiscoveryDocument::parse(&fetched.body, &url)?;
    if let Some(advertised) = doc.issuer.as_deref()
        && advertised != issuer
    {
        // Keycloak without a fixed hostname reports the host it was asked on;
        // tokens are still checked against the configured issuer.
        let url = RedactedUrl::new(&url);
        tracing::warn!(%url, advertised, expected = %redact_url(issuer), "discovery document names a different issuer");
    }
    Ok(rewrite(&doc.jwks_uri, issuer, internal))
}
