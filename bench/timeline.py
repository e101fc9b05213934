#!/usr/bin/env python3
"""Render bench/timeline.sh's traces as one SVG timeline and a short table.

    timeline.py --work DIR --svg OUT.svg --md OUT.md [--meta KEY=VALUE ...]

DIR holds, for each build VARIANT in (concurrent, mold):
  VARIANT.t0      unix ns when make was started, and when it returned
  VARIANT.trace   bench/timeline-cc.sh lines: KIND START_NS END_NS PID STATUS OUTPUT
                  (KIND job: a compile recipe; cc: the compiler inside it;
                  link: make's link step)
and concurrent.log, the background linker's event log (--concurrent-log).
Python 3 standard library only; the SVG is written by hand.
"""

import argparse
import html
import sys

VARIANTS = ("concurrent", "mold")
TITLES = {
    "concurrent": "cld, concurrent: make -j{jobs} + background cld (make-helpers/concurrent-link.mk)",
    "mold": "mold: the same make -j{jobs}, a normal link after the last compile",
}

# Colours
C_CC = ("#4e79a7", "#7fa6cf")  # compiles, alternating per lane
C_JOB = "#c9d6e6"  # the recipe around the compiler (launcher, report)
C_INGEST = "#59a14f"
C_FIXED = "#9c755f"
C_WAIT = "#bab0ac"  # request wait -> link-start (idle, identity checks)
C_PHASE = {"resolve": "#f28e2b", "layout": "#edc948", "write": "#e15759"}
C_MOLD = "#b07aa1"
C_LINKSTEP = "#ffffff"
C_LAST = "#d37295"  # marker: last compile done
C_DONE = "#2f8f2f"  # marker: program written


class Fail(Exception):
    pass


def read_t0(path):
    a, b = open(path).read().split()
    return int(a), int(b)


def read_trace(path, t0):
    rows = []
    for n, line in enumerate(open(path), 1):
        f = line.split(maxsplit=5)
        if len(f) < 6:
            raise Fail(f"{path}:{n}: not a trace line: {line!r}")
        kind, s, e, pid, rc, out = f
        rows.append(
            dict(
                kind=kind,
                s=(int(s) - t0) / 1e6,
                e=(int(e) - t0) / 1e6,
                pid=int(pid),
                rc=int(rc),
                out=out.strip(),
            )
        )
    return rows


def read_log(path, t0):
    """The event log: (ms since build start, event, rest)."""
    ev = []
    for line in open(path):
        f = line.rstrip("\n").split(" ", 3)
        if len(f) < 3:
            continue
        try:
            wall = float(f[0])
        except ValueError:
            continue
        ms = wall * 1e3 - t0 / 1e6
        ev.append((ms, f[2], f[3] if len(f) > 3 else ""))
    return ev


def pack_lanes(jobs):
    """Greedy: each job (by start) into the first lane free at its start."""
    lanes = []
    for j in sorted(jobs, key=lambda j: (j["s"], j["e"])):
        for i, end in enumerate(lanes):
            if end <= j["s"] + 0.05:  # the wrapper's own clock reads: 50 us slack
                lanes[i] = j["e"]
                j["lane"] = i
                break
        else:
            j["lane"] = len(lanes)
            lanes.append(j["e"])
    return len(lanes)


