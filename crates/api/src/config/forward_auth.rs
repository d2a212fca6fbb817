//! Settings of the forward-authentication route `/auth/verify`: whether it is served, which
//! claims are copied into response headers, and the per-host policy read from
//! `FORWARD_AUTH_POLICY_FILE`.
//!
//! Claim headers must be named `X-Auth-…`: a proxy is configured to copy exactly those names
//! from our answer to the protected app, so they can never be a header the client sent that the
//! proxy would pass on unchanged. `X-Auth-User` and `X-Auth-Provider` are ours and not mappable.

use std::path::{Path, PathBuf};

use axum::http::HeaderName;
use serde::Deserialize;

use super::collect::{Errors, parse_bool};
use super::{RawConfig, env};

/// Most claim → header mappings; a longer list is a mistake, and each costs every answer.
pub const MAX_CLAIM_HEADERS: usize = 32;
/// Largest policy file read.
const MAX_POLICY_FILE_BYTES: u64 = 1024 * 1024;
/// Prefix every forwarded header carries.
pub const HEADER_PREFIX: &str = "x-auth-";
/// The two headers every 200 carries; not available to mappings.
pub const USER_HEADER: HeaderName = HeaderName::from_static("x-auth-user");
pub const PROVIDER_HEADER: HeaderName = HeaderName::from_static("x-auth-provider");

/// Everything `/auth/verify` needs beyond the verifier.
#[derive(Clone, Debug)]
pub struct ForwardAuthConfig {
    /// `FORWARD_AUTH`: the route exists (default true).
    pub enabled: bool,
    /// `FORWARD_AUTH_CLAIM_HEADERS`: claims copied into headers of a 200, in order.
    pub claim_headers: Vec<ClaimHeader>,
    /// `FORWARD_AUTH_POLICY_FILE`, when set.
    pub policy_file: Option<PathBuf>,
    /// What a host without its own entry requires.
    pub default_policy: HostPolicy,
    /// Per forwarded host (lower case, as written in the file).
    pub hosts: Vec<HostPolicy>,
}

impl Default for ForwardAuthConfig {
    fn default() -> Self {
        ForwardAuthConfig {
            enabled: true,
            claim_headers: Vec::new(),
            policy_file: None,
            default_policy: HostPolicy::default(),
            hosts: Vec::new(),
        }
    }
}

impl ForwardAuthConfig {
    /// The policy for a forwarded host (`X-Forwarded-Host`, maybe with a port), else the default.
    pub fn policy_for(&self, host: Option<&str>) -> &HostPolicy {
        let Some(host) = host.map(|h| h.trim().to_ascii_lowercase()) else {
            return &self.default_policy;
        };
        let without_port = strip_port(&host);
        self.hosts
            .iter()
            .find(|p| p.host == host)
            .or_else(|| self.hosts.iter().find(|p| p.host == without_port))
            .unwrap_or(&self.default_policy)
    }
}

/// `example.com:8443` → `example.com`; IPv6 literals keep their brackets.
fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!name.contains(':') || name.ends_with(']')) =>
        {
            name
        }
        _ => host,
    }
}

/// One claim copied to one response header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimHeader {
    pub claim: String,
    pub header: HeaderName,
}

/// What one protected app (or the default) requires of a token beyond the verifier's checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostPolicy {
    /// The host this applies to; empty for the default policy.
    pub host: String,
    /// The token's `aud` must hold one of these (none = no extra audience check).
    pub audiences: Option<Vec<String>>,
    /// The token must come from one of these providers (none = any configured provider).
    pub providers: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    default: Option<PolicyEntry>,
    #[serde(default)]
    host: Vec<PolicyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyEntry {
    host: Option<String>,
    audiences: Option<Vec<String>>,
    providers: Option<Vec<String>>,
}

/// Reads the forward-auth variables; `provider_names` are the configured providers (empty with
/// the development key, when provider names are not checked).
pub(super) fn parse_forward_auth(
    raw: &RawConfig,
    provider_names: &[&str],
    errors: &mut Errors,
) -> ForwardAuthConfig {
    let enabled = errors.field(env::FORWARD_AUTH, &raw.forward_auth, true, parse_bool);
    let claim_headers = errors.field(
        env::FORWARD_AUTH_CLAIM_HEADERS,
        &raw.forward_auth_claim_headers,
        Vec::new(),
        parse_claim_headers,
    );
    let policy_file = errors.field(
        env::FORWARD_AUTH_POLICY_FILE,
        &raw.forward_auth_policy_file,
        None,
        |text| Ok(Some(PathBuf::from(text))),
    );
    let mut config = ForwardAuthConfig {
        enabled,
        claim_headers,
        policy_file: policy_file.clone(),
        ..ForwardAuthConfig::default()
    };
    if let Some(path) = &policy_file {
        match read_policy(path, provider_names) {
            Ok((default_policy, hosts)) => {
                config.default_policy = default_policy;
                config.hosts = hosts;
            }
            Err(reason) => errors.push(
                env::FORWARD_AUTH_POLICY_FILE,
                Some(path.display().to_string()),
                reason,
            ),
        }
    }
    config
}

