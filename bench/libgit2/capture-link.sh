#!/usr/bin/env bash
# CMake link launcher for bench/libgit2 (-DCMAKE_C_LINKER_LAUNCHER="THIS;DIR"):
#   capture-link.sh DIR LINK-COMMAND...
# saves LINK-COMMAND (argv, NUL-separated) and the directory it runs in to
# DIR/<output name>.args and DIR/<output name>.cwd, then runs it unchanged.
set -euo pipefail
dir="$1"
shift
out="" prev=""
for a in "$@"; do
    [ "$prev" = -o ] && out="$a"
    prev="$a"
done
if [ -n "$out" ]; then
    mkdir -p "$dir"
    printf '%s\0' "$@" >"$dir/${out##*/}.args"
    pwd >"$dir/${out##*/}.cwd"
fi
exec "$@"
