//! `backend-api healthcheck [--url …]`: probes `/health` of a running service; exit 0 on 200,
//! 1 otherwise. The container image has no shell or curl, so its HEALTHCHECK runs this.

use std::time::Duration;

use clap::Args;

use super::{Outcome, runtime};
use crate::config::RawConfig;

#[derive(Args, Debug)]
pub struct HealthcheckArgs {
    /// URL to probe [default: http://127.0.0.1:$PORT/health]
    #[arg(long)]
    pub url: Option<String>,
    /// Seconds to wait for the answer
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

pub fn run(raw: &RawConfig, args: &HealthcheckArgs) -> Outcome {
    // Only PORT matters here; a probe must not fail because some other variable is invalid.
    let port = raw
        .port
        .as_deref()
        .and_then(|p| p.trim().parse::<u16>().ok())
        .unwrap_or(8000);
    let url = args
        .url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}/health"));
    let Ok(runtime) = runtime() else {
        eprintln!("healthcheck: cannot start the async runtime");
        return Outcome::Failed;
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    let result = runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        client.get(&url).send().await
    });
    match result {
        Ok(response) if response.status().is_success() => Outcome::Success,
        Ok(response) => {
            eprintln!("healthcheck: {url} answered {}", response.status());
            Outcome::Failed
        }
        Err(error) => {
            eprintln!("healthcheck: {url} did not answer: {error}");
            Outcome::Failed
        }
    }
}
