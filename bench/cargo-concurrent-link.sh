#!/usr/bin/env bash
# What `cargo concurrent-link` saves on a rebuild after editing one source:
# the link as rustc sees it, with the background linker (started when rustc
# started) against a serial cld link of the same crate.
#
#   bench/cargo-concurrent-link.sh
#
# Projects: a copy of examples/rust-workspace (dev profile; touch
# app/src/main.rs: the `app` bin is recompiled, or app/src/lib.rs: the
# library and then the bin, whose background linker starts with the
# library's rustc) and, if its source is in the cargo
# registry (the ripgrep test's `cargo install` puts it there), ripgrep 15.2.0
# (release, touch crates/core/main.rs: the `rg` bin).
#
# Each round touches the source and builds twice: `cargo concurrent-link
# build` (concurrent) and the same with CARGO_CONCURRENT_LINK_MODE=serial
# (cld through `cc -B`, no background linker), in alternating order. From
# the trace and the background linker's event log:
#   link      rustc's linker call, start to exit (what the build waits for)
#   tail      `request wait` -> `link-done` in the event log
#   ingested  inputs ingested before the link request / after it
# Medians (min-max) over RUNS rounds. Every concurrent link is checked
# byte-identical to the serial link of its command line
# (CARGO_CONCURRENT_LINK_VERIFY=1, outside the timed part).
#
# Environment: RUNS=7, RIPGREP=0 (the example only), RG_PROFILES="release
# debug" (which ripgrep builds), EXAMPLE=0 (ripgrep only), OUT=NAME (write
# bench/results/NAME.md). Writes bench/results/cargo-concurrent-link.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
RUNS="${RUNS:-7}"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$target/bench/cargo-concurrent-link"
md="$root/bench/results/${OUT:-cargo-concurrent-link}.md"

cargo build --release -q -p ld-core -p cargo-concurrent-link
ccl="$target/release/cargo-concurrent-link"
export CLD="$target/release/cld"
rm -rf "$work"
mkdir -p "$work/runtime"
chmod 700 "$work/runtime"
export CLD_RUNTIME_DIR="$work/runtime" CARGO_CONCURRENT_LINK_VERIFY=1
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS RUSTC_WRAPPER CARGO_CONCURRENT_LINK_MODE

projects=()
cp -r examples/rust-workspace "$work/rust-workspace"
rm -rf "$work/rust-workspace/target"
if [ "${EXAMPLE:-1}" != 0 ]; then
    projects+=("rust-workspace, app/src/main.rs|$work/rust-workspace|app/src/main.rs|app|")
    projects+=("rust-workspace, app/src/lib.rs|$work/rust-workspace|app/src/lib.rs|app|")
fi
rg_src=""
[ "${RIPGREP:-1}" = 0 ] || rg_src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ripgrep-15.2.0 2>/dev/null | head -1 || true)
if [ -n "$rg_src" ]; then
    cp -r "$rg_src" "$work/ripgrep"
    # Its own workspace, not the cld repository's.
    printf '\n[workspace]\n' >>"$work/ripgrep/Cargo.toml"
    for prof in ${RG_PROFILES:-release debug}; do
        case $prof in
            release) projects+=("ripgrep 15.2.0 (release)|$work/ripgrep|crates/core/main.rs|rg|--release") ;;
            debug) projects+=("ripgrep 15.2.0 (debug)|$work/ripgrep|crates/core/main.rs|rg|") ;;
        esac
    done
else
    echo "ripgrep 15.2.0 is not in the cargo registry; measuring the example only" >&2
fi

{
    echo "# cargo concurrent-link: the link of a rebuild after touching one source"
    echo
    echo "\`bench/cargo-concurrent-link.sh\`, $(date -u +%Y-%m-%d), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start, RUNS=$RUNS."
    echo "$(rustc --version)."
    echo
    echo "| project | mode | link ms | tail ms | ingested before / after the request | head start s |"
    echo "|---|---|---|---|---|---|"
} >"$md.tmp"

