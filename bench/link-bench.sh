#!/usr/bin/env bash
# Link benchmark: the same captured links done by ld.bfd, ld.gold, ld.lld,
# mold and cld, each RUNS times.
#
#   bench/link-bench.sh
#
# Inputs (built once under target/bench, from the crates.io sources that
# tests/real/fetch-sources.sh downloads, with the flags of the real-code tests):
#   lua     host.o + liblua.a (Lua 5.4, -O2 -g) -lm
#   sqlite  driver.o + sqlite3.o (SQLite amalgamation, -O1 -g) -lm -lpthread
# Both are linked as PIE (gcc's default here) through `gcc -B SHIM`, SHIM/ld
# being the linker. Each linked program is run once and its output compared
# with tests/real/*/expected.out.
#
# Environment:
#   RUNS=7                       repetitions per linker and case (min 5)
#   BENCH_REBUILD=1              recompile the inputs
#   CLD_TEST_LINKER=/usr/bin/ld  put another linker in cld's row (marked cld*)
#
# Prints a Markdown table per case and writes bench/results/link-bench.md and
# bench/results/link-bench.json. Installs nothing: a missing linker is
# reported as "not installed"; a linker that fails is reported as FAILED.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
# shellcheck source=scripts/lib/measure.sh
. scripts/lib/measure.sh

RUNS="${RUNS:-7}"
((RUNS >= 5)) || RUNS=5
work="$root/target/bench"
results="$root/bench/results"
mkdir -p "$work" "$results"

die() { echo "link-bench: $*" >&2; exit 1; }

echo "==> checking tools (scripts/ensure-deps.sh --check)"
if ! scripts/ensure-deps.sh --check; then
    echo "link-bench: some tools are missing (see above); missing linkers are reported as 'not installed'." >&2
fi
for tool in gcc ar readelf timeout /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required; install it (scripts/ensure-deps.sh prints the apt-get command)"
done

echo "==> sources (tests/real/fetch-sources.sh)"
eval "$(tests/real/fetch-sources.sh)" || die "could not fetch the C sources"

# ---------------------------------------------------------------- inputs
compile() { # compile OUT.o SRC FLAGS...
    local obj="$1" src="$2"
    shift 2
    if [ -s "$obj" ] && [ -z "${BENCH_REBUILD:-}" ]; then return 0; fi
    gcc "$@" -c "$src" -o "$obj.tmp" && mv "$obj.tmp" "$obj"
}
export -f compile

echo "==> building the inputs in ${work#"$root"/} (reused when present; BENCH_REBUILD=1 to redo)"
t0=$(now_ms)
mkdir -p "$work/lua/obj" "$work/sqlite"
lua_flags=(-O2 -g -std=gnu99 -DLUA_USE_POSIX "-I$CLD_LUA_SRC")
sqlite_flags=(-O1 -g -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION "-I$CLD_SQLITE_SRC")
(
    compile "$work/sqlite/sqlite3.o" "$CLD_SQLITE_SRC/sqlite3.c" "${sqlite_flags[@]}" &
    for src in "$CLD_LUA_SRC"/*.c; do
        case "${src##*/}" in lua.c | luac.c | onelua.c) continue ;; esac
        printf '%s\0' "$src"
    done | xargs -0 -P 2 -I{} bash -c 'f="{}"; b="${f##*/}"; compile "$0/${b%.c}.o" "$f" "${@}"' \
        "$work/lua/obj" "${lua_flags[@]}"
    compile "$work/lua/host.o" "$root/tests/real/lua/host.c" "${lua_flags[@]}"
    compile "$work/sqlite/driver.o" "$root/tests/real/sqlite/driver.c" "${sqlite_flags[@]}"
    wait
) || die "compiling the inputs failed"
[ -s "$work/sqlite/sqlite3.o" ] || die "sqlite3.o was not built"
rm -f "$work/lua/liblua.a"
ar rcs "$work/lua/liblua.a" "$work"/lua/obj/*.o || die "ar failed"
echo "    inputs ready in $(($(now_ms) - t0)) ms"

# ---------------------------------------------------------------- linkers
echo "==> linkers"
build_log="$work/cld-build.log"
cld="$root/target/release/cld"
cld_name="cld"
if [ -n "${CLD_TEST_LINKER:-}" ]; then
    cld="$CLD_TEST_LINKER"
    cld_name="cld*"
    echo "    CLD_TEST_LINKER=$cld stands in for cld (row cld*)"
elif ! cargo build --release -p ld-core --bin cld >"$build_log" 2>&1; then
    echo "    cargo build of cld failed (see ${build_log#"$root"/}); cld will be reported as FAILED"
    cld=""
fi

names=(ld.bfd ld.gold ld.lld mold "$cld_name")
declare -A path version
path[ld.bfd]="$(command -v ld.bfd || true)"
path[ld.gold]="$(command -v ld.gold || true)"
path[ld.lld]="$(command -v ld.lld || true)"
path[mold]="$(command -v mold || true)"
path[$cld_name]="$cld"
for n in "${names[@]}"; do
    p="${path[$n]}"
    if [ -n "$p" ] && [ -x "$p" ]; then
        version[$n]="$("$p" --version 2>/dev/null | head -n 1 | tr -d '"\\' || true)"
        mkdir -p "$work/shims/${n//\*/}"
        ln -sfn "$p" "$work/shims/${n//\*/}/ld"
    else
        version[$n]=""
    fi
    printf '    %-8s %s  %s\n' "$n" "${p:-(not installed)}" "${version[$n]}"
