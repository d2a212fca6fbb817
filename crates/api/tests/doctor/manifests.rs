use crate::helpers::Doctor;

/// A docs backend as deployed in a known outage: OIDC back channel on `http://keycloak-keycloak…` (port 80, which the
/// Service forwards to Keycloak's pod port 8080) and a NetworkPolicy allowing DNS, 443 and the
/// database only.
const BACK_CHANNEL_BLOCKED: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: docs-backend
spec:
  template:
    metadata:
      labels: {app.kubernetes.io/name: docs-backend}
    spec:
      containers:
        - name: backend
          image: registry.example.com/docs-backend:1.4.2
          env:
            - name: OIDC_OP_TOKEN_ENDPOINT
              value: http://keycloak-keycloak.identity.svc/realms/app/protocol/openid-connect/token
            - name: OIDC_OP_JWKS_ENDPOINT
              value: http://keycloak-keycloak.identity.svc/realms/app/protocol/openid-connect/certs
          resources:
            limits: {cpu: 500m, memory: 512Mi}
          readinessProbe:
            httpGet: {path: /ready, port: 8000}
---
apiVersion: v1
kind: Service
metadata:
  name: keycloak-keycloak
  namespace: identity
spec:
  selector: {app.kubernetes.io/name: keycloak}
  ports:
    - {name: http, port: 80, targetPort: 8080}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: docs-backend
