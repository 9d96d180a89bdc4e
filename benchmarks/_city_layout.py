"""Layout of a generated benchmark city: sizes, the warped plan frame, the river, boundaries.

The city is planned on a square ``(u, v)`` frame in metres and drawn through a smooth warp
(curved streets and boundaries). Everything is vectorised numpy; the same seed gives the same
city. Not the demo generator: this one only has to be large, plausible and fast to write.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

LON0, LAT0 = 114.30, 30.58  # a fictional city on the Yangtze's latitude
LOCAL = f"+proj=tmerc +lat_0={LAT0} +lon_0={LON0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
CELL_DEG = 1.0 / 1200.0  # 3″ cells, as WorldPop's 100 m product and the demo
SHAPE_NODES = 3  # shape nodes per block edge (curved streets)
WARP_M, WARP_WAVE_M = 60.0, 1600.0
RIVER_WIDTH_M = 160.0
BRIDGE_EVERY_M = 3000.0
POPULATED_SHARE = 0.93  # of the raster's cells (river, parks and edges are empty)


@dataclass(frozen=True)
class CitySpec:
    """The size of a generated city.

    Attributes
    ----------
    name : str
        ``district``, ``mid`` or ``city``.
    nodes : int
        Target number of OSM nodes of the walking network.
    cells : int
        Target number of populated raster cells.
    streets, communities : int
        Number of streets/towns (街道/镇) and communities (社区).
    seed : int
        Seed of the generator.
    """

    name: str
    nodes: int
    cells: int
    streets: int
    communities: int
    seed: int = 13


SIZES = {
    "district": CitySpec("district", 50_000, 50_000, 10, 100),
    "mid": CitySpec("mid", 300_000, 250_000, 40, 700),
    "city": CitySpec("city", 1_000_000, 1_000_000, 100, 2_000),
}


def cell_metres() -> tuple[float, float]:
    """Width and height of a 3″ cell at the city's latitude (m)."""
    return 111_320.0 * math.cos(math.radians(LAT0)) * CELL_DEG, 110_900.0 * CELL_DEG


def side_m(spec: CitySpec) -> float:
    """Side of the square city (m) that holds ``spec.cells`` populated cells."""
    w, h = cell_metres()
    return math.sqrt(spec.cells / POPULATED_SHARE * w * h)


def near_square(n: int) -> tuple[int, int]:
    """Return ``(a, b)`` with ``a * b == n`` and ``a ≤ b`` as close as possible."""
    a = max(d for d in range(1, math.isqrt(n) + 1) if n % d == 0)
    return a, n // a


