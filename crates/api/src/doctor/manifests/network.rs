//! NetworkPolicy egress versus what a workload must reach: DNS, and the host and port of every URL in
//! its environment (identity provider, database, …).
//!
//! Policies apply to the destination *pod* port, after the Service has translated its port; so a URL
//! on port 80 whose Service forwards to 8080 needs 8080 allowed (the back channel to an identity provider fails exactly so). Peers
//! (`to:` selectors) are not evaluated: this check is about ports.

use url::Url;

use super::model::{NetworkPolicy, Objects, PortRef, Service, Workload, same_namespace};
use super::targets;
use crate::doctor::codes::Code;
use crate::doctor::finding::Finding;

/// One place the workload connects to, taken from an environment variable.
struct Destination {
    variable: String,
    scheme: String,
    host: String,
    port: u16,
    /// The pod port behind the Service, when the input defines that Service.
    pod_port: Option<(u16, String)>,
}

impl Destination {
    fn port_to_allow(&self) -> u16 {
        self.pod_port.as_ref().map_or(self.port, |(port, _)| *port)
    }
}

pub(crate) fn check(objects: &Objects, workload: &Workload) -> Vec<Finding> {
    let policies: Vec<&NetworkPolicy> = objects
        .policies
        .iter()
        .filter(|p| {
            p.restricts_egress
                && same_namespace(&p.metadata, &workload.metadata)
                && p.pod_selector.matches(&workload.pod_labels)
        })
        .collect();
    if policies.is_empty() {
        return Vec::new();
    }
    let subject = format!("manifest {} egress", workload.describe());
    let names: Vec<&str> = policies.iter().map(|p| p.metadata.name.as_str()).collect();
    let names = names.join(", ");
    let allowed_text = describe_allowed(&policies);
    let mut findings = Vec::new();
    if !allows(&policies, 53, "UDP") && !allows(&policies, 53, "TCP") {
        findings.push(Finding::fail(
            Code::NpMissingDns,
            &subject,
            format!("NetworkPolicy {names} limits egress to {allowed_text}: no DNS (port 53)"),
            "allow egress on UDP and TCP port 53 to kube-dns (namespace kube-system, k8s-app: kube-dns); \
             without it no Service name resolves",
        ));
    }
    let destinations = destinations(objects, workload);
    for destination in &destinations {
        let port = destination.port_to_allow();
        if allows(&policies, port, "TCP") {
            continue;
        }
        let code = match destination.scheme.as_str() {
            "http" | "https" => Code::NpBlocksIdpPort,
            "postgres" | "postgresql" | "mysql" => Code::NpBlocksDbPort,
            _ => Code::NpBlocksPort,
        };
        let via = match &destination.pod_port {
            Some((pod_port, service)) if *pod_port != destination.port => format!(
                ", which Service {service} forwards to pod port {pod_port}; policies match the pod port, \
                 not the Service port"
            ),
            _ => String::new(),
        };
        findings.push(Finding::fail(
            code,
            &subject,
            format!(
                "NetworkPolicy {names} limits egress to {allowed_text}; {} connects to {}:{}{via}, so the \
                 connection is silently dropped",
                destination.variable, destination.host, destination.port
            ),
            format!(
                "add an egress rule allowing TCP {port} to {} in NetworkPolicy {}",
                destination.host, policies[0].metadata.name
            ),
        ));
    }
    if findings.is_empty() {
        let reached: Vec<String> = destinations
            .iter()
            .map(|d| format!("{} (port {})", d.variable, d.port_to_allow()))
            .collect();
        let unknown = targets::unknown(objects, workload);
        let unchecked = if unknown.is_empty() {
            String::new()
        } else {
            format!(
                "; not checked: {} (value not in this input, e.g. a Secret created with kubectl)",
                unknown.join(", ")
            )
        };
        findings.push(Finding::ok(
            Code::NpOk,
            &subject,
            format!(
                "NetworkPolicy {names} allows DNS{}{}{unchecked}",
                if reached.is_empty() { "" } else { " and " },
                reached.join(", ")
            ),
        ));
    }
    findings
}

