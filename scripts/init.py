"""``carecircle init FOLDER``: write a commented study.toml from a folder of a planner's files."""

from __future__ import annotations

from pathlib import Path

from carecircle.analysis.study_guess import StudyGuess, guess_datums, guess_roles
from carecircle.errors import InputFileError
from carecircle.geo.inspect import FileFacts
from carecircle.text import counted

REPORT = "init_report.txt"
_NEEDED = ("code", "name", "kind")


def _toml_str(text: str) -> str:
    """Return ``text`` as a TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _entry(key: str, facts: FileFacts | None, comment: str) -> list[str]:
    """One ``key = "file"`` line with its comment (commented out when no file was found)."""
    if facts is None:
        return [f"# {key} = ???  # 未找到 not found: {comment}"]
    return [f"# {comment}", f"{key} = {_toml_str(facts.path.name)}"]


def _facts_text(facts: FileFacts) -> str:
    """Return what was read from a file, in a few words."""
    parts = []
    if facts.features:
        parts.append(counted(facts.features, facts.geometry or "row"))
    if facts.total:
        parts.append(f"total {facts.total:,.0f}")
    if facts.crs:
        parts.append(facts.crs)
    if facts.encoding:
        parts.append(f"encoding {facts.encoding}")
    return ", ".join(parts) or facts.kind


def study_text(guess: StudyGuess) -> str:
    """Return the commented study.toml for the guessed roles.

    Parameters
    ----------
    guess : StudyGuess
        Roles and datums guessed for the folder.

    Returns
    -------
    str
        TOML text; roles not found are commented out with ``???``.
    """
    lines = [
        "# 由 carecircle init 生成：请核对每一行 · written by `carecircle init`: check every line",
        f"# (see {REPORT}), then run `carecircle check study.toml`.",
        "[study]",
        f"name = {_toml_str(guess.folder.resolve().name)}",
        "",
        "[inputs]",
    ]
    net = guess.network
    lines += _entry("network", net, "步行路网 walking network (OSM, GraphML or a line layer)")
    fac = guess.facilities
    if fac:
        lines.append("# 设施表 facility tables; datum from how they sit on the network:")
        lines += [f"#   {f.facts.path.name}: {f.crs} ({f.why})" for f in fac]
        lines.append(f"facilities = [{', '.join(_toml_str(f.facts.path.name) for f in fac)}]")
        lines.append(f"facilities_crs = [{', '.join(_toml_str(f.crs) for f in fac)}]")
    else:
        lines.append("# facilities = ???  # 未找到 not found: a CSV/XLSX with lon/lat columns")
    for key, facts, what in (
        ("residents", guess.residents, "常住人口栅格 residents raster"),
        ("older_residents", guess.older, "老年人口栅格 older-residents raster (60+)"),
        ("streets", guess.streets, "街道边界 street polygons"),
        ("communities", guess.communities, "社区边界 community polygons"),
    ):
        detail = f"{what}: {_facts_text(facts)}" if facts else what
        lines += _entry(key, facts, detail)
    lines += [
        "",
        "# 与示范区相同的默认值 the defaults (as the demo's study); change them as needed",
        "[circle]",
        "minutes = 15",
        "walk_speed_m_s = 1.0",
        "max_snap_m = 500",
        "",
        "[standards]",
        'profile = "generic"',
    ]
    return "\n".join(lines) + "\n"


def _boundary_notes(guess: StudyGuess) -> list[str]:
    """Columns the boundary readers need that the layers lack or name otherwise."""
    notes = []
    for role, facts, need in (
        ("streets", guess.streets, _NEEDED),
        ("communities", guess.communities, (*_NEEDED, "street")),
    ):
        if facts is None:
            continue
        lacking = [c for c in need if c not in facts.columns]
        if lacking:
            notes.append(f"{role} {facts.path.name}: no column {', '.join(lacking)} (rename)")
    if guess.street_column and guess.street_column != "street":
        notes.append(
            f"communities: column {guess.street_column} holds the street codes; rename it street"
        )
    return notes


def report_text(guess: StudyGuess) -> str:
    """Return the report of what was guessed, what is missing and what is uncertain.

    Parameters
    ----------
    guess : StudyGuess
        Roles and datums guessed for the folder.

    Returns
    -------
    str
        Text for the terminal and ``init_report.txt``.
    """
    lines = [f"carecircle init: {guess.folder}"]
    for role in ("network", "residents", "older", "streets", "communities"):
        facts = getattr(guess, role)
        if facts is not None:
            lines.append(f"  {role}: {facts.path.name} ({_facts_text(facts)})")
    for f in guess.facilities:
        mapped = f"; columns {', '.join(f.mapped)}" if f.mapped else ""
        lines.append(
            f"  facilities: {f.facts.path.name} ({_facts_text(f.facts)}); {f.crs}: {f.why}{mapped}"
        )
    for facts in guess.unused:
        why = f": {facts.problem}" if facts.problem else ""
        lines.append(f"  not used 未使用: {facts.path.name}{why}")
    missing = guess.missing()
    lines.append(f"missing 缺少: {', '.join(missing)}" if missing else "missing 缺少: nothing")
    uncertain = guess.uncertain + _boundary_notes(guess)
    lines += [f"uncertain 待核对: {u}" for u in uncertain]
    return "\n".join(lines)


def run_init(folder: Path, *, force: bool = False) -> tuple[Path, str]:
    """Inspect ``folder`` and write ``study.toml`` and ``init_report.txt`` into it.

    Parameters
    ----------
    folder : Path
        The planner's folder.
    force : bool, default False
        Overwrite an existing study.toml.

    Returns
    -------
    study : Path
        The study file written.
    report : str
        The report (also written to ``init_report.txt``).
    """
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a folder; give the folder holding the input files")
    study = folder / "study.toml"
    if study.exists() and not force:
        raise InputFileError(
            f"{study}: already exists; it was left unchanged (use --force to overwrite it)"
        )
    guess = guess_roles(folder)
    guess_datums(guess)
    report = report_text(guess)
    study.write_text(study_text(guess), encoding="utf-8")
    (folder / REPORT).write_text(report + "\n", encoding="utf-8")
    return study, report
