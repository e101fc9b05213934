#!/usr/bin/env bash
# Tail latency of a concurrent link: the time from the last object being
# reported to `cld --concurrent-wait` returning, against a full link of the
# same objects by mold (and by cld serially).
#
#   bench/concurrent-tail.sh
#
# Inputs: the generated 200-object C program of ld-core/tests/concurrent.rs
# (cross-object calls and data relocations, strings, TLS, plus main.o and a
# static archive libaux.a that are not concurrent). They are built by that
# file's `serial_link_is_the_reference` test into
# target/tmp/concurrent/staging, which this script runs first.
#
# Measured, RUNS times each (median, min, max):
#   mold via gcc        gcc -fuse-ld=mold -Wl,--no-fork -o prog main.o m*.o libaux.a
#   mold direct         mold with the arguments gcc passes to ld
#   cld serial via gcc  gcc -B <cld shim> ... (the same command line)
#   cld serial direct   cld with the arguments gcc passes to ld
#   cld tail, paced     background linker started through gcc (FIFO); the
#                       objects are copied into a fresh directory and reported
#                       one by one in a random order (as compiles finish);
#                       timed: last report -> `cld --concurrent-wait` returns
#   cld tail, burst     the same, but all objects are reported at once just
#                       before the wait (the ingestion backlog is in the tail)
# Every output is compared with the serial cld link (cmp) and run once.
#
# Environment: RUNS=11 (min 5). Writes bench/results/concurrent-tail.md and
# bench/results/concurrent-tail.json (the same rows, for bench/summarize.py).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

RUNS="${RUNS:-11}"
((RUNS >= 5)) || RUNS=5
target="${CARGO_TARGET_DIR:-$root/target}"
staging="$target/tmp/concurrent/staging"
work="$target/bench/concurrent-tail"
results="$root/bench/results"
md="$results/concurrent-tail.md"
json="$results/concurrent-tail.json"
die() { echo "concurrent-tail: $*" >&2; exit 1; }

for tool in gcc cmp shuf; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
((BASH_VERSINFO[0] >= 5)) || die "bash 5 is required (EPOCHREALTIME)"
have_mold=1
command -v mold >/dev/null 2>&1 || { have_mold=0; echo "concurrent-tail: mold is not installed; its rows are skipped" >&2; }

echo "==> building cld and the 200-object program (cargo test ... serial_link_is_the_reference)"
cargo build --release -p ld-core >/dev/null 2>&1 || die "cargo build failed"
cargo test --release -p ld-core --test concurrent -- --exact serial_link_is_the_reference >/dev/null 2>&1 ||
    die "the staging test failed; run: cargo test --release -p ld-core --test concurrent -- serial_link_is_the_reference"
cld="$root/target/release/cld"
[ -n "${CARGO_TARGET_DIR:-}" ] && cld="$CARGO_TARGET_DIR/release/cld"
[ -x "$cld" ] || die "no cld binary at $cld"
[ -f "$staging/ref" ] || die "no reference output in $staging"

rm -rf "$work" && mkdir -p "$work/shim" "$work/capture"
ln -s "$cld" "$work/shim/ld"
# The arguments gcc passes to ld: a shim that records them.
cat >"$work/capture/ld" <<EOF
#!/bin/sh
printf '%s\n' "\$@" > '$work/capture/args'
exec '$cld' "\$@"
EOF
chmod +x "$work/capture/ld"

