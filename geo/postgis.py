"""PostgreSQL/PostGIS in and out: read facilities and boundaries, write result tables."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from carecircle.config import DbSource
from carecircle.errors import InputFileError, OutputError

log = logging.getLogger(__name__)


def engine(url: str):
    """Return an SQLAlchemy engine for ``url`` (psycopg 3 driver)."""
    import sqlalchemy

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # no pool: every connection is closed when its block ends
    return sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)


def read_db(source: DbSource) -> pd.DataFrame | gpd.GeoDataFrame:
    """Read a table or query; a result with a ``geometry`` column is a GeoDataFrame with CRS.

    Raises
    ------
    InputFileError
        When the database cannot be reached or the SQL fails, naming the source and the fix.
    """
    import sqlalchemy

    try:
        with engine(source.url).connect() as con:
            sql = sqlalchemy.text(source.sql())
            columns = con.execute(
                sqlalchemy.text(f"SELECT * FROM ({source.sql()}) AS q LIMIT 0")
            ).keys()
            if "geometry" in columns:
                return gpd.read_postgis(sql, con, geom_col="geometry")
            return pd.read_sql(sql, con)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        reason = str(exc.orig if hasattr(exc, "orig") and exc.orig else exc).splitlines()[0]
        raise InputFileError(
            f"{source.describe()}: cannot read from the database ({reason}); "
            "check the URL, the table name and that PostGIS is installed"
        ) from None


def write_tables(url: str, schema: str, tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Write result tables into ``schema``, replacing them, in one transaction.

    Spatial tables are written in EPSG:4326 with a GiST index on ``geometry``; a failure rolls
    everything back, so a re-run either replaces all of its tables or none.

    Parameters
    ----------
    url : str
        Database URL.
    schema : str
        Target schema (created when missing).
    tables : mapping
        Table name -> DataFrame or GeoDataFrame.

    Returns
    -------
    list of str
        ``schema.table`` names written.

    Raises
    ------
    OutputError
        When the database refuses the write.
    """
    import sqlalchemy

    written = []
    try:
        with engine(url).begin() as con:
            con.execute(sqlalchemy.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            for name, frame in tables.items():
                drop = f'DROP TABLE IF EXISTS "{schema}"."{name}" CASCADE'
                con.execute(sqlalchemy.text(drop))
                if isinstance(frame, gpd.GeoDataFrame):
                    frame.to_crs(4326).to_postgis(
                        name, con, schema=schema, if_exists="replace", index=False
                    )
                else:
                    frame.to_sql(name, con, schema=schema, if_exists="replace", index=False)
                written.append(f"{schema}.{name}")
    except sqlalchemy.exc.SQLAlchemyError as exc:
        reason = str(exc.orig if hasattr(exc, "orig") and exc.orig else exc).splitlines()[0]
        host = url.rsplit("@", maxsplit=1)[-1]
        raise OutputError(
            f"cannot write to {host} schema {schema} ({reason}); nothing was changed"
        ) from None
    log.info("wrote %d tables to schema %s", len(written), schema)
    return written
