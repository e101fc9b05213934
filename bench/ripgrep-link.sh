#!/usr/bin/env bash
# Link benchmark on a real Rust program: the final link of ripgrep (rg),
# captured once from `cargo install ripgrep`, replayed with several linkers.
#
#   bench/ripgrep-link.sh                   release profile
#   RG_PROFILE=debug bench/ripgrep-link.sh  debug profile (`cargo install
#                                           --debug`: the link a Rust
#                                           developer waits for on each edit)
#
# 1. Capture (cached in target/bench/ripgrep; BENCH_REBUILD=1 redoes it):
#    `cargo install ripgrep --version $RG_VERSION --locked` (release profile,
#    ripgrep's own settings: debug = 1; or --debug) with `-C linker-features=-lld` and a
#    linker wrapper that, for the link of rg, copies every input file
#    (objects, rlibs) into target/bench/ripgrep/inputs and saves the
#    driver's argv (rewritten to the copies) in link.args. Nothing else of
#    the build matters afterwards.
# 2. Replay: `cc <argv> -o OUT` with each linker, RUNS times after one
#    warm-up, under /usr/bin/time (wall time and peak RSS of the largest
#    process, i.e. the linker):
#      ld.bfd   -fuse-ld=bfd            ld.gold  -fuse-ld=gold
#      ld.lld   -fuse-ld=lld (system)   rust-lld -B<sysroot>/gcc-ld -fuse-ld=lld
#                                                (what rustc >= 1.90 uses by default)
#      mold     -fuse-ld=mold -Wl,--no-fork          (Debian's, 1.10)
#      mold-2.42 -B <shim: ../shared/anchors/mold> -Wl,--no-fork
#      wild     -B <shim: wild 0.10 from cargo install> -Wl,--no-fork
#      cld      -B <shim dir with ld -> target/release/cld> -Wl,--no-fork
#      wild-fork, mold-2.42-fork, cld-fork: the same without --no-fork,
#               which is what users get: the linker exits once its output
#               is in place and a child process frees its memory (peak RSS
#               is then the parent's, not reported)
#    The runs alternate between the linkers (round i links with each in
#    turn), so that a slower moment of the machine does not fall on one.
#    Every output must run (`rg --version`, a search of this repository's
#    sources) and print the same as the ld.bfd one; cld's must name cld in
#    .comment.
# 3. Medians of wall time and of peak RSS go to bench/results/ripgrep-link.md
#    and bench/results/ripgrep-link.json (ripgrep-link-debug.* for the debug
#    profile); ratios against wild 0.10 where it is installed, else mold.
#
# Environment: RUNS=9, RG_VERSION=15.2.0, RG_PROFILE=release, BENCH_REBUILD=1,
# CLD_TEST_LINKER=/usr/bin/ld (stands in for cld; row cld*).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

RUNS="${RUNS:-9}"
((RUNS >= 3)) || RUNS=3
RG_VERSION="${RG_VERSION:-15.2.0}"
RG_PROFILE="${RG_PROFILE:-release}"
case "$RG_PROFILE" in
    release) work="$root/target/bench/ripgrep" suffix= install_flags=() profile_desc="release, debug = 1" ;;
    debug) work="$root/target/bench/ripgrep-debug" suffix=-debug install_flags=(--debug) profile_desc="debug profile" ;;
    *) echo "ripgrep-link: RG_PROFILE is release or debug, not $RG_PROFILE" >&2; exit 1 ;;
esac
results="$root/bench/results"
mkdir -p "$work" "$results"

die() { echo "ripgrep-link: $*" >&2; exit 1; }
for tool in cc cargo rustc readelf /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required (scripts/ensure-deps.sh prints the apt-get command)"
done

# ---------------------------------------------------------------- cld
cld="$root/target/release/cld"
cld_name=cld
if [ -n "${CLD_TEST_LINKER:-}" ]; then
    cld="$CLD_TEST_LINKER"
    cld_name="cld*"
else
    echo "==> cargo build --release -p ld-core"
    cargo build --release -p ld-core --bin cld >"$work/cld-build.log" 2>&1 ||
        die "building cld failed (see $work/cld-build.log)"
fi
mkdir -p "$work/shim"
ln -sfn "$cld" "$work/shim/ld"

