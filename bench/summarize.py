#!/usr/bin/env python3
"""Summarize the benchmark results into bench/results/SUMMARY.md and summary.json.

    bench/summarize.py [RESULTS_DIR]

Reads (whatever of them exists) link-bench.json (bench/link-bench.sh),
ripgrep-link.json (bench/ripgrep-link.sh) and concurrent-tail.json
(bench/concurrent-tail.sh) and writes one table: workload x linker ->
median wall ms and peak RSS, plus the concurrent link's tail latency row.
Used by bench/run-all.sh. Standard library only.
"""

import json
import os
import sys

LINKERS = ["ld.bfd", "ld.gold", "ld.lld", "rust-lld", "mold", "mold-2.42", "wild", "cld", "cld*"]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def fmt_ms(v):
    return "-" if v is None else ("%.1f" % v if v < 100 else "%.0f" % v)


def fmt_rss(kib):
    return "-" if kib is None else "%.1f MiB" % (kib / 1024)


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    lb = load(os.path.join(results, "link-bench.json"))
    rg = load(os.path.join(results, "ripgrep-link.json"))
    ct = load(os.path.join(results, "concurrent-tail.json"))

    rows = []  # {"workload", "description", "source", "linkers": {name: {...}}}
    if lb:
        for case in lb["cases"]:
            rows.append({
                "workload": case["name"], "description": case["description"], "source": "link-bench",
                "linkers": {l["linker"]: {"status": l["status"], "median_ms": l["median_ms"],
                                          "cpu_median_ms": l.get("cpu_median_ms"),
                                          "peak_rss_kib": l["peak_rss_kib"]} for l in case["linkers"]},
            })
    if rg:
        rows.append({
            "workload": "ripgrep", "description": rg["case"], "source": "ripgrep-link",
            "linkers": {l["linker"]: {"status": l["status"], "median_ms": l["median_ms"],
                                      "cpu_median_ms": None,
                                      "peak_rss_kib": l["median_peak_rss_kib"]} for l in rg["linkers"]},
        })
    present = [n for n in LINKERS if any(n in r["linkers"] for r in rows)]
    tail = None
    if ct:
        by = {r["what"]: r for r in ct["rows"]}
        tail = {
            "objects": ct["objects"], "runs": ct["runs"],
            "mold_full_link_ms": by.get("mold via gcc", {}).get("median_ms"),
            "cld_full_link_ms": by.get("cld serial via gcc", {}).get("median_ms"),
            "cld_tail_paced_ms": by.get("cld tail, paced", {}).get("median_ms"),
            "cld_tail_burst_ms": by.get("cld tail, burst", {}).get("median_ms"),
        }

    out = ["# Benchmark summary", ""]
    src = []
    if lb:
        src.append("link-bench %s (%s runs, load %s)" % (lb["date"], lb["runs"], lb["loadavg"]))
    if rg:
        src.append("ripgrep-link %s (%s runs, load %s)" % (rg["date"], rg["runs"], rg["loadavg"]))
    if ct:
        src.append("concurrent-tail %s (%s runs)" % (ct["date"], ct["runs"]))
    cpu = (lb or rg or {}).get("cpu", "?")
    ncpu = (lb or rg or ct or {}).get("cpus", "?")
    out.append("`bench/run-all.sh` on %s, %s CPUs; %s." % (cpu, ncpu, "; ".join(src) or "no results"))
    out.append("Each cell: median wall ms of the link (through the gcc driver) / peak RSS of the largest")
    out.append("process (link-bench: the largest over the runs; ripgrep: the median). FAILED, WRONG OUTPUT:")
    out.append("see the per-benchmark files. Details, CPU time and ratios:")
    out.append("link-bench.md, ripgrep-link.md, concurrent-tail.md.")
    out.append("")
    out.append("| workload | " + " | ".join(present) + " |")
    out.append("|---|" + "---:|" * len(present))
    for r in rows:
        cells = []
        for n in present:
            l = r["linkers"].get(n)
            if l is None:
                cells.append("")
            elif l["status"] in ("ok", "WRONG OUTPUT") and l["median_ms"] is not None:
                c = "%s / %s" % (fmt_ms(l["median_ms"]), fmt_rss(l["peak_rss_kib"]))
                cells.append(c if l["status"] == "ok" else c + " WRONG OUTPUT")
            else:
                cells.append(l["status"])
        out.append("| %s | %s |" % (r["workload"], " | ".join(cells)))
    if tail:
        cells = []
        for n in present:
            if n == "mold":
                cells.append("%s (full link)" % fmt_ms(tail["mold_full_link_ms"]))
            elif n in ("cld", "cld*"):
                cells.append("%s paced, %s burst (full: %s)" % (
                    fmt_ms(tail["cld_tail_paced_ms"]), fmt_ms(tail["cld_tail_burst_ms"]),
                    fmt_ms(tail["cld_full_link_ms"])))
            else:
                cells.append("")
        out.append("| concurrent tail, %s objects | %s |" % (tail["objects"], " | ".join(cells)))
        out.append("")
        out.append("Concurrent tail: time from the last object reported to `cld --concurrent-wait`")
        out.append("returning (median ms), next to mold's and cld's full link of the same program.")
    out.append("")
    out.append("Workloads:")
    for r in rows:
        out.append("- %s: %s" % (r["workload"], r["description"]))
    with open(os.path.join(results, "SUMMARY.md"), "w") as f:
        f.write("\n".join(out) + "\n")
    with open(os.path.join(results, "summary.json"), "w") as f:
        json.dump({"cpu": cpu, "cpus": ncpu, "sources": src, "linkers": present,
                   "workloads": rows, "concurrent_tail": tail}, f, indent=2)
        f.write("\n")
    print("summarize: wrote %s and %s" % (os.path.join(results, "SUMMARY.md"), os.path.join(results, "summary.json")))


if __name__ == "__main__":
    main()
