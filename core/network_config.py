"""The ``[network]`` part of a study file: network input, cache and centreline options."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carecircle._validate import check_keys, get_number, get_str
from carecircle.errors import StudyFileError

#: file types read as road centreline layers (not OSM)
CENTRELINE_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb")
_CENTRELINE_KEYS = ("snap_tolerance_m", "class_column", "drop_classes")


@dataclass(frozen=True)
class CentrelineOptions:
    """How a road centreline layer becomes a walking network (``[network]`` of the study).

    Attributes
    ----------
    snap_tolerance_m : float
        Join a line end that stops within this distance (m) of another line to it; 0 joins
        only lines that share a vertex.
    class_column : str or None
        Column of the layer holding the road class.
    drop_classes : tuple of str
        Values of ``class_column`` no pedestrian may use (expressways); those lines are
        left out.
    """

    snap_tolerance_m: float = 0.0
    class_column: str | None = None
    drop_classes: tuple[str, ...] = ()

    def cache_key(self) -> str:
        """Return a text identifying the options, for the network cache key."""
        return f"{self.snap_tolerance_m!r}|{self.class_column}|{sorted(self.drop_classes)}"


def default_cache_dir() -> Path:
    """Return the network cache folder: ``$CARECIRCLE_CACHE_DIR`` or ``~/.cache/carecircle``."""
    env = os.environ.get("CARECIRCLE_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "carecircle"


def network_input(
    inputs: dict[str, Any], path: Path
) -> tuple[Path | None, str | None, tuple[float, float, float, float] | None]:
    """Read ``[inputs] network``: a file, a ``place`` name or a ``bbox``.

    Parameters
    ----------
    inputs : dict
        The ``[inputs]`` table.
    path : Path
        The study file (relative paths are resolved against its folder).

    Returns
    -------
    tuple
        (file or None, place or None, bbox or None): exactly one is given.
    """
    value = inputs.get("network")
    if isinstance(value, str) and value.strip():
        return path.parent / value, None, None
    if isinstance(value, dict):
        check_keys(
            value, ("place", "bbox"), where="[inputs] network", path=path, error=StudyFileError
        )
        place, bbox = value.get("place"), value.get("bbox")
        if isinstance(place, str) and place.strip():
            return None, place, None
        if (
            isinstance(bbox, list)
            and len(bbox) == 4
            and all(isinstance(b, int | float) for b in bbox)
        ):
            west, south, east, north = (float(b) for b in bbox)
            if west < east and south < north:
                return None, None, (west, south, east, north)
    raise StudyFileError(
        f'{path}: [inputs] network must be a file ("network.osm", ".osm.pbf", ".graphml", a road '
        'centreline layer "roads.shp", ".gpkg", ".geojson", ".fgb") or '
        'a table such as { place = "静安区, 上海市" } or { bbox = [west, south, east, north] }'
    )


def network_options(table: dict[str, Any], path: Path) -> tuple[bool, Path | None]:
    """Read ``include_private``, ``cache`` and ``cache_dir`` of ``[network]``.

    Parameters
    ----------
    table : dict
        The ``[network]`` table.
    path : Path
        The study file.

    Returns
    -------
    tuple
        (include private ways, cache folder or None for no cache).
    """
    check_keys(
        table,
        ("include_private", "cache", "cache_dir", *_CENTRELINE_KEYS),
        where="[network]",
        path=path,
        error=StudyFileError,
    )
    for key in ("include_private", "cache"):
        if key in table and not isinstance(table[key], bool):
            raise StudyFileError(f"{path}: [network] {key} = {table[key]!r} must be true or false")
    include_private = table.get("include_private", True)
    if not table.get("cache", True):
        return include_private, None
    folder = get_str(table, "cache_dir", None, where="[network]", path=path, error=StudyFileError)
    if folder is None:
        return include_private, default_cache_dir()
    return include_private, path.parent / folder


def centreline_options(
    table: dict[str, Any], network: Path | None, path: Path
) -> CentrelineOptions:
    """Read ``snap_tolerance_m``, ``class_column`` and ``drop_classes`` of ``[network]``.

    Parameters
    ----------
    table : dict
        The ``[network]`` table.
    network : Path or None
        The network file (the options apply to centreline layers only).
    path : Path
        The study file.

    Returns
    -------
    CentrelineOptions
        The options (defaults when none is given).
    """
    given = [k for k in _CENTRELINE_KEYS if k in table]
    if not given:
        return CentrelineOptions()
    if network is None or not network.name.lower().endswith(CENTRELINE_SUFFIXES):
        raise StudyFileError(
            f"{path}: [network] {given[0]} applies to road centreline layers (.shp, .gpkg, "
            ".geojson, .fgb), not to OSM or GraphML networks; remove it"
        )
    kw: dict[str, Any] = {"where": "[network]", "path": path, "error": StudyFileError}
    tolerance = get_number(table, "snap_tolerance_m", 0.0, minimum=None, maximum=50.0, **kw)
    if tolerance is None or not math.isfinite(tolerance) or tolerance < 0:
        raise StudyFileError(
            f"{path}: [network] snap_tolerance_m = {table['snap_tolerance_m']!r} must be a "
            "distance in metres from 0 to 50, e.g. snap_tolerance_m = 2"
        )
    column = get_str(table, "class_column", None, **kw)
    drop = table.get("drop_classes", [])
    if not isinstance(drop, list) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in drop
    ):
        raise StudyFileError(
            f"{path}: [network] drop_classes must be a list of class values, e.g. "
            'drop_classes = ["高速公路", "快速路"]'
        )
    if bool(column) != bool(drop):
        raise StudyFileError(
            f"{path}: [network] class_column and drop_classes go together: name the column "
            'of road classes and the classes to leave out, e.g. class_column = "fclass" and '
            'drop_classes = ["motorway"]'
        )
    return CentrelineOptions(tolerance, column, tuple(str(v) for v in drop))
