"""Load generators: wrk for throughput and latency, an asyncio client for bursts of distinct requests.

wrk runs as its own process pinned to the load CPU; the burst client (JWKS stress) opens one
connection per request so that a burst of N requests really is N concurrent requests.
"""

import asyncio
import json
import os
import subprocess
from collections import Counter
from dataclasses import dataclass

from procs import prioritise

WRK_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "wrk", "requests.lua")
# POST of one small task with one token (bench/run --hot-path, writes).
WRK_POST_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "wrk", "post.lua")


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int


def wrk(port: int, path: str, tokens_file: str | None, seconds: int, connections: int, cpus: str | None,
        script: str = WRK_SCRIPT) -> WrkResult:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script, f"http://127.0.0.1:{port}", "--", path]
    if tokens_file:
        argv.append(tokens_file)
    if cpus:
        argv = ["taskset", "-c", cpus] + argv
    out = subprocess.run(argv, check=True, capture_output=True, text=True, preexec_fn=prioritise).stdout
    line = [l for l in out.splitlines() if l.startswith("{")][-1]
    r = json.loads(line)
    return WrkResult(
        rps=r["requests"] / (r["duration_us"] / 1e6),
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        non2xx=r["non2xx"],
        socket_errors=r["socket_errors"],
    )


async def _one(port: int, path: str, token: str, barrier: asyncio.Barrier) -> tuple[int, str]:
    """One request on its own connection, sent once every connection of the batch is open."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        await barrier.wait()
        return 0, "connect_error"
    await barrier.wait()
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode()
    )
    try:
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=60)
    except (OSError, asyncio.TimeoutError):
        return 0, "io_error"
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split(b" ")
    status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
    code = ""
    if status != 200:
        try:
            code = json.loads(body).get("code", "")
        except ValueError:
            code = "unparsable_body"
    return status, code


async def _burst(port: int, path: str, tokens: list[str], concurrency: int) -> Counter:
    results: Counter = Counter()
    for offset in range(0, len(tokens), concurrency):
        batch = tokens[offset : offset + concurrency]
        # Every connection opens before any request goes out, so the batch arrives at once.
        barrier = asyncio.Barrier(len(batch))
        tasks = [asyncio.create_task(_one(port, path, t, barrier)) for t in batch]
        for status, code in await asyncio.gather(*tasks):
            results[(status, code)] += 1
    return results


def burst(port: int, path: str, tokens: list[str], concurrency: int) -> Counter:
    """Sends every token once, `concurrency` at a time; counts (status, problem code) pairs."""
    return asyncio.run(_burst(port, path, tokens, concurrency))
