"""Server processes under test: start on a fixed CPU set, time spawn to first 200, read RSS, stop.

Pinning uses sched_setaffinity in the child before exec (what `taskset` does), so the measured
start-up time does not include an extra exec of taskset. The child also gets PRIORITY (a negative
nice value, when the benchmark runs as root) so that other work on a shared machine disturbs the
measurement less; the load generator gets the same (load.py).
"""

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field


PRIORITY = -10


def prioritise() -> None:
    """Raises the calling process's priority if allowed; harmless otherwise."""
    try:
        os.nice(PRIORITY)
    except PermissionError:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    """Status of one GET on a fresh connection, None when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    ready_path: str
    cpus: set[int] | None
    cwd: str | None = None
    log_path: str = "/dev/null"
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, timeout: float = 60.0) -> float:
        """Spawns the server and returns seconds from spawn to the first 200 on ready_path."""
        cpus = self.cpus

        def prepare_child() -> None:
            prioritise()
            if cpus:
                os.sched_setaffinity(0, cpus)

        log = open(self.log_path, "ab")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=prepare_child,
        )
        log.close()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if http_status(self.port, self.ready_path) == 200:
                return time.perf_counter() - started
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            time.sleep(0.0005)
        raise RuntimeError(f"{self.name} not ready on {self.ready_path} within {timeout}s; see {self.log_path}")

    def memory_kib(self) -> tuple[int, int]:
        """(current RSS, peak RSS) in KiB, summed over the process and all its descendants."""
        rss = hwm = 0
        for pid in _process_tree(self.proc.pid):
            fields = _status_fields(pid)
            rss += fields.get("VmRSS", 0)
            hwm += fields.get("VmHWM", 0)
        return rss, hwm

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def _process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
        except OSError:
            continue
    return pids


def _status_fields(pid: int) -> dict[str, int]:
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if value.strip().endswith("kB"):
                    fields[key] = int(value.split()[0])
    except OSError:
        pass
    return fields
