"""Walks the indicators declare, and the service areas drawn on the maps (display only)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm import tqdm

from carecircle.analysis.circles import subset
from carecircle.analysis.indicators import REGISTRY, CellWalk, Indicator
from carecircle.config import Study
from carecircle.geo.network import WalkNetwork
from carecircle.geo.routing import NodeDistances
from carecircle.geo.service_area import grid_for
from carecircle.geo.service_area_workers import BandWorkers, Layer
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


@dataclass(frozen=True)
class _Group:
    """One layer of the service areas: its group (``circle`` or a type) and minutes."""

    group: str
    minutes: float
    layer: Layer


def _type_groups(fac: pd.DataFrame, f_snap: Snapped, study: Study) -> list[_Group]:
    """Return one layer per facility type that has a snapped facility (routed by its worker)."""
    groups = []
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
        groups.append(_Group(ftype, minutes, Layer(radius, subset(f_snap, mask))))
    return groups


class ServiceAreas:
    """The service areas (display only), drawn in the background from :meth:`start` on.

    One layer per facility type and the circle's, drawn by forked workers
    (geo/service_area_workers.py) while the caller goes on: the types' layers route
    themselves, so the audit starts them once the facilities are snapped, before the cells
    are (one worker, on the core the audit leaves idle); the circle's layer reads the route
    stage's distances and joins with :meth:`add_circle` (one more worker, while the
    indicators are computed).
    :meth:`frame` waits for them. Use it as a context manager: leaving the block early (an
    error, Ctrl-C) stops the workers. Inside a batch worker or off Linux nothing runs in the
    background and :meth:`frame` draws every layer itself.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    fac : DataFrame
        The facilities.
    f_snap : Snapped
        The facilities snapped to the network.
    study : Study
        The study (minutes, walking speed, profile).
    workers : int, default 2
        Worker processes (1: drawn by :meth:`frame` in this process).
    """

    def __init__(
        self,
        network: WalkNetwork,
        fac: pd.DataFrame,
        f_snap: Snapped,
        study: Study,
        *,
        workers: int = 2,
    ) -> None:
        self._study = study
        self._groups = _type_groups(fac, f_snap, study)
        grid = grid_for((network.x.min(), network.y.min(), network.x.max(), network.y.max()))
        layers: Sequence[Layer] = [g.layer for g in self._groups]
        self._workers = BandWorkers(network, layers, grid, crs=network.crs, workers=workers)

    def __enter__(self) -> ServiceAreas:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._workers.close()

    def start(self, workers: int | None = None) -> None:
        """Start drawing in the background (fork the workers, or only ``workers`` of them)."""
        self._workers.start(workers)

    def add_circle(self, nd: NodeDistances, sources: Snapped) -> None:
        """Add the circle's layer, from the route stage's distances (drawn first by its worker).

        Parameters
        ----------
        nd : NodeDistances
            The circle's distances per node (from the route stage).
        sources : Snapped
            The facilities of the circle's types, snapped (the circle's sources).
        """
        study = self._study
        layer = Layer(study.radius_m, sources, nd.distance)
        self._groups.append(_Group("circle", study.minutes, layer))
        self._workers.add(layer)

    def frame(self, *, progress: bool = False) -> gpd.GeoDataFrame:
        """Return the service areas once drawn (waits for the workers).

        Each layer is rasterised once on the network's grid and returned as non-overlapping
        pieces (one set per 1-2 km tile, geo/service_area.py), reprojected to WGS84 by the
        workers; a street map takes the pieces near it. A type walks its own minutes when an
        enabled indicator declares a walk for it (S8's meal points), else the circle's.

        Parameters
        ----------
        progress : bool, default False
            A progress bar per layer.

        Returns
        -------
        GeoDataFrame
            Columns ``group`` (``circle`` or a facility type) and ``minutes``; WGS84 pieces.
        """
        if not self._groups or self._groups[-1].group != "circle":
            raise RuntimeError("ServiceAreas.frame needs the circle's layer (add_circle) first")
        bar = tqdm(
            total=len(self._groups),
            desc="service areas 服务范围",
            unit="layer",
            disable=None if progress else True,
        )
        with bar:
            bands = self._workers.results(on_done=lambda _: bar.update(1))
        # the circle first (added last), then the types in profile order
        order = [len(self._groups) - 1, *range(len(self._groups) - 1)]
        groups, bands = [self._groups[k] for k in order], [bands[k] for k in order]
        names = [g.group for g, band in zip(groups, bands, strict=True) for _ in band]
        minutes = [g.minutes for g, band in zip(groups, bands, strict=True) for _ in band]
        return gpd.GeoDataFrame(
            {"group": names, "minutes": minutes}, geometry=np.concatenate(bands), crs=4326
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
    workers: int = 2,
) -> gpd.GeoDataFrame:
    """Return the service areas (display only): the circle and one per facility type.

    The same as :class:`ServiceAreas` started and waited for at once.

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
    workers : int, default 2
        Worker processes (1: drawn in this process).

    Returns
    -------
    GeoDataFrame
        Columns ``group`` (``circle`` or a facility type) and ``minutes``; WGS84 pieces.
    """
    with ServiceAreas(network, fac, f_snap, study, workers=workers) as areas:
        areas.add_circle(nd, sources)
        return areas.frame(progress=progress)
