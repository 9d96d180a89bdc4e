"""Population from counts, shares or buildings (``[population]`` of the study file).

Every mode returns what the raster mode returns: a table of demand cells placed in their
community and street, their geometries in WGS84 (squares, building points or polygons) and
the totals the cells must add up to. The given totals are conserved exactly: a unit's cells
add up to its count, and every count lands in some cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from carecircle.analysis.checks import check_populated_communities, check_raster_overlap
from carecircle.analysis.placement import place_cells
from carecircle.analysis.stages import RunRecord
from carecircle.config import Study
from carecircle.errors import InputDataError
from carecircle.geo.buildings import raster_older_share, read_buildings
from carecircle.geo.population import (
    CellGrid,
    RasterTotals,
    cell_polygons,
    cells_from_rasters,
    raster_grid,
    residents_cells,
)
from carecircle.geo.population_counts import (
    check_codes,
    check_counts,
    check_shares,
    grid_cells,
    metric_grid,
    read_unit_values,
    spread,
)
from carecircle.population_config import PopulationOptions
from carecircle.text import counted, verb

#: The CRS of building demand points: they have no grid corners, their geometry is WGS84.
WGS84 = "EPSG:4326"


@dataclass(frozen=True, eq=False)
class Population:
    """The demand cells of a study, placed in their units, with their geometry and CRS.

    Attributes
    ----------
    cells : DataFrame
        Placed demand cells (``community``, ``street``, ``residents``, ``older_residents``;
        grid cells also ``row, col`` and their corners ``x0, y0, x1, y1``).
    totals : RasterTotals
        The given totals the cells add up to.
    squares : ndarray
        The cells' squares, or the buildings' points/polygons, in WGS84.
    crs : str
        The CRS of the corners ``x0, y0, x1, y1`` (the grid's, as WKT); ``EPSG:4326`` for
        buildings.
    """

    cells: pd.DataFrame
    totals: RasterTotals
    squares: np.ndarray
    crs: str


class _Quiet(RunRecord):
    """A record that keeps no warnings: placing grid cells whose values are only weights."""

    def warn(self, message: str) -> None:
        """Drop the warning (the cells' raster values are weights, not the counted people)."""


def population_from_options(
    study: Study, streets: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, rec: RunRecord
) -> Population:
    """Read the population the way ``[population] mode`` says (not the raster mode).

    Parameters
    ----------
    study : Study
        The study.
    streets, communities : GeoDataFrame
        The boundaries (WGS84).
    rec : RunRecord
        Warnings and counts.

    Returns
    -------
    Population
        The placed cells, their totals, geometry (WGS84) and the CRS of their corners.
    """
    options = study.population
    rec.counts["population_mode"] = options.mode
    if options.mode == "buildings":
        return _buildings(study, streets, communities, rec)
    if options.mode == "share":
        return _share(study, streets, communities, rec)
    return _counts(study, streets, communities, rec)


def _bounds(units: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Return the units' (west, south, east, north) as plain floats."""
    west, south, east, north = (float(v) for v in units.total_bounds)
    return west, south, east, north


def _squares(cells: pd.DataFrame, crs: str) -> np.ndarray:
    """Return the cells' squares in WGS84 (their corners are in ``crs``)."""
    return np.asarray(gpd.GeoSeries(cell_polygons(cells), crs=crs).to_crs(4326).array)


def _place(
    cells: pd.DataFrame,
    squares: np.ndarray,
    study: Study,
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    rec: RunRecord,
) -> pd.DataFrame:
    return place_cells(
        cells,
        squares,
        communities,
        rec,
        streets=streets,
        source=str(study.communities or study.streets),
    )


def _units(
    options: PopulationOptions, streets: gpd.GeoDataFrame, communities: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    return communities if options.level == "community" else streets


def _source(study: Study) -> object:
    options = study.population
    if options.file is not None:
        return options.file
    return study.communities if options.level == "community" else study.streets


def _values(study: Study, units: pd.DataFrame, columns: dict[str, str], what: str) -> pd.DataFrame:
    options = study.population
    source = _source(study)
    code_column = options.code_column if options.file is not None else "code"
    values = read_unit_values(source, code_column, columns, what=what)  # type: ignore[arg-type]
    if "residents" in columns:
        check_counts(values, source)
    else:
        check_shares(values["older_share"], values["where"], source, columns["older_share"])
    check_codes(values, units, source, level=options.level, what=what)
    return values


def _counts(
    study: Study, streets: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, rec: RunRecord
) -> Population:
    """Spread counts per unit over the residents raster (dasymetric) or uniformly by area."""
    options = study.population
    units = _units(options, streets, communities)
    columns = {"residents": options.residents_column, "older_residents": options.older_column}
    values = _values(study, units, columns, "counts")
    bounds = _bounds(communities)
    quiet = _Quiet()  # placing raster cells: their raster values are weights, not people
    if study.residents is not None:
        cells, raster, grid = residents_cells(study.residents, study.residents_band, bounds=bounds)
        nodata = raster.nodata_cells
    else:
        grid, nodata = metric_grid(bounds, options.cell_m), 0
        cells = grid_cells(grid, bounds)
    squares = _squares(cells, grid.crs_wkt)
    cells = _place(cells, squares, study, streets, communities, quiet)
    key = options.level
    unit = cells[key].to_numpy()
    if study.residents is not None:
        weight = cells["residents"].to_numpy(dtype=np.float64)
    else:
        weight = _area_weight(squares, unit, units)
    cells, squares, weight = _fill_empty_units(
        (cells, squares, weight), values, units, grid, study, streets, communities, rec
    )
    unit = cells[key].to_numpy()
    cells["residents"] = spread(unit, weight, values["residents"])
    cells["older_residents"] = spread(unit, weight, values["older_residents"])
    keep = ((cells["residents"] > 0) | (cells["older_residents"] > 0)).to_numpy()
    rec.counts["cells_assigned_by_overlap"] = quiet.counts.get("cells_assigned_by_overlap", 0)
    totals = RasterTotals(
        float(values["residents"].sum()), float(values["older_residents"].sum()), nodata
    )
    return Population(cells[keep].reset_index(drop=True), totals, squares[keep], grid.crs_wkt)


def _area_weight(squares: np.ndarray, unit: np.ndarray, units: gpd.GeoDataFrame) -> np.ndarray:
    """Return the area (degrees², proportional locally) of each square inside its unit's polygon."""
    geom = dict(zip(units["code"], units.geometry.array, strict=True))
    polygons = np.array([geom.get(u) for u in unit], dtype=object)
    has = np.array([p is not None for p in polygons], dtype=bool)
    out = np.zeros(unit.size)
    if has.any():
        out[has] = shapely.area(shapely.intersection(squares[has], polygons[has]))
    return out


def _fill_empty_units(
    parts: tuple[pd.DataFrame, np.ndarray, np.ndarray],
    values: pd.DataFrame,
    units: gpd.GeoDataFrame,
    grid: CellGrid,
    study: Study,
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    rec: RunRecord,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Give units with counts but no weight cells of their own, weighted by area.

    A unit holding people by its count but no raster residents (or too small to hold a
    cell centre) gets the grid cells whose centre lies in it (else the cell under a point
    inside it), spread uniformly by area; a raster that misses people is warned about.
    """
    cells, squares, weight = parts
    key = study.population.level
    unit = cells[key].to_numpy()
    held = pd.Series(weight).groupby(unit).sum()
    people = values["residents"].to_numpy() + values["older_residents"].to_numpy()
    empty = [
        code
        for code, p in zip(values.index, people, strict=True)
        if p > 0 and held.get(code, 0) <= 0
    ]
    if not empty:
        return cells, squares, weight
    if study.residents is not None:
        names = dict(zip(units["code"], units["name"], strict=True))
        listed = ", ".join(f"{names[c]} ({c})" for c in empty[:8])
        more = f" and {len(empty) - 8} more" if len(empty) > 8 else ""
        rec.warn(
            f"{study.residents}: "
            + counted(len(empty), key, "communities" if key == "community" else "streets")
            + f" with counts {verb(len(empty), 'holds', 'hold')} no raster residents: "
            f"{listed}{more}; their counts are spread uniformly over their area"
        )
    used = set(cells["cell_id"].tolist())
    added_cells, added_squares, added_weight = [], [], []
    geom = dict(zip(units["code"], units.geometry.array, strict=True))
    for code in empty:
        polygon = geom[code]
        extra = grid_cells(grid, tuple(shapely.bounds(polygon)))
        sq = _squares(extra, grid.crs_wkt)
        extra = _place(extra, sq, study, streets, communities, _Quiet())
        mine = (extra[key] == code).to_numpy()
        if not mine.any() and key == "street":
            raise InputDataError(
                f"{_source(study)}: street {code} has counts but no community polygon holds "
                "a cell of it; give its communities, or the counts per community"
            )
        if not mine.any():  # smaller than a cell: the cell under a point inside it
            point = shapely.point_on_surface(polygon)
            mine = shapely.contains(sq, point) | shapely.touches(sq, point)
            mine &= np.cumsum(mine) == 1
            extra.loc[mine, key] = code
            extra.loc[mine, "street"] = communities.set_index("code").loc[code, "street"]
        extra, sq = extra[mine].reset_index(drop=True), sq[mine]
        if not len(extra):
            raise InputDataError(
                f"{_source(study)}: {code} has counts but lies outside the population grid; "
                "give a residents raster that covers it"
            )
        clash = extra["cell_id"].isin(used).to_numpy()
        top = max(used | set(extra["cell_id"].tolist())) + 1
        extra.loc[clash, "cell_id"] = np.arange(top, top + int(clash.sum()))
        used |= set(extra["cell_id"].tolist())
        added_cells.append(extra)
        added_squares.append(sq)
        added_weight.append(_area_weight(sq, extra[key].to_numpy(), units))
    cells = pd.concat([cells, *added_cells], ignore_index=True)
    return (
        cells,
        np.concatenate([squares, *added_squares]),
        np.concatenate([weight, *added_weight]),
    )


def _share(
    study: Study, streets: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, rec: RunRecord
) -> Population:
    """Apply an older share per community or street to the residents raster."""
    options = study.population
    assert study.residents is not None  # the study file requires it
    units = _units(options, streets, communities)
    values = _values(study, units, {"older_share": options.share_column}, "older shares")
    bounds = _bounds(communities)
    cells, raster, grid = residents_cells(study.residents, study.residents_band, bounds=bounds)
    squares = _squares(cells, grid.crs_wkt)
    cells = _place(cells, squares, study, streets, communities, rec)
    check_raster_overlap(cells, str(study.residents))
    check_populated_communities(cells, communities, str(study.residents), rec)
    share = values["older_share"].reindex(cells[options.level].to_numpy()).fillna(0.0)
    cells["older_residents"] = cells["residents"].to_numpy() * share.to_numpy()
    totals = RasterTotals(
        raster.residents, float(cells["older_residents"].sum()), raster.nodata_cells
    )
    return Population(cells, totals, squares, grid.crs_wkt)


def _older_from_rasters(
    cells: pd.DataFrame,
    totals: RasterTotals,
    study: Study,
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    rec: RunRecord,
) -> tuple[pd.DataFrame, RasterTotals]:
    """Give each building the older share of the raster cell under it (else its community's).

    A building on a cell without raster residents takes its community's raster share; in a
    community without any, the district's; both are counted in a warning.
    """
    assert study.residents is not None and study.older_residents is not None
    bands = (study.residents_band, study.older_residents_band)
    raster, _ = cells_from_rasters(
        study.residents, study.older_residents, bands=bands, bounds=_bounds(communities)
    )
    grid = raster_grid(study.residents, study.residents_band)
    lon, lat = cells["lon"].to_numpy(), cells["lat"].to_numpy()
    share = raster_older_share(lon, lat, raster, grid)
    missing = np.isnan(share)
    if missing.any():
        squares = _squares(raster, grid.crs_wkt)
        placed = _place(raster, squares, study, streets, communities, _Quiet())
        sums = placed.groupby("community")[["residents", "older_residents"]].sum()
        by_community = (sums["older_residents"] / sums["residents"]).where(sums["residents"] > 0)
        district = float(raster["older_residents"].sum() / raster["residents"].sum())
        fallback = by_community.reindex(cells["community"].to_numpy()).to_numpy(dtype=float)
        share[missing] = np.where(np.isnan(fallback[missing]), district, fallback[missing])
        n = int(missing.sum())
        rec.warn(
            f"{study.residents.name}: {counted(n, 'building')} {verb(n, 'lies', 'lie')} on raster "
            f"cells without residents; {verb(n, 'it takes', 'they take')} the older share of "
            "their community (or of the district)"
        )
    cells = cells.assign(older_residents=cells["residents"].to_numpy() * share)
    older = float(cells["older_residents"].sum())
    return cells, RasterTotals(totals.residents, older, totals.nodata_cells)


def _buildings(
    study: Study, streets: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, rec: RunRecord
) -> Population:
    """Use residential buildings or compounds as the demand points."""
    cells, geometry, totals = read_buildings(study.population)
    cells = _place(cells, geometry, study, streets, communities, rec)
    if study.older_residents is not None:
        cells, totals = _older_from_rasters(cells, totals, study, streets, communities, rec)
    if len(cells) and (cells["community"] == "").all():
        raise InputDataError(
            f"{study.population.file}: no building lies in any community (buildings around lon "
            f"{cells['lon'].median():.3f}, lat {cells['lat'].median():.3f}); check the file's "
            "CRS and that it covers the study area"
        )
    return Population(cells, totals, geometry, WGS84)