n=0
for p in "${projects[@]}"; do
    IFS='|' read -r name dir src bin flags <<<"$p"
    n=$((n + 1))
    echo "== $name: clean build" >&2
    (cd "$dir" && CARGO_CONCURRENT_LINK_TRACE="$work/warmup.trace" "$ccl" build -q $flags)
    # One more round so the template knows the objects.
    touch "$dir/$src"
    (cd "$dir" && CARGO_CONCURRENT_LINK_TRACE="$work/warmup.trace" "$ccl" build -q $flags)
    : >"$work/records.$n"
    for i in $(seq 1 "$RUNS"); do
        if ((i % 2)); then order="concurrent serial"; else order="serial concurrent"; fi
        for mode in $order; do
            touch "$dir/$src"
            trace="$work/p$n.$mode.$i.trace"
            t0=$(date +%s.%N)
            (cd "$dir" && CARGO_CONCURRENT_LINK_MODE=$mode CARGO_CONCURRENT_LINK_TRACE="$trace" "$ccl" build -q $flags)
            t1=$(date +%s.%N)
            log=""
            if [ "$mode" = concurrent ]; then
                log=$(ls -d "$dir"/target/*/deps/.concurrent-link/"$bin"-*/cld.log | head -1)
                cp "$log" "$work/p$n.$mode.$i.log"
                log="$work/p$n.$mode.$i.log"
            fi
            echo "$mode|$trace|$log|$t0|$t1" >>"$work/records.$n"
            echo "   round $i $mode: $(grep ' link ' "$trace" | grep "/$bin-" | sed 's/.* mode=//')" >&2
        done
    done
    python3 - "$work/records.$n" "$bin" "$name" >>"$md.tmp" <<'EOF'
import sys, statistics
records, binname, name = sys.argv[1:4]
rows = {"concurrent": [], "serial": []}
for line in open(records):
    mode, trace, log, t0, t1 = line.strip().split("|")
    link = start = None
    for l in open(trace):
        f = l.split()
        if len(f) > 3 and f[2] == "link" and f"/{binname}-" in f[3]:
            kv = dict(x.split("=", 1) for x in f[4:] if "=" in x)
            link = float(kv["ms"])
            assert kv["status"] == "0", l
            if kv.get("mode") == "concurrent":
                start = float(kv["started-before-s"])
    tail = before = after = None
    if log:
        ev = [l.split() for l in open(log)]
        t = lambda e: float(e[1].lstrip("+"))
        req = next(t(e) for e in ev if e[2:4] == ["request", "wait"])
        done = next(t(e) for e in ev if e[2] == "link-done")
        tail = (done - req) * 1000
        ing = [t(e) for e in ev if e[2] == "ingest-done"]
        before = sum(1 for x in ing if x < req); after = len(ing) - before
    rows[mode].append((link, tail, before, after, start))
def med(v):
    v = [x for x in v if x is not None]
    if not v:
        return "-"
    return f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})"
def medf(v):
    v = [x for x in v if x is not None]
    return f"{statistics.median(v):.1f}" if v else "-"
for mode in ("concurrent", "serial"):
    r = rows[mode]
    ing = "-"
    if mode == "concurrent":
        ing = f"{statistics.median([x[2] for x in r]):.0f} / {statistics.median([x[3] for x in r]):.0f}"
    print(f"| {name} | {mode} | {med([x[0] for x in r])} | {med([x[1] for x in r])} | {ing} | {medf([x[4] for x in r])} |")
EOF
done
{
    echo
    echo "link: rustc's call of the linker until it exits (concurrent: compare the"
    echo "command line, put the new objects in place, \`cld --concurrent-wait\`;"
    echo "serial: \`cc -B <cld shim>\`, i.e. gcc, collect2 and a full cld link)."
    echo "tail: \`request wait\` to \`link-done\` in the background linker's log."
    echo "ingested: inputs whose ingestion finished before the link request, and after it."
    echo "head start s: from the background linker's start to the link request."
    echo "Each concurrent link was checked byte-identical to cld's serial link of"
    echo "the same command line (CARGO_CONCURRENT_LINK_VERIFY=1, not timed)."
    echo "A touched source that did not change compiles to objects of the same"
    echo "bytes: the background linker, which reads each one reported, keeps"
    echo "what it resolved ahead from the earlier ones (and from rustc's"
    echo "symbols.o, written again on every link). An edit that changes the code"
    echo "starts the resolution ahead over once, when its object comes."
} >>"$md.tmp"
mv "$md.tmp" "$md"
cat "$md"
