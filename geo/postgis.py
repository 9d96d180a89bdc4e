"""PostgreSQL/PostGIS in and out: read facilities and boundaries, write result tables.

Every identifier (schema, table, column) that reaches SQL text is quoted with
``psycopg.sql.Identifier`` (or by SQLAlchemy's own quoting inside pandas/geopandas writers),
after :func:`checked_identifier` refused what PostgreSQL cannot hold; statements built here run
on the driver's cursor, so no name is ever parsed as SQL, a bind parameter or a placeholder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import pandas as pd

from carecircle.errors import InputFileError, OutputError
from carecircle.sources import DbSource

if TYPE_CHECKING:
    import psycopg
    from psycopg.sql import SQL, Composed
    from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

#: PostgreSQL's NAMEDATALEN - 1: longer names are cut silently, so two could become one.
MAX_IDENTIFIER_BYTES = 63


def engine(url: str, *, read_only: bool = False) -> Engine:
    """Return an SQLAlchemy engine for ``url`` (psycopg 3 driver).

    Parameters
    ----------
    url : str
        ``postgresql://`` URL.
    read_only : bool, default False
        Open every session read-only (``default_transaction_read_only``): reading inputs can
        then change nothing, whatever the query says.
    """
    import sqlalchemy

    url = _driver_url(url)
    connect_args = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    # no pool: every connection is closed when its block ends
    return sqlalchemy.create_engine(
        url, poolclass=sqlalchemy.pool.NullPool, connect_args=connect_args
    )


def checked_identifier(name: str, what: str) -> str:
    """Return ``name`` if PostgreSQL can hold it as a quoted identifier; refuse it otherwise.

    Quotes, semicolons, spaces, dots and Chinese characters are all fine once quoted; an
    empty name, a NUL character or more than 63 bytes (PostgreSQL would cut the name
    silently) are not.

    Parameters
    ----------
    name : str
        The identifier.
    what : str
        What it names in the message, e.g. ``"--schema"``.

    Returns
    -------
    str
        ``name``.

    Raises
    ------
    OutputError
        Naming the identifier, the problem and the fix.
    """
    shown = repr(name)
    if not name.strip():
        raise OutputError(f"{what} {shown}: 名称为空 / the name is empty; give a name")
    if "\x00" in name:
        raise OutputError(
            f"{what} {shown}: 名称含 NUL 字符 / PostgreSQL names cannot hold a NUL character"
        )
    size = len(name.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES:
        raise OutputError(
            f"{what} {shown}: 名称过长 / the name is {size} bytes and PostgreSQL names hold at "
            f"most {MAX_IDENTIFIER_BYTES} (a Chinese character takes 3); give a shorter name"
        )
    return name


def checked_url(url: str) -> str:
    """Return ``url`` if it reads as a PostgreSQL URL (nothing is connected yet).

    Raises
    ------
    OutputError
        For text that is not a ``postgresql://`` URL.
    """
    import sqlalchemy

    try:
        parsed = sqlalchemy.engine.make_url(_driver_url(url))
    except sqlalchemy.exc.ArgumentError:
        parsed = None
    if parsed is None or parsed.get_backend_name() != "postgresql":
        shown = (
            parsed.render_as_string(hide_password=True)
            if parsed is not None
            else "…@" + url.rsplit("@", maxsplit=1)[-1]
            if "@" in url
            else url
        )
        raise OutputError(
            f"--to-postgis {shown!r}: 不是 PostgreSQL 地址 / not a PostgreSQL URL; write e.g. "
            "postgresql://user@host:5432/db"
        )
    return url


def _driver_url(url: str) -> str:
    """``postgresql://`` (or ``postgres://``) with the psycopg 3 driver named."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def checked_schema(schema: str) -> str:
    """Return ``schema`` if results may be written into it (see :func:`checked_identifier`).

    Raises
    ------
    OutputError
        For a name PostgreSQL cannot hold, or one it reserves (``pg_…``).
    """
    checked_identifier(schema, "--schema")
    if schema.lower().startswith("pg_") or schema == "information_schema":
        raise OutputError(
            f"--schema {schema!r}: PostgreSQL 保留此名 / PostgreSQL reserves this schema "
            "name for itself; choose another, e.g. --schema carecircle"
        )
    return schema


