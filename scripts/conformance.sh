#!/usr/bin/env bash
# Runs the conformance harness (half of mold's test suite, kept in
# ../shared/conformance beside the repository) against target/release/cld
# and fails if a test listed in tests/conformance-pass.txt no longer passes.
#
#   scripts/conformance.sh            # run all targets, check the list
#   scripts/conformance.sh --update   # rewrite the list from this run
#
# Prints the harness's 'N passed, N failed, N skipped' line, the listed
# tests that failed (a regression: exit 1), and the tests that pass but are
# not listed yet (add them with --update once they pass reliably).
# CONFORMANCE_DIR overrides where the harness is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

harness=${CONFORMANCE_DIR:-$(cd .. && pwd)/shared/conformance}
list=tests/conformance-pass.txt
if [ ! -x "$harness/run.sh" ]; then
    echo "conformance.sh: no harness at $harness (set CONFORMANCE_DIR)" >&2
    exit 1
fi
[ -x target/release/cld ] || cargo build --release -p ld-core

out=${CONFORMANCE_OUT:-$(mktemp -d /tmp/cld-conformance-XXXXXX)}
CONFORMANCE_OUT=$out "$harness/run.sh" -l target/release/cld | tail -1
results=$out/results.txt

if [ "${1:-}" = --update ]; then
    awk '$1 == "PASS" {print $2}' "$results" | sort > "$list"
    echo "conformance.sh: $(wc -l < "$list") tests written to $list"
    exit 0
fi

regressed=$(awk 'NR == FNR {want[$1] = 1; next} ($2 in want) && $1 != "PASS" {print $2}' "$list" "$results")
new=$(awk 'NR == FNR {want[$1] = 1; next} !($2 in want) && $1 == "PASS" {print $2}' "$list" "$results")
[ -n "$new" ] && echo "passing, not yet listed in $list:" $new
if [ -n "$regressed" ]; then
    echo "conformance.sh: these listed tests no longer pass (logs in $out/logs):"
    for t in $regressed; do
        echo "  $t"
        sed 's/^/    /' "$out/logs/$t.log" 2>/dev/null | tail -5
    done
    exit 1
fi
echo "conformance.sh: all $(wc -l < "$list") listed tests pass"