def analyse(work, variant):
    t0, t1 = read_t0(f"{work}/{variant}.t0")
    tr = read_trace(f"{work}/{variant}.trace", t0)
    bad = [r for r in tr if r["rc"] != 0]
    if bad:
        raise Fail(f"{variant}: a traced command failed: {bad[0]}")
    jobs = [r for r in tr if r["kind"] == "job"]
    ccs = {r["out"]: r for r in tr if r["kind"] == "cc"}
    links = [r for r in tr if r["kind"] == "link"]
    if not jobs:
        raise Fail(f"{variant}: no compile job in {work}/{variant}.trace")
    if len(links) != 1:
        raise Fail(f"{variant}: {len(links)} link steps traced, expected 1")
    for j in jobs:
        j["cc"] = ccs.get(j["out"])
    d = dict(
        variant=variant,
        wall=(t1 - t0) / 1e6,
        jobs=jobs,
        lanes=pack_lanes(jobs),
        link=links[0],
        first_compile=min(j["s"] for j in jobs),
        last_compile=max(j["e"] for j in jobs),
        last_cc=max((j["cc"] or j)["e"] for j in jobs),
    )
    d["gcc_sum"] = sum((j["cc"] or j)["e"] - (j["cc"] or j)["s"] for j in jobs)
    d["job_sum"] = sum(j["e"] - j["s"] for j in jobs)
    d["written"] = d["link"]["e"]  # mold: the program is written when the link step returns
    if variant == "concurrent":
        d.update(analyse_log(f"{work}/concurrent.log", t0, d))
        d["written"] = d["link_done"]
    d["tail"] = d["written"] - d["last_compile"]
    d["tail_step"] = d["link"]["e"] - d["last_compile"]
    return d


def analyse_log(path, t0, d):
    ev = read_log(path, t0)
    if not ev:
        raise Fail(f"{path}: empty event log")
    out = dict(log_start=ev[0][0], ingests=[], fixed=None, phases={})
    starts = {}
    fixed_s = None
    for ms, e, rest in ev:
        if e == "ingest-start":
            name, sep, w = rest.rpartition(" worker=")
            if not sep or not w.isdigit():
                name, w = rest, "0"  # a log from before worker ids
            if name == "fixed inputs":
                fixed_s = ms
            else:
                starts[name] = (ms, int(w))
        elif e in ("ingest-done", "ingest-failed"):
            if rest == "fixed inputs":
                out["fixed"] = (fixed_s if fixed_s is not None else ms, ms)
            else:
                s, w = starts.pop(rest, (ms, 0))
                out["ingests"].append(dict(name=rest, s=s, e=ms, worker=w, ok=e == "ingest-done"))
        elif e == "request" and rest.startswith("wait"):
            out.setdefault("wait", ms)
        elif e == "link-start":
            out["link_start"] = ms
        elif e == "phase":
            p, _, edge = rest.partition("-")
            out["phases"].setdefault(p, {})[edge] = ms
        elif e == "link-done":
            out["link_done"] = ms
        elif e == "exit":
            out["exit"] = rest
    for k in ("wait", "link_start", "link_done"):
        if k not in out:
            raise Fail(f"{path}: no '{k.replace('_', '-')}' line: did the link finish?")
    if out.get("exit") not in (None, "0"):
        raise Fail(f"{path}: the background linker exited with {out['exit']}")
    out["workers"] = 1 + max((i["worker"] for i in out["ingests"]), default=0)
    names = {i["name"] for i in out["ingests"] if i["ok"]}
    out["ingested"] = len(names)
    out["ingested_early"] = len(
        {i["name"] for i in out["ingests"] if i["ok"] and i["e"] < d["last_compile"]}
    )
    return out


# --- SVG ---------------------------------------------------------------------


class Svg:
    def __init__(self, width):
        self.w = width
        self.parts = []

    def add(self, s):
        self.parts.append(s)

    def rect(self, x, y, w, h, fill, title=None, stroke=None, sw=0.5, opacity=None):
        a = f'<rect x="{x:.2f}" y="{y:.2f}" width="{max(w, 0):.2f}" height="{h:.2f}" fill="{fill}"'
        if stroke:
            a += f' stroke="{stroke}" stroke-width="{sw}"'
        if opacity is not None:
            a += f' fill-opacity="{opacity}"'
        if title:
            self.add(a + f"><title>{html.escape(title)}</title></rect>")
        else:
            self.add(a + "/>")

    def line(self, x1, y1, x2, y2, stroke, sw=1, dash=None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(
            f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" stroke="{stroke}" stroke-width="{sw}"{d}/>'
        )

    def text(self, x, y, s, size=12, anchor="start", fill="#222", weight=None):
        wt = f' font-weight="{weight}"' if weight else ""
        self.add(
            f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{wt}>{html.escape(s)}</text>'
        )

    def render(self, height):
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.w}" height="{height}" '
            f'viewBox="0 0 {self.w} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n'
            f'<rect width="{self.w}" height="{height}" fill="#ffffff"/>\n'
        )
        return head + "\n".join(self.parts) + "\n</svg>\n"


