"""The benchmark: backend-api against the seeds' FastAPI design, measured side by side in one run.

Called by bench/run (which builds the binary, installs wrk and the reference's virtualenv).
Prints a Markdown table and writes it, with the raw figures, to bench/results/.

Method (also in bench/README.md):
* every server under test is started once and stays up; scenarios alternate between servers
  route by route (A, B, C, then the next route), repeated REPS times; figures are medians;
* servers run on CPU 0, wrk on CPU 1 (taskset); the only exception is FastAPI with 2 workers,
  which gets both CPUs (pinning two workers to one CPU would deny it its second worker);
* backend-api and the reference read the same user's 10 tasks from SQLite;
* the "auth off" ceiling is the service with the token check replaced by a layer that takes the
  user from the path (crates/api/examples/bench_auth_off.rs) when bench/run built it; otherwise
  /health stands in, which gives a lower bound of auth on / auth off;
* forward authentication: /auth/verify with one (cached) token against /health of the same
  server in the same run; `--forward-auth-only` runs just these two on backend-api.
"""

import argparse
import json
import math
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(__file__))

import load  # noqa: E402
import cpu_profile  # noqa: E402
from jwks_server import JwksServer  # noqa: E402
from keys import SigningKey  # noqa: E402
from procs import Server, free_port  # noqa: E402

BENCH_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ISSUER = "https://auth.bench.example"
AUDIENCE = "backend-api-bench"
USER = "bench-user"
TASKS = 10
POOL = 10_000
STORM = 1_000
SERVER_CPUS = {0}
LOAD_CPU = "1"
COOLDOWN_SECONDS = 10  # JWKS_REFRESH_COOLDOWN_SECONDS default (SPEC §3)


