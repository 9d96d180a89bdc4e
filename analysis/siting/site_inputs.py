"""The siting request checked and its files read, for ``cc.site`` and ``carecircle site`` alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from carecircle.analysis.siting.request import SitingRequest, checked_request
from carecircle.errors import InputDataError, InputFileError


@dataclass(frozen=True, kw_only=True, eq=False)
class SiteInputs:
    """A checked siting request with its candidate sites and exclusion areas (:func:`site_inputs`).

    Attributes
    ----------
    request : SitingRequest
        The checked request (type code, model, limits).
    candidates : DataFrame, optional
        Candidate sites (``id, lon, lat[, floor_area_m2]``, WGS84); None: automatic.
    exclude : GeoDataFrame, optional
        Polygons with a CRS where no automatic candidate may go.
    files : tuple of Path
        The candidate and exclusion files read (no output may replace them).
    """

    request: SitingRequest
    candidates: pd.DataFrame | None = None
    exclude: gpd.GeoDataFrame | None = None
    files: tuple[Path, ...] = ()


def site_inputs(  # noqa: PLR0913 - one keyword per `carecircle site` option
    facility_type: str = "service_station",
    *,
    add: int | None = None,
    target: float | None = None,
    objective: str = "coverage",
    candidates: pd.DataFrame | Path | str | None = None,
    candidates_crs: str = "EPSG:4326",
    exclude: gpd.GeoDataFrame | Path | str | None = None,
    spacing_m: float = 150.0,
    floor_area_m2: float | None = None,
    time_limit_s: float = 30.0,
) -> SiteInputs:
    """Check a siting request and read its files: the one place both ``site`` paths check.

    Run by ``carecircle site`` before the audit (a wrong ``--type`` or a missing file stops
    at once) and by :func:`carecircle.site`. Checked in this order: the request (type,
    model, limits), that the files exist, the candidates (``add`` no more than there are),
    the exclusion areas (polygons with a CRS).

    Parameters
    ----------
    facility_type, add, target, objective, spacing_m, floor_area_m2, time_limit_s
        As for :func:`carecircle.site`.
    candidates : DataFrame or Path, optional
        Candidate sites, or the file holding them.
    candidates_crs : str, default "EPSG:4326"
        The candidate file's coordinate system (or ``GCJ-02``, ``BD-09``).
    exclude : GeoDataFrame or Path, optional
        Exclusion polygons, or the file holding them.

    Returns
    -------
    SiteInputs
        The request, candidates and exclusion areas.

    Raises
    ------
    InputFileError
        A file that does not exist.
    InputDataError
        A request, candidate table or exclusion layer that cannot be used.
    """
    from carecircle.analysis.siting.candidates import read_candidates
    from carecircle.geo.tables import read_table

    request = checked_request(
        SitingRequest(
            facility_type=facility_type,
            add=add,
            target=target,
            objective=objective,
            time_limit_s=time_limit_s,
            spacing_m=spacing_m,
            floor_area_m2=floor_area_m2,
        )
    )
    candidates = Path(candidates) if isinstance(candidates, str) else candidates
    exclude = Path(exclude) if isinstance(exclude, str) else exclude
    files = tuple(p for p in (candidates, exclude) if isinstance(p, Path))
    for option, path in (("--candidates", candidates), ("--exclude", exclude)):
        if isinstance(path, Path) and not path.is_file():
            raise InputFileError(f"{path}: 文件不存在 / file not found; check the {option} path")
    sites = (
        read_candidates(candidates, candidates_crs) if isinstance(candidates, Path) else candidates
    )
    if sites is not None and add is not None and add > len(sites):
        where = candidates if isinstance(candidates, Path) else "the candidates table"
        raise InputDataError(
            f"--add {add} is more than the {len(sites)} candidate sites in "
            f"{where}; lower --add or give more candidates"
        )
    areas = read_table(exclude) if isinstance(exclude, Path) else exclude
    if areas is not None and (not isinstance(areas, gpd.GeoDataFrame) or areas.crs is None):
        where = f"{exclude}: " if isinstance(exclude, Path) else ""
        raise InputDataError(f"{where}exclusion areas must be polygons with a CRS")
    return SiteInputs(request=request, candidates=sites, exclude=areas, files=files)
