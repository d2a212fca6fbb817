"""Where backend-api spends its CPU under load: perf samples of the process, grouped by component.

Used by main.py to explain the figures, and to estimate what authentication costs per request:
if verification takes a share f of the CPU, removing it would speed the route up by at most
1 / (1 - f), so auth on ÷ auth off ≈ 1 - f. Samples are attributed by symbol name (the release
build keeps symbols); code inlined into another component's function counts for that one.
"""

import collections
import re
import shutil
import subprocess
import tempfile
import time

import load

# First match wins; order matters (auth before json, logging before fmt-heavy others).
GROUPS = [
    ("auth", r"backend_api_auth|backend_api::auth|aws_lc|ed25519|edwards25519|curve25519|bignum|sha512|base64|serde_json::de|serde_json::read"),
    ("logging", r"tracing|DateTime|chrono|core::fmt|format_escaped|JsonVisitor"),
    ("database", r"sqlite|sqlx|Sqlite"),
    ("http", r"hyper|axum|tower|http::|httparse"),
    ("json", r"serde"),
    ("tokio", r"tokio|mio::"),
    ("allocator", r"malloc|_int_free|cfree|realloc|memmove|memcpy|memset"),
]


def available() -> bool:
    return shutil.which("perf") is not None


def cpu_shares(pid: int, port: int, path: str, tokens_file: str | None, load_cpu: str) -> dict[str, float]:
    """Percent of the process's samples per group while wrk loads `path` for 6 s."""
    data = tempfile.mktemp(suffix=".perf")
    wrk = subprocess.Popen(
        ["taskset", "-c", load_cpu, "wrk", "-t1", "-c64", "-d6s", "-s", load.WRK_SCRIPT, f"http://127.0.0.1:{port}", "--", path]
        + ([tokens_file] if tokens_file else []),
        stdout=subprocess.DEVNULL,
    )
    time.sleep(1)
    subprocess.run(["perf", "record", "-q", "-F", "1999", "-o", data, "-p", str(pid), "--", "sleep", "4"],
                   check=True, capture_output=True)
    wrk.wait()
    report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol", "--stdio", "-g", "none"],
                            check=True, capture_output=True, text=True).stdout
    shares: collections.Counter = collections.Counter()
    for line in report.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+\[(.)\]\s+(.*)", line)
        if not m:
            continue
        percent, space, symbol = float(m.group(1)), m.group(2), m.group(3)
        if space == "k":
            shares["kernel"] += percent
            continue
        for name, pattern in GROUPS:
            if re.search(pattern, symbol):
                shares[name] += percent
                break
        else:
            shares["other"] += percent
    return {name: shares[name] for name in [g for g, _ in GROUPS] + ["kernel", "other"]}
