//! Per-container checks from known Kubernetes post-mortems: probes that kill slow starts or lie about
//! readiness, missing resource limits, and `imagePullPolicy: Never`.

use super::model::{Container, Probe, Workload};
use crate::doctor::codes::Code;
use crate::doctor::finding::Finding;

/// Kubernetes defaults for a probe's timing fields.
const DEFAULT_PERIOD_SECONDS: u32 = 10;
const DEFAULT_FAILURE_THRESHOLD: u32 = 3;

pub(crate) fn check(workload: &Workload, container: &Container) -> Vec<Finding> {
    let subject = format!(
        "manifest {} container {}",
        workload.describe(),
        container.name
    );
    let mut findings = Vec::new();
    if let (Some(liveness), None) = (&container.liveness_probe, &container.startup_probe) {
        findings.push(Finding::warn(
            Code::LivenessWithoutStartup,
            &subject,
            format!(
                "livenessProbe without startupProbe: a start slower than {} s is killed and restarted \
                 (CrashLoopBackOff)",
                kill_after_seconds(liveness)
            ),
            "add a startupProbe on /health (e.g. periodSeconds: 5, failureThreshold: 30) so liveness only \
             begins once the process is up",
        ));
    }
    if probe_path(&container.liveness_probe).is_some_and(|p| p.starts_with("/ready")) {
        findings.push(Finding::warn(
            Code::LivenessOnReady,
            &subject,
            "livenessProbe on /ready: an identity provider or database outage restarts every pod",
            "point livenessProbe at /health (depends on nothing) and keep /ready for readinessProbe",
        ));
    }
    if runs_backend_api(container) && probe_path(&container.readiness_probe) == Some("/health") {
        findings.push(Finding::warn(
            Code::ReadinessOnHealth,
            &subject,
            "readinessProbe on /health: traffic arrives before the database answers and keys are loaded",
            "point readinessProbe at /ready",
        ));
    }
    let missing: Vec<&str> = ["cpu", "memory"]
        .into_iter()
        .filter(|r| !container.resources.limits.contains_key(*r))
        .collect();
    if !missing.is_empty() {
        findings.push(Finding::warn(
            Code::NoResourceLimits,
            &subject,
            format!("no {} limit", missing.join(" or ")),
            "set resources.limits (and requests) so one pod cannot starve the node; size memory from \
             measured use, since too low a limit gets the pod OOMKilled (exit 137)",
        ));
    }
    if container.image_pull_policy.as_deref() == Some("Never") {
        findings.push(Finding::warn(
            Code::PullPolicyNever,
            &subject,
            format!(
                "imagePullPolicy: Never for {}: works only on a local cluster where the image was built \
                 or loaded into the node (minikube docker-env, kind load)",
                container.image
            ),
            "outside a local cluster use IfNotPresent with a pushed, versioned image",
        ));
    }
    findings
}

fn probe_path(probe: &Option<Probe>) -> Option<&str> {
    probe.as_ref()?.http_get.as_ref().map(|h| h.path.as_str())
}

/// Seconds after container start at which a failing liveness probe has the container killed.
fn kill_after_seconds(probe: &Probe) -> u32 {
    probe.initial_delay_seconds.unwrap_or(0)
        + probe.period_seconds.unwrap_or(DEFAULT_PERIOD_SECONDS)
            * probe.failure_threshold.unwrap_or(DEFAULT_FAILURE_THRESHOLD)
}

/// `/health` vs `/ready` is our service's split; other containers may name their endpoints differently.
fn runs_backend_api(container: &Container) -> bool {
    container.image.contains("backend-api")
        || container
            .env
            .iter()
            .any(|v| v.name == "BETTER_AUTH_URL" || v.name == "AUTH_PROVIDERS_FILE")
}
