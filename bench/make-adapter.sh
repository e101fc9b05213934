#!/usr/bin/env bash
# The GNU Make adapter on the big example (examples/make-project/big.mk: the
# generated program of examples/c-project, 300 modules by default), against
# the same Makefile linking normally after the last compile:
#
#   cld concurrent  make -f big.mk            (make-helpers/concurrent-link.mk)
#   mold            make -f big.mk CONCURRENT_LINK_DISABLE=1 LDFLAGS=-fuse-ld=mold
#   cld serial      make -f big.mk CONCURRENT_LINK_DISABLE=1 LDFLAGS="-B <cld shim> -Wl,--no-fork"
#   wild, mold-2.42 make -f big.mk CONCURRENT_LINK_DISABLE=1 LDFLAGS="-B <anchor shim> -Wl,--no-fork"
#                   (the anchors: wild 0.10 from cargo install, ../shared/anchors/mold;
#                   in VARIANTS only when asked for)
#
# For each, RUNS times (variants interleaved), median/min/max of:
#   clean build     objects and program removed (sources kept), make -jJOBS
#   one-file        after touching one module's source
#   tail            last compile done (newest object's mtime) -> link done
#                   (the program's mtime), for both builds
#
#   bench/make-adapter.sh        RUNS=3 MODULES=300 FUNCS=24 JOBS=2
#       CLEAN_RUNS=RUNS   how many of the runs time a clean build too (the
#                         others only the one-file rebuild: a 3,000-module
#                         clean build takes minutes)
#       VARIANTS="concurrent mold serial"   (also: wild mold-2.42)
#       REUSE=1           start from the last run's builds (see below)
#
# The first variant's warm-up build compiles the program; the others start
# from a copy of its sources and objects (mtimes kept), so only the link
# runs. Writes bench/results/make-adapter.md (make-adapter-MODULES.md for
# another MODULES).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
RUNS=${RUNS:-3}
MODULES=${MODULES:-300}
FUNCS=${FUNCS:-24}
JOBS=${JOBS:-2}
CLEAN_RUNS=${CLEAN_RUNS:-$RUNS}
# The module the one-file rebuild touches: the middle one (mod_150 of 300).
touched=$(printf 'mod_%03d' $((MODULES / 2)))
read -r -a variants <<<"${VARIANTS:-concurrent mold serial}"
for tool in gcc make python3 mold; do
    command -v "$tool" >/dev/null || { echo "make-adapter: $tool is missing (scripts/ensure-deps.sh)" >&2; exit 1; }
done

cargo build --release -p ld-core --bin cld
cld=$root/target/release/cld
shim=$("$cld" --print-shim-dir)
work=$root/target/bench/make-adapter
# REUSE=1: keep the programs built by the last run (same MODULES and FUNCS):
# the warm-up then only links.
[ -n "${REUSE:-}" ] || rm -rf "$work"
mkdir -p "$work"
export CLD_RUNTIME_DIR=$work/rt
now_ns() { date +%s%N; }
mtime_ns() { stat -c %.9Y "$1" | tr -d .; }

# The anchors, each through a shim directory of its own.
wild="$(command -v wild || ls "${CARGO_HOME:-$HOME/.cargo}/bin/wild" 2>/dev/null || true)"
mold242="$(ls "$root/../shared/anchors/mold" 2>/dev/null || true)"
declare -A anchor=([wild]=$wild [mold-2.42]=$mold242)
declare -A version=([mold]="$(mold --version | head -1)")
for v in "${variants[@]}"; do
    case $v in
    concurrent | mold | serial) ;;
    wild | mold-2.42)
        [ -n "${anchor[$v]}" ] || { echo "make-adapter: $v is not installed (see the performance issue)" >&2; exit 1; }
        mkdir -p "$work/shim-$v"
        ln -sfn "${anchor[$v]}" "$work/shim-$v/ld"
        version[$v]="$("${anchor[$v]}" --version | head -1)"
        ;;
    *) echo "make-adapter: unknown variant $v" >&2; exit 1 ;;
    esac
done
mk() { # mk VARIANT [make args]
    local v=$1
    shift
    local vargs=()
    case $v in
    concurrent) vargs=(CONCURRENT_LINK_LOG=1) ;;
    mold) vargs=(CONCURRENT_LINK_DISABLE=1 LDFLAGS=-fuse-ld=mold) ;;
    serial) vargs=(CONCURRENT_LINK_DISABLE=1 "LDFLAGS=-B$shim -Wl,--no-fork") ;;
    *) vargs=(CONCURRENT_LINK_DISABLE=1 "LDFLAGS=-B$work/shim-$v/ -Wl,--no-fork") ;;
    esac
    make -s -f "$root/examples/make-project/big.mk" "OUT=$work/$v" "MODULES=$MODULES" \
        "FUNCS=$FUNCS" "CLD=$cld" "${vargs[@]}" -j"$JOBS" "$@" >"$work/$v.out" 2>&1 ||
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