def main() -> None:
    args = _parse_args()
    if args.forward_auth_only:
        return _forward_auth_only(args)
    work = tempfile.mkdtemp(prefix="backend-api-bench-")
    jwks = JwksServer()
    k1 = SigningKey("bench-k1")
    jwks.publish(k1.public_jwk())
    one_token = k1.mint(ISSUER, AUDIENCE, USER)
    files = {
        "one": _write_lines(work, "one-token.txt", [one_token]),
        "pool": _write_lines(work, "pool.txt", [k1.mint(ISSUER, AUDIENCE, USER) for _ in range(POOL)]),
    }

    servers = {"backend-api": _backend_api(args.binary, work, jwks, "backend-api")}
    # The same build without its per-request INFO log line: what that line costs.
    servers["backend-api quiet logs"] = _backend_api(args.binary, work, jwks, "backend-api-quiet", {"RUST_LOG": "warn"})
    if args.auth_off_binary:
        # The auth-off example refuses ENVIRONMENT=production; JSON logs keep its work the same.
        servers["backend-api auth-off"] = _backend_api(
            args.auth_off_binary, work, jwks, "backend-api-auth-off",
            {"ENVIRONMENT": "development", "LOG_FORMAT": "json"},
        )
    reference_db = _reference_db(work)
    servers["fastapi 1 worker"] = _fastapi(1, work, jwks, reference_db, SERVER_CPUS)
    servers["fastapi 2 workers"] = _fastapi(2, work, jwks, reference_db, None)

    results: dict = {"config": vars(args) | {"work_dir": work}, "startup_ms": {}, "memory_mib": {}, "load": {}}
    try:
        _measure_startup(servers, args.startup_reps, results)
        for name in servers:
            if name.startswith("backend-api"):
                _seed_tasks(servers[name].port, one_token)
        time.sleep(1)
        for name, server in servers.items():
            results["memory_mib"][name] = {"idle": server.memory_kib()[0] / 1024}
        _run_load(servers, files, args, results)
        for name, server in servers.items():
            results["memory_mib"][name]["peak"] = server.memory_kib()[1] / 1024
        results["token_cache"] = _token_cache_rate(servers["backend-api"].port, files["pool"], args)
        if cpu_profile.available():
            results["profile"] = {
                label: cpu_profile.cpu_shares(servers["backend-api"].proc.pid, servers["backend-api"].port, route, tokens, LOAD_CPU)
                for label, route, tokens in [("tasks, 1 token", f"/api/{USER}/tasks", files["one"]),
                                             ("tasks, 10k tokens", f"/api/{USER}/tasks", files["pool"])]
            }
        results["jwks"] = _jwks_stress(servers, jwks, k1)
    finally:
        for server in servers.values():
            server.stop()
        jwks.close()

    report = _report(results, bool(args.auth_off_binary))
    print(report)
    os.makedirs(os.path.join(BENCH_DIR, "results"), exist_ok=True)
    with open(os.path.join(BENCH_DIR, "results", "latest.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    with open(os.path.join(BENCH_DIR, "results", "latest.md"), "w") as f:
        f.write(report + "\n")


def _parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", required=True, help="release build of backend-api")
    p.add_argument("--auth-off-binary", help="the bench_auth_off example of crates/api (no token check), if built")
    p.add_argument("--reps", type=int, default=5, help="repetitions of every load scenario")
    p.add_argument("--seconds", type=int, default=5, help="duration of one wrk run")
    p.add_argument("--connections", type=int, default=64, help="wrk connections")
    p.add_argument("--startup-reps", type=int, default=7, help="restarts timed per server")
    p.add_argument("--forward-auth-only", action="store_true",
                   help="only /auth/verify (1 cached token) against /health on backend-api; writes results/forward-auth.*")
    return p.parse_args()


def _forward_auth_only(args: argparse.Namespace) -> None:
    """/auth/verify ÷ /health req/s on one backend-api, alternating, `--reps` times."""
    work = tempfile.mkdtemp(prefix="backend-api-bench-")
    jwks = JwksServer()
    k1 = SigningKey("bench-k1")
    jwks.publish(k1.public_jwk())
    files = {"one": _write_lines(work, "one-token.txt", [k1.mint(ISSUER, AUDIENCE, USER)])}
    servers = {"backend-api": _backend_api(args.binary, work, jwks, "backend-api")}
    results: dict = {"config": vars(args) | {"work_dir": work}, "load": {}}
    scenarios = [(label, "backend-api", *FORWARD_AUTH_ROUTES[label](files)) for label in FORWARD_AUTH_ROUTES]
    try:
        servers["backend-api"].start()
        _run_scenarios(servers, scenarios, args, results)
    finally:
        servers["backend-api"].stop()
        jwks.close()
    load_r = results["load"]
    ratio = load_r["backend-api | /auth/verify, 1 token"]["rps"] / load_r["backend-api | /health"]["rps"]
    lines = ["| server | route | req/s (median) | p50 ms | p99 ms | non-2xx | socket errors |", "|---|---|---:|---:|---:|---:|---:|"]
    for key, r in load_r.items():
        name, label = key.split(" | ")
        lines.append(f"| {name} | {label} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['non2xx']} | {r['socket_errors']} |")
    lines += ["", "| target | measured | wanted | met |", "|---|---:|---|---|",
              f"| /auth/verify (1 token) ÷ /health | {ratio:.2f} | >= 0.8 | {'yes' if ratio >= 0.8 else 'NO'} |"]
    report = "\n".join(lines)
    print(report)
    os.makedirs(os.path.join(BENCH_DIR, "results"), exist_ok=True)
    with open(os.path.join(BENCH_DIR, "results", "forward-auth.json"), "w") as f:
        json.dump(results | {"ratio": ratio}, f, indent=2, default=str)
    with open(os.path.join(BENCH_DIR, "results", "forward-auth.md"), "w") as f:
        f.write(report + "\n")


# Forward authentication: a proxy's question, with one token (verified once, then cached).
FORWARD_AUTH_ROUTES = {
    "/health": lambda files: ("/health", None),
    "/auth/verify, 1 token": lambda files: ("/auth/verify", files["one"]),
}


def _write_lines(work: str, name: str, lines: list[str]) -> str:
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def _backend_api(binary: str, work: str, jwks: JwksServer, label: str, extra_env: dict | None = None) -> Server:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "ENVIRONMENT": "production",
        "DATABASE_URL": f"sqlite://{work}/{label}.db",
        "BETTER_AUTH_URL": jwks.url,
        "BETTER_AUTH_JWKS_URL": jwks.jwks_url,
        "BETTER_AUTH_ISSUER": ISSUER,
        "BETTER_AUTH_AUDIENCE": AUDIENCE,
        "JWKS_REFRESH_COOLDOWN_SECONDS": str(COOLDOWN_SECONDS),
    } | (extra_env or {})
    return Server(label, [binary, "serve"], env, port, "/ready", SERVER_CPUS, log_path=f"{work}/{label}.log")


def _fastapi(workers: int, work: str, jwks: JwksServer, db: str, cpus: set[int] | None) -> Server:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BETTER_AUTH_URL": jwks.url,
        "BETTER_AUTH_JWKS_URL": jwks.jwks_url,
        "BETTER_AUTH_ISSUER": ISSUER,
        "BETTER_AUTH_AUDIENCE": AUDIENCE,
        "REFERENCE_DB": db,
    }
    argv = [os.path.join(BENCH_DIR, ".venv", "bin", "uvicorn"), "app:app", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(workers)]
    label = f"fastapi-{workers}w"
    # The reference has no /ready; its readiness probe in the seeds is /health.
    return Server(label, argv, env, port, "/health", cpus, cwd=os.path.join(BENCH_DIR, "reference"),
                  log_path=f"{work}/{label}.log")


