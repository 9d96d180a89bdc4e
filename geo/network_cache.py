"""The network array cache: a projected walking network stored as ``.npz`` arrays.

:func:`carecircle.geo.network_io.load_network` keys each file by the input's SHA-256, the
reading options and the CRS; a file that cannot be read (truncated, empty, of another
version) is discarded with a warning and the network is read again.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from pyproj import CRS

from carecircle.geo.chains import core_arrays, core_from_arrays
from carecircle.geo.network import WalkNetwork

log = logging.getLogger(__name__)

CACHE_VERSION = 3  # 2: the routing core is stored with the network; 3: reader counters as JSON


def write_cache(path: Path, net: WalkNetwork, meta: dict[str, Any]) -> None:
    """Write the network and the reader's counters (``meta``) to a cache file atomically.

    Parameters
    ----------
    path : Path
        The cache file (``network-<key>.npz``); its folder is created.
    net : WalkNetwork
        The projected network, with its routing core.
    meta : dict
        The reader's counters (``format``, ``lines_read``, …), stored as JSON.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial.npz")
    g = net.graph
    np.savez(
        tmp,
        node_id=net.node_id,
        x=net.x,
        y=net.y,
        lon=net.lon,
        lat=net.lat,
        edge_u=net.edge_u,
        edge_v=net.edge_v,
        edge_length=net.edge_length,
        indptr=g.indptr,
        indices=g.indices,
        data=g.data,
        dropped=np.array([net.dropped_nodes, net.dropped_components]),
        crs=np.array(net.crs.to_wkt()),
        meta=np.array(json.dumps(meta, sort_keys=True)),
        **core_arrays(net.routing_core),  # type: ignore[arg-type]  # numpy types **kwds oddly
    )
    os.replace(tmp, path)


def read_cache(path: Path) -> tuple[WalkNetwork, dict[str, Any]]:
    """Read a cache file written by :func:`write_cache`.

    Raises
    ------
    OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile
        When the file is truncated, empty or not a network cache of this version.
    """
    with path.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
        n = z["x"].size
        graph = sp.csr_array((z["data"], z["indices"], z["indptr"]), shape=(n, n))
        dropped = z["dropped"]
        core = core_from_arrays(z) if "core_node_chain" in z.files else None
        net = WalkNetwork(
            crs=CRS.from_wkt(str(z["crs"])),
            node_id=z["node_id"],
            x=z["x"],
            y=z["y"],
            lon=z["lon"],
            lat=z["lat"],
            edge_u=z["edge_u"],
            edge_v=z["edge_v"],
            edge_length=z["edge_length"],
            graph=graph,
            dropped_nodes=int(dropped[0]),
            dropped_components=int(dropped[1]),
            core=core,
        )
        meta = json.loads(str(z["meta"])) if "meta" in z.files else _meta_v2(z)
    if not isinstance(meta, dict) or net.edge_u.size != net.edge_length.size:
        raise ValueError("inconsistent cache file")
    return net, meta


def _meta_v2(z: Any) -> dict[str, Any]:
    """Return the counters of a version-2 file (as the benchmarks' lattice files may be)."""
    dropped = z["dropped"]
    return {
        "format": str(z["fmt"]),
        "lines_read": int(dropped[2]),
        "lines_kept": int(dropped[3]),
        "missing_refs": int(dropped[4]),
    }


#: what reading a damaged cache file may raise (numpy, zipfile, pyproj, json)
_BAD_CACHE = (
    OSError,
    ValueError,
    KeyError,
    EOFError,
    IndexError,
    TypeError,
    AttributeError,
    zipfile.BadZipFile,
)


def load_cached(cached: Path) -> tuple[WalkNetwork, dict[str, Any]] | None:
    """Return the cached network, or None after discarding an unreadable cache file."""
    try:
        return read_cache(cached)
    except _BAD_CACHE as exc:
        log.warning(
            "network cache %s could not be read (%s: %s); it was deleted and the network is "
            "read again from its file",
            cached,
            type(exc).__name__,
            exc,
        )
        cached.unlink(missing_ok=True)
        return None
