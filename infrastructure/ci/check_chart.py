"""Static checks of the backend-api Helm chart with the real Helm binary (no cluster needed).

Renders the chart for several value sets, lints it, validates every manifest offline against the
Kubernetes JSON schemas (kubernetes-validate, strict), proves the values schema refuses misspelled
and mistyped values, and asserts the properties that answer the seed post-mortems: probes,
checksum annotations, NetworkPolicy ports, the database password surviving an upgrade, names,
labels and image tags. Prints one line per check and ends with "N passed, N failed".

Run by .ci/packaging.sh, once with Helm 4 and once with Helm 3 (HELM=helm3); tools come from
infrastructure/ci/install-tools.sh (on PATH; this file runs under that venv's Python for PyYAML).
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import yaml

from checks import CheckFailed, expect, run_checks, wait_for

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHART = REPO / "infrastructure" / "helm" / "backend-api"
SEED_DOC = REPO.parent / "shared" / "seeds" / "000_7dfa2898f88fe146.txt"
RELEASE = "backend-api"
# The Helm binary: `helm` (v4) by default; .ci/packaging.sh runs everything again with HELM=helm3.
HELM = os.environ.get("HELM", "helm")
# Oldest and newest Kubernetes minor versions the manifests must validate against (Chart.yaml kubeVersion >=1.25).
KUBE_VERSIONS = ["1.29.0", "1.35.0"]

# Value sets rendered, linted and validated: name -> extra helm arguments.
SCENARIOS = {
    "default": [],
    "local": ["-f", str(CHART / "values-local.yaml")],
    "seed-000": ["-f", str(CHART / "ci" / "seed-000-values.yaml")],
    "all-features": ["-f", str(CHART / "ci" / "all-features-values.yaml")],
    "external-db": ["-f", str(CHART / "ci" / "external-db-values.yaml")],
    "sqlite-persistent": ["-f", str(CHART / "ci" / "sqlite-persistent-values.yaml")],
    "seed-000+networkpolicy": ["-f", str(CHART / "ci" / "seed-000-values.yaml"), "--set", "networkPolicy.enabled=true"],
    "forward-auth": ["-f", str(CHART / "ci" / "forward-auth-values.yaml")],
}

# Traefik's CRDs (traefik.io/v1alpha1) are not in the offline Kubernetes schemas: kubernetes-validate
# gets every other document, and a Middleware is checked against this schema instead, written from
# Traefik's Middleware CRD (spec.forwardAuth) for the fields the chart renders; unknown fields fail.
TRAEFIK_MIDDLEWARE_SCHEMA = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"], "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "traefik.io/v1alpha1"},
        "kind": {"const": "Middleware"},
        "metadata": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}}}},
        "spec": {"type": "object", "additionalProperties": False, "required": ["forwardAuth"], "properties": {
            "forwardAuth": {"type": "object", "additionalProperties": False, "required": ["address"], "properties": {
                "address": {"type": "string", "pattern": "^https?://"},
                "trustForwardHeader": {"type": "boolean"},
                "authResponseHeaders": {"type": "array", "items": {"type": "string"}},
                "authResponseHeadersRegex": {"type": "string"},
                "authRequestHeaders": {"type": "array", "items": {"type": "string"}},
                "addAuthCookiesToResponse": {"type": "array", "items": {"type": "string"}},
                "forwardBody": {"type": "boolean"},
                "maxBodySize": {"type": "integer"},
                "preserveLocationHeader": {"type": "boolean"},
                "tls": {"type": "object"}}}}},
    },
}


def is_traefik(doc):
    return doc.get("apiVersion", "").startswith("traefik.io/")


def validate_traefik(docs):
    """Every Traefik document is a Middleware matching TRAEFIK_MIDDLEWARE_SCHEMA."""
    import jsonschema  # installed with kubernetes-validate in the tools venv

    for doc in (d for d in docs if is_traefik(d)):
        expect(doc["kind"] == "Middleware", f"Traefik {doc['kind']} has no schema here")
        errors = [e.message for e in jsonschema.Draft7Validator(TRAEFIK_MIDDLEWARE_SCHEMA).iter_errors(doc)]
        expect(not errors, f"Middleware {doc['metadata']['name']}: {errors}")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def helm_template(*args, release=RELEASE):
    """Rendered documents, or CheckFailed with Helm's message."""
    p = run([HELM, "template", release, str(CHART), *args])
    expect(p.returncode == 0, f"helm template {' '.join(args)} failed:\n{p.stderr.strip()}")
    return [d for d in yaml.safe_load_all(p.stdout) if d]


