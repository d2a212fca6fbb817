"""Prints Schemathesis' results per check (passed / failed) from its NDJSON event report,
plus the number of requests and the statuses seen per operation. Usage: counts.py REPORT.ndjson LABEL
"""

import collections
import json
import sys


def main(path: str, label: str) -> None:
    checks: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    requests = 0
    with open(path, encoding="utf-8") as events:
        for line in events:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished.get("recorder") or {}
            for results in (recorder.get("checks") or {}).values():
                for result in results:
                    checks[result["name"]][result["status"]] += 1
            for interaction in (recorder.get("interactions") or {}).values():
                response = interaction.get("response")
                if not response:
                    continue
                requests += 1
                operation = recorder.get("label", "?")
                statuses[operation][response.get("status_code")] += 1
    print(f"Schemathesis results per check ({label}): {requests} requests")
    width = max((len(name) for name in checks), default=10)
    for name in sorted(checks):
        counts = checks[name]
        other = sum(v for k, v in counts.items() if k not in ("success", "failure"))
        line = f"  {name:<{width}}  {counts['success']:>6} passed  {counts['failure']:>4} failed"
        if other:
            line += f"  {other:>4} other"
        print(line)
    print(f"Statuses seen per operation ({label}):")
    for operation in sorted(statuses):
        seen = ", ".join(f"{status}x{count}" for status, count in sorted(statuses[operation].items()))
        print(f"  {operation}: {seen}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
