//! `backend-api doctor`: checks configuration, identity providers, the database and Kubernetes
//! manifests the way an operator would by hand (`nslookup`, `curl`, `psql`, reading YAML), and reports
//! each result as a finding with a stable code, what was seen, and the fix.
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
mod render;
mod token;

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;

use backend_api_auth::SystemClock;
use clap::{Args, Subcommand};

use crate::cli::Outcome;
use crate::config::{Config, RawConfig};
use crate::trust;
use finding::{Finding, Report, Severity};
use probe::Deadline;

/// `backend-api doctor [--json] [--timeout S] [token [JWT|-] | manifests <file|->]`
#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Print `{"findings":[…]}` instead of text
    #[arg(long, global = true)]
    pub json: bool,
    /// Bound on the whole run, in seconds (network probes share it)
    #[arg(long, global = true, default_value = "10", value_parser = parse_seconds)]
    pub timeout: Duration,
    #[command(subcommand)]
    pub command: Option<DoctorCommand>,
}

#[derive(Subcommand, Debug)]
pub enum DoctorCommand {
    /// Explain, step by step, whether this service would accept a token (exit 0 if so, 1 if not)
    Token {
        /// The JWT; read from stdin when absent or `-` (keeps it out of shell history)
        token: Option<String>,
    },
    /// Check rendered Kubernetes YAML (`helm template …`, `kubectl get -o yaml`)
    Manifests {
        /// File to read, or `-` for stdin
        file: String,
    },
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let number = text.trim().trim_end_matches('s');
    match number.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= 3600.0 => Ok(Duration::from_secs_f64(seconds)),
        _ => Err(format!(
            "{text:?} is not a number of seconds between 0 and 3600"
        )),
    }
}

/// Runs `doctor` and prints its report; exit 1 when a finding fails.
pub fn run(raw: &RawConfig, args: &DoctorArgs) -> Outcome {
    let deadline = Deadline::after(args.timeout);
    let findings = match &args.command {
        Some(DoctorCommand::Manifests { file }) => match manifests::read_input(file) {
            Ok(text) => manifests::analyse(&text),
            Err(error) => {
                eprintln!("backend-api doctor manifests: {error:#}");
                return Outcome::Usage;
            }
        },
        Some(DoctorCommand::Token { token }) => match token::read(token.as_deref()) {
            Ok(token) => with_runtime(|| async {
                match Config::from_raw(raw) {
                    Ok(config) => token::explain(&config, &token, deadline).await,
                    Err(errors) => config_checks::invalid(&errors, raw),
                }
            }),
            Err(error) => {
                eprintln!("backend-api doctor token: cannot read the token from stdin: {error}");
                return Outcome::Usage;
            }
        },
        None => with_runtime(|| everything(raw, deadline)),
    };
    let report = Report { findings };
    if args.json {
        println!("{}", render::json(&report));
    } else {
        let colour = render::colour_wanted(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").is_some(),
        );
        print!("{}", render::text(&report, colour));
    }
    if report.failed() {
        Outcome::Failed
    } else {
        Outcome::Success
    }
}

fn with_runtime<F: Future<Output = Vec<Finding>>>(work: impl FnOnce() -> F) -> Vec<Finding> {
    match crate::cli::runtime() {
        Ok(runtime) => {
            let findings = runtime.block_on(work());
            // A name lookup that outlived the deadline runs on a blocking thread that cannot be
            // cancelled; do not wait for it, --timeout bounds the whole run.
            runtime.shutdown_background();
            findings
        }
        Err(error) => vec![Finding::fail(
            codes::DOCTOR_ERROR,
            "doctor",
            format!("cannot start the async runtime: {error}"),
            "check the process limits (threads, file descriptors)",
        )],
    }
}

/// Plain `doctor`: configuration first, then every provider and the database at once, all within
/// the deadline.
async fn everything(raw: &RawConfig, deadline: Deadline) -> Vec<Finding> {
    let config = match Config::from_raw(raw) {
        Ok(config) => config,
        Err(errors) => return config_checks::invalid(&errors, raw),
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
                    codes::DOCTOR_ERROR,
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
            codes::DOCTOR_TIMEOUT,
            "doctor",
            "some checks did not finish within --timeout",
            "raise --timeout, or look at the checks missing from this report",
        ));
    }
    results.sort_by_key(|(index, _)| *index);
    findings.extend(results.into_iter().flat_map(|(_, found)| found));
    findings.extend(crashed);
    findings
}
