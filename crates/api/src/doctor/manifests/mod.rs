//! `doctor manifests <file|->`: reads rendered Kubernetes YAML (`helm template`, `kubectl get -o yaml`)
//! and flags the misconfigurations Kubernetes post-mortems of this stack keep finding, offline, without a cluster.
//!
//! Layout: `model` parses the YAML; `network` checks NetworkPolicy egress; `containers` checks probes,
//! limits and pull policy; `references` checks Secret/ConfigMap references; `services` checks that
//! URLs name Services the input defines; `forward_auth` checks that Ingress `auth-url`s and Traefik
//! `forwardAuth` addresses name a Service and port the input defines; `targets` lists where a
//! workload connects.

mod containers;
mod forward_auth;
mod model;
mod network;
mod references;
mod services;
mod targets;

use std::io::Read;

use anyhow::Context as _;

use super::codes::Code;
use super::finding::{Finding, Severity};
use model::Objects;

/// Rendered charts are a few hundred KiB; anything far larger is not what we think it is.
const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Reads the manifests from a file, or from stdin when `source` is `-`.
pub(crate) fn read_input(source: &str) -> anyhow::Result<String> {
    let mut text = String::new();
    let read = if source == "-" {
        std::io::stdin()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_string(&mut text)
    } else {
        std::fs::File::open(source)
            .and_then(|file| file.take(MAX_INPUT_BYTES + 1).read_to_string(&mut text))
    };
    read.with_context(|| format!("cannot read manifests from {source}"))?;
    anyhow::ensure!(
        text.len() as u64 <= MAX_INPUT_BYTES,
        "{source} is larger than {MAX_INPUT_BYTES} bytes"
    );
    Ok(text)
}

