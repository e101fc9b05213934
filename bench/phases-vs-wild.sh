#!/usr/bin/env bash
# Where one link's time goes: cld's passes (--stats) beside wild 0.10's
# (--time), on the same ld command line, so that a gap between the two
# shows in which part of the link it is.
#
#   bench/phases-vs-wild.sh                  RUNS=7 WORKLOAD=rg-debug
#
# Workloads: rg-debug (the ripgrep debug-profile link that
# bench/ripgrep-link.sh captures with RG_PROFILE=debug) or synth-3000-g
# (bench/link-bench.sh's 3,000-module program); each is prepared by its
# script if missing. The driver's command line is run once through a shim
# that records the arguments it gives ld; then cld (--no-fork --stats) and
# wild (--no-fork --time) run on those arguments directly, alternating,
# RUNS times each. Medians per pass. Writes
# bench/results/phases-WORKLOAD.md.
#
# The parts compared (each linker's own passes, grouped):
#   front:  cld's expand + ingest + resolve + exports + liveness + scan
#           relocations (with the output-section passes, which run beside
#           it); wild's "Open input files" (opening and mapping
#           them, a pass of its own, as cld's expand) and "Find required
#           sections" group (symbol loading, resolution, section
#           resolution, GC);
#   layout: cld's other layout passes; wild's "Layout" group;
#   write:  cld's write passes; wild's "Write output file" group;
#   wild's "Shutdown" (dropping its tables) has no cld counterpart (cld
#   frees them after the output is in place, off the timed link).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
RUNS=${RUNS:-7}
WORKLOAD=${WORKLOAD:-rg-debug}
die() { echo "phases-vs-wild: $*" >&2; exit 1; }
wild="$(command -v wild || ls "${CARGO_HOME:-$HOME/.cargo}/bin/wild" 2>/dev/null || true)"
[ -n "$wild" ] || die "wild is not installed (cargo install wild-linker --version 0.10.0 --locked)"
cargo build --release -p ld-core --bin cld
cld=$root/target/release/cld
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/bench/phases-$WORKLOAD
rm -rf "$work" && mkdir -p "$work/shim"

# The driver's argv, NUL-separated, with OUTPUT where the output goes.
case $WORKLOAD in
    rg-debug)
        dir=$target/bench/ripgrep-debug
        if [ ! -s "$dir/link.args" ]; then
            RG_PROFILE=debug RUNS=1 bench/ripgrep-link.sh >/dev/null
            git -C "$root" checkout -q -- bench/results 2>/dev/null || true
        fi
        mapfile -d '' driver <"$dir/link.args"
        ;;
    synth-3000-g)
        dir=$target/bench/synth-3000-g
        if [ ! -s "$dir/link.args" ]; then
            WORKLOADS=synth-3000-g RUNS=1 bench/link-bench.sh >/dev/null
            git -C "$root" checkout -q -- bench/results 2>/dev/null || true
        fi
        mapfile -t driver <"$dir/link.args"
        driver+=(-o OUTPUT)
        ;;
    *) die "unknown WORKLOAD $WORKLOAD (rg-debug, synth-3000-g)" ;;
