#!/usr/bin/env bash
# Capture what rustc passes to the linker for every kind of artifact cargo
# links, and what then reaches `ld`, and save it under tests/rust/link-lines/.
#
#   tests/rust/capture-link-lines.sh
#
# Builds tests/rust/capture (bin with a build script, unit and integration
# tests, a proc-macro, a cdylib and a dylib), dev and release, twice:
#
#   default/   rustc's defaults: `-C linker=<logger>`, the logger records the
#              argv rustc gives the C compiler driver and runs `cc`. On
#              x86_64-unknown-linux-gnu rustc >= 1.90 adds
#              `-B <sysroot>/gcc-ld -fuse-ld=lld`, i.e. links with rust-lld.
#   gnu-ld/    `-C linker-features=-lld -C link-arg=-B<ldlog>`: rust-lld is
#              switched off, gcc runs `<ldlog>/ld`, which records the argv
#              that reaches the linker (what cld gets) and runs /usr/bin/ld.
#
# Files: <mode>/<profile>/<artifact>.cc.txt (argv of the driver, one per
# line) and gnu-ld/<profile>/<artifact>.ld.txt (argv of ld); test harnesses
# are named test-<crate>. In gnu-ld mode rustc also gets -C save-temps, so
# the version script it writes for cdylib/dylib/proc-macro links survives:
# <artifact>.version-script.txt. When target/release/cld exists, the ld logger
# also replays each ld argv with cld (output <file>.cld, thrown away) and
# writes what cld said to <artifact>.cld.txt ("cld: ok" or the error).
# gnu-ld/variants/ holds hello-world links with codegen options that change
# the link line (-C strip=symbols, relocation-model=static, crt-static,
# prefer-dynamic, rpath, link-dead-code, instrument-coverage, lto, a
# +whole-archive native library). print-link-args.txt is
# `rustc --print link-args` for the bin. Machine-specific parts are replaced: $SYSROOT, $TARGET (cargo
# target dir), $RUSTC_TMP, $GCC_TMP, $LDLOG, and crate hashes become HASH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here="$PWD"
out="$here/link-lines"
work="$(cd ../.. && pwd)/target/tmp/capture-link-lines"
[ -n "$here" ] && [ -n "$work" ] || exit 1
rm -rf "$work" "$out/default" "$out/gnu-ld" "$out/print-link-args.txt"
mkdir -p "$work/bin" "$work/ldlog" "$out"

sysroot="$(rustc --print sysroot)"
# The ld logger also replays every link with cld when it is built.
cld="$(cd ../.. && pwd)/target/release/cld"
[ -x "$cld" ] || cld=""

cat >"$work/bin/cc-logger" <<'LOGGER'
#!/usr/bin/env bash
# Record argv (one per line) in $CAP_LOG/<output name>.cc.txt, then run cc.
# CAP_NAME tells the ld logger (run by gcc) which file to write.
o=a.out prev=
for a in "$@"; do [ "$prev" = -o ] && o="$a"; prev="$a"; done
export CAP_NAME="${CAP_PREFIX:-}${o##*/}"
printf '%s\n' "$@" >"$CAP_LOG/$CAP_NAME.cc.txt"
exec cc "$@"
LOGGER
cat >"$work/ldlog/ld" <<'LOGGER'
#!/usr/bin/env bash
# Record argv (one per line) in $CAP_LOG/$CAP_NAME.ld.txt; with $CLD set,
# replay the same argv with cld (output to <output>.cld) and record how that
# went in $CAP_LOG/$CAP_NAME.cld.txt; then run GNU ld.
printf '%s\n' "$@" >"$CAP_LOG/${CAP_NAME:-unknown}.ld.txt"
if [ -n "${CLD:-}" ]; then
    args=() prev=
    for a in "$@"; do
        if [ "$prev" = -o ]; then args+=("$a.cld"); else args+=("$a"); fi
        prev="$a"
    done
    if "$CLD" "${args[@]}" >"$CAP_LOG/${CAP_NAME:-unknown}.cld.txt" 2>&1; then
        echo "cld: ok" >>"$CAP_LOG/${CAP_NAME:-unknown}.cld.txt"
    else
        echo "cld: FAILED (exit $?)" >>"$CAP_LOG/${CAP_NAME:-unknown}.cld.txt"
    fi
fi
exec /usr/bin/ld "$@"
LOGGER
chmod +x "$work/bin/cc-logger" "$work/ldlog/ld"

sanitize() { # sanitize FILE: replace machine-specific paths and hashes
    sed -i \
        -e "s|$sysroot|\$SYSROOT|g" \
        -e "s|$work/target-[a-z-]*|\$TARGET|g" \
        -e "s|$work/ldlog|\$LDLOG|g" \
        -e "s|/tmp/rustc[A-Za-z0-9]*|\$RUSTC_TMP|g" \
        -e "s|/rustc[A-Za-z0-9]\{6\}/|/\$RUSTC_TMP/|g" \
        -e 's|PATH="[^"]*"|PATH="..."|' \
        -e "s|/tmp/cc[A-Za-z0-9]*\.res|\$GCC_TMP.res|g" \
        -e 's|-[0-9a-f]\{16\}\([./]\)|-HASH\1|g' \
        -e 's|-[0-9a-f]\{16\}$|-HASH|g' \
        -e 's|\.[0-9a-f]\{16\}-cgu\.|.HASH-cgu.|g' \
        -e 's|\.[0-9a-z]\{25\}\(\.[0-9a-z]*\)\?\.rcgu\.o|.HASH.rcgu.o|g' \
        "$1"
}

