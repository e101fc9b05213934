#!/usr/bin/env bash
# The demo: build cld, build a generated 100-file C project with make -j2,
# link it with the system linker (ld.bfd), with cld and with mold (if
# installed), check that the programs behave the same, and report link times
# and peak memory.
#
#   scripts/demo.sh
#
# Environment:
#   RUNS=5                      link repetitions per linker (median reported)
#   MODULES=100 FUNCS=24        size of the generated project
#   CLD_TEST_LINKER=/usr/bin/ld use another linker in cld's place (to check
#                               the demo itself while cld is in progress)
#
# Then the part that matters: a clean build whose link overlaps the compile.
# A background cld is started before make (--concurrent-pipe), each compile
# reports its object, and `cld --concurrent-wait` finishes the link right
# after the last compile. It is compared with a clean build followed by a
# normal mold link, and the output is checked to be byte-identical to cld's
# own serial link of the same command line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
# shellcheck source=scripts/lib/measure.sh
. scripts/lib/measure.sh

RUNS="${RUNS:-5}"
MODULES="${MODULES:-100}"
FUNCS="${FUNCS:-24}"
demo="$root/target/demo"
out="$demo/c-project"
mk=(make -s -f "$root/examples/c-project/Makefile" "OUT=$out" "MODULES=$MODULES" "FUNCS=$FUNCS")

for tool in gcc make python3 /usr/bin/time ld.bfd; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "demo: $tool is missing; run scripts/ensure-deps.sh (as root) to install the tools" >&2
        exit 1
    fi
done

echo "==> building cld (cargo build --release -p ld-core)"
cargo build --release -p ld-core --bin cld
cld="$root/target/release/cld"
cld_label="cld"
if [ -n "${CLD_TEST_LINKER:-}" ]; then
    cld="$CLD_TEST_LINKER"
    cld_label="cld*"
    echo "==> CLD_TEST_LINKER=$cld: that linker stands in for cld (rows marked cld*)"
fi

echo "==> generating the C project ($MODULES modules x $FUNCS functions) in ${out#"$root"/}"
rm -rf "$out"
"${mk[@]}" sources

echo "==> compiling with make -j2"
t0=$(now_ms)
"${mk[@]}" -j2 objects
t1=$(now_ms)
compile_ms=$((t1 - t0))
objects=("$out/obj/main.o")
for ((i = 0; i < MODULES; i++)); do objects+=("$(printf '%s/obj/mod_%03d.o' "$out" "$i")"); done
echo "    ${#objects[@]} objects in $compile_ms ms"

# One shim directory per linker: DIR/ld -> the linker; gcc -B DIR uses it.
declare -A linker_path=([ld.bfd]="$(command -v ld.bfd)" ["$cld_label"]="$cld")
linkers=(ld.bfd "$cld_label")
if command -v mold >/dev/null 2>&1; then
    linker_path[mold]="$(command -v mold)"
    linkers+=(mold)
fi

declare -A result_ok result_median result_min result_max result_rss result_size result_note
reference_output=""
status=0
for name in "${linkers[@]}"; do
    shim="$demo/shims/${name//\*/}"
    rm -rf "$shim"
    mkdir -p "$shim"
    ln -s "${linker_path[$name]}" "$shim/ld"
    exe="$out/app-${name//\*/}"
    extra=()
    # mold forks and lets the parent exit before the child has finished
    # cleaning up; --no-fork keeps the whole link in the measured process.
    [ "$name" = mold ] && extra=(-Wl,--no-fork)
    link_cmd=(timeout 300 gcc -B "$shim" "${extra[@]}" -o "$exe" "${objects[@]}" -lm)
    log="$demo/link-${name//\*/}.log"
    echo "==> linking with $name (${linker_path[$name]}), $RUNS times"
    rm -f "$exe"
    # The first link goes through the project's Makefile (LD_SHIM=DIR is
    # gcc -B DIR); it also warms the page cache. Then the same gcc command is
    # timed RUNS times on its own, without make's start-up.
    if ! timeout 300 "${mk[@]}" "LD_SHIM=$shim" "APP=app-${name//\*/}" "LDFLAGS=${extra[*]}" >"$log" 2>&1 \
        || [ ! -s "$exe" ] || ! measure "$RUNS" "$log" "${link_cmd[@]}"; then
        result_ok[$name]=FAILED
        result_note[$name]="link failed (or wrote no output), see ${log#"$root"/}"
        echo "    FAILED:"
        sed 's/^/    | /' "$log" | tail -n 20
        [ "$name" = mold ] || status=1
        continue
    fi
    result_median[$name]=$M_MEDIAN result_min[$name]=$M_MIN result_max[$name]=$M_MAX
    result_rss[$name]=$M_RSS result_size[$name]=$(stat -c %s "$exe")
    echo "    wall ms: $M_TIMES"
    if ! output="$(timeout 60 "$exe" 2>&1)"; then
        result_ok[$name]="RUN FAILED"
        result_note[$name]="the program failed: $(printf '%s' "$output" | tail -n 1)"
        status=1
        continue
    fi
    if [ -z "$reference_output" ]; then
        reference_output="$output"
        printf '%s\n' "$output" | sed 's/^/    | /'
    fi
    if [ "$output" = "$reference_output" ]; then
        result_ok[$name]=ok
    else
        result_ok[$name]="WRONG OUTPUT"
        result_note[$name]="output differs from ld.bfd's program"
        status=1
    fi