done

# ---------------------------------------------------------------- cases
cases=(lua sqlite)
declare -A case_inputs case_libs case_desc
case_inputs[lua]="$work/lua/host.o $work/lua/liblua.a"
case_libs[lua]="-lm"
case_desc[lua]="Lua 5.4 host: host.o + liblua.a ($(ls "$work"/lua/obj/*.o | wc -l) members), -lm"
case_inputs[sqlite]="$work/sqlite/driver.o $work/sqlite/sqlite3.o"
case_libs[sqlite]="-lm -lpthread"
case_desc[sqlite]="SQLite $(sed -n 's/^#define SQLITE_VERSION *"\(.*\)"/\1/p' "$CLD_SQLITE_SRC/sqlite3.h"): driver.o + sqlite3.o, -lm -lpthread"

run_check() { # run_check CASE EXE -> 0 if the program prints the expected output
    local c="$1" exe="$2" rundir="$work/run-$1"
    rm -rf "$rundir" && mkdir -p "$rundir"
    case "$c" in
        lua)
            cp "$root/tests/real/lua/test.lua" "$rundir/"
            (cd "$rundir" && TZ=UTC CLD_LUA_TEST_VAR=hello-from-env LC_ALL=C timeout 60 "$exe" test.lua io.tmp) \
                >"$rundir/out" 2>"$rundir/err" || return 1
            ;;
        sqlite)
            (cd "$rundir" && timeout 60 "$exe" bench.db) >"$rundir/out" 2>"$rundir/err" || return 1
            ;;
    esac
    cmp -s "$rundir/out" "$root/tests/real/$c/expected.out"
}

declare -A st med mn mx rss size times
for c in "${cases[@]}"; do
    echo "==> case $c: ${case_desc[$c]}"
    for n in "${names[@]}"; do
        key="$c/$n"
        times[$key]=""
        if [ -z "${path[$n]}" ] || [ ! -x "${path[$n]}" ]; then
            st[$key]="not installed"
            [ "$n" = "$cld_name" ] && st[$key]="FAILED"
            echo "    $n: ${st[$key]}"
            continue
        fi
        exe="$work/$c-${n//\*/}"
        extra=()
        # mold forks and returns before its child has finished; --no-fork
        # keeps all of the link in the measured (and RSS-accounted) process.
        [ "$n" = mold ] && extra=(-Wl,--no-fork)
        # shellcheck disable=SC2206
        cmd=(timeout 300 gcc -B "$work/shims/${n//\*/}" "${extra[@]}" -o "$exe" ${case_inputs[$c]} ${case_libs[$c]})
        log="$work/$c-${n//\*/}.log"
        rm -f "$exe"
        # One warm-up link (page cache, and the correctness check), then RUNS timed ones.
        if ! measure 1 "$log" "${cmd[@]}" || [ ! -s "$exe" ] || ! measure "$RUNS" "$log" "${cmd[@]}"; then
            st[$key]="FAILED"
            echo "    $n: FAILED (${log#"$root"/}):"
            tail -n 5 "$log" | sed 's/^/      | /'
            continue
        fi
        med[$key]=$M_MEDIAN mn[$key]=$M_MIN mx[$key]=$M_MAX rss[$key]=$M_RSS times[$key]=$M_TIMES
        size[$key]=$(stat -c %s "$exe")
        if run_check "$c" "$exe"; then st[$key]="ok"; else st[$key]="WRONG OUTPUT"; fi
        echo "    $n: ${st[$key]}, ms: $M_TIMES, peak RSS $M_RSS KiB"
    done
