//! A verification decision written down step by step, for `doctor token`.
//! The steps are recorded by the same code path as `verify`, so the
//! explanation cannot drift from the real decision.

use serde_json::Value;

use crate::error::AuthError;
use crate::verified::VerifiedToken;

/// How one step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// The check passed.
    Pass,
    /// The check refused the token (the last recorded step).
    Fail,
    /// The check does not apply (e.g. no audience configured).
    Skipped,
}

/// One check of the decision.
#[derive(Debug, Clone)]
pub struct Step {
    /// Short stable name: `decode`, `issuer`, `algorithm`, `key`, `signature`, `exp`, …
    pub name: &'static str,
    /// How it went.
    pub outcome: StepOutcome,
    /// What was seen, in words.
    pub detail: String,
}

/// The whole decision on one token.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The decoded header, if the token could be decoded.
    pub header: Option<Value>,
    /// The decoded (unverified unless the verdict is Ok) claims.
    pub claims: Option<Value>,
    /// The provider the token was routed to.
    pub provider: Option<String>,
    /// The checks in order.
    pub steps: Vec<Step>,
    /// The same result `verify` would give.
    pub verdict: Result<VerifiedToken, AuthError>,
}

/// Collects steps and decoded parts while the verifier runs. Disabled for
/// plain `verify`, where it records nothing and allocates nothing.
#[derive(Default)]
pub(crate) struct Trace {
    enabled: bool,
    pub steps: Vec<Step>,
    pub header: Option<Value>,
    pub claims: Option<Value>,
    pub provider: Option<String>,
}

impl Trace {
    pub(crate) fn recording() -> Self {
        Trace {
            enabled: true,
            ..Trace::default()
        }
    }

    pub(crate) fn is_recording(&self) -> bool {
        self.enabled
    }

    pub(crate) fn step(
        &mut self,
        name: &'static str,
        outcome: StepOutcome,
        detail: impl FnOnce() -> String,
    ) {
        if self.enabled {
            self.steps.push(Step {
                name,
                outcome,
                detail: detail(),
            });
        }
    }

    pub(crate) fn pass(&mut self, name: &'static str, detail: impl FnOnce() -> String) {
        self.step(name, StepOutcome::Pass, detail);
    }

    /// Records the failing step (message and hint) and hands the error back.
    pub(crate) fn fail(
        &mut self,
        name: &'static str,
        error: crate::error::AuthError,
    ) -> crate::error::AuthError {
        self.step(name, StepOutcome::Fail, || match error.hint() {
            Some(hint) => format!(
                "{}: {} (fix: {hint})",
                error.reason().code(),
                error.message()
            ),
            None => format!("{}: {}", error.reason().code(), error.message()),
        });
        error
    }
}
