//! `backend-api doctor`: its arguments, the runtime it runs on, printing the report (text or
//! JSON) and the exit status. The checks themselves are the `doctor` library.

use std::io::IsTerminal as _;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::Outcome;
use crate::config::RawConfig;
use crate::doctor::{self, Code, Deadline, Finding, Report};

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
    let report = match &args.command {
        Some(DoctorCommand::Manifests { file }) => match doctor::read_manifests(file) {
            Ok(text) => doctor::manifests(&text),
            Err(error) => {
                eprintln!("backend-api doctor manifests: {error:#}");
                return Outcome::Usage;
            }
        },
        Some(DoctorCommand::Token { token }) => match doctor::read_token(token.as_deref()) {
            Ok(token) => with_runtime(|| doctor::token(raw, &token, deadline)),
            Err(error) => {
                eprintln!("backend-api doctor token: cannot read the token from stdin: {error}");
                return Outcome::Usage;
            }
        },
        None => with_runtime(|| doctor::everything(raw, deadline)),
    };
    if args.json {
        println!("{}", doctor::render::json(&report));
    } else {
        let colour = doctor::render::colour_wanted(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").is_some(),
        );
        print!("{}", doctor::render::text(&report, colour));
    }
    if report.failed() {
        Outcome::Failed
    } else {
        Outcome::Success
    }
}

fn with_runtime<F: Future<Output = Report>>(work: impl FnOnce() -> F) -> Report {
    match super::runtime() {
        Ok(runtime) => {
            let findings = runtime.block_on(work());
            // A name lookup that outlived the deadline runs on a blocking thread that cannot be
            // cancelled; do not wait for it, --timeout bounds the whole run.
            runtime.shutdown_background();
            findings
        }
        Err(error) => Report {
            findings: vec![Finding::fail(
                Code::DoctorError,
                "doctor",
                format!("cannot start the async runtime: {error}"),
                "check the process limits (threads, file descriptors)",
            )],
        },
    }
}
