#!/usr/bin/env bash
# Make sure the tools that cld's tests, demo and benchmark use are installed.
#
#   scripts/ensure-deps.sh            install what is missing (as root, via apt-get)
#   scripts/ensure-deps.sh --check    only report; exit 1 if anything is missing
#
# Not root and something missing: prints the exact apt-get command and exits 1.
# Debian/Ubuntu package names; see TESTING.md ("How the tests get their tools").
set -euo pipefail

check_only=0
case "${1:-}" in
    --check) check_only=1 ;;
    "") ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# command (or absolute path) -> Debian package that provides it
tools=(
    "gcc:gcc"
    "g++:g++"
    "make:make"
    "ar:binutils"
    "ld.bfd:binutils"
    "ld.gold:binutils"
    "readelf:binutils"
    "objdump:binutils"
    "addr2line:binutils"
    "gdb:gdb"
    "ld.lld:lld"
    "mold:mold"
    "clang:clang"
    "eu-elflint:elfutils"
    "ninja:ninja-build"
    "cmake:cmake"
    "meson:meson"
    "hyperfine:hyperfine"
    "/usr/bin/time:time"
    "python3:python3"
    "timeout:coreutils"
    "mkfifo:coreutils"
    "mount:mount"
    "umount:mount"
    "autoreconf:autoconf"
    "aclocal:automake"
    "libtoolize:libtool"
)

missing_tools=()
missing_pkgs=()
for entry in "${tools[@]}"; do
    tool="${entry%%:*}"
    pkg="${entry#*:}"
    if [[ "$tool" == /* ]]; then
        [ -x "$tool" ] && continue
    else
        command -v "$tool" >/dev/null 2>&1 && continue
    fi
    missing_tools+=("$tool")
    case " ${missing_pkgs[*]-} " in
        *" $pkg "*) ;;
        *) missing_pkgs+=("$pkg") ;;
    esac
done

if [ ${#missing_tools[@]} -eq 0 ]; then
    echo "ensure-deps: all tools present"
    exit 0
fi

echo "ensure-deps: missing: ${missing_tools[*]}"
install_cmd="apt-get install -y --no-install-recommends ${missing_pkgs[*]}"

if [ "$check_only" = 1 ]; then
    echo "ensure-deps: install them with:  apt-get update && $install_cmd" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "ensure-deps: not root; run as root (or with sudo):" >&2
    echo "    apt-get update && $install_cmd" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: no apt-get on this system; install the equivalent of: ${missing_pkgs[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "+ apt-get update"
apt-get update
echo "+ $install_cmd"
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends ${missing_pkgs[*]}

# Verify.
still=()
for tool in "${missing_tools[@]}"; do
    if [[ "$tool" == /* ]]; then [ -x "$tool" ] || still+=("$tool"); else command -v "$tool" >/dev/null 2>&1 || still+=("$tool"); fi
done
if [ ${#still[@]} -ne 0 ]; then
    echo "ensure-deps: still missing after install: ${still[*]}" >&2
    exit 1
fi
echo "ensure-deps: installed ${missing_pkgs[*]}"
