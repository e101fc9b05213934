#!/usr/bin/env bash
# Fuzz cld's input parsers and the relocation pass for a fixed time each.
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets (fuzz/fuzz_targets/): object, archive, shared, script, link; all
# by default. SECONDS_PER_TARGET defaults to 20 (what CI runs after the
# tests, from .ci/run); a longer run is the same command with more seconds.
#
# 1. installs cargo-fuzz if it is missing (cargo install, from crates.io);
# 2. writes seed inputs with the broken-input generator
#    (ld-core/tests/broken_inputs.rs: valid inputs built with gcc/ar and
#    their broken variants) into target/fuzz-seeds/<target>/;
# 3. builds the targets (optimized, debug assertions and overflow checks on,
#    no sanitizer: the code is safe Rust, and the harness's allocator turns
#    any allocation over 256 MiB into a crash, see fuzz/src/lib.rs);
# 4. runs each for SECONDS_PER_TARGET with libFuzzer (a 10 s per-input
#    timeout, 2 GiB RSS limit), its corpus in fuzz/corpus/<target>/.
#
# Exits non-zero if any target finds a crash, a hang or a huge allocation;
# the input is then in fuzz/artifacts/<target>/ (reproduce with
# `cargo fuzz run -s none -O -a <target> <file>` from the top directory).
# cargo-fuzz needs nightly flags; on a stable toolchain RUSTC_BOOTSTRAP=1
# allows them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cargo >/dev/null 2>&1 && [ -f "${CARGO_HOME:-$HOME/.cargo}/env" ]; then
    # shellcheck disable=SC1091
    . "${CARGO_HOME:-$HOME/.cargo}/env"
fi

secs=${1:-20}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(object archive shared script link)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> cargo install cargo-fuzz --locked"
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

seeds=$PWD/target/fuzz-seeds
echo "==> seeds from the broken-input generator into $seeds"
rm -rf "$seeds"
CLD_FUZZ_SEED_DIR=$seeds cargo test --release -p ld-core --test broken_inputs -- \
    --ignored --exact export_fuzz_seeds --quiet

flags=(-s none -O -a)
echo "==> cargo fuzz build ${flags[*]}"
start=$SECONDS
cargo fuzz build "${flags[@]}"
echo "==> built in $((SECONDS - start)) s"

summary=()
failed=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log=target/fuzz-$t.log
    echo "==> fuzz $t for $secs s (log: $log)"
    status=0
    cargo fuzz run "${flags[@]}" "$t" "fuzz/corpus/$t" "$seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    if [ "$status" -ne 0 ]; then
        failed+=("$t")
        summary+=("$t: FAILED (exit $status) after ${runs:-?} runs")
        echo "---- $t: last lines of the log"
        tail -60 "$log" | cut -c1-300
    else
        summary+=("$t: ${runs:-?} runs in $secs s, $cov, corpus $(ls "fuzz/corpus/$t" | wc -l) inputs, no crash")
    fi
done

echo
echo "==> fuzz summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "scripts/fuzz-smoke.sh: crashes in: ${failed[*]} (inputs in fuzz/artifacts/)"
    exit 1
fi
