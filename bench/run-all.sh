#!/usr/bin/env bash
# All the link benchmarks, one command:
#
#   bench/run-all.sh
#
# 1. bench/link-bench.sh       every workload (synth-100 ... synth-5000-g, lua,
#                              sqlite, libgit2-so, libgit2-prog) with ld.bfd,
#                              ld.gold, ld.lld, mold and cld
# 2. bench/ripgrep-link.sh     ripgrep's final link (captured from `cargo
#                              install ripgrep`, crates.io)
# 3. bench/concurrent-tail.sh  the tail latency of a concurrent link
# 4. bench/summarize.py        bench/results/SUMMARY.md and summary.json: one
#                              table, workload x linker -> median ms and peak
#                              RSS, plus the tail latency row
#
# Environment: RUNS (passed on; each script's own default otherwise),
# WORKLOADS (passed to link-bench.sh), BENCH_REBUILD, CLD_TEST_LINKER.
# Installs nothing (scripts/ensure-deps.sh --check says what is missing). A
# benchmark that fails is reported and the others still run; the exit status
# is 1 then. The first run compiles the inputs (about 10-15 minutes on 2 CPUs:
# the synthetic programs, libgit2, ripgrep; cached under target/bench), later
# runs take a few minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v python3 >/dev/null 2>&1 || { echo "run-all: python3 is required (apt-get install python3)" >&2; exit 1; }
failed=()
for b in link-bench ripgrep-link concurrent-tail; do
    echo "==================== bench/$b.sh"
    if ! "bench/$b.sh"; then
        echo "run-all: bench/$b.sh failed" >&2
        failed+=("$b")
    fi
done
echo "==================== summary"
python3 bench/summarize.py
cat bench/results/SUMMARY.md
if [ ${#failed[@]} -ne 0 ]; then
    echo "run-all: failed: ${failed[*]} (their results in bench/results are from an earlier run, if any)" >&2
    exit 1
fi
