"""What the packaging checks share: the check runner, expectations, loopback ports, waiting."""

import socket
import sys
import time
import traceback


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def free_port():
    """A loopback port nothing listens on (the OS picks it; released for the caller to bind)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        expect(time.monotonic() < deadline, f"gave up after {seconds}s waiting for {what}")
        time.sleep(0.1)


def run_checks(checks):
    """Runs each check, one line per check, then "N passed, N failed"; returns the exit code.
    A check returning a string was skipped for that reason."""
    passed = failed = 0
    for fn in checks:
        try:
            skipped = fn()
        except CheckFailed as e:
            failed += 1
            print(f"FAIL {fn.__name__}: {e}")
            continue
        except Exception:  # a crash in a check is a failure of that check, not of the run
            failed += 1
            print(f"FAIL {fn.__name__}: crashed\n{traceback.format_exc()}")
            continue
        if skipped:
            print(f"SKIP {fn.__name__}: {skipped}")
        else:
            passed += 1
            print(f"ok   {fn.__name__}")
    print(f"{passed} passed, {failed} failed")
    sys.stdout.flush()
    return 1 if failed else 0
