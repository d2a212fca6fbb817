//! `backend-api token --sub alice [--ttl 15m] [--claim k=v]…`: a JWT signed by the local
//! development key, for trying the API by hand. Refused in production (exit 2).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backend_api_auth::DevelopmentKey;
use clap::Args;
use serde_json::{Map, Value, json};

use super::Outcome;
use crate::config::{Config, RawConfig, env};

/// Longest lifetime a development token may have.
const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// The user id (`sub` claim)
    #[arg(long)]
    pub sub: String,
    /// Lifetime: 90s, 15m, 12h, 7d or plain seconds
    #[arg(long, default_value = "15m", value_parser = parse_ttl)]
    pub ttl: Duration,
    /// Extra or overriding claim; the value is JSON if it parses as JSON, else a string
    #[arg(long = "claim", value_name = "KEY=VALUE", value_parser = parse_claim)]
    pub claims: Vec<(String, Value)>,
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "s"),
    };
    let count: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 15m"))?;
    let seconds = match unit {
        "s" => count,
        "m" => count.saturating_mul(60),
        "h" => count.saturating_mul(3600),
        "d" => count.saturating_mul(86_400),
        _ => return Err(format!("{text:?}: unit must be s, m, h or d")),
    };
    let ttl = Duration::from_secs(seconds);
    if ttl.is_zero() || ttl > MAX_TTL {
        return Err("the lifetime must be between 1s and 30d".into());
    }
    Ok(ttl)
}

fn parse_claim(text: &str) -> Result<(String, Value), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))?;
    if key.is_empty() {
        return Err("the claim name is empty".into());
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((key.to_owned(), value))
}

pub fn run(raw: &RawConfig, args: &TokenArgs) -> Outcome {
    let production = raw
        .environment
        .as_deref()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("production"));
    if production {
        eprintln!(
            "backend-api token: refused because {}=production: production never trusts the development key. \
             Get a token from your identity provider instead.",
            env::ENVIRONMENT
        );
        return Outcome::Usage;
    }
    let config = match Config::from_raw(raw) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("backend-api: {errors}");
            return Outcome::Usage;
        }
    };
    let key = match DevelopmentKey::load_or_create(&config.auth.dev_key_file) {
        Ok(key) => key,
        Err(error) => {
            eprintln!("backend-api token: {error}");
            return Outcome::Failed;
        }
    };
    if !config.auth.uses_development_key() {
        eprintln!(
            "backend-api token: warning: identity providers are configured, so `serve` with this configuration \
             does not trust the development key and will refuse this token (issuer_unknown)"
        );
    }
    println!("{}", key.sign(&Value::Object(claims(args))));
    Outcome::Success
}

fn claims(args: &TokenArgs) -> Map<String, Value> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(DevelopmentKey::ISSUER));
    claims.insert("aud".into(), json!(DevelopmentKey::AUDIENCE));
    claims.insert("sub".into(), json!(args.sub));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + args.ttl.as_secs()));
    for (key, value) in &args.claims {
        claims.insert(key.clone(), value.clone());
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_ttl("0s").is_err() && parse_ttl("5w").is_err() && parse_ttl("31d").is_err());
    }

    #[test]
    fn claim_values_are_json_when_they_parse() {
        assert_eq!(parse_claim("admin=true"), Ok(("admin".into(), json!(true))));
        assert_eq!(parse_claim("team=blue"), Ok(("team".into(), json!("blue"))));
        assert!(parse_claim("novalue").is_err());
    }
}
