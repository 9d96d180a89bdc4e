"""Where a study's inputs come from: files, database tables or queries, and their datums.

:class:`DbSource` (a PostgreSQL table or query), :class:`FacilitySource` (a facility table and
the datum of its coordinates) and the readers of ``[inputs]`` values into them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carecircle._inputs import FACILITY_CRS, facility_crs
from carecircle._validate import check_keys, get_str
from carecircle.errors import StudyFileError


@dataclass(frozen=True)
class DbSource:
    """A table or query in a PostgreSQL database.

    Attributes
    ----------
    url : str
        ``postgresql://user@host:port/dbname`` (a socket folder may be given as
        ``?host=/path``).
    table : str
        ``schema.table`` to read, or empty when ``query`` is given.
    query : str
        A SELECT returning the rows (with a ``geometry`` column for spatial layers).
    """

    url: str
    table: str = ""
    query: str = ""

    def __str__(self) -> str:
        return self.describe()

    @property
    def name(self) -> str:
        """Short name, like a file name: the table, or ``query``."""
        return self.table or "query"

    def describe(self) -> str:
        """Return a short text for messages (no password)."""
        where = self.table or "query"
        host = self.url.split("@")[-1]
        return f"postgresql://…@{host} {where}"


Source = Path | DbSource


@dataclass(frozen=True)
class FacilitySource:
    """One facility table (file or database) and the coordinate system of its lon/lat.

    Attributes
    ----------
    path : Path or DbSource
        The table.
    crs : str
        ``EPSG:4326``, ``GCJ-02``, ``BD-09`` or another EPSG code (``EPSG:4547``: x/y metres).
    sheet : str
        XLSX sheet to read (``{ file = "x.xlsx", sheet = "设施" }``); empty: found by its header.
    """

    path: Source
    crs: str
    sheet: str = ""


def _as_list(value: Any, key: str, path: Path) -> list[Any]:
    if isinstance(value, str | dict):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str | dict) for v in value):
        return list(value)
    raise StudyFileError(f"{path}: [inputs] {key} must be a file name or a list of file names")


def input_source(value: Any, key: str, path: Path) -> Source:
    """Return a file (relative to the study) or a database source ``{ url, table | query }``.

    Parameters
    ----------
    value : str or dict
        The ``[inputs]`` value: a file name, or ``{ url, table }`` / ``{ url, query }``.
    key : str
        Its key in ``[inputs]``, for messages.
    path : Path
        The study file; a file name is relative to its folder.

    Raises
    ------
    StudyFileError
        For anything else.
    """
    if isinstance(value, str) and value.strip():
        return path.parent / value
    if isinstance(value, dict):
        check_keys(
            value,
            ("url", "table", "query"),
            where=f"[inputs] {key}",
            path=path,
            error=StudyFileError,
        )
        url, table, query = value.get("url", ""), value.get("table", ""), value.get("query", "")
        ok = (
            isinstance(url, str)
            and url.startswith(("postgresql://", "postgres://"))
            and isinstance(table, str)
            and isinstance(query, str)
        )
        if ok and bool(table) != bool(query):
            return DbSource(url.replace("postgres://", "postgresql://", 1), table, query)
    raise StudyFileError(
        f"{path}: [inputs] {key} must be a file name, or a database source "
        '{ url = "postgresql://user@host/db", table = "schema.table" } '
        '(or query = "SELECT ...")'
    )


def boundaries_datum(inputs: dict[str, Any], path: Path) -> str:
    """Return the datum of the boundary files' lon/lat: EPSG:4326, GCJ-02 or BD-09.

    Parameters
    ----------
    inputs : dict
        The study's ``[inputs]`` (``boundaries_crs``, default EPSG:4326).
    path : Path
        The study file, for messages.
    """
    crs = str(inputs.get("boundaries_crs", "EPSG:4326"))
    if crs.upper() not in FACILITY_CRS:
        raise StudyFileError(
            f"{path}: [inputs] boundaries_crs = '{crs}'; allowed: {', '.join(FACILITY_CRS)}"
        )
    return "EPSG:4326" if crs.upper() in ("WGS84", "EPSG:4326") else crs.upper()


def facility_sources(inputs: dict[str, Any], path: Path) -> tuple[FacilitySource, ...]:
    """Return the facility tables of ``[inputs]``, each with the datum of its coordinates.

    Parameters
    ----------
    inputs : dict
        The study's ``[inputs]``: ``facilities`` (one file or a list, a sheet as
        ``{ file, sheet }``) and ``facilities_crs`` (one, or one per file).
    path : Path
        The study file; file names are relative to its folder.
    """
    if "facilities" not in inputs:
        raise StudyFileError(f'{path}: [inputs] needs facilities = "facilities.csv"')
    files = _as_list(inputs["facilities"], "facilities", path)
    crs_list = _as_list(inputs.get("facilities_crs", "EPSG:4326"), "facilities_crs", path)
    if len(crs_list) == 1:
        crs_list = crs_list * len(files)
    if len(crs_list) != len(files):
        raise StudyFileError(
            f"{path}: [inputs] facilities_crs has {len(crs_list)} entries for {len(files)} "
            "facility files; give one CRS, or one per file"
        )
    sources = []
    for file, crs in zip(files, crs_list, strict=True):
        canonical = facility_crs(crs, path)
        if isinstance(file, dict) and "file" in file:
            sources.append(_sheet_source(file, canonical, path))
        else:
            sources.append(FacilitySource(input_source(file, "facilities", path), canonical))
    return tuple(sources)


def _sheet_source(value: dict[str, Any], crs: str, path: Path) -> FacilitySource:
    """Return ``{ file = "x.xlsx", sheet = "设施" }`` as a facility source."""
    check_keys(
        value, ("file", "sheet"), where="[inputs] facilities", path=path, error=StudyFileError
    )
    kw: dict[str, Any] = {"where": "[inputs] facilities", "path": path, "error": StudyFileError}
    file = get_str(value, "file", None, **kw)
    sheet = get_str(value, "sheet", "", **kw) or ""
    return FacilitySource(path.parent / str(file), crs, sheet)
