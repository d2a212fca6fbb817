"""The real backend-api binary against what the Helm chart renders.

For each value set the chart is rendered with the real Helm; the container's environment is then
assembled the way the kubelet does it (literal values with $(VAR) expansion, configMapKeyRef and
secretKeyRef resolved from the rendered ConfigMaps and Secrets; Secrets the chart only references
get a placeholder), and `backend-api config --json` must accept it: a key the chart writes into the
providers file or a variable the service does not know fails here, not in a cluster. The inline
secrets must not appear in its output. When the binary has `doctor manifests`, every rendering of
our own values must pass it without a failing finding.

Usage: BACKEND_API_BIN=target/release/backend-api python3 check_rendered_config.py
Ends with "N passed, N failed".
"""

import atexit
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from check_chart import SCENARIOS, container, find, helm_template
from checks import CheckFailed, expect, free_port, run_checks, wait_for

BIN = os.environ.get("BACKEND_API_BIN", "target/release/backend-api")
# Scenarios whose values are ours (the seed's file references Secrets and an image we do not ship).
OWN = ["default", "local", "all-features", "external-db", "sqlite-persistent", "forward-auth"]
# Values that stand in for Secrets the chart references but does not render (created by the operator).
PLACEHOLDER_DATABASE_URL = "postgres://ci:ci-placeholder@127.0.0.1:5432/ci"


def objects_by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def container_env(docs, root):
    """The environment the kubelet would give the container, with cluster paths moved under root."""
    config_maps, secrets = objects_by_kind(docs, "ConfigMap"), objects_by_kind(docs, "Secret")
    env, secret_values = {}, []
    for entry in container(docs).get("env", []):
        name, source = entry["name"], entry.get("valueFrom")
        if source is None:
            value = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), entry.get("value", ""))
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            value = config_maps[ref["name"]]["data"][ref["key"]]
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            if ref["name"] in secrets:
                value = base64.b64decode(secrets[ref["name"]]["data"][ref["key"]]).decode()
                secret_values.append(value)
            else:
                value = PLACEHOLDER_DATABASE_URL if name == "DATABASE_URL" else f"ci-placeholder-{ref['key']}"
        else:
            raise CheckFailed(f"{name}: unsupported valueFrom {source}")
        env[name] = value
    # Volumes of the pod, as directories here.
    (root / "data").mkdir()
    if "AUTH_PROVIDERS_FILE" in env:
        providers = objects_by_kind(docs, "ConfigMap")[f"{container(docs)['name']}-providers"]
        path = root / "providers.toml"
        path.write_text(providers["data"]["providers.toml"])
        env["AUTH_PROVIDERS_FILE"] = str(path)
    if "FORWARD_AUTH_POLICY_FILE" in env:
        policy = objects_by_kind(docs, "ConfigMap")[f"{container(docs)['name']}-forward-auth"]
        path = root / "forward-auth.toml"
        path.write_text(policy["data"]["policy.toml"])
        env["FORWARD_AUTH_POLICY_FILE"] = str(path)
    if env.get("DATABASE_URL", "").startswith("sqlite:///data/"):
        env["DATABASE_URL"] = "sqlite://" + str(root / "data") + env["DATABASE_URL"][len("sqlite:///data"):]
    return env, secret_values


# Working directory of commands that need none: never the repository (a development key or SQLite
# file created by a command must not land in the work tree).
SCRATCH = tempfile.mkdtemp(prefix="backend-api-packaging-")


def run_binary(args, env, cwd=SCRATCH):
    return subprocess.run([str(Path(BIN).resolve()), *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env})


def config_accepts_every_rendering():
    for name in OWN:
        docs = helm_template(*SCENARIOS[name])
        with tempfile.TemporaryDirectory() as tmp:
            env, secret_values = container_env(docs, Path(tmp))
            p = run_binary(["config", "--json"], env, Path(tmp) / "data")
            expect(p.returncode == 0, f"{name}: backend-api config refused the chart's configuration "
                                      f"(exit {p.returncode}):\n{p.stderr.strip()}")
            json.loads(p.stdout)
            for value in secret_values:
                expect(value not in p.stdout + p.stderr, f"{name}: a secret value is printed by `config`")


