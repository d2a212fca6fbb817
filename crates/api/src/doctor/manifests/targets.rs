//! Where a workload connects to, as far as the input says: URL-valued environment variables (literal
//! or read from a Secret/ConfigMap of the input) and the identity providers of a providers file held
//! in a ConfigMap (read with the service's own parser).
//!
//! Variables that carry an identifier rather than an address (issuer, audience, CORS origins,
//! redirect and browser-facing URLs) are left out: nothing connects to them from the pod.

use std::time::Duration;

use backend_api_auth::KeySource;
use url::Url;

use super::model::{Objects, Workload, same_namespace};
use super::references;
use crate::config::{env, parse_providers};

/// Name fragments of variables whose URL is compared or handed to browsers, never fetched.
const NOT_FETCHED: &[&str] = &[
    "ISSUER",
    "AUDIENCE",
    "ORIGIN",
    "REDIRECT",
    "CALLBACK",
    "AUTHORIZATION_ENDPOINT",
    "END_SESSION",
    "LOGOUT",
    "PUBLIC",
];

/// One URL the workload connects to and where it was found (a variable or a provider's name).
pub(crate) struct Target {
    pub(crate) source: String,
    pub(crate) url: Url,
}

pub(crate) fn of(objects: &Objects, workload: &Workload) -> Vec<Target> {
    let mut targets = Vec::new();
    for container in workload
        .spec
        .containers
        .iter()
        .chain(&workload.spec.init_containers)
    {
        for var in &container.env {
            let upper = var.name.to_ascii_uppercase();
            if NOT_FETCHED.iter().any(|fragment| upper.contains(fragment)) {
                continue;
            }
            let url =
                references::resolve(objects, workload, var).and_then(|v| Url::parse(v.trim()).ok());
            if let Some(url) = url.filter(|u| u.host_str().is_some()) {
                targets.push(Target {
                    source: var.name.clone(),
                    url,
                });
            }
        }
    }
    let reads_providers_file = workload
        .spec
        .containers
        .iter()
        .flat_map(|c| &c.env)
        .any(|v| v.name == env::AUTH_PROVIDERS_FILE);
    if reads_providers_file {
        targets.extend(providers_files(objects, workload));
    }
    targets
}

/// Address-like variables (`…_URL`, `…_URI`, `…_ENDPOINT`) whose value the input does not hold
/// (a Secret or ConfigMap created elsewhere), so their port cannot be checked here.
pub(crate) fn unknown(objects: &Objects, workload: &Workload) -> Vec<String> {
    workload
        .spec
        .containers
        .iter()
        .chain(&workload.spec.init_containers)
        .flat_map(|c| &c.env)
        .filter(|v| v.value.is_none() && references::resolve(objects, workload, v).is_none())
        .filter(|v| {
            let upper = v.name.to_ascii_uppercase();
            ["_URL", "_URI", "_ENDPOINT"]
                .iter()
                .any(|s| upper.ends_with(s))
                && !NOT_FETCHED.iter().any(|fragment| upper.contains(fragment))
        })
        .map(|v| v.name.clone())
        .collect()
}

/// Providers files (`[[provider]]` TOML) in ConfigMaps of the workload's namespace: the back-channel URL the
/// verifier fetches for each provider.
fn providers_files(objects: &Objects, workload: &Workload) -> Vec<Target> {
    let files = objects
        .config_maps
        .iter()
        .filter(|c| same_namespace(&c.metadata, &workload.metadata))
        .flat_map(|c| c.values.values().flatten())
        .filter(|text| text.contains("[[provider]]"));
    let mut targets = Vec::new();
    for text in files {
        // The leeway does not matter here; an invalid file is the config check's business.
        let Ok(providers) = parse_providers(text, Duration::ZERO) else {
            continue;
        };
        for provider in providers {
            let url = match &provider.keys {
                KeySource::JwksUrl(url) => Some(provider.back_channel(url)),
                KeySource::Discovery => provider.discovery_url().ok(),
                KeySource::Static(_) => None,
            };
            if let Some(url) = url {
                targets.push(Target {
                    source: format!("provider {}", provider.name),
                    url,
                });
            }
        }
    }
    targets
}
