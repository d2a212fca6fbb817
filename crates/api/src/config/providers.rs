//! Reads `AUTH_PROVIDERS_FILE`: one `[[provider]]` table per identity provider
//! (name, issuer, discovery or jwks_url, audiences, algorithms, user_claim, leeway).
//!
//! Unknown keys are refused so that a typo (`audience` for `audiences`) does not silently
//! disable a check. Errors name the provider and the key to fix.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use backend_api_auth::{Algorithm, KeySource, ProviderConfig};
use serde::Deserialize;
use url::Url;

/// Largest providers file read; a bigger one is a mistake, not a configuration.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    #[serde(default)]
    provider: Vec<ProviderEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderEntry {
    name: String,
    issuer: String,
    #[serde(default)]
    discovery: bool,
    internal_url: Option<Url>,
    jwks_url: Option<Url>,
    audiences: Option<Vec<String>>,
    algorithms: Option<Vec<String>>,
    user_claim: Option<String>,
    leeway_seconds: Option<u64>,
}

/// Reads and checks the file; `Err` is a one-paragraph reason naming what to fix.
pub(super) fn read(path: &Path, default_leeway: Duration) -> Result<Vec<ProviderConfig>, String> {
    let size = std::fs::metadata(path)
        .map_err(|error| format!("cannot read the providers file: {error}"))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "the providers file is {size} bytes; at most {MAX_FILE_BYTES} are read"
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the providers file: {error}"))?;
    parse(&text, default_leeway)
}

pub(crate) fn parse(text: &str, default_leeway: Duration) -> Result<Vec<ProviderConfig>, String> {
    let file: ProvidersFile =
        toml::from_str(text).map_err(|error| format!("not valid providers TOML: {error}"))?;
    if file.provider.is_empty() {
        return Err("the file has no [[provider]] table".into());
    }
    let mut problems = Vec::new();
    let mut providers = Vec::new();
    for (index, entry) in file.provider.into_iter().enumerate() {
        let label = format!("provider #{} ({:?})", index + 1, entry.name);
        match provider(entry, default_leeway) {
            Ok(provider) => providers.push(provider),
            Err(reason) => problems.push(format!("{label}: {reason}")),
        }
    }
    if problems.is_empty() {
        Ok(providers)
    } else {
        Err(problems.join("; "))
    }
}

fn provider(entry: ProviderEntry, default_leeway: Duration) -> Result<ProviderConfig, String> {
    if entry.name.trim().is_empty() {
        return Err("`name` is empty".into());
    }
    if entry.issuer.trim().is_empty() {
        return Err("`issuer` is empty".into());
    }
    let keys = match (entry.discovery, entry.jwks_url) {
        (true, None) => KeySource::Discovery,
        (false, Some(url)) => KeySource::JwksUrl(url),
        (true, Some(_)) => {
            return Err("set either `discovery = true` or `jwks_url`, not both".into());
        }
        (false, None) => {
            return Err("set `discovery = true` or `jwks_url` so the keys can be found".into());
        }
    };
    let mut algorithms = Vec::new();
    for name in entry.algorithms.unwrap_or_default() {
        let algorithm = Algorithm::from_str(&name).map_err(|_| {
            format!("`algorithms` holds {name:?}, which is not a JOSE algorithm name such as RS256")
        })?;
        algorithms.push(algorithm);
    }
    if entry.audiences.as_ref().is_some_and(Vec::is_empty) {
        return Err(
            "`audiences` is empty: list at least one, or omit it to skip the audience check".into(),
        );
    }
    Ok(ProviderConfig {
        name: entry.name,
        issuer: entry.issuer,
        keys,
        internal_url: entry.internal_url,
        audiences: entry.audiences,
        algorithms,
        // Providers from this file read `sub` unless told otherwise; `user_id` (the Better
        // Auth default) means nothing to them.
        user_claims: vec![entry.user_claim.unwrap_or_else(|| "sub".to_owned())],
        leeway: entry
            .leeway_seconds
            .map(Duration::from_secs)
            .unwrap_or(default_leeway),
        hmac_secret: None,
        issuer_setting: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEEWAY: Duration = Duration::from_secs(30);

    #[test]
    fn the_spec_example_parses() {
        let text = r#"
            [[provider]]
            name = "keycloak"
            issuer = "https://id.example.com/realms/app"
            discovery = true
            internal_url = "http://keycloak-keycloak.identity.svc"
            audiences = ["backend-api"]
            algorithms = ["RS256", "ES256"]
            user_claim = "sub"
            leeway_seconds = 10
        "#;
        let providers = parse(text, LEEWAY).expect("valid");
        assert_eq!(providers.len(), 1);
        assert_eq!(providers[0].name, "keycloak");
        assert!(matches!(providers[0].keys, KeySource::Discovery));
        assert_eq!(providers[0].leeway, Duration::from_secs(10));
        assert_eq!(providers[0].algorithms.len(), 2);
    }

    #[test]
    fn a_misspelled_key_is_refused() {
        let text = r#"
            [[provider]]
            name = "auth0"
            issuer = "https://tenant.auth0.com/"
            jwks_url = "https://tenant.auth0.com/.well-known/jwks.json"
            audience = ["api"]
        "#;
        let error = parse(text, LEEWAY).expect_err("refused");
        assert!(error.contains("audience"), "{error}");
    }

    #[test]
    fn every_bad_provider_is_named() {
        let text = r#"
            [[provider]]
            name = "a"
            issuer = "https://a.example.com"
            [[provider]]
            name = "b"
            issuer = "https://b.example.com"
            jwks_url = "https://b.example.com/jwks"
            algorithms = ["XX999"]
        "#;
        let error = parse(text, LEEWAY).expect_err("refused");
        assert!(
            error.contains("\"a\"") && error.contains("\"b\"") && error.contains("XX999"),
            "{error}"
        );
    }
}
