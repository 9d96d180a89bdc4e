"""A large GeoPackage layer (the cells) written once, in batches, and stoppable with Ctrl-C.

A million cells written by one ``pyogrio.write_dataframe`` call is one C call of ~5 s in
which Python cannot answer Ctrl-C. Here the layer is still written once (one GDAL layer, its
spatial index built once at the end) but fed through an Arrow stream of batches of
:data:`BATCH_ROWS` rows: the WKB of each batch is made when GDAL asks for it, and Python runs
between batches, so a Ctrl-C stops the write within a batch (~0.5 s at 100,000 rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from carecircle.geo.vector_io import gpkg_gdal_options

#: Rows per Arrow batch handed to GDAL: Ctrl-C is answered between two of them.
BATCH_ROWS = 100_000

_SINGLE_TYPES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint"}
_SINGLE_TYPES |= {5: "MultiLineString", 6: "MultiPolygon"}


def geometry_type(geoms: np.ndarray) -> str | None:
    """Return the one OGR geometry type of 2-D geometries, or None when mixed, empty or 3-D.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        The layer's geometries.
    """
    ids = np.unique(shapely.get_type_id(geoms))
    if len(ids) != 1 or int(ids[0]) not in _SINGLE_TYPES or shapely.has_z(geoms).any():
        return None
    return _SINGLE_TYPES[int(ids[0])]


def _crs_text(frame: gpd.GeoDataFrame) -> str | None:
    """Return the CRS as pyogrio writes it: ``EPSG:n`` when it has a code, else WKT."""
    if frame.crs is None:
        return None
    epsg = frame.crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else frame.crs.to_wkt("WKT1_GDAL")


def _arrow_batches(frame: gpd.GeoDataFrame, rows: int) -> tuple[object, Iterator[object]]:
    """Return the stream's schema and its batches (attributes + WKB, made batch by batch)."""
    import pyarrow as pa

    name = frame.geometry.name
    attrs = pa.Table.from_pandas(
        pd.DataFrame(frame.drop(columns=[name]), copy=False), preserve_index=False
    )
    attrs = attrs.replace_schema_metadata(None)
    for i, field in enumerate(attrs.schema):  # GDAL has no null type (an all-empty column)
        if pa.types.is_null(field.type):
            attrs = attrs.set_column(i, field.with_type(pa.string()), attrs[i].cast(pa.string()))
    geom_field = pa.field(name, pa.binary())
    schema = attrs.schema.append(geom_field)
    geoms = frame.geometry.to_numpy()

    def batches() -> Iterator[object]:
        for start in range(0, len(frame), rows):
            wkb = pa.array(shapely.to_wkb(geoms[start : start + rows]), type=pa.binary())
            part = attrs.slice(start, rows).append_column(geom_field, wkb)
            yield from part.to_batches()

    return schema, batches()


def write_layer(frame: gpd.GeoDataFrame, path: Path, layer: str, *, rows: int = BATCH_ROWS) -> None:
    """Write ``frame`` as the first layer of a new GeoPackage, batch by batch (see module).

    Parameters
    ----------
    frame : GeoDataFrame
        The layer (one geometry type; otherwise it is written by ``geo.vector_io`` at once).
    path : Path
        The GeoPackage to create.
    layer : str
        Layer name.
    rows : int, default BATCH_ROWS
        Rows per batch.

    Raises
    ------
    KeyboardInterrupt
        On Ctrl-C during the write (GDAL's error about the stopped stream is not shown).
    """
    import pyarrow as pa
    import pyogrio.raw

    from carecircle.geo.vector_io import write_gpkg

    kind = geometry_type(frame.geometry.to_numpy())
    if kind is None or len(frame) == 0:
        write_gpkg(frame, path, layer)
        return
    schema, batches = _arrow_batches(frame, rows)
    stopped: list[bool] = []

    def watched() -> Iterator[object]:
        try:
            yield from batches
        except KeyboardInterrupt:
            stopped.append(True)
            raise

    reader = pa.RecordBatchReader.from_batches(schema, watched())
    with gpkg_gdal_options():
        try:
            pyogrio.raw.write_arrow(
                reader,
                path,
                layer=layer,
                driver="GPKG",
                geometry_name=frame.geometry.name,
                geometry_type=kind,
                crs=_crs_text(frame),
            )
        except Exception:
            if stopped:  # Ctrl-C inside the stream reaches here as GDAL's read error
                raise KeyboardInterrupt from None
            raise
