#!/usr/bin/env bash
# Packaging checks (issue 7), run by .ci/run after the tests. No cluster and no Docker engine here,
# so: hadolint on the Dockerfile, a replay of its dependency layer, the Helm chart through the real
# Helm binaries (4 and 3) and the Kubernetes JSON schemas, then the release binary: its shared
# libraries must all exist in the distroless runtime image, it must run as the Dockerfile's runtime
# stage says (reproduced in a chroot), and it must accept and serve what the chart renders.
# Installs nothing: .ci/install.sh's Packaging section does (infrastructure/ci/install-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=infrastructure/ci/tools-env.sh
source infrastructure/ci/tools-env.sh
for tool in helm helm3 kubernetes-validate hadolint shellcheck; do
  if [ ! -x "$PACKAGING_BIN/$tool" ]; then
    echo "packaging: $tool missing from $PACKAGING_BIN; run: bash .ci/install.sh" >&2
    exit 2
  fi
done
export PATH="$PACKAGING_BIN:$PATH"
python="$PACKAGING_TOOLS/venv/bin/python"

echo "--- packaging: hadolint Dockerfile (.hadolint.yaml: fail on any finding)"
hadolint Dockerfile
echo "ok"

echo "--- packaging: shellcheck on the packaging scripts"
shellcheck -x .ci/packaging.sh infrastructure/ci/*.sh
echo "ok"

echo "--- packaging: Dockerfile dependency layer replayed without Docker"
bash infrastructure/ci/check_dependency_layer.sh

for helm in helm helm3; do
  echo "--- packaging: Helm chart with $("$helm" version --short) (lint, render, offline schema validation, assertions)"
  HELM="$helm" "$python" infrastructure/ci/check_chart.py
done

echo "--- packaging: release binary"
cargo build --release --locked -p backend-api
bash infrastructure/ci/check_ldd.sh target/release/backend-api

echo "--- packaging: the Dockerfile's runtime stage reproduced in a chroot (no Docker engine here)"
"$python" infrastructure/ci/check_runtime_image.py target/release/backend-api Dockerfile

echo "--- packaging: the binary against the chart's rendered configuration"
BACKEND_API_BIN="$PWD/target/release/backend-api" "$python" infrastructure/ci/check_rendered_config.py
