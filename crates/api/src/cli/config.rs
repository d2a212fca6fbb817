//! `backend-api config [--json]`: the effective configuration, secrets as fingerprints.

use clap::Args;

use super::Outcome;
use crate::config::{Config, render_json, render_text};

#[derive(Args, Debug)]
pub struct ConfigArgs {
    /// Print JSON instead of NAME=value lines
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: &Config, args: &ConfigArgs) -> Outcome {
    if args.json {
        let json = render_json(config);
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_else(|_| json.to_string())
        );
    } else {
        print!("{}", render_text(config));
    }
    Outcome::Success
}
