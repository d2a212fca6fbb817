//! Identity-provider checks, per provider: DNS of every host (public and internal), TCP connect, the
//! discovery document and the JWKS (status, redirect, HTML, JSON, empty), keys usable for the allowed
//! algorithms, response time, and clock skew from the `Date` header.
//!
//! It probes exactly the URLs the verifier fetches (`ProviderConfig::jwks_url`, `discovery_url`,
//! `back_channel`) and parses keys with the core's `JwkSet`, so a verdict here is the verifier's.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use backend_api_auth::{
    Algorithm, FetchSettings, JwkSet, KeySource, MAX_REDIRECTS, ProviderConfig, RedactedUrl,
    Verifier, redact_url, redirect_refusal,
};
use serde_json::Value;
use url::Url;

use super::codes;
use super::finding::Finding;
use super::probe::{self, Deadline, HttpAnswer, ProbeError};

/// Above this, an answer is reported as slow (the verifier's own fetch timeout is a few seconds).
const SLOW_ANSWER: Duration = Duration::from_secs(2);

/// Runs every check of one provider.
pub(crate) async fn check(
    provider: &ProviderConfig,
    client: &reqwest::Client,
    deadline: Deadline,
) -> Vec<Finding> {
    let mut run = Run {
        provider,
        client,
        deadline,
        findings: Vec::new(),
        probed_hosts: BTreeSet::new(),
        clock_checked: false,
        max_body: FetchSettings::default().max_body_bytes,
    };
    run.public_host().await;
    let jwks_url = match &provider.keys {
        KeySource::JwksUrl(url) => Some(provider.back_channel(url)),
        KeySource::Discovery => run.discovery().await,
        KeySource::Static(_) => None,
    };
    if let Some(url) = jwks_url {
        run.jwks(&url).await;
    }
    run.findings
}

struct Run<'a> {
    provider: &'a ProviderConfig,
    client: &'a reqwest::Client,
    deadline: Deadline,
    findings: Vec<Finding>,
    /// Hosts already resolved and connected to, so two documents on one host give one DNS finding.
    probed_hosts: BTreeSet<(String, u16)>,
    clock_checked: bool,
    /// The verifier reads no more than this; a larger document fails there too.
    max_body: usize,
}

/// The document being fetched, for codes and wording.
#[derive(Clone, Copy, PartialEq)]
enum Document {
    Discovery,
    Jwks,
}

impl Document {
    fn redirect_code(self) -> &'static str {
        match self {
            Document::Discovery => codes::DISCOVERY_REDIRECT,
            Document::Jwks => codes::JWKS_REDIRECT,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Document::Discovery => "discovery document",
            Document::Jwks => "JWKS",
        }
    }
}

