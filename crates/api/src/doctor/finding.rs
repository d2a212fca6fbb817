//! The result of one check: a stable code, a severity, what was checked, what was seen and how to fix it.
//!
//! This is the unit every doctor check produces and every renderer consumes; the codes themselves are
//! listed in `codes.rs` so that scripts and the README can rely on them.

use serde::Serialize;

use super::codes::Code;

/// How bad a finding is. Only `Fail` makes `doctor` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Ok,
    Warn,
    Fail,
}

impl Severity {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warn => "warn",
            Severity::Fail => "FAIL",
        }
    }
}

/// One observation. `fix` is `None` for passing checks; the JSON shape keeps the key (as `null`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Finding {
    pub(crate) code: Code,
    pub(crate) severity: Severity,
    pub(crate) check: String,
    pub(crate) observed: String,
    pub(crate) fix: Option<String>,
}

impl Finding {
    pub(crate) fn ok(code: Code, check: impl Into<String>, observed: impl Into<String>) -> Self {
        Finding {
            code,
            severity: Severity::Ok,
            check: check.into(),
            observed: observed.into(),
            fix: None,
        }
    }

    pub(crate) fn warn(
        code: Code,
        check: impl Into<String>,
        observed: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding::ok(code, check, observed).needing(Severity::Warn, fix)
    }

    pub(crate) fn fail(
        code: Code,
        check: impl Into<String>,
        observed: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding::ok(code, check, observed).needing(Severity::Fail, fix)
    }

    /// Turns a passing finding into one of `severity` that `fix` resolves.
    fn needing(self, severity: Severity, fix: impl Into<String>) -> Self {
        Finding {
            severity,
            fix: Some(fix.into()),
            ..self
        }
    }
}

/// Everything one `doctor` run found, in the order the checks ran.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) findings: Vec<Finding>,
}

impl Report {
    pub(crate) fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Fail)
    }

    pub(crate) fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}
