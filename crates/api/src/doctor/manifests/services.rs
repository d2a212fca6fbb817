//! URLs in a workload's environment that name a cluster Service the input does not define: the
//! the classic "DNS resolution failed | wrong service name (`frontend-service` instead of `frontend`)".

use super::model::{Objects, Workload};
use super::network::service_for;
use super::targets;
use crate::doctor::codes::Code;
use crate::doctor::finding::Finding;

pub(crate) fn check(objects: &Objects, workload: &Workload) -> Vec<Finding> {
    // Without any Service in the input (a single Deployment), absence proves nothing.
    if objects.services.is_empty() {
        return Vec::new();
    }
    let known: Vec<&str> = objects
        .services
        .iter()
        .map(|s| s.metadata.name.as_str())
        .collect();
    let mut findings = Vec::new();
    for target in targets::of(objects, workload) {
        let Some(host) = target.url.host_str() else {
            continue;
        };
        if !names_a_service(objects, host) || service_for(objects, workload, host).is_some() {
            continue;
        }
        let name = host.split('.').next().unwrap_or(host);
        findings.push(Finding::warn(
            Code::ServiceNotInInput,
            format!("manifest {}", workload.describe()),
            format!(
                "{} points at {host}, but no Service {name} is defined in this input (Services: {})",
                target.source,
                known.join(", ")
            ),
            format!(
                "use the Service's exact name (`kubectl get svc`); if {name} lives in another release, \
                 ignore this"
            ),
        ));
    }
    findings
}

/// `frontend` (this namespace) or `name.namespace.svc[.cluster.local]` for a namespace the input
/// has Services in: names whose Service the input should then define. Public names, IP addresses
/// and other namespaces prove nothing by their absence.
fn names_a_service(objects: &Objects, host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() || host == "localhost" {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        [_] => true,
        [_, namespace, "svc", ..] => objects
            .services
            .iter()
            .any(|s| s.metadata.namespace.as_deref() == Some(*namespace)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_the_input_should_define_are_considered() {
        let objects = Objects::parse(
            "kind: Service\nmetadata: {name: keycloak, namespace: identity}\nspec: {ports: [{port: 80}]}\n",
        )
        .expect("yaml");
        assert!(names_a_service(&objects, "frontend"));
        assert!(names_a_service(&objects, "kc.identity.svc"));
        assert!(names_a_service(&objects, "kc.identity.svc.cluster.local"));
        assert!(!names_a_service(&objects, "kc.other.svc"));
        assert!(!names_a_service(&objects, "id.example.com"));
        assert!(!names_a_service(&objects, "10.0.0.1"));
        assert!(!names_a_service(&objects, "localhost"));
    }
}