def _reference_db(work: str) -> str:
    path = os.path.join(work, "reference.db")
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE tasks (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, title TEXT NOT NULL, description TEXT,"
        " completed INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX tasks_user ON tasks (user_id, created_at)")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for i in range(TASKS):
        db.execute("INSERT INTO tasks VALUES (?, ?, ?, ?, 0, ?, ?)",
                   (str(uuid.uuid4()), USER, f"task {i}", "benchmark task", now, now))
    db.commit()
    db.close()
    return path


def _seed_tasks(port: int, token: str) -> None:
    """Gives the benchmark user the same 10 tasks the reference's database holds."""
    for i in range(TASKS):
        body = json.dumps({"title": f"task {i}", "description": "benchmark task"}).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/{USER}/tasks", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            if resp.status != 201:
                raise RuntimeError(f"seeding tasks: POST answered {resp.status}")


def _measure_startup(servers: dict[str, Server], reps: int, results: dict) -> None:
    """Times spawn → first 200 on the readiness path; the last start is the one under load."""
    for name, server in servers.items():
        first = server.start()
        times = []
        for _ in range(reps):
            server.stop()
            times.append(server.start())
        results["startup_ms"][name] = {"first_start": first * 1000, "median": statistics.median(times) * 1000,
                                       "all": [t * 1000 for t in times]}
        print(f"start-to-ready {name}: median {results['startup_ms'][name]['median']:.1f} ms", file=sys.stderr)


def _scenarios(servers: dict[str, Server], files: dict[str, str]) -> list[tuple[str, str, str, str | None]]:
    """(route label, server name, path, token file), grouped by route so servers alternate."""
    path = f"/api/{USER}/tasks"
    routes = {
        "tasks, 1 token": (path, files["one"]),
        "tasks, 10k tokens": (path, files["pool"]),
        "/health": ("/health", None),
        # The auth-off build ignores the token; sending one keeps the request bytes identical.
        "tasks, auth off": (path, files["one"]),
        "/auth/verify, 1 token": FORWARD_AUTH_ROUTES["/auth/verify, 1 token"](files),
    }
    wanted = {name: ["tasks, 1 token", "tasks, 10k tokens", "/health"] for name in servers}
    wanted["backend-api"].append("/auth/verify, 1 token")
    wanted["backend-api quiet logs"] = ["tasks, 1 token", "/health"]
    wanted["backend-api auth-off"] = ["tasks, auth off"]
    return [
        (label, name, *routes[label])
        for label in routes
        for name in servers
        if label in wanted[name]
    ]


def _run_load(servers: dict[str, Server], files: dict[str, str], args: argparse.Namespace, results: dict) -> None:
    _run_scenarios(servers, _scenarios(servers, files), args, results)


