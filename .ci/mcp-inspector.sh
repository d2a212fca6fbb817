#!/usr/bin/env bash
# The MCP Inspector (npm @modelcontextprotocol/inspector, CLI mode, pinned in interop/inspector/) against
# backend-api's /mcp: a second client no one here wrote lists the tools (with its schema-portability
# check, --strict), calls each one with a development-key token, gets the REST `code` in a tool error,
# and, without a token, finds the OAuth resource metadata and asks for a sign-in.
# Runs after the test suite (the debug binary is built by then), in about 30 s; .ci/install.sh installs it.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=interop/inspector
if [ ! -x "$dir/node_modules/.bin/mcp-inspector" ]; then
  echo "mcp-inspector: $dir/node_modules missing; run: bash .ci/install.sh" >&2
  exit 2
fi
cargo build --quiet -p backend-api --bin backend-api
bin="${CARGO_TARGET_DIR:-target}/debug/backend-api"
inspector="$PWD/$dir/node_modules/.bin/mcp-inspector"

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export HOME="$work" # the Inspector keeps its catalog and OAuth state under $HOME
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
export DATABASE_URL="sqlite://$work/tasks.db" DEV_KEY_FILE="$work/dev-key" HOST=127.0.0.1 PORT="$port"
"$bin" serve >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  "$bin" healthcheck --timeout 1 >/dev/null 2>&1 && break
  sleep 0.2
done
"$bin" healthcheck --timeout 1 >/dev/null || { cat "$work/serve.log"; exit 1; }
token=$("$bin" token --sub inspector)
url="http://127.0.0.1:$port/mcp"

# call <expected exit> <inspector args…>: runs the Inspector, prints its JSON output on stdout.
call() {
  local expected=$1 status=0
  shift
  timeout 60 "$inspector" --cli "$url" --transport http "$@" >"$work/out" 2>"$work/err" || status=$?
  if [ "$status" != "$expected" ]; then
    echo "mcp-inspector $* exited $status, expected $expected" >&2
    cat "$work/out" "$work/err" "$work/serve.log" >&2
    exit 1
  fi
  cat "$work/out" "$work/err"
}
# check <JavaScript expression over `r`, the parsed first JSON value of stdin>
check() {
  node -e '
    const text = require("fs").readFileSync(0, "utf8");
    const r = JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1).split(/\n(?=\{)/)[0]);
    if (!(eval(process.argv[1]))) { console.error("check failed: " + process.argv[1] + "\n" + text); process.exit(1); }
  ' "$1"
}
auth=(--header "Authorization: Bearer $token")

call 0 "${auth[@]}" --method tools/list --strict |
  check 'r.tools.map(t => t.name).sort().join() === "complete_task,create_task,delete_task,get_task,list_tasks,update_task"'
id=$(call 0 "${auth[@]}" --method tools/call --tool-name create_task --tool-arg title=Inspected |
  node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); if (r.isError || r.structuredContent.title !== "Inspected") process.exit(1); console.log(r.structuredContent.id)')
call 0 "${auth[@]}" --method tools/call --tool-name list_tasks --tool-arg limit=10 |
  check "r.structuredContent.tasks.some(t => t.id === $id)"
call 0 "${auth[@]}" --method tools/call --tool-name get_task --tool-arg "id=$id" | check "r.structuredContent.id === $id"
call 0 "${auth[@]}" --method tools/call --tool-name update_task --tool-arg "id=$id" title=Renamed |
  check 'r.structuredContent.title === "Renamed"'
call 0 "${auth[@]}" --method tools/call --tool-name complete_task --tool-arg "id=$id" |
  check 'r.structuredContent.completed === true'
call 0 "${auth[@]}" --method tools/call --tool-name delete_task --tool-arg "id=$id" | check 'r.structuredContent.deleted === true'
# A tool error: the Inspector exits 5 and shows the problem body with the REST code.
call 5 "${auth[@]}" --method tools/call --tool-name get_task --tool-arg "id=$id" |
  check 'r.isError === true && JSON.parse(r.content[0].text).code === "task_not_found"'
# No token: the Inspector follows the 401's resource metadata to OAuth, which needs a person (exit 3).
call 3 --method tools/list | check 'r.error.code === "auth_required"'
echo "mcp-inspector: tools/list --strict and every tool OK ($("$inspector" --version 2>/dev/null || echo 2.12.0))"