done

echo
echo "## cld demo: ${#objects[@]} generated C files, gcc -O2 -g; each linker: one link through make, then $RUNS timed links"
echo
printf '| %-8s | %-12s | %10s | %10s | %10s | %13s | %12s |\n' linker result "median ms" "min ms" "max ms" "peak RSS KiB" "output bytes"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ---------- -------------- ------------ ------------ ------------ --------------- --------------
for name in "${linkers[@]}"; do
    printf '| %-8s | %-12s | %10s | %10s | %10s | %13s | %12s |\n' "$name" "${result_ok[$name]}" \
        "${result_median[$name]:--}" "${result_min[$name]:--}" "${result_max[$name]:--}" \
        "${result_rss[$name]:--}" "${result_size[$name]:--}"
done
for name in "${linkers[@]}"; do
    [ -n "${result_note[$name]:-}" ] && echo "- $name: ${result_note[$name]}"
done
[ "$cld_label" = "cld*" ] && echo "- cld*: CLD_TEST_LINKER=$cld stood in for cld"
echo
echo "compile time (make -j2, ${#objects[@]} files, 2 CPUs): $compile_ms ms"
if [ "${result_ok[$cld_label]}" != ok ] || [ "$cld_label" = "cld*" ]; then
    echo "concurrent link: skipped (cld did not link this project, or another linker stands in for it)"
    exit "$status"
fi

# --- The overlapped build -------------------------------------------------
shim="$demo/shims/cld"
serial="$out/app-serial"
link_args=(-o "$serial" "${objects[@]}" -lm)
gcc -B "$shim" "${link_args[@]}"
fifo="$demo/objects.fifo"
rm -f "$fifo"
export CLD_RUNTIME_DIR="$demo/run"
mkdir -p "$CLD_RUNTIME_DIR" && chmod 700 "$CLD_RUNTIME_DIR"
concurrent_exe="$out/app-concurrent"
wl="-Wl,--concurrent-pipe=$fifo,--concurrent-log=$demo/concurrent.log,--start-concurrent"
for o in "${objects[@]}"; do wl="$wl,$o"; done
wl="$wl,--end-concurrent"

echo
echo "==> clean build, then a normal link with mold (for comparison)"
rm -rf "$out/obj"
t0=$(now_ms)
"${mk[@]}" -j2 objects
t1=$(now_ms)
mold_exe="$out/app-mold-build"
if command -v mold >/dev/null 2>&1; then
    gcc -fuse-ld=mold -o "$mold_exe" "${objects[@]}" -lm
    base_label="compile, then link with mold"
else
    gcc -B "$shim" -o "$mold_exe" "${objects[@]}" -lm
    base_label="compile, then link with cld"
fi
t2=$(now_ms)
base_total=$((t2 - t0)) base_link=$((t2 - t1))

echo "==> clean build with the link overlapping compilation (background cld, FIFO)"
rm -rf "$out/obj"
mkdir -p "$out/obj"
rm -f "$concurrent_exe"
t0=$(now_ms)
rm -f "$demo/concurrent.log"
token=$(gcc -B "$shim" -o "$concurrent_exe" "$wl" -lm)
"${mk[@]}" -j2 objects "CONCURRENT_PIPE=$fifo"
t1=$(now_ms)
"$cld" --concurrent-wait="$token"
t2=$(now_ms)
conc_total=$((t2 - t0)) tail_ms=$((t2 - t1))
# The serial reference must be relinked from the new objects (same bytes
# expected: the compiler is deterministic, so this checks arrival order
# does not leak into the output).
gcc -B "$shim" "${link_args[@]}"
if cmp -s "$serial" "$concurrent_exe"; then same="byte-identical to cld's serial link"; else same="DIFFERENT from cld's serial link"; status=1; fi
if [ "$(timeout 60 "$concurrent_exe" 2>&1)" != "$reference_output" ]; then same="$same; WRONG OUTPUT"; status=1; fi
ingest_first=$(awk '/ingest-start/ && !/fixed/ {print $2; exit}' "$demo/concurrent.log")
echo
echo "## overlapped link (${#objects[@]} objects, make -j2)"
echo
echo "| build | wall ms | after the last compile ms |"
echo "|---|---|---|"
echo "| $base_label | $base_total | $base_link |"
echo "| compile with background cld, then --concurrent-wait | $conc_total | $tail_ms |"
echo
echo "- output: $same"
echo "- the background linker ingested its first object ${ingest_first#+}s after it started, while make was still compiling (log: ${demo#"$root"/}/concurrent.log)"
echo "- saved: $((base_link - tail_ms)) ms of waiting after the last compile ($base_link ms -> $tail_ms ms); whole build $base_total ms -> $conc_total ms"
exit "$status"
