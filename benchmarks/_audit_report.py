"""The RESULTS.md section of bench_audit.py: one row per size and run, then the targets."""

from __future__ import annotations

PREFIX = "audit"

#: table column -> stage names summed into it (names as RunRecord / run.json give them)
ANALYSIS = {
    "read": ("read boundaries", "read facilities", "read population"),
    "network": ("build walking network",),
    "snap": ("snap",),
    "route": ("route",),
    "indicators": ("indicators",),
}
PRESENTATION = {
    "service areas": ("service areas",),
    # tables and maps in one stage since the tables' lane runs beside the maps
    "tables + maps + report": ("write outputs", "write tables", "write maps", "maps", "report"),
}
SIZE_ORDER = ("district", "mid", "city", "wuhan")
RUN_ORDER = ("cold", "cold-osm", "warm")


def _group(stages: dict[str, float], names: tuple[str, ...]) -> float:
    return sum(v for k, v in stages.items() if k in names)


def _known() -> set[str]:
    return {n for group in (ANALYSIS, PRESENTATION) for names in group.values() for n in names}


def split(stages: dict[str, float]) -> tuple[float, float]:
    """Seconds of the analysis and the presentation stages (unknown names: presentation
    when they write, draw or report, else analysis)."""
    analysis = sum(_group(stages, n) for n in ANALYSIS.values())
    presentation = sum(_group(stages, n) for n in PRESENTATION.values())
    for name, seconds in stages.items():
        if name in _known():
            continue
        if any(w in name for w in ("write", "map", "report", "service", "chart", "table")):
            presentation += seconds
        else:
            analysis += seconds
    return round(analysis, 2), round(presentation, 2)


