#!/usr/bin/env bash
# Links a corpus with two cld binaries and compares what they produce: for
# a refactoring that must keep every output byte-identical.
#
#   scripts/compare-outputs.sh capture [CORPUS]
#   scripts/compare-outputs.sh compare OLD-CLD NEW-CLD [CORPUS]
#
# capture: records link command lines (working directory and arguments)
#   into CORPUS (default target/compare-corpus) through a capturing `ld`
#   that gcc runs with -B and that executes CAPTURE_CLD (default
#   target/release/cld). gcc's temporary objects are copied into the record.
#   What is captured:
#   - variants: a few C and C++ programs from tests/c and tests/cpp compiled
#     with cc/c++ and linked PIE, -no-pie, -static, -static-pie, -shared,
#     --gc-sections, -z now, --icf=all, zstd-compressed debug sections,
#     -z pack-relative-relocs, --emit-relocs, --hash-style=both, -z
#     rewrite-endbr, --export-dynamic, -s, --build-id, ...;
#   - synth-3000-g (bench/link-bench.sh's program, 2,251 objects and three
#     archives), when target/bench/synth-3000-g (or $SYNTH) has been built;
#   - unless TESTS=0: the links the integration test suites make through
#     their gcc shim (CLD_TEST_LINKER pointed at the capturing ld); their
#     inputs stay in target/tmp. TESTS="c_programs cpp_programs ..." picks
#     the suites.
# compare: runs every recorded link with OLD-CLD and with NEW-CLD (same
#   working directory, the same output path) and compares the exit status,
#   stdout, stderr and every file written beside the output (the output,
#   a separate debug file). Links of the concurrent protocol are skipped.
#   Prints one line per difference and a summary; exits 1 if anything
#   differs.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
die() { echo "compare-outputs: $*" >&2; exit 2; }

capture() {
    local corpus=${1:-$root/target/compare-corpus}
    local real=${CAPTURE_CLD:-$root/target/release/cld}
    [ -x "$real" ] || die "no cld at $real (cargo build --release -p ld-core)"
    real=$(realpath "$real")
    mkdir -p "$corpus"
    corpus=$(realpath "$corpus")
    rm -rf "$corpus/links" "$corpus/shim" "$corpus/variants"
    mkdir -p "$corpus/links" "$corpus/shim" "$corpus/variants"
    # The capturing ld: records, then runs the real cld on the original
    # arguments (the build goes on as without it).
    cat >"$corpus/shim/ld" <<EOF
#!/usr/bin/env bash
d=\$(mktemp -d '$corpus/links/XXXXXXXX')
pwd >"\$d/cwd"
args=()
for a in "\$@"; do
    # gcc's temporary objects and response files are gone after the link.
    case "\$a" in
        /tmp/cc*) if [ -f "\$a" ]; then cp "\$a" "\$d/"; a="\$d/\${a##*/}"; fi ;;
    esac
    args+=("\$a")
