#!/usr/bin/env bash
# Run every test of the workspace: the command the README and .ci/run use.
#
#   scripts/test.sh [EXTRA CARGO TEST ARGS...]
#
# 1. scripts/ensure-deps.sh (installs missing tools via apt-get when root)
# 2. cargo build --release --workspace
# 3. cargo fmt --all -- --check
# 4. cargo clippy --workspace --all-targets -- -D warnings
# 5. cargo test --release --workspace [EXTRA ARGS]
# 6. scripts/conformance.sh (mold's tests in ../shared/conformance; every
#    test in tests/conformance-pass.txt must still pass), on full runs only
#
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# rustup installs into ~/.cargo/bin; a non-login shell may not have it on PATH.
if ! command -v cargo >/dev/null 2>&1 && [ -f "${CARGO_HOME:-$HOME/.cargo}/env" ]; then
    # shellcheck disable=SC1091
    . "${CARGO_HOME:-$HOME/.cargo}/env"
fi

step() {
    echo
    echo "==> $*"
    local start=$SECONDS
    "$@"
    echo "==> ok ($((SECONDS - start)) s): $*"
}

step scripts/ensure-deps.sh

# rustfmt and clippy are in rustup's default profile, but not in the minimal one.
if command -v rustup >/dev/null 2>&1; then
    for component in rustfmt clippy; do
        if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
            step rustup component add "$component"
        fi
    done
fi

step cargo build --release --workspace
step cargo fmt --all -- --check
step cargo clippy --workspace --all-targets -- -D warnings
step cargo test --release --workspace "$@"
# A run narrowed to some tests (extra arguments) skips the harness.
if [ $# -eq 0 ]; then
    step scripts/conformance.sh
fi
echo
echo "scripts/test.sh: all steps passed"
