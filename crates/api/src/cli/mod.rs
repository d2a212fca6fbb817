//! The command line: `serve` (default), `migrate`, `config`, `token`, `healthcheck`.
//!
//! Exit codes: 0 success, 1 a failure that was diagnosed (database refused, probe failed),
//! 2 bad usage or configuration. Each subcommand lives in its own file.

mod config;
mod doctor;
mod healthcheck;
mod migrate;
mod serve;
mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, RawConfig};

/// Tasks API that verifies identity-provider JWTs.
#[derive(Parser, Debug)]
#[command(name = "backend-api", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub config: RawConfig,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP service (the default)
    Serve,
    /// Apply database migrations and exit
    Migrate,
    /// Print the effective configuration, secrets as sha256 fingerprints
    Config(config::ConfigArgs),
    /// Print a JWT signed by the local development key (refused in production)
    Token(token::TokenArgs),
    /// Probe /health of a running service: exit 0 when it answers 200 (Docker HEALTHCHECK)
    Healthcheck(healthcheck::HealthcheckArgs),
    /// Check configuration, identity providers, database, a token or Kubernetes manifests
    Doctor(doctor::DoctorArgs),
}

/// How a command ended.
pub enum Outcome {
    Success,
    /// Diagnosed failure (exit 1); the message was already printed.
    Failed,
    /// Bad usage or configuration (exit 2); the message was already printed.
    Usage,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        match outcome {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failed => ExitCode::from(1),
            Outcome::Usage => ExitCode::from(2),
        }
    }
}

/// Runs the chosen command.
pub fn run(cli: Cli) -> Outcome {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => with_config(&cli.config, |config| {
            serve::run(config, std::convert::identity)
        }),
        Command::Migrate => with_config(&cli.config, migrate::run),
        Command::Config(args) => with_config(&cli.config, |config| config::run(&config, &args)),
        Command::Token(args) => token::run(&cli.config, &args),
        Command::Healthcheck(args) => healthcheck::run(&cli.config, &args),
        Command::Doctor(args) => doctor::run(&cli.config, &args),
    }
}

/// `serve` for a program that embeds the service: the same start-up, logging and shutdown,
/// with the router wrapped in `wrap` (see [`App::wrap_router`](crate::App::wrap_router)).
pub fn serve_wrapped(config: Config, wrap: fn(axum::Router) -> axum::Router) -> Outcome {
    serve::run(config, wrap)
}

/// Parses the configuration (exit 2 with every problem listed) and hands it to `command`.
fn with_config(raw: &RawConfig, command: impl FnOnce(Config) -> Outcome) -> Outcome {
    match Config::from_raw(raw) {
        Ok(config) => command(config),
        Err(errors) => {
            eprintln!("backend-api: {errors}");
            Outcome::Usage
        }
    }
}

/// A multi-threaded runtime for the commands that need one.
pub(crate) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// [`runtime`] for `serve` and `migrate`: a runtime that cannot start is said on stderr and
/// ends the command as a failure.
fn runtime_or_report() -> Result<tokio::runtime::Runtime, Outcome> {
    runtime().map_err(|error| {
        eprintln!("backend-api: cannot start the async runtime: {error}");
        Outcome::Failed
    })
}
