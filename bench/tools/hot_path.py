"""`bench/run --hot-path`: the task routes on real data, backend-api beside its yardsticks.

Servers (all on CPU 0, wrk -t1 on CPU 1, started once, idle while another is measured):
* backend-api on SQLite (access log at info, and a second instance at RUST_LOG=warn), on
  PostgreSQL without TLS and with TLS to the database (sslmode=require) when the server offers it;
* the plain Rust sketch (bench/sketch) on SQLite and on PostgreSQL;
* the Node peer (bench/peer: Fastify 5 + jose 6 + better-sqlite3 12) on SQLite;
* one more backend-api on SQLite that only serves 10,000 distinct tokens, for peak RSS.

Every server stores the same 20 tasks for the benchmark user; writes go to a second user so that
the list stays at 20. Scenarios alternate server by server within each repetition; figures are
medians over the repetitions, ratios are taken within this run. Writes results/hot-path.{md,json}.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))

import load  # noqa: E402
from jwks_server import JwksServer  # noqa: E402
from keys import SigningKey  # noqa: E402
from procs import Server, free_port  # noqa: E402

BENCH_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ISSUER = "https://auth.bench.example"
AUDIENCE = "backend-api-bench"
USER = "bench-user"
WRITER = "bench-writer"
TASKS = 20
POOL = 10_000
SERVER_CPUS = {0}
LOAD_CPU = "1"
PG = "postgres://postgres@127.0.0.1:5432"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", required=True, help="release build of backend-api")
    p.add_argument("--sketch", required=True, help="release build of bench/sketch")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--connections", type=int, default=64)
    args, _ = p.parse_known_args()

    work = tempfile.mkdtemp(prefix="backend-api-hot-path-")
    jwks = JwksServer()
    key = SigningKey("bench-k1")
    jwks.publish(key.public_jwk())
    reader = key.mint(ISSUER, AUDIENCE, USER)
    files = {
        "reader": _write(work, "reader.txt", [reader]),
        "writer": _write(work, "writer.txt", [key.mint(ISSUER, AUDIENCE, WRITER)]),
        "pool": _write(work, "pool.txt", [key.mint(ISSUER, AUDIENCE, USER) for _ in range(POOL)]),
    }
    stamp = str(os.getpid())
    pg_api, pg_sketch = f"bench_api_{stamp}", f"bench_sketch_{stamp}"
    for db in (pg_api, pg_sketch):
        _psql(f"CREATE DATABASE {db}")
    pg_tls = _psql("SHOW ssl").strip() == "on"

    api = lambda label, url, env=None: _backend_api(args.binary, work, jwks, label, url, env)  # noqa: E731
    servers = {
        "backend-api": api("api-sqlite", f"sqlite://{work}/api.db"),
        "backend-api, log warn": api("api-sqlite-warn", f"sqlite://{work}/api-warn.db", {"RUST_LOG": "warn"}),
        "Rust sketch": _sketch(args.sketch, work, key, "sketch-sqlite", f"sqlite:{work}/sketch.db"),
        "Fastify peer": _peer(work, jwks, "peer-sqlite"),
        "backend-api PG": api("api-pg", f"{PG}/{pg_api}?sslmode=disable"),
        "Rust sketch PG": _sketch(args.sketch, work, key, "sketch-pg", f"{PG}/{pg_sketch}?sslmode=disable"),
        "backend-api 10k tokens": api("api-sqlite-10k", f"sqlite://{work}/api-10k.db"),
    }
    if pg_tls:
        servers["backend-api PG TLS"] = api("api-pg-tls", f"{PG}/{pg_api}?sslmode=require")
    list_path, write_path = f"/api/{USER}/tasks", f"/api/{WRITER}/tasks"
    get, post = load.WRK_SCRIPT, load.WRK_POST_SCRIPT
    # (route label, server, path, token file, wrk script), grouped by route: servers alternate.
    scenarios = [
        (route, name, path, files[tokens], script)
        for route, names, path, tokens, script in [
            ("list, SQLite", ["backend-api", "backend-api, log warn",
                              "Rust sketch", "Fastify peer"], list_path, "reader", get),
            ("list, PostgreSQL", ["backend-api PG", "backend-api PG TLS", "Rust sketch PG"], list_path, "reader", get),
            ("list, SQLite, 10k tokens", ["backend-api 10k tokens"], list_path, "pool", get),
            ("POST, SQLite", ["backend-api", "Rust sketch", "Fastify peer"], write_path, "writer", post),
            ("POST, PostgreSQL", ["backend-api PG", "Rust sketch PG"], write_path, "writer", post),
        ]
        for name in names
        if name in servers
    ]
    results: dict = {"config": vars(args) | {"work_dir": work, "pg_tls": pg_tls}, "memory_mib": {}, "load": {}}
    try:
        for server in servers.values():
            server.start()
        seeded = set()
        for name, server in servers.items():
            db = server.env.get("DATABASE_URL", "").split("?")[0]
            if db.startswith("postgres") and db in seeded:
                continue  # TLS and plain instances share one database
            seeded.add(db)
            _seed(server.port, reader)
        time.sleep(1)
        for name, server in servers.items():
            results["memory_mib"][name] = {"idle": server.memory_kib()[0] / 1024}
        _run(servers, scenarios, args, results)
        for name, server in servers.items():
            results["memory_mib"][name]["peak"] = server.memory_kib()[1] / 1024
    finally:
        for server in servers.values():
            server.stop()
        jwks.close()
        for db in (pg_api, pg_sketch):
            _psql(f"DROP DATABASE IF EXISTS {db}")

    report = _report(results, args)
    print(report)
    os.makedirs(os.path.join(BENCH_DIR, "results"), exist_ok=True)
    with open(os.path.join(BENCH_DIR, "results", "hot-path.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    with open(os.path.join(BENCH_DIR, "results", "hot-path.md"), "w") as f:
        f.write(report + "\n")


def _write(work: str, name: str, lines: list[str]) -> str:
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def _psql(sql: str) -> str:
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", sql],
                          check=True, capture_output=True, text=True).stdout


def _base_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def _backend_api(binary, work, jwks, label, url, extra=None) -> Server:
    port = free_port()
    env = _base_env() | {
        "HOST": "127.0.0.1", "PORT": str(port), "ENVIRONMENT": "production", "DATABASE_URL": url,
        "BETTER_AUTH_URL": jwks.url, "BETTER_AUTH_JWKS_URL": jwks.jwks_url,
        "BETTER_AUTH_ISSUER": ISSUER, "BETTER_AUTH_AUDIENCE": AUDIENCE,
    } | (extra or {})
    return Server(label, [binary, "serve"], env, port, "/ready", SERVER_CPUS, log_path=f"{work}/{label}.log")


def _sketch(binary, work, key, label, url) -> Server:
    port = free_port()
    env = _base_env() | {"SKETCH_PORT": str(port), "SKETCH_DB": url, "SKETCH_JWK_X": key.public_jwk()["x"],
                         "SKETCH_ISSUER": ISSUER, "SKETCH_AUDIENCE": AUDIENCE}
    return Server(label, [binary], env, port, "/health", SERVER_CPUS, log_path=f"{work}/{label}.log")


def _peer(work, jwks, label) -> Server:
    port = free_port()
    env = _base_env() | {"PEER_PORT": str(port), "PEER_DB": f"{work}/peer.db", "PEER_JWKS_URL": jwks.jwks_url,
                         "PEER_ISSUER": ISSUER, "PEER_AUDIENCE": AUDIENCE, "NODE_ENV": "production"}
    return Server(label, ["node", "server.js"], env, port, "/health", SERVER_CPUS,
                  cwd=os.path.join(BENCH_DIR, "peer"), log_path=f"{work}/{label}.log")


def _seed(port: int, token: str) -> None:
    """The benchmark user's 20 tasks, written through the server's own POST route."""
    for i in range(TASKS):
        body = json.dumps({"title": f"task {i}", "description": "benchmark task"}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/{USER}/tasks", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            if resp.status != 201:
                raise RuntimeError(f"seeding tasks: POST answered {resp.status}")
    with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/api/{USER}/tasks",
                                headers={"Authorization": f"Bearer {token}"}), timeout=10) as resp:
        listed = json.loads(resp.read())
    if len(listed["tasks"]) != TASKS or listed["next_cursor"] is not None:
        raise RuntimeError(f"port {port}: list after seeding has {len(listed['tasks'])} tasks")


def _run(servers, scenarios, args, results) -> None:
    for route, name, path, tokens, script in scenarios:  # warm-up
        load.wrk(servers[name].port, path, tokens, 2, args.connections, LOAD_CPU, script)
    runs: dict[str, list] = {}
    for rep in range(args.reps):
        for route, name, path, tokens, script in scenarios:
            r = load.wrk(servers[name].port, path, tokens, args.seconds, args.connections, LOAD_CPU, script)
            runs.setdefault(f"{name} | {route}", []).append(r)
            print(f"rep {rep + 1}/{args.reps} {name:24} {route:26} {r.rps:9.0f} req/s  p99 {r.p99_ms:7.2f} ms"
                  f"  non2xx {r.non2xx}  socket errors {r.socket_errors}", file=sys.stderr)
    for key, rs in runs.items():
        results["load"][key] = {
            "rps": statistics.median(r.rps for r in rs), "p50_ms": statistics.median(r.p50_ms for r in rs),
            "p99_ms": statistics.median(r.p99_ms for r in rs), "non2xx": sum(r.non2xx for r in rs),
            "socket_errors": sum(r.socket_errors for r in rs), "all_rps": [r.rps for r in rs],
        }


def _report(results: dict, args) -> str:
    load_r, mem = results["load"], results["memory_mib"]
    lines = [f"`bench/run --hot-path --reps {args.reps} --seconds {args.seconds}`, wrk -t1 -c{args.connections}, "
             f"{TASKS} tasks, EdDSA token, medians of {args.reps} alternating repetitions", "",
             "| route | server | req/s | p99 ms | non-2xx | socket errors |", "|---|---|---:|---:|---:|---:|"]
    for key, r in load_r.items():
        name, route = key.split(" | ")
        lines.append(f"| {route} | {name} | {r['rps']:,.0f} | {r['p99_ms']:.1f} | {r['non2xx']} | {r['socket_errors']} |")

    def rps(name: str, route: str) -> float | None:
        r = load_r.get(f"{name} | {route}")
        return r["rps"] if r else None

    def p99(name: str, route: str) -> float | None:
        r = load_r.get(f"{name} | {route}")
        return r["p99_ms"] if r else None

    def ratio(a, b):
        return a / b if a and b else None

    targets = [
        ("list, SQLite: backend-api ÷ Rust sketch", ratio(rps("backend-api", "list, SQLite"), rps("Rust sketch", "list, SQLite")), ">= 1.0", 1.0),
        ("list, SQLite: backend-api ÷ Fastify peer", ratio(rps("backend-api", "list, SQLite"), rps("Fastify peer", "list, SQLite")), ">= 5", 5.0),
        ("list, PostgreSQL: backend-api ÷ Rust sketch", ratio(rps("backend-api PG", "list, PostgreSQL"), rps("Rust sketch PG", "list, PostgreSQL")), ">= 0.8", 0.8),
        ("list, PostgreSQL with TLS ÷ without", ratio(rps("backend-api PG TLS", "list, PostgreSQL"), rps("backend-api PG", "list, PostgreSQL")), "(shown)", None),
        ("POST, SQLite: backend-api ÷ Rust sketch", ratio(rps("backend-api", "POST, SQLite"), rps("Rust sketch", "POST, SQLite")), "(shown)", None),
        ("POST, PostgreSQL: backend-api ÷ Rust sketch", ratio(rps("backend-api PG", "POST, PostgreSQL"), rps("Rust sketch PG", "POST, PostgreSQL")), "(shown)", None),
        ("access log at info ÷ at warn (list, SQLite)", ratio(rps("backend-api", "list, SQLite"), rps("backend-api, log warn", "list, SQLite")), ">= 0.95", 0.95),
    ]
    checks = [
        ("p99 ms, list, SQLite", p99("backend-api", "list, SQLite"), "<= 10", lambda v: v <= 10),
        ("p99 ms, list, PostgreSQL", p99("backend-api PG", "list, PostgreSQL"), "<= 10", lambda v: v <= 10),
        ("idle RSS MiB", mem["backend-api"]["idle"], "< 20", lambda v: v < 20),
        ("peak RSS MiB, 10,000 distinct tokens", mem["backend-api 10k tokens"]["peak"], "<= 64", lambda v: v <= 64),
    ]
    lines += ["", "| target | measured | wanted | met |", "|---|---:|---|---|"]
    for label, value, wanted, floor in targets:
        met = "n/a" if value is None else ("-" if floor is None else ("yes" if value >= floor else "NO"))
        lines.append(f"| {label} | {'n/a' if value is None else f'{value:.2f}'} | {wanted} | {met} |")
    for label, value, wanted, ok in checks:
        met = "n/a" if value is None else ("yes" if ok(value) else "NO")
        lines.append(f"| {label} | {'n/a' if value is None else f'{value:.1f}'} | {wanted} | {met} |")
    lines += ["", "| server | idle RSS MiB | peak RSS MiB |", "|---|---:|---:|"]
    for name, m in mem.items():
        lines.append(f"| {name} | {m['idle']:.1f} | {m.get('peak', 0):.1f} |")
    if not results["config"]["pg_tls"]:
        lines += ["", "The local PostgreSQL has ssl off: no TLS figure in this run."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
