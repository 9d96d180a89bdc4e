"""Output-side cases of the bad-input corpus: hostile names, ``--out``, site options, schemas.

Each case runs through the command line like those of ``bad_inputs.py``; a case may give its
own arguments (``argv``, with ``{study}``, ``{out}`` and ``{in}`` filled in), prepare the
output folder first (``prepare``) and check the files written (``check``). Run as a script to
print their README rows: ``python tests/bad_cases_outputs.py``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bad_inputs import (
    Case,
    csv_frame,
    edit,
    fresh_mini_study,
    gpkg,
    message,
    run_case,
    table_text,
)

from carecircle.scripts.cli import main
from carecircle.text import FORMULA_STARTS

from mini_district import lonlat, write_mini_study

AUDIT = ("audit", "{study}", "--out", "{out}")


def _nothing(folder: Path) -> None:
    """No preparation."""


@dataclass(frozen=True)
class OutputCase(Case):
    """A corpus case with its own command line, output folder preparation and file checks."""

    argv: tuple[str, ...] = AUDIT
    prepare: Callable[[Path], None] = _nothing
    check: Callable[[Path], None] | None = None


# --- hostile names: formulas in spreadsheets -------------------------------------------------

FORMULA_NAMES = ('=HYPERLINK("http://evil.example","点我")', "=1+1", "+SUM(1,2)", "@cmd", "-2+3")


def _formula_names(folder: Path) -> None:
    """Facility, street and community names that a spreadsheet would run as formulas."""

    def facilities(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[0, "name"] = FORMULA_NAMES[0]
        df.loc[1, "name"] = "\t=1+1"
        df.loc[2, "name"] = "@cmd"
        return df

    csv_frame(facilities)(folder)

    def streets(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame["name"] = [FORMULA_NAMES[1], FORMULA_NAMES[4]]
        return frame

    def communities(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame["name"] = [FORMULA_NAMES[2], "\r@cmd", "-5", FORMULA_NAMES[0]]
        return frame

    gpkg("streets.gpkg", streets)(folder)
    gpkg("communities.gpkg", communities)(folder)


def spreadsheet_cells(out: Path) -> list[tuple[str, object, str]]:
    """Every written spreadsheet cell: (file, value, openpyxl data type or ``csv``)."""
    from openpyxl import load_workbook

    cells: list[tuple[str, object, str]] = []
    for path in sorted(out.rglob("*.xlsx")):
        for ws in load_workbook(path).worksheets:
            cells += [(path.name, c.value, c.data_type) for row in ws.iter_rows() for c in row]
    for path in sorted(out.rglob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            cells += [(path.name, v, "csv") for row in csv.reader(f) for v in row]
    return cells


def assert_no_formula(folder: Path) -> None:
    """No XLSX cell is a formula, no CSV or XLSX text starts like one; the names are there."""
    cells = spreadsheet_cells(folder / "out")
    assert cells, "no spreadsheet written"
    formulas = [(f, v) for f, v, t in cells if t == "f"]
    assert formulas == [], formulas
    live = [
        (f, v)
        for f, v, _ in cells
        if isinstance(v, str) and v.startswith(FORMULA_STARTS) and not _number(v)
    ]
    assert live == [], live
    texts = {v for _, v, _ in cells if isinstance(v, str)}
    assert "'=1+1" in texts  # the street name, escaped
    assert "'-2+3" in texts


def assert_names_kept(folder: Path) -> None:
    """The audit's tables: no formula, and every name still readable as given."""
    assert_no_formula(folder)
    texts = {v for _, v, _ in spreadsheet_cells(folder / "out") if isinstance(v, str)}
    assert "-5" in texts  # a community named -5 is a plain number: unchanged
    assert "'+SUM(1,2)" in texts
    assert "'" + FORMULA_NAMES[0] in texts


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- --out and staging --------------------------------------------------------------------


