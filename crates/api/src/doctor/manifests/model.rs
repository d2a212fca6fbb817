//! The part of the Kubernetes object model the manifest checks read, parsed from multi-document YAML
//! (`helm template` output, `kubectl get -o yaml`, including `kind: List`).
//!
//! Unknown kinds and fields are ignored; this is not a Kubernetes schema validator.
//!
//! Over 450 lines only with its unit tests: the code (about 410 lines) is the object model and its
//! one parser, which read together.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Everything the checks look at, grouped by kind.
#[derive(Debug, Default)]
pub(crate) struct Objects {
    pub(crate) workloads: Vec<Workload>,
    pub(crate) services: Vec<Service>,
    pub(crate) policies: Vec<NetworkPolicy>,
    pub(crate) secrets: Vec<KeyedObject>,
    pub(crate) config_maps: Vec<KeyedObject>,
    /// Ingresses and Traefik Middlewares that send each request to an authentication URL.
    pub(crate) auth_hooks: Vec<AuthHook>,
}

/// Where a proxy asks whether a request may pass: an ingress-nginx `auth-url` annotation or a
/// Traefik `forwardAuth.address`.
#[derive(Debug)]
pub(crate) struct AuthHook {
    pub(crate) kind: String,
    pub(crate) metadata: Metadata,
    /// The annotation or field the URL came from.
    pub(crate) source: &'static str,
    pub(crate) url: String,
}

/// The ingress-nginx annotation naming the forward-authentication URL.
pub(crate) const AUTH_URL_ANNOTATION: &str = "nginx.ingress.kubernetes.io/auth-url";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Metadata {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) labels: BTreeMap<String, String>,
}

/// Anything that runs containers: its pod template, flattened.
#[derive(Debug)]
pub(crate) struct Workload {
    pub(crate) kind: String,
    pub(crate) metadata: Metadata,
    pub(crate) pod_labels: BTreeMap<String, String>,
    pub(crate) spec: PodSpec,
}