esac
[ ${#driver[@]} -gt 0 ] || die "no captured command line for $WORKLOAD"

# ld's arguments, as the driver gives them (the LTO plugin's included:
# both linkers take them).
cat >"$work/shim/ld" <<EOF
#!/bin/sh
printf '%s\0' "\$@" > '$work/ld.args'
exec '$cld' "\$@"
EOF
chmod +x "$work/shim/ld"
(cd "$dir" && cc -B "$work/shim/" "${driver[@]/#OUTPUT/$work/driver.out}") || die "the capturing link failed"
mapfile -d '' ld_args <"$work/ld.args"
for i in "${!ld_args[@]}"; do
    [ "${ld_args[i]}" = -o ] && ld_args[i + 1]=$work/out
done

cd "$dir"
for ((r = 0; r < RUNS; r++)); do
    "$cld" --no-fork --stats "${ld_args[@]}" 2>>"$work/cld.txt"
    echo "--" >>"$work/cld.txt"
    "$wild" --no-fork --time "${ld_args[@]}" >>"$work/wild.txt" 2>&1
    echo "--" >>"$work/wild.txt"
done
cd "$root"

python3 - "$work" "$WORKLOAD" "$RUNS" "$("$wild" --version 2>&1 | head -1)" "$(git rev-parse --short HEAD)" <<'EOF' >"bench/results/phases-$WORKLOAD.md"
import re, statistics as st, sys, collections, datetime
work, workload, runs, wild_version, commit = sys.argv[1:6]

def runs_of(path):
    return [r for r in open(path).read().split("--\n") if r.strip()]

# cld: "cld:   NAME   12.34 ms  x1.5   41.2 MiB" per pass (the memory is not
# read here); a pass inside another one is
# indented two more spaces ("cld:     resolve: feed"): shown, not summed.
cld = collections.defaultdict(list)
cld_order = []
nested = set()
for r in runs_of(f"{work}/cld.txt"):
    for m in re.finditer(r"^cld:(\s+)(\S.*?)\s+([0-9.]+) ms\s+x", r, re.M):
        name = m.group(2)
        if len(m.group(1)) > 3:
            nested.add(name)
        if name not in cld_order:
            cld_order.append(name)
        cld[name].append(float(m.group(3)))
# wild: tree lines "│ ├───    8.47 Read symbols"; a group's total is the
# line at its end ("├─┴─", "└─").
wild = collections.defaultdict(list)
wild_order = []
for r in runs_of(f"{work}/wild.txt"):
    for line in r.splitlines():
        m = re.match(r"^([│├└┌─┴ ]+?)\s*([0-9.]+) (.+)$", line)
        if not m:
            continue
        name = m.group(3).strip()
        if name not in wild_order:
            wild_order.append(name)
        wild[name].append(float(m.group(2)))
med = lambda v: st.median(v) if v else 0.0
front = ["expand: map the inputs", "ingest: parse the inputs", "resolve", "exports",
         "layout: liveness", "layout: scan relocations; output sections"]
cld_write = [n for n in cld_order if n.startswith("write") and n not in nested]
cld_layout = [n for n in cld_order if n not in front and n not in cld_write and n not in nested]
groups = [
    ("front (inputs, symbols, resolution, GC, scan)", sum(med(cld[n]) for n in front),
     med(wild["Open input files"]) + med(wild["Find required sections"])),
    ("layout", sum(med(cld[n]) for n in cld_layout), med(wild["Layout"])),
    ("write", sum(med(cld[n]) for n in cld_write), med(wild["Write output file"])),
    ("shutdown", 0.0, med(wild["Shutdown"])),
]
print(f"# One link's passes: cld beside wild 0.10 ({workload})\n")
print(f"`bench/phases-vs-wild.sh`, {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, cld {commit}, {wild_version}.")
print(f"Both with `--no-fork` on the same ld command line, {runs} alternating runs each; medians (ms)")
print("of each linker's own timings (cld `--stats`, wild `--time`): these are each linker's")
print("view of its passes, not wall time measured from outside.\n")
print("| part | cld | wild | cld / wild |\n|---|---:|---:|---:|")
for name, c, w in groups:
    ratio = f"{c / w:.2f}" if w else ""
    print(f"| {name} | {c:.1f} | {w:.1f} | {ratio} |")
tc, tw = sum(g[1] for g in groups), sum(g[2] for g in groups)
print(f"| **sum** | **{tc:.1f}** | **{tw:.1f}** | **{tc / tw:.2f}** |")
print(f"\nwild's own total (`Link`): {med(wild['Link']):.1f} ms.\n")
print("## cld's passes\n\n| pass | median |\n|---|---:|")
for n in cld_order:
    shown = f"… {n} (inside the pass above)" if n in nested else n
    print(f"| {shown} | {med(cld[n]):.2f} |")
print("\n## wild's passes\n\n| pass | median |\n|---|---:|")
for n in wild_order:
    print(f"| {n} | {med(wild[n]):.2f} |")
EOF
cat "bench/results/phases-$WORKLOAD.md" | head -16