impl Run<'_> {
    fn subject(&self, what: &str) -> String {
        format!("provider {}: {what}", self.provider.name)
    }

    /// The issuer's public host matters to browsers; from here it only has to resolve when no
    /// `internal_url` carries the back channel.
    async fn public_host(&mut self) {
        let Some(internal) = &self.provider.internal_url else {
            return;
        };
        let Some((host, port)) = Url::parse(&self.provider.issuer)
            .ok()
            .as_ref()
            .and_then(probe::host_port)
        else {
            return;
        };
        let subject = self.subject(&format!("DNS {host} (public issuer host)"));
        match probe::resolve(&host, port, self.deadline).await {
            Ok(addresses) => self.findings.push(Finding::ok(
                codes::DNS_OK,
                subject,
                format!("{host} resolves to {}", addresses[0].ip()),
            )),
            Err(error) => self.findings.push(Finding::warn(
                codes::DNS_UNRESOLVABLE,
                subject,
                format!(
                    "{host} does not resolve from here ({}); keys are fetched through internal_url {}",
                    describe(&error),
                    RedactedUrl::new(internal)
                ),
                format!("nothing to do if browsers resolve {host}; otherwise publish it or change the issuer"),
            )),
        }
    }

    /// DNS, then TCP, then GET, following redirects as the verifier does (the core's
    /// `redirect_refusal`: at most `MAX_REDIRECTS`, never https -> http), with a finding for
    /// the first step that fails and a warning for a redirect. Returns the final URL and its answer.
    async fn fetch(&mut self, url: &Url, document: Document) -> Option<(Url, HttpAnswer)> {
        let shown = RedactedUrl::new(url);
        let mut chain = vec![url.clone()];
        let mut answer = self.get(url, document).await?;
        while answer.is_redirect() {
            let current = chain.last().expect("the chain starts with the first URL");
            let Some(next) = answer
                .location
                .as_deref()
                .and_then(|l| current.join(l).ok())
            else {
                break;
            };
            if chain.len() > MAX_REDIRECTS {
                // Reported by `http_problem` as a redirect that never ends.
                break;
            }
            if let Some(refusal) = redirect_refusal(&chain, &next) {
                self.findings.push(Finding::fail(
                    document.redirect_code(),
                    self.subject(document.label()),
                    format!("GET {shown}: {refusal}"),
                    "configure the final https URL: the service refuses this redirect too, so no key is \
                     ever fetched from it",
                ));
                return None;
            }
            chain.push(next.clone());
            answer = self.get(&next, document).await?;
        }
        let current = chain
            .last()
            .expect("the chain starts with the first URL")
            .clone();
        if chain.len() > 1 && !answer.is_redirect() {
            let hops: Vec<String> = chain[1..]
                .iter()
                .map(|u| RedactedUrl::new(u).to_string())
                .collect();
            self.findings.push(Finding::warn(
                document.redirect_code(),
                self.subject(document.label()),
                format!("GET {shown} redirects to {}", hops.join(" -> ")),
                format!(
                    "configure the final URL {}: every fetch pays the extra round trip, and a \
                     redirect that later points at a login page breaks verification",
                    RedactedUrl::new(&current)
                ),
            ));
        }
        Some((current, answer))
    }

    /// DNS and TCP (once per host), then one GET.
    async fn get(&mut self, url: &Url, document: Document) -> Option<HttpAnswer> {
        let shown = RedactedUrl::new(url);
        let Some((host, port)) = probe::host_port(url) else {
            self.findings.push(Finding::fail(
                codes::NETWORK_ERROR,
                self.subject(document.label()),
                format!("{shown} has no host"),
                "configure an http(s) URL with a host",
            ));
            return None;
        };
        if self.probed_hosts.insert((host.clone(), port)) && !self.reach(&host, port).await {
            return None;
        }
        let subject = self.subject(document.label());
        match probe::get(self.client, url, self.deadline, self.max_body).await {
            Ok(answer) => Some(answer),
            Err(ProbeError::Timeout) => {
                self.findings.push(Finding::fail(
                    codes::HTTP_TIMEOUT,
                    subject,
                    format!("GET {shown}: connected, but no answer before the deadline"),
                    format!(
                        "the provider at {host}:{port} is overloaded or hanging: check its pods and logs \
                         (raise --timeout to see how slow it is)"
                    ),
                ));
                None
            }
            Err(error) => {
                let (code, fix) = network_failure(&error, &host, port);
                self.findings.push(Finding::fail(
                    code,
                    subject,
                    format!("GET {shown}: {}", describe(&error)),
                    fix,
                ));
                None
            }
        }
    }

    /// The fix for a host that does not resolve. When it is the issuer's own (public) host and no
    /// `internal_url` redirects the back channel, that setting is the fix (seed 002: Keycloak's
    /// public name does not resolve inside the cluster); otherwise it is usually a wrong Service name.
    fn unresolvable_fix(&self, host: &str) -> String {
        let issuer_host = Url::parse(&self.provider.issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        // Better Auth's provider names its setting (BETTER_AUTH_ISSUER): its host comes from
        // BETTER_AUTH_URL, which already is the in-cluster address, so the Service-name fix applies.
        let from_providers_file = self.provider.issuer_setting.is_none();
        if from_providers_file
            && self.provider.internal_url.is_none()
            && issuer_host.as_deref() == Some(host)
        {
            return format!(
                "{host} is the issuer's public host: set internal_url = \"http://<service>.<namespace>.svc\" \
                 for provider {} in AUTH_PROVIDERS_FILE so back-channel requests (discovery, JWKS) go to the \
                 in-cluster address, or make {host} resolvable from the pod",
                self.provider.name
            );
        }
        format!(
            "use the Kubernetes Service name (`kubectl get svc`; e.g. `frontend`, not \
             `frontend-service`), or <service>.<namespace>.svc from another namespace; \
             check that egress to DNS (port 53) is allowed; test with `nslookup {host}` from the pod"
        )
    }

    /// Resolves and connects; pushes the findings; true when the host is reachable.
    async fn reach(&mut self, host: &str, port: u16) -> bool {
        let subject = self.subject(&format!("DNS {host}"));
        let addresses = match probe::resolve(host, port, self.deadline).await {
            Ok(addresses) => addresses,
            Err(error) => {
                let fix = self.unresolvable_fix(host);
                self.findings.push(Finding::fail(
                    codes::DNS_UNRESOLVABLE,
                    subject,
                    format!("{host} does not resolve ({})", describe(&error)),
                    fix,
                ));
                return false;
            }
        };
        let observed = if host.parse::<std::net::IpAddr>().is_ok() {
            format!("{host} is an IP address: no lookup needed")
        } else {
            let ips: Vec<String> = addresses.iter().map(|a| a.ip().to_string()).collect();
            format!("{host} resolves to {}", ips.join(", "))
        };
        self.findings
            .push(Finding::ok(codes::DNS_OK, subject, observed));
        let subject = self.subject(&format!("TCP {host}:{port}"));
        match probe::connect(&addresses, self.deadline).await {
            Ok(address) => {
                self.findings.push(Finding::ok(
                    codes::TCP_OK,
                    subject,
                    format!("connected to {address}"),
                ));
                true
            }
            Err(error) => {
                let (code, fix) = network_failure(&error, host, port);
                self.findings
                    .push(Finding::fail(code, subject, describe(&error), fix));
                false
            }
        }
    }

    /// Problems common to both documents: redirect, status, HTML. `None` when the answer is a 200
    /// that is not HTML.
    fn http_problem(&self, url: &Url, document: Document, answer: &HttpAnswer) -> Option<Finding> {
        let shown = RedactedUrl::new(url);
        let subject = self.subject(document.label());
        let code = |jwks: &'static str| match document {
            Document::Jwks => jwks,
            Document::Discovery => codes::DISCOVERY_INVALID,
        };
        if answer.is_redirect() {
            let location = answer.location.as_deref().unwrap_or("(no Location)");
            return Some(Finding::fail(
                document.redirect_code(),
                subject,
                format!(
                    "GET {shown} -> {} redirect to {location}, still redirecting after {MAX_REDIRECTS} \
                     hops (the service gives up there)",
                    answer.status
                ),
                "configure the final URL; a redirect to a login page means this path is behind authentication \
                 or is not the key endpoint",
            ));
        }
        if answer.status == 404 {
            return Some(Finding::fail(
                code(codes::JWKS_NOT_FOUND),
                subject,
                format!("GET {shown} -> 404 Not Found"),
                self.not_found_fix(url, document),
            ));
        }
        if answer.status != 200 {
            return Some(Finding::fail(
                code(codes::JWKS_HTTP_STATUS),
                subject,
                format!("GET {shown} -> HTTP {}", answer.status),
                "the provider answered with an error: check its pods and logs",
            ));
        }
        if answer.is_html() {
            return Some(Finding::fail(
                code(codes::JWKS_HTML),
                subject,
                format!(
                    "GET {shown} -> 200 but HTML ({}), a login or error page, not a {}",
                    answer.content_type.as_deref().unwrap_or("no Content-Type"),
                    document.label()
                ),
                self.not_found_fix(url, document),
            ));
        }
        None
    }

    fn not_found_fix(&self, url: &Url, document: Document) -> String {
        let shown = RedactedUrl::new(url);
        match document {
            Document::Discovery => format!(
                "{shown} is not this provider's discovery document: check the issuer (realm name, path) or \
                 configure jwks_url instead of discovery"
            ),
            Document::Jwks if self.provider.name == "better-auth" => {
                let mut expected = url.clone();
                expected.set_path("/api/auth/jwks");
                format!(
                    "Better Auth serves its keys at /api/auth/jwks when the jwt plugin is enabled (route \
                     app/api/auth/[...all]/route.ts): set BETTER_AUTH_JWKS_URL={} or unset it",
                    RedactedUrl::new(&expected)
                )
            }
            Document::Jwks => "use the jwks_uri the provider publishes in its discovery document \
                               (set discovery = true in the providers file)"
                .to_owned(),
        }
    }

    /// Reads the discovery document; returns the `jwks_uri` the verifier would use.
    async fn discovery(&mut self) -> Option<Url> {
        let subject = self.subject("discovery document");
        let url = match self.provider.discovery_url() {
            Ok(url) => url,
            Err(error) => {
                self.findings.push(Finding::fail(
                    codes::DISCOVERY_INVALID,
                    subject,
                    error,
                    "set an http(s) issuer URL",
                ));
                return None;
            }
        };
        let (url, answer) = self.fetch(&url, Document::Discovery).await?;
        let shown = RedactedUrl::new(&url);
        self.clock(&answer);
        if let Some(problem) = self.http_problem(&url, Document::Discovery, &answer) {
            self.findings.push(problem);
            return None;
        }
        let invalid = |observed: String| {
            Finding::fail(
                codes::DISCOVERY_INVALID,
                &subject,
                observed,
                "check the issuer URL, or configure jwks_url instead of discovery",
            )
        };
        let document: Value = match serde_json::from_slice(&answer.body) {
            Ok(document) => document,
            Err(error) => {
                self.findings
                    .push(invalid(format!("GET {shown} -> not JSON ({error})")));
                return None;
            }
        };
        let Some(jwks_uri) = document
            .get("jwks_uri")
            .and_then(Value::as_str)
            .and_then(|u| Url::parse(u).ok())
        else {
            self.findings
                .push(invalid(format!("{shown} has no valid jwks_uri")));
            return None;
        };
        let jwks_url = self.provider.back_channel(&jwks_uri);
        self.findings.push(Finding::ok(
            codes::DISCOVERY_OK,
            &subject,
            format!(
                "{shown} -> jwks_uri {} (fetched as {})",
                RedactedUrl::new(&jwks_uri),
                RedactedUrl::new(&jwks_url)
            ),
        ));
        self.advertised_issuer(&document, &url);
        self.front_channel(&document).await;
        Some(jwks_url)
    }

    fn advertised_issuer(&mut self, document: &Value, url: &Url) {
        let shown = RedactedUrl::new(url);
        let Some(advertised) = document.get("issuer").and_then(Value::as_str) else {
            return;
        };
        if advertised == self.provider.issuer {
            return;
        }
        self.findings.push(Finding::warn(
            codes::ISSUER_MISMATCH,
            self.subject("issuer"),
            format!(
                "{shown} advertises issuer {advertised}, the configured issuer is {}; tokens are matched on the \
                 configured one",
                redact_url(&self.provider.issuer)
            ),
            format!(
                "if tokens carry iss={advertised}, set issuer to it (and internal_url for the back channel); \
                 Keycloak: fix its hostname (KC_HOSTNAME) so the issuer does not depend on the URL used"
            ),
        ));
    }

    /// The endpoints a browser is sent to must resolve (seed 002: `id.kubernetes.local`).
    async fn front_channel(&mut self, document: &Value) {
        let mut hosts = BTreeSet::new();
        for field in ["issuer", "authorization_endpoint", "end_session_endpoint"] {
            if let Some((host, port)) = document
                .get(field)
                .and_then(Value::as_str)
                .and_then(|u| Url::parse(u).ok())
                .as_ref()
                .and_then(probe::host_port)
            {
                hosts.insert((host, port, field));
            }
        }
        let mut seen = BTreeSet::new();
        for (host, port, field) in hosts {
            if !seen.insert(host.clone()) {
                continue;
            }
            if let Err(error) = probe::resolve(&host, port, self.deadline).await {
                self.findings.push(Finding::warn(
                    codes::DISCOVERY_UNRESOLVABLE_ISSUER,
                    self.subject("front channel"),
                    format!(
                        "the discovery document's {field} sends browsers to {host}, which does not resolve from \
                         here ({})",
                        describe(&error)
                    ),
                    format!(
                        "give the provider a public hostname that browsers resolve (Keycloak: KC_HOSTNAME) and \
                         keep the in-cluster URL for the back channel (internal_url); {host} must resolve \
                         where users' browsers run"
                    ),
                ));
            }
        }
    }

    async fn jwks(&mut self, url: &Url) {
        let Some((url, answer)) = self.fetch(url, Document::Jwks).await else {
            return;
        };
        let url = &url;
        let shown = RedactedUrl::new(url);
        self.clock(&answer);
        if let Some(problem) = self.http_problem(url, Document::Jwks, &answer) {
            self.findings.push(problem);
            return;
        }
        let subject = self.subject("JWKS");
        let elapsed = answer.elapsed;
        if answer.truncated {
            self.findings.push(Finding::fail(
                codes::JWKS_NOT_JSON,
                subject,
                format!(
                    "GET {shown} returned more than {} bytes, the most the verifier reads",
                    self.max_body
                ),
                "point the JWKS URL at the key set itself; a real key set is a few KiB",
            ));
            return;
        }
        // The same parse as the verifier's: a key it would not use is not counted here either.
        match JwkSet::from_json(&answer.body) {
            Ok(set) if set.is_empty() && set.rejected().is_empty() => self.findings.push(Finding::fail(
                codes::JWKS_EMPTY,
                subject,
                format!("GET {shown} -> {{\"keys\": []}}: no key to verify with"),
                "the provider has not generated signing keys yet: Better Auth creates them on the first token \
                 (sign in once) in its jwks table; check the frontend logs, then restart the frontend",
            )),
            Ok(set) if set.is_empty() => self.findings.push(Finding::fail(
                codes::KEYS_NO_USABLE_ALG,
                subject,
                format!("GET {shown}: no usable signing key ({})", unusable(&set)),
                "publish asymmetric signing keys (OKP Ed25519, EC P-256/384/521, RSA >= 2048 with exponent \
                 65537) with use=sig",
            )),
            Err(error) => self.findings.push(Finding::fail(
                codes::JWKS_NOT_JSON,
                subject,
                format!(
                    "GET {shown} -> 200 {}: {error}",
                    answer.content_type.as_deref().unwrap_or("without Content-Type")
                ),
                "point the JWKS URL at the key set itself (a JSON object with a \"keys\" array)",
            )),
            Ok(set) => self.keys(url, &set, elapsed),
        }
        if elapsed > SLOW_ANSWER {
            self.findings.push(Finding::warn(
                codes::JWKS_SLOW,
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
                codes::KEYS_NO_USABLE_ALG,
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
            .push(Finding::ok(codes::JWKS_OK, subject, observed));
    }

    /// Compares the provider's `Date` header with this machine's clock, once per provider.
    fn clock(&mut self, answer: &HttpAnswer) {
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
                codes::CLOCK_SKEW,
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
                codes::CLOCK_OK,
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
            codes::DOCTOR_TIMEOUT,
            subject,
            "the verifier did not finish fetching the keys before the deadline",
            "raise --timeout",
        ),
        Ok(Err(error)) => Finding::fail(
            error.reason().code(),
            subject,
            error.message().to_owned(),
            error
                .hint()
                .unwrap_or("see the provider findings above")
                .to_owned(),
        ),
        Ok(Ok(())) => {
            let status = verifier.status().into_iter().find(|s| s.name == provider);
            if let Some(problem) = status.as_ref().and_then(|s| s.problem()) {
                return Finding::fail(
                    codes::KEYS_NO_USABLE_ALG,
                    subject,
                    problem,
                    "the provider must publish at least one usable signing key; see the JWKS finding above",
                );
            }
            let (count, url) = status.map_or((0, None), |s| (s.key_count, s.jwks_url));
            Finding::ok(
                codes::KEYS_LOADED,
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

/// The code and fix for a connection that did not open.
fn network_failure(error: &ProbeError, host: &str, port: u16) -> (&'static str, String) {
    match error {
        ProbeError::Refused => (
            codes::TCP_REFUSED,
            format!(
                "nothing listens on {host}:{port}: check the provider's pods are running and ready and the \
                 Service has endpoints (`kubectl get endpoints`), and the port in the URL"
            ),
        ),
        ProbeError::Timeout => (
            codes::TCP_TIMEOUT,
            format!(
                "packets to {host}:{port} are dropped: check NetworkPolicy egress allows TCP {port} (the pod \
                 port behind the Service) and any firewall"
            ),
        ),
        ProbeError::Unresolvable(_) => (
            codes::DNS_UNRESOLVABLE,
            format!("check the host name {host}"),
        ),
        ProbeError::Other(_) => (
            codes::NETWORK_ERROR,
            format!(
                "check the scheme (http vs https), TLS certificates and routing to {host}:{port}"
            ),
        ),
    }
}

fn describe(error: &ProbeError) -> String {
    match error {
        ProbeError::Unresolvable(detail) => format!("name not resolved: {detail}"),
        ProbeError::Refused => "connection refused".to_owned(),
        ProbeError::Timeout => "no answer before the deadline".to_owned(),
        ProbeError::Other(detail) => detail.clone(),
    }
}
