#!/usr/bin/env bash
# The GNU Make adapter on the big example (examples/make-project/big.mk: the
# generated program of examples/c-project, 300 modules by default), against
# the same Makefile linking normally after the last compile:
#
#   cld concurrent  make -f big.mk            (make-helpers/concurrent-link.mk)
#   mold            make -f big.mk CONCURRENT_LINK_DISABLE=1 LDFLAGS=-fuse-ld=mold
#   cld serial      make -f big.mk CONCURRENT_LINK_DISABLE=1 LDFLAGS="-B <cld shim>"
#
# For each, RUNS times (variants interleaved), median/min/max of:
#   clean build     objects and program removed (sources kept), make -jJOBS
#   one-file        after touching one module's source
#   tail            last compile done (newest object's mtime) -> link done
#                   (the program's mtime), for both builds
#
#   bench/make-adapter.sh        RUNS=3 MODULES=300 FUNCS=24 JOBS=2
#
# Writes bench/results/make-adapter.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
RUNS=${RUNS:-3}
MODULES=${MODULES:-300}
FUNCS=${FUNCS:-24}
JOBS=${JOBS:-2}
for tool in gcc make python3 mold; do
    command -v "$tool" >/dev/null || { echo "make-adapter: $tool is missing (scripts/ensure-deps.sh)" >&2; exit 1; }
done

cargo build --release -p ld-core --bin cld
cld=$root/target/release/cld
shim=$("$cld" --print-shim-dir)
work=$root/target/bench/make-adapter
rm -rf "$work"
mkdir -p "$work"
export CLD_RUNTIME_DIR=$work/rt
now_ns() { date +%s%N; }
mtime_ns() { stat -c %.9Y "$1" | tr -d .; }

variants=(concurrent mold serial)
declare -A vargs=(
    [concurrent]="CONCURRENT_LINK_LOG=1"
    [mold]="CONCURRENT_LINK_DISABLE=1 LDFLAGS=-fuse-ld=mold"
    [serial]="CONCURRENT_LINK_DISABLE=1 LDFLAGS=-B$shim"
)
mk() { # mk VARIANT [make args]
    local v=$1
    shift
    # shellcheck disable=SC2086
    make -s -f "$root/examples/make-project/big.mk" "OUT=$work/$v" "MODULES=$MODULES" \
        "FUNCS=$FUNCS" "CLD=$cld" ${vargs[$v]} -j"$JOBS" "$@" >"$work/$v.out" 2>&1 ||
        { cat "$work/$v.out" >&2; exit 1; }
}
# log_us VARIANT: from the background linker's event log (concurrent only),
# "request wait -> link-done" in microseconds.
log_us() {
    local f=$work/$1/.concurrent-link/app.log
    awk '$3 == "request" && $4 == "wait" { w = $1 } $3 == "link-done" { d = $1 }
        END { printf "%d\n", (d - w) * 1000000 }' "$f"
    rm -f "$f"
}
# tail_us VARIANT: newest object -> program, microseconds
tail_us() {
    local v=$1 newest=0 t o
    for o in "$work/$v"/obj/*.o; do
        t=$(mtime_ns "$o")
        ((t > newest)) && newest=$t
    done
    t=$(mtime_ns "$work/$v/app")
    echo $(((t - newest) / 1000))
}

echo "==> warm-up builds (sources generated once per variant)"
for v in "${variants[@]}"; do mk "$v"; done
ref=$("$work/concurrent/app")

declare -A clean rebuild tclean trebuild wclean wrebuild
for ((r = 1; r <= RUNS; r++)); do
    for v in "${variants[@]}"; do
        rm -rf "$work/$v/obj" "$work/$v/app" "$work/$v/.concurrent-link"
        t0=$(now_ns); mk "$v"; t1=$(now_ns)
        c=$(((t1 - t0) / 1000))
        clean[$v]+="$c "
        tclean[$v]+="$(tail_us "$v") "
        [ "$v" = concurrent ] && wclean[$v]+="$(log_us "$v") "
        [ "$("$work/$v/app")" = "$ref" ] || { echo "$v: wrong output" >&2; exit 1; }
        sleep 0.05
        touch "$work/$v/src/mod_150.c"
        t0=$(now_ns); mk "$v"; t1=$(now_ns)
        o=$(((t1 - t0) / 1000))
        rebuild[$v]+="$o "
        trebuild[$v]+="$(tail_us "$v") "
        [ "$v" = concurrent ] && wrebuild[$v]+="$(log_us "$v") "
        echo "    run $r $v: clean $((c / 1000)) ms, one-file $((o / 1000)) ms"
    done
done
for v in "${variants[@]}"; do
    echo "raw $v (us): clean ${clean[$v]}| one-file ${rebuild[$v]}| tail ${tclean[$v]}| tail one-file ${trebuild[$v]}| wait ${wclean[$v]:-}| ${wrebuild[$v]:-}"
done
if ls "$CLD_RUNTIME_DIR"/*.sock >/dev/null 2>&1; then
    echo "make-adapter: background linkers left behind" >&2
    exit 1
fi

# stats "us us us" -> "median min max" in ms
stats() {
    printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
        printf "%.1f %.1f %.1f\n", m / 1000, v[1] / 1000, v[NR] / 1000 }'
}
row() { # row LABEL VARIANT ARRAY-NAME
    local -n a=$3
    read -r med min max < <(stats "${a[$2]}")
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$med" "$min" "$max"
}
out=bench/results/make-adapter.md
{
    echo "# GNU Make adapter: the big example"
    echo
    echo "\`bench/make-adapter.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), cld $(git rev-parse --short HEAD)"
    echo "on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) CPUs)."
    echo "$(mold --version | head -1); $(make --version | head -1); gcc $(gcc -dumpfullversion)."
    echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)."
    echo
    echo "Program: examples/make-project/big.mk, $MODULES generated modules x $FUNCS functions"
    echo "plus main (-O2 -g), make -j$JOBS; median of $RUNS runs (variants interleaved)."
    echo "Clean: objects and program removed, sources kept. One-file: after touching"
    echo "mod_150.c. Tail: newest object's mtime (last compile done) -> program's mtime"
    echo "(link done). concurrent = make-helpers/concurrent-link.mk (background cld);"
    echo "mold / cld serial = the same Makefile with CONCURRENT_LINK_DISABLE=1 and"
    echo "LDFLAGS=-fuse-ld=mold / -B <cld shim>: a normal link after the last compile."
    echo "The tails include make starting the link recipe and the driver or launcher"
    echo "around the linker; \"wait -> link done\" is the background linker's own part"
    echo "(its event log: the wait request to the output written). mtimes are taken with"
    echo "the kernel's coarse clock (4 ms steps)."
    echo
    echo "| measure | variant | median | min | max |"
    echo "|---|---|---:|---:|---:|"
    for v in "${variants[@]}"; do row "clean build (ms)" "$v" clean; done
    for v in "${variants[@]}"; do row "one-file rebuild (ms)" "$v" rebuild; done
    for v in "${variants[@]}"; do row "tail, clean build (ms)" "$v" tclean; done
    for v in "${variants[@]}"; do row "tail, one-file (ms)" "$v" trebuild; done
    row "wait -> link done, clean (ms)" concurrent wclean
    row "wait -> link done, one-file (ms)" concurrent wrebuild
} >"$out"
cat "$out"