def find(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    expect(found, f"no {kind} {name or ''} rendered")
    return found[0]


def container(docs):
    return find(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]


def annotations(docs):
    return find(docs, "Deployment")["spec"]["template"]["metadata"].get("annotations", {})


def egress_ports(docs):
    """{(port, protocol)} opened by the NetworkPolicy, with the peers of each rule."""
    policy = find(docs, "NetworkPolicy")
    return {(p["port"], p.get("protocol", "TCP")) for rule in policy["spec"]["egress"] for p in rule.get("ports", [])}


# ---------------------------------------------------------------------------------------------
CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


@check
def seed_fixture_is_the_seed_verbatim():
    """ci/seed-000-values.yaml is byte for byte the seed guide's "values.yaml for Backend" block."""
    if not SEED_DOC.exists():
        return "skipped: ../shared/seeds not beside the repository"
    text = SEED_DOC.read_text()
    block = re.search(r"### values.yaml for Backend\s+```yaml\n(.*?)```", text, re.S)
    expect(block, "values.yaml block not found in the seed document")
    fixture = (CHART / "ci" / "seed-000-values.yaml").read_text()
    expect(fixture == block.group(1), "ci/seed-000-values.yaml differs from the seed's values.yaml")


@check
def values_schema_is_generated_from_its_source():
    generated = run([sys.executable, str(HERE / "values_schema.py")])
    expect(generated.returncode == 0, f"values_schema.py failed:\n{generated.stderr}")
    expect(generated.stdout == (CHART / "values.schema.json").read_text(),
           "values.schema.json is stale: python3 infrastructure/ci/values_schema.py > .../values.schema.json")


@check
def lint_strict_every_scenario():
    for name, args in SCENARIOS.items():
        p = run([HELM, "lint", "--strict", str(CHART), *args])
        expect(p.returncode == 0, f"helm lint --strict ({name}) failed:\n{p.stdout}{p.stderr}")


class Rendered(dict):
    """Scenario name -> rendered documents; a scenario that failed to render fails its users cleanly."""

    def __missing__(self, name):
        raise CheckFailed(f"scenario {name!r} did not render (see every_scenario_renders_and_validates_offline)")


RENDERED = Rendered()


@check
def every_scenario_renders_and_validates_offline():
    """kubernetes-validate --strict: unknown or mistyped fields fail, for each pinned Kubernetes version."""
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, args in SCENARIOS.items():
            RENDERED[name] = helm_template(*args)
            validate_traefik(RENDERED[name])
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(yaml.safe_dump_all([d for d in RENDERED[name] if not is_traefik(d)]))
            files.append(str(path))
        for version in KUBE_VERSIONS:
            p = run(["kubernetes-validate", "--strict", "--quiet", "-k", version, *files])
            expect(p.returncode == 0, f"kubernetes-validate {version} failed:\n{p.stdout}{p.stderr}")
        # The validator must be able to fail: a misspelled field in a Deployment is refused.
        broken = Path(tmp) / "broken.yaml"
        deployment = json.loads(json.dumps(find(RENDERED["default"], "Deployment")))
        deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
        broken.write_text(yaml.safe_dump(deployment))
        p = run(["kubernetes-validate", "--strict", "--quiet", "-k", KUBE_VERSIONS[-1], str(broken)])
        expect(p.returncode != 0, "kubernetes-validate accepted a misspelled Deployment field")
        # And the Middleware schema can fail too: a misspelled forwardAuth field is refused.
        middleware = json.loads(json.dumps(find(RENDERED["forward-auth"], "Middleware")))
        middleware["spec"]["forwardAuth"]["authResponseHeader"] = ["X-Auth-User"]
        try:
            validate_traefik([middleware])
        except CheckFailed:
            pass
        else:
            raise CheckFailed("the Middleware schema accepted a misspelled forwardAuth field")


# (helm arguments, regex the error must match): each must be REFUSED with a message naming the problem.
# Helm 4 says "at '/image': additional properties 'tga' not allowed", Helm 3 "image: Additional
# property tga is not allowed": the patterns accept both spellings of the same path.
def unknown(key):
    return rf"(?i)additional propert(y|ies) '?{key}'? (is )?not allowed"


SCHEMA_REFUSED = [
    (["--set", "image.tga=1.0"], unknown("tga")),
    (["--set-json", "image.tag=1.5"], r"image[./]tag"),
    (["--set", "replicaCont=2"], unknown("replicaCont")),
    (["--set", "replicaCount=two"], r"replicaCount"),
    (["--set", "environment=prod"], r"environment"),
    (["--set", "image.pullPolicy=sometimes"], r"image[./]pullPolicy"),
    (["--set", "livenessProbe.httpGet.pth=/health"], unknown("pth")),
    (["--set", "networkPolicy.enabeld=true"], unknown("enabeld")),
    (["--set", "networkPolicy.enabled=yes"], r"networkPolicy[./]enabled"),
    (["--set", "resources.limits.memory=lots"], r"resources[./]limits[./]memory"),
    (["--set", "database.sslMode=on"], r"database[./]sslMode"),
    (["--set", "database.port=99999"], r"database[./]port"),
    (["--set", "auth.betterAuth.url=frontend:3000"], r"auth[./]betterAuth[./]url"),
    (["--set", "auth.betterAuth.secret.existingSecrt=x"], unknown("existingSecrt")),
    (["--set-json", 'auth.providers=[{"name":"kc","issuer":"https://id.example.com"}]'], r"auth[./]providers[./]0"),
    (["--set-json", 'auth.providers=[{"name":"kc","issuer":"https://id","discovery":true,"algorithms":["HS256"]}]'],
     r"auth[./]providers[./]0[./]algorithms[./]0"),
    (["--set-json", 'env=[{"name":"PORT","value":8000}]'], r"env[./]0[./]value"),
    (["--set", "autoscaling.targetCPUUtilizationPercentage=150"], r"autoscaling[./]targetCPUUtilizationPercentage"),
    (["--set", "shutdown.delaySecond=5"], unknown("delaySecond")),
    (["--set", "corsAllowedOrigins=https://app.example.com"], r"corsAllowedOrigins"),
    (["--set", "forwardAuth.claimHeaders.email=X-Email"], r"forwardAuth[./]claimHeaders[./]email"),
    (["--set", "forwardAuth.enabeld=false"], unknown("enabeld")),
    (["--set-json", 'forwardAuth.policy.hosts=[{"audiences":["docs"]}]'], r"forwardAuth[./]policy[./]hosts[./]0"),
    (["--set-json", 'forwardAuth.policy.default={"audience":["docs"]}'], unknown("audience")),
]
# Refused by the templates: combinations the schema cannot see.
TEMPLATE_REFUSED = [
    (["--set", "replicaCount=2"], r"SQLite keeps the tasks in each pod's own volume"),
    (["--set", "autoscaling.enabled=true"], r"SQLite keeps the tasks in each pod's own volume"),
    (["--set", "database.host=db.example.com"], r"no password"),
    (["--set", "livenessProbe.tcpSocket.port=8000"], r"livenessProbe needs exactly one of httpGet"),
    (["--set", "auth.betterAuth.url="], r"environment=production needs an identity provider"),
    (["--set", "terminationGracePeriodSeconds=20"], r"must exceed shutdown.delaySeconds \+ shutdown.drainSeconds"),
    (["--set", "forwardAuth.enabled=false", "--set", "forwardAuth.traefik.enabled=true"], r"forwardAuth.traefik.enabled needs forwardAuth.enabled"),
]


@check
def misspelled_or_mistyped_values_are_refused_with_a_clear_message():
    for args, pattern in SCHEMA_REFUSED + TEMPLATE_REFUSED:
        p = run([HELM, "template", RELEASE, str(CHART), *args])
        expect(p.returncode != 0, f"helm template {' '.join(args)} was ACCEPTED; it must be refused")
        expect(re.search(pattern, p.stderr), f"helm template {' '.join(args)} refused without matching {pattern!r}:\n{p.stderr}")
    for args, _ in SCHEMA_REFUSED:
        lint = run([HELM, "lint", "--strict", str(CHART), *args])
        expect(lint.returncode != 0, f"helm lint {' '.join(args)} passed; it must fail")


@check
def names_and_labels_match_the_seed_commands():
    """`kubectl get pods -l app.kubernetes.io/name=backend-api` (and the seed's `-l app=backend-api`),
    `svc/backend-api`, `deployment backend-api`."""
    for name, docs in RENDERED.items():
        deployment, service = find(docs, "Deployment", "backend-api"), find(docs, "Service", "backend-api")
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        expect(pod_labels.get("app.kubernetes.io/name") == "backend-api", f"{name}: pod label name")
        expect(pod_labels.get("app") == "backend-api", f"{name}: seed 000's `kubectl logs -l app=backend-api` finds nothing")
        selector = service["spec"]["selector"]
        expect(all(pod_labels.get(k) == v for k, v in selector.items()), f"{name}: Service selects no pod")
        expect(deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(), f"{name}: selector")
        expect(service["spec"]["ports"][0]["port"] == 8000, f"{name}: Service port")
        for d in docs:
            if d["kind"] in ("StatefulSet", "Service") and d["metadata"]["name"].endswith("-postgresql"):
                labels = d["metadata"]["labels"]
                expect(labels["app.kubernetes.io/name"] != "backend-api", f"{name}: database labelled as the API")
    other = helm_template(release="tasks")
    find(other, "Deployment", "tasks-backend-api")


@check
def probes_startup_then_liveness_on_health_readiness_on_ready():
    c = container(RENDERED["default"])
    expect(c["ports"][0] == {"name": "http", "containerPort": 8000, "protocol": "TCP"}, "container port")
    expect(c["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}, "startupProbe")
    expect(c["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}, "livenessProbe")
    expect(c["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}, "readinessProbe")
    window = c["startupProbe"]["periodSeconds"] * c["startupProbe"]["failureThreshold"]
    expect(window >= 60, f"startup window {window}s: slow starts get killed (seed F11)")
    # The seed's own probes are kept as written, and the startupProbe still protects them.
    seed = container(RENDERED["seed-000"])
    expect(seed["livenessProbe"]["initialDelaySeconds"] == 30, "seed livenessProbe not kept")
    expect(seed["startupProbe"]["httpGet"]["path"] == "/health", "seed render lost the startupProbe")


@check
def resources_have_memory_requests_and_limits():
    for name in ("default", "local", "all-features", "external-db"):
        r = container(RENDERED[name])["resources"]
        expect(r["requests"]["memory"] and r["limits"]["memory"], f"{name}: memory request/limit missing")
    seed = container(RENDERED["seed-000"])["resources"]
    expect(seed["limits"] == {"cpu": "500m", "memory": "512Mi"}, "seed resources not kept")


@check
def pods_are_hardened():
    for name, docs in RENDERED.items():
        pod = find(docs, "Deployment")["spec"]["template"]["spec"]
        c = pod["containers"][0]
        expect(pod["automountServiceAccountToken"] is False, f"{name}: token automount")
        expect(pod["securityContext"]["runAsNonRoot"] is True, f"{name}: runAsNonRoot")
        expect(pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, f"{name}: seccomp")
        sc = c["securityContext"]
        expect(sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, f"{name}: fs/escalation")
        expect(sc["capabilities"]["drop"] == ["ALL"], f"{name}: capabilities")
        mounts = {m["mountPath"] for m in c["volumeMounts"]}
        expect({"/data", "/tmp"} <= mounts, f"{name}: writable /data and /tmp missing under a read-only root")
        expect(c["workingDir"] == "/data", f"{name}: working directory")
    sa = find(RENDERED["default"], "ServiceAccount", "backend-api")
    expect(sa["automountServiceAccountToken"] is False, "ServiceAccount automounts its token")


@check
def sqlite_lives_in_the_data_volume():
    cm = find(RENDERED["default"], "ConfigMap", "backend-api")
    expect(cm["data"]["DATABASE_URL"] == "sqlite:///data/backend-api.db", "SQLite URL outside /data")
    persistent = RENDERED["sqlite-persistent"]
    expect(find(persistent, "Deployment")["spec"]["strategy"] == {"type": "Recreate"}, "RWO volume needs Recreate")
    pvc = find(persistent, "PersistentVolumeClaim", "backend-api-data")
    expect(pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep", "data PVC deleted on uninstall")


@check
def image_tag_latest_and_pull_never_only_in_local_values():
    for name, docs in RENDERED.items():
        c = container(docs)
        if name == "local" or name.startswith("seed-000"):  # the seed's file asks for latest/Never itself
            continue
        expect(not c["image"].endswith(":latest") and ":" in c["image"], f"{name}: image {c['image']}")
        expect(c["imagePullPolicy"] != "Never", f"{name}: pullPolicy Never outside local values")
    local = container(RENDERED["local"])
    expect(local["image"] == "backend-api:latest" and local["imagePullPolicy"] == "Never", "values-local image")


@check
def env_has_no_duplicates_and_keeps_the_seed_entries():
    for name, docs in RENDERED.items():
        names = [e["name"] for e in container(docs).get("env", [])]
        expect(len(names) == len(set(names)), f"{name}: duplicate env entries {names}")
    seed_env = yaml.safe_load((CHART / "ci" / "seed-000-values.yaml").read_text())["env"]
    rendered = container(RENDERED["seed-000"])["env"]
    expect(all(e in rendered for e in seed_env), "seed env entries changed")
    # The seed points DATABASE_URL at its Secret: the chart must not add its own SQLite one on top.
    expect([e["name"] for e in rendered].count("DATABASE_URL") == 1, "DATABASE_URL twice")


@check
def secret_refs_to_the_chart_secret_name_keys_it_renders():
    for name, docs in RENDERED.items():
        rendered = {(d["metadata"]["name"], k) for d in docs if d["kind"] == "Secret" for k in d.get("data", {})}
        chart_secrets = {d["metadata"]["name"] for d in docs if d["kind"] == "Secret"}
        for e in container(docs).get("env", []):
            ref = (e.get("valueFrom") or {}).get("secretKeyRef")
            if ref and ref["name"] in chart_secrets:
                expect((ref["name"], ref["key"]) in rendered, f"{name}: {e['name']} -> missing key {ref}")


@check
def checksum_annotations_follow_configmap_and_secret_values():
    """A changed value of the chart's ConfigMap or Secret changes the pod template, so pods roll (F13)."""
    base = annotations(helm_template("--set", "auth.betterAuth.secret.value=first"))
    secret_changed = annotations(helm_template("--set", "auth.betterAuth.secret.value=second"))
    config_changed = annotations(helm_template("--set", "auth.betterAuth.secret.value=first", "--set", "logging.level=debug"))
    again = annotations(helm_template("--set", "auth.betterAuth.secret.value=first"))
    expect(base["checksum/secret"] != secret_changed["checksum/secret"], "secret change kept checksum/secret")
    expect(base["checksum/config"] == secret_changed["checksum/config"], "secret change moved checksum/config")
    expect(base["checksum/config"] != config_changed["checksum/config"], "config change kept checksum/config")
    expect(base == again, "same values, different checksums: pods would roll on every upgrade")
    providers = annotations(RENDERED["all-features"])["checksum/config"]
    edited = annotations(helm_template("-f", str(CHART / "ci" / "all-features-values.yaml"),
                                       "--set", "auth.providers[0].leewaySeconds=5"))["checksum/config"]
    expect(providers != edited, "providers file change kept checksum/config")
    expect("checksum/external-secrets" in annotations(RENDERED["seed-000"]), "no checksum of the seed's Secrets")


@check
def networkpolicy_egress_is_generated_from_the_endpoints():
    dns = {(53, "UDP"), (53, "TCP")}
    ports = egress_ports(RENDERED["external-db"])
    expect(ports == dns | {(8080, "TCP"), (5432, "TCP")}, f"external-db egress {sorted(ports)}")
    ports = egress_ports(RENDERED["all-features"])
    expect(dns | {(3000, "TCP"), (8080, "TCP"), (443, "TCP"), (5432, "TCP")} <= ports, f"all-features {sorted(ports)}")
    pg_rule = [r for r in find(RENDERED["all-features"], "NetworkPolicy")["spec"]["egress"]
               if r["ports"][0]["port"] == 5432][0]
    expect(pg_rule["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "backend-api-postgresql",
           "bundled PostgreSQL egress not narrowed to its pods")
    # The seed's raw env: BETTER_AUTH_URL http://frontend:3000, DATABASE_URL in a Secret (port from database.port).
    ports = egress_ports(RENDERED["seed-000+networkpolicy"])
    expect(ports == dns | {(3000, "TCP"), (5432, "TCP")}, f"seed egress {sorted(ports)}")
    # Seed 002 F9: an http back channel without a port is port 80, and must be opened.
    f9 = helm_template("-f", str(CHART / "ci" / "external-db-values.yaml"),
                       "--set", "auth.providers[0].internalUrl=http://keycloak-keycloak")
    expect((80, "TCP") in egress_ports(f9), "http back channel without a port: 80 not opened")
    expect(not any(d["kind"] == "NetworkPolicy" for d in RENDERED["default"]), "NetworkPolicy on by default")


@check
def providers_file_is_valid_toml_with_every_field():
    cm = find(RENDERED["all-features"], "ConfigMap", "backend-api-providers")
    providers = tomllib.loads(cm["data"]["providers.toml"])["provider"]
    expect([p["name"] for p in providers] == ["keycloak", "auth0"], "provider names")
    kc = providers[0]
    expect(kc == {"name": "keycloak", "issuer": "https://id.example.com/realms/app", "discovery": True,
                  "internal_url": "http://keycloak-keycloak.identity.svc:8080", "audiences": ["backend-api"],
                  "algorithms": ["RS256", "ES256"], "user_claim": "sub", "leeway_seconds": 60}, f"keycloak {kc}")
    c = container(RENDERED["all-features"])
    expect({"mountPath": "/etc/backend-api", "name": "providers", "readOnly": True} in c["volumeMounts"], "mount")
    expect(find(RENDERED["all-features"], "ConfigMap", "backend-api")["data"]["AUTH_PROVIDERS_FILE"]
           == "/etc/backend-api/providers.toml", "AUTH_PROVIDERS_FILE")


@check
def forward_auth_examples_point_at_the_service_and_are_off_by_default():
    docs = RENDERED["forward-auth"]
    url = "http://backend-api.default.svc.cluster.local:8000/auth/verify"
    ingress = find(docs, "Ingress")
    notes = ingress["metadata"]["annotations"]
    expect(notes["nginx.ingress.kubernetes.io/auth-url"] == url + "?host=docs.example.com", f"auth-url {notes}")
    expect(notes["nginx.ingress.kubernetes.io/auth-response-headers"]
           == "X-Auth-User,X-Auth-Provider,X-Auth-Email,X-Auth-Groups", f"auth-response-headers {notes}")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    expect(backend == {"name": "docs", "port": {"number": 80}}, f"protected Service {backend}")
    middleware = find(docs, "Middleware")["spec"]["forwardAuth"]
    expect(middleware["address"] == url and middleware["trustForwardHeader"] is False, f"Middleware {middleware}")
    config = find(docs, "ConfigMap", "backend-api")["data"]
    expect(config["FORWARD_AUTH_CLAIM_HEADERS"] == "email=X-Auth-Email,groups=X-Auth-Groups", f"{config}")
    expect(config["FORWARD_AUTH_POLICY_FILE"] == "/etc/backend-api-forward-auth/policy.toml", f"{config}")
    policy = tomllib.loads(find(docs, "ConfigMap", "backend-api-forward-auth")["data"]["policy.toml"])
    expect(policy == {"default": {"providers": ["better-auth"]},
                      "host": [{"host": "docs.example.com", "audiences": ["docs"], "providers": ["keycloak"]}]},
           f"policy.toml {policy}")
    mounts = container(docs)["volumeMounts"]
    expect({"mountPath": "/etc/backend-api-forward-auth", "name": "forward-auth", "readOnly": True} in mounts, "mount")
    for kind in ("Ingress", "Middleware"):
        expect(not any(d["kind"] == kind for d in RENDERED["default"]), f"{kind} on by default")
    off = find(helm_template("--set", "forwardAuth.enabled=false"), "ConfigMap", "backend-api")["data"]
    expect(off.get("FORWARD_AUTH") == "false", "forwardAuth.enabled=false not rendered")


@check
def optional_hpa_and_pdb():
    docs = RENDERED["all-features"]
    expect("replicas" not in find(docs, "Deployment")["spec"], "replicas set while the HPA scales")
    hpa = find(docs, "HorizontalPodAutoscaler")
    expect({m["resource"]["name"] for m in hpa["spec"]["metrics"]} == {"cpu", "memory"}, "HPA metrics")
    expect(find(docs, "PodDisruptionBudget")["spec"]["minAvailable"] == 1, "PDB")
    for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget"):
        expect(not any(d["kind"] == kind for d in RENDERED["default"]), f"{kind} on by default")


@contextlib.contextmanager
def fake_cluster(objects):
    """A kubeconfig path for fake_apiserver.py serving `objects` as the cluster's content."""
    with tempfile.TemporaryDirectory() as tmp:
        cluster, port_file = Path(tmp) / "cluster.yaml", Path(tmp) / "port"
        cluster.write_text(yaml.safe_dump_all(objects))
        server = subprocess.Popen([sys.executable, str(HERE / "fake_apiserver.py"), str(cluster), str(port_file)])
        try:
            wait_for(lambda: server.poll() is not None or (port_file.exists() and port_file.read_text()), 10,
                     "the fake API server to start")
            expect(server.poll() is None, "the fake API server exited")
            kubeconfig = Path(tmp) / "kubeconfig"
            kubeconfig.write_text(yaml.safe_dump({
                "apiVersion": "v1", "kind": "Config",
                "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{port_file.read_text()}"}}],
                "users": [{"name": "fake", "user": {"token": "ci"}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": "default"}}],
                "current-context": "fake"}))
            yield str(kubeconfig)
        finally:
            server.terminate()
            server.wait(timeout=10)


@check
def database_password_is_not_regenerated_on_upgrade():
    """Seed 002 F10: install, then upgrade against a cluster holding the first Secret: same password."""
    values = ["-f", str(CHART / "values-local.yaml")]
    first = helm_template(*values)
    secret = find(first, "Secret", "backend-api-postgresql")
    expect(secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep", "password Secret not kept")
    expect(helm_template(*values) != first, "two fresh installs share a password: it is not random")
    with fake_cluster(first) as kubeconfig:
        upgrade = helm_template(*values, "--dry-run=server", "--is-upgrade", "--disable-openapi-validation",
                                "--kubeconfig", kubeconfig)
    after = find(upgrade, "Secret", "backend-api-postgresql")
    expect(after["data"]["password"] == secret["data"]["password"], "password regenerated on upgrade")
    expect(container(upgrade)["env"] == container(first)["env"], "backend env changed on upgrade")
    expect(annotations(upgrade) == annotations(first), "pod template changed on a no-op upgrade")


def notes(*args):
    """NOTES.txt as `helm install` prints it (dry run against the stand-in API server)."""
    with fake_cluster([]) as kubeconfig:
        p = run([HELM, "install", RELEASE, str(CHART), "--dry-run=server", "--disable-openapi-validation",
                 "--kubeconfig", kubeconfig, *args])
    expect(p.returncode == 0, f"helm install --dry-run failed:\n{p.stderr}")
    return p.stdout.split("NOTES:", 1)[-1]


@check
def notes_explain_how_to_check_the_release():
    local = notes("-f", str(CHART / "values-local.yaml"))
    for text in ("kubectl -n default exec deploy/backend-api -- backend-api doctor",
                 "get pods -l app.kubernetes.io/name=backend-api", "backend-api token --sub alice"):
        expect(text in local, f"NOTES.txt lacks {text!r}")
    # The public/in-cluster issuer split (seed 002, problem 1) is called out until the issuer is set.
    warning = "BETTER_AUTH_ISSUER is not set"
    expect(warning in notes(), "no issuer warning with Better Auth and no issuer")
    expect(warning not in notes("--set", "auth.betterAuth.issuer=https://app.example.com"), "issuer warning when set")
    expect(warning not in local, "issuer warning without Better Auth")


if __name__ == "__main__":
    sys.exit(run_checks(CHECKS))
