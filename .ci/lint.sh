#!/usr/bin/env bash
# Code-habit gates, run by .ci/run BEFORE the tests so a formatting or lint slip fails fast:
#   1. rustfmt: the tree is formatted (`cargo fmt --all` fixes it);
#   2. clippy on every crate and target, warnings are errors; the lint list is
#      [workspace.lints] in Cargo.toml, inherited by every crate (`[lints] workspace = true`);
#   3. cargo-deny (pinned in .ci/install.sh): dependency bans, licences and sources per deny.toml.
# The advisory database (RustSec) is NOT checked here: it is fetched from GitHub at run time and
# this CI has no network access to it. Run `cargo deny check advisories` where it is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo deny --log-level warn check bans licenses sources