def _run_scenarios(servers: dict[str, Server], scenarios: list, args: argparse.Namespace, results: dict) -> None:
    for label, name, route, tokens in scenarios:  # warm-up: caches, JIT of nothing, TCP
        load.wrk(servers[name].port, route, tokens, 2, args.connections, LOAD_CPU)
    runs: dict[str, list] = {}
    for rep in range(args.reps):
        for label, name, route, tokens in scenarios:
            r = load.wrk(servers[name].port, route, tokens, args.seconds, args.connections, LOAD_CPU)
            runs.setdefault(f"{name} | {label}", []).append(r)
            print(f"rep {rep + 1}/{args.reps} {name:22} {label:18} {r.rps:10.0f} req/s  p50 {r.p50_ms:6.2f} ms"
                  f"  p99 {r.p99_ms:7.2f} ms  non2xx {r.non2xx} socket errors {r.socket_errors}", file=sys.stderr)
    for key, rs in runs.items():
        results["load"][key] = {
            "rps": statistics.median(r.rps for r in rs),
            "p50_ms": statistics.median(r.p50_ms for r in rs),
            "p99_ms": statistics.median(r.p99_ms for r in rs),
            "non2xx": sum(r.non2xx for r in rs),
            "socket_errors": sum(r.socket_errors for r in rs),
            "all_rps": [r.rps for r in rs],
        }


def _token_cache_rate(port: int, pool: str, args: argparse.Namespace) -> dict[str, float]:
    """Token-cache hits and misses during one more run of the 10k-token scenario."""
    before = _token_cache_counters(port)
    load.wrk(port, f"/api/{USER}/tasks", pool, args.seconds, args.connections, LOAD_CPU)
    after = _token_cache_counters(port)
    return {kind: after[kind] - before[kind] for kind in after}


