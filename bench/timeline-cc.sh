#!/usr/bin/env bash
# timeline-cc.sh KIND COMMAND ARGS...: run COMMAND, then append one line
#
#   KIND START_NS END_NS PID STATUS OUTPUT
#
# to $TIMELINE_TRACE (times: unix nanoseconds from bash's $EPOCHREALTIME,
# microsecond resolution, no process forked for the clock; OUTPUT: the
# argument after -o, or - if none). bench/timeline.sh puts it in front of
# make's compile recipe (KIND job: the whole recipe, launcher included), of
# the compiler inside it (KIND cc) and of the link step (KIND link).
# COMMAND's status is passed on. Without TIMELINE_TRACE it only runs COMMAND.
set -euo pipefail
kind=$1
shift
[ -n "${TIMELINE_TRACE:-}" ] || exec "$@"
out=- prev=
for a in "$@"; do
    [ "$prev" = -o ] && out=$a
    case $a in -o?*) out=${a#-o} ;; esac
    prev=$a
done
t=$EPOCHREALTIME # seconds.microseconds (the locale's decimal point)
start=${t//[.,]/}000
rc=0
"$@" || rc=$?
t=$EPOCHREALTIME
end=${t//[.,]/}000
# One short write with O_APPEND: lines of parallel jobs never interleave.
printf '%s %s %s %s %s %s\n' "$kind" "$start" "$end" "$$" "$rc" "$out" >>"$TIMELINE_TRACE"
exit "$rc"
