#!/usr/bin/env bash
# Check every linker option rustc passes (see link-lines/) against cld: each
# option is added to a trivial C link (`gcc -B SHIM t.c -Wl,OPTION`, SHIM/ld
# being cld) and the result recorded. Options only meaningful for -shared
# are checked on a PIE link too, so that a parse error is not hidden behind
# "-shared output is not supported yet"; `-shared` itself is checked last.
#
#   tests/rust/check-cld-options.sh [CLD]     (default: target/release/cld)
#
# Writes tests/rust/link-lines/cld-options.txt and prints it.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
root="$(cd ../.. && pwd)"
cld="${1:-$root/target/release/cld}"
[ -x "$cld" ] || { echo "no cld at $cld; cargo build --release -p ld-core" >&2; exit 1; }
work="$root/target/tmp/check-cld-options"
rm -rf "$work" && mkdir -p "$work/shim" "$work/bfd"
ln -s "$cld" "$work/shim/ld"
ln -s /usr/bin/ld.bfd "$work/bfd/ld"
cd "$work"
printf 'int main(void) { return 0; }\n' >t.c
printf 'int f(void) { return 1; }\n' >l.c
printf '{ global: main; f; local: *; };\n' >v.map
printf 'int foo_value(void) { return 42; }\n' >foo.c
gcc -c -fPIC foo.c -o foo.o && ar rcs libfoo.a foo.o

# option as passed to gcc (comma-separated -Wl form, like rustc)
options=(
    -Wl,--as-needed -Wl,-Bstatic -Wl,-Bdynamic -Wl,--eh-frame-hdr
    -Wl,-z,noexecstack -Wl,--gc-sections -pie -Wl,-z,relro,-z,now -Wl,-O1
    -Wl,--strip-debug -Wl,--strip-all -nodefaultlibs -no-pie -static -static-pie
    -Wl,--version-script=v.map -Wl,--no-undefined-version -Wl,-soname=libx.so
    -Wl,-u,__llvm_profile_runtime -Wl,-rpath,\$ORIGIN/lib -Wl,--enable-new-dtags
    -Wl,-z,origin -Wl,--whole-archive,-L.,-lfoo,--no-whole-archive
    -Wl,--no-dynamic-linker -Wl,-z,text
    # not from rustc's defaults, but common in user RUSTFLAGS
    -Wl,-Bsymbolic -Wl,--exclude-libs,ALL -Wl,--export-dynamic -rdynamic
    -Wl,-z,nodelete -Wl,--no-undefined -Wl,--build-id=sha1 -Wl,--icf=all
    -Wl,--compress-debug-sections=zlib -Wl,-z,pack-relative-relocs
    -Wl,--threads=2 -Wl,--dynamic-list=v.map -Wl,--undefined-version
)
try() { # try SHIMDIR ARGS... -> "ok" or the first error line
    local msg
    rm -f t libl.so
    if msg="$(gcc -B "$1/" "${@:2}" 2>&1)" && { [ -f libl.so ] || ./t >/dev/null 2>&1; }; then
        echo ok
    elif [ -n "$msg" ]; then
        echo "$msg" | grep -m1 -E 'error|cannot|undefined' || echo "$msg" | head -n 1
    else
        echo "links, but the program fails"
    fi
}
{
    echo "# cld ($("$cld" --version)) and GNU ld ($(/usr/bin/ld.bfd --version | head -n 1)), $(date -u +%Y-%m-%d)"
    echo "# gcc -B SHIM t.c -o t OPTION; ok = the link succeeded and ./t runs (for -shared: the link succeeded)"
    printf '%-52s | %-30s | %s\n' "option" "GNU ld" "cld"
    for opt in "${options[@]}"; do
        extra=()
        case "$opt" in -nodefaultlibs) extra=(-lc) ;; esac
        printf '%-52s | %-30s | %s\n' "$opt" "$(try "$work/bfd" t.c -o t "$opt" "${extra[@]}")" \
            "$(try "$work/shim" t.c -o t "$opt" "${extra[@]}")"
    done
    printf '%-52s | %-30s | %s\n' "-shared" "$(try "$work/bfd" -shared -fPIC l.c -o libl.so)" \
        "$(try "$work/shim" -shared -fPIC l.c -o libl.so)"
} | sed "s|$work|\$WORK|g" >"$root/tests/rust/link-lines/cld-options.txt"
cat "$root/tests/rust/link-lines/cld-options.txt"
