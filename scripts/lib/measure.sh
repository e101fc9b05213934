# shellcheck shell=bash
# Timing helpers shared by scripts/demo.sh and bench/link-bench.sh. Source it.
#
#   measure_setup DIR          optional: build scripts/lib/runstat.c into DIR
#                              (gcc); measure then takes wall time, peak RSS
#                              and user+sys CPU from it, in microseconds
#   measure RUNS LOG CMD [ARGS...]
#
# Runs CMD RUNS times (stdout+stderr of the last run go to LOG). Sets:
#   M_OK        1 if every run exited 0, else 0 (and stops at the first failure)
#   M_MEDIAN    median wall time, ms (one decimal)
#   M_MIN M_MAX fastest and slowest run, ms
#   M_RSS       peak resident set size over all runs, KiB (wait4's ru_maxrss,
#               GNU time's %M: the largest process of the command's tree that
#               it waited for)
#   M_TIMES     all wall times, ms, space-separated, in run order
#   M_CPU       median user+sys CPU time, ms (the command and every
#               descendant it waited for: gcc, collect2, the linker and
#               the linker's threads)
#   M_CPUS      all user+sys CPU times, ms, in run order
# Without measure_setup (or if runstat cannot be built) the command runs
# under /usr/bin/time: wall time is then taken with `date +%s%N` around it
# (its own fork+exec included, well under a millisecond) and CPU time has
# GNU time's 10 ms resolution.

M_RUNSTAT=""
measure_setup() {
    local dir="$1" src
    src="$(dirname "${BASH_SOURCE[0]}")/runstat.c"
    mkdir -p "$dir"
    if [ ! -x "$dir/runstat" ] || [ "$src" -nt "$dir/runstat" ]; then
        gcc -O2 -o "$dir/runstat.tmp" "$src" && mv "$dir/runstat.tmp" "$dir/runstat" || {
            echo "measure: could not build $src; falling back to /usr/bin/time" >&2
            return 0
        }
    fi
    M_RUNSTAT="$dir/runstat"
}

measure() {
    local runs="$1" log="$2"
    shift 2
    local statfile i t0 t1 rss wall maxrss user sys
    statfile="$(mktemp)"
    local us=() cpu=()
    M_OK=1 M_MEDIAN="" M_MIN="" M_MAX="" M_RSS=0 M_TIMES="" M_CPU="" M_CPUS=""
    for ((i = 0; i < runs; i++)); do
        if [ -n "$M_RUNSTAT" ]; then
            if ! "$M_RUNSTAT" "$statfile" "$@" >"$log" 2>&1; then
                M_OK=0
                rm -f "$statfile"
                return 1
            fi
            read -r wall maxrss user sys <"$statfile"
            us+=("$wall")
            cpu+=($((user + sys)))
            rss="$maxrss"
        else
            t0=$(date +%s%N)
            if ! /usr/bin/time -f '%M %U %S' -o "$statfile" "$@" >"$log" 2>&1; then
                M_OK=0
                rm -f "$statfile"
                return 1
            fi
            t1=$(date +%s%N)
            us+=($(((t1 - t0) / 1000)))
            read -r rss user sys < <(tail -n 1 "$statfile")
            cpu+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", (u + s) * 1000000 }')")
        fi
        if [[ "$rss" =~ ^[0-9]+$ ]] && ((rss > M_RSS)); then M_RSS=$rss; fi
    done
    rm -f "$statfile"
    M_TIMES="$(printf '%s\n' "${us[@]}" | awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), $1 / 1000 }')"
    M_CPUS="$(printf '%s\n' "${cpu[@]}" | awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), $1 / 1000 }')"
    read -r M_MEDIAN M_MIN M_MAX < <(printf '%s\n' "${us[@]}" | _m_stats)
    read -r M_CPU _ _ < <(printf '%s\n' "${cpu[@]}" | _m_stats)
    return 0
}

# microseconds, one per line -> "median min max" in ms, one decimal
_m_stats() {
    sort -n | awk '
        { v[NR] = $1 }
        END {
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.1f %.1f %.1f\n", med / 1000, v[1] / 1000, v[NR] / 1000
        }'
}

# ratio A B: A/B with two decimals, or "-" when either is missing or B is 0.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) { print "-"; exit }
        printf "%.2f\n", a / b }'
}

# now_ms: wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
