"""`bench/run --profile-list`: instruction counts of the list route on SQLite, by function.

Runs backend-api under `valgrind --tool=callgrind` (counts instructions, so the figures repeat on
a noisy shared machine), stores the benchmark's 20 tasks, sends REQUESTS list requests with one
EdDSA token over 4 connections, stops the service and prints the functions with the largest
inclusive and exclusive instruction counts per request (callgrind_annotate). Writes
results/profile-list.txt. The instrumented start-up and seeding are excluded (--toggle-collect
is not used; instead the counters are zeroed with callgrind_control before the load).

`--env NAME=VALUE` (repeatable) changes the service's environment, e.g. `--env RUST_LOG=warn` for
the cost of the access log; `--out FILE` writes elsewhere than results/profile-list.txt (a
comparison run should not replace the reference profile); `--top N` lists N functions.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

import hot_path  # noqa: E402
from jwks_server import JwksServer  # noqa: E402
from keys import SigningKey  # noqa: E402

REQUESTS = 2_000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--requests", type=int, default=REQUESTS)
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--out", default=os.path.join(hot_path.BENCH_DIR, "results", "profile-list.txt"))
    p.add_argument("--top", type=int, default=40)
    args, _ = p.parse_known_args()
    extra = dict(item.split("=", 1) for item in args.env)
    work = tempfile.mkdtemp(prefix="backend-api-callgrind-")
    jwks = JwksServer()
    key = SigningKey("bench-k1")
    jwks.publish(key.public_jwk())
    token = key.mint(hot_path.ISSUER, hot_path.AUDIENCE, hot_path.USER)
    out = os.path.join(work, "callgrind.out")
    server = hot_path._backend_api(args.binary, work, jwks, "api-callgrind", f"sqlite://{work}/api.db", extra)
    server.argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + server.argv
    try:
        server.start(timeout=120)
        hot_path._seed(server.port, token)
        subprocess.run(["callgrind_control", "--zero", str(server.proc.pid)], check=True, capture_output=True)
        started = time.perf_counter()
        _requests(server.port, token, args.requests)
        print(f"{args.requests} requests under callgrind in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        server.stop()
        jwks.close()
    report = []
    for inclusive in ("yes", "no"):
        text = subprocess.run(["callgrind_annotate", f"--inclusive={inclusive}", "--threshold=99", out],
                              check=True, capture_output=True, text=True).stdout
        report.append(f"### inclusive={inclusive}, {args.requests} requests\n\n" + _top(text, args.top))
    total = _total(text)
    settings = " ".join(args.env) or "default environment"
    joined = (f"{total / args.requests:,.0f} instructions per request ({settings})\n\n"
              + "\n\n".join(report))
    print(joined)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(joined + "\n")


def _requests(port: int, token: str, count: int) -> None:
    """`count` list requests over 4 keep-alive connections (wrk would time out under valgrind)."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(n):
            conn.request("GET", f"/api/{hot_path.USER}/tasks", headers={"Authorization": f"Bearer {token}"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"list answered {resp.status}")
        conn.close()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(worker, [count // 4] * 4))


def _total(text: str) -> int:
    """Instructions of the whole run, from the PROGRAM TOTALS row."""
    row = next(r for r in text.splitlines() if "PROGRAM TOTALS" in r)
    return int(row.split()[0].replace(",", ""))


def _top(text: str, lines: int) -> str:
    """The header and the first `lines` function rows of a callgrind_annotate listing."""
    rows = text.splitlines()
    start = next((i for i, r in enumerate(rows) if "file:function" in r), 0)
    return "\n".join(rows[max(0, start - 4): start + 2 + lines])


if __name__ == "__main__":
    main()