# ---------------------------------------------------------------- capture
args_file="$work/link.args"
capture_ok() {
    [ -s "$args_file" ] || return 1
    local a
    while IFS= read -r -d '' a; do
        case "$a" in "$work"/inputs/*) [ -e "$a" ] || return 1 ;; esac
    done <"$args_file"
}
if [ -n "${BENCH_REBUILD:-}" ] || ! capture_ok; then
    echo "==> capturing the link of rg: cargo install ripgrep $RG_VERSION ($RG_PROFILE; takes a minute or two)"
    rm -rf "$work/inputs" "$work/target" "$work/root" "$args_file"
    mkdir -p "$work/inputs" "$work/bin"
    cat >"$work/bin/capture-cc" <<'WRAPPER'
#!/usr/bin/env bash
# Linker wrapper: for the link of rg, copy the inputs to $CAP/inputs and
# save the argv (NUL-separated, paths rewritten) to $CAP/link.args; then
# link with cc as usual.
out= prev=
for a in "$@"; do [ "$prev" = -o ] && out="$a"; prev="$a"; done
case "${out##*/}" in
    rg-*)
        n=0 prev= args=()
        for a in "$@"; do
            if [ "$prev" = -o ]; then
                args+=("OUTPUT")
            elif [[ "$a" == -fuse-ld=* || "$a" == -B*/gcc-ld ]]; then
                : # the linker choice is the benchmark's, not rustc's
            elif [ "$prev" = -L ] && [ -d "$a" ] && [[ "$a" == */raw-dylibs ]]; then
                mkdir -p "$CAP/inputs/raw-dylibs" && cp -r "$a/." "$CAP/inputs/raw-dylibs/"
                args+=("$CAP/inputs/raw-dylibs")
            elif [ -f "$a" ] && [ "$prev" != -o ]; then
                n=$((n + 1))
                dst="$CAP/inputs/$(printf %04d $n)-${a##*/}"
                cp "$a" "$dst"
                args+=("$dst")
            else
                args+=("$a")
            fi
            prev="$a"
        done
        printf '%s\0' "${args[@]}" >"$CAP/link.args"
        ;;
esac
exec cc "$@"
WRAPPER
    chmod +x "$work/bin/capture-cc"
    t0=$SECONDS
    # RUSTFLAGS, even empty, would replace the target's rustflags.
    env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS \
        CAP="$work" CARGO_TARGET_DIR="$work/target" \
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER="$work/bin/capture-cc" \
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C linker-features=-lld" \
        cargo install ripgrep "${install_flags[@]}" --locked --force --version "$RG_VERSION" --root "$work/root" \
        >"$work/capture.log" 2>&1 || die "cargo install ripgrep failed (see $work/capture.log)"
    echo "    built in $((SECONDS - t0)) s"
    capture_ok || die "the link of rg was not captured (see $work/capture.log)"
    rm -rf "$work/target" # only the copied inputs are needed from here on
fi
mapfile -d '' link_args <"$args_file"
for a in "${link_args[@]}"; do
    case "$a" in -fuse-ld=* | -B*) die "captured argv chooses a linker ($a); BENCH_REBUILD=1" ;; esac
done
n_obj=0 n_rlib=0 in_bytes=0
for a in "${link_args[@]}"; do
    case "$a" in
        */inputs/*.o) n_obj=$((n_obj + 1)) ;;
        */inputs/*.rlib) n_rlib=$((n_rlib + 1)) ;;
    esac
    [ -f "$a" ] && in_bytes=$((in_bytes + $(stat -c %s "$a")))
done
desc="ripgrep $RG_VERSION ($profile_desc): $n_obj objects, $n_rlib rlibs, $((in_bytes / 1048576)) MiB of input"
echo "==> $desc"

# ---------------------------------------------------------------- linkers
sysroot="$(rustc --print sysroot)"
gcc_ld="$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld"
names=(ld.bfd ld.gold ld.lld rust-lld mold mold-2.42 wild "$cld_name")
declare -A flags version avail
flags[ld.bfd]="-fuse-ld=bfd"
flags[ld.gold]="-fuse-ld=gold"
flags[ld.lld]="-fuse-ld=lld"
flags[rust-lld]="-B$gcc_ld -fuse-ld=lld"
flags[mold]="-fuse-ld=mold -Wl,--no-fork"
# The anchors, each through a shim directory of its own.
mold242="$(cd "$root/.." && ls "$PWD/shared/anchors/mold" 2>/dev/null || true)"
wild="$(command -v wild || ls "${CARGO_HOME:-$HOME/.cargo}/bin/wild" 2>/dev/null || true)"
for n in mold-2.42 wild; do
    p=$mold242
    [ "$n" = wild ] && p=$wild
    mkdir -p "$work/shim-$n"
    [ -z "$p" ] || ln -sfn "$p" "$work/shim-$n/ld"
    flags[$n]="-B$work/shim-$n/ -Wl,--no-fork"
done
version[mold-2.42]="$([ -z "$mold242" ] || "$mold242" --version 2>/dev/null | head -n 1)"
version[wild]="$([ -z "$wild" ] || "$wild" --version 2>/dev/null | head -n 1)"
flags[$cld_name]="-B$work/shim/ -Wl,--no-fork"
# The forking defaults (see the header).
for n in mold-2.42 wild "$cld_name"; do
    f="${n//\*/}-fork"
    names+=("$f")
    flags[$f]="${flags[$n]% -Wl,--no-fork}"
