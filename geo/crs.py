"""Coordinate systems: GCJ-02 / BD-09 (Amap, Baidu) to WGS84, and metric CRS choice.

GCJ-02 is the obfuscated datum of Chinese web maps (Amap/Gaode, Tencent); BD-09 adds Baidu's
own offset on top. Both differ from WGS84 by 300–600 m in eastern China, enough to put a
facility on the wrong side of a street block. The forward formulas are the published ones;
the inverse is solved by fixed-point iteration to well under a millimetre.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pyproj import CRS

from carecircle.errors import InputDataError

FloatArray = npt.NDArray[np.float64]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0


def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Return True where a point lies in the rough bounding box where GCJ-02 applies.

    Parameters
    ----------
    lon, lat : array_like
        Degrees.

    Returns
    -------
    ndarray of bool
        Outside this box the datum shift is zero.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _shift(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the GCJ-02 offset (degrees) at WGS84 points."""
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    t_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    t_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (t_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (t_lon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 longitude/latitude to GCJ-02 (Amap/Gaode).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 degrees.

    Returns
    -------
    tuple of ndarray
        GCJ-02 longitude and latitude in degrees.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    d_lon, d_lat = _shift(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to WGS84 by fixed-point iteration (error < 1e-9°).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.

    Returns
    -------
    tuple of ndarray
        WGS84 longitude and latitude in degrees.
    """
    g_lon, g_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(30):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        if np.all(np.abs(e_lon) < 1e-11) and np.all(np.abs(e_lat) < 1e-11):
            break
    return w_lon, w_lat


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert Baidu BD-09 longitude/latitude to GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees.

    Returns
    -------
    tuple of ndarray
        GCJ-02 longitude and latitude in degrees.
    """
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to Baidu BD-09.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.

    Returns
    -------
    tuple of ndarray
        BD-09 longitude and latitude in degrees.
    """
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates given in ``crs`` (EPSG:4326, GCJ-02 or BD-09) to WGS84.

    Parameters
    ----------
    lon, lat : array_like
        Degrees in ``crs``.
    crs : str
        ``"EPSG:4326"``, ``"GCJ-02"``, ``"BD-09"`` or any EPSG code (lon/lat or x/y).

    Returns
    -------
    tuple of ndarray
        WGS84 longitude and latitude.

    Raises
    ------
    InputDataError
        For any other CRS name.
    """
    name = crs.upper()
    if name in ("EPSG:4326", "WGS84"):
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if name == "GCJ-02":
        return gcj02_to_wgs84(lon, lat)
    if name == "BD-09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    if name.startswith("EPSG:"):
        from pyproj import Transformer

        try:
            to = Transformer.from_crs(name, "EPSG:4326", always_xy=True)
        except Exception:  # noqa: BLE001 - pyproj raises several types for bad input
            pass
        else:
            out_lon, out_lat = to.transform(np.asarray(lon, float), np.asarray(lat, float))
            return np.asarray(out_lon, dtype=float), np.asarray(out_lat, dtype=float)
    raise InputDataError(
        f"unknown coordinate system '{crs}'; use EPSG:4326, GCJ-02, BD-09 or an EPSG code"
    )


def is_projected(crs: str) -> bool:
    """Return True for an EPSG code of a projected CRS (x/y metres), False for degrees.

    Parameters
    ----------
    crs : str
        ``EPSG:4547``, ``EPSG:4490``, ``GCJ-02``, …

    Returns
    -------
    bool
        Whether coordinates in ``crs`` are x/y rather than lon/lat.
    """
    if not crs.upper().startswith("EPSG:"):
        return False
    return bool(CRS.from_user_input(crs).is_projected)


def utm_crs(lon: float, lat: float) -> CRS:
    """Return the WGS84 UTM zone CRS containing a point, for metric work.

    Parameters
    ----------
    lon, lat : float
        WGS84 degrees.

    Returns
    -------
    pyproj.CRS
        EPSG:326zz (north) or EPSG:327zz (south).
    """
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def metric_crs(crs: str, lon: float, lat: float) -> CRS:
    """Resolve a study's ``crs`` setting to a projected CRS in metres.

    Parameters
    ----------
    crs : str
        ``"auto"`` or any CRS string pyproj accepts.
    lon, lat : float
        A point of the study (for ``auto``).

    Returns
    -------
    pyproj.CRS
        A projected CRS whose unit is the metre.

    Raises
    ------
    InputDataError
        When the CRS is unknown or not metric.
    """
    if crs == "auto":
        return utm_crs(lon, lat)
    try:
        resolved = CRS.from_user_input(crs)
    except Exception:  # noqa: BLE001 - pyproj raises several types for bad input
        raise InputDataError(
            f"[study] crs = '{crs}' is not a known CRS; use 'auto' or e.g. 'EPSG:32650'"
        ) from None
    unit = resolved.axis_info[0].unit_name if resolved.axis_info else ""
    if not resolved.is_projected or unit not in ("metre", "meter"):
        raise InputDataError(
            f"[study] crs = '{crs}' is not a projected CRS in metres; use "
            "'auto' (UTM zone) or a metric CRS such as EPSG:4547"
        )
    return resolved