def table_name(source: DbSource) -> tuple[str, ...]:
    """Return the ``(schema, table)`` or ``(table,)`` of a database source's ``table``.

    Raises
    ------
    InputFileError
        For more than one dot, or a part PostgreSQL cannot hold.
    """
    parts = tuple(source.table.split("."))
    if len(parts) > 2:
        raise InputFileError(
            f"{source.describe()}: table = {source.table!r} has {len(parts)} parts; give "
            '"schema.table" or "table" (a name with a dot inside: use query = "SELECT …")'
        )
    for part in parts:
        try:
            checked_identifier(part, "table")
        except OutputError as exc:
            raise InputFileError(f"{source.describe()}: {exc}") from None
    return parts


def _driver(con: Connection) -> psycopg.Connection[Any]:
    """Return the psycopg connection under a SQLAlchemy one (:func:`engine` uses psycopg)."""
    return cast("psycopg.Connection[Any]", con.connection.dbapi_connection)


def _select(source: DbSource, *, limit_zero: bool = False) -> Composed | SQL:
    """Return the SELECT of a source: the table quoted, or the planner's query as written."""
    from psycopg import sql

    query: Composed | SQL
    if source.table:
        query = sql.SQL("SELECT * FROM {}").format(sql.Identifier(*table_name(source)))
    else:
        query = sql.SQL(source.query)  # the planner's own SQL, run read-only
    if limit_zero:
        query = sql.SQL("SELECT * FROM ({}) AS q LIMIT 0").format(query)
    return query


def _columns(con: Connection, query: Composed | SQL) -> list[str]:
    """Column names of ``query``'s result, run on the driver's cursor (no bind parsing)."""
    with _driver(con).cursor() as cur:
        cur.execute(query)
        return [d.name for d in cur.description or ()]


def read_db(source: DbSource) -> pd.DataFrame | gpd.GeoDataFrame:
    """Read a table or query; a result with a ``geometry`` column is a GeoDataFrame with CRS.

    The session is read-only, and a ``table`` is quoted as an identifier, so a source can
    read but never change the database.

    Raises
    ------
    InputFileError
        When the database cannot be reached or the SQL fails, naming the source and the fix.
    """
    import psycopg
    import sqlalchemy

    if source.table:
        table_name(source)  # refuse what PostgreSQL cannot name before connecting
    try:
        with engine(source.url, read_only=True).connect() as con:
            raw = _driver(con)
            columns = _columns(con, _select(source, limit_zero=True))
            text = _select(source).as_string(raw)
            # exec_driver_sql-style: the text goes to the driver as it is (no ``:name`` binds)
            plain = con.execution_options(no_parameters=True)
            if "geometry" in columns:
                return gpd.read_postgis(text, plain, geom_col="geometry")
            return pd.read_sql(text, plain)
    except (sqlalchemy.exc.SQLAlchemyError, psycopg.Error) as exc:
        orig = getattr(exc, "orig", None) or exc
        reason = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
        raise InputFileError(
            f"{source.describe()}: cannot read from the database ({reason}); "
            "check the URL, the table name and that PostGIS is installed"
        ) from None


def _execute(con: Connection, query: Composed | SQL) -> None:
    """Run a composed statement on the connection's driver cursor (same transaction)."""
    with _driver(con).cursor() as cur:
        cur.execute(query)


def _copy_rows(schema: str) -> Callable[[Any, Connection, list[str], Iterable[tuple]], None]:
    """Return a pandas ``to_sql`` method that loads rows with COPY, every name quoted.

    pandas' and geopandas' own COPY text quotes names for SQLAlchemy's ``%`` escaping, which a
    statement without parameters never undoes: a ``%`` in a name then points at another name.
    """
    from psycopg import sql

    def copy(table: Any, con: Connection, keys: list[str], rows: Iterable[tuple]) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(schema, table.name), sql.SQL(", ").join(map(sql.Identifier, keys))
        )
        with _driver(con).cursor() as cur, cur.copy(statement) as out:
            for row in rows:
                out.write_row(row)

    return copy