/// Whether any egress rule of any policy lets TCP/UDP `port` out. A rule without `ports` allows all.
fn allows(policies: &[&NetworkPolicy], port: u16, protocol: &str) -> bool {
    policies.iter().flat_map(|p| &p.egress).any(|rule| {
        rule.ports.is_empty()
            || rule.ports.iter().any(|p| {
                let same_protocol = p
                    .protocol
                    .as_deref()
                    .unwrap_or("TCP")
                    .eq_ignore_ascii_case(protocol);
                let in_range = match &p.port {
                    None => true,
                    Some(PortRef::Number(first)) => {
                        *first == port
                            || p.end_port
                                .is_some_and(|last| (*first..=last).contains(&port))
                    }
                    // A named port is resolved on the destination pod, which we cannot see here.
                    Some(PortRef::Name(_)) => false,
                };
                same_protocol && in_range
            })
    })
}

fn describe_allowed(policies: &[&NetworkPolicy]) -> String {
    let mut parts = Vec::new();
    for rule in policies.iter().flat_map(|p| &p.egress) {
        if rule.ports.is_empty() {
            parts.push("all ports (to some peers)".to_owned());
        }
        for port in &rule.ports {
            let protocol = port.protocol.as_deref().unwrap_or("TCP");
            let number = match (&port.port, port.end_port) {
                (None, _) => "any".to_owned(),
                (Some(PortRef::Number(first)), Some(last)) => format!("{first}-{last}"),
                (Some(PortRef::Number(n)), None) => n.to_string(),
                (Some(PortRef::Name(name)), _) => name.clone(),
            };
            parts.push(format!("{protocol} {number}"));
        }
    }
    parts.dedup();
    if parts.is_empty() {
        "nothing".to_owned()
    } else {
        parts.join(", ")
    }
}

fn destinations(objects: &Objects, workload: &Workload) -> Vec<Destination> {
    let mut found = Vec::new();
    for target in targets::of(objects, workload) {
        let (Some(host), Some(port)) = (target.url.host_str(), default_port(&target.url)) else {
            continue;
        };
        if is_loopback(host) {
            continue;
        }
        let pod_port = service_for(objects, workload, host)
            .and_then(|s| pod_port(objects, s, port).map(|p| (p, s.metadata.name.clone())));
        found.push(Destination {
            variable: target.source,
            scheme: target.url.scheme().to_owned(),
            host: host.to_owned(),
            port,
            pod_port,
        });
    }
    found
}

fn default_port(url: &Url) -> Option<u16> {
    url.port_or_known_default().or(match url.scheme() {
        "postgres" | "postgresql" => Some(5432),
        "mysql" => Some(3306),
        "redis" | "rediss" => Some(6379),
        "amqp" => Some(5672),
        _ => None,
    })
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

/// The Service a cluster host name designates: `name`, `name.namespace`, `name.namespace.svc[.cluster.local]`.
pub(super) fn service_for<'a>(
    objects: &'a Objects,
    workload: &Workload,
    host: &str,
) -> Option<&'a Service> {
    let labels: Vec<&str> = host.split('.').collect();
    let namespace = match labels.as_slice() {
        [_] => workload.metadata.namespace.as_deref(),
        [_, namespace] | [_, namespace, "svc", ..] => Some(*namespace),
        _ => return None,
    };
    objects.services.iter().find(|s| {
        s.metadata.name == labels[0]
            && (s.metadata.namespace.is_none() || s.metadata.namespace.as_deref() == namespace)
    })
}

/// The port of the pods behind `service` for its `port`, following a named `targetPort` into the
/// containers the Service selects.
fn pod_port(objects: &Objects, service: &Service, port: u16) -> Option<u16> {
    let entry = service.ports.iter().find(|p| p.port == port)?;
    match &entry.target_port {
        None => Some(port),
        Some(PortRef::Number(target)) => Some(*target),
        Some(PortRef::Name(name)) => objects
            .workloads
            .iter()
            .filter(|w| {
                !service.selector.is_empty()
                    && service
                        .selector
                        .iter()
                        .all(|(k, v)| w.pod_labels.get(k) == Some(v))
            })
            .flat_map(|w| &w.spec.containers)
            .flat_map(|c| &c.ports)
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.container_port),
    }
}
