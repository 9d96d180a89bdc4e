"""Read planners' tables (CSV in UTF-8 or GBK, XLSX, GeoJSON, GeoPackage) with clear errors."""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from carecircle._inputs import clean_name
from carecircle.errors import InputFileError
from carecircle.geo.vector_io import read_shapefile
from carecircle.sources import DbSource
from carecircle.text import counted

log = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".geojson", ".json", ".gpkg", ".shp")
_ENCODINGS = ("utf-8-sig", "gb18030")
_SHOWN_ROWS = 5


@dataclass(frozen=True)
class Rows:
    """Where each data row sits in its file, for messages (Excel row / CSV line, 1-based).

    Attributes
    ----------
    numbers : ndarray
        File row number of each data row.
    word : str
        ``"row"`` for tables, ``"feature"`` for spatial layers.
    headers : mapping
        Column -> the header it has in the file, for the columns read under an alias
        (``floor_area_m2`` -> ``建筑面积（㎡）``); see :meth:`with_headers`.
    """

    numbers: np.ndarray
    word: str = "row"
    headers: Mapping[str, str] = field(default_factory=dict)

    def one(self, i: int) -> str:
        """Return ``"row 9"`` for data row ``i`` (0-based)."""
        return f"{self.word} {int(self.numbers[i])}"

    def some(self, mask: np.ndarray) -> str:
        """Return ``"rows 45, 46, 47"`` for the rows in ``mask``, the first five and a count."""
        picked = [str(int(n)) for n in self.numbers[np.asarray(mask, dtype=bool)]]
        shown = ", ".join(picked[:_SHOWN_ROWS])
        more = f", … ({len(picked)} {self.word}s)" if len(picked) > _SHOWN_ROWS else ""
        return f"{self.word}s {shown}{more}"

    def keep(self, mask: np.ndarray) -> Rows:
        """Return the rows in ``mask`` (after dropping some data rows)."""
        return Rows(self.numbers[np.asarray(mask, dtype=bool)], self.word, self.headers)

    def with_headers(self, headers: Mapping[str, str]) -> Rows:
        """Return these rows with the file's headers of renamed columns (column -> header)."""
        return Rows(self.numbers, self.word, {**self.headers, **headers})

    def header(self, column: str) -> str | None:
        """Return the file's header of ``column`` when it was read under an alias, else None."""
        return self.headers.get(column)


def counted_rows(df: pd.DataFrame) -> Rows:
    """Return rows counted from 1: features of a spatial layer, rows of a database table.

    Parameters
    ----------
    df : DataFrame
        A table read without file row numbers (a GeoDataFrame counts features).

    Returns
    -------
    Rows
        Row numbers as QGIS or a database client counts them.
    """
    word = "feature" if isinstance(df, gpd.GeoDataFrame) else "row"
    return Rows(np.arange(1, len(df) + 1), word)


