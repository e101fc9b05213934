# shellcheck shell=bash
# Timing helpers shared by scripts/demo.sh and bench/link-bench.sh. Source it.
#
#   measure RUNS LOG CMD [ARGS...]
#
# Runs CMD RUNS times (stdout+stderr of the last run go to LOG) under
# /usr/bin/time. Sets:
#   M_OK        1 if every run exited 0, else 0 (and stops at the first failure)
#   M_MEDIAN    median wall time, ms (one decimal)
#   M_MIN M_MAX fastest and slowest run, ms
#   M_RSS       peak resident set size over all runs, KiB (GNU time %M: the
#               largest process of the command's tree that it waited for)
#   M_TIMES     all wall times, ms, space-separated, in run order
# Wall time is taken with `date +%s%N` around the command, so it includes
# /usr/bin/time's own fork+exec (well under a millisecond, the same for all).

measure() {
    local runs="$1" log="$2"
    shift 2
    local rssfile i t0 t1 rss
    rssfile="$(mktemp)"
    local us=()
    M_OK=1 M_MEDIAN="" M_MIN="" M_MAX="" M_RSS=0 M_TIMES=""
    for ((i = 0; i < runs; i++)); do
        t0=$(date +%s%N)
        if ! /usr/bin/time -f '%M' -o "$rssfile" "$@" >"$log" 2>&1; then
            M_OK=0
            rm -f "$rssfile"
            return 1
        fi
        t1=$(date +%s%N)
        us+=($(((t1 - t0) / 1000)))
        rss="$(tail -n 1 "$rssfile")"
        if [[ "$rss" =~ ^[0-9]+$ ]] && ((rss > M_RSS)); then M_RSS=$rss; fi
    done
    rm -f "$rssfile"
    M_TIMES="$(printf '%s\n' "${us[@]}" | awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), $1 / 1000 }')"
    read -r M_MEDIAN M_MIN M_MAX < <(printf '%s\n' "${us[@]}" | sort -n | awk '
        { v[NR] = $1 }
        END {
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.1f %.1f %.1f\n", med / 1000, v[1] / 1000, v[NR] / 1000
        }')
    return 0
}

# ratio A B: A/B with two decimals, or "-" when either is missing or B is 0.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) { print "-"; exit }
        printf "%.2f\n", a / b }'
}

# now_ms: wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
