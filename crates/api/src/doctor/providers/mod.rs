//! Identity-provider checks, per provider: DNS and TCP of the back-channel host (`reach`), the
//! discovery document (`discovery`), the key set, its keys and the provider's clock (`keys`).
//!
//! Every GET goes through the core's `Fetcher` (the verifier's own fetch: redirect rule, body
//! limit, HTML check, typed errors), and its trace of hops is what these findings describe
//! (`fetch`), so a verdict here is the verifier's by construction.

mod discovery;
mod fetch;
mod keys;
mod reach;

use std::collections::BTreeSet;

use backend_api_auth::{FetchSettings, Fetcher, KeySource, ProviderConfig};

use super::codes::Code;
use super::finding::Finding;
use super::probe::Deadline;

pub(crate) use keys::verifier_loads_keys;

/// Runs every check of one provider.
pub(crate) async fn check(provider: &ProviderConfig, deadline: Deadline) -> Vec<Finding> {
    // The verifier's limits, with the time left of the run as both timeouts.
    let settings = FetchSettings {
        connect_timeout: deadline.remaining(),
        total_timeout: deadline.remaining(),
        ..FetchSettings::default()
    };
    let fetcher = match Fetcher::new(settings) {
        Ok(fetcher) => fetcher,
        Err(error) => {
            return vec![Finding::fail(
                Code::DoctorError,
                "doctor",
                format!("cannot build an HTTP client: {error}"),
                "report this as a bug",
            )];
        }
    };
    let mut run = Run {
        provider,
        fetcher,
        deadline,
        findings: Vec::new(),
        probed_hosts: BTreeSet::new(),
        clock_checked: false,
    };
    run.public_host().await;
    let jwks_url = match &provider.keys {
        KeySource::JwksUrl(url) => Some(provider.back_channel(url)),
        KeySource::Discovery => run.discovery().await,
        KeySource::Static(_) => None,
    };
    if let Some(url) = jwks_url {
        run.jwks(&url).await;
    }
    run.findings
}

/// The state of one provider's checks.
struct Run<'a> {
    provider: &'a ProviderConfig,
    fetcher: Fetcher,
    deadline: Deadline,
    findings: Vec<Finding>,
    /// Hosts already resolved and connected to, so two documents on one host give one DNS finding.
    probed_hosts: BTreeSet<(String, u16)>,
    clock_checked: bool,
}

/// The document being fetched, for codes and wording.
#[derive(Clone, Copy, PartialEq)]
enum Document {
    Discovery,
    Jwks,
}

impl Document {
    fn redirect_code(self) -> Code {
        match self {
            Document::Discovery => Code::DiscoveryRedirect,
            Document::Jwks => Code::JwksRedirect,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Document::Discovery => "discovery document",
            Document::Jwks => "JWKS",
        }
    }
}

impl Run<'_> {
    fn subject(&self, what: &str) -> String {
        format!("provider {}: {what}", self.provider.name)
    }
}
