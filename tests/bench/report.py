# SPDX-License-Identifier: GPL-2.0
"""The benchmark tables (markdown) and the goal checks, from bench.py's results."""

import statistics

TOOLS = ["idle", "busy", "rsample", "gdb", "lldb", "eu-stack"]
SNAP_TOOLS = ["rsample", "gdb", "lldb", "eu-stack"]
LABEL = {"idle": "no tool (noise floor)", "busy": "CPU-bound control (`%s`)"}
SYM_TOOLS = ["rsample", "eu-addr2line", "addr2line", "llvm-symbolizer"]


def mmm(vals, fmt):
    """"min / median / max" of the values that are not None."""
    v = [x for x in vals if x is not None]
    if not v:
        return "n/a"
    return " / ".join(fmt(x) for x in (min(v), statistics.median(v), max(v)))


def med(vals):
    v = [x for x in vals if x is not None]
    return statistics.median(v) if v else None


def ratio(a, b):
    """a / b: how many times rsample's figure b the peer's a is (> 1: rsample is better)."""
    if a is None or not b:
        return "n/a"
    r = a / b
    return "%.1f×" % r if r >= 0.95 else "%.2g×" % r


def mb(kb):
    return "%.0f" % (kb / 1024) if kb is not None else "n/a"


def ms(ns):
    return "%.1f" % (ns / 1e6)


def sec(s):
    return "%.3f" % s


def _cells(rows, section):
    seen = []
    for r in rows:
        if r.get("section") == section and r["cell"] not in seen:
            seen.append(r["cell"])
    return seen


def _by(rows, section, cell, tool):
    return [r for r in rows if r.get("section") == section and r.get("cell") == cell
            and r.get("tool") == tool]


def _label(cell):
    lang, n = cell.split("/")
    return lang, n


def stall_table(rows, section):
    busy_cmd = "timeout W sh -c 'while :; do :; done'"
    out = ["| victim | threads | tool | max heartbeat gap, ms: min / median / max | "
           "÷ floor (median) | ÷ rsample (median) | wake-ups >1 ms late (median) | "
           "EINTR in the victim (median) | other load, CPUs (median) | runs |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for cell in _cells(rows, section):
        lang, n = _label(cell)
        floor = med([r["gap_ns"] for r in _by(rows, section, cell, "idle")])
        rs = med([r["gap_ns"] for r in _by(rows, section, cell, "rsample")])
        for tool in TOOLS:
            rr = _by(rows, section, cell, tool)
            if not rr:
                continue
            g = med([r["gap_ns"] for r in rr])
            out.append("| %s | %s | %s | %s | %s | %s | %s | %g | %.2f | %d |" % (
                lang, n, LABEL.get(tool, tool).replace("%s", busy_cmd),
                mmm([r["gap_ns"] for r in rr], ms), ratio(g, floor),
                "" if tool in ("idle", "busy", "rsample") else ratio(g, rs),
                "%g" % med([r["late_1ms"] for r in rr]), med([r["eintr"] for r in rr]),
                max(0.0, med([r.get("foreign_cpus") for r in rr])), len(rr)))
    return "\n".join(out)


def latency_table(rows, section):
    out = ["| victim | threads | tool | latency, s: min / median / max | ÷ rsample (median) | "
           "CPU s (median) | peak RSS MB (median) | threads shown | runs |",
           "|---|---|---|---|---|---|---|---|---|"]
    for cell in _cells(rows, section):
        lang, n = _label(cell)
        rs = med([r["wall"] for r in _by(rows, section, cell, "rsample")])
        for tool in SNAP_TOOLS:
            rr = _by(rows, section, cell, tool)
            if not rr:
                continue
            shown = sorted(set("%d/%d" % (r["threads_shown"], r["threads"]) for r in rr))
            bad = sum(1 for r in rr if not r.get("ok"))
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %d%s |" % (
                lang, n, tool, mmm([r["wall"] for r in rr], sec),
                "" if tool == "rsample" else ratio(med([r["wall"] for r in rr]), rs),
                sec(med([r.get("cpu") for r in rr])) if med([r.get("cpu") for r in rr])
                is not None else "n/a", mb(med([r.get("maxrss_kb") for r in rr])),
                ", ".join(shown), len(rr), " (%d failed)" % bad if bad else ""))
    return "\n".join(out)


def spread_table(rows, section):
    out = ["| victim | threads | rsample: capture spread from its header, ms | "
           "eu-stack: first to last thread attach, ms | gdb: same | lldb: same |",
           "|---|---|---|---|---|---|"]
    for cell in _cells(rows, section):
        lang, n = _label(cell)
        cols = [mmm([r.get("spread_ns") for r in _by(rows, section, cell, "rsample")], ms)]
        for tool in ("eu-stack", "gdb", "lldb"):
            cols.append(mmm([r.get("attach_window_ns") for r in _by(rows, section, cell, tool)],
                            ms))
        out.append("| %s | %s | %s |" % (lang, n, " | ".join(cols)))
    return "\n".join(out)


