#!/usr/bin/env bash
# Build the example program in src/ with its link overlapping the compile:
# a background cld is started first (FIFO mode), the sources are compiled in
# parallel by xargs -P, each object is reported to cld as soon as it is
# written, and `cld --concurrent-wait` finishes the link.
#
#   examples/shell/build.sh [OUTDIR]       (default OUTDIR: ./build)
#
# Environment: CLD (the cld binary; default: cld on PATH, else the
# repository's target/release/cld), CC (gcc), CFLAGS (-O2 -g), LDLIBS (-lm),
# JOBS (parallel compiles; default: nproc), SRC (sources; default: src/ next
# to this script), CLD_LOG (a file for the background linker's event log),
# CLD_IDLE_TIMEOUT (seconds; default 600).
#
# Objects newer than their source and the headers are reused; when nothing
# needs compiling and the program is newer than its objects, nothing runs.
# A failed compile or an interrupt (SIGINT/SIGTERM) aborts the background
# linker and exits non-zero, leaving the previous program untouched.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-build}
src=${SRC:-$here/src}
cc=${CC:-gcc}
cflags=${CFLAGS:--O2 -g}
ldlibs=${LDLIBS:--lm}
jobs=${JOBS:-$(nproc)}
cld=${CLD:-$(command -v cld || echo "$here/../../target/release/cld")}
idle=${CLD_IDLE_TIMEOUT:-600}
app=$out/app
objdir=$out/obj
fifo=$out/objs.fifo

say() { printf 'build.sh: %s\n' "$*"; }
now_ms() { date +%s%3N; }

mkdir -p "$objdir"
shopt -s nullglob
sources=("$src"/*.c)
headers=("$src"/*.h)
[ ${#sources[@]} -gt 0 ] || { say "no sources in $src" >&2; exit 1; }

# Which objects are up to date (newer than their source and every header)?
objects=() stale=() fresh=()
for s in "${sources[@]}"; do
    o=$objdir/$(basename "$s" .c).o
    objects+=("$o")
    up=1
    if [ ! -f "$o" ] || [ "$s" -nt "$o" ]; then
        up=0
    else
        for h in "${headers[@]}"; do
            if [ "$h" -nt "$o" ]; then up=0; break; fi
        done
    fi
    if [ $up = 1 ]; then fresh+=("$o"); else stale+=("$s"); fi
done

if [ ${#stale[@]} -eq 0 ] && [ -f "$app" ]; then
    newer=0
    for o in "${objects[@]}"; do
        if [ "$o" -nt "$app" ]; then newer=1; break; fi
    done
    if [ $newer = 0 ]; then
        say "$app is up to date (${#objects[@]} objects); nothing to do"
        exit 0
    fi
fi

shim=$("$cld" --print-shim-dir)
# shellcheck disable=SC2086 # CFLAGS and LDLIBS are word lists
if [ ${#stale[@]} -eq 0 ]; then
    say "nothing to compile; linking $app (${#objects[@]} objects, serial)"
    exec $cc -B "$shim" "${objects[@]}" $ldlibs -o "$app"
fi

# 1. The background linker: `cld --concurrent-start`, the FIFO that feeds
#    it, then the link command with the objects between --start-concurrent
#    and --end-concurrent. Once it is ready it prints CLD_TOKEN=... (and
#    CLD_PID, CLD_LOG, CLD_FIFO) for the shell. (SIGINT is ignored while it
#    starts, so that it cannot be lost between the fork and the token.)
[ -p "$fifo" ] && rm -f "$fifo"
start=(--concurrent-pipe="$fifo" --concurrent-idle-timeout="$idle")
[ -n "${CLD_LOG:-}" ] && start+=(--concurrent-log="$CLD_LOG")
tokfile=$out/.token
token=
abort() {
    [ -n "$token" ] || token=$(sed -n 's/^CLD_TOKEN=//p' "$tokfile" 2>/dev/null)
    [ -n "$token" ] && "$cld" --concurrent-abort="$token" >/dev/null 2>&1
    rm -f "$tokfile"
}
on_signal() {
    trap '' INT TERM
    abort
    say "interrupted; background linker aborted"
    exit 130
}
trap on_signal INT TERM
# shellcheck disable=SC2086
(trap '' INT TERM; exec "$cld" --concurrent-start "${start[@]}" -- $cc \
    --start-concurrent "${objects[@]}" --end-concurrent $ldlibs -o "$app" >"$tokfile")
# shellcheck disable=SC1090 # what cld printed: shell-quoted assignments
. "$tokfile"
token=$CLD_TOKEN

# 2. Up-to-date objects are reported at once: cld ingests them while the
#    others compile.
report() { # report NAME: NAME\0 to the FIFO, non-blocking (no hang without a reader)
    printf '%s\0' "$1" | dd of="$fifo" oflag=nonblock conv=notrunc,nocreat status=none 2>/dev/null || true
}
for o in "${fresh[@]}"; do report "$o"; done

# 3. Compile in parallel; each job reports its object when it is written.
#    A failing job exits 255, which makes xargs start no more.
say "compiling ${#stale[@]} of ${#objects[@]} sources (${#fresh[@]} objects reused), $jobs at a time; linking meanwhile"
t0=$(now_ms)
export BUILD_SH_CC="$cc" BUILD_SH_CFLAGS="$cflags" BUILD_SH_OBJDIR="$objdir" BUILD_SH_FIFO="$fifo"
# shellcheck disable=SC2016 # expanded by the job's shell
job='o=$BUILD_SH_OBJDIR/$(basename "$1" .c).o
$BUILD_SH_CC $BUILD_SH_CFLAGS -c "$1" -o "$o" || exit 255
printf "%s\0" "$o" | dd of="$BUILD_SH_FIFO" oflag=nonblock conv=notrunc,nocreat status=none 2>/dev/null
echo "  compiled $o"'
if ! printf '%s\0' "${stale[@]}" | xargs -0 -n1 -P "$jobs" sh -c "$job" sh; then
    abort
    say "compile failed; background linker aborted; $app not changed"
    exit 1
fi
t1=$(now_ms)

# 4. Finish the link: everything is ingested already but the last objects.
rc=0
err=$("$cld" --concurrent-wait="$token" 2>&1) || rc=$?
trap - INT TERM
rm -f "$tokfile"
case $rc:$err in
0:*) ;;
*"no background linker"* | *"is not running"* | *"died before answering"*)
    # The background linker went away (killed?): link normally instead.
    say "the background linker went away ($err); linking serially"
    # shellcheck disable=SC2086
    rc=0 && $cc -B "$shim" "${objects[@]}" $ldlibs -o "$app" || rc=$?
    err=
    ;;
esac
[ -n "$err" ] && printf '%s\n' "$err" >&2
t2=$(now_ms)
if [ $rc -ne 0 ]; then
    say "link failed (status $rc)"
    exit $rc
fi
say "compiled ${#stale[@]} in $((t1 - t0)) ms; linked $app $((t2 - t1)) ms after the last compile"
