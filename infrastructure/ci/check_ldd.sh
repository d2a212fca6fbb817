#!/usr/bin/env bash
# The runtime image (distroless/cc) carries glibc and libgcc_s only: the binary may need nothing
# else - no OpenSSL, no libstdc++, no libz. Passes for a static binary too.
# Usage: check_ldd.sh BINARY
set -euo pipefail

# Shared objects distroless/cc provides; anything else would fail at container start.
allowed='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|ld-linux-[a-z0-9_-]+\.so\.[0-9]+|/lib64/ld-linux-[a-z0-9_-]+\.so\.[0-9]+|/lib/ld-linux-[a-z0-9_-]+\.so\.[0-9]+)$'

# Prints the libraries outside the allowed set; exit 1 if there are any.
unexpected_libraries() {
  local out
  out="$(ldd "$1" 2>&1)" || true
  if grep -qE 'not a dynamic executable|statically linked' <<<"$out"; then
    return 0
  fi
  local bad
  bad="$(awk '{print $1}' <<<"$out" | grep -vE "$allowed" || true)"
  [ -z "$bad" ] || { echo "$bad"; return 1; }
}

binary="$1"
[ -x "$binary" ] || { echo "check_ldd: $binary is not an executable" >&2; exit 2; }

# The check must be able to fail: git links libz/libpcre2, which the runtime image does not have.
if unexpected_libraries "$(command -v git)" >/dev/null; then
  echo "check_ldd: self-test failed: git's libraries were all accepted" >&2
  exit 1
fi

if ! bad="$(unexpected_libraries "$binary")"; then
  echo "check_ldd: $binary needs libraries the runtime image lacks:" >&2
  echo "$bad" >&2
  ldd "$binary" >&2
  exit 1
fi
ldd "$binary"
echo "ok: $binary needs only libc, libm, libgcc_s and the loader"
