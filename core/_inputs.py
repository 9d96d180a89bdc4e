"""Input entries of a study file: facility CRS, raster bands, the file's encoding, names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carecircle._validate import check_keys, get_str
from carecircle.errors import StudyFileError

#: Coordinate systems a facility file may be given in (besides any EPSG code).
FACILITY_CRS = ("EPSG:4326", "WGS84", "GCJ-02", "BD-09")
#: Control characters (ESC, NUL, …) removed from names echoed to the terminal and files.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class RasterSource:
    """A population raster and the band to read (None: the file must have one band)."""

    path: Path
    band: int | None = None


def facility_crs(crs: object, path: Path) -> str:
    """Return the canonical name of a facility table's CRS: a Chinese datum or an EPSG code.

    Parameters
    ----------
    crs : object
        As written in the study file: ``"WGS84"``, ``"GCJ-02"``, ``"EPSG:4547"``, …
    path : Path
        The study file, for the message.

    Returns
    -------
    str
        ``EPSG:4326``, ``GCJ-02``, ``BD-09`` or ``EPSG:<code>`` (geographic or projected).

    Raises
    ------
    StudyFileError
        For a name that is neither a Chinese datum nor a known EPSG code.
    """
    name = str(crs).strip().upper()
    if name in ("WGS84", "EPSG:4326"):
        return "EPSG:4326"
    if name in FACILITY_CRS:
        return name
    if re.fullmatch(r"EPSG:\d{4,6}", name):
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_user_input(name)
            return name
        except CRSError:
            pass
    raise StudyFileError(
        f"{path}: [inputs] facilities_crs = '{crs}'; allowed: {', '.join(FACILITY_CRS)} "
        "or an EPSG code such as EPSG:4490 (CGCS2000) or EPSG:4547 (x/y metres)"
    )


def raster_source(inputs: dict[str, Any], key: str, path: Path) -> RasterSource:
    """Return a raster input: ``"pop.tif"`` or ``{ file = "pop.tif", band = 2 }``."""
    if key not in inputs:
        raise StudyFileError(f'{path}: [inputs] needs {key} = "<file>"')
    value = inputs[key]
    if isinstance(value, dict):
        check_keys(
            value, ("file", "band"), where=f"[inputs] {key}", path=path, error=StudyFileError
        )
        band = value.get("band")
        if isinstance(band, bool) or not isinstance(band, int) or band < 1:
            raise StudyFileError(
                f"{path}: [inputs] {key} band = {band!r} must be a band number from 1, "
                f'e.g. {key} = {{ file = "pop.tif", band = 2 }}'
            )
        file = get_str(
            value, "file", None, where=f"[inputs] {key}", path=path, error=StudyFileError
        )
        return RasterSource(path.parent / str(file), band)
    file = get_str(inputs, key, None, where="[inputs]", path=path, error=StudyFileError)
    return RasterSource(path.parent / str(file))


def clean_name(text: str) -> str:
    """Return ``text`` without control characters (ESC, NUL, …): safe to echo and to write."""
    return _CONTROL.sub("", text).strip()


def study_text(path: Path) -> str:
    """Return the text of a study file saved as UTF-8 (with or without BOM).

    Raises
    ------
    StudyFileError
        For a file in another encoding (UTF-16, GBK), naming it and saying to save as UTF-8.
    """
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and b"\x00" in raw[:200]):
        found = "UTF-16"
    else:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                raw.decode("gb18030")
                found = "GBK/GB18030"
            except UnicodeDecodeError:
                found = "an unknown encoding"
    raise StudyFileError(
        f"{path}: the study file is saved in {found}, not UTF-8; save it as UTF-8 "
        "(Notepad: Save as ▸ Encoding UTF-8; VS Code: Save with Encoding ▸ UTF-8)"
    )
