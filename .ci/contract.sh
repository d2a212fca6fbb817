#!/usr/bin/env bash
# The OpenAPI document as a contract, checked against the real binary on SQLite and on
# PostgreSQL: a real OpenAPI 3.1 validator (openapi-spec-validator), Schemathesis with every
# check and phase (contract/schemathesis.toml), and a typed client (clients/typescript:
# openapi-typescript + tsc --noEmit), which must also fail on a contract-breaking change.
# Prints Schemathesis' results per check for each engine. Tools: .ci/install.sh, section
# "Contract". Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust), like the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
venv="${CONTRACT_TOOLS:-${HOME:-/root}/.cache/backend-api-contract}/venv"
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

# /docs ships Swagger UI inside the binary: its build must not download it. Rebuild that crate
# in a network namespace with no network at all (root can create one; CI runs as root).
cargo fetch --quiet
cargo clean --quiet -p utoipa-swagger-ui
unshare -n -- cargo build --quiet --offline -p backend-api
echo "docs assets: built with no network (utoipa-swagger-ui vendored)"
binary="${CARGO_TARGET_DIR:-$root/target}/debug/backend-api"
work="$(mktemp -d -t backend-api-contract.XXXXXX)"
server_pid=""
database=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$database" ]; then psql -q "$admin_url" -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# serve ENGINE: starts the binary on ENGINE in the background; sets base, token.
serve() {
  local engine="$1" dir="$work/$1" port
  mkdir -p "$dir"
  port="$(free_port)"
  if [ "$engine" = postgres ]; then
    database="backend_api_contract_$$"
    psql -q "$admin_url" -c "CREATE DATABASE \"$database\"" >/dev/null
    export DATABASE_URL="${admin_url%/*}/$database"
  else
    export DATABASE_URL="sqlite://$dir/tasks.db"
  fi
  export HOST=127.0.0.1 PORT="$port" DEV_KEY_FILE="$dir/dev-key" ENVIRONMENT=development LOG_FORMAT=json RUST_LOG=warn
  "$binary" serve >"$dir/serve.log" 2>&1 &
  server_pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 60); do
    curl -fsS "$base/ready" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "$base/ready" >/dev/null || { echo "contract: the service did not become ready on $engine" >&2; cat "$dir/serve.log" >&2; exit 1; }
  token="$("$binary" token --sub alice)"
}

stop() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  if [ -n "$database" ]; then psql -q "$admin_url" -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null; database=""; fi
}

# The document and the typed client (the same document on both engines: checked once).
check_document() {
  curl -fsS "$base/openapi.json" -o "$work/openapi.json"
  "$venv/bin/openapi-spec-validator" --schema 3.1.0 "$work/openapi.json"
  (
    cd clients/typescript
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund --silent; fi
    mkdir -p generated
    # A contract-breaking change must break the client: rename Task.completed and drop a
    # 401 code, generate, and expect tsc to fail.
    python3 - "$work/openapi.json" "$work/broken.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
task = doc["components"]["schemas"]["Task"]
task["properties"]["done"] = task["properties"].pop("completed")
task["required"] = ["done" if name == "completed" else name for name in task["required"]]
doc["components"]["schemas"]["UnauthorizedProblem"]["properties"]["code"]["enum"].remove("expired")
json.dump(doc, open(sys.argv[2], "w"))
PY
    npx --no-install openapi-typescript "$work/broken.json" -o generated/api.d.ts --silent
    if npx --no-install tsc --noEmit -p tsconfig.json >"$work/tsc-broken.log" 2>&1; then
      echo "contract: the typed client still compiles against a broken contract" >&2; exit 1
    fi
    echo "typed client: a broken contract fails tsc as it must ($(grep -c 'error TS' "$work/tsc-broken.log") errors)"
    npx --no-install openapi-typescript "$base/openapi.json" -o generated/api.d.ts --silent
    npx --no-install tsc --noEmit -p tsconfig.json
    echo "typed client: generated from $base/openapi.json, tsc --noEmit passed"
  )
}

run_schemathesis() {
  local engine="$1"
  (
    cd contract
    BACKEND_API_TOKEN="$token" BACKEND_API_USER=alice "$venv/bin/schemathesis" --no-color --config-file schemathesis.toml \
      run "$base/openapi.json" --seed 12 --report ndjson --report-ndjson-path "$work/$engine.ndjson"
  )
  python3 contract/counts.py "$work/$engine.ndjson" "$engine"
}

for engine in sqlite postgres; do
  echo "=== contract on $engine ==="
  serve "$engine"
  if [ "$engine" = sqlite ]; then check_document; fi
  run_schemathesis "$engine"
  stop
done
echo "contract: OpenAPI 3.1 valid, typed client compiles, Schemathesis clean on sqlite and postgres"
