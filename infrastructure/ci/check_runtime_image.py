"""The runtime stage of the Dockerfile, reproduced without Docker, with the real release binary.

There is no Docker engine on our machines, so this builds the nearest thing to the image: an empty
root directory holding only the binary at the path the Dockerfile copies it to and the shared
libraries `ldd` names (exactly what distroless/cc provides: check_ldd.sh has already refused any
other), plus /data owned by the runtime user. It then reads the final stage's USER, WORKDIR, ENV,
ENTRYPOINT, CMD and HEALTHCHECK from the Dockerfile and runs them the way the container runtime
would: chroot into that directory, change to WORKDIR, drop to USER. As that user only /data and
/tmp are writable, as under the chart's read-only root filesystem.

Asserted: the service starts on its embedded defaults (SQLite and development key in WORKDIR), the
HEALTHCHECK command passes while it serves and fails once it is gone, `backend-api token` works
inside the image and its token is accepted by the service, /ready turns 200, and SIGTERM (what
`docker stop` and Kubernetes send) ends it with exit 0. Needs root (chroot). Ends with
"N passed, N failed".

Usage: python3 check_runtime_image.py BINARY [Dockerfile]
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from checks import CheckFailed, expect, free_port, run_checks, wait_for

BINARY = Path(sys.argv[1] if len(sys.argv) > 1 else "target/release/backend-api").resolve()
DOCKERFILE = Path(sys.argv[2] if len(sys.argv) > 2 else "Dockerfile")


def final_stage(text):
    """Instructions of the last stage as (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    instructions = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    last_from = max(i for i, line in enumerate(instructions) if line.upper().startswith("FROM "))
    return [tuple(line.split(None, 1)) for line in instructions[last_from + 1:]]


def exec_form(args):
    """["a", "b"] (exec form) or a shell-form string - which a shell-less image cannot run."""
    expect(args.startswith("["), f"{args!r} is shell form: the image has no shell to run it")
    return json.loads(args)


def image_config():
    config = {"env": {}, "workdir": "/", "user": "0:0", "entrypoint": [], "cmd": [], "healthcheck": None,
              "binary_path": None, "owned": {}}
    for keyword, args in final_stage(DOCKERFILE.read_text()):
        keyword = keyword.upper()
        if keyword == "ENV":
            config["env"].update(dict(pair.split("=", 1) for pair in shlex.split(args)))
        elif keyword == "WORKDIR":
            config["workdir"] = args
        elif keyword == "USER":
            config["user"] = args
        elif keyword == "ENTRYPOINT":
            config["entrypoint"] = exec_form(args)
        elif keyword == "CMD":
            config["cmd"] = exec_form(args)
        elif keyword == "HEALTHCHECK":
            config["healthcheck"] = exec_form(args.split(" CMD ", 1)[1].strip())
        elif keyword == "COPY" and args.split()[-1].endswith("/" + BINARY.name):
            config["binary_path"] = args.split()[-1]
        elif keyword == "COPY" and "--chown=" in args:
            # A directory the image hands to a user (the Dockerfile's writable /data).
            owner = re.search(r"--chown=(\d+):(\d+)", args)
            expect(owner, f"COPY {args}: numeric --chown expected")
            config["owned"][args.split()[-1]] = (int(owner.group(1)), int(owner.group(2)))
    expect(re.fullmatch(r"\d+:\d+", config["user"]), f"USER {config['user']}: numeric uid:gid needed for runAsNonRoot")
    expect(not config["user"].startswith("0:"), "USER is root")
    expect(config["binary_path"], f"no COPY of {BINARY.name} in the final stage")
    return config


def build_rootfs(root, config):
    """The binary, its libraries (from ldd), the directories COPY --chown hands over, WORKDIR (created
    root-owned when nothing else made it, as Docker does) and /tmp; everything else root-owned."""
    uid, gid = (int(x) for x in config["user"].split(":"))
    target = root / config["binary_path"].lstrip("/")
    target.parent.mkdir(parents=True)
    shutil.copy2(BINARY, target)
    for library in re.findall(r"(/\S+) \(0x", subprocess.run(["ldd", str(BINARY)], capture_output=True,
                                                          text=True, check=True).stdout):
        copy = root / library.lstrip("/")
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library, copy, follow_symlinks=True)
    for directory, (owner, group) in config["owned"].items():
        path = root / directory.lstrip("/")
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, owner, group)
    (root / config["workdir"].lstrip("/")).mkdir(parents=True, exist_ok=True)
    # distroless has a world-writable /tmp; the chart mounts an emptyDir there.
    (root / "tmp").mkdir(exist_ok=True)
    (root / "tmp").chmod(0o1777)
    return uid, gid


def in_image(root, config, uid, gid):
    """preexec_fn entering the image: chroot, WORKDIR, then USER (groups first, uid last)."""
    def enter():
        os.chroot(root)
        os.chdir(config["workdir"])
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return enter


def http(method, url, token=None, body=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def image_runs_as_the_dockerfile_says():
    if os.geteuid() != 0:
        return "needs root for chroot"
    config = image_config()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "rootfs"
        uid, gid = build_rootfs(root, config)
        port = free_port()
        # The image's own environment; only the address is changed: loopback, a free port.
        env = {**config["env"], "HOST": "127.0.0.1", "PORT": str(port), "PATH": "/usr/local/bin:/usr/bin:/bin"}
        enter = in_image(str(root), config, uid, gid)
        log = open(Path(tmp) / "serve.log", "w")
        server = subprocess.Popen(config["entrypoint"] + config["cmd"], env=env, preexec_fn=enter,
                                  stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        in_container = lambda argv: subprocess.run(argv, env=env, preexec_fn=enter, capture_output=True,
                                                   text=True, timeout=30)
        try:
            wait_for(lambda: server.poll() is not None or in_container(config["healthcheck"]).returncode == 0, 30,
                     "the HEALTHCHECK to pass")
            expect(server.poll() is None, f"the service exited with {server.returncode} at start")
            wait_for(lambda: http("GET", base + "/ready") == 200, 15, "/ready to answer 200")
            token = in_container(config["entrypoint"] + ["token", "--sub", "alice"])
            expect(token.returncode == 0, f"`backend-api token` failed in the image:\n{token.stderr}")
            status = http("POST", base + "/api/alice/tasks", token.stdout.strip(), {"title": "from the image"})
            expect(status == 201, f"creating a task with the image's token answered {status}")
            workdir = root / config["workdir"].lstrip("/")
            expect(any(workdir.iterdir()), f"nothing written to WORKDIR {config['workdir']}: where did the data go?")
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=30)
            expect(code == 0, f"serve exited {code} after SIGTERM")
            expect(in_container(config["healthcheck"]).returncode != 0, "HEALTHCHECK passes with no server")
        except (CheckFailed, subprocess.TimeoutExpired) as failure:
            log.flush()
            raise CheckFailed(f"{failure}\n--- serve log (tail):\n{(Path(tmp) / 'serve.log').read_text()[-3000:]}")
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()


if __name__ == "__main__":
    expect(BINARY.exists(), f"{BINARY} not built")
    sys.exit(run_checks([image_runs_as_the_dockerfile_says]))