/// `email=X-Auth-Email,name=X-Auth-Name`.
pub(crate) fn parse_claim_headers(text: &str) -> Result<Vec<ClaimHeader>, String> {
    let mut mappings: Vec<ClaimHeader> = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((claim, header)) = pair.split_once('=') else {
            return Err(format!(
                "{pair:?} is not claim=Header; example: email=X-Auth-Email,name=X-Auth-Name"
            ));
        };
        let (claim, header) = (claim.trim(), header.trim());
        if claim.is_empty() || claim.len() > 128 {
            return Err(format!("{pair:?}: the claim name is empty or too long"));
        }
        let name = HeaderName::from_bytes(header.as_bytes())
            .map_err(|_| format!("{pair:?}: {header:?} is not a valid header name"))?;
        if !name.as_str().starts_with(HEADER_PREFIX) || name.as_str().len() == HEADER_PREFIX.len() {
            return Err(format!(
                "{pair:?}: the header must be named X-Auth-<something>, so that proxies forward \
                 only headers this service set and never one the client sent"
            ));
        }
        if name == USER_HEADER || name == PROVIDER_HEADER {
            return Err(format!(
                "{pair:?}: {header} is always set by the service (user id, provider) and cannot be mapped"
            ));
        }
        if mappings.iter().any(|m| m.header == name) {
            return Err(format!("{header} is mapped twice"));
        }
        mappings.push(ClaimHeader {
            claim: claim.to_owned(),
            header: name,
        });
    }
    if mappings.len() > MAX_CLAIM_HEADERS {
        return Err(format!("at most {MAX_CLAIM_HEADERS} mappings"));
    }
    Ok(mappings)
}