done

# ---------------------------------------------------------------- report
date_utc="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
ncpu="$(nproc)"
md="$results/link-bench.md"
json="$results/link-bench.json"
{
    echo "# Link benchmark"
    echo
    echo "$date_utc, $cpu, $ncpu CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;"
    echo "$RUNS timed runs per linker after one warm-up; wall time of \`gcc -B SHIM ...\` (driver included)."
    echo "Peak RSS: largest process of the link (GNU time %M). mold runs with --no-fork."
    echo "Ratios are against mold (lower is better)."
    for c in "${cases[@]}"; do
        echo
        echo "## $c: ${case_desc[$c]}"
        echo
        echo "| linker | status | median ms | min ms | max ms | peak RSS KiB | output bytes | time / mold | RSS / mold |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
        for n in "${names[@]}"; do
            key="$c/$n"
            ok=0; [ "${st[$key]}" = ok ] || [ "${st[$key]}" = "WRONG OUTPUT" ] && ok=1
            if [ "$ok" = 1 ]; then
                echo "| $n | ${st[$key]} | ${med[$key]} | ${mn[$key]} | ${mx[$key]} | ${rss[$key]} | ${size[$key]} |" \
                    "$(ratio "${med[$key]}" "${med[$c/mold]:-}") | $(ratio "${rss[$key]}" "${rss[$c/mold]:-}") |"
            else
                echo "| $n | ${st[$key]} | - | - | - | - | - | - | - |"
            fi
        done
    done
    echo
    echo "Linkers:"
    for n in "${names[@]}"; do echo "- $n: ${path[$n]:-not installed} ${version[$n]:+(${version[$n]})}"; done
    [ "$cld_name" = "cld*" ] && echo "- cld*: CLD_TEST_LINKER=$cld stood in for cld"
} >"$md"

jnum() { if [ -n "${1:-}" ] && [ "$1" != "-" ]; then printf '%s' "$1"; else printf 'null'; fi; }
jstr() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
{
    printf '{\n  "date": %s,\n  "cpu": %s,\n  "cpus": %s,\n  "loadavg": %s,\n  "runs": %s,\n  "cases": [\n' \
        "$(jstr "$date_utc")" "$(jstr "$cpu")" "$ncpu" "$(jstr "$(cut -d' ' -f1-3 /proc/loadavg)")" "$RUNS"
    first_case=1
    for c in "${cases[@]}"; do
        [ "$first_case" = 1 ] || printf ',\n'
        first_case=0
        printf '    {\n      "name": %s,\n      "description": %s,\n      "linkers": [\n' "$(jstr "$c")" "$(jstr "${case_desc[$c]}")"
        first=1
        for n in "${names[@]}"; do
            key="$c/$n"
            [ "$first" = 1 ] || printf ',\n'
            first=0
            t="${times[$key]:-}"
            printf '        {"linker": %s, "path": %s, "version": %s, "status": %s, ' \
                "$(jstr "$n")" "$(jstr "${path[$n]:-}")" "$(jstr "${version[$n]:-}")" "$(jstr "${st[$key]}")"
            printf '"median_ms": %s, "min_ms": %s, "max_ms": %s, "times_ms": [%s], ' \
                "$(jnum "${med[$key]:-}")" "$(jnum "${mn[$key]:-}")" "$(jnum "${mx[$key]:-}")" "${t// /, }"
            printf '"peak_rss_kib": %s, "output_bytes": %s, "time_vs_mold": %s, "rss_vs_mold": %s}' \
                "$(jnum "${rss[$key]:-}")" "$(jnum "${size[$key]:-}")" \
                "$(jnum "$(ratio "${med[$key]:-}" "${med[$c/mold]:-}")")" \
                "$(jnum "$(ratio "${rss[$key]:-}" "${rss[$c/mold]:-}")")"
        done
        printf '\n      ]\n    }'
    done
    printf '\n  ]\n}\n'
} >"$json"

echo
cat "$md"
echo
echo "link-bench: wrote ${md#"$root"/} and ${json#"$root"/}"
