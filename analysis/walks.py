"""Walks the indicators declare, and the service areas drawn on the maps (display only)."""

from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm import tqdm

from carecircle.analysis.circles import subset
from carecircle.analysis.indicators import REGISTRY, CellWalk, Indicator
from carecircle.config import Study
from carecircle.geo.network import WalkNetwork
from carecircle.geo.routing import NodeDistances, nearest_source_distances
from carecircle.geo.service_area import bands_in_parallel, grid_for, reached_segments
from carecircle.geo.snap import Snapped
from carecircle.profiles import IndicatorSpec


def walk_radius_m(
    definition: Indicator, spec: IndicatorSpec, walk: CellWalk, study: Study
) -> float:
    """Return the walking distance (m) of an indicator's cell walk.

    Parameters
    ----------
    definition : Indicator
        The indicator's definition.
    spec : IndicatorSpec
        Its profile entry.
    walk : CellWalk
        One of its walks.
    study : Study
        The study (the circle's minutes and walking speed).

    Returns
    -------
    float
        Minutes × 60 × walking speed.
    """
    minutes = (
        study.minutes if walk.minutes_param is None else definition.param(spec, walk.minutes_param)
    )
    return float(minutes) * 60.0 * study.walk_speed_m_s


def own_minute_walks(study: Study) -> Iterator[tuple[Indicator, IndicatorSpec, CellWalk]]:
    """Yield the enabled indicators' cell walks that have their own minutes (not the circle's).

    Parameters
    ----------
    study : Study
        The study with its checked profile.

    Yields
    ------
    tuple
        ``(definition, spec, walk)``, in registry order.
    """
    for definition in REGISTRY:
        spec = study.profile.indicator(definition.id)
        for walk in definition.walks:
            if spec.enabled and isinstance(walk, CellWalk) and walk.minutes_param is not None:
                yield definition, spec, walk


def no_service_areas() -> gpd.GeoDataFrame:
    """Return the empty service-area layer of an audit whose maps are not drawn."""
    return gpd.GeoDataFrame(
        {"group": pd.Series(dtype=object), "minutes": pd.Series(dtype=float)},
        geometry=gpd.GeoSeries([], crs=4326),
        crs=4326,
    )


def service_areas(
    network: WalkNetwork,
    fac: pd.DataFrame,
    f_snap: Snapped,
    nd: NodeDistances,
    sources: Snapped,
    study: Study,
    *,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """Return the service areas (display only): the circle and one per facility type.

    Each is rasterised once on the network's grid and returned as non-overlapping pieces
    (one set per 1-2 km tile, geo/service_area.py), reprojected to WGS84 layer by layer
    in the pool; a street map takes the pieces near it.
    A type walks its own minutes when an enabled indicator declares a walk for it (S8's
    meal points), else the circle's.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    fac : DataFrame
        The facilities.
    f_snap : Snapped
        The facilities snapped to the network.
    nd : NodeDistances
        The circle's distances per node (from the route stage).
    sources : Snapped
        The facilities of the circle's types, snapped (the circle's sources).
    study : Study
        The study (minutes, walking speed, profile).
    progress : bool, default False
        A progress bar per layer.

    Returns
    -------
    GeoDataFrame
        Columns ``group`` (``circle`` or a facility type) and ``minutes``; WGS84 pieces.
    """
    groups: list[tuple[str, float, np.ndarray | None, float, Snapped]] = [
        ("circle", study.minutes, nd.distance, study.radius_m, sources)
    ]
    own: dict[str, float] = {}  # facility type -> minutes; the first declaring indicator wins
    for definition, spec, walk in own_minute_walks(study):
        for ftype in spec.facility_types:
            own.setdefault(ftype, float(definition.param(spec, walk.minutes_param or "")))
    for ftype in dict.fromkeys((*study.profile.circle_types, *own)):
        mask = (fac["type"] == ftype).to_numpy() & f_snap.ok
        if not mask.any():
            continue
        minutes = own[ftype] if ftype not in study.profile.circle_types else study.minutes
        radius = minutes * 60.0 * study.walk_speed_m_s
        groups.append((ftype, minutes, None, radius, subset(f_snap, mask)))
    grid = grid_for((network.x.min(), network.y.min(), network.x.max(), network.y.max()))
    bar = tqdm(
        total=len(groups),
        desc="service areas 服务范围",
        unit="layer",
        disable=None if progress else True,
    )
    segment_sets = (  # routed one by one while the pool rasterises the previous ones
        reached_segments(
            network,
            nearest_source_distances(network, src, limit_m=radius, with_source=False).distance
            if dist is None
            else dist,
            radius,
            sources=src,
        )
        for _, _, dist, radius, src in groups
    )
    names, minutes_of, pieces = [], [], []
    with bar:
        for (group, minutes, *_), band in zip(
            groups, bands_in_parallel(segment_sets, grid, crs=network.crs), strict=True
        ):
            names += [group] * band.size
            minutes_of += [minutes] * band.size
            pieces.append(band)
            bar.update(1)
    return gpd.GeoDataFrame(
        {"group": names, "minutes": minutes_of}, geometry=np.concatenate(pieces), crs=4326
    )
