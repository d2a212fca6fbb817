//! DNS and TCP, the way an operator checks by hand (`nslookup`, `nc -z`): the first host of each
//! document once, and the issuer's public host when `internal_url` carries the back channel.
//! These come before the GET so that a finding names the step that failed.

use backend_api_auth::RedactedUrl;
use url::Url;

use super::Run;
use crate::doctor::codes::Code;
use crate::doctor::finding::Finding;
use crate::doctor::probe::{self, ProbeError};

impl Run<'_> {
    /// The issuer's public host matters to browsers; from here it only has to resolve when no
    /// `internal_url` carries the back channel.
    pub(super) async fn public_host(&mut self) {
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
                Code::DnsOk,
                subject,
                format!("{host} resolves to {}", addresses[0].ip()),
            )),
            Err(error) => self.findings.push(Finding::warn(
                Code::DnsUnresolvable,
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

    /// DNS and TCP of `url`'s host, once per host; false (with a finding) when it is unreachable.
    pub(super) async fn reachable(&mut self, url: &Url, subject: &str) -> bool {
        let Some((host, port)) = probe::host_port(url) else {
            self.findings.push(Finding::fail(
                Code::NetworkError,
                subject,
                format!("{} has no host", RedactedUrl::new(url)),
                "configure an http(s) URL with a host",
            ));
            return false;
        };
        if !self.probed_hosts.insert((host.clone(), port)) {
            return true;
        }
        self.reach(&host, port).await
    }

    /// The fix for a host that does not resolve. When it is the issuer's own (public) host and no
    /// `internal_url` redirects the back channel, that setting is the fix (the usual case: Keycloak's
    /// public name does not resolve inside the cluster); otherwise it is usually a wrong Service name.
    pub(super) fn unresolvable_fix(&self, host: &str) -> String {
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
                    Code::DnsUnresolvable,
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
            .push(Finding::ok(Code::DnsOk, subject, observed));
        let subject = self.subject(&format!("TCP {host}:{port}"));
        match probe::connect(&addresses, self.deadline).await {
            Ok(address) => {
                self.findings.push(Finding::ok(
                    Code::TcpOk,
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
}

/// The code and fix for a connection that did not open.
pub(super) fn network_failure(error: &ProbeError, host: &str, port: u16) -> (Code, String) {
    match error {
        ProbeError::Refused => (
            Code::TcpRefused,
            format!(
                "nothing listens on {host}:{port}: check the provider's pods are running and ready and the \
                 Service has endpoints (`kubectl get endpoints`), and the port in the URL"
            ),
        ),
        ProbeError::Timeout => (
            Code::TcpTimeout,
            format!(
                "packets to {host}:{port} are dropped: check NetworkPolicy egress allows TCP {port} (the pod \
                 port behind the Service) and any firewall"
            ),
        ),
        ProbeError::Unresolvable(_) => {
            (Code::DnsUnresolvable, format!("check the host name {host}"))
        }
        ProbeError::Other(_) => (
            Code::NetworkError,
            format!(
                "check the scheme (http vs https), TLS certificates and routing to {host}:{port}"
            ),
        ),
    }
}

pub(super) fn describe(error: &ProbeError) -> String {
    match error {
        ProbeError::Unresolvable(detail) => format!("name not resolved: {detail}"),
        ProbeError::Refused => "connection refused".to_owned(),
        ProbeError::Timeout => "no answer before the deadline".to_owned(),
        ProbeError::Other(detail) => detail.clone(),
    }
}