def _csv_grid(path: Path) -> tuple[pd.DataFrame, list[int]]:
    """Every record of a CSV as one row of text cells (header included), and its first line.

    Rows may have different lengths (a title line without separators); they are padded.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise InputFileError(f"{path}: the file is empty; export the table again with a header row")
    for encoding in _ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig":
            log.info("%s: read as %s (Chinese Excel encoding)", path, encoding)
        reader = csv.reader(StringIO(text, newline=""), skipinitialspace=True)
        records, lines, line = [], [], 1
        try:
            for record in reader:
                records.append(record)
                lines.append(line)
                line = reader.line_num + 1
        except csv.Error as exc:
            raise InputFileError(
                f"{path}: not a readable CSV table (line {reader.line_num}: "
                f"{exc}); check the separators and quotes"
            ) from None
        width = max((len(r) for r in records), default=0)
        return pd.DataFrame([r + [""] * (width - len(r)) for r in records], dtype=object), lines
    raise InputFileError(f"{path}: text is neither UTF-8 nor GBK/GB18030; save it as UTF-8 CSV")


def _excel_grid(
    path: Path, sheet: str = "", is_header: Callable[[list[str]], bool] | None = None
) -> pd.DataFrame:
    """Every row of one sheet as text cells; grid row ``i`` is Excel row ``i + 1``.

    The sheet is ``sheet`` when given, else the first whose first ten rows hold a header
    (a first sheet of notes is passed over, with a warning naming the sheet read).
    """
    try:
        sheets = pd.read_excel(path, header=None, dtype=str, keep_default_na=False, sheet_name=None)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on bad files
        raise InputFileError(
            f"{path}: not a readable Excel workbook ({exc}); save it as .xlsx"
        ) from None
    names = list(sheets)
    if sheet:
        if sheet not in sheets:
            raise InputFileError(
                f"{path}: no sheet '{sheet}' in the workbook; its sheets: "
                f"{', '.join(repr(n) for n in names)}"
            )
        return sheets[sheet]
    picked = names[0]
    if is_header is not None and len(names) > 1:
        picked = next((n for n in names if _has_header(sheets[n], is_header)), names[0])
        log.warning(
            "%s: read sheet '%s' of %d (%s); to read another, write "
            '{ file = "%s", sheet = "…" } in the study file',
            path,
            picked,
            len(names),
            ", ".join(repr(n) for n in names),
            path.name,
        )
    return sheets[picked]


def _has_header(grid: pd.DataFrame, is_header: Callable[[list[str]], bool]) -> bool:
    """Return True when one of the first ten rows of a sheet is a header."""
    cells = grid.head(10).astype(object).where(grid.head(10).notna(), "")
    return any(is_header([str(v).strip() for v in row]) for row in cells.to_numpy().tolist())


def _column_label(j: int, *, letters: bool) -> str:
    """Column ``j`` (0-based) as the user sees it: ``C`` in Excel, ``3`` in a CSV."""
    if not letters:
        return str(j + 1)
    label = ""
    j += 1
    while j:
        j, rest = divmod(j - 1, 26)
        label = chr(ord("A") + rest) + label
    return label


def table_from_grid(
    grid: pd.DataFrame,
    path: Path,
    *,
    is_header: Callable[[list[str]], bool] | None = None,
    letters: bool = False,
    lines: Sequence[int] | None = None,
) -> tuple[pd.DataFrame, Rows]:
    """Find the header row of a grid of text cells and return the rows below it.

    Fully empty rows and columns with neither a header nor a value (Excel's trailing ``,,``)
    are skipped, with one info line counting them. Control characters (ESC, NUL) are removed
    from every cell: names are echoed to the terminal and written to files.

    Parameters
    ----------
    grid : DataFrame
        Text cells without a header; row ``i`` is line/row ``i + 1`` of the file.
    path : Path
        The file, for messages.
    is_header : callable, optional
        True for the cells of a header row; the first of the first ten non-empty rows for
        which it holds is the header (rows above it, e.g. a title, are skipped with a
        warning). Default, or when no row qualifies: the first non-empty row.
    letters : bool, default False
        Name headerless columns by Excel letters (``I``) rather than numbers (``9``).
    lines : sequence of int, optional
        File line of each grid row (CSV records spanning lines); default ``i + 1``.

    Returns
    -------
    table : DataFrame
        Stripped text cells.
    rows : Rows
        The file row number of each row (1-based, as Excel and text editors count, header
        included).

    Raises
    ------
    InputFileError
        When no cell holds a value.
    """
    cells = grid.astype(object).where(grid.notna(), "").map(lambda v: clean_name(str(v)))
    filled = (cells != "").to_numpy()
    numbers = np.arange(1, len(grid) + 1) if lines is None else np.asarray(lines)
    nonempty = np.flatnonzero(filled.any(axis=1))
    if nonempty.size == 0:
        raise InputFileError(f"{path}: the file is empty; export the table again with a header row")
    head = int(nonempty[0])
    if is_header is not None:
        head = next((int(r) for r in nonempty[:10] if is_header(cells.iloc[r].tolist())), head)
    if head != nonempty[0]:
        log.warning(
            "%s: header found on row %d (rows above it, e.g. a title or merged cells, are skipped)",
            path,
            int(numbers[head]),
        )
    headers = cells.iloc[head].tolist()
    if is_header is not None and head + 1 < len(cells) and is_header(cells.iloc[head + 1].tolist()):
        headers = [b or a for a, b in zip(headers, cells.iloc[head + 1].tolist(), strict=True)]
        log.warning(
            "%s: two header rows (%d and %d) read as one: %s",
            path,
            int(numbers[head]),
            int(numbers[head + 1]),
            ", ".join(h for h in headers if h),
        )
        head += 1
    body, body_filled = cells.iloc[head + 1 :], filled[head + 1 :]
    keep_cols, names, seen = [], [], set()
    for j, header in enumerate(headers):
        if not header and not body_filled[:, j].any():
            continue
        label = _column_label(j, letters=letters)
        name = header or f"column {label} (no header)"
        if name in seen:
            name = f"{name} (column {label})"
        seen.add(name)
        keep_cols.append(j)
        names.append(name)
    keep_rows = body_filled.any(axis=1)
    out = body.iloc[np.flatnonzero(keep_rows), keep_cols].reset_index(drop=True)
    out.columns = names
    rows = Rows(np.asarray(numbers[head + 1 :][keep_rows], dtype=np.int64))
    skipped = [
        counted(n, one, many)
        for n, one, many in (
            (int((~keep_rows).sum()), "empty row", "empty rows"),
            (
                cells.shape[1] - len(keep_cols),
                "empty column without a header",
                "empty columns without a header",
            ),
        )
        if n
    ]
    if skipped:
        log.info("%s: skipped %s", path, " and ".join(skipped))
    return out, rows


def read_csv_any_encoding(
    path: Path, *, is_header: Callable[[list[str]], bool] | None = None
) -> tuple[pd.DataFrame, Rows]:
    """Read a CSV saved as UTF-8 (with or without BOM) or by Chinese Excel (GBK/GB18030).

    Parameters
    ----------
    path : Path
        The CSV file.
    is_header : callable, optional
        Recognises the header row, as in :func:`table_from_grid`.

    Returns
    -------
    table : pandas.DataFrame
        All columns as text; blank cells are empty strings.
    rows : Rows
        Each row's line in the file.

    Raises
    ------
    InputFileError
        When the file is empty or in no known encoding.
    """
    grid, lines = _csv_grid(path)
    return table_from_grid(grid, path, is_header=is_header, lines=lines)


def read_table(
    path: Path | DbSource,
    *,
    is_header: Callable[[list[str]], bool] | None = None,
    sheet: str = "",
) -> pd.DataFrame | gpd.GeoDataFrame:
    """Read a table by its file type (:func:`read_table_rows` without the row numbers).

    Parameters
    ----------
    path : Path
        CSV, XLSX, GeoJSON, GeoPackage or Shapefile.
    is_header : callable, optional
        For CSV and XLSX: recognises the header row below a title (:func:`table_from_grid`).
    sheet : str, optional
        XLSX sheet to read; default the first holding a header row.

    Returns
    -------
    DataFrame or GeoDataFrame
        Spatial formats return a GeoDataFrame with its CRS; CSV and XLSX: text cells.

    Raises
    ------
    InputFileError
        When the file is missing, of an unsupported type, or unreadable.
    """
    return read_table_rows(path, is_header=is_header, sheet=sheet)[0]


def read_table_rows(
    path: Path | DbSource,
    *,
    is_header: Callable[[list[str]], bool] | None = None,
    sheet: str = "",
) -> tuple[pd.DataFrame | gpd.GeoDataFrame, Rows]:
    """Read a table by its file type, with the file row of each of its rows.

    Parameters
    ----------
    path : Path
        CSV, XLSX, GeoJSON, GeoPackage or Shapefile.
    is_header : callable, optional
        For CSV and XLSX: recognises the header row below a title (:func:`table_from_grid`).
    sheet : str, optional
        XLSX sheet to read; default the first holding a header row.

    Returns
    -------
    table : DataFrame or GeoDataFrame
        Spatial formats return a GeoDataFrame with its CRS; CSV and XLSX: text cells.
    rows : Rows
        Each row's line/row number in a CSV or XLSX file; features (rows of a database
        table) counted from 1.

    Raises
    ------
    InputFileError
        When the file is missing, of an unsupported type, or unreadable.
    """
    if isinstance(path, DbSource):
        from carecircle.geo.postgis import read_db

        db = read_db(path)
        return db, counted_rows(db)
    if not path.is_file():
        raise InputFileError(f"{path}: file not found; check the path in the study file")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputFileError(
            f"{path}: unsupported file type '{suffix}'; use CSV, XLSX, GeoJSON or GeoPackage"
        )
    if suffix in (".csv", ".txt"):
        return read_csv_any_encoding(path, is_header=is_header)
    if suffix in (".xlsx", ".xls"):
        grid = _excel_grid(path, sheet, is_header)
        return table_from_grid(grid, path, is_header=is_header, letters=True)
    try:
        layer = read_shapefile(path) if suffix == ".shp" else gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - GDAL errors come in several types
        raise InputFileError(
            f"{path}: not a readable spatial file ({exc}); check that it opens in QGIS"
        ) from None
    return layer, counted_rows(layer)
