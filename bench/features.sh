#!/usr/bin/env bash
# What the big link features cost: identical code folding and compressed
# debug sections, cld against ld.lld and mold 2.42 on the same inputs.
#
#   bench/features.sh
#
# Program: synth-3000-g (bench/gen-synthetic.py 3000, -O2 -g; built by
# bench/link-bench.sh's rules if it is not there), linked with the arguments
# gcc passes to ld (LTO plugin options dropped). Each linker links it plain,
# with --icf=all, and with --compress-debug-sections=zlib and =zstd (where it
# has them), RUNS times (median). Every cld output runs and prints the
# expected checksum.
#
# Environment: RUNS=5. Writes bench/results/features.md.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
RUNS="${RUNS:-5}"
target="${CARGO_TARGET_DIR:-$root/target}"
prog="$target/bench/synth-3000-g"
work="$target/bench/features"
die() { echo "features: $*" >&2; exit 1; }
((BASH_VERSINFO[0] >= 5)) || die "bash 5 is required (EPOCHREALTIME)"
cargo build --release -p ld-core >/dev/null 2>&1 || die "cargo build failed"
cld="$target/release/cld"
if [ ! -f "$prog/link.args" ]; then
    WORKLOADS=synth-3000-g RUNS=1 bench/link-bench.sh >/dev/null 2>&1 || true
    git -C "$root" checkout -q -- bench/results 2>/dev/null || true
    [ -f "$prog/link.args" ] || die "synth-3000-g could not be built"
fi
declare -A path=([cld]="$cld" [ld.lld]="$(command -v ld.lld || true)"
    [mold-2.42]="$(ls "$root/../shared/anchors/mold" 2>/dev/null || true)")

rm -rf "$work" && mkdir -p "$work/capture"
printf '#!/bin/sh\nprintf "%%s\\n" "$@" > %s/args\nexec %s "$@"\n' "$work" "$cld" >"$work/capture/ld"
chmod +x "$work/capture/ld"
cd "$prog" || die "no $prog"
mapfile -t link_args <link.args
gcc -B "$work/capture/" -o "$work/ref" "${link_args[@]}" || die "the capturing link failed"
expected=$("$work/ref") || die "the reference program does not run"
mapfile -t raw <"$work/args"
args=()
for ((i = 0; i < ${#raw[@]}; i++)); do
    a=${raw[i]}
    case "$a" in
        -plugin) i=$((i + 1)); continue ;;
        -plugin-opt=*) continue ;;
        -o) i=$((i + 1)); continue ;;
        -L*) d=${a#-L}; [[ $d = /* ]] || d="$prog/$d"; args+=("-L$d"); continue ;;
        obj/* | lib/*) args+=("$prog/$a"); continue ;;
    esac
    args+=("$a")
done

modes=("plain:" "icf:--icf=all" "zlib:--compress-debug-sections=zlib" "zstd:--compress-debug-sections=zstd")
rows=()
for name in cld ld.lld mold-2.42; do
    bin=${path[$name]}
    [ -n "$bin" ] || { echo "features: $name not found; skipped" >&2; continue; }
    for m in "${modes[@]}"; do
        mode=${m%%:*} flag=${m#*:}
        extra=()
        [ -n "$flag" ] && extra=("$flag")
        case "$name" in mold-2.42 | cld) extra+=(--no-fork) ;; esac
        out="$work/$name-$mode"
        "$bin" "${args[@]}" "${extra[@]}" -o "$out" >/dev/null 2>&1 || { rows+=("$name|$mode|unsupported||"); continue; }
        ts=()
        for ((r = 0; r < RUNS; r++)); do
            t0=$EPOCHREALTIME
            "$bin" "${args[@]}" "${extra[@]}" -o "$out" >/dev/null 2>&1
            t1=$EPOCHREALTIME
            ts+=("$(echo "($t1 - $t0) * 1000" | bc -l)")
        done
        med=$(printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}')
        size=$(stat -c %s "$out")
        if [ "$name" = cld ]; then
            [ "$("$out")" = "$expected" ] || die "cld $mode: the program prints something else"
        fi
        rows+=("$name|$mode|$med|$size")
    done
done
cd "$root" || exit 1
{
    echo "# Big link features: what they cost"
    echo
    echo "\`bench/features.sh\`, cld $(git rev-parse --short HEAD), $(nproc) CPUs, $RUNS runs (median)."
    echo "Program: synth-3000-g (-O2 -g, 2,251 loose objects + 3 archives), the arguments gcc passes"
    echo "to ld. \`icf\`: --icf=all; \`zlib\`/\`zstd\`: --compress-debug-sections=. The inputs are not"
    echo "built with -ffunction-sections, so ICF has little to fold: the row is the pass's cost."
    echo
    echo "| linker | mode | median ms | output bytes |"
    echo "|---|---|---:|---:|"
    for r in "${rows[@]}"; do IFS='|' read -r a b c d <<<"$r"; echo "| $a | $b | $c | $d |"; done
} | tee bench/results/features.md
