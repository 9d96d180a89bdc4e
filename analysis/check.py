"""``carecircle check``: read and check every input of a study without running the audit.

The inputs go through :func:`carecircle.analysis.inputs.read_inputs`, the audit's own
readers and checks, so the messages (and the first error) are the audit's. Nothing is routed
and nothing is written (apart from the network cache the audit would write too).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from carecircle.analysis.indicators import checked_profile
from carecircle.analysis.inputs import Inputs, read_inputs
from carecircle.analysis.stages import RunRecord
from carecircle.analysis.year_filter import check_plan, keep_open
from carecircle.config import Study
from carecircle.geo.population import RasterTotals
from carecircle.text import counted


@dataclass
class CheckResult:
    """What ``check`` read: one line per input, the reader's notes and the warnings."""

    lines: list[str]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _Notes(logging.Handler):
    """Keep the INFO notes of carecircle's readers; pass on what the user's level shows.

    Parameters
    ----------
    shown : int
        The level the user asked for (``-q``: WARNING); records at or above it go on to the
        parent logger's handlers as usual, the INFO notes below it are only kept.
    parent : logging.Logger
        Where shown records go.
    """

    def __init__(self, shown: int, parent: logging.Logger) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []
        self.shown, self.parent = shown, parent

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.INFO:
            self.messages.append(record.getMessage())
        if record.levelno >= self.shown:
            self.parent.handle(record)


@contextmanager
def _reader_notes() -> Iterator[_Notes]:
    """Collect the readers' INFO notes during the block (logger settings are restored)."""
    logger = logging.getLogger("carecircle.geo")
    level, propagate = logger.level, logger.propagate
    handler = _Notes(logger.getEffectiveLevel(), logger.parent or logging.getLogger())
    logger.addHandler(handler)
    logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def check_study(study: Study) -> CheckResult:
    """Read and check every input of ``study`` as the audit does, without routing.

    Parameters
    ----------
    study : Study
        The validated study.

    Returns
    -------
    CheckResult
        One line per input, notes and warnings.

    Raises
    ------
    carecircle.errors.CarecircleError
        The first problem found, with the audit's message.
    """
    study = replace(study, profile=checked_profile(study.profile))  # as the audit does
    check_plan(study.profile)
    rec = RunRecord()
    with rec.capture_warnings(), _reader_notes() as notes:
        # status and opening years checked where the audit checks them: before the cells' snap
        inputs = read_inputs(
            study,
            rec,
            facilities_snapped=lambda _net, fac, snap: keep_open(fac, snap, study, None, rec),
        )
    return CheckResult(
        input_lines(study, inputs),
        list(dict.fromkeys(notes.messages)),
        list(rec.warnings),
        round(sum(rec.stages.values()), 2),
    )


def _vector_crs(source: object) -> str:
    """Return the CRS a vector file declares, as ``EPSG:n`` or its name (``?`` when unknown)."""
    if not isinstance(source, Path):
        return "database"
    import pyogrio
    from pyproj import CRS

    try:
        wkt = pyogrio.read_info(source).get("crs")
    except Exception:  # noqa: BLE001 - the reader has accepted the file; this is a detail
        return "?"
    if not wkt:
        return "no CRS declared"
    crs = CRS.from_user_input(wkt)
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _raster_crs(path: Path | None) -> str:
    """Return the size, pixel size and CRS of a raster, in a few words."""
    import rasterio

    if path is None:
        return "not given"

    with rasterio.open(path) as src:
        epsg = src.crs.to_epsg() if src.crs else None
        crs = f"EPSG:{epsg}" if epsg else (src.crs.to_string() if src.crs else "no CRS")
        return f"{src.width}×{src.height} cells of {abs(src.res[0]):g}×{abs(src.res[1]):g}, {crs}"


def _name(source: object) -> str:
    """Return a file's name (or the database source's text)."""
    return source.name if isinstance(source, Path) else str(source)


