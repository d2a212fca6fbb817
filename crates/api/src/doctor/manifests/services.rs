//! URLs in a workload's environment that name a cluster Service the input does not define: the
//! seeds' "DNS resolution failed | wrong service name (`frontend-service` instead of `frontend`)".

use url::Url;

use super::model::{Objects, Workload};
use super::network::service_for;
use super::references;
use crate::doctor::codes;
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
    for container in workload
        .spec
        .containers
        .iter()
        .chain(&workload.spec.init_containers)
    {
        for var in &container.env {
            let Some(url) =
                references::resolve(objects, workload, var).and_then(|v| Url::parse(v.trim()).ok())
            else {
                continue;
            };
            let Some(host) = url.host_str() else { continue };
            if !names_a_service(host) || service_for(objects, workload, host).is_some() {
                continue;
            }
            let name = host.split('.').next().unwrap_or(host);
            findings.push(Finding::warn(
                codes::SERVICE_NOT_IN_INPUT,
                format!("manifest {} container {}", workload.describe(), container.name),
                format!(
                    "{} points at {host}, but no Service {name} is defined in this input (Services: {})",
                    var.name,
                    known.join(", ")
                ),
                format!("use the Service's exact name (`kubectl get svc`); if {name} lives in another release, ignore this"),
            ));
        }
    }
    findings
}

/// `frontend`, `frontend.web`, `frontend.web.svc[.cluster.local]`: names cluster DNS answers for a
/// Service. Dotted public names and IP addresses are not.
fn names_a_service(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() || host == "localhost" {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    matches!(labels.as_slice(), [_] | [_, _, "svc", ..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cluster_service_names_are_considered() {
        assert!(names_a_service("frontend"));
        assert!(names_a_service("keycloak.identity.svc"));
        assert!(names_a_service("keycloak.identity.svc.cluster.local"));
        assert!(!names_a_service("id.example.com"));
        assert!(!names_a_service("10.0.0.1"));
        assert!(!names_a_service("localhost"));
    }
}
