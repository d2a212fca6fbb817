//! Entry point of the `backend-api` binary: parse the command line, run it, map the outcome
//! to the exit code (0 ok, 1 diagnosed failure, 2 usage or configuration).

use std::process::ExitCode;

use backend_api::cli::{Cli, run};
use clap::Parser;

fn main() -> ExitCode {
    // TLS (key-set fetches over https) uses aws-lc-rs; fails only if already installed.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    run(Cli::parse()).into()
}