fn read_policy(
    path: &Path,
    provider_names: &[&str],
) -> Result<(HostPolicy, Vec<HostPolicy>), String> {
    let size = std::fs::metadata(path)
        .map_err(|error| format!("cannot read the policy file: {error}"))?
        .len();
    if size > MAX_POLICY_FILE_BYTES {
        return Err(format!(
            "the policy file is {size} bytes; at most {MAX_POLICY_FILE_BYTES} are read"
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the policy file: {error}"))?;
    parse_policy(&text, provider_names)
}

/// Parses the policy TOML: an optional `[default]` table and `[[host]]` tables.
pub(crate) fn parse_policy(
    text: &str,
    provider_names: &[&str],
) -> Result<(HostPolicy, Vec<HostPolicy>), String> {
    let file: PolicyFile =
        toml::from_str(text).map_err(|error| format!("not valid policy TOML: {error}"))?;
    let mut problems = Vec::new();
    let default_policy = match file.default {
        None => HostPolicy::default(),
        Some(entry) if entry.host.is_some() => {
            problems.push("[default] takes no `host`".to_owned());
            HostPolicy::default()
        }
        Some(entry) => match policy(String::new(), entry, provider_names) {
            Ok(policy) => policy,
            Err(reason) => {
                problems.push(format!("[default]: {reason}"));
                HostPolicy::default()
            }
        },
    };
    let mut hosts: Vec<HostPolicy> = Vec::new();
    for (index, entry) in file.host.into_iter().enumerate() {
        let label = format!("host #{}", index + 1);
        let Some(host) = entry.host.clone().map(|h| h.trim().to_ascii_lowercase()) else {
            problems.push(format!("{label}: `host` is missing"));
            continue;
        };
        if host.is_empty() || host.len() > 253 || host.contains(['/', ' ', ',']) {
            problems.push(format!(
                "{label}: `host` must be a host name as sent in X-Forwarded-Host, e.g. docs.example.com"
            ));
            continue;
        }
        if hosts.iter().any(|h| h.host == host) {
            problems.push(format!("{label}: {host:?} is listed twice"));
            continue;
        }
        match policy(host.clone(), entry, provider_names) {
            Ok(policy) => hosts.push(policy),
            Err(reason) => problems.push(format!("{label} ({host:?}): {reason}")),
        }
    }
    if problems.is_empty() {
        Ok((default_policy, hosts))
    } else {
        Err(problems.join("; "))
    }
}

fn policy(host: String, entry: PolicyEntry, provider_names: &[&str]) -> Result<HostPolicy, String> {
    if entry.audiences.as_ref().is_some_and(Vec::is_empty) {
        return Err("`audiences` is empty: list at least one, or omit it".into());
    }
    if let Some(providers) = &entry.providers {
        if providers.is_empty() {
            return Err("`providers` is empty: list at least one, or omit it".into());
        }
        if !provider_names.is_empty()
            && let Some(unknown) = providers
                .iter()
                .find(|p| !provider_names.contains(&p.as_str()))
        {
            return Err(format!(
                "`providers` names {unknown:?}, which is not a configured provider (configured: {})",
                provider_names.join(", ")
            ));
        }
    }
    Ok(HostPolicy {
        host,
        audiences: entry.audiences,
        providers: entry.providers,
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse::refused_variables;
    use super::*;

    #[test]
    fn claim_headers_parse_in_order() {
        let mappings = parse_claim_headers("email=X-Auth-Email, name = x-auth-name").expect("ok");
        assert_eq!(mappings.len(), 2);
        assert_eq!(mappings[0].claim, "email");
        assert_eq!(mappings[0].header.as_str(), "x-auth-email");
        assert_eq!(mappings[1].header.as_str(), "x-auth-name");
    }

    #[test]
    fn claim_headers_outside_x_auth_or_reserved_or_invalid_are_refused() {
        for (text, needle) in [
            ("email=X-Email", "X-Auth-"),
            ("email=Authorization", "X-Auth-"),
            ("email=X-Auth-", "X-Auth-"),
            ("sub=X-Auth-User", "always set"),
            ("iss=x-auth-provider", "always set"),
            ("email=X-Auth Email", "not a valid header name"),
            ("email", "claim=Header"),
            ("=X-Auth-Email", "empty"),
            ("email=X-Auth-A,name=X-Auth-A", "twice"),
        ] {
            let error = parse_claim_headers(text).expect_err(text);
            assert!(error.contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn policy_file_gives_hosts_and_default() {
        let text = r#"
            [default]
            providers = ["better-auth"]

            [[host]]
            host = "Docs.Example.com"
            audiences = ["docs"]
            providers = ["keycloak"]

            [[host]]
            host = "mcp.example.com:8443"
            audiences = ["mcp"]
        "#;
        let (default_policy, hosts) =
            parse_policy(text, &["better-auth", "keycloak"]).expect("valid");
        let config = ForwardAuthConfig {
            default_policy,
            hosts,
            ..ForwardAuthConfig::default()
        };
        let docs = config.policy_for(Some("docs.example.com:443"));
        assert_eq!(docs.audiences, Some(vec!["docs".to_owned()]));
        assert_eq!(
            config.policy_for(Some("DOCS.example.com")).host,
            "docs.example.com"
        );
        assert_eq!(
            config.policy_for(Some("mcp.example.com:8443")).host,
            "mcp.example.com:8443"
        );
        let other = config.policy_for(Some("else.example.com"));
        assert_eq!(other.host, "");
        assert_eq!(other.providers, Some(vec!["better-auth".to_owned()]));
        assert_eq!(config.policy_for(None).host, "");
    }

    #[test]
    fn policy_file_mistakes_are_named() {
        for (text, needle) in [
            ("[[host]]\nhost = \"a\"\naudience = [\"x\"]\n", "audience"),
            ("[[host]]\naudiences = [\"x\"]\n", "`host` is missing"),
            (
                "[[host]]\nhost = \"a\"\nproviders = [\"nope\"]\n",
                "\"nope\"",
            ),
            ("[[host]]\nhost = \"a\"\n[[host]]\nhost = \"A\"\n", "twice"),
            ("[[host]]\nhost = \"a\"\naudiences = []\n", "empty"),
            ("[default]\nhost = \"a\"\n", "[default]"),
            ("[[host]]\nhost = \"https://a/\"\n", "host name"),
        ] {
            let error = parse_policy(text, &["kc"]).expect_err(text);
            assert!(error.contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn ports_are_stripped_but_ipv6_literals_kept() {
        assert_eq!(strip_port("a.example:80"), "a.example");
        assert_eq!(strip_port("a.example"), "a.example");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
    }

    #[test]
    fn the_variables_reach_the_config_and_its_printout() {
        use super::super::{Config, render_text};
        let temp = test_support::temp_dir("fa");
        let dir = temp.path();
        let policy = dir.join("policy.toml");
        std::fs::write(
            &policy,
            "[[host]]\nhost = \"docs.example.com\"\naudiences = [\"docs\"]\n",
        )
        .expect("write");
        let raw = RawConfig {
            forward_auth: Some("false".into()),
            forward_auth_claim_headers: Some("email=X-Auth-Email".into()),
            forward_auth_policy_file: Some(policy.display().to_string()),
            ..RawConfig::default()
        };
        let config = Config::from_raw(&raw).expect("valid");
        assert!(!config.forward_auth.enabled);
        assert_eq!(config.forward_auth.hosts[0].host, "docs.example.com");
        let text = render_text(&config);
        assert!(text.contains("FORWARD_AUTH=false"), "{text}");
        assert!(
            text.contains("FORWARD_AUTH_CLAIM_HEADERS=email=x-auth-email"),
            "{text}"
        );

        let raw = RawConfig {
            forward_auth: Some("maybe".into()),
            forward_auth_claim_headers: Some("email=X-Email".into()),
            forward_auth_policy_file: Some(dir.join("missing.toml").display().to_string()),
            ..RawConfig::default()
        };
        let names = refused_variables(&raw);
        for name in [
            env::FORWARD_AUTH,
            env::FORWARD_AUTH_CLAIM_HEADERS,
            env::FORWARD_AUTH_POLICY_FILE,
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
    }
}
