//! Environment variables that point into Secrets and ConfigMaps: whether the referenced object and key
//! exist in the same input, and (for the network checks) what value a variable ends up with.

use super::model::{Container, EnvVar, KeyRef, KeyedObject, Objects, Workload, same_namespace};
use crate::doctor::codes::Code;
use crate::doctor::finding::Finding;

/// The value a variable will have in the pod, when the input says: a literal, or a key of a Secret or
/// ConfigMap defined in the same input.
pub(crate) fn resolve<'a>(
    objects: &'a Objects,
    workload: &Workload,
    var: &'a EnvVar,
) -> Option<&'a str> {
    if let Some(value) = &var.value {
        return Some(value);
    }
    let source = var.value_from.as_ref()?;
    let (pool, reference) = match (&source.secret_key_ref, &source.config_map_key_ref) {
        (Some(reference), _) => (&objects.secrets, reference),
        (None, Some(reference)) => (&objects.config_maps, reference),
        (None, None) => return None,
    };
    find(pool, workload, &reference.name)?
        .values
        .get(&reference.key)?
        .as_deref()
}

fn find<'a>(pool: &'a [KeyedObject], workload: &Workload, name: &str) -> Option<&'a KeyedObject> {
    pool.iter()
        .find(|o| o.metadata.name == name && same_namespace(&o.metadata, &workload.metadata))
}

/// Checks every `secretKeyRef`, `configMapKeyRef`, `secretRef` and `configMapRef` of one container.
pub(crate) fn check(objects: &Objects, workload: &Workload, container: &Container) -> Vec<Finding> {
    let subject = format!(
        "manifest {} container {}",
        workload.describe(),
        container.name
    );
    let mut findings = Vec::new();
    for var in &container.env {
        let Some(source) = &var.value_from else {
            continue;
        };
        let references = [
            (&source.secret_key_ref, Kind::Secret),
            (&source.config_map_key_ref, Kind::ConfigMap),
        ];
        for (reference, kind) in references {
            if let Some(reference) = reference.as_ref().filter(|r| !r.optional) {
                findings.extend(check_key(
                    objects, workload, &subject, &var.name, reference, kind,
                ));
            }
        }
    }
    for from in &container.env_from {
        let references = [
            (&from.secret_ref, Kind::Secret),
            (&from.config_map_ref, Kind::ConfigMap),
        ];
        for (reference, kind) in references {
            let Some(reference) = reference.as_ref().filter(|r| !r.optional) else {
                continue;
            };
            if find(kind.pool(objects), workload, &reference.name).is_none() {
                findings.push(kind.missing_object(&subject, "envFrom", &reference.name));
            }
        }
    }
    findings
}

fn check_key(
    objects: &Objects,
    workload: &Workload,
    subject: &str,
    var: &str,
    reference: &KeyRef,
    kind: Kind,
) -> Option<Finding> {
    let Some(object) = find(kind.pool(objects), workload, &reference.name) else {
        return Some(kind.missing_object(subject, var, &reference.name));
    };
    if object.values.contains_key(&reference.key) {
        return None;
    }
    let defined: Vec<&str> = object.values.keys().map(String::as_str).collect();
    Some(Finding::fail(
        kind.key_code(),
        subject,
        format!(
            "{var} reads key \"{}\" of {} {}, which defines only: {}",
            reference.key,
            kind.label(),
            reference.name,
            if defined.is_empty() {
                "(nothing)".to_owned()
            } else {
                defined.join(", ")
            }
        ),
        format!(
            "add key \"{}\" to {} {} or point {var} at one of its keys; the pod cannot start until then",
            reference.key,
            kind.label(),
            reference.name
        ),
    ))
}

#[derive(Clone, Copy)]
enum Kind {
    Secret,
    ConfigMap,
}

impl Kind {
    fn pool(self, objects: &Objects) -> &[KeyedObject] {
        match self {
            Kind::Secret => &objects.secrets,
            Kind::ConfigMap => &objects.config_maps,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Secret => "Secret",
            Kind::ConfigMap => "ConfigMap",
        }
    }

    fn key_code(self) -> Code {
        match self {
            Kind::Secret => Code::EnvSecretKeyMissing,
            Kind::ConfigMap => Code::EnvConfigmapKeyMissing,
        }
    }

    /// The object is not in the input. It may exist in the cluster (created by `kubectl create secret`),
    /// so this warns with the command that settles it rather than failing.
    fn missing_object(self, subject: &str, var: &str, name: &str) -> Finding {
        let (code, command) = match self {
            Kind::Secret => (Code::EnvSecretMissing, "secret"),
            Kind::ConfigMap => (Code::EnvConfigmapMissing, "configmap"),
        };
        Finding::warn(
            code,
            subject,
            format!(
                "{var} refers to {} {name}, which this input does not define",
                self.label()
            ),
            format!(
                "check `kubectl get {command} {name}` in the release namespace (a missing one leaves the pod in \
                 CreateContainerConfigError), or fix the name"
            ),
        )
    }
}
