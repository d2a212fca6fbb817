#!/usr/bin/env bash
# Coverage-guided fuzzing of the verification core (crates/auth/fuzz, cargo-fuzz + libFuzzer):
#   verify_token — token parsing and verification against the fixture keys of every algorithm;
#                  fails on a panic or on any accepted token that is not one of the fixture tokens;
#   parse_jwks   — key-set JSON parsing.
# Each target runs FUZZ_SECONDS (default 60) from the committed seed corpus; any crash fails CI
# (libFuzzer exits non-zero and leaves the input under crates/auth/fuzz/artifacts/).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.1
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  cargo install --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi

# cargo-fuzz passes unstable compiler flags (sanitizer-coverage instrumentation for
# libFuzzer). This machine has a stable toolchain only; RUSTC_BOOTSTRAP=1 lets that stable rustc
# accept them. It changes nothing else about the build, and only this script sets it.
export RUSTC_BOOTSTRAP=1
seconds="${FUZZ_SECONDS:-60}"
cd crates/auth/fuzz
# No sanitizer: the fuzzed code forbids `unsafe` (workspace lint), so AddressSanitizer would only
# slow the build and each run; panics and accepted forgeries are what the targets look for.
cargo fuzz build --release --sanitizer none
for target in verify_token parse_jwks; do
  # New inputs go to a scratch directory; the committed seeds are read only.
  scratch="$(mktemp -d)"
  cargo fuzz run --release --sanitizer none "$target" "$scratch" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
  rm -rf "$scratch"
done
