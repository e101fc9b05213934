#!/usr/bin/env bash
# The tail of a concurrent link on a big program, against the fastest
# serial linkers' whole link of it.
#
#   bench/concurrent-tail-big.sh
#
# Program: bench/gen-synthetic.py 3000 compiled -O2 -g (synth-3000-g: 2,251
# loose objects + 3 archives of the other modules, PIE, glibc), built under target/bench by
# bench/link-bench.sh's rules if it is not there yet. The linkers run with
# the arguments gcc passes to ld (the LTO plugin options dropped), output to
# a regular file beside the inputs.
#
# Rows, RUNS times each (median, min, max; the whole links in rounds, each
# linker once per round):
#   wild / mold 2.42 / cld serial, each --no-fork: the whole link.
#   cld tail, last in link order: a background linker is started with every
#     loose object concurrent; all but the last loose object on the command
#     line are reported on the FIFO and ingested; then the last one is
#     reported and `cld --concurrent-wait` runs. Timed: that report -> the
#     wait returns. This is the order of a Make build, which compiles the
#     objects in the order they are listed (see the note below).
#   cld tail, random one last: the same with a random object last.
#   The last object is read into the page cache before its report, as the
#   compile that wrote it would leave it.
# Every tail's output is compared with cld's serial link (cmp).
#
# Environment: RUNS=7 (min 3). Writes bench/results/concurrent-tail-big.md
# and .json.
#
# CLD_B=OTHER-CLD: instead, an A/B comparison of two builds of cld (this
# tree's and OTHER-CLD, whose outputs must be the same): RUNS tails each,
# the last object in link order last, in alternating order (ABBA: a tail
# right after another is slower, the other's output still being written
# back); prints the medians of the tail and of the wait's phases (from the
# background linker's event log) and writes nothing. AB_LAST=random: a
# random object last instead (the same one for A and B in each run).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
RUNS="${RUNS:-7}"
((RUNS >= 3)) || RUNS=3
target="${CARGO_TARGET_DIR:-$root/target}"
prog="$target/bench/synth-3000-g"
work="$target/bench/concurrent-tail-big"
results="$root/bench/results"
die() { echo "concurrent-tail-big: $*" >&2; exit 1; }
((BASH_VERSINFO[0] >= 5)) || die "bash 5 is required (EPOCHREALTIME)"
for tool in gcc make python3 cmp; do command -v "$tool" >/dev/null || die "$tool is required"; done

cargo build --release -p ld-core >/dev/null 2>&1 || die "cargo build failed"
cld="$target/release/cld"
wild="$(command -v wild || ls "${CARGO_HOME:-$HOME/.cargo}/bin/wild" 2>/dev/null || true)"
mold="$(ls "$root/../shared/anchors/mold" 2>/dev/null || true)"
[ -n "$wild" ] || echo "concurrent-tail-big: wild is not installed (cargo install wild-linker --version 0.10.0 --locked); its row is skipped" >&2
[ -n "$mold" ] || echo "concurrent-tail-big: no mold 2.42 at ../shared/anchors/mold; its row is skipped" >&2

if [ ! -f "$prog/link.args" ]; then
    echo "==> building synth-3000-g (bench/link-bench.sh's preparation)"
    WORKLOADS=synth-3000-g RUNS=1 bench/link-bench.sh >/dev/null 2>&1 || true
    git -C "$root" checkout -q -- bench/results 2>/dev/null || true
    [ -f "$prog/link.args" ] || die "synth-3000-g could not be built (see target/bench/synth-3000-g.build.log)"
fi

