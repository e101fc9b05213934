#!/usr/bin/env bash
# Download (via `cargo fetch`, from crates.io only) the C sources used by the
# real-code tests and the link benchmark, and print where they were unpacked:
#
#   export CLD_LUA_SRC=/root/.cargo/registry/src/index.crates.io-.../lua-src-547.1.0/lua-5.4.7
#   export CLD_SQLITE_SRC=.../libsqlite3-sys-0.30.1/sqlite3
#   export CLD_BZIP2_SRC=.../bzip2-sys-0.1.13+1.0.8/bzip2-1.0.8
#   export CLD_LIBGIT2_SRC=.../libgit2-sys-0.18.8+1.9.7/libgit2
#
# Use it as `eval "$(tests/real/fetch-sources.sh)"`. Diagnostics go to stderr.
# The versions are the ones pinned in tests/real/fetch/Cargo.lock.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$here/fetch/Cargo.toml"
lock="$here/fetch/Cargo.lock"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"

# With Cargo.lock committed and the crates already cached this needs no
# network; try offline first so an air-gapped re-run still works.
if ! cargo fetch --offline --locked --manifest-path "$manifest" >/dev/null 2>&1; then
    echo "fetch-sources: cargo fetch --manifest-path $manifest" >&2
    cargo fetch --locked --manifest-path "$manifest" >&2
fi

# Version of a package as pinned in Cargo.lock.
locked_version() {
    awk -v want="$1" '
        $1 == "name" && $3 == "\"" want "\"" { found = 1; next }
        found && $1 == "version" { gsub(/"/, "", $3); print $3; exit }
    ' "$lock"
}

# Unpacked source directory of a crate (newest registry dir that has it).
crate_dir() {
    local name="$1" version dir=""
    version="$(locked_version "$name")"
    if [ -z "$version" ]; then
        echo "fetch-sources: $name not found in $lock" >&2
        return 1
    fi
    for d in "$cargo_home"/registry/src/*/"$name-$version"; do
        [ -d "$d" ] && dir="$d"
    done
    if [ -z "$dir" ]; then
        echo "fetch-sources: $name-$version not unpacked under $cargo_home/registry/src" >&2
        return 1
    fi
    printf '%s\n' "$dir"
}

# The single subdirectory of $1 matching glob $2 that contains file $3.
pick() {
    local found=""
    for d in "$1"/$2; do
        if [ -f "$d/$3" ]; then found="$d"; fi
    done
    if [ -z "$found" ]; then
        echo "fetch-sources: no $2/$3 under $1" >&2
        return 1
    fi
    printf '%s\n' "$found"
}

lua="$(pick "$(crate_dir lua-src)" 'lua-5.4.*' lua.h)"
sqlite="$(pick "$(crate_dir libsqlite3-sys)" 'sqlite3' sqlite3.c)"
bzip2="$(pick "$(crate_dir bzip2-sys)" 'bzip2-1.0.*' Makefile)"
libgit2="$(pick "$(crate_dir libgit2-sys)" 'libgit2' CMakeLists.txt)"

printf 'export CLD_LUA_SRC=%q\n' "$lua"
printf 'export CLD_SQLITE_SRC=%q\n' "$sqlite"
printf 'export CLD_BZIP2_SRC=%q\n' "$bzip2"
printf 'export CLD_LIBGIT2_SRC=%q\n' "$libgit2"
