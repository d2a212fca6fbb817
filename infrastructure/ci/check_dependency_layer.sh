#!/usr/bin/env bash
# Replays the Dockerfile's dependency layer without Docker: copies exactly the files its first
# COPY lines name into an empty directory, runs its first RUN (the stub sources) with `cargo build`
# replaced by `cargo metadata --locked`, and so proves that the manifests it copies form a complete
# workspace matching Cargo.lock. A new workspace member, or a lock file out of date, fails here
# instead of in someone's `docker build`. Also checks that .dockerignore keeps what the build
# stage's `COPY . .` needs. Run from the repository root.
set -euo pipefail
dockerfile="${1:-Dockerfile}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# COPY lines of the build stage before the first RUN: "COPY src... dest".
awk '/^RUN /{exit} /^COPY /' "$dockerfile" | while read -r _ args; do
  read -ra words <<<"$args"
  dest="${words[-1]}"
  for src in "${words[@]:0:${#words[@]}-1}"; do
    case "$dest" in
      */) mkdir -p "$work/$dest" && cp "$src" "$work/$dest" ;;
      *) mkdir -p "$(dirname "$work/$dest")" && cp "$src" "$work/$dest" ;;
    esac
  done
done

# The first RUN instruction, continuation lines joined.
run="$(awk '/^RUN /{on=1} on{print; if ($0 !~ /\\$/) exit}' "$dockerfile" | sed -e 's/^RUN //' -e 's/\\$//' | tr '\n' ' ')"
[ -n "$run" ] || { echo "check_dependency_layer: no RUN in $dockerfile" >&2; exit 1; }

# `cargo build` in that RUN becomes a workspace load against the lock file (no compilation).
mkdir -p "$work/.shim"
real_cargo="$(command -v cargo)"
cat >"$work/.shim/cargo" <<SHIM
#!/usr/bin/env bash
if [ "\$1" = build ]; then exec "$real_cargo" metadata --locked --format-version 1 >/dev/null; fi
exec "$real_cargo" "\$@"
SHIM
chmod +x "$work/.shim/cargo"
(cd "$work" && PATH="$work/.shim:$PATH" bash -euo pipefail -c "$run")
echo "ok: the dependency layer's manifests load as a workspace with the locked Cargo.lock"

# .dockerignore must not drop what the second stage compiles (sources, lock file, migrations that
# sqlx::migrate! embeds). Top-level paths only: the file's patterns are top-level too.
while read -r pattern; do
  case "$pattern" in ''|'#'*|'!'*) continue ;; esac
  for needed in Cargo.toml Cargo.lock crates migrations; do
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    if [[ "$needed" == ${pattern%/} ]]; then
      echo "check_dependency_layer: .dockerignore pattern '$pattern' drops $needed, which the build needs" >&2
      exit 1
    fi
  done
done < .dockerignore
echo "ok: .dockerignore keeps Cargo.toml, Cargo.lock, crates/ and migrations/"
