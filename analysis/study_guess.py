"""Guess each file's role in a folder of a planner's files, for ``carecircle init``.

Roles: walking network, residents and older-residents rasters, streets and communities
(polygon layers), facility tables. The datum of facility coordinates (WGS84, GCJ-02, BD-09)
is decided by the network, as the audit's own datum check does.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from carecircle.analysis.checks import CHINESE_DATUMS, DATUM_GIVEN_M, DATUM_ON_NETWORK_M
from carecircle.errors import CarecircleError
from carecircle.geo.crs import to_wgs84
from carecircle.geo.facilities import read_facilities
from carecircle.geo.headers import rename_aliased_columns
from carecircle.geo.inspect import FileFacts, inspect_file
from carecircle.geo.network_io import NetworkSource, load_network
from carecircle.geo.snap import EdgeIndex
from carecircle.vocabulary import COLUMN_ALIASES

log = logging.getLogger(__name__)

OLDER_HINT = re.compile(r"60|65|old|elder|aged|senior|老年|老人|长者", re.IGNORECASE)
_LON = {"lon", *COLUMN_ALIASES["lon"]}
_LAT = {"lat", *COLUMN_ALIASES["lat"]}
_X, _Y = {"x", "east", "easting"}, {"y", "north", "northing"}
# sidecars of a Shapefile or raster, notes and reports: not inputs of their own
_SKIPPED = (".toml", ".txt", ".md", ".shx", ".dbf", ".prj", ".cpg", ".qmd", ".xml", ".aux", ".ovr")


@dataclass(frozen=True)
class FacilityGuess:
    """One facility table: its coordinate CRS, how sure, and the columns read."""

    facts: FileFacts
    crs: str
    why: str
    mapped: tuple[str, ...] = ()


@dataclass
class StudyGuess:
    """Every role guessed for a folder, with what is missing or uncertain."""

    folder: Path
    network: FileFacts | None = None
    residents: FileFacts | None = None
    older: FileFacts | None = None
    streets: FileFacts | None = None
    communities: FileFacts | None = None
    street_column: str = ""
    facilities: list[FacilityGuess] = field(default_factory=list)
    unused: list[FileFacts] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)

    def missing(self) -> list[str]:
        """Return the roles no file was found for."""
        roles = ("network", "residents", "older", "streets", "communities")
        out = [r for r in roles if getattr(self, r) is None]
        return out + ([] if self.facilities else ["facilities"])


def _rasters(guess: StudyGuess, rasters: list[FileFacts]) -> None:
    """Residents and older residents: name hints (60+, older, 老年) first, then totals."""
    if len(rasters) < 2:
        guess.residents = rasters[0] if rasters else None
        guess.uncertain += ["only one raster: the older-residents raster is missing"] * (
            len(rasters) == 1
        )
        return
    hinted = [r for r in rasters if OLDER_HINT.search(r.path.stem)]
    plain = [r for r in rasters if r not in hinted]
    by_total = sorted(rasters, key=lambda r: r.total)
    if hinted and plain:
        guess.older = max(hinted, key=lambda r: r.total)
        guess.residents = max(plain, key=lambda r: r.total)
        if len(rasters) > 2:
            guess.uncertain.append(
                f"{len(rasters)} rasters: took the largest of each kind "
                f"({guess.residents.path.name}, {guess.older.path.name}); check they share a grid"
            )
        if guess.older.total > guess.residents.total:
            guess.uncertain.append(
                f"{guess.older.path.name} is named like older residents but holds more people "
                f"({guess.older.total:,.0f}) than {guess.residents.path.name} "
                f"({guess.residents.total:,.0f}): check the two rasters"
            )
    else:
        guess.older, guess.residents = by_total[0], by_total[-1]
        guess.uncertain.append(
            f"older residents = {guess.older.path.name} because its total "
            f"({guess.older.total:,.0f}) is the smaller (names do not tell 60+/older/老年 apart)"
        )
    guess.unused += [r for r in rasters if r not in (guess.older, guess.residents)]


def _reference_column(child: FileFacts, parent: FileFacts) -> str:
    """Return the column of ``child`` whose values are all codes of ``parent`` ('' if none)."""
    import pyogrio

    kid = pyogrio.read_dataframe(child.path, read_geometry=False)
    mother = pyogrio.read_dataframe(parent.path, read_geometry=False)
    code_sets = [
        {str(v) for v in mother[c].dropna()}
        for c in mother.columns
        if mother[c].notna().all() and mother[c].is_unique
    ]
    for column in kid.columns:
        values = {str(v) for v in kid[column].dropna()}
        if not values or (len(values) == 1 and len(mother) > 1):
            continue
        if any(values <= codes for codes in code_sets):
            return str(column)
    return ""


def _polygons(guess: StudyGuess, layers: list[FileFacts]) -> None:
    """Streets and communities: more features and a column of street codes → communities."""
    layers = sorted(layers, key=lambda f: f.features)
    if not layers:
        return
    guess.streets = layers[0]
    if len(layers) == 1:
        guess.uncertain.append(f"only one polygon layer ({layers[0].path.name}): used as streets")
        return
    for candidate in reversed(layers[1:]):
        column = _reference_column(candidate, guess.streets)
        if column:
            guess.communities, guess.street_column = candidate, column
            break
    if guess.communities is None:
        guess.communities = layers[-1]
        guess.uncertain.append(
            f"{layers[-1].path.name} taken as communities (more features) but no column of it "
            f"holds the codes of {guess.streets.path.name}"
        )
    guess.unused += [f for f in layers if f not in (guess.streets, guess.communities)]


def _is_facility_table(facts: FileFacts) -> bool:
    """Return whether a table (or point layer) has lon/lat or x/y columns."""
    cols = {c.strip().lower() for c in facts.columns}
    return bool((cols & _LON and cols & _LAT) or (cols & _X and cols & _Y)) or (
        facts.kind == "vector" and facts.geometry == "point"
    )


def guess_roles(folder: Path) -> StudyGuess:
    """Inspect every file of ``folder`` and guess its role (datum of facilities excepted).

    Parameters
    ----------
    folder : Path
        The planner's folder.

    Returns
    -------
    StudyGuess
        Roles, unused files and uncertainties.
    """
    guess = StudyGuess(folder)
    files = [p for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")]
    facts = [inspect_file(p) for p in files if p.suffix.lower() not in _SKIPPED]
    networks = [f for f in facts if f.kind == "network" or f.geometry == "line"]
    if networks:
        guess.network = networks[0]
        if len(networks) > 1:
            names = ", ".join(f.path.name for f in networks[1:])
            guess.uncertain.append(f"several networks: used {networks[0].path.name}, not {names}")
            guess.unused += networks[1:]
    _rasters(guess, [f for f in facts if f.kind == "raster"])
    _polygons(guess, [f for f in facts if f.kind == "vector" and f.geometry == "polygon"])
    tables = [f for f in facts if f.kind in ("table", "vector") and _is_facility_table(f)]
    guess.facilities = [FacilityGuess(f, "EPSG:4326", "not checked") for f in tables]
    for f in facts:
        if f.kind == "table" and f not in tables:
            guess.uncertain += _coordinate_hint(f)
    used = {id(f) for f in (guess.network, guess.residents, guess.older, guess.streets)}
    used |= {id(guess.communities), *(id(f) for f in tables), *(id(f) for f in guess.unused)}
    guess.unused += [f for f in facts if id(f) not in used]
    return guess


_DATUM_WORDS = (("bd09", "BD-09"), ("baidu", "BD-09"), ("gcj", "GCJ-02"), ("wgs", "EPSG:4326"))


def _coordinate_hint(facts: FileFacts) -> list[str]:
    """Say which columns of a table look like coordinates the reader does not take as-is."""
    lon = [c for c in facts.columns if re.search(r"lon|lng|经度", c, re.IGNORECASE)]
    lat = [c for c in facts.columns if re.search(r"lat|纬度", c, re.IGNORECASE)]
    if not (lon and lat):
        return []
    pairs = []
    for x in lon:
        datum = next((d for w, d in _DATUM_WORDS if w in x.lower()), "datum unknown")
        pairs.append(f"{x} ({datum})")
    return [
        f"{facts.path.name}: looks like a facility table with coordinate columns "
        f"{', '.join(pairs)} / {', '.join(lat)}: left out; keep one pair, rename it lon/lat "
        "and set its facilities_crs"
    ]


def _median_snap(
    index: EdgeIndex, to_metric: Transformer, lon: np.ndarray, lat: np.ndarray
) -> float:
    """Median distance of points (WGS84) to the network, in metres."""
    snapped = index.snap(*to_metric.transform(lon, lat), max_distance_m=5000)
    return float(np.median(snapped.distance))


def guess_datums(guess: StudyGuess, *, cache_dir: Path | None = None) -> None:
    """Decide each facility table's datum by how well it sits on the network (as the audit).

    Parameters
    ----------
    guess : StudyGuess
        The roles; its ``facilities`` are replaced.
    cache_dir : Path, optional
        Network cache folder (default: the audit's).
    """
    if guess.network is None or not guess.facilities:
        return
    from carecircle.network_config import default_cache_dir

    try:
        network, _ = load_network(
            NetworkSource(guess.network.path, None, None),
            crs="auto",
            include_private=True,
            cache_dir=cache_dir or default_cache_dir(),
        )
    except CarecircleError as exc:
        guess.uncertain.append(
            f"{guess.network.path.name}: not read as a walking network ({str(exc).splitlines()[0]})"
            "; facility datums not checked: WGS84 assumed"
        )
        return
    index = EdgeIndex(network)
    to_metric = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    guess.facilities = [_datum_of(f, index, to_metric, guess) for f in guess.facilities]


def _datum_of(
    fg: FacilityGuess, index: EdgeIndex, to_metric: Transformer, guess: StudyGuess
) -> FacilityGuess:
    """One facility table's datum: the reading that puts it on the network, as check_datum."""
    try:
        fac = read_facilities(fg.facts.path, "EPSG:4326")
    except CarecircleError as exc:
        guess.uncertain.append(f"{fg.facts.path.name}: {str(exc).splitlines()[0]}")
        return FacilityGuess(fg.facts, "EPSG:4326", "could not be read as WGS84 lon/lat")
    header = pd.DataFrame(columns=list(fg.facts.columns))
    _, aliased = rename_aliased_columns(header, fg.facts.path, COLUMN_ALIASES)
    mapped = tuple(f"{old} → {new}" for new, old in aliased.items())
    lon, lat = fac["lon"].to_numpy(), fac["lat"].to_numpy()
    given = _median_snap(index, to_metric, lon, lat)
    readings = {d: _median_snap(index, to_metric, *to_wgs84(lon, lat, d)) for d in CHINESE_DATUMS}
    name = min(readings, key=readings.__getitem__)
    other = readings[name]
    plausible = given <= DATUM_GIVEN_M and other <= DATUM_ON_NETWORK_M
    if len(fac) >= 3 and plausible and other < 0.5 * given and given - other > 10.0:
        why = f"median {other:.0f} m from the network read as {name}, {given:.0f} m as WGS84"
        return FacilityGuess(fg.facts, name, why, mapped)
    why = f"median {given:.0f} m from the network as WGS84"
    if len(fac) < 3:
        guess.uncertain.append(
            f"{fg.facts.path.name}: too few rows to tell its datum: WGS84 assumed"
        )
    return FacilityGuess(fg.facts, "EPSG:4326", why, mapped)