/// Every finding for the given YAML text.
pub(crate) fn analyse(input: &str) -> Vec<Finding> {
    let subject = "manifests";
    let objects = match Objects::parse(input) {
        Ok(objects) => objects,
        Err(error) => {
            return vec![Finding::fail(
                Code::ManifestsInvalid,
                subject,
                format!("not Kubernetes YAML: {error}"),
                "pass the output of `helm template …` or `kubectl get deploy,svc,netpol,secret,cm -o yaml`",
            )];
        }
    };
    if objects.workloads.is_empty() {
        return vec![Finding::fail(
            Code::ManifestsInvalid,
            subject,
            "no Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod in the input",
            "pass the rendered chart (`helm template backend-api ./infrastructure/helm/backend-api`)",
        )];
    }
    let mut findings = Vec::new();
    for workload in &objects.workloads {
        findings.extend(network::check(&objects, workload));
        findings.extend(services::check(&objects, workload));
        for container in &workload.spec.containers {
            findings.extend(containers::check(workload, container));
        }
        for container in workload
            .spec
            .containers
            .iter()
            .chain(&workload.spec.init_containers)
        {
            findings.extend(references::check(&objects, workload, container));
        }
    }
    findings.extend(forward_auth::check(&objects));
    if findings.iter().all(|f| f.severity == Severity::Ok) {
        findings.push(Finding::ok(
            Code::ManifestsOk,
            subject,
            format!(
                "{} workload(s), {} Service(s), {} NetworkPolicy(ies) checked",
                objects.workloads.len(),
                objects.services.len(),
                objects.policies.len()
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_of(input: &str) -> Vec<Code> {
        analyse(input).iter().map(|f| f.code).collect()
    }

    fn backend_with_policy(policy_ports: &str) -> String {
        format!(
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: docs-backend}}
spec:
  template:
    metadata: {{labels: {{app: docs-backend}}}}
    spec:
      containers:
        - name: api
          image: docs:1
          resources: {{limits: {{cpu: 1, memory: 1Gi}}}}
          env:
            - {{name: OIDC_OP_JWKS_ENDPOINT, value: "http://keycloak-keycloak.identity.svc/realms/app/protocol/openid-connect/certs"}}
            - name: DATABASE_URL
              valueFrom: {{secretKeyRef: {{name: db, key: url}}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: db}}
stringData: {{url: "postgresql://docs:pw@docs-cluster-rw:5432/docs"}}
---
apiVersion: v1
kind: Service
metadata: {{name: docs-cluster-rw}}
spec:
  ports: [{{port: 5432}}]
---
apiVersion: v1
kind: Service
metadata: {{name: keycloak-keycloak, namespace: identity}}
spec:
  selector: {{app.kubernetes.io/name: keycloak}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: docs-backend}}
spec:
  podSelector: {{matchLabels: {{app: docs-backend}}}}
  policyTypes: [Egress]
  egress:
    - ports: [{policy_ports}]
"#
        )
    }

    #[test]
    fn policy_allowing_the_service_port_but_not_the_pod_port_blocks_the_back_channel() {
        let findings = analyse(&backend_with_policy(
            "{port: 53, protocol: UDP}, {port: 443}, {port: 5432}, {port: 80}",
        ));
        let blocked = findings
            .iter()
            .find(|f| f.code == Code::NpBlocksIdpPort)
            .expect("back channel blocked");
        assert!(
            blocked.observed.contains("pod port 8080"),
            "{}",
            blocked.observed
        );
        assert!(
            blocked
                .fix
                .as_deref()
                .is_some_and(|f| f.contains("TCP 8080"))
        );
        assert!(
            !findings
                .iter()
                .any(|f| f.code == Code::NpBlocksDbPort || f.code == Code::NpMissingDns)
        );
    }

    #[test]
    fn policy_without_dns_or_database_port_is_flagged() {
        let codes = codes_of(&backend_with_policy("{port: 443}, {port: 8080}"));
        assert!(codes.contains(&Code::NpMissingDns), "{codes:?}");
        assert!(codes.contains(&Code::NpBlocksDbPort), "{codes:?}");
        assert!(!codes.contains(&Code::NpBlocksIdpPort), "{codes:?}");
    }

    #[test]
    fn policy_allowing_everything_needed_is_ok() {
        let codes = codes_of(&backend_with_policy(
            "{port: 53, protocol: UDP}, {port: 53}, {port: 8080}, {port: 5000, endPort: 6000}",
        ));
        assert_eq!(codes, vec![Code::NpOk, Code::ManifestsOk]);
    }

    #[test]
    fn url_naming_a_service_the_input_lacks_is_flagged() {
        let input = backend_with_policy("{port: 53, protocol: UDP}, {port: 8080}, {port: 5432}")
            .replace("docs-cluster-rw:5432", "docs-cluster:5432");
        let findings = analyse(&input);
        let finding = findings
            .iter()
            .find(|f| f.code == Code::ServiceNotInInput)
            .expect("wrong service name flagged");
        assert!(
            finding.observed.contains("no Service docs-cluster"),
            "{}",
            finding.observed
        );
        assert!(
            !finding.observed.contains("pw"),
            "secret values are never printed"
        );
    }

    #[test]
    fn providers_file_back_channel_needs_its_port_and_identifiers_are_not_destinations() {
        let input = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: backend-api-providers}
data:
  providers.toml: |
    [[provider]]
    name = "keycloak"
    issuer = "https://id.example.com/realms/app"
    discovery = true
    internal_url = "http://keycloak-keycloak.identity.svc:8080"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend-api}
spec:
  template:
    metadata: {labels: {app: backend-api}}
    spec:
      containers:
        - name: api
          image: backend-api:1
          resources: {limits: {cpu: 1, memory: 1Gi}}
          env:
            - {name: AUTH_PROVIDERS_FILE, value: /etc/backend-api/providers.toml}
            - {name: BETTER_AUTH_ISSUER, value: "https://app.example.com:8443"}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend-api}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - ports: [{port: 53, protocol: UDP}, {port: 443}]
"#;
        let findings = analyse(input);
        let blocked: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.code == Code::NpBlocksIdpPort)
            .collect();
        assert_eq!(blocked.len(), 1, "{findings:#?}");
        assert!(
            blocked[0]
                .observed
                .contains("provider keycloak connects to keycloak-keycloak.identity.svc:8080")
        );
    }

    #[test]
    fn garbage_and_empty_input_are_invalid() {
        assert_eq!(codes_of("kind: [\n"), vec![Code::ManifestsInvalid]);
        assert_eq!(
            codes_of("kind: Service\nmetadata: {name: x}\n"),
            vec![Code::ManifestsInvalid]
        );
    }
}