cd "$staging" || die "cannot cd to $staging"
objs=()
for f in m[0-9][0-9][0-9].o; do objs+=("$f"); done
n_objs=${#objs[@]}
((n_objs >= 200)) || die "expected 200 objects in $staging, found $n_objs"
expected="$(./ref)" || die "the reference program does not run"
gcc -B "$work/capture/" -o "$work/ref-captured" main.o "${objs[@]}" libaux.a || die "capturing the ld arguments failed"
mapfile -t ld_args <"$work/capture/args"
# The output of the direct runs goes to $work/out-*.
for ((i = 0; i < ${#ld_args[@]}; i++)); do
    if [ "${ld_args[i]}" = "-o" ]; then ld_args[i + 1]="$work/out-direct"; fi
done

now_us() { local t="${EPOCHREALTIME/./}"; echo "$t"; }

declare -A times
record() { times[$1]+="$2 "; }

check_output() { # check_output FILE WHAT
    cmp -s "$1" "$staging/ref" || [ "${3:-}" = any ] || die "$2: output differs from the serial cld link"
    [ "$("$1")" = "$expected" ] || die "$2: the program prints the wrong output"
}

time_cmd() { # time_cmd KEY CMD... (RUNS timed runs after one warm-up)
    local key="$1" k t0 t1
    shift
    "$@" >/dev/null 2>&1 || die "$key: failed: $*"
    for ((k = 0; k < RUNS; k++)); do
        t0=$(now_us)
        "$@" >/dev/null 2>&1 || die "$key: failed: $*"
        t1=$(now_us)
        record "$key" $((t1 - t0))
    done
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "==> full links ($RUNS runs each)"
if ((have_mold)); then
    time_cmd "mold via gcc" gcc -fuse-ld=mold -Wl,--no-fork -o "$work/out-mold" main.o "${objs[@]}" libaux.a
    check_output "$work/out-mold" "mold via gcc" any
    time_cmd "mold direct" mold --no-fork "${ld_args[@]}"
    check_output "$work/out-direct" "mold direct" any
fi
time_cmd "cld serial via gcc" gcc -B "$work/shim/" -o "$work/out-cld" main.o "${objs[@]}" libaux.a
check_output "$work/out-cld" "cld serial via gcc"
time_cmd "cld serial direct" "$cld" "${ld_args[@]}"
check_output "$work/out-direct" "cld serial direct"

# One concurrent link: RUN DIR, MODE (paced|burst).
concurrent_run() {
    local dir="$1" mode="$2" token t0 t1 wl o
    rm -rf "$dir" && mkdir -p "$dir/rt" && chmod 700 "$dir/rt"
    cp main.o libaux.a "$dir/"
    wl="--concurrent-pipe=$dir/p,--start-concurrent"
    for o in "${objs[@]}"; do wl+=",$o"; done
    wl+=",--end-concurrent"
    token="$(cd "$dir" && CLD_RUNTIME_DIR="$dir/rt" gcc -B "$work/shim/" -o prog main.o "-Wl,$wl" libaux.a)" ||
        die "starting the background linker failed"
    mapfile -t order < <(printf '%s\n' "${objs[@]}" | shuf)
    exec 7>"$dir/p"
    if [ "$mode" = paced ]; then
        for o in "${order[@]}"; do
            cp "$o" "$dir/$o"
            printf '%s\0' "$o" >&7
        done
    else
        for o in "${order[@]}"; do cp "$o" "$dir/$o"; done
        printf '%s\0' "${order[@]}" >&7
    fi
    t0=$(now_us)
    CLD_RUNTIME_DIR="$dir/rt" "$cld" --concurrent-wait="$token" || die "the wait failed ($mode)"
    t1=$(now_us)
    exec 7>&-
    record "cld tail, $mode" $((t1 - t0))
    check_output "$dir/prog" "cld concurrent ($mode)"
    [ -z "$(ls -A "$dir/rt")" ] || die "leftovers in the runtime directory: $(ls -A "$dir/rt")"
}

echo "==> concurrent links ($RUNS runs each, paced and burst)"
concurrent_run "$work/warm" paced
times["cld tail, paced"]=""
for ((k = 0; k < RUNS; k++)); do
    concurrent_run "$work/run-p$k" paced
    concurrent_run "$work/run-b$k" burst
done

stats() { # stats "us us ..." -> "median min max" in ms
    printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END {
        med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.1f %.1f %.1f\n", med / 1000, v[1] / 1000, v[NR] / 1000 }'
}

rows=("mold via gcc" "mold direct" "cld serial via gcc" "cld serial direct" "cld tail, paced" "cld tail, burst")
read -r mold_med _ _ < <(stats "${times["mold via gcc"]:-0}")
{
    echo "# Concurrent link: tail latency"
    echo
    echo "\`bench/concurrent-tail.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), cld $(git -C "$root" rev-parse --short HEAD)"
    echo "on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') ($(nproc) CPUs)."
    echo "$( ((have_mold)) && mold --version | head -1)."
    echo "Load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg) (other jobs"
    echo "share the machine: compare rows of one run, not runs of different days)."
    echo
    echo "Program: $n_objs generated C objects (concurrent) + main.o + libaux.a (not"
    echo "concurrent), PIE, glibc; $RUNS runs per row. \"Tail\" is the time from the last"
    echo "object reported on the FIFO to \`cld --concurrent-wait\` returning: what is"
    echo "left of the link once the last compile finishes. Paced: the objects are"
    echo "copied in and reported one at a time (about as fast as \`cp\` runs); burst:"
    echo "all reported at once right before the wait. Every output is byte-identical"
    echo "to cld's serial link and runs."
    echo
    echo "| what | median ms | min ms | max ms | vs mold via gcc |"
    echo "|---|---:|---:|---:|---:|"
    for r in "${rows[@]}"; do
        [ -n "${times[$r]:-}" ] || continue
        read -r med mn mx < <(stats "${times[$r]}")
        ratio=$(awk -v a="$med" -v b="$mold_med" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f\n", a / b }')
        echo "| $r | $med | $mn | $mx | $ratio |"
    done
} >"$md"
{
    printf '{\n  "date": "%s",\n  "commit": "%s",\n  "cpus": %s,\n  "runs": %s,\n  "objects": %s,\n  "rows": [\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(git -C "$root" rev-parse --short HEAD)" "$(nproc)" "$RUNS" "$n_objs"
    first=1
    for r in "${rows[@]}"; do
        [ -n "${times[$r]:-}" ] || continue
        read -r med mn mx < <(stats "${times[$r]}")
        [ "$first" = 1 ] || printf ',\n'
        first=0
        printf '    {"what": "%s", "median_ms": %s, "min_ms": %s, "max_ms": %s}' "$r" "$med" "$mn" "$mx"
    done
    printf '\n  ]\n}\n'
} >"$json"
echo
cat "$md"
echo
echo "wrote ${md#"$root"/} and ${json#"$root"/}"