@dataclass(frozen=True)
class Frame:
    """The plan frame of one city: its side, warp phases and river."""

    side: float
    phases: np.ndarray  # (4,) warp phases
    river_phase: float
    to_lonlat: Transformer
    river: bool = True

    @classmethod
    def of(cls, spec: CitySpec, rng: np.random.Generator, *, river: bool = True) -> Frame:
        """Draw the frame of ``spec`` (``river=False``: a city without the generated river)."""
        return cls(
            side_m(spec),
            rng.uniform(0, 2 * np.pi, 4),
            float(rng.uniform(0, 2 * np.pi)),
            Transformer.from_crs(LOCAL, "EPSG:4326", always_xy=True),
            river,
        )

    def warp(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Plan frame → local metres: a smooth, one-to-one bend of every line."""
        k = 2 * np.pi / WARP_WAVE_M
        p = self.phases
        x = u + WARP_M * np.sin(k * v + p[0]) * np.cos(0.37 * k * u + p[1])
        y = v + WARP_M * np.sin(k * u + p[2]) * np.cos(0.41 * k * v + p[3])
        return x, y

    def lonlat(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Plan frame → WGS84 degrees."""
        x, y = self.warp(np.asarray(u, dtype=float), np.asarray(v, dtype=float))
        lon, lat = self.to_lonlat.transform(x, y)
        return np.asarray(lon), np.asarray(lat)

    def river_v(self, u: np.ndarray) -> np.ndarray:
        """Centre line of the river (plan frame): a meander across the city, west to east."""
        s = self.side
        return 0.12 * s + 0.08 * s * np.sin(2 * np.pi * u / (0.9 * s) + self.river_phase)

    def in_river(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """True where a plan point lies in the river."""
        if not self.river:
            return np.zeros(np.broadcast(u, v).shape, dtype=bool)
        return np.abs(v - self.river_v(u)) < RIVER_WIDTH_M / 2

    def plan(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 → plan frame, inverting the warp by fixed-point steps (to < 1 m)."""
        x, y = self.to_lonlat.transform(lon, lat, direction="INVERSE")
        u, v = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        for _ in range(3):
            wx, wy = self.warp(u, v)
            u, v = u + (x - wx), v + (y - wy)
        return u, v


def _rings(
    frame: Frame, u0: np.ndarray, u1: np.ndarray, v0: np.ndarray, v1: np.ndarray, per_edge: int
) -> np.ndarray:
    """Warped rectangles ``[u0, u1] × [v0, v1]`` (arrays) as polygons.

    Every edge is densified by the same fractions, computed from its two ends the same way
    for both neighbours, so shared edges have bit-identical vertices.
    """
    t = np.linspace(0.0, 1.0, per_edge + 1)
    u0, u1, v0, v1 = (np.asarray(a, dtype=float)[:, None] for a in (u0, u1, v0, v1))
    along_u = u0 + (u1 - u0) * t  # (n, per_edge + 1), ascending
    along_v = v0 + (v1 - v0) * t
    ones = np.ones((1, per_edge))
    us = np.hstack([along_u[:, :-1], u1 * ones, along_u[:, :0:-1], u0 * ones])
    vs = np.hstack([v0 * ones, along_v[:, :-1], v1 * ones, along_v[:, :0:-1]])
    lon, lat = frame.lonlat(us.ravel(), vs.ravel())
    coords = np.stack([lon, lat], axis=1).reshape(len(u0), -1, 2)
    return shapely.polygons(np.concatenate([coords, coords[:, :1]], axis=1))


_SYLLABLES = list("和平建设友谊光明幸福长江汉阳武昌青山东湖南湖花园桃源松柏紫阳复兴")


def place_name(i: int, suffix: str) -> str:
    """A deterministic, readable Chinese place name for index ``i``."""
    n = len(_SYLLABLES)
    return _SYLLABLES[i % n] + _SYLLABLES[(i // n + 7 * i + 3) % n] + suffix


def boundaries(
    spec: CitySpec, frame: Frame, district: str = "420199"
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Streets and communities: a warped grid of communities, streets as blocks of them.

    Communities tile the streets exactly (shared edges have the same vertices).
    """
    cu, cv = near_square(spec.communities)
    su, sv = near_square(spec.streets)
    half = frame.side / 2
    uu = np.linspace(-half, half, cu + 1)
    vv = np.linspace(-half, half, cv + 1)
    i, j = (a.ravel() for a in np.meshgrid(np.arange(cu), np.arange(cv), indexing="ij"))
    street_of = (i * su // cu) * sv + (j * sv // cv)
    per_edge = max(4, round((frame.side / cu) / 100.0))
    polys = _rings(frame, uu[i], uu[i + 1], vv[j], vv[j + 1], per_edge)
    street_codes = np.array([f"{district}{k + 1:03d}" for k in range(su * sv)])
    order = np.argsort(street_of, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size) - np.searchsorted(street_of[order], street_of[order])
    outer = (np.abs(uu[i] + uu[i + 1]) > 1.4 * half) | (np.abs(vv[j] + vv[j + 1]) > 1.4 * half)
    communities = gpd.GeoDataFrame(
        {
            "code": [f"{street_codes[s]}{r + 1:03d}" for s, r in zip(street_of, rank, strict=True)],
            "name": [place_name(n, "村" if o else "社区") for n, o in enumerate(outer.tolist())],
            "street": street_codes[street_of],
            "kind": np.where(outer, "rural", "urban"),
        },
        geometry=polys,
        crs="EPSG:4326",
    )
    geoms = [shapely.coverage_union_all(polys[street_of == s]) for s in range(su * sv)]
    streets = gpd.GeoDataFrame(
        {
            "code": street_codes,
            "name": [place_name(k + 11, "街道") for k in range(su * sv)],
            "kind": "street",
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    return streets, communities.sort_values("code", kind="stable").reset_index(drop=True)