def nice_step(span, target=10):
    raw = span / target
    for m in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if m >= raw:
            return m
    return 100000


def fmt_ms(v):
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}"


class Axis:
    def __init__(self, x0, x1, lo, hi):
        self.x0, self.x1, self.lo, self.hi = x0, x1, lo, hi

    def x(self, t):
        t = min(max(t, self.lo), self.hi)
        return self.x0 + (t - self.lo) / (self.hi - self.lo) * (self.x1 - self.x0)

    def draw(self, svg, y_top, y_bot, label, unit_s=False):
        step = nice_step(self.hi - self.lo)
        t = (self.lo // step) * step
        while t <= self.hi + 1e-9:
            if t >= self.lo - 1e-9:
                x = self.x(t)
                svg.line(x, y_top, x, y_bot, "#e4e4e4", 1)
                s = f"{t / 1000:g} s" if unit_s else f"{t:g}"
                svg.text(x, y_bot + 14, s, 11, "middle", "#555")
            t += step
        svg.text((self.x0 + self.x1) / 2, y_bot + 30, label, 11, "middle", "#555")


LABEL_W = 150
RIGHT = 20


def marker(svg, ax, t, y0, y1, color, label, above=True, anchor="start"):
    x = ax.x(t)
    svg.line(x, y0, x, y1, color, 1.5, "4,3")
    if label:
        dx = 3 if anchor == "start" else -3
        svg.text(x + dx, y0 - 3 if above else y1 + 11, label, 10.5, anchor, color, "bold")


def draw_compiles(svg, ax, d, y, lane_h, clip=None):
    """One lane per make job slot; the compiler's box inside its recipe's."""
    count = [0] * d["lanes"]
    for j in sorted(d["jobs"], key=lambda j: j["s"]):
        ly = y + j["lane"] * lane_h
        c = C_CC[count[j["lane"]] % 2]
        count[j["lane"]] += 1
        if clip and (j["e"] < clip[0] or j["s"] > clip[1]):
            continue
        name = j["out"].rsplit("/", 1)[-1]
        x0, x1 = ax.x(j["s"]), ax.x(j["e"])
        svg.rect(x0, ly + 2, x1 - x0, lane_h - 4, C_JOB)
        cc = j["cc"] or j
        c0, c1 = ax.x(cc["s"]), ax.x(cc["e"])
        svg.rect(
            c0,
            ly + 2,
            max(c1 - c0, 0.8),
            lane_h - 4,
            c,
            f"{name}: recipe {fmt_ms(j['s'])}-{fmt_ms(j['e'])} ms, gcc {fmt_ms(cc['e'] - cc['s'])} ms",
        )


def lane_labels(svg, y, labels, lane_h, x=LABEL_W - 8):
    for i, s in enumerate(labels):
        svg.text(x, y + i * lane_h + lane_h / 2 + 4, s, 11, "end", "#333")


def draw_ingest(svg, ax, d, y, lane_h, clip=None):
    for i in d["ingests"]:
        if clip and (i["e"] < clip[0] or i["s"] > clip[1]):
            continue
        ly = y + i["worker"] * lane_h
        x0, x1 = ax.x(i["s"]), ax.x(i["e"])
        svg.rect(
            x0,
            ly + 2,
            max(x1 - x0, 1.2),
            lane_h - 4,
            C_INGEST if i["ok"] else "#ff0000",
            f"{i['name'].rsplit('/', 1)[-1]}: ingested {fmt_ms(i['s'])}-{fmt_ms(i['e'])} ms (worker {i['worker']})",
        )
    if d["fixed"]:
        s, e = d["fixed"]
        x0, x1 = ax.x(s), ax.x(e)
        svg.rect(x0, y + 2, max(x1 - x0, 1.2), lane_h - 4, C_FIXED, f"fixed inputs (crt, libc, -lm): {fmt_ms(s)}-{fmt_ms(e)} ms")


def draw_final(svg, ax, d, y, h):
    """make's link step (outline), the wait and the final phases inside it."""
    lk = d["link"]
    x0, x1 = ax.x(lk["s"]), ax.x(lk["e"])
    if d["variant"] == "mold":
        svg.rect(x0, y + 2, max(x1 - x0, 1.5), h - 4, C_MOLD, f"mold link step {fmt_ms(lk['s'])}-{fmt_ms(lk['e'])} ms ({fmt_ms(lk['e'] - lk['s'])} ms)")
        if x1 - x0 > 160:
            svg.text((x0 + x1) / 2, y + h / 2 + 4, "gcc driver, collect2, mold", 10.5, "middle", "#fff")
        return
    svg.rect(x0, y + 1, max(x1 - x0, 1.5), h - 2, C_LINKSTEP, f"make's link step (cld --concurrent-wait) {fmt_ms(lk['s'])}-{fmt_ms(lk['e'])} ms", "#555", 1)
    xw = ax.x(d["wait"])
    if xw - x0 > 110:
        svg.text((x0 + xw) / 2, y + h / 2 + 4, "cld-make link, cld starts", 10, "middle", "#555")
    segs = [("wait", d["wait"], d["link_start"], C_WAIT)]
    ph = d["phases"]
    for p in ("resolve", "layout", "write"):
        if "start" in ph.get(p, {}) and "done" in ph.get(p, {}):
            segs.append((p, ph[p]["start"], ph[p]["done"], C_PHASE[p]))
    for name, s, e, c in segs:
        a, b = ax.x(s), ax.x(e)
        svg.rect(a, y + 4, max(b - a, 0.8), h - 8, c, f"{name}: {fmt_ms(s)}-{fmt_ms(e)} ms ({fmt_ms(e - s)} ms)")


def legend(svg, x, y, items):
    for kind, color, label in items:
        if kind == "box":
            svg.rect(x, y - 9, 14, 10, color, stroke="#888" if color == C_LINKSTEP else None)
        else:
            svg.line(x + 7, y - 11, x + 7, y + 2, color, 1.5, "4,3")
        svg.text(x + 19, y, label, 11)
        x += 26 + 6.3 * len(label)
    return x


def render(c, m, meta, path):
    width = 1200
    svg = Svg(width)
    jobs = meta.get("jobs", "2")
    ax_x0, ax_x1 = LABEL_W, width - RIGHT
    lane_h, ing_h, link_h = 20, 11, 18
    y = 24
    svg.text(width / 2, y, f"Clean build of the big example ({len(c['jobs'])} objects, make -j{jobs}): link while compiling vs link after", 16, "middle", "#111", "bold")
    y += 20
    svg.text(
        width / 2,
        y,
        f"Tail, last compile done \u2192 program written: cld {fmt_ms(c['tail'])} ms, mold {fmt_ms(m['tail'])} ms.  "
        f"{c['ingested_early']} of {len(c['jobs'])} objects were ingested before the last compile finished.",
        13,
        "middle",
        "#111",
    )
    y += 17
    svg.text(width / 2, y, f"Build wall time: cld {c['wall'] / 1000:.2f} s, mold {m['wall'] / 1000:.2f} s "
        f"(gcc time summed: {c['gcc_sum'] / 1000:.0f} s, {m['gcc_sum'] / 1000:.0f} s).  {meta.get('note', '')}", 11.5, "middle", "#555")
    y += 18
    y = legend_block(svg, y)

    hi = max(c["wall"], m["wall"]) * 1.01
    ax = Axis(ax_x0, ax_x1, 0, hi)

    # Panels A and B: the two builds on one time scale.
    mark_a = len(svg.parts)
    panels = []
    for d in (c, m):
        y += 26
        svg.text(ax_x0, y, TITLES[d["variant"]].format(jobs=jobs), 12.5, "start", "#111", "bold")
        y += 22
        top = y
        labels = [f"make slot {i + 1}" for i in range(d["lanes"])]
        lane_labels(svg, y, labels, lane_h)
        draw_compiles(svg, ax, d, y, lane_h)
        y += d["lanes"] * lane_h + 4
        if d["variant"] == "concurrent":
            lane_labels(svg, y, [f"cld ingest, worker {w}" for w in range(d["workers"])], ing_h + 2)
            draw_ingest(svg, ax, d, y, ing_h + 2)
            x = ax.x(d["log_start"])
            svg.line(x, y, x, y + d["workers"] * (ing_h + 2), "#333", 1)
            y += d["workers"] * (ing_h + 2) + 4
        lane_labels(svg, y, ["link step"], link_h)
        draw_final(svg, ax, d, y, link_h)
        y += link_h
        panels.append((d, top, y))
    # The grid goes underneath the boxes drawn before it.
    under = Svg(width)
    ax.draw(under, panels[0][1] - 2, y + 4, "time since make started (both builds on the same scale)", unit_s=True)
    svg.parts[mark_a:mark_a] = under.parts
    for d, top, bot in panels:
        marker(svg, ax, d["last_compile"], top - 4, bot + 2, C_LAST, "last compile done", anchor="end")
        marker(svg, ax, d["written"], top - 4, bot + 2, C_DONE, "", anchor="start")
    y += 62

    # Panel C: the tail, zoomed, t = 0 at each build's last compile done.
    tail_hi = max(c["tail_step"], m["tail_step"], c["tail"], m["tail"])
    lo = -max(0.6 * tail_hi, 50)
    zx = Axis(ax_x0, ax_x1, lo, tail_hi * 1.12 + 5)
    svg.text(ax_x0, y, "The tail, zoomed: time since each build's last compile finished", 12.5, "start", "#111", "bold")
    y += 22
    ztop = y
    zpanels = []
    mark_c = len(svg.parts)
    for d in (c, m):
        sh = dict(d)
        off = d["last_compile"]
        shift = lambda r: dict(r, s=r["s"] - off, e=r["e"] - off)
        sh["jobs"] = [dict(shift(j), cc=shift(j["cc"]) if j["cc"] else None) for j in d["jobs"]]
        sh["link"] = shift(d["link"])
        name = "cld" if d["variant"] == "concurrent" else "mold"
        top = y
        lane_labels(svg, y, [f"{name}: make slot {i + 1}" for i in range(d["lanes"])], lane_h)
        draw_compiles(svg, zx, sh, y, lane_h, clip=(lo, zx.hi))
        y += d["lanes"] * lane_h + 2
        if d["variant"] == "concurrent":
            sh["ingests"] = [shift(i) | {"worker": i["worker"], "ok": i["ok"], "name": i["name"]} for i in d["ingests"]]
            sh["fixed"] = None
            lane_labels(svg, y, [f"cld: ingest, worker {w}" for w in range(d["workers"])], ing_h + 2)
            draw_ingest(svg, zx, sh, y, ing_h + 2, clip=(lo, zx.hi))
            y += d["workers"] * (ing_h + 2) + 2
            for k in ("wait", "link_start", "link_done"):
                sh[k] = d[k] - off
            sh["phases"] = {p: {e: t - off for e, t in v.items()} for p, v in d["phases"].items()}
        lane_labels(svg, y, [f"{name}: link step"], link_h)
        draw_final(svg, zx, sh, y, link_h)
        y += link_h
        lk = sh["link"]
        if d["variant"] == "concurrent":
            note = (
                f"make starts the link step +{fmt_ms(lk['s'])} ms; cld-make link and cld --concurrent-wait "
                f"reach the background linker (request wait) +{fmt_ms(sh['wait'])}; program written "
                f"+{fmt_ms(sh['link_done'])}; the step returns +{fmt_ms(lk['e'])}"
            )
        else:
            note = (
                f"make starts the link step +{fmt_ms(lk['s'])} ms; gcc and mold write the program, "
                f"the step returns +{fmt_ms(lk['e'])}"
            )
        svg.text(ax_x0 + 2, y + 11, note, 10.5, "start", "#444")
        y += 14
        zpanels.append((d, top, y, off))
        y += 16
    y -= 16
    under = Svg(width)
    zx.draw(under, ztop - 2, y + 4, "ms since the build's last compile finished (the link boxes' own scale)")
    svg.parts[mark_c:mark_c] = under.parts
    for d, top, bot, off in zpanels:
        marker(svg, zx, 0, top - 4, bot - 14, C_LAST, "last compile done" if d is c else "", anchor="end")
        name = "cld" if d is c else "mold"
        xw = zx.x(d["written"] - off)
        marker(
            svg,
            zx,
            d["written"] - off,
            top - 4,
            bot - 14,
            C_DONE,
            f"{name}: program written, +{fmt_ms(d['tail'])} ms",
            anchor="end" if xw > ax_x1 - 200 else "start",
        )
    y += 44
    for line in meta.get("footer", "").split("|"):
        if line:
            svg.text(ax_x0, y, line, 10.5, "start", "#666")
            y += 14
    open(path, "w").write(svg.render(int(y + 8)))


def legend_block(svg, y):
    y += 6
    x = LABEL_W
    x = legend(
        svg,
        x,
        y,
        [
            ("box", C_CC[0], "gcc (one box per object; two shades)"),
            ("box", C_JOB, "rest of the recipe (launcher, FIFO report)"),
            ("box", C_INGEST, "cld ingests an object"),
            ("box", C_FIXED, "cld ingests crt/libc/-lm"),
        ],
    )
    y += 18
    x = LABEL_W
    legend(
        svg,
        x,
        y,
        [
            ("box", C_LINKSTEP, "make's link step"),
            ("box", C_WAIT, "wait: idle, identity checks"),
            ("box", C_PHASE["resolve"], "resolve"),
            ("box", C_PHASE["layout"], "layout"),
            ("box", C_PHASE["write"], "write"),
            ("box", C_MOLD, "mold link (gcc driver + mold)"),
            ("line", C_LAST, "last compile done"),
            ("line", C_DONE, "program written"),
        ],
    )
    return y


# --- Markdown --------------------------------------------------------------


def markdown(c, m, meta, path):
    def phase(p):
        v = c["phases"].get(p, {})
        return f"{v['done'] - v['start']:.1f}" if "start" in v and "done" in v else "n/a"

    n = len(c["jobs"])
    rows = [
        ("build wall time (make start → make returns)", f"{c['wall']:.0f}", f"{m['wall']:.0f}"),
        ("first compile started", f"{c['first_compile']:.0f}", f"{m['first_compile']:.0f}"),
        ("last compile done (its recipe returned)", f"{c['last_compile']:.0f}", f"{m['last_compile']:.0f}"),
        ("make starts the link step", f"{c['link']['s']:.0f}", f"{m['link']['s']:.0f}"),
        ("program written", f"{c['written']:.0f}", f"{m['written']:.0f}"),
        ("make's link step returns", f"{c['link']['e']:.0f}", f"{m['link']['e']:.0f}"),
        ("**tail: last compile done → program written**", f"**{c['tail']:.1f}**", f"**{m['tail']:.1f}**"),
        ("tail: last compile done → link step returns", f"{c['tail_step']:.1f}", f"{m['tail_step']:.1f}"),
        ("link step (make's recipe)", f"{c['link']['e'] - c['link']['s']:.1f}", f"{m['link']['e'] - m['link']['s']:.1f}"),
        ("compiler time, summed over the objects", f"{c['gcc_sum']:.0f}", f"{m['gcc_sum']:.0f}"),
        ("compile recipes' time around the compiler, summed (launcher, report, tracing)", f"{c['job_sum'] - c['gcc_sum']:.0f}", f"{m['job_sum'] - m['gcc_sum']:.0f}"),
        ("link step start → `request wait` (make-helpers/cld-make link, cld --concurrent-wait)", f"{c['wait'] - c['link']['s']:.1f}", "—"),
        ("`request wait` → `link-done` (cld's log)", f"{c['link_done'] - c['wait']:.1f}", "—"),
        ("of which waiting for ingestion + identity checks", f"{c['link_start'] - c['wait']:.1f}", "—"),
        ("of which resolve / layout / write", f"{phase('resolve')} / {phase('layout')} / {phase('write')}", "—"),
    ]
    out = [
        "# Timeline of a clean build: linking while compiling",
        "",
        f"`bench/timeline.sh`, {meta.get('date', '')}, cld {meta.get('commit', '')}, on {meta.get('cpu', '')}.",
        f"{meta.get('versions', '')}",
        f"Load average before / after: {meta.get('load_before', '?')} / {meta.get('load_after', '?')}. "
        + meta.get("note", ""),
        "",
        "![timeline](timeline.svg)",
        "",
        f"Program: examples/make-project/big.mk, {n} objects ({meta.get('modules', '?')} generated modules "
        f"x {meta.get('funcs', '?')} functions plus main, -O2 -g), `make -j{meta.get('jobs', '?')}`, one clean build each "
        "(objects and program removed, sources kept), cld first. cld = make-helpers/concurrent-link.mk "
        "(background cld fed through the FIFO); mold = the same Makefile with `CONCURRENT_LINK_DISABLE=1 "
        "LDFLAGS=-fuse-ld=mold`. Compile and link steps are timed by `bench/timeline-cc.sh` around make's "
        "recipes (µs clock); cld's events come from its event log (`--concurrent-log`). Times in ms since make "
        "started; \"program written\" is cld's `link-done` (output renamed into place) and the end of mold's link step.",
        "",
        "| ms | cld concurrent | mold |",
        "|---|---:|---:|",
    ]
    out += [f"| {a} | {b} | {cc} |" for a, b, cc in rows]
    out += [
        "",
        f"Objects compiled: {n} (cld) / {len(m['jobs'])} (mold). Objects cld ingested: {c['ingested']}, "
        f"**{c['ingested_early']} of them before the last compile finished**; ingestion ran on "
        f"{c['workers']} pool worker(s) (the `worker=` of `ingest-start`).",
        "",
        "The two builds run one after the other, once each: on a loaded machine their wall times differ "
        "mostly by how fast gcc ran (compare the compiler time summed); the tails are the linkers' part.",
        "",
    ]
    open(path, "w").write("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--svg", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--meta", action="append", default=[])
    a = ap.parse_args()
    meta = dict(kv.split("=", 1) for kv in a.meta)
    try:
        c = analyse(a.work, "concurrent")
        m = analyse(a.work, "mold")
        built = len({j["out"] for j in c["jobs"]})
        if c["ingested"] < built:
            raise Fail(
                f"the background linker's log shows {c['ingested']} objects ingested, "
                f"but {built} were compiled: the timeline would be wrong"
            )
    except Fail as e:
        print(f"timeline.py: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    render(c, m, meta, a.svg)
    markdown(c, m, meta, a.md)
    print(
        f"clean build: cld {c['wall']:.0f} ms, mold {m['wall']:.0f} ms; tail (last compile done -> program "
        f"written): cld {c['tail']:.1f} ms, mold {m['tail']:.1f} ms; {c['ingested_early']}/{len(c['jobs'])} "
        "ingested before the last compile finished"
    )


if __name__ == "__main__":
    main()
