"""Shapes of the HTML maps: drawn once in WGS84, written compactly in either datum.

A layer's shapes are prepared once per street (:class:`GeoJsonSpec`): simplified to the map
scale, their rings and properties serialised, the coordinates rounded to 1e-5° (~1 m) and
written as one string: the differences between consecutive vertices as variable-length
integers in a URL-safe base-64 alphabet (5 bits a character, the sixth tells that another
follows), as Google's polyline format does (:mod:`carecircle.maps.codec`). A page decodes it
back to GeoJSON with exactly the rounded coordinates; the file is about a fifth of the GeoJSON
text and needs no per-feature work in Python. Both pages of a street (WGS84, and GCJ-02 for
Amap tiles) carry the same WGS84 text: the GCJ-02 page shifts the decoded vertices itself
(``"g":1`` in its data, :data:`carecircle.maps.codec.GCJ02_JS`), so the shapes are shifted
and encoded in Python once. Markers (a few hundred points) are shifted here (:func:`points`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from carecircle.geo.crs import wgs84_to_gcj02
from carecircle.maps.codec import SCALE, encode
from carecircle.maps.elements import GeoJsonLayer, JsonText, script_json


def simplified(geoms: np.ndarray, simplify_deg: float = 0.00003) -> np.ndarray:
    """Return geometries as drawn: simplified to the map scale (0: as given).

    Parameters
    ----------
    geoms : np.ndarray
        Shapely geometries (EPSG:4326).
    simplify_deg : float, default 3e-05
        Simplification tolerance (degrees).
    """
    geoms = np.asarray(geoms, dtype=object)
    if simplify_deg > 0:
        geoms = shapely.simplify(geoms, simplify_deg, preserve_topology=True)
    return geoms


def in_datum(xy: np.ndarray, datum: str) -> np.ndarray:
    """Return lon/lat rows ``xy`` (WGS84) in ``datum`` (``wgs84`` or ``gcj02``).

    Parameters
    ----------
    xy : ndarray, shape (n, 2)
        Longitudes and latitudes (degrees, WGS84).
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
    if datum != "gcj02" or not len(xy):
        return xy
    return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))


def points(lon: np.ndarray, lat: np.ndarray, datum: str) -> tuple[list[float], list[float]]:
    """Return marker locations (lat, lon lists) in the map's datum, rounded to ~1 m.

    Parameters
    ----------
    lon : np.ndarray
        Longitude (degrees).
    lat : np.ndarray
        Latitude (degrees).
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
    xy = in_datum(np.column_stack([lon, lat]).astype(np.float64), datum)
    return np.round(xy[:, 1], 6).tolist(), np.round(xy[:, 0], 6).tolist()


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Return the polygonal part of each geometry (None where none is left).

    Polygons and multipolygons stay as they are; of a collection (a clip touching a
    boundary) the polygons are kept, as lines and points of an area layer show nothing.

    Parameters
    ----------
    geoms : ndarray of shapely geometries or None
        The layer's shapes.
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    types = shapely.get_type_id(geoms)
    for i in np.flatnonzero((types != -1) & (types != 3) & (types != 6)):
        parts = shapely.get_parts(geoms[i])
        parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        geoms[i] = shapely.union_all(parts) if len(parts) else None
    geoms[shapely.is_empty(geoms)] = None
    return geoms


def _counts(offsets: np.ndarray) -> str:
    """Return the sizes between consecutive offsets as a JSON array."""
    return "[" + ",".join(map(str, np.diff(offsets).tolist())) + "]"


@dataclass(frozen=True)
class Rings:
    """Polygons flattened once: WGS84 vertices and the JSON of the ring structure."""

    xy: np.ndarray
    structure: str

    @classmethod
    def of(cls, geoms: np.ndarray) -> Rings:
        """Return the rings of polygonal, non-empty geometries.

        Parameters
        ----------
        geoms : ndarray of shapely (multi)polygons
            The shapes, none empty.
        """
        if not len(geoms):
            return cls(np.empty((0, 2)), '"n":[],"r":[],"f":[]')
        kind, xy, offsets = shapely.to_ragged_array(geoms)
        if kind == shapely.GeometryType.POLYGON:
            ring_offsets, poly_offsets = offsets
            geom_offsets = np.arange(len(geoms) + 1, dtype=ring_offsets.dtype)
        else:
            ring_offsets, poly_offsets, geom_offsets = offsets
        structure = (
            f'"n":{_counts(ring_offsets)},"r":{_counts(poly_offsets)},"f":{_counts(geom_offsets)}'
        )
        return cls(np.asarray(xy, dtype=np.float64), structure)

    def text(self) -> str:
        """Return the vertices (WGS84), rounded and encoded (see :func:`encode`)."""
        units = np.rint(self.xy * SCALE).astype(np.int64)
        steps = np.diff(units, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
        return encode(steps.ravel())


@dataclass(frozen=True)
class GeoJsonSpec:
    """A GeoJSON layer before its datum is chosen: shapes as drawn (WGS84), properties, options.

    A street's two maps (WGS84 and GCJ-02) share the spec and its data: the properties,
    rings and encoded WGS84 vertices are serialised once, when the spec is made; the GCJ-02
    page shifts the vertices as it decodes them.
    """

    geoms: np.ndarray
    props: list[dict[str, Any]]
    options: dict[str, Any]
    _text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Keep the polygonal, non-empty shapes and their properties, serialised."""
        shapes = polygonal(self.geoms)
        keep = np.array([g is not None for g in shapes], dtype=bool)
        kept = [p for p, k in zip(self.props, keep, strict=True) if k]
        rings = Rings.of(shapes[keep])
        text = f'"p":{script_json(kept)},{rings.structure},"c":"{rings.text()}"'
        object.__setattr__(self, "_text", text)

    def data(self, datum: str) -> JsonText:
        """Return the layer's data for a page in ``datum``: properties, ring sizes, vertices.

        The vertices are WGS84 on either page; a GCJ-02 page's data says ``"g":1`` and the
        page shifts them (``ccShapes``).
        """
        shift = ',"g":1' if datum == "gcj02" else ""
        return JsonText(f"{{{self._text}{shift}}}")

    def layer(self, datum: str) -> GeoJsonLayer:
        """Return the layer with its shapes in ``datum``."""
        return GeoJsonLayer(self.data(datum), **self.options)


def geojson_spec(
    geoms: np.ndarray,
    props: list[dict[str, Any]],
    *,
    simplify_deg: float = 0.00003,
    **options: Any,
) -> GeoJsonSpec:
    """Return the spec of a layer: ``geoms`` (WGS84) simplified once (:func:`simplified`).

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        The layer's shapes, WGS84.
    props : list of dict
        One per shape: the GeoJSON properties (``label``, and ``html``, ``fill`` where the
        layer shows them).
    simplify_deg : float, default 0.00003
        Simplification tolerance (degrees), applied once here; 0 keeps the shapes as given.
    **options
        Passed to :class:`GeoJsonLayer` (``name``, ``style``, ``tooltip``, ``popup``, ``show``).
    """
    return GeoJsonSpec(simplified(geoms, simplify_deg), props, options)
