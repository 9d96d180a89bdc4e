"""The compact coordinates of the HTML maps: integers as variable-length base-64 text.

A layer's vertices, rounded to 1e-5° (~1 m), are written as the differences between
consecutive vertices, each a zig-zag integer in 5-bit groups, one character of a URL-safe
base-64 alphabet per group (the sixth bit tells that another group follows), as Google's
polyline format does. :data:`DECODER` (``ccShapes`` in the page) reads them back to
GeoJSON with exactly the rounded coordinates; on a GCJ-02 page (Amap tiles) it then shifts
each vertex with the published GCJ-02 formula, so both pages of a street carry the same
encoded WGS84 text and Python shifts and encodes a street's vertices once, not twice.
"""

from __future__ import annotations

import numpy as np

#: Coordinates are written in units of 1e-5° (~1 m).
SCALE = 1e5
#: The 64 characters of the encoding (URL-safe base 64: no quote, backslash or ``<``).
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SYMBOLS = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
#: Zig-zag values from which 2, 3, … 7 characters are needed (7 × 5 bits: ±2^34 units), and
#: the first value that 7 characters cannot hold.
_LIMITS = np.array([1 << (5 * k) for k in range(1, 8)], dtype=np.int64)

#: ``ccGcj02(lon, lat)``: WGS84 to GCJ-02 (Amap), the published formula as
#: :func:`carecircle.geo.crs.wgs84_to_gcj02` computes it (no shift outside its China box).
GCJ02_JS = """
function ccGcj02(lon, lat) {
    if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) { return [lon, lat]; }
    var PI = Math.PI, A = 6378245.0, EE = 0.00669342162296594323, x = lon - 105.0, y = lat - 35.0;
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var tLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
        + 0.2 * Math.sqrt(Math.abs(x)) + common
        + (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0
        + (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var tLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
        + 0.1 * Math.sqrt(Math.abs(x)) + common
        + (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0
        + (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * PI, magic = 1.0 - EE * Math.pow(Math.sin(rad), 2);
    var sqrtMagic = Math.sqrt(magic);
    var dLat = (tLat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtMagic) * PI);
    var dLon = (tLon * 180.0) / (A / sqrtMagic * Math.cos(rad) * PI);
    return [lon + dLon, lat + dLat];
}
"""

#: ``ccShapes(data)``: the FeatureCollection of a layer's data (``p`` properties, ``n`` vertices
#: per ring, ``r`` rings per polygon, ``f`` polygons per feature, ``c`` the encoded vertices,
#: always WGS84; ``g`` 1 on a GCJ-02 page: each decoded vertex is shifted by ``ccGcj02``).
DECODER = (
    (
        GCJ02_JS
        + """
function ccShapes(d) {
    var a = "@ALPHABET@", t = {}, s = d.c, at = 0, x = 0, y = 0, ring = 0, poly = 0, out = [];
    for (var i = 0; i < 64; i++) { t[a.charCodeAt(i)] = i; }
    function next() {
        var v = 0, k = 1, c;
        do { c = t[s.charCodeAt(at++)]; v += (c & 31) * k; k *= 32; } while (c >= 32);
        return v % 2 ? -(v + 1) / 2 : v / 2;
    }
    function vertex(lon, lat) { return d.g ? ccGcj02(lon, lat) : [lon, lat]; }
    for (var f = 0; f < d.f.length; f++) {
        var polys = [];
        for (var p = 0; p < d.f[f]; p++, poly++) {
            var rings = [];
            for (var r = 0; r < d.r[poly]; r++, ring++) {
                var pts = [];
                for (var v = 0; v < d.n[ring]; v++) {
                    x += next(); y += next(); pts.push(vertex(x / @SCALE@, y / @SCALE@));
                }
                rings.push(pts);
            }
            polys.push(rings);
        }
        out.push({type: "Feature", properties: d.p[f], geometry: polys.length === 1 ?
            {type: "Polygon", coordinates: polys[0]} :
            {type: "MultiPolygon", coordinates: polys}});
    }
    return {type: "FeatureCollection", features: out};
}
"""
    )
    .replace("@ALPHABET@", ALPHABET)
    .replace("@SCALE@", f"{SCALE:.0f}")
)


def encode(values: np.ndarray) -> str:
    """Return integers as variable-length base-64 text (zig-zag, 5 bits a character).

    Parameters
    ----------
    values : ndarray of int64
        The integers (here, differences of coordinates in 1e-5°).
    """
    values = np.asarray(values, dtype=np.int64)
    zig = (values << 1) ^ (values >> 63)
    if not len(zig):
        return ""
    if int(zig.max()) >= _LIMITS[-1]:
        raise ValueError("a coordinate is out of range for the map encoding")
    # characters after the first; each round looks again only at the values that need more
    # (most steps between vertices take one or two characters)
    more = (zig >= _LIMITS[0]).astype(np.int64)
    at = np.flatnonzero(more)
    for limit in _LIMITS[1:]:
        at = at[zig[at] >= limit]
        if not at.size:
            break
        more[at] += 1
    starts = np.cumsum(more)
    starts += np.arange(len(zig))
    starts -= more
    out = np.empty(int(starts[-1] + more[-1]) + 1, dtype=np.uint8)
    out[starts] = _SYMBOLS[zig & 31 | (more > 0) << 5]
    at = np.flatnonzero(more)
    for k in range(1, int(more.max()) + 1):
        left = more[at]
        out[starts[at] + k] = _SYMBOLS[(zig[at] >> (5 * k)) & 31 | (left > k) << 5]
        at = at[left > k]
    return out.tobytes().decode("ascii")