echo "==> warm-up build (${variants[0]}), the others from a copy of it"
mk "${variants[0]}"
for v in "${variants[@]:1}"; do
    mkdir -p "$work/$v"
    cp -a "$work/${variants[0]}/src" "$work/${variants[0]}/obj" "$work/${variants[0]}"/generated-*.mk "$work/$v/"
    mk "$v"
done
ref=$("$work/${variants[0]}/app")

declare -A clean rebuild tclean trebuild wclean wrebuild
for ((r = 1; r <= RUNS; r++)); do
    for v in "${variants[@]}"; do
        c=0
        if ((r <= CLEAN_RUNS)); then
            rm -rf "$work/$v/obj" "$work/$v/app" "$work/$v/.concurrent-link"
            t0=$(now_ns); mk "$v"; t1=$(now_ns)
            c=$(((t1 - t0) / 1000))
            clean[$v]+="$c "
            tclean[$v]+="$(tail_us "$v") "
            [ "$v" = concurrent ] && wclean[$v]+="$(log_us "$v") "
        fi
        [ "$("$work/$v/app")" = "$ref" ] || { echo "$v: wrong output" >&2; exit 1; }
        sleep 0.05
        touch "$work/$v/src/$touched.c"
        t0=$(now_ns); mk "$v"; t1=$(now_ns)
        o=$(((t1 - t0) / 1000))
        rebuild[$v]+="$o "
        trebuild[$v]+="$(tail_us "$v") "
        [ "$v" = concurrent ] && wrebuild[$v]+="$(log_us "$v") "
        [ "$("$work/$v/app")" = "$ref" ] || { echo "$v: wrong output after the one-file rebuild" >&2; exit 1; }
        echo "    run $r $v: clean $((c / 1000)) ms, one-file $((o / 1000)) ms"
    done
done
for v in "${variants[@]}"; do
    echo "raw $v (us): clean ${clean[$v]:-}| one-file ${rebuild[$v]}| tail ${tclean[$v]:-}| tail one-file ${trebuild[$v]}| wait ${wclean[$v]:-}| ${wrebuild[$v]:-}"
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
    [ -n "${a[$2]:-}" ] || return 0
    read -r med min max < <(stats "${a[$2]}")
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$med" "$min" "$max"
}
# ratio ARRAY-NAME VARIANT BASE: median of VARIANT / median of BASE
ratio() {
    local -n a=$1
    [ -n "${a[$2]:-}" ] && [ -n "${a[$3]:-}" ] || return 0
    read -r m _ < <(stats "${a[$2]}")
    read -r b _ < <(stats "${a[$3]}")
    awk -v m="$m" -v b="$b" 'BEGIN { printf "%.2f", m / b }'
}
out=bench/results/make-adapter.md
[ "$MODULES" = 300 ] || out=bench/results/make-adapter-$MODULES.md
{
    echo "# GNU Make adapter: the big example"
    echo
    echo "\`bench/make-adapter.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), cld $(git rev-parse --short HEAD)"
    echo "on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) CPUs)."
    echo "$(for v in "${!version[@]}"; do printf '%s; ' "${version[$v]}"; done)$(make --version | head -1); gcc $(gcc -dumpfullversion)."
    echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)."
    echo
    echo "Program: examples/make-project/big.mk, $MODULES generated modules x $FUNCS functions"
    echo "plus main (-O2 -g), make -j$JOBS; median of $RUNS runs (variants interleaved;"
    echo "clean builds timed in $CLEAN_RUNS of them)."
    echo "Clean: objects and program removed, sources kept. One-file: after touching"
    echo "$touched.c. Tail: newest object's mtime (last compile done) -> program's mtime"
    echo "(link done). concurrent = make-helpers/concurrent-link.mk (background cld);"
    echo "mold / cld serial = the same Makefile with CONCURRENT_LINK_DISABLE=1 and"
    echo "LDFLAGS=-fuse-ld=mold / -B <cld shim>: a normal link after the last compile."
    echo "The tails include make starting the link recipe and the driver or launcher"
    echo "around the linker; \"wait -> link done\" is the background linker's own part"
    echo "(its event log: the wait request to the output written). mtimes are taken with"
    echo "the kernel's coarse clock (4 ms steps). wild and mold 2.42 (when in the table) run"
    echo "with --no-fork, through a -B shim of their own."
    echo
    echo "| measure | variant | median | min | max |"
    echo "|---|---|---:|---:|---:|"
    for v in "${variants[@]}"; do row "clean build (ms)" "$v" clean; done
    for v in "${variants[@]}"; do row "one-file rebuild (ms)" "$v" rebuild; done
    for v in "${variants[@]}"; do row "tail, clean build (ms)" "$v" tclean; done
    for v in "${variants[@]}"; do row "tail, one-file (ms)" "$v" trebuild; done
    row "wait -> link done, clean (ms)" concurrent wclean
    row "wait -> link done, one-file (ms)" concurrent wrebuild
    for v in "${variants[@]}"; do
        [ "$v" = wild ] && continue
        x=$(ratio trebuild "$v" wild)
        [ -z "$x" ] || echo "| tail, one-file / wild's | $v | $x | | |"
    done
} >"$out"
cat "$out"