def doctor_manifests_finds_no_failure():
    if run_binary(["doctor", "manifests", "--help"], {}).returncode != 0:
        return "this build has no `doctor manifests`"
    for name in OWN:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(yaml.safe_dump_all(helm_template(*SCENARIOS[name])))
            f.flush()
            p = run_binary(["doctor", "manifests", f.name, "--json"], {})
        findings = json.loads(p.stdout)["findings"]
        failing = [x for x in findings if x["severity"] == "fail"]
        expect(not failing, f"{name}: doctor manifests fails the chart:\n{json.dumps(failing, indent=2)}")
    # And it can fail: a NetworkPolicy without the port of Better Auth's back channel (seed 002).
    docs = helm_template(*SCENARIOS["all-features"])
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy")
    policy["spec"]["egress"] = [r for r in policy["spec"]["egress"] if r["ports"][0]["port"] != 3000]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(yaml.safe_dump_all(docs))
        f.flush()
        p = run_binary(["doctor", "manifests", f.name, "--json"], {})
    findings = json.loads(p.stdout)["findings"]
    expect(any(x["severity"] == "fail" for x in findings), "doctor manifests missed a blocked back channel")
    # And an Ingress whose auth-url names a port the Service does not expose.
    docs = helm_template(*SCENARIOS["forward-auth"])
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    notes = ingress["metadata"]["annotations"]
    notes["nginx.ingress.kubernetes.io/auth-url"] = notes["nginx.ingress.kubernetes.io/auth-url"].replace(":8000/", ":8080/")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(yaml.safe_dump_all(docs))
        f.flush()
        p = run_binary(["doctor", "manifests", f.name, "--json"], {})
    codes = [x["code"] for x in json.loads(p.stdout)["findings"] if x["severity"] == "fail"]
    expect(codes == ["auth_url_port_missing"], f"doctor manifests on a wrong auth-url port: {codes}")


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def probe_answers(base, probe, status):
    """Whether the probe as rendered gets `status` (httpGet) or a connection (tcpSocket, status 200)."""
    if "httpGet" in probe:
        return http_status(base + probe["httpGet"]["path"]) == status
    try:
        with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=2):
            return status == 200
    except OSError:
        return status != 200


def serve(name, docs, tmp, overrides):
    """Starts `backend-api serve` with the pod's environment on a loopback port; returns (process, base URL)."""
    env, _ = container_env(docs, tmp)
    port = free_port()
    env.update(HOST="127.0.0.1", PORT=str(port), **overrides)
    log = open(tmp / "serve.log", "w")
    process = subprocess.Popen([str(Path(BIN).resolve()), "serve"], cwd=tmp / "data", stdout=log, stderr=log,
                               env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env})
    return process, f"http://127.0.0.1:{port}", env


def serve_answers_the_probes_the_chart_configures():
    """The chart's probes against the real service: the start-up and liveness paths answer 200 from the
    start; readiness is 200 with a database and keys (development, SQLite) and 503 while the identity
    provider is unreachable; `backend-api healthcheck` (the image's HEALTHCHECK) agrees; SIGTERM turns
    readiness to 503 first, and the process exits 0 within terminationGracePeriodSeconds."""
    unreachable = f"http://127.0.0.1:{free_port()}"  # nothing listens there: keys stay unavailable
    for name, ready, overrides in (("sqlite-persistent", 200, {}),
                                   ("default", 503, {"BETTER_AUTH_URL": unreachable})):
        docs = helm_template(*SCENARIOS[name])
        probes = {name: container(docs)[name] for name in ("startupProbe", "livenessProbe", "readinessProbe")}
        grace = find(docs, "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        with tempfile.TemporaryDirectory() as tmp:
            process, base, env = serve(name, docs, Path(tmp), overrides)
            try:
                healthcheck = lambda: run_binary(["healthcheck"], {"PORT": env["PORT"]}, tmp).returncode == 0
                wait_for(healthcheck, 60, f"{name}: `backend-api healthcheck` to pass")
                for probe in ("startupProbe", "livenessProbe"):
                    expect(probe_answers(base, probes[probe], 200), f"{name}: {probe} {probes[probe]} fails")
                wait_for(lambda: probe_answers(base, probes["readinessProbe"], ready), 15,
                         f"{name}: readinessProbe to answer {ready}")
                process.send_signal(signal.SIGTERM)
                if ready == 200 and int(env.get("SHUTDOWN_DELAY_SECONDS", "0")) > 0:
                    wait_for(lambda: probe_answers(base, probes["readinessProbe"], 503), 3,
                             f"{name}: readiness to turn 503 after SIGTERM")
                code = process.wait(timeout=grace)
                expect(code == 0, f"{name}: serve exited {code} after SIGTERM")
            except subprocess.TimeoutExpired:
                raise CheckFailed(f"{name}: still running {grace}s after SIGTERM (Kubernetes would SIGKILL it)")
            except CheckFailed as failure:
                log = (Path(tmp) / "serve.log").read_text()[-3000:]
                raise CheckFailed(f"{failure}\n--- serve log (tail):\n{log}") from None
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        expect(run_binary(["healthcheck"], {"PORT": env["PORT"]}).returncode == 1,
               f"{name}: healthcheck passes with nothing listening")


if __name__ == "__main__":
    expect(Path(BIN).exists(), f"{BIN} not built")
    atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
    sys.exit(run_checks([config_accepts_every_rendering, serve_answers_the_probes_the_chart_configures,
                         doctor_manifests_finds_no_failure]))