done
printf '%s\0' "\${args[@]}" >"\$d/args"
exec '$real' "\$@"
EOF
    chmod +x "$corpus/shim/ld"

    echo "==> variants"
    local v="$corpus/variants"
    local cflags=(-O1 -g -fcf-protection)
    local c_progs=(tests/c/tls_desc tests/c/ifunc tests/c/string_merge tests/c/start_stop
        tests/c/common_symbols tests/c/ctors_dtors tests/c/weak_symbols tests/c/tls_data_bss)
    local cpp_progs=(tests/cpp/exceptions tests/cpp/iostreams_containers tests/cpp/thread_local
        tests/cpp/templates_variant)
    build() { # build NAME COMPILER FLAGS... -- SOURCES...
        local name=$1 cc=$2; shift 2
        local flags=() srcs=() objs=()
        while [ "$1" != -- ]; do flags+=("$1"); shift; done
        shift
        mkdir -p "$v/$name"
        for s in "$@"; do
            local o="$v/$name/$(basename "${s%.*}").o"
            "$cc" -c "${flags[@]}" -I"$(dirname "$s")" "$s" -o "$o" || return 1
            objs+=("$o")
        done
        printf '%s\n' "${objs[@]}" >"$v/$name/objs"
    }
    link() { # link NAME DRIVER OBJ-SET EXTRA...
        local name=$1 drv=$2 set=$3; shift 3
        mapfile -t objs <"$v/$set/objs"
        "$drv" -B "$corpus/shim/" -o "$v/$name.out" "${objs[@]}" "$@" >/dev/null 2>&1 ||
            echo "    (link $name failed; recorded anyway)"
    }
    local p n
    for p in "${c_progs[@]}"; do
        n=$(basename "$p")
        build "$n-pic" gcc "${cflags[@]}" -fcommon -fPIC -ffunction-sections -fdata-sections -- "$p"/*.c || continue
        build "$n-nopic" gcc "${cflags[@]}" -fcommon -fno-pic -- "$p"/*.c || continue
        link "$n-pie" gcc "$n-pic" -pie -pthread
        link "$n-nopie" gcc "$n-nopic" -no-pie -pthread
        link "$n-static" gcc "$n-nopic" -static -pthread
        link "$n-staticpie" gcc "$n-pic" -static-pie -pthread
        link "$n-gc" gcc "$n-pic" -pie -pthread -Wl,--gc-sections
        link "$n-now" gcc "$n-pic" -pie -pthread -Wl,-z,now -Wl,-z,relro
        link "$n-icf" gcc "$n-pic" -pie -pthread -Wl,--icf=all
        link "$n-zstd" gcc "$n-pic" -pie -pthread -Wl,--compress-debug-sections=zstd
        link "$n-zlib" gcc "$n-nopic" -no-pie -pthread -Wl,--compress-debug-sections=zlib
        link "$n-relr" gcc "$n-pic" -pie -pthread -Wl,-z,pack-relative-relocs
        link "$n-emit" gcc "$n-nopic" -no-pie -pthread -Wl,--emit-relocs
        link "$n-hash" gcc "$n-pic" -pie -pthread -Wl,--hash-style=both -Wl,--build-id=sha1
        link "$n-endbr" gcc "$n-pic" -pie -pthread -Wl,-z,rewrite-endbr -Wl,--export-dynamic
        link "$n-strip" gcc "$n-nopic" -no-pie -pthread -s -Wl,-z,norelro
        link "$n-shared" gcc "$n-pic" -shared -pthread -Wl,-soname,libx.so.1
        link "$n-debugfile" gcc "$n-pic" -pie -pthread -Wl,--separate-debug-file -Wl,--gdb-index
    done
    for p in "${cpp_progs[@]}"; do
        n=$(basename "$p")
        build "$n-pic" g++ "${cflags[@]}" -fPIC -ffunction-sections -- "$p"/*.cpp || continue
        build "$n-nopic" g++ "${cflags[@]}" -fno-pic -- "$p"/*.cpp || continue
        link "$n-pie" g++ "$n-pic" -pie -pthread
        link "$n-nopie" g++ "$n-nopic" -no-pie -pthread
        link "$n-static" g++ "$n-nopic" -static -pthread
        link "$n-gc" g++ "$n-pic" -pie -pthread -Wl,--gc-sections -Wl,--print-gc-sections
        link "$n-now" g++ "$n-pic" -pie -pthread -Wl,-z,now
        link "$n-icf" g++ "$n-pic" -pie -pthread -Wl,--icf=all -Wl,--gc-sections
        link "$n-icfsafe" g++ "$n-pic" -pie -pthread -Wl,--icf=safe -Wl,--print-icf-sections
        link "$n-zstd" g++ "$n-pic" -pie -pthread -Wl,--compress-debug-sections=zstd
        link "$n-relr" g++ "$n-pic" -pie -pthread -Wl,-z,pack-relative-relocs -Wl,--gc-sections
        link "$n-shared" g++ "$n-pic" -shared -pthread -Wl,--version-script=/dev/null
        link "$n-static-libstdcxx" g++ "$n-pic" -pie -pthread -static-libstdc++ -static-libgcc
        link "$n-noehhdr" g++ "$n-nopic" -no-pie -pthread -Wl,--no-eh-frame-hdr -Wl,-z,execstack
    done

    local synth=${SYNTH:-$root/target/bench/synth-3000-g}
    [ -f "$synth/link.args" ] || synth=/work/main/target/bench/synth-3000-g
    if [ -f "$synth/link.args" ]; then
        echo "==> synth-3000-g ($synth)"
        mapfile -t a <"$synth/link.args"
        (cd "$synth" && gcc -B "$corpus/shim/" -o "$v/synth.out" "${a[@]}") || echo "    (synth link failed)"
        (cd "$synth" && gcc -B "$corpus/shim/" -o "$v/synth-gc.out" "${a[@]}" -Wl,--gc-sections -Wl,--icf=all) ||
            echo "    (synth gc link failed)"
    else
        echo "==> no synth-3000-g (bench/link-bench.sh builds it); skipped"
    fi

    if [ "${TESTS:-}" != 0 ]; then
        local suites=${TESTS:-c_programs cpp_programs shared_libs link_options link_errors relr icf debug_info linker_scripts large_model gnu_compat broken_inputs}
        for s in $suites; do
            echo "==> test suite $s"
            CLD_TEST_LINKER="$corpus/shim/ld" cargo test --release -q -p ld-core --test "$s" >"$corpus/$s.log" 2>&1 ||
                echo "    (some tests failed under the capturing linker: $corpus/$s.log; the links are recorded)"
        done
    fi
    echo "compare-outputs: $(ls "$corpus/links" | wc -l) links recorded in $corpus"
}

compare() {
    local old=$1 new=$2 corpus=${3:-$root/target/compare-corpus}
    [ -x "$old" ] && [ -x "$new" ] || die "usage: $0 compare OLD-CLD NEW-CLD [CORPUS]"
    old=$(realpath "$old") new=$(realpath "$new")
    [ -d "$corpus/links" ] || die "no corpus at $corpus (run: $0 capture)"
    corpus=$(realpath "$corpus")
    local run
    run=$(mktemp -d "$corpus/run.XXXXXX")
    local n=0 same=0 differ=0 skipped=0 files=0 failed=0
    for rec in "$corpus"/links/*/; do
        [ -f "$rec/args" ] || continue
        mapfile -d '' -t args <"$rec/args"
        case " ${args[*]} " in *concurrent*) skipped=$((skipped + 1)); continue ;; esac
        # The output goes to a fresh directory, so that files written
        # beside it (OUTPUT.debug) are compared too.
        local a=() i
        for ((i = 0; i < ${#args[@]}; i++)); do
            case "${args[i]}" in
                -o) a+=(-o "$run/out/out"); i=$((i + 1)) ;;
                *) a+=("${args[i]}") ;;
            esac
        done
        n=$((n + 1))
        local side
        for side in old new; do
            local bin=$old
            [ $side = new ] && bin=$new
            rm -rf "$run/out" "$run/$side" && mkdir -p "$run/out"
            (cd "$(cat "$rec/cwd")" && "$bin" "${a[@]}" >"$run/stdout" 2>"$run/stderr"; echo $? >"$run/status")
            mv "$run/out" "$run/$side"
            mv "$run/stdout" "$run/stderr" "$run/status" "$run/$side/"
        done
        if diff -r "$run/old" "$run/new" >/dev/null; then
            same=$((same + 1))
            files=$((files + $(ls "$run/old" | wc -l) - 3))
            [ "$(cat "$run/old/status")" = 0 ] || failed=$((failed + 1))
        else
            differ=$((differ + 1))
            echo "DIFFERS: $rec ($(cat "$rec/cwd")): $(diff -rq "$run/old" "$run/new" | tr '\n' ' ')"
        fi
    done
    rm -rf "$run"
    echo "compare-outputs: $n links, $same identical ($files output files compared byte for byte; $failed links failed alike), $differ differ, $skipped concurrent links skipped"
    [ $differ = 0 ]
}

case "${1:-}" in
    capture) shift; capture "$@" ;;
    compare) shift; compare "$@" ;;
    *) die "usage: $0 capture [CORPUS] | compare OLD-CLD NEW-CLD [CORPUS]" ;;
esac
