//! The benchmark's "auth off" ceiling (bench/run): `backend-api serve` with the token check
//! replaced by a layer that takes the caller from the path, so the task routes cost what they
//! cost without authentication. Everything else (configuration, router, layers, connections,
//! logging, shutdown) is the service's own, through [`cli::serve_wrapped`].
//!
//! Not part of the product: an example target, which `cargo build -p backend-api`, the image
//! and `cargo install` never build. `bench/run` builds it with
//! `cargo build --release -p backend-api --example bench_auth_off`. It refuses
//! `ENVIRONMENT=production`, since anyone could act as any user.

use std::process::ExitCode;

use axum::extract::Request;
use backend_api::AuthUser;
use backend_api::cli::{Cli, Command, Outcome, serve_wrapped};
use backend_api::config::{Config, Environment};
use clap::Parser;

/// Provider name of the tasks created without a token.
const PROVIDER: &str = "bench-auth-off";

fn main() -> ExitCode {
    // Key-set fetches over https use aws-lc-rs, as in the `backend-api` binary.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    if !matches!(cli.command, None | Some(Command::Serve)) {
        eprintln!("bench_auth_off: only `serve`");
        return Outcome::Usage.into();
    }
    let config = match Config::from_raw(&cli.config) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("bench_auth_off: {errors}");
            return Outcome::Usage.into();
        }
    };
    if config.environment == Environment::Production {
        eprintln!("bench_auth_off checks no token and refuses ENVIRONMENT=production");
        return Outcome::Usage.into();
    }
    eprintln!("BENCHMARK BUILD: task routes take the user from the path and check NO token");
    serve_wrapped(config, |router| {
        router.layer(axum::middleware::map_request(caller_from_path))
    })
    .into()
}

/// Puts the `{user_id}` of `/api/{user_id}/…` in the request as its verified caller.
async fn caller_from_path(mut request: Request) -> Request {
    let user = request
        .uri()
        .path()
        .strip_prefix("/api/")
        .and_then(|rest| rest.split('/').next())
        .filter(|user| !user.is_empty())
        .map(str::to_owned);
    if let Some(user_id) = user {
        request.extensions_mut().insert(AuthUser {
            user_id,
            provider: PROVIDER.to_owned(),
        });
    }
    request
}