done
version[ld.bfd]="$(ld.bfd --version 2>/dev/null | head -n 1)"
version[ld.gold]="$(ld.gold --version 2>/dev/null | head -n 1)"
version[ld.lld]="$(ld.lld --version 2>/dev/null | head -n 1)"
version[rust-lld]="$("$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld" -flavor gnu --version 2>/dev/null | head -n 1)"
version[mold]="$(mold --version 2>/dev/null | head -n 1)"
version[$cld_name]="$("$cld" --version 2>/dev/null | head -n 1)"
for n in mold-2.42 wild "$cld_name"; do version[${n//\*/}-fork]="${version[$n]}"; done
for n in "${names[@]}"; do
    if [ -n "${version[$n]:-}" ]; then avail[$n]=1; else avail[$n]=0; fi
    printf '    %-9s %s\n' "$n" "${version[$n]:-(not installed)}"
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print ""; exit } print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

check_output() { # check_output NAME EXE -> 0 if rg works and agrees with the ld.bfd output
    local n="$1" exe="$2"
    "$exe" --version 2>&1 | grep -q "ripgrep $RG_VERSION" || return 1
    "$exe" --no-config --sort path -n -c 'fn [a-z_]+\(' "$root/ld-core/src" >"$work/check-$n.out" 2>&1 || return 1
    if [ "$n" = "$cld_name" ] && [ "$cld_name" = cld ]; then
        readelf -p .comment "$exe" | grep -q cld || return 1
    fi
    [ ! -f "$work/check-ld.bfd.out" ] || cmp -s "$work/check-ld.bfd.out" "$work/check-$n.out"
}

declare -A st wall_med rss_med wall_min wall_max size times rsses
run_names=()
link_cmd() { # link_cmd NAME: the command line, in cmd[]
    local n="$1" exe="$work/rg-${1//\*/}"
    # shellcheck disable=SC2206
    cmd=(cc "${link_args[@]/#OUTPUT/$exe}" ${flags[$n]})
}
for n in "${names[@]}"; do
    if [ "${avail[$n]}" != 1 ]; then
        st[$n]="not installed"
        echo "    $n: not installed"
        continue
    fi
    exe="$work/rg-${n//\*/}"
    link_cmd "$n"
    rm -f "$exe"
    # The warm-up link, checked.
    if ! "${cmd[@]}" >"$work/link-${n//\*/}.log" 2>&1 || [ ! -s "$exe" ]; then
        st[$n]="FAILED"
        echo "    $n: FAILED:"
        tail -n 5 "$work/link-${n//\*/}.log" | sed 's/^/      | /'
        continue
    fi
    if check_output "$n" "$exe"; then st[$n]=ok; else st[$n]="WRONG OUTPUT"; fi
    size[$n]=$(stat -c %s "$exe")
    run_names+=("$n")
done
declare -A ws rs
for ((i = 0; i < RUNS; i++)); do
    for n in "${run_names[@]}"; do
        [ "${st[$n]}" = FAILED ] && continue
        link_cmd "$n"
        t0=$(date +%s%N)
        /usr/bin/time -f '%M' -o "$work/time.txt" "${cmd[@]}" >/dev/null 2>&1 || { st[$n]="FAILED"; continue; }
        t1=$(date +%s%N)
        ws[$n]+="$(((t1 - t0) / 1000000)) "
        rs[$n]+="$(tail -n 1 "$work/time.txt") "
    done
done
for n in "${run_names[@]}"; do
    [ -n "${ws[$n]:-}" ] || continue
    read -ra w <<<"${ws[$n]}"
    read -ra r <<<"${rs[$n]}"
    times[$n]="${w[*]}"
    rsses[$n]="${r[*]}"
    wall_med[$n]=$(printf '%s\n' "${w[@]}" | median)
    rss_med[$n]=$(printf '%s\n' "${r[@]}" | median)
    wall_min[$n]=$(printf '%s\n' "${w[@]}" | sort -n | head -n 1)
    wall_max[$n]=$(printf '%s\n' "${w[@]}" | sort -n | tail -n 1)
    echo "    $n: ${st[$n]}, median ${wall_med[$n]} ms, peak RSS ${rss_med[$n]} KiB (runs: ${w[*]} ms)"
done

# ---------------------------------------------------------------- report
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "" || b == "" || b + 0 == 0) { print "-"; exit }
        printf "%.2f\n", a / b }'
}
date_utc="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
ncpu="$(nproc)"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
md="$results/ripgrep-link$suffix.md"
json="$results/ripgrep-link$suffix.json"
ref=mold
[ -n "${wall_med[wild]:-}" ] && ref=wild
{
    echo "# ripgrep link benchmark"
    echo
    echo "$date_utc, cld at $commit, $cpu, $ncpu CPUs, load average $load at the end."
    echo "$desc; the same captured inputs for every linker (\`bench/ripgrep-link.sh\`)."
    echo "$RUNS timed runs per linker after one warm-up link, alternating between the linkers; wall time of \`cc <captured argv>\` (gcc driver"
    echo "and collect2 included); peak RSS is GNU time's %M (the largest process: the linker). Medians."
    echo "rust-lld is what rustc >= 1.90 links with by default on x86_64-unknown-linux-gnu."
    echo
    echo "mold, the anchors (mold 2.42, wild 0.10) and cld run with --no-fork; the -fork rows"
    echo "are their defaults, which exit once the output is in place (a child frees the memory;"
    echo "no peak RSS: the measured process is the parent)."
    echo
    echo "| linker | status | median ms | min ms | max ms | median peak RSS KiB | output bytes | time / $ref | RSS / $ref | time / ld.bfd |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for n in "${names[@]}"; do
        if [ -n "${wall_med[$n]:-}" ]; then
            rss="${rss_med[$n]}" rss_ratio="$(ratio "${rss_med[$n]}" "${rss_med[$ref]:-}")"
            # A forking linker's measured process is the parent.
            case "$n" in *-fork) rss=- rss_ratio=- ;; esac
            echo "| $n | ${st[$n]} | ${wall_med[$n]} | ${wall_min[$n]} | ${wall_max[$n]} | $rss | ${size[$n]} |" \
                "$(ratio "${wall_med[$n]}" "${wall_med[$ref]:-}") | $rss_ratio |" \
                "$(ratio "${wall_med[$n]}" "${wall_med[ld.bfd]:-}") |"
        else
            echo "| $n | ${st[$n]} | - | - | - | - | - | - | - | - |"
        fi
    done
    echo
    echo "Linkers:"
    for n in "${names[@]}"; do echo "- $n: \`${flags[$n]/$work/target/bench/${work##*/}}\` ${version[$n]:+(${version[$n]})}"; done
    [ "$cld_name" = "cld*" ] && echo "- cld*: CLD_TEST_LINKER=$cld stood in for cld"
} >"$md"

