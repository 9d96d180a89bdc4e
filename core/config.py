"""The study: one frozen, validated config object read from a study TOML file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carecircle._validate import check_keys, get_number, get_str
from carecircle.errors import InputFileError, ProfileError, StudyFileError
from carecircle.profiles import Profile, load_profile

#: Coordinate systems a facility file may be given in.
FACILITY_CRS = ("EPSG:4326", "WGS84", "GCJ-02", "BD-09")

_SECTIONS = ("study", "inputs", "network", "circle", "standards")
_INPUT_KEYS = (
    "network",
    "facilities",
    "facilities_crs",
    "residents",
    "older_residents",
    "streets",
    "communities",
    "boundaries_crs",
)


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

    def sql(self) -> str:
        """Return the SELECT to run."""
        if self.query:
            return self.query
        parts = [f'"{p}"' for p in self.table.split(".")]
        return f"SELECT * FROM {'.'.join(parts)}"


Source = Path | DbSource


@dataclass(frozen=True)
class FacilitySource:
    """One facility table (file or database) and the coordinate system of its lon/lat."""

    path: Source
    crs: str


@dataclass(frozen=True)
class Study:
    """Everything one audit needs: input paths, CRS, profile, and the service circle.

    Attributes
    ----------
    name : str
        Study name (e.g. the district), used in titles.
    path : Path
        The study TOML file.
    crs : str
        Projected CRS for metric work, or ``"auto"`` for the UTM zone of the network.
    network : Path or None
        Walking network file (.osm, .osm.pbf or .graphml); None when downloaded.
    network_place : str or None
        Place name to download the network for (online, osmnx).
    network_bbox : tuple of float or None
        ``(west, south, east, north)`` to download the network for (online, osmnx).
    include_private : bool
        Keep ``access=private`` ways (gated compounds' internal paths).
    cache_dir : Path or None
        Folder of the network array cache; None disables it.
    data_date : str
        Date of the input data, shown on maps and reports (``[study] data_date``).
    tile_km : float
        When > 0, cells are routed in square tiles of this side (km), each on the network
        within reach: for studies too large to hold at once; results are identical.
    facilities : tuple of FacilitySource
        Facility tables with their coordinate systems.
    residents, older_residents : Path
        Population rasters (persons per cell).
    streets, communities : Path or DbSource
        Boundary polygons (file, or a PostGIS table or query).
    boundaries_crs : str
        ``EPSG:4326`` (default: the files' own CRS is right), or ``GCJ-02`` / ``BD-09`` when
        the boundaries were drawn on Amap / Baidu maps: their lon/lat are then converted.
    minutes, walk_speed_m_s : float
        The service circle (from the study, else from the profile).
    max_snap_m : float
        Cells and facilities farther than this from the network are unreachable.
    profile : Profile
        The standards profile.
    """

    name: str
    path: Path
    crs: str
    network: Path | None
    facilities: tuple[FacilitySource, ...]
    residents: Path
    older_residents: Path
    streets: Source
    communities: Source
    minutes: float
    walk_speed_m_s: float
    max_snap_m: float
    profile: Profile
    network_place: str | None = None
    network_bbox: tuple[float, float, float, float] | None = None
    include_private: bool = True
    cache_dir: Path | None = None
    data_date: str = ""
    tile_km: float = 0.0
    boundaries_crs: str = "EPSG:4326"

    @classmethod
    def from_toml(cls, path: str | Path) -> Study:
        """Read and validate a study file (as :func:`load_study`)."""
        return load_study(path)

    @property
    def radius_m(self) -> float:
        """Walking distance of the circle in metres (minutes × 60 × speed)."""
        return self.minutes * 60.0 * self.walk_speed_m_s

    def input_paths(self) -> dict[str, Source]:
        """Return every input (file or database source) by role, for hashing and reporting."""
        paths = {} if self.network is None else {"network": self.network}
        paths |= {
            "residents": self.residents,
            "older_residents": self.older_residents,
            "streets": self.streets,
            "communities": self.communities,
        }
        for i, src in enumerate(self.facilities):
            paths[f"facilities[{i}]"] = src.path
        return paths


def _as_list(value: Any, key: str, path: Path) -> list[Any]:
    if isinstance(value, str | dict):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str | dict) for v in value):
        return list(value)
    raise StudyFileError(f"{path}: [inputs] {key} must be a file name or a list of file names")


def _source(value: Any, key: str, path: Path) -> Source:
    """Return a file (relative to the study) or a database source ``{ url, table | query }``."""
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


def _boundaries_crs(inputs: dict[str, Any], path: Path) -> str:
    """Return the datum of the boundary files' lon/lat: EPSG:4326, GCJ-02 or BD-09."""
    crs = str(inputs.get("boundaries_crs", "EPSG:4326"))
    if crs.upper() not in FACILITY_CRS:
        raise StudyFileError(
            f"{path}: [inputs] boundaries_crs = '{crs}'; allowed: {', '.join(FACILITY_CRS)}"
        )
    return "EPSG:4326" if crs.upper() in ("WGS84", "EPSG:4326") else crs.upper()


def _facility_sources(inputs: dict[str, Any], path: Path) -> tuple[FacilitySource, ...]:
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
        if crs.upper() not in FACILITY_CRS:
            raise StudyFileError(
                f"{path}: [inputs] facilities_crs = '{crs}'; allowed: {', '.join(FACILITY_CRS)}"
            )
        canonical = "EPSG:4326" if crs.upper() in ("WGS84", "EPSG:4326") else crs.upper()
        sources.append(FacilitySource(_source(file, "facilities", path), canonical))
    return tuple(sources)


def default_cache_dir() -> Path:
    """Return the network cache folder: ``$CARECIRCLE_CACHE_DIR`` or ``~/.cache/carecircle``."""
    env = os.environ.get("CARECIRCLE_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "carecircle"


def _network_input(
    inputs: dict[str, Any], path: Path
) -> tuple[Path | None, str | None, tuple[float, ...] | None]:
    value = inputs.get("network")
    if isinstance(value, str) and value.strip():
        return path.parent / value, None, None
    if isinstance(value, dict):
        check_keys(
            value, ("place", "bbox"), where="[inputs] network", path=path, error=StudyFileError
        )
        place, bbox = value.get("place"), value.get("bbox")
        if isinstance(place, str) and place.strip():
            return None, place, None
        if (
            isinstance(bbox, list)
            and len(bbox) == 4
            and all(isinstance(b, int | float) for b in bbox)
        ):
            west, south, east, north = (float(b) for b in bbox)
            if west < east and south < north:
                return None, None, (west, south, east, north)
    raise StudyFileError(
        f'{path}: [inputs] network must be a file ("network.osm", ".osm.pbf", ".graphml") or '
        'a table such as { place = "静安区, 上海市" } or { bbox = [west, south, east, north] }'
    )


def _network_options(table: dict[str, Any], path: Path) -> tuple[bool, Path | None]:
    check_keys(
        table,
        ("include_private", "cache", "cache_dir"),
        where="[network]",
        path=path,
        error=StudyFileError,
    )
    for key in ("include_private", "cache"):
        if key in table and not isinstance(table[key], bool):
            raise StudyFileError(f"{path}: [network] {key} = {table[key]!r} must be true or false")
    include_private = table.get("include_private", True)
    if not table.get("cache", True):
        return include_private, None
    folder = get_str(table, "cache_dir", None, where="[network]", path=path, error=StudyFileError)
    if folder is None:
        return include_private, default_cache_dir()
    return include_private, path.parent / folder


def study_from_dict(data: dict[str, Any], *, path: Path) -> Study:
    """Validate a parsed study TOML and build a :class:`Study`.

    Parameters
    ----------
    data : dict
        The parsed TOML document.
    path : Path
        The study file; relative input paths are resolved against its folder.

    Returns
    -------
    Study
        The validated study.

    Raises
    ------
    StudyFileError
        Naming the key, the problem and the fix.
    ProfileError
        When the profile is unknown or invalid.
    """
    kw = {"path": path, "error": StudyFileError}
    check_keys(data, _SECTIONS, where="the file", **kw)
    for section in _SECTIONS:
        if not isinstance(data.get(section, {}), dict):
            raise StudyFileError(f"{path}: {section} must be a table: write [{section}]")
    head, inputs = data.get("study", {}), data.get("inputs", {})
    circle, standards = data.get("circle", {}), data.get("standards", {})
    check_keys(head, ("name", "crs", "data_date"), where="[study]", **kw)
    check_keys(inputs, _INPUT_KEYS, where="[inputs]", **kw)
    network, place, bbox = _network_input(inputs, path)
    include_private, cache_dir = _network_options(data.get("network", {}), path)
    check_keys(
        circle, ("minutes", "walk_speed_m_s", "max_snap_m", "tile_km"), where="[circle]", **kw
    )
    check_keys(standards, ("profile",), where="[standards]", **kw)

    def required(key: str) -> Path:
        if key not in inputs:
            raise StudyFileError(f'{path}: [inputs] needs {key} = "<file>"')
        if key in ("streets", "communities"):
            return _source(inputs[key], key, path)
        value = get_str(inputs, key, None, where="[inputs]", **kw)
        return path.parent / value

    profile_name = get_str(standards, "profile", "generic", where="[standards]", **kw)
    try:
        profile = load_profile(profile_name or "generic", base=path.parent)
    except ProfileError as exc:
        message = str(exc)
        raise ProfileError(
            message
            if message.startswith(str(path)) or ".toml:" in message
            else f"{path}: [standards] {message}"
        ) from None
    minutes = get_number(circle, "minutes", profile.minutes, where="[circle]", maximum=120, **kw)
    speed = get_number(
        circle, "walk_speed_m_s", profile.walk_speed_m_s, where="[circle]", maximum=3.0, **kw
    )
    return Study(
        name=get_str(head, "name", path.stem, where="[study]", **kw) or path.stem,
        path=path,
        crs=get_str(head, "crs", "auto", where="[study]", **kw) or "auto",
        network=network,
        network_place=place,
        network_bbox=bbox,
        include_private=include_private,
        cache_dir=cache_dir,
        data_date=get_str(head, "data_date", "", where="[study]", **kw) or "",
        facilities=_facility_sources(inputs, path),
        residents=required("residents"),
        older_residents=required("older_residents"),
        streets=required("streets"),
        communities=required("communities"),
        minutes=minutes or profile.minutes,
        walk_speed_m_s=speed or profile.walk_speed_m_s,
        max_snap_m=get_number(circle, "max_snap_m", 500.0, where="[circle]", **kw) or 500.0,
        tile_km=get_number(circle, "tile_km", None, where="[circle]", maximum=1000, **kw) or 0.0,
        boundaries_crs=_boundaries_crs(inputs, path),
        profile=profile,
    )


def check_input_files(study: Study) -> None:
    """Refuse a study whose input files are missing, naming all of them at once.

    Parameters
    ----------
    study : Study
        A loaded study.

    Raises
    ------
    InputFileError
        Listing every missing file with its study-file key.
    """
    missing = [
        f"{p.name} ([inputs] {role.split('[')[0]})"
        for role, p in study.input_paths().items()
        if isinstance(p, Path) and not p.is_file()
    ]
    if missing:
        raise InputFileError(
            f"{study.path}: input file{'s' if len(missing) > 1 else ''} not found: "
            f"{', '.join(missing)}; check the paths (they are relative to the folder of "
            f"{study.path.name})"
        )


def load_study(path: str | Path) -> Study:
    """Read and validate a study TOML file.

    Parameters
    ----------
    path : str or Path
        The study file.

    Returns
    -------
    Study
        The validated, frozen study.

    Raises
    ------
    StudyFileError
        When the file is missing, is not TOML, or has unknown keys or wrong values.
    """
    path = Path(path)
    if not path.is_file():
        raise StudyFileError(f"{path}: study file not found; give the path to a study .toml file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StudyFileError(
            f"{path}: not a valid TOML study file ({exc}); fix the syntax"
        ) from None
    return study_from_dict(data, path=path.resolve())
