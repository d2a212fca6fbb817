//! OpenID Connect discovery (`<issuer>/.well-known/openid-configuration` →
//! `jwks_uri`) and the back-channel rewrite: a URL on the issuer's public origin
//! is sent to `internal_url` instead, because inside a cluster the public
//! hostname often does not resolve (or loops out through the ingress).

use serde_json::Value;
use url::Url;

use crate::jwks::Fetcher;
use crate::redact::{RedactedUrl, redact_url};

/// Moves `url` onto `internal`'s origin (and path prefix) when it is on the
/// issuer's origin; any other URL is returned unchanged.
pub(crate) fn rewrite(url: &Url, issuer: &str, internal: Option<&Url>) -> Url {
    let (Some(internal), Ok(issuer)) = (internal, Url::parse(issuer)) else {
        return url.clone();
    };
    if url.origin() != issuer.origin() {
        return url.clone();
    }
    let mut moved = internal.clone();
    let prefix = internal.path().trim_end_matches('/');
    moved.set_path(&format!("{prefix}{}", url.path()));
    moved.set_query(url.query());
    moved.set_fragment(None);
    moved
}

/// The discovery document URL of `issuer` (before any rewrite).
pub(crate) fn configuration_url(issuer: &str) -> Result<Url, String> {
    let base = issuer.trim_end_matches('/');
    Url::parse(&format!("{base}/.well-known/openid-configuration"))
        .map_err(|e| format!("issuer {issuer:?} is not a URL, discovery impossible: {e}"))
}

/// Reads `jwks_uri` from the issuer's discovery document, through `internal`.
pub(crate) async fn jwks_uri(
    fetcher: &Fetcher,
    issuer: &str,
    internal: Option<&Url>,
) -> Result<Url, String> {
    let url = rewrite(&configuration_url(issuer)?, issuer, internal);
    let fetched = fetcher.get_json(&url).await?;
    let (fetched_over, url) = (url.scheme().to_owned(), RedactedUrl::new(&url));
    let doc: Value = serde_json::from_slice(&fetched.body)
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
    if let Some(advertised) = doc.get("issuer").and_then(Value::as_str)
        && advertised != issuer
    {
        // Keycloak without a fixed hostname reports the host it was asked on;
        // tokens are still checked against the configured issuer.
        tracing::warn!(%url, advertised, expected = %redact_url(issuer), "discovery document names a different issuer");
    }
    Ok(rewrite(&jwks, issuer, internal))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn issuer_origin_is_moved_to_internal_url() {
        let internal = url("http://keycloak-keycloak.identity.svc");
        let issuer = "https://id.example.com/realms/app";
        let moved = rewrite(
            &url("https://id.example.com/realms/app/protocol/openid-connect/certs"),
            issuer,
            Some(&internal),
        );
        assert_eq!(
            moved.as_str(),
            "http://keycloak-keycloak.identity.svc/realms/app/protocol/openid-connect/certs"
        );
    }

    #[test]
    fn internal_url_path_is_a_prefix_and_other_origins_are_untouched() {
        let internal = url("http://auth.svc:8080/kc/");
        let issuer = "https://id.example.com";
        assert_eq!(
            rewrite(
                &url("https://id.example.com/certs?x=1"),
                issuer,
                Some(&internal)
            )
            .as_str(),
            "http://auth.svc:8080/kc/certs?x=1"
        );
        let other = url("https://cdn.example.net/keys");
        assert_eq!(rewrite(&other, issuer, Some(&internal)), other);
        assert_eq!(
            rewrite(&url("https://id.example.com/a"), issuer, None).as_str(),
            "https://id.example.com/a"
        );
    }

    #[test]
    fn configuration_url_keeps_the_issuer_path() {
        assert_eq!(
            configuration_url("https://id.example.com/realms/app/")
                .expect("url")
                .as_str(),
            "https://id.example.com/realms/app/.well-known/openid-configuration"
        );
    }
}
