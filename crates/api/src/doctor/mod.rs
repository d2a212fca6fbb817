//! The doctor as a library: checks configuration, identity providers, the database and Kubernetes
//! manifests the way an operator would by hand (`nslookup`, `curl`, `psql`, reading YAML), and reports
//! each result as a finding with a stable code, what was seen, and the fix. It returns a [`Report`];
//! the command line (arguments, printing, exit status, the runtime) is `cli::doctor`.
//!
//! Layout: `finding` (the model) and `codes` (every stable code); `render` (text, JSON); `probe`
//! (DNS/TCP/HTTP under one deadline); one file per concern: `config_checks`, `providers`,
//! `database`, `token`, `mcp`, `manifests/`.

mod codes;
mod config_checks;
mod database;
mod finding;
mod manifests;
mod mcp;
mod probe;
mod providers;
pub(crate) mod render;
mod token;

pub(crate) use codes::Code;
pub(crate) use finding::{Finding, Report};
pub(crate) use manifests::read_input as read_manifests;
pub(crate) use probe::Deadline;
pub(crate) use token::read as read_token;

use std::sync::Arc;
use std::time::Duration;

use backend_api_auth::SystemClock;

use crate::config::{Config, RawConfig};
use crate::trust;
use finding::Severity;

/// Checks the `doctor token` command runs: configuration, then the token explained step by step.
pub(crate) async fn token(raw: &RawConfig, token: &str, deadline: Deadline) -> Report {
    let findings = match Config::from_raw(raw) {
        Ok(config) => token::explain(&config, token, deadline).await,
        Err(errors) => config_checks::invalid(&errors, raw),
    };
    Report { findings }
}

/// Checks rendered Kubernetes YAML.
pub(crate) fn manifests(text: &str) -> Report {
    Report {
        findings: manifests::analyse(text),
    }
}

/// Plain `doctor`: configuration first, then every provider and the database at once, all within
/// the deadline.
pub(crate) async fn everything(raw: &RawConfig, deadline: Deadline) -> Report {
    let config = match Config::from_raw(raw) {
        Ok(config) => config,
        Err(errors) => {
            return Report {
                findings: config_checks::invalid(&errors, raw),
            };
        }
    };
    let mut findings = config_checks::check(&config, raw);
    findings.extend(mcp::check(&config));
    // The service's own verifier confirms, end to end, what the probes saw (never built for the
    // development key, which would create its key file).
    let verifier = (!config.auth.uses_development_key())
        .then(|| trust::verifier(&config, Arc::new(SystemClock)).ok())
        .flatten();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, provider) in config.auth.providers.iter().cloned().enumerate() {
        let verifier = verifier.clone();
        tasks.spawn(async move {
            let mut found = providers::check(&provider, deadline).await;
            if let Some(verifier) =
                verifier.filter(|_| found.iter().all(|f| f.severity != Severity::Fail))
            {
                found.push(
                    providers::verifier_loads_keys(&verifier, &provider.name, deadline).await,
                );
            }
            (index, found)
        });
    }
    let database = config.database.clone();
    let last = config.auth.providers.len();
    tasks.spawn(async move { (last, database::check(&database, deadline).await) });
    // Every probe honours the deadline; this outer bound only guards against one that does not.
    let grace = Duration::from_millis(500);
    let mut results: Vec<(usize, Vec<Finding>)> = Vec::new();
    let mut crashed = Vec::new();
    let collected = tokio::time::timeout(deadline.remaining() + grace, async {
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => results.push(result),
                Err(error) => crashed.push(Finding::fail(
                    Code::DoctorError,
                    "doctor",
                    format!("a check stopped unexpectedly: {error}"),
                    "report this as a bug, with the rest of this report",
                )),
            }
        }
    })
    .await;
    if collected.is_err() {
        findings.push(Finding::fail(
            Code::DoctorTimeout,
            "doctor",
            "some checks did not finish within --timeout",
            "raise --timeout, or look at the checks missing from this report",
        ));
    }
    results.sort_by_key(|(index, _)| *index);
    findings.extend(results.into_iter().flat_map(|(_, found)| found));
    findings.extend(crashed);
    Report { findings }
}