def input_lines(study: Study, inputs: Inputs) -> list[str]:
    """One line per input: the file and what was read from it.

    Parameters
    ----------
    study : Study
        The study.
    inputs : Inputs
        What :func:`read_inputs` read.

    Returns
    -------
    list of str
        Lines for the terminal.
    """
    fac, cells, totals = inputs.facilities, inputs.cells, inputs.totals
    lines = [
        f"streets 街道: {_name(study.streets)}: {counted(len(inputs.streets), 'street')}, "
        f"{_vector_crs(study.streets)} (datum {study.boundaries_crs})",
        f"communities 社区: {_name(study.communities)}: "
        f"{counted(len(inputs.communities), 'community', 'communities')}, "
        + (
            "approximate: Voronoi of the community points per street"
            if inputs.boundary_mode == "points"
            else _vector_crs(study.communities)
        )
        if study.communities is not None
        else "communities 社区: 社区边界未提供 communities not given (every indicator per street)",
    ]
    counts = fac["source_file"].value_counts()
    for src in study.facilities:
        sheet = f", sheet {src.sheet}" if src.sheet else ""
        n = int(counts.get(src.path.name, 0))
        lines.append(
            f"facilities 设施: {src.path.name}{sheet}: {counted(n, 'facility', 'facilities')}, "
            f"coordinates {src.crs}"
        )
    if inputs.attribute_columns:
        lines.append(f"facility attributes 设施属性: {', '.join(inputs.attribute_columns)}")
    populated = int((cells["residents"] > 0).sum()) if "residents" in cells else len(cells)
    if not study.population.is_raster:  # counts, shares or buildings (docs/population.md)
        return [*lines, *population_lines(study, totals, populated), _network_line(study, inputs)]
    lines += [
        f"residents 常住人口: {_name(study.residents)}: {_raster_crs(study.residents)}; "
        f"total {totals.residents:,.0f}, {populated:,} populated cells",
        f"older residents 老年人口: {_name(study.older_residents)}: "
        f"{_raster_crs(study.older_residents)}; total {totals.older:,.0f}",
        _network_line(study, inputs),
    ]
    return lines


def population_lines(study: Study, totals: RasterTotals, populated: int) -> list[str]:
    """Return the population lines of a study in the counts, share or buildings mode.

    Parameters
    ----------
    study : Study
        The study: its population mode and inputs are described.
    totals : RasterTotals
        Residents and older residents read (``residents`` and ``older`` totals).
    populated : int
        Population cells (buildings in the buildings mode) holding residents.
    """
    word = "buildings" if study.population.mode == "buildings" else "populated cells"
    return [
        study.population.describe(raster=study.residents is not None),
        f"residents 常住人口: total {totals.residents:,.0f}, {populated:,} {word}; "
        f"older residents 老年人口: total {totals.older:,.0f}",
    ]


def _network_line(study: Study, inputs: Inputs) -> str:
    """Return the network line: source, format, nodes, edges and lines kept."""
    meta, net = inputs.network_meta, inputs.network
    source = _name(study.network) if study.network else (study.network_place or "bbox")
    cache = ", from the cache" if meta.get("from_cache") else ""
    return (
        f"network 路网: {source}: {meta.get('format', '?')}, {net.n_nodes:,} nodes, "
        f"{net.n_edges:,} edges ({meta.get('lines_kept', 0):,} of "
        f"{meta.get('lines_read', 0):,} lines kept), metric CRS {net.crs.to_string()}{cache}"
    )


def check_text(result: CheckResult) -> str:
    """Return the terminal text of a check: inputs, notes, warnings, and the verdict.

    Parameters
    ----------
    result : CheckResult
        What :func:`check_study` found.

    Returns
    -------
    str
        Text to print.
    """
    out = list(result.lines)
    out += [f"note 说明: {n}" for n in result.notes]
    out += [f"警告 warning: {w}" for w in result.warnings]
    out.append(
        f"通过 OK: every input was read and checked in {result.seconds:.1f} s; the audit would "
        f"start cleanly ({counted(len(result.warnings), 'warning')})"
    )
    return "\n".join(out)
