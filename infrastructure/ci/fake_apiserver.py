"""A read-only stand-in for the Kubernetes API, just enough for Helm's `lookup`.

Why it exists: the chart keeps the bundled PostgreSQL's password across `helm upgrade` by reading
the Secret back from the cluster (`lookup`), and plain `helm template` always sees an empty
cluster. No package on our registries ships a kube-apiserver, so CI runs the real Helm binary
(`helm template --dry-run=server`) against this server, which answers discovery requests and
serves the objects it was given as "already in the cluster". Everything else is 404 or an empty
list, as for a fresh namespace. It listens on 127.0.0.1 only, on a port the OS picks.

Usage: python3 fake_apiserver.py OBJECTS.yaml PORT_FILE
  OBJECTS.yaml  rendered manifests; every Secret in it is served by namespace and name
  PORT_FILE     the chosen port is written here once the server is listening
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import yaml

# Discovery: the API groups and resources the chart renders, so Helm can map kinds to URLs.
CORE_RESOURCES = ["secrets", "configmaps", "services", "serviceaccounts", "persistentvolumeclaims", "pods"]
GROUPS = {
    "apps": ("v1", ["deployments", "statefulsets"]),
    "autoscaling": ("v2", ["horizontalpodautoscalers"]),
    "policy": ("v1", ["poddisruptionbudgets"]),
    "networking.k8s.io": ("v1", ["networkpolicies"]),
}
KINDS = {
    "secrets": "Secret", "configmaps": "ConfigMap", "services": "Service",
    "serviceaccounts": "ServiceAccount", "persistentvolumeclaims": "PersistentVolumeClaim", "pods": "Pod",
    "deployments": "Deployment", "statefulsets": "StatefulSet",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler", "poddisruptionbudgets": "PodDisruptionBudget",
    "networkpolicies": "NetworkPolicy",
}


def resource_list(group_version, names):
    return {
        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
        "resources": [
            {"name": n, "singularName": "", "namespaced": True, "kind": KINDS[n],
             "verbs": ["get", "list", "create", "update", "patch", "delete"]}
            for n in names
        ],
    }


def discovery(path):
    """The discovery document for `path`, or None when it is not a discovery URL."""
    if path == "/version":
        return {"major": "1", "minor": "35", "gitVersion": "v1.35.0", "platform": "linux/amd64"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
    if path == "/apis":
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
             "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}}
            for g, (v, _) in GROUPS.items()]}
    if path == "/api/v1":
        return resource_list("v1", CORE_RESOURCES)
    for group, (version, names) in GROUPS.items():
        if path == f"/apis/{group}/{version}":
            return resource_list(f"{group}/{version}", names)
    return None


class Handler(BaseHTTPRequestHandler):
    secrets = {}  # (namespace, name) -> Secret object

    def log_message(self, fmt, *args):  # quiet: CI output stays readable
        pass

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = urlparse(self.path).path.rstrip("/")
        doc = discovery(path)
        if doc is not None:
            return self.send_json(200, doc)
        parts = path.strip("/").split("/")
        # /api/v1/namespaces/NS/RESOURCE[/NAME] and /apis/GROUP/VERSION/namespaces/NS/RESOURCE[/NAME]
        if "namespaces" in parts:
            i = parts.index("namespaces")
            rest = parts[i + 1:]
            if len(rest) == 3 and rest[1] == "secrets" and (rest[0], rest[2]) in self.secrets:
                return self.send_json(200, self.secrets[(rest[0], rest[2])])
            if len(rest) == 2:
                kind = KINDS.get(rest[1], "Object") + "List"
                return self.send_json(200, {"kind": kind, "apiVersion": "v1", "metadata": {}, "items": []})
        self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                             "reason": "NotFound", "code": 404, "message": f"{path} not found"})

    def refuse(self):
        self.send_json(405, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                             "reason": "MethodNotAllowed", "code": 405, "message": "read-only test server"})

    do_POST = do_PUT = do_PATCH = do_DELETE = refuse


def main():
    objects_file, port_file = sys.argv[1], sys.argv[2]
    with open(objects_file) as f:
        for doc in yaml.safe_load_all(f):
            if doc and doc.get("kind") == "Secret":
                ns = doc["metadata"].get("namespace", "default")
                Handler.secrets[(ns, doc["metadata"]["name"])] = doc
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file, "w") as f:
        f.write(str(server.server_address[1]))
    # Bounded life: the CI step needs seconds; never linger if the caller dies.
    threading.Timer(120, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