def sym_line(res):
    if res.get("complete"):
        s = "cold %.3f s, warm %.3f s" % (res["cold"], res["warm"])
        if res.get("shared") is not None:
            s += ", shared-cache %.3f s" % res["shared"]
    elif res["tool"] == "rsample":
        s = "cold: %d of %d addresses in %.1f s (stopped), warm %.3f s for those" % (
            res["done"], res["addresses"], res["cold"], res["warm"])
    else:
        s = "stopped after %.0f s: ~%d addresses done (~%.0f/s)" % (
            res["capped_at"], res["done"], res["rate"])
    return s + (", rss %d MB" % (res["maxrss_kb"] // 1024) if res.get("maxrss_kb") else "")


def _cold_est(r):
    """Cold seconds for all addresses: measured, or extrapolated from the rate when stopped."""
    if r.get("complete"):
        return r["cold"], False
    if r["tool"] == "rsample":
        return (r["cold"] * r["addresses"] / r["done"] if r["done"] else None), True
    return (r["addresses"] / r["rate"] if r.get("rate") else None), True


def _warm_per_addr(r):
    if r.get("warm") is None or not r.get("done"):
        return None
    return r["warm"] / r["done"]


def sym_table(rows):
    sr = [r for r in rows if r.get("section") == "symbolize"]
    if not sr:
        return ""
    out = ["| tool | cold, s: min / median / max | cold ÷ rsample (median) | "
           "warm, s: min / median / max | warm ÷ rsample (median) | frames per address | "
           "peak RSS MB | runs |", "|---|---|---|---|---|---|---|---|"]
    rs = [r for r in sr if r["tool"] == "rsample"]
    rs_cold = med([_cold_est(r)[0] for r in rs])
    rs_warm = med([_warm_per_addr(r) for r in rs])
    for tool in SYM_TOOLS:
        rr = [r for r in sr if r["tool"] == tool]
        if not rr:
            continue
        est = any(_cold_est(r)[1] for r in rr)
        colds = [_cold_est(r)[0] for r in rr]
        n = rr[0]["addresses"]
        warms = [_warm_per_addr(r) * n if _warm_per_addr(r) is not None else None for r in rr]
        fpa = med([r["frames"] / r["done"] for r in rr if r.get("frames") and r.get("done")])
        out.append("| %s | %s%s | %s | %s | %s | %s | %s | %d |" % (
            tool, mmm(colds, sec), " (extrapolated: stopped at the cap)" if est else "",
            "" if tool == "rsample" else ratio(med(colds), rs_cold),
            mmm(warms, sec) + (" (extrapolated from the addresses done)"
                               if est and tool == "rsample" else ""),
            "" if tool == "rsample" else ratio(med([_warm_per_addr(r) for r in rr]), rs_warm),
            "%.2f" % fpa if fpa else "n/a", mb(med([r.get("maxrss_kb") for r in rr])), len(rr)))
    shared = med([r.get("shared") for r in rs if r.get("complete")])
    if shared is not None:
        out.append("\nrsample with the cache shared by a second process of the same binary "
                   "(a new rs_proc): %.3f s (median)." % shared)
    return "\n".join(out)


def goals(doc):
    rows = doc["rows"]
    out = []

    def cell_med(section, cell, tool, key):
        return med([r.get(key) for r in _by(rows, section, cell, tool)])

    cells = _cells(rows, "snapshot")
    for cell in cells:
        floor = cell_med("snapshot", cell, "idle", "gap_ns")
        busy = cell_med("snapshot", cell, "busy", "gap_ns")
        rs = cell_med("snapshot", cell, "rsample", "gap_ns")
        if floor is not None and rs is not None:
            ok = rs <= floor + 1e6
            out.append("- stall %s: rsample max gap %.1f ms vs floor %.1f ms (goal ≤ floor + 1 ms):"
                       " %s%s" % (cell, rs / 1e6, floor / 1e6,
                                  "met" if ok else "MISSED by %.1f ms" % ((rs - floor - 1e6) / 1e6),
                                  "; the CPU-bound control: %.1f ms" % (busy / 1e6)
                                  if busy is not None else ""))
    for cell in cells:
        n = int(cell.split("/")[1])
        rs = cell_med("snapshot", cell, "rsample", "wall")
        limit = 0.3 if n == 100 else 1.0 if n == 1000 else None
        slower = [t for t in ("gdb", "lldb", "eu-stack")
                  if cell_med("snapshot", cell, t, "wall") is not None
                  and cell_med("snapshot", cell, t, "wall") <= rs]
        gdb = cell_med("snapshot", cell, "gdb", "wall")
        s = "- latency %s: rsample %.3f s" % (cell, rs)
        if limit:
            s += " (goal ≤ %.1f s: %s)" % (limit, "met" if rs <= limit else
                                            "MISSED by %.3f s" % (rs - limit))
        if gdb is not None:
            s += "; vs gdb %.3f s: %s" % (gdb, "faster" if rs < gdb else "NOT faster")
        if slower:
            s += "; a peer was as fast or faster: %s" % ", ".join(slower)
        out.append(s)
    for cell in _cells(rows, "big"):
        rs = cell_med("big", cell, "rsample", "wall")
        rss = cell_med("big", cell, "rsample", "maxrss_kb") or 0
        out.append("- big binary: rsample %.3f s (goal < 1 s: %s), peak RSS %.0f MB (goal < 200 MB:"
                   " %s)" % (rs, "met" if rs < 1 else "MISSED by %.3f s" % (rs - 1), rss / 1024,
                             "met" if rss < 200 * 1024 else "MISSED"))
    for cell in cells:
        if cell.endswith("/1000"):
            sp = cell_med("snapshot", cell, "rsample", "spread_ns")
            if sp is not None:
                out.append("- consistency %s: rsample spread %.1f ms (goal ≤ 50 ms: %s)"
                           % (cell, sp / 1e6, "met" if sp <= 50e6 else "MISSED"))
    sr = [r for r in rows if r.get("section") == "symbolize"]
    if sr:
        rs = [r for r in sr if r["tool"] == "rsample"]
        rs_cold = med([_cold_est(r)[0] for r in rs])
        rs_warm = med([_warm_per_addr(r) for r in rs])
        for tool in SYM_TOOLS[1:]:
            rr = [r for r in sr if r["tool"] == tool]
            if not rr:
                continue
            c = med([_cold_est(r)[0] for r in rr])
            w = med([_warm_per_addr(r) for r in rr])
            s = "- symbolization vs %s: cold %s" % (
                tool, "faster (%s)" % ratio(c, rs_cold) if c and rs_cold and rs_cold < c
                else "NOT faster (%s)" % ratio(c, rs_cold))
            if w is not None and rs_warm:
                s += ", warm %s (goal ≥ 10×: %s)" % (ratio(w, rs_warm),
                                                    "met" if w / rs_warm >= 10 else "MISSED")
            else:
                s += ", warm n/a (the peer did not finish)"
            out.append(s)
    return "\n".join(out)


def markdown(doc):
    m = doc["machine"]
    parts = ["### Results (generated by `make bench`)", "",
             "Run %sMachine: %s, %d CPUs, %d MB RAM, Linux %s. Took %.0f s." % (
                 "%s. " % doc["date"] if doc.get("date") else "", m["cpu"], m["cpus"],
                 m["mem_mb"], m["kernel"], doc["elapsed_s"]),
             "Versions: " + "; ".join("%s: %s" % kv for kv in sorted(m["versions"].items())),
             "", "Commands (PID is the victim's):", ""]
    for tool, cmd in doc["commands"].items():
        parts.append("    %s" % cmd)
    if doc.get("ptrace_trace"):
        parts += ["", "Peers' attach times: `%s`" % doc["ptrace_trace"]]
    rows = doc["rows"]
    if _cells(rows, "snapshot"):
        parts += ["", "#### Stall imposed on the target", "", stall_table(rows, "snapshot"),
                  "", "#### Snapshot latency", "", latency_table(rows, "snapshot"),
                  "", "#### Consistency (capture spread)", "", spread_table(rows, "snapshot")]
    if _cells(rows, "big"):
        b = doc["big"]
        parts += ["", "#### Big binary", "",
                  "bigrs: %.1f MB (%.1f MB text)%s; %s" % (
                      b["size"] / 1e6, b["text"] / 1e6,
                      ", with %s (%.0f MB) dlopen'd" % (b["lib"], b["lib_size"] / 1e6)
                      if b["lib"] else "", " ".join(b["args"])), "",
                  "Latency and memory:", "", latency_table(rows, "big"), "",
                  "Stall imposed:", "", stall_table(rows, "big"), "",
                  "Capture spread:", "", spread_table(rows, "big")]
    if doc.get("sym"):
        s = doc["sym"]
        parts += ["", "#### Symbolization throughput", "",
                  "%d addresses (%d distinct) drawn from %d functions of %s; a run is stopped "
                  "after %.0f s (rsample: its cold pass; a peer: its two passes) and its "
                  "time for all addresses extrapolated from its rate." % (
                      s["addresses"], s["distinct"], s["functions"], s["binary"], s["cap"]),
                  "", sym_table(rows)]
    parts += ["", "#### Goals", "", goals(doc)]
    if doc["notes"]:
        parts += ["", "Problems seen:", ""] + ["- " + n for n in doc["notes"]]
    return "\n".join(parts) + "\n"