capture() { # capture MODE PROFILE RUSTFLAGS...
    local mode="$1" profile="$2"
    shift 2
    local log="$work/log-$mode-$profile"
    rm -rf "$log" && mkdir -p "$log"
    local flags=(--workspace --manifest-path "$here/capture/Cargo.toml" --quiet)
    [ "$profile" = release ] && flags+=(--release)
    local env=(CLD="$cld" CAP_LOG="$log" CARGO_TARGET_DIR="$work/target-$mode"
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER="$work/bin/cc-logger" RUSTFLAGS="$*")
    # cargo build links the build script, the proc-macro, the bin, the
    # cdylib and the dylib; cargo test --no-run then only the test harnesses.
    echo "==> $mode/$profile: RUSTFLAGS='$*' cargo build ${flags[*]}"
    env "${env[@]}" CAP_PREFIX= cargo build "${flags[@]}"
    echo "==> $mode/$profile: cargo test --no-run"
    env "${env[@]}" CAP_PREFIX=test- cargo test --no-run "${flags[@]}"
    mkdir -p "$out/$mode/$profile"
    local f name vs
    # With -C save-temps the version script rustc wrote survives: keep it.
    for f in "$log"/*.cc.txt; do
        vs="$(sed -n 's/^-Wl,--version-script=//p' "$f")"
        if [ -n "$vs" ] && [ -f "$vs" ]; then
            cp "$vs" "${f%.cc.txt}.version-script.txt"
        fi
    done
    for f in "$log"/*.txt; do
        name="${f##*/}"
        # build_script_build-HASH -> build-script; cap_bin-HASH -> cap_bin
        name="$(echo "$name" | sed -E 's/^build_script_build-[0-9a-f]{16}/build-script/; s/-[0-9a-f]{16}//')"
        sanitize "$f"
        cp "$f" "$out/$mode/$profile/$name"
    done
}

capture default dev
capture default release
capture gnu-ld dev -C linker-features=-lld -C save-temps "-C link-arg=-B$work/ldlog"
capture gnu-ld release -C linker-features=-lld -C save-temps "-C link-arg=-B$work/ldlog"

# Codegen options that change the link line, on a hello-world bin (rustc
# directly, gnu-ld mode): gnu-ld/variants/<name>.{cc,ld,cld}.txt
echo "==> variants (rustc hello.rs with extra -C options)"
vdir="$work/variants"
mkdir -p "$vdir/log" "$out/gnu-ld/variants"
printf 'fn main() { println!("hello"); }\n' >"$vdir/hello.rs"
printf 'int foo_value(void) { return 42; }\n' >"$vdir/foo.c"
cc -c -fPIC "$vdir/foo.c" -o "$vdir/foo.o" && ar rcs "$vdir/libfoo.a" "$vdir/foo.o"
printf 'extern "C" { fn foo_value() -> i32; }\nfn main() { println!("{}", unsafe { foo_value() }); }\n' >"$vdir/wa.rs"
variant() { # variant NAME SOURCE RUSTC-ARGS...
    local name="$1" src="$2"
    shift 2
    (cd "$vdir" && CLD="$cld" CAP_LOG="$vdir/log" CAP_PREFIX= \
        rustc -C linker="$work/bin/cc-logger" -C linker-features=-lld "-Clink-arg=-B$work/ldlog" \
        "$@" "$src" -o "$vdir/$name") ||
        echo "    (variant $name: rustc failed)"
}
variant strip-symbols hello.rs -C strip=symbols
variant no-pie hello.rs -C relocation-model=static
variant static-pie hello.rs -C target-feature=+crt-static
variant static hello.rs -C target-feature=+crt-static -C relocation-model=static
variant prefer-dynamic hello.rs -C prefer-dynamic
variant rpath hello.rs -C prefer-dynamic -C rpath
variant link-dead-code hello.rs -C link-dead-code
variant instrument-coverage hello.rs -C instrument-coverage
variant whole-archive wa.rs -L "$vdir" -l static:+whole-archive=foo
variant lto-fat hello.rs -C lto=fat -C opt-level=2
for f in "$vdir"/log/*.txt; do
    sanitize "$f"
    sed -i "s|$vdir|\$VDIR|g" "$f"
    cp "$f" "$out/gnu-ld/variants/"
done

echo "==> rustc --print link-args (bin, dev, defaults)"
CARGO_TARGET_DIR="$work/target-print" cargo rustc --quiet --manifest-path "$here/capture/Cargo.toml" \
    -p cap-bin --bin cap-bin -- --print link-args >"$out/print-link-args.txt"
sanitize "$out/print-link-args.txt"

echo "==> saved in $out:"
(cd "$out" && find . -type f | sort)
