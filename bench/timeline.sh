#!/usr/bin/env bash
# One picture of a clean build of the big example (examples/make-project/
# big.mk: 300 generated modules + main) with make -jJOBS:
#
#   cld   the Make adapter (make-helpers/concurrent-link.mk): a background
#         cld ingests each object as its compile finishes; the link step
#         waits for it (its event log: --concurrent-log)
#   mold  the same Makefile, CONCURRENT_LINK_DISABLE=1 LDFLAGS=-fuse-ld=mold:
#         a normal link after the last compile
#
# Every compile recipe, the compiler inside it and the link step are timed by
# bench/timeline-cc.sh (set up through make's CONCURRENT_CC and
# CONCURRENT_LINK: the launcher and link step stay the adapter's own, so the
# link command line is unchanged). bench/timeline.py draws
#
#   bench/results/timeline.svg   compiles per make job slot, cld's ingestion
#                                per worker, the final link's wait / resolve /
#                                layout / write, mold's build underneath on the
#                                same scale, and the tail zoomed
#   bench/results/timeline.md    the figures: build wall time, tail (last
#                                compile done -> program written) for both,
#                                objects ingested before the last compile
#
#   bench/timeline.sh            MODULES=300 FUNCS=24 JOBS=2
#
# Fails if the event log shows fewer objects ingested than were compiled, or
# if the two programs print different things.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
MODULES=${MODULES:-300}
FUNCS=${FUNCS:-24}
JOBS=${JOBS:-2}
for tool in gcc make python3 mold flock; do
    command -v "$tool" >/dev/null || { echo "timeline: $tool is missing (scripts/ensure-deps.sh)" >&2; exit 1; }
done

cargo build --release -p ld-core --bin cld
cld=$root/target/release/cld
helper=$root/make-helpers/cld-make
wrap=$root/bench/timeline-cc.sh
work=$root/target/bench/timeline
rm -rf "$work"
mkdir -p "$work"
export CLD_RUNTIME_DIR=$work/rt
now_ns() { local t=$EPOCHREALTIME; echo "${t//[.,]/}000"; }

declare -A vargs=(
    [concurrent]="CONCURRENT_LINK_LOG=1"
    [mold]="CONCURRENT_LINK_DISABLE=1 LDFLAGS=-fuse-ld=mold"
)
mk() { # mk VARIANT [make args]
    local v=$1
    shift
    # shellcheck disable=SC2086
    make -s -f "$root/examples/make-project/big.mk" "OUT=$work/$v" "MODULES=$MODULES" \
        "FUNCS=$FUNCS" "CLD=$cld" ${vargs[$v]} -j"$JOBS" \
        "CONCURRENT_CC=$wrap job $helper cc $wrap cc" \
        "CONCURRENT_LINK=$wrap link $helper link" "$@" >"$work/$v.out" 2>&1 ||
        { cat "$work/$v.out" >&2; exit 1; }
}

echo "==> generating the sources ($MODULES modules x $FUNCS functions), once per build"
for v in concurrent mold; do mk "$v" "$work/$v/generated-${MODULES}x${FUNCS}.mk"; done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

for v in concurrent mold; do
    echo "==> clean build: $v (make -j$JOBS)"
    rm -rf "$work/$v/obj" "$work/$v/app" "$work/$v/.concurrent-link"
    : >"$work/$v.trace"
    t0=$(now_ns)
    TIMELINE_TRACE=$work/$v.trace mk "$v"
    t1=$(now_ns)
    echo "$t0 $t1" >"$work/$v.t0"
    echo "    $(((t1 - t0) / 1000000)) ms"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cp "$work/concurrent/.concurrent-link/app.log" "$work/concurrent.log"

# The same program either way.
[ "$("$work/concurrent/app")" = "$("$work/mold/app")" ] ||
    { echo "timeline: the two programs differ" >&2; exit 1; }
if ls "$CLD_RUNTIME_DIR"/*.sock >/dev/null 2>&1; then
    echo "timeline: a background linker was left behind" >&2
    exit 1
fi

# Sanity check: every compiled object must appear as ingested in the log
# (timeline.py checks it again, by name).
built=$(awk '$1 == "job" { n++ } END { print n + 0 }' "$work/concurrent.trace")
ingested=$(awk '$3 == "ingest-done" && $4 != "fixed" { print $4 }' "$work/concurrent.log" | sort -u | wc -l)
if [ "$ingested" -lt "$built" ]; then
    {
        echo "timeline: FAILED: the background linker's log shows $ingested objects ingested,"
        echo "timeline: but $built were compiled. Log: $work/concurrent.log"
    } >&2
    exit 1
fi
echo "==> $built objects compiled, $ingested ingested by the background linker"

mkdir -p bench/results
note="Taken on a shared machine, busy with other jobs (load average ${load_after%% *} on $(nproc) CPUs): times are noisy."
[ -n "${TIMELINE_NOTE:-}" ] && note=$TIMELINE_NOTE
python3 bench/timeline.py --work "$work" --svg bench/results/timeline.svg --md bench/results/timeline.md \
    --meta "jobs=$JOBS" --meta "modules=$MODULES" --meta "funcs=$FUNCS" \
    --meta "date=$(date -u '+%Y-%m-%d %H:%M UTC')" \
    --meta "commit=$(git rev-parse --short HEAD)" \
    --meta "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) CPUs)" \
    --meta "versions=$(mold --version | head -1); $(make --version | head -1); gcc $(gcc -dumpfullversion)." \
    --meta "load_before=$load_before" --meta "load_after=$load_after" \
    --meta "note=$note" \
    --meta "footer=bench/timeline.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), cld $(git rev-parse --short HEAD); $(nproc) CPUs, load average $load_before before, $load_after after."
echo "==> wrote bench/results/timeline.svg and bench/results/timeline.md"
