//! The key set: fetched as the verifier fetches it, parsed with the core's `JwkSet` (a key the
//! verifier would not use is not counted here either), the algorithms it offers against the
//! provider's, its response time and the provider's clock; then the verifier's own load.

use std::time::{Duration, SystemTime};

use backend_api_auth::{Algorithm, Hop, JwkSet, RedactedUrl, Verifier};
use url::Url;

use super::{Document, Run};
use crate::doctor::codes::Code;
use crate::doctor::finding::Finding;
use crate::doctor::probe::{self, Deadline};

/// Above this, an answer is reported as slow (the verifier's own fetch timeout is a few seconds).
const SLOW_ANSWER: Duration = Duration::from_secs(2);

impl Run<'_> {
    pub(super) async fn jwks(&mut self, url: &Url) {
        let Some((url, hop, fetched)) = self.fetch(url, Document::Jwks).await else {
            return;
        };
        let url = &url;
        let shown = RedactedUrl::new(url);
        let subject = self.subject("JWKS");
        let elapsed = hop.elapsed;
        // The same parse as the verifier's: a key it would not use is not counted here either.
        match JwkSet::from_json(&fetched.body) {
            Ok(set) if set.is_empty() && set.rejected().is_empty() => self.findings.push(Finding::fail(
                Code::JwksEmpty,
                subject,
                format!("GET {shown} -> {{\"keys\": []}}: no key to verify with"),
                "the provider has not generated signing keys yet: Better Auth creates them on the first token \
                 (sign in once) in its jwks table; check the frontend logs, then restart the frontend",
            )),
            Ok(set) if set.is_empty() => self.findings.push(Finding::fail(
                Code::KeysNoUsableAlg,
                subject,
                format!("GET {shown}: no usable signing key ({})", unusable(&set)),
                "publish asymmetric signing keys (OKP Ed25519, EC P-256/384/521, RSA >= 2048 with exponent \
                 65537) with use=sig",
            )),
            Err(error) => self.findings.push(Finding::fail(
                Code::JwksNotJson,
                subject,
                format!(
                    "GET {shown} -> 200 {}: {error}",
                    hop.content_type.as_deref().unwrap_or("without Content-Type")
                ),
                "point the JWKS URL at the key set itself (a JSON object with a \"keys\" array)",
            )),
            Ok(set) => self.keys(url, &set, elapsed),
        }
        if elapsed > SLOW_ANSWER {
            self.findings.push(Finding::warn(
                Code::JwksSlow,
                self.subject("JWKS response time"),
                format!("GET {shown} took {} ms", elapsed.as_millis()),
                "the provider is slow: check its load; keys are cached, but a slow fetch delays the first \
                 requests and unknown-kid refreshes",
            ));
        }
    }

    fn keys(&mut self, url: &Url, set: &JwkSet, elapsed: Duration) {
        let shown = RedactedUrl::new(url);
        let allowed = self.provider.allowed_algorithms();
        let mut offered: Vec<Algorithm> = Vec::new();
        for algorithm in set.keys().iter().flat_map(|k| k.algorithms()) {
            if !offered.contains(&algorithm) {
                offered.push(algorithm);
            }
        }
        let usable: Vec<&str> = offered
            .iter()
            .filter(|a| allowed.contains(a))
            .map(|a| a.as_str())
            .collect();
        let names = |algorithms: &mut dyn Iterator<Item = &Algorithm>| {
            algorithms
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let subject = self.subject("JWKS");
        if usable.is_empty() {
            self.findings.push(Finding::fail(
                Code::KeysNoUsableAlg,
                subject,
                format!(
                    "the {} key(s) at {shown} verify only {}; this provider allows {}",
                    set.len(),
                    names(&mut offered.iter()),
                    names(&mut allowed.iter())
                ),
                "add the provider's signing algorithm to `algorithms` (Better Auth signs EdDSA by default), or \
                 configure the provider to sign with an allowed one",
            ));
            return;
        }
        let mut observed = format!(
            "GET {shown}: {} key(s) [{}] for {} in {} ms",
            set.len(),
            set.key_ids().join(", "),
            usable.join(", "),
            elapsed.as_millis()
        );
        if !set.rejected().is_empty() {
            observed.push_str(&format!("; unusable, never used: {}", unusable(set)));
        }
        self.findings
            .push(Finding::ok(Code::JwksOk, subject, observed));
    }

    /// Compares the provider's `Date` header with this machine's clock, once per provider.
    pub(super) fn clock(&mut self, answer: &Hop) {
        let Some(server) = answer.date else { return };
        if std::mem::replace(&mut self.clock_checked, true) {
            return;
        }
        let skew = probe::clock_skew_seconds(server, SystemTime::now());
        // `Date` has one-second resolution and was produced up to `elapsed` ago.
        let slack = answer.elapsed.as_secs() as i64 + 1;
        let leeway = self.provider.leeway.as_secs() as i64;
        let subject = self.subject("clock");
        let direction = if skew > 0 { "ahead of" } else { "behind" };
        if skew.abs() - slack > leeway {
            self.findings.push(Finding::fail(
                Code::ClockSkew,
                subject,
                format!(
                    "the provider's clock is {} s {direction} this machine's (Date header), more than the {leeway} s \
                     leeway: fresh tokens look {}",
                    skew.abs(),
                    if skew > 0 { "not yet valid" } else { "expired" }
                ),
                "synchronise both clocks (NTP on the nodes; minikube: `minikube stop && minikube start`); raising \
                 JWT_LEEWAY_SECONDS only hides it",
            ));
        } else {
            self.findings.push(Finding::ok(
                Code::ClockOk,
                subject,
                format!("clocks agree within {} s (leeway {leeway} s)", skew.abs()),
            ));
        }
    }
}

/// After the probes passed: the service's verifier fetches the keys itself, so `jwks_ok` is also
/// what the running service will see.
pub(crate) async fn verifier_loads_keys(
    verifier: &Verifier,
    provider: &str,
    deadline: Deadline,
) -> Finding {
    let subject = format!("provider {provider}: verifier");
    match tokio::time::timeout(deadline.remaining(), verifier.refresh(provider)).await {
        Err(_) => Finding::fail(
            Code::DoctorTimeout,
            subject,
            "the verifier did not finish fetching the keys before the deadline",
            "raise --timeout",
        ),
        Ok(Err(error)) => Finding::fail(
            Code::Refused(error.reason()),
            subject,
            error.message().to_owned(),
            error
                .hint()
                .unwrap_or("see the provider findings above")
                .to_owned(),
        ),
        Ok(Ok(())) => {
            let status = verifier.status().into_iter().find(|s| s.name == provider);
            if let Some(problem) = status
                .as_ref()
                .and_then(backend_api_auth::ProviderStatus::problem)
            {
                return Finding::fail(
                    Code::KeysNoUsableAlg,
                    subject,
                    problem,
                    "the provider must publish at least one usable signing key; see the JWKS finding above",
                );
            }
            let (count, url) = status.map_or((0, None), |s| (s.key_count, s.jwks_url));
            Finding::ok(
                Code::KeysLoaded,
                subject,
                format!(
                    "the service's verifier loaded {count} key(s) from {}",
                    url.as_deref().unwrap_or("its key source")
                ),
            )
        }
    }
}

/// Each key the verifier will not use, with why: `kid: reason; …`.
fn unusable(set: &JwkSet) -> String {
    set.rejected()
        .iter()
        .map(|r| format!("{}: {}", r.kid.as_deref().unwrap_or("(no kid)"), r.reason))
        .collect::<Vec<_>>()
        .join("; ")
}