def _geometry_frame(frame: gpd.GeoDataFrame) -> tuple[pd.DataFrame, dict]:
    """Return the table with its geometry as hex EWKB (EPSG:4326) and the column's type."""
    import shapely
    from geoalchemy2 import Geometry

    frame = frame.to_crs(4326)
    name = frame.geometry.name
    kinds = frame.geom_type.dropna().unique()
    kind = str(kinds[0]).upper() if len(kinds) == 1 else "GEOMETRY"
    if kind == "LINEARRING":
        kind = "GEOMETRY"
    if frame.geometry.has_z.any():
        kind += "Z"
    values = frame.geometry.to_numpy()
    ewkb = shapely.to_wkb(shapely.set_srid(values, 4326), hex=True, include_srid=True)
    table = pd.DataFrame(frame.drop(columns=name))
    table[name] = [None if g is None else w for g, w in zip(values, ewkb, strict=True)]
    return table, {name: Geometry(geometry_type=kind, srid=4326)}


def _write_table(con: Connection, schema: str, name: str, frame: pd.DataFrame) -> None:
    """Replace one table; a GeoDataFrame's geometry gets a typed column and a GiST index."""
    dtype = None
    if isinstance(frame, gpd.GeoDataFrame):
        frame, dtype = _geometry_frame(frame)
    frame.to_sql(
        name,
        con,
        schema=schema,
        if_exists="replace",
        index=False,
        dtype=dtype,
        method=_copy_rows(schema),
    )


#: Comment on every table carecircle writes: only such tables are ever replaced.
OUTPUT_COMMENT = "carecircle output (replaced by the next carecircle audit --to-postgis)"


def _refuse_foreign_tables(con: Connection, schema: str, names: list[str]) -> None:
    """Refuse to replace a table of ``schema`` that carecircle did not write (no comment).

    Raises
    ------
    OutputError
        Naming the tables and the fix (another ``--schema``).
    """
    query = (
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = ANY(%s) "
        "AND coalesce(obj_description(c.oid, 'pg_class'), '') <> %s ORDER BY 1"
    )
    with _driver(con).cursor() as cur:
        cur.execute(query, (schema, names, OUTPUT_COMMENT))
        foreign = [row[0] for row in cur.fetchall()]
    if foreign:
        raise OutputError(
            f"--schema {schema!r} already holds {', '.join(foreign)}, not written by "
            "carecircle: 不覆盖 / nothing was replaced; write into another schema "
            "(e.g. --schema carecircle) or drop those tables yourself"
        )


def write_tables(url: str, schema: str, tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Write result tables into ``schema``, replacing them, in one transaction.

    Spatial tables are written in EPSG:4326 with a GiST index on ``geometry``; a failure rolls
    everything back, so a re-run either replaces all of its tables or none. Only tables that
    carecircle wrote (marked by :data:`OUTPUT_COMMENT`) are replaced: a table of the same name
    that someone else made, such as an input ``public.streets``, stops the write.

    Parameters
    ----------
    url : str
        Database URL.
    schema : str
        Target schema (created when missing); any name PostgreSQL can hold.
    tables : mapping
        Table name -> DataFrame or GeoDataFrame.

    Returns
    -------
    list of str
        ``schema.table`` names written.

    Raises
    ------
    OutputError
        For a name PostgreSQL cannot hold, a table carecircle did not write, or when the
        database refuses the write.
    """
    import psycopg
    import sqlalchemy
    from psycopg import sql

    checked_schema(schema)
    for name, frame in tables.items():
        checked_identifier(name, "table")
        for column in frame.columns:
            checked_identifier(str(column), f"table {name} column")
    written = []
    try:
        with engine(url).begin() as con:
            _execute(con, sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            _refuse_foreign_tables(con, schema, list(tables))
            for name, frame in tables.items():
                drop = sql.SQL("DROP TABLE IF EXISTS {} CASCADE")
                _execute(con, drop.format(sql.Identifier(schema, name)))
                _write_table(con, schema, name, frame)
                comment = sql.SQL("COMMENT ON TABLE {} IS {}").format(
                    sql.Identifier(schema, name), sql.Literal(OUTPUT_COMMENT)
                )
                _execute(con, comment)
                written.append(f"{schema}.{name}")
    except (sqlalchemy.exc.SQLAlchemyError, psycopg.Error) as exc:
        orig = getattr(exc, "orig", None) or exc
        reason = str(orig).splitlines()[0]
        host = url.rsplit("@", maxsplit=1)[-1]
        raise OutputError(
            f"cannot write to {host} schema {schema!r} ({reason}); nothing was changed"
        ) from None
    log.info("wrote %d tables to schema %s", len(written), schema)
    return written
