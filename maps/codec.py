"""The compact coordinates of the HTML maps: integers as variable-length base-64 text.

A layer's vertices, rounded to 1e-5° (~1 m), are written as the differences between
consecutive vertices, each a zig-zag integer in 5-bit groups, one character of a URL-safe
base-64 alphabet per group (the sixth bit tells that another group follows), as Google's
polyline format does. :data:`DECODER` (``ccShapes`` in the page) reads them back to
GeoJSON with exactly the rounded coordinates.
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

#: ``ccShapes(data)``: the FeatureCollection of a layer's data (``p`` properties, ``n`` vertices
#: per ring, ``r`` rings per polygon, ``f`` polygons per feature, ``c`` the encoded vertices).
DECODER = """
function ccShapes(d) {
    var a = "@ALPHABET@", t = {}, s = d.c, at = 0, x = 0, y = 0, ring = 0, poly = 0, out = [];
    for (var i = 0; i < 64; i++) { t[a.charCodeAt(i)] = i; }
    function next() {
        var v = 0, k = 1, c;
        do { c = t[s.charCodeAt(at++)]; v += (c & 31) * k; k *= 32; } while (c >= 32);
        return v % 2 ? -(v + 1) / 2 : v / 2;
    }
    for (var f = 0; f < d.f.length; f++) {
        var polys = [];
        for (var p = 0; p < d.f[f]; p++, poly++) {
            var rings = [];
            for (var r = 0; r < d.r[poly]; r++, ring++) {
                var pts = [];
                for (var v = 0; v < d.n[ring]; v++) {
                    x += next(); y += next(); pts.push([x / @SCALE@, y / @SCALE@]);
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
""".replace("@ALPHABET@", ALPHABET).replace("@SCALE@", f"{SCALE:.0f}")


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