def _token_cache_counters(port: int) -> dict[str, float]:
    """The verifier's token-cache hits and misses so far, from /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    counters = {"hits": 0.0, "misses": 0.0}
    for line in text.splitlines():
        for kind in counters:
            if line.startswith(f"token_cache_{kind}_total"):
                counters[kind] += float(line.rsplit(" ", 1)[1])
    return counters


def _jwks_stress(servers: dict[str, Server], jwks: JwksServer, k1: SigningKey) -> dict:
    """Rotation storm and random unknown kids, counted at the JWKS server."""
    k2 = SigningKey("bench-k2-rotated")
    jwks.publish(k2.public_jwk())
    path = f"/api/{USER}/tasks"
    out = {}
    for name in ("backend-api", "fastapi 1 worker"):
        port = servers[name].port
        before = jwks.fetches
        started = time.perf_counter()
        storm = load.burst(port, path, [k2.mint(ISSUER, AUDIENCE, USER) for _ in range(STORM)], STORM)
        storm_s = time.perf_counter() - started
        storm_fetches = jwks.fetches - before

        unknown = [k1.mint(ISSUER, AUDIENCE, USER, kid=uuid.uuid4().hex) for _ in range(POOL)]
        # The storm's fetch started a cooldown; let it pass so that the first unknown kid may
        # fetch, as it would on a quiet service, and the count below is the cooldown's doing.
        time.sleep(COOLDOWN_SECONDS + 1)
        before = jwks.fetches
        started = time.perf_counter()
        random_kids = load.burst(port, path, unknown, 100)
        random_s = time.perf_counter() - started
        out[name] = {
            "storm": {"requests": STORM, "seconds": storm_s, "fetches": storm_fetches, "outcomes": _outcomes(storm)},
            "random_kids": {
                "requests": POOL, "seconds": random_s, "fetches": jwks.fetches - before,
                "allowed": math.floor(random_s / COOLDOWN_SECONDS) + 1, "outcomes": _outcomes(random_kids),
            },
        }
        print(f"jwks stress {name}: {out[name]}", file=sys.stderr)
    return out


def _outcomes(counter) -> dict[str, int]:
    return {f"{status} {code}".strip(): n for (status, code), n in sorted(counter.items())}


def _report(results: dict, has_auth_off: bool) -> str:
    load_r, start, mem = results["load"], results["startup_ms"], results["memory_mib"]
    lines = ["| server | route | req/s (median) | p50 ms | p99 ms | non-2xx | socket errors |", "|---|---|---:|---:|---:|---:|---:|"]
    for key, r in load_r.items():
        name, label = key.split(" | ")
        lines.append(f"| {name} | {label} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['non2xx']} | {r['socket_errors']} |")
    lines += ["", "| server | start to ready, median ms (first start) | idle RSS MiB | peak RSS MiB |", "|---|---:|---:|---:|"]
    for name in start:
        lines.append(f"| {name} | {start[name]['median']:.1f} ({start[name]['first_start']:.1f}) | "
                     f"{mem[name]['idle']:.1f} | {mem[name]['peak']:.1f} |")

    def rps(name: str, label: str) -> float:
        return load_r[f"{name} | {label}"]["rps"]

    ceiling_label = "tasks, auth off" if has_auth_off else "/health"
    ceiling_server = "backend-api auth-off" if has_auth_off else "backend-api"
    ceiling = rps(ceiling_server, ceiling_label)
    jw = results["jwks"]["backend-api"]
    targets = [
        ("protected route ÷ FastAPI 1 worker (1 token)", rps("backend-api", "tasks, 1 token") / rps("fastapi 1 worker", "tasks, 1 token"), ">= 40", lambda v: v >= 40),
        ("protected route ÷ FastAPI 1 worker (10k tokens)", rps("backend-api", "tasks, 10k tokens") / rps("fastapi 1 worker", "tasks, 10k tokens"), ">= 40", lambda v: v >= 40),
        (f"auth on ÷ {ceiling_label} (1 token)", rps("backend-api", "tasks, 1 token") / ceiling, ">= 0.8", lambda v: v >= 0.8),
        (f"auth on ÷ {ceiling_label} (10k tokens)", rps("backend-api", "tasks, 10k tokens") / ceiling, ">= 0.5", lambda v: v >= 0.5),
        ("/auth/verify (1 token) ÷ /health of backend-api", rps("backend-api", "/auth/verify, 1 token") / rps("backend-api", "/health"),
         ">= 0.8", lambda v: v >= 0.8),
        ("start to ready, ms (median)", start["backend-api"]["median"], "< 50", lambda v: v < 50),
        ("idle RSS, MiB", mem["backend-api"]["idle"], "< 20", lambda v: v < 20),
        ("rotation storm: JWKS fetches for 1,000 requests", jw["storm"]["fetches"], "== 1", lambda v: v == 1),
        ("10,000 random unknown kids: JWKS fetches", jw["random_kids"]["fetches"], f"<= {jw['random_kids']['allowed']}",
         lambda v: v <= jw["random_kids"]["allowed"]),
    ]
    for label, shares in results.get("profile", {}).items():
        floor = 0.8 if "1 token" in label else 0.5
        targets.append((f"auth on ÷ auth off ({label}), 1 − auth's share of CPU in the profile",
                        1 - shares["auth"] / 100, f">= {floor}", lambda v, floor=floor: v >= floor))
    lines += ["", "| target | measured | wanted | met |", "|---|---:|---|---|"]
    for label, value, wanted, ok in targets:
        lines.append(f"| {label} | {value:.2f} | {wanted} | {'yes' if ok(value) else 'NO'} |")
    if not has_auth_off:
        lines.append("")
        lines.append("No auth-off build (example `bench_auth_off`) was given: the ceiling is backend-api's /health, which does"
                     " strictly less work than the unauthenticated route, so these two ratios are lower bounds.")
    if "profile" in results:
        names = list(next(iter(results["profile"].values())))
        lines += ["", "| backend-api CPU profile (perf, % of samples) | " + " | ".join(names) + " |",
                  "|---|" + "---:|" * len(names)]
        for label, shares in results["profile"].items():
            lines.append(f"| {label} | " + " | ".join(f"{shares[n]:.1f}" for n in names) + " |")
    cache = results.get("token_cache")
    if cache and cache["hits"] + cache["misses"]:
        lines += ["", f"backend-api token cache during one more 10k-token run: {cache['hits']:.0f} hits, {cache['misses']:.0f} misses "
                      f"({100 * cache['misses'] / (cache['hits'] + cache['misses']):.1f} % misses)."]
    lines += ["", "| JWKS stress | requests | seconds | JWKS fetches | outcomes |", "|---|---:|---:|---:|---|"]
    for name, s in results["jwks"].items():
        for kind in ("storm", "random_kids"):
            r = s[kind]
            lines.append(f"| {name}: {kind.replace('_', ' ')} | {r['requests']} | {r['seconds']:.2f} | {r['fetches']} | "
                         + ", ".join(f"{k}: {v}" for k, v in r["outcomes"].items()) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