def _dead_pid() -> int:
    """The id of a process that has just ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _staging_left(folder: Path) -> None:
    """Folders of a run killed with kill -9 (its process is gone) and of a live run."""
    dead = folder / "out" / f".carecircle-staging-{_dead_pid()}"
    (dead / "maps").mkdir(parents=True)
    (dead / "maps" / "W.html").write_text("partial", encoding="utf-8")
    (folder / "out" / ".carecircle-staging-1").mkdir()  # PID 1 runs: not ours to remove


def _staging_cleaned(folder: Path) -> None:
    left = sorted(p.name for p in (folder / "out").glob(".carecircle-staging-*"))
    assert left == [".carecircle-staging-1"], left


def _earlier_run(folder: Path) -> None:
    """An earlier audit into the same --out, when street E was coded OLD, and a user's file."""

    def recode(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        for column in ("code", "street"):
            if column in frame:
                frame[column] = frame[column].replace({"E": "OLD"})
        return frame

    study = write_mini_study(folder / "earlier")
    gpkg("streets.gpkg", recode)(folder / "earlier")
    gpkg("communities.gpkg", recode)(folder / "earlier")
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        assert main(["-q", "audit", str(study), "--out", str(folder / "out")]) == 0
    (folder / "out" / "maps" / "我的笔记 notes.txt").write_text("planner's", encoding="utf-8")
    (folder / "earlier-files.txt").write_text(
        "\n".join(str(p.relative_to(folder / "out")) for p in (folder / "out").rglob("*")),
        encoding="utf-8",
    )


def _earlier_outputs_replaced(folder: Path) -> None:
    out = folder / "out"
    before = set((folder / "earlier-files.txt").read_text(encoding="utf-8").splitlines())
    now = {str(p.relative_to(out)) for p in out.rglob("*")}
    gone = before - now
    assert gone, "the earlier run's street OLD left no file to remove"
    assert all("OLD" in name for name in gone), gone  # only the earlier run's street OLD
    assert "maps/我的笔记 notes.txt" in now  # not written by carecircle: kept


# --- site ---------------------------------------------------------------------------------


def _site(*options: str) -> tuple[str, ...]:
    return ("site", "{study}", "--out", "{out}", *options)


def _two_candidates(folder: Path) -> None:
    lon, lat = lonlat([300.0, 700.0], [300.0, 700.0])
    pd.DataFrame({"id": ["C1", "C2"], "lon": lon, "lat": lat}).to_csv(
        folder / "candidates.csv", index=False
    )


def _input_named_like_an_output(folder: Path) -> None:
    """The facility table saved as coverage_by_street.csv, beside the study."""
    (folder / "facilities.csv").rename(folder / "coverage_by_street.csv")
    edit("study.toml", '"facilities.csv"', '"coverage_by_street.csv"')(folder)


def _input_kept(path: Path) -> None:
    assert pd.read_csv(path)["id"].tolist() == ["F1", "F2", "H1"]


BEFORE_AUDIT = ("read boundaries",)  # the audit's first stage: never reached
NO_DATABASE = "postgresql://nobody@/none?host=/nonexistent"

OUTPUT_CASES: list[Case] = [
    OutputCase(
        "formula-names",
        "names starting with `=`, `+`, `-`, `@`, tab or CR stay text in every CSV and XLSX",
        _formula_names,
        0,
        (),
        check=assert_names_kept,
    ),
    OutputCase(
        "formula-names-site",
        "such names in the siting tables stay text too",
        _formula_names,
        0,
        (),
        argv=_site("--add", "1"),
        check=assert_no_formula,
    ),
    OutputCase(
        "site-floor-area-zero",
        "`site --floor-area 0`",
        lambda f: None,
        2,
        ("--floor-area 0", "more than 0 m²"),
        argv=_site("--add", "1", "--floor-area", "0"),
        absent=BEFORE_AUDIT,
    ),
    OutputCase(
        "site-floor-area-negative",
        "`site --floor-area -100`",
        lambda f: None,
        2,
        ("--floor-area -100", "more than 0 m²"),
        argv=_site("--add", "1", "--floor-area", "-100"),
        absent=BEFORE_AUDIT,
    ),
    OutputCase(
        "site-floor-area-nan",
        "`site --floor-area nan`",
        lambda f: None,
        2,
        ("--floor-area nan", "finite"),
        argv=_site("--add", "1", "--floor-area", "nan"),
        absent=BEFORE_AUDIT,
    ),
    OutputCase(
        "site-time-limit-negative",
        "`site --time-limit -1`",
        lambda f: None,
        2,
        ("--time-limit -1", "more than 0 seconds"),
        argv=_site("--add", "1", "--time-limit", "-1"),
        absent=BEFORE_AUDIT,
    ),
    OutputCase(
        "site-spacing-negative",
        "`site --spacing -5`",
        lambda f: None,
        2,
        ("--spacing -5", "at least 10 m"),
        argv=_site("--add", "1", "--spacing", "-5"),
        absent=BEFORE_AUDIT,
    ),
    OutputCase(
        "site-spacing-zero",
        "`site --spacing 0`",
        lambda f: None,
        2,
        ("--spacing 0", "at least 10 m"),
        argv=_site("--add", "1", "--spacing", "0"),
        absent=(*BEFORE_AUDIT, "RuntimeWarning"),
    ),
    OutputCase(
        "site-add-over-candidates",
        "`site --add` more than the sites in `--candidates`",
        _two_candidates,
        2,
        ("--add 5 is more than the 2 candidate sites in candidates.csv",),
        argv=_site("--add", "5", "--candidates", "{in}/candidates.csv"),
        absent=BEFORE_AUDIT,
    ),
    OutputCase(
        "out-is-a-file",
        "`--out` names a file",
        lambda f: None,
        2,
        ("--out facilities.csv", "is a file, not a folder"),
        argv=("audit", "{study}", "--out", "{in}/facilities.csv"),
        absent=BEFORE_AUDIT,
    ),
    OutputCase(
        "demo-data-out-is-a-file",
        "`demo-data --out` names a file",
        lambda f: None,
        2,
        ("--out facilities.csv", "is a file, not a folder"),
        argv=("demo-data", "--out", "{in}/facilities.csv"),
    ),
    OutputCase(
        "out-inside-a-file",
        "`--out` inside a file",
        lambda f: None,
        2,
        ("--out facilities.csv/out", "cannot write into this folder"),
        argv=("audit", "{study}", "--out", "{in}/facilities.csv/out"),
        absent=BEFORE_AUDIT,
    ),
    OutputCase(
        "out-would-replace-an-input",
        "`--out` is the study's folder and an output would replace an input file",
        _input_named_like_an_output,
        2,
        ("writing coverage_by_street.csv would replace an input file", "nothing was replaced"),
        argv=("audit", "{study}", "--out", "{in}"),
        check=lambda f: _input_kept(f / "in" / "coverage_by_street.csv"),
    ),
    OutputCase(
        "staging-left-by-kill",
        "a run killed with `kill -9` left `.carecircle-staging-PID` in `--out`",
        lambda f: None,
        0,
        ("removed 1 staging folder left in out by an interrupted run",),
        prepare=_staging_left,
        check=_staging_cleaned,
    ),
    OutputCase(
        "earlier-outputs",
        "`--out` holds an earlier run's maps of a street that is gone",
        lambda f: None,
        0,
        ("of the previous run that this run does not write (maps/OLD",),
        prepare=_earlier_run,
        check=_earlier_outputs_replaced,
    ),
    OutputCase(
        "schema-too-long",
        "`--schema` longer than PostgreSQL's 63 bytes",
        lambda f: None,
        2,
        ("--schema", "66 bytes", "at most 63"),
        argv=(*AUDIT, "--to-postgis", NO_DATABASE, "--schema", "长" * 22),
        absent=BEFORE_AUDIT,
    ),
    OutputCase(
        "to-postgis-not-a-url",
        "`--to-postgis` that is not a PostgreSQL URL",
        lambda f: None,
        2,
        ("--to-postgis 'mysql://me:***@localhost/db'", "not a PostgreSQL URL"),
        argv=(*AUDIT, "--to-postgis", "mysql://me:secret@localhost/db"),
        absent=(*BEFORE_AUDIT, "secret"),
    ),
    OutputCase(
        "schema-reserved",
        "`--schema pg_…` (reserved by PostgreSQL)",
        lambda f: None,
        2,
        ("--schema 'pg_results'", "reserves"),
        argv=(*AUDIT, "--to-postgis", NO_DATABASE, "--schema", "pg_results"),
        absent=BEFORE_AUDIT,
    ),
]


def run_output_case(case: Case, folder: Path) -> tuple[int, str]:
    """Run one case through the command line; return the exit code and stderr.

    Paths under ``folder`` are shown relative to it (``in/`` and ``out/`` dropped), so the
    messages read the same on every machine.
    """
    if not isinstance(case, OutputCase):
        return run_case(case, folder)
    study = fresh_mini_study(folder / "in", case.district())
    case.mutate(folder / "in")
    (folder / "out").mkdir(exist_ok=True)
    case.prepare(folder)
    if not any((folder / "out").iterdir()):
        (folder / "out").rmdir()  # a run into a folder that does not exist yet
    fill = {"study": str(study), "out": str(folder / "out"), "in": str(folder / "in")}
    argv = [a.format(**fill) for a in case.argv]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    text = err.getvalue()
    for prefix, alone in ((folder / "in", "in"), (folder, ".")):
        text = text.replace(str(prefix) + "/", "").replace(str(prefix), alone)
    return code, text


def markdown_rows() -> str:
    """The README table rows of these cases, in the format of ``bad_inputs.markdown()``."""
    rows = []
    for case in OUTPUT_CASES:
        with tempfile.TemporaryDirectory() as tmp:
            _, stderr = run_output_case(case, Path(tmp))
        rows.append(f"| {case.problem} | {table_text(message(case, stderr))} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_rows())