impl Workload {
    pub(crate) fn describe(&self) -> String {
        format!("{}/{}", self.kind, self.metadata.name)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct PodSpec {
    pub(crate) containers: Vec<Container>,
    pub(crate) init_containers: Vec<Container>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Container {
    pub(crate) name: String,
    pub(crate) image: String,
    pub(crate) image_pull_policy: Option<String>,
    pub(crate) env: Vec<EnvVar>,
    pub(crate) env_from: Vec<EnvFrom>,
    pub(crate) ports: Vec<ContainerPort>,
    pub(crate) liveness_probe: Option<Probe>,
    pub(crate) readiness_probe: Option<Probe>,
    pub(crate) startup_probe: Option<Probe>,
    pub(crate) resources: Resources,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct EnvVar {
    pub(crate) name: String,
    pub(crate) value: Option<String>,
    pub(crate) value_from: Option<EnvSource>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct EnvSource {
    pub(crate) secret_key_ref: Option<KeyRef>,
    pub(crate) config_map_key_ref: Option<KeyRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct KeyRef {
    pub(crate) name: String,
    pub(crate) key: String,
    pub(crate) optional: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct EnvFrom {
    pub(crate) secret_ref: Option<NameRef>,
    pub(crate) config_map_ref: Option<NameRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NameRef {
    pub(crate) name: String,
    pub(crate) optional: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ContainerPort {
    pub(crate) name: Option<String>,
    pub(crate) container_port: u16,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Probe {
    pub(crate) http_get: Option<HttpGet>,
    pub(crate) initial_delay_seconds: Option<u32>,
    pub(crate) period_seconds: Option<u32>,
    pub(crate) failure_threshold: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HttpGet {
    pub(crate) path: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Resources {
    pub(crate) limits: BTreeMap<String, serde_norway::Value>,
}

/// A port given as a number or as a name (`targetPort: http`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum PortRef {
    Number(u16),
    Name(String),
}

#[derive(Debug)]
pub(crate) struct Service {
    pub(crate) metadata: Metadata,
    pub(crate) selector: BTreeMap<String, String>,
    pub(crate) ports: Vec<ServicePort>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServicePort {
    pub(crate) port: u16,
    #[serde(default)]
    pub(crate) target_port: Option<PortRef>,
}

#[derive(Debug)]
pub(crate) struct NetworkPolicy {
    pub(crate) metadata: Metadata,
    pub(crate) pod_selector: LabelSelector,
    /// Whether this policy restricts egress at all (explicit `policyTypes`, or an `egress` section).
    pub(crate) restricts_egress: bool,
    pub(crate) egress: Vec<EgressRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct LabelSelector {
    pub(crate) match_labels: BTreeMap<String, String>,
    pub(crate) match_expressions: Vec<LabelExpression>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LabelExpression {
    pub(crate) key: String,
    pub(crate) operator: String,
    pub(crate) values: Vec<String>,
}

impl LabelSelector {
    /// Kubernetes selector semantics: every `matchLabels` pair and every expression must hold;
    /// an empty selector selects every pod.
    pub(crate) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let pairs = self
            .match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v));
        let expressions = self.match_expressions.iter().all(|e| {
            let value = labels.get(&e.key);
            match e.operator.as_str() {
                "In" => value.is_some_and(|v| e.values.contains(v)),
                "NotIn" => value.is_none_or(|v| !e.values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        });
        pairs && expressions
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EgressRule {
    /// Empty means every port (to the rule's peers).
    pub(crate) ports: Vec<PolicyPort>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct PolicyPort {
    pub(crate) protocol: Option<String>,
    pub(crate) port: Option<PortRef>,
    pub(crate) end_port: Option<u16>,
}

/// A Secret or ConfigMap: its name and its keys. Values (decoded) serve only to find the host and
/// port of URL-valued environment variables; they are never printed.
#[derive(Debug)]
pub(crate) struct KeyedObject {
    pub(crate) metadata: Metadata,
    pub(crate) values: BTreeMap<String, Option<String>>,
}

/// Why the input could not be read as Kubernetes YAML.
#[derive(Debug, thiserror::Error)]
#[error("document {document}: {message}")]
pub(crate) struct ParseError {
    pub(crate) document: usize,
    pub(crate) message: String,
}

impl Objects {
    pub(crate) fn parse(input: &str) -> Result<Objects, ParseError> {
        let mut objects = Objects::default();
        for (index, document) in serde_norway::Deserializer::from_str(input).enumerate() {
            let error = |e: serde_norway::Error| ParseError {
                document: index + 1,
                message: e.to_string(),
            };
            let value = serde_norway::Value::deserialize(document).map_err(error)?;
            objects.add(value).map_err(error)?;
        }
        Ok(objects)
    }

    fn add(&mut self, value: serde_norway::Value) -> Result<(), serde_norway::Error> {
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .to_owned();
        let field = |name: &str| value.get(name).cloned().unwrap_or_default();
        let metadata = || from_value::<Metadata>(field("metadata"));
        match kind.as_str() {
            "List" => {
                for item in from_value::<Vec<serde_norway::Value>>(field("items"))? {
                    self.add(item)?;
                }
            }
            "Pod" => self.workloads.push(Workload {
                kind,
                pod_labels: metadata()?.labels,
                metadata: metadata()?,
                spec: from_value(field("spec"))?,
            }),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" => {
                let mut template = field("spec");
                if kind == "CronJob" {
                    template = template
                        .get("jobTemplate")
                        .and_then(|t| t.get("spec"))
                        .cloned()
                        .unwrap_or_default();
                }
                let template = template.get("template").cloned().unwrap_or_default();
                let pod_metadata: Metadata =
                    from_value(template.get("metadata").cloned().unwrap_or_default())?;
                self.workloads.push(Workload {
                    kind,
                    metadata: metadata()?,
                    pod_labels: pod_metadata.labels,
                    spec: from_value(template.get("spec").cloned().unwrap_or_default())?,
                });
            }
            "Service" => {
                let spec = field("spec");
                let part = |name: &str| spec.get(name).cloned().unwrap_or_default();
                self.services.push(Service {
                    metadata: metadata()?,
                    selector: from_value(part("selector"))?,
                    ports: from_value(part("ports"))?,
                });
            }
            "NetworkPolicy" => {
                let spec = field("spec");
                let part = |name: &str| spec.get(name).cloned().unwrap_or_default();
                let types: Vec<String> = from_value(part("policyTypes"))?;
                let egress_section = spec.get("egress").is_some();
                self.policies.push(NetworkPolicy {
                    metadata: metadata()?,
                    pod_selector: from_value(part("podSelector"))?,
                    restricts_egress: types.iter().any(|t| t == "Egress")
                        || (types.is_empty() && egress_section),
                    egress: from_value(part("egress"))?,
                });
            }
            "Ingress" => {
                let url = field("metadata")
                    .get("annotations")
                    .and_then(|a| a.get(AUTH_URL_ANNOTATION))
                    .and_then(|u| u.as_str())
                    .map(str::to_owned);
                if let Some(url) = url {
                    self.auth_hooks.push(AuthHook {
                        kind,
                        metadata: metadata()?,
                        source: AUTH_URL_ANNOTATION,
                        url,
                    });
                }
            }
            "Middleware" => {
                let url = field("spec")
                    .get("forwardAuth")
                    .and_then(|f| f.get("address"))
                    .and_then(|u| u.as_str())
                    .map(str::to_owned);
                if let Some(url) = url {
                    self.auth_hooks.push(AuthHook {
                        kind,
                        metadata: metadata()?,
                        source: "spec.forwardAuth.address",
                        url,
                    });
                }
            }
            "Secret" | "ConfigMap" => {
                let mut values = BTreeMap::new();
                for (section, encoded) in [
                    ("data", kind == "Secret"),
                    ("stringData", false),
                    ("binaryData", false),
                ] {
                    let entries: BTreeMap<String, serde_norway::Value> =
                        from_value(field(section))?;
                    for (key, value) in entries {
                        let text = value.as_str().and_then(|v| {
                            if encoded {
                                decode_base64(v)
                            } else {
                                Some(v.to_owned())
                            }
                        });
                        values.insert(key, text);
                    }
                }
                let object = KeyedObject {
                    metadata: metadata()?,
                    values,
                };
                if kind == "Secret" {
                    self.secrets.push(object);
                } else {
                    self.config_maps.push(object);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn from_value<T: DeserializeOwned + Default>(
    value: serde_norway::Value,
) -> Result<T, serde_norway::Error> {
    if value.is_null() {
        return Ok(T::default());
    }
    serde_norway::from_value(value)
}

fn decode_base64(value: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Two objects are in the same namespace when both name the same one or neither names any
/// (`helm template` leaves it to the release).
pub(crate) fn same_namespace(a: &Metadata, b: &Metadata) -> bool {
    a.namespace == b.namespace
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_multi_document_yaml_and_lists() {
        let input = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: backend-api:latest}]
---
apiVersion: v1
kind: List
items:
  - kind: Service
    metadata: {name: frontend}
    spec: {selector: {app: frontend}, ports: [{port: 3000, targetPort: http}]}
  - kind: Secret
    metadata: {name: db}
    data: {database-url: cG9zdGdyZXM6Ly9kYjo1NDMyL3g=}
---
# an empty document is fine
"#;
        let objects = Objects::parse(input).expect("parses");
        assert_eq!(objects.workloads.len(), 1);
        assert_eq!(
            objects.workloads[0]
                .pod_labels
                .get("app")
                .map(String::as_str),
            Some("api")
        );
        assert_eq!(objects.services[0].ports[0].port, 3000);
        assert!(
            matches!(&objects.services[0].ports[0].target_port, Some(PortRef::Name(n)) if n == "http")
        );
        assert_eq!(
            objects.secrets[0].values.get("database-url"),
            Some(&Some("postgres://db:5432/x".to_owned()))
        );
    }

    #[test]
    fn invalid_yaml_names_the_document() {
        let error = Objects::parse("kind: Service\n---\nkind: [unclosed\n").expect_err("invalid");
        assert_eq!(error.document, 2);
    }

    #[test]
    fn selectors_follow_kubernetes_semantics() {
        let labels: BTreeMap<String, String> = [("app".to_owned(), "api".to_owned())].into();
        assert!(LabelSelector::default().matches(&labels));
        let selector: LabelSelector = serde_norway::from_str(
            "matchExpressions: [{key: app, operator: In, values: [api, web]}]",
        )
        .expect("yaml");
        assert!(selector.matches(&labels));
        let selector: LabelSelector =
            serde_norway::from_str("matchLabels: {app: web}").expect("yaml");
        assert!(!selector.matches(&labels));
    }
}