def _cell(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _status(row: dict) -> str:
    if row["status"] == "done":
        return "done"
    where = f" in {row['stopped_in']}" if row.get("stopped_in") else ""
    cap = f" ({row['max_rss_gib']:g} GiB)" if row.get("max_rss_gib") else ""
    why = {
        "timeout": f"stopped at {row['timeout_s']:.0f} s",
        "memory": f"stopped over memory cap{cap}",
    }
    text = why.get(row["status"], f"exit {row.get('exit_code')}")
    if row.get("interrupt_s") is not None:
        text += f", Ctrl-C answered in {row['interrupt_s']:.1f} s"
    return text + where


def _total(r: dict, groups: dict[str, tuple[str, ...]]) -> str:
    """Seconds of a group of stages; ``≥`` when the run was stopped in one of them."""
    key = "analysis_s" if groups is ANALYSIS else "presentation_s"
    late = sum(_group(r.get("stages_unfinished", {}), n) for n in groups.values())
    return f"≥{r[key] + late:,.0f}" if late else _cell(r[key])


def _row(r: dict) -> str:
    st = r["stages"]
    unfinished = r.get("stages_unfinished", {})
    groups = []
    for names in (*ANALYSIS.values(), *PRESENTATION.values()):
        value = _group(st, names)
        late = _group(unfinished, names)
        text = _cell(value) if value or any(n in st for n in names) else "—"
        groups.append(f"≥{late:,.0f}" if late else text)
    c, o = r.get("counts", {}), r.get("outputs", {})
    gpkg = sum(v for k, v in o.items() if k.endswith("_gpkg_mib"))
    return (
        f"| {r['size']} | {r['run']} | {c.get('network_nodes', r.get('osm_nodes', 0)):,} | "
        f"{c.get('cells', r.get('populated_cells', 0)):,} | {r.get('facilities', 0):,} | "
        + " | ".join(groups)
        + f" | {_total(r, ANALYSIS)} | {_total(r, PRESENTATION)} | "
        f"**{_cell(r['wall_s'])}** | {_cell(r.get('cpu_s'))} | {_cell(r.get('load_1min'), 1)} | "
        f"{r['peak_rss_mib'] / 1024:,.2f} | "
        f"{_cell(o.get('largest_street_map_mib'), 2)} | {_cell(o.get('overview_mib'), 2)} | "
        f"{_cell(gpkg if o else None, 1)} | {_status(r)} |"
    )


def _targets(rows: list[dict]) -> list[str]:
    """Lines checking the issue-13 targets against the rows."""
    by = {(r["size"], r["run"]): r for r in rows}

    def check(key: tuple[str, str], ok, text: str) -> str | None:
        r = by.get(key)
        if r is None:
            return None
        met = r["status"] == "done" and ok(r)
        gib = r["peak_rss_mib"] / 1024
        load = r.get("load_1min") or 0.0
        busy = (
            f" (load {load:.0f} on 2 cores: the wall time says nothing about the target; "
            f"CPU {_cell(r.get('cpu_s'))} s)"
            if load > 3 and "memory" not in text
            else ""
        )
        return f"- {'✓' if met else '✗'} {text}: {_cell(r['wall_s'])} s, {gib:.2f} GiB{busy}"

    lines = [
        check(("city", "warm"), lambda r: r["wall_s"] < 60, "city warm cache < 60 s"),
        check(("city", "cold"), lambda r: r["wall_s"] < 120, "city cold cache (PBF) < 120 s"),
        check(
            ("city", "warm"), lambda r: r["peak_rss_mib"] < 4096, "city peak memory < 4 GiB (warm)"
        ),
        check(("district", "warm"), lambda r: r["wall_s"] < 10, "district whole audit < 10 s"),
    ]
    for r in rows:
        if r["status"] == "done":
            ok = r["presentation_s"] <= r["analysis_s"]
            lines.append(
                f"- {'✓' if ok else '✗'} {r['size']} {r['run']}: presentation "
                f"{r['presentation_s']:,.1f} s ≤ analysis {r['analysis_s']:,.1f} s"
            )
    return [line for line in lines if line]


def ctrl_c_table(rows: list[dict]) -> list[str]:
    """Lines of the Ctrl-C table: one interrupted audit per stage, and the 2-second target."""
    if not rows:
        return []
    lines = [
        "",
        "Ctrl-C (`--runs ctrl-c`): one warm audit per stage, sent SIGINT (as Ctrl-C) a set time "
        "into the stage; *answered* = seconds from the signal until the command had exited; "
        "*message* = its one line `已中断 interrupted during STAGE` was printed; *stage printed "
        "as finished* = a stage-end line came after the signal (it must not).",
        "",
        "| size | stage | signal after s in stage | answered s | exit code | message | "
        "stage printed as finished | load | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        answered = r.get("interrupt_s")
        ok = (
            r["status"] == "interrupted"
            and answered is not None
            and answered <= 2.0
            and r.get("exit_code") == 130
            and bool(r.get("said_interrupted"))
            and not r.get("finished_after_signal")
        )
        stopped = r.get("stopped_in") or "—"
        if r["status"] != "interrupted":
            stopped = f"{r['stage']} (not reached: {r['status']})"
        lines.append(
            f"| {r['size']} | {stopped} | {_cell(r.get('signalled_after_s'), 2)} | "
            f"{_cell(answered, 2)} | {r.get('exit_code')} | "
            f"{'yes' if r.get('said_interrupted') else 'no'} | "
            f"{', '.join(r.get('finished_after_signal') or []) or 'no'} | "
            f"{_cell(r.get('load_1min'), 1)} | "
            + ("— (stage shorter)" if r["status"] == "done" else f"{'✓' if ok else '✗'} ≤ 2 s")
            + " |"
        )
    return lines


def writer_lines(rows: list[dict]) -> list[str]:
    """Lines giving each warm run's seconds per output writer (run.json ``writers_seconds``)."""
    lines = []
    for r in rows:
        if r.get("run") == "warm" and r.get("writers"):
            parts = ", ".join(f"{k} {v:.1f}" for k, v in r["writers"].items())
            lines.append(f"- {r['size']} warm: {parts}")
    if not lines:
        return []
    return ["", "Seconds per output writer (warm runs; run.json `writers_seconds`):", "", *lines]


def table(rows: list[dict]) -> str:
    """The markdown section (between ``<!-- audit -->`` markers) for RESULTS.md."""
    interrupts = [r for r in rows if r.get("run") == "ctrl-c"]
    rows = [r for r in rows if r.get("run") != "ctrl-c"]
    rows = sorted(
        rows,
        key=lambda r: (
            SIZE_ORDER.index(r["size"]) if r["size"] in SIZE_ORDER else 9,
            RUN_ORDER.index(r["run"]) if r["run"] in RUN_ORDER else 9,
        ),
    )
    heads = [*ANALYSIS, *PRESENTATION]
    head = (
        "| size | run | nodes | cells | facilities | "
        + " | ".join(heads)
        + " | analysis s | presentation s | **wall s** | CPU s | load | peak GiB "
        "| largest street map MB "
        "| overview MB | GPKGs MB | status |"
    )
    rule = "|" + "---|" * (head.count("|") - 1)
    meta = rows[-1] if rows else {}
    commits = ", ".join(sorted({r.get("commit", "?") for r in rows}))
    when = sorted(r.get("date", "?") for r in rows)
    dates = f"{when[0]} – {when[-1]}" if when else "?"
    lines = [
        f"<!-- {PREFIX} -->",
        "## Whole audit (`benchmarks/bench_audit.py`)",
        "",
        "`carecircle audit STUDY --out OUT --offline` in its own process on generated cities "
        "(`benchmarks/_city.py`: warped street grid with shape nodes, named ways of several "
        "highway classes, a river with few bridges, 3″ population cells, one facility per "
        "25 ha) and on the real central-Wuhan road network (converted to OSM, generated "
        "people). Runs: **cold** = network cache emptied, `.osm.pbf`; **cold-osm** = same "
        "with `.osm` XML; **warm** = network `.npz` cache present. Stage seconds from run.json "
        "(from the log for a stopped run; ≥ marks the stage it was stopped in). Peak = "
        "proportional resident memory (PSS: pages a forked worker shares with the audit "
        "process count once) of the process tree, sampled every 0.2 s, or the audit "
        "process's own maxrss, the larger (rows before 2026-12-02 04:30 summed RSS, which "
        "counted shared pages once per worker). "
        "CPU s = user + system seconds of the audit and its worker processes (what the run "
        "costs on idle cores; wall seconds grow with other jobs on this shared machine); load "
        "= 1-minute load average when the run ended (2 cores). "
        f"Machine: {meta.get('machine', '?')}; code {commits}; measured {dates}. "
        "Re-run: `python benchmarks/bench_audit.py "
        "[--sizes district,mid,city,wuhan] [--runs cold,cold-osm,warm]`; "
        "`--report` rewrites this section from results.json.",
        "",
        head,
        rule,
        *(_row(r) for r in rows),
        "",
        "Targets (issue 13):",
        "",
        *_targets(rows),
        *writer_lines(rows),
        *ctrl_c_table(interrupts),
        f"<!-- /{PREFIX} -->",
    ]
    return "\n".join(lines)