spec:
  podSelector:
    matchLabels: {app.kubernetes.io/name: docs-backend}
  policyTypes: [Egress]
  egress:
    - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
    - ports: [{port: 5432}, {port: 6379}, {port: 443}, {port: 4444}, {port: 4000}]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_policy_blocking_the_back_channel_port_is_np_blocks_idp_port() {
    let doctor = Doctor::new(&[]);
    let file = doctor.file("rendered.yaml", BACK_CHANNEL_BLOCKED);
    let report = Doctor::new(&["manifests", &file]).json().await;
    let finding = report.expect("np_blocks_idp_port", "fail");
    let observed = finding["observed"].as_str().expect("observed");
    assert!(
        observed.contains("keycloak-keycloak.identity.svc:80")
            && observed.contains("pod port 8080"),
        "{observed}"
    );
    assert!(
        finding["fix"]
            .as_str()
            .is_some_and(|f| f.contains("TCP 8080"))
    );
    assert!(!report.has("np_missing_dns"));
    assert_eq!(report.exit(), 1);

    // The post-mortem's fix (allow 80) is not enough when the pods listen on 8080; allowing 8080 is.
    let fixed = BACK_CHANNEL_BLOCKED.replace("{port: 4000}]", "{port: 4000}, {port: 8080}]");
    let report = Doctor::new(&["manifests", "-"]).stdin(fixed).json().await;
    report.expect("np_ok", "ok");
    assert_eq!(report.exit(), 0, "{:#}", report.value);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_probe_without_startup_probe_is_flagged() {
    // A known outage: liveness (10 s delay, 3 failures) killed workers that needed 20-60 s.
    let yaml = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend-api}
spec:
  template:
    metadata: {labels: {app: backend-api}}
    spec:
      containers:
        - name: api
          image: backend-api:0.1.0
          resources: {limits: {cpu: 500m, memory: 512Mi}}
          livenessProbe:
            httpGet: {path: /health, port: 8000}
            initialDelaySeconds: 10
            failureThreshold: 3
          readinessProbe:
            httpGet: {path: /health, port: 8000}
"#;
    let report = Doctor::new(&["manifests", "-"]).stdin(yaml).json().await;
    let finding = report.expect("liveness_without_startup", "warn");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("40 s")),
        "{finding:#}"
    );
    report.expect("readiness_on_health", "warn");
    assert_eq!(report.exit(), 0, "warnings alone do not fail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_manifest_file_is_a_usage_error() {
    let outcome = Doctor::new(&["manifests", "/nonexistent/rendered.yaml"])
        .run()
        .await;
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.contains("/nonexistent/rendered.yaml"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_values_rendered_raise_the_expected_findings() {
    // A typical first values.yaml, rendered: both probes on /health, pullPolicy Never with
    // ENVIRONMENT=production, secrets named differently from the ones the guide creates.
    let yaml = r#"
apiVersion: v1
kind: Secret
metadata: {name: backend-secrets}
stringData: {better-auth-secret: x, database-url: "postgresql://user:pass@host:5432/db"}
---
apiVersion: v1
kind: Service
metadata: {name: frontend}
spec: {ports: [{port: 3000}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend-api}
spec:
  template:
    metadata: {labels: {app.kubernetes.io/name: backend-api}}
    spec:
      containers:
        - name: backend-api
          image: backend-api:latest
          imagePullPolicy: Never
          env:
            - name: DATABASE_URL
              valueFrom: {secretKeyRef: {name: postgres-credentials, key: database-url}}
            - name: BETTER_AUTH_SECRET
              valueFrom: {secretKeyRef: {name: backend-secrets, key: better_auth_secret}}
            - {name: BETTER_AUTH_URL, value: "http://frontend-service:3000"}
            - {name: ENVIRONMENT, value: production}
          livenessProbe: {httpGet: {path: /health, port: 8000}, initialDelaySeconds: 30, periodSeconds: 10}
          readinessProbe: {httpGet: {path: /health, port: 8000}, initialDelaySeconds: 5, periodSeconds: 5}
"#;
    let report = Doctor::new(&["manifests", "-"]).stdin(yaml).json().await;
    for (code, severity) in [
        ("env_secret_missing", "warn"),
        ("env_secret_key_missing", "fail"),
        ("service_not_in_input", "warn"),
        ("liveness_without_startup", "warn"),
        ("readiness_on_health", "warn"),
        ("no_resource_limits", "warn"),
        ("pull_policy_never", "warn"),
    ] {
        report.expect(code, severity);
    }
    assert!(
        !report.outcome.stdout.contains("user:pass"),
        "secret values are never printed"
    );
    assert_eq!(report.exit(), 1);
}

/// A workload, backend-api's Service on 8000 and an Ingress protected by forward authentication.
fn forward_auth_input(auth_url: &str) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: backend-api, namespace: apps}}
spec:
  template:
    metadata: {{labels: {{app: backend-api}}}}
    spec:
      containers:
        - name: api
          image: backend-api:1
          resources: {{limits: {{cpu: 1, memory: 256Mi}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: backend-api, namespace: apps}}
spec:
  selector: {{app: backend-api}}
  ports: [{{name: http, port: 8000, targetPort: http}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: docs
  namespace: apps
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "{auth_url}"
    nginx.ingress.kubernetes.io/auth-response-headers: X-Auth-User, X-Auth-Provider
spec:
  rules:
    - host: docs.example.com
      http:
        paths:
          - {{path: /, pathType: Prefix, backend: {{service: {{name: docs, port: {{number: 80}}}}}}}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingress_auth_url_naming_a_missing_service_or_port_fails() {
    let doctor = Doctor::new(&[]);
    let wrong_service = doctor.file(
        "wrong-service.yaml",
        &forward_auth_input("http://backend-api-svc.apps.svc.cluster.local:8000/auth/verify"),
    );
    let report = Doctor::new(&["manifests", &wrong_service]).json().await;
    let finding = report.expect("auth_url_service_missing", "fail");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("backend-api-svc") && o.contains("Services: backend-api")),
        "{finding}"
    );
    let wrong_port = doctor.file(
        "wrong-port.yaml",
        &forward_auth_input("http://backend-api.apps.svc.cluster.local/auth/verify"),
    );
    let report = Doctor::new(&["manifests", &wrong_port]).json().await;
    let finding = report.expect("auth_url_port_missing", "fail");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("port 80") && o.contains("8000")),
        "{finding}"
    );
    let right = doctor.file(
        "right.yaml",
        &forward_auth_input("http://backend-api.apps.svc.cluster.local:8000/auth/verify"),
    );
    let report = Doctor::new(&["manifests", &right]).json().await;
    for code in ["auth_url_service_missing", "auth_url_port_missing"] {
        assert!(
            !report.has(code),
            "{code} for a correct auth-url: {:?}",
            report.codes()
        );
    }
}
