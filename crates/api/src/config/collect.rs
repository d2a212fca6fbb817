//! Collecting configuration problems: [`ConfigError`] for one bad variable, [`ConfigErrors`]
//! for all of them, and the small value parsers shared by the other `config` modules.
//!
//! Parsers return `Err(reason)`; the collector pairs each reason with the variable's name and,
//! unless the variable is secret, its value.

use std::fmt;
use std::time::Duration;

use url::Url;

use super::env;

/// One bad variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable to change.
    pub variable: &'static str,
    /// The value seen, unless the variable is secret or unset.
    pub value: Option<String>,
    /// What is wrong and what is expected.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(
                f,
                "{}={value:?} is not valid: {}",
                self.variable, self.reason
            ),
            None => write!(f, "{}: {}", self.variable, self.reason),
        }
    }
}

/// Every problem found in one pass over the configuration.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        write!(f, "invalid configuration ({count} {noun}):")?;
        for error in &self.0 {
            write!(f, "\n  - {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects errors while each variable is parsed with its default.
#[derive(Default)]
pub(super) struct Errors(pub(super) Vec<ConfigError>);

impl Errors {
    /// Parses `raw` (or takes `default` when unset), recording a failure under `variable`;
    /// the failure repeats the value unless the variable is one of [`env::SECRETS`].
    pub(super) fn field<T>(
        &mut self,
        variable: &'static str,
        raw: &Option<String>,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        match raw.as_deref().map(str::trim) {
            None | Some("") => default,
            Some(text) => parse(text).unwrap_or_else(|reason| {
                // A URL's credentials are never repeated, whatever the variable.
                let shown =
                    (!env::SECRETS.contains(&variable)).then(|| backend_api_auth::redact_url(text));
                self.push(variable, shown, reason);
                default
            }),
        }
    }

    pub(super) fn push(
        &mut self,
        variable: &'static str,
        value: Option<String>,
        reason: impl Into<String>,
    ) {
        self.0.push(ConfigError {
            variable,
            value,
            reason: reason.into(),
        });
    }
}

pub(crate) fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

pub(super) fn http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text)
        .map_err(|error| format!("not a URL ({error}); example: http://frontend:3000"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http:// or https:// URL with a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL are not supported".into());
    }
    Ok(url)
}

/// Seconds as a number (fractions allowed) within `[min, max]`.
pub(super) fn seconds(text: &str, min: f64, max: f64) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && (min..=max).contains(&value) => {
            Ok(Duration::from_secs_f64(value))
        }
        _ => Err(format!("expected a number of seconds from {min} to {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(variable: &'static str) -> ConfigError {
        let mut errors = Errors::default();
        let raw = Some("value-that-is-refused".to_owned());
        errors.field(variable, &raw, (), |_| Err("refused".into()));
        errors.0.pop().expect("one error recorded")
    }

    #[test]
    fn errors_repeat_the_value_of_plain_variables_only() {
        assert_eq!(
            refused(env::PORT).value.as_deref(),
            Some("value-that-is-refused")
        );
        for secret in env::SECRETS {
            let error = refused(secret);
            assert_eq!(error.value, None, "{secret}");
            assert!(!error.to_string().contains("value-that-is-refused"));
        }
    }
}