jstr() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
jnum() { if [ -n "${1:-}" ]; then printf '%s' "$1"; else printf 'null'; fi; }
{
    printf '{\n  "date": %s,\n  "commit": %s,\n  "cpu": %s,\n  "cpus": %s,\n  "loadavg": %s,\n' \
        "$(jstr "$date_utc")" "$(jstr "$commit")" "$(jstr "$cpu")" "$ncpu" "$(jstr "$load")"
    printf '  "runs": %s,\n  "case": %s,\n  "linkers": [\n' "$RUNS" "$(jstr "$desc")"
    first=1
    for n in "${names[@]}"; do
        [ "$first" = 1 ] || printf ',\n'
        first=0
        t="${times[$n]:-}" r="${rsses[$n]:-}"
        printf '    {"linker": %s, "version": %s, "status": %s, "median_ms": %s, "min_ms": %s, "max_ms": %s, ' \
            "$(jstr "$n")" "$(jstr "${version[$n]}")" "$(jstr "${st[$n]}")" \
            "$(jnum "${wall_med[$n]:-}")" "$(jnum "${wall_min[$n]:-}")" "$(jnum "${wall_max[$n]:-}")"
        printf '"median_peak_rss_kib": %s, "output_bytes": %s, "times_ms": [%s], "peak_rss_kib": [%s]}' \
            "$(jnum "${rss_med[$n]:-}")" "$(jnum "${size[$n]:-}")" "${t// /, }" "${r// /, }"
    done
    printf '\n  ]\n}\n'
} >"$json"

echo
cat "$md"
echo
echo "ripgrep-link: wrote ${md#"$root"/} and ${json#"$root"/}"