rm -rf "$work" && mkdir -p "$work/capture"
cat >"$work/capture/ld" <<EOF
#!/bin/sh
printf '%s\n' "\$@" > '$work/args'
exec '$cld' "\$@"
EOF
chmod +x "$work/capture/ld"
cd "$prog" || die "no $prog"
mapfile -t link_args <link.args
gcc -B "$work/capture/" -o "$work/ref" "${link_args[@]}" || die "the capturing link failed"
# The ld arguments without the LTO plugin's, with absolute paths.
mapfile -t raw <"$work/args"
args=()
for ((i = 0; i < ${#raw[@]}; i++)); do
    a=${raw[i]}
    case "$a" in
        -plugin) i=$((i + 1)); continue ;;
        -plugin-opt=*) continue ;;
        -o) args+=(-o OUT); i=$((i + 1)); continue ;;
        -L*) d=${a#-L}; [[ $d = /* ]] || d="$prog/$d"; args+=("-L$d"); continue ;;
        obj/* | lib/*) args+=("$prog/$a"); continue ;;
    esac
    args+=("$a")
done
with_out() { local o=$1; shift; for a in "$@"; do [ "$a" = OUT ] && printf '%s\n' "$o" || printf '%s\n' "$a"; done; }

# The loose objects, in command-line order, and what surrounds them.
first=-1 last=-1
for i in "${!args[@]}"; do
    case "${args[i]}" in "$prog"/obj/m*.o) ((first < 0)) && first=$i; last=$i ;; esac
done
((first > 0)) || die "no loose objects in the link"
objs=("${args[@]:first:last-first+1}")
pre=("${args[@]:0:first}")
post=("${args[@]:last+1}")
echo "==> ${#objs[@]} loose objects; $RUNS runs per row"

mapfile -t serial_args < <(with_out "$work/serial" "${args[@]}")
"$cld" "${serial_args[@]}" || die "cld's serial link failed"
"$work/serial" >"$work/expected" || die "the serial link's program does not run"

declare -A times phases
time_full() { # time_full NAME CMD...: one timed run
    local name=$1 t0 t1; shift
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || die "$name failed"
    t1=$EPOCHREALTIME
    times[$name]+="$(echo "($t1 - $t0) * 1000" | bc -l) "
}
if [ -z "${CLD_B:-}" ]; then
    # In rounds, each linker once per round: the machine's speed drifts
    # over minutes, and one linker's runs after another's put that drift
    # into the ratios.
    mapfile -t wild_args < <(with_out "$work/wild.out" "${args[@]}")
    mapfile -t mold_args < <(with_out "$work/mold.out" "${args[@]}")
    for ((r = 0; r < RUNS; r++)); do
        [ -n "$wild" ] && time_full "wild 0.10" "$wild" --no-fork "${wild_args[@]}"
        [ -n "$mold" ] && time_full "mold 2.42" "$mold" --no-fork "${mold_args[@]}"
        time_full "cld serial" "$cld" --no-fork "${serial_args[@]}"
    done
fi

time_tail() { # time_tail NAME INDEX-OF-LAST [CLD]
    local name=$1 k=$2 c=${3:-$cld} t0 t1 tok out="$work/tail.out" fifo="$work/fifo"
    rm -f "$fifo" "$out" "$work/events.log"
    mapfile -t p < <(with_out "$out" "${pre[@]}")
    mapfile -t q < <(with_out "$out" "${post[@]}")
    tok=$("$c" "${p[@]}" --concurrent-pipe="$fifo" --concurrent-log="$work/events.log" \
        --start-concurrent "${objs[@]}" --end-concurrent "${q[@]}") || die "$name: start failed"
    exec 3>"$fifo"
    for ((j = 0; j < ${#objs[@]}; j++)); do ((j == k)) || printf '%s\0' "${objs[j]}" >&3; done
    # Everything reported is ingested (and resolved ahead) well within this.
    sleep "${SETTLE:-2}"
    # In a build the last object was just written by its compile, so it is
    # in the page cache; here it was last read seconds ago, and this
    # machine drops files from the cache within seconds.
    cat "${objs[k]}" >/dev/null
    t0=$EPOCHREALTIME
    printf '%s\0' "${objs[k]}" >&3
    "$c" --concurrent-wait="$tok" || die "$name: the wait failed"
    t1=$EPOCHREALTIME
    exec 3>&-
    cmp -s "$out" "$work/serial" || die "$name: the output differs from the serial link"
    times[$name]+="$(echo "($t1 - $t0) * 1000" | bc -l) "
}
if [ -n "${CLD_B:-}" ]; then
    [ -x "$CLD_B" ] || die "CLD_B=$CLD_B is not an executable"
    last_obj=$((${#objs[@]} - 1))
    for ((r = 0; r < RUNS; r++)); do
        order=(A B)
        ((r % 4 == 1 || r % 4 == 2)) && order=(B A)
        k=$last_obj
        [ "${AB_LAST:-}" = random ] && k=$((RANDOM % ${#objs[@]}))
        for x in "${order[@]}"; do
            if [ "$x" = A ]; then time_tail A "$k"; else time_tail B "$k" "$CLD_B"; fi
            # The wait's phases, from the last object's report (ms).
            phases[$x]+="$(awk '/ event fifo /{t0=$1} t0 && / link-start$/{ls=$1}
                t0 && / phase resolve-done$/{r=$1} t0 && / phase layout-done$/{l=$1}
                t0 && / phase write-done$/{w=$1}
                END{printf "%.2f,%.2f,%.2f,%.2f", (ls-t0)*1e3, (r-ls)*1e3, (l-r)*1e3, (w-l)*1e3}' "$work/events.log") "
        done
    done
    python3 - "$cld" "$CLD_B" "${times[A]}" "${times[B]}" "${phases[A]}" "${phases[B]}" <<'PY'
import statistics, sys
a, b, ta, tb, pa, pb = sys.argv[1:7]
def row(name, t, p):
    t = [float(x) for x in t.split()]
    p = [[float(x) for x in r.split(",")] for r in p.split()]
    cols = [statistics.median(c) for c in zip(*p)]
    return (f"{name}: tail {statistics.median(t):.1f} ms (q1 {sorted(t)[len(t) // 4]:.1f}); "
            f"before the wait {cols[0]:.1f}, resolve {cols[1]:.1f}, layout {cols[2]:.1f}, write {cols[3]:.1f}")
print(row("A " + a, ta, pa))
print(row("B " + b, tb, pb))
PY
    exit 0
fi
# How slow memory left alone for 2 s is to touch again, in small and in
# huge pages, before and after the tails: on this machine it changes by
# the hour, and the tails with it (see DESIGN, "huge pages when idle").
cat >"$work/coldprobe.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
int main(void) {
    size_t n = 200u << 20;
    for (int huge = 0; huge < 2; huge++) {
        char *p = aligned_alloc(2u << 20, n);
        if (huge) madvise(p, n, MADV_HUGEPAGE);
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
        sleep(2);
        double t = now();
        long sum = 0;
        for (size_t i = 0; i < n; i += 4096) sum += p[i];
        printf("%s%.1f", huge ? "/" : "", now() - t + (sum == 0));
        free(p);
    }
    printf("\n");
    return 0;
}
C
gcc -O2 -o "$work/coldprobe" "$work/coldprobe.c" || die "the cold-memory probe does not compile"
probe="before the tails $("$work/coldprobe")"
for ((r = 0; r < RUNS; r++)); do
    time_tail "cld tail, last in link order" $((${#objs[@]} - 1))
    time_tail "cld tail, random one last" $((RANDOM % ${#objs[@]}))
done
probe="$probe, after them $("$work/coldprobe")"

ref="cld serial"
[ -n "$wild" ] && ref="wild 0.10"
mkdir -p "$results"
cd "$root" || exit 1
python3 - "$results" "$ref" "$RUNS" "${#objs[@]}" "$(git rev-parse --short HEAD)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(nproc) CPUs)" <<PY
import json, statistics, sys
results, ref, runs, nobj, rev, cpu = sys.argv[1:7]
rows = [l.split("\t") for l in """$(for k in "wild 0.10" "mold 2.42" "cld serial" "cld tail, last in link order" "cld tail, random one last"; do [ -n "${times[$k]:-}" ] && printf '%s\t%s\n' "$k" "${times[$k]}"; done)""".strip().split("\n")]
data = {name: [float(x) for x in v.split()] for name, v in rows}
med = {k: statistics.median(v) for k, v in data.items()}
out = [f"# Concurrent link tail on a 3,000-module program", "",
       f"\`bench/concurrent-tail-big.sh\`, cld {rev}, {cpu}. {runs} runs per row.", "",
       f"Program: synth-3000-g (\`bench/gen-synthetic.py 3000\`, -O2 -g): {nobj} loose objects",
       "(all concurrent) + 3 archives, PIE. Whole links run with the arguments gcc passes to ld;",
       "\"tail\" is the time from the last object's report on the FIFO to \`cld --concurrent-wait\`",
       "returning, after every other object was reported and ingested. Every tail output is",
       "byte-identical to cld's serial link.", "",
       "Memory left alone for 2 s, a byte read per 4 KiB page of 200 MB, small/huge pages",
       "(ms): $probe.", "",
       f"| what | median ms | min ms | max ms | vs {ref} |", "|---|---:|---:|---:|---:|"]
for k, v in data.items():
    out.append(f"| {k} | {med[k]:.1f} | {min(v):.1f} | {max(v):.1f} | {med[k] / med[ref]:.2f} |")
open(f"{results}/concurrent-tail-big.md", "w").write("\n".join(out) + "\n")
json.dump({"rev": rev, "runs": int(runs), "reference": ref,
           "rows": {k: {"median_ms": med[k], "runs_ms": v} for k, v in data.items()}},
          open(f"{results}/concurrent-tail-big.json", "w"), indent=1)
print("\n".join(out))
PY
