"""The study: one frozen, validated config object read from a study TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carecircle._inputs import clean_name, raster_source, study_text
from carecircle._validate import check_keys, get_number, get_str
from carecircle.errors import InputFileError, ProfileError, StudyFileError
from carecircle.network_config import (
    CentrelineOptions,
    centreline_options,
    network_input,
    network_options,
)
from carecircle.population_config import PopulationOptions, population_options
from carecircle.profiles import Profile, load_profile
from carecircle.sources import (
    FacilitySource,
    Source,
    boundaries_datum,
    facility_sources,
    input_source,
)

_SECTIONS = ("study", "inputs", "network", "circle", "standards", "population")
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
        Walking network file (.osm, .osm.pbf, .graphml, or a road centreline layer .shp,
        .gpkg, .geojson, .fgb); None when downloaded.
    network_place : str or None
        Place name to download the network for (online, osmnx).
    network_bbox : tuple of float or None
        ``(west, south, east, north)`` to download the network for (online, osmnx).
    include_private : bool
        Keep ``access=private`` ways (gated compounds' internal paths).
    centreline : CentrelineOptions
        Snap tolerance and class filter of a road centreline network layer.
    cache_dir : Path or None
        Folder of the network array cache; None disables it.
    data_date : str
        Date of the input data, shown on maps and reports (``[study] data_date``).
    tile_km : float
        When > 0, cells are routed in square tiles of this side (km), each on the network
        within reach: for studies too large to hold at once; results are identical.
    facilities : tuple of FacilitySource
        Facility tables with their coordinate systems.
    residents, older_residents : Path or None
        Population rasters (persons per cell); None where ``[population]`` needs none.
    residents_band, older_residents_band : int or None
        Band to read (``{ file = "pop.tif", band = 2 }``); None: the raster must have one band.
    streets, communities : Path or DbSource
        Boundary polygons (file, or a PostGIS table or query); communities may also be
        points (居委会) or None (not given: every indicator per street; docs/boundaries.md).
    boundaries_crs : str
        ``EPSG:4326`` (default: the files' own CRS is right), or ``GCJ-02`` / ``BD-09`` when
        the boundaries were drawn on Amap / Baidu maps: their lon/lat are then converted.
    minutes, walk_speed_m_s : float
        The service circle (from the study, else from the profile).
    max_snap_m : float
        Cells and facilities farther than this from the network are unreachable.
    profile : Profile
        The standards profile.
    population : PopulationOptions
        Where the population comes from (``[population]``: rasters, counts, shares or
        buildings; docs/population.md).
    """

    name: str
    path: Path
    crs: str
    network: Path | None
    facilities: tuple[FacilitySource, ...]
    residents: Path | None
    older_residents: Path | None
    streets: Source
    communities: Source | None
    minutes: float
    walk_speed_m_s: float
    max_snap_m: float
    profile: Profile
    residents_band: int | None = None
    older_residents_band: int | None = None
    network_place: str | None = None
    network_bbox: tuple[float, float, float, float] | None = None
    include_private: bool = True
    cache_dir: Path | None = None
    data_date: str = ""
    tile_km: float = 0.0
    boundaries_crs: str = "EPSG:4326"
    centreline: CentrelineOptions = field(default_factory=CentrelineOptions)
    population: PopulationOptions = field(default_factory=PopulationOptions)

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
        paths: dict[str, Source] = {} if self.network is None else {"network": self.network}
        rasters = {"residents": self.residents, "older_residents": self.older_residents}
        paths |= {k: v for k, v in rasters.items() if v is not None}
        paths["streets"] = self.streets
        if self.communities is not None:  # optional: points, polygons or none (streets only)
            paths["communities"] = self.communities
        if self.population.file is not None:
            paths["population"] = self.population.file
        for i, src in enumerate(self.facilities):
            paths[f"facilities[{i}]"] = src.path
        return paths


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
    kw: dict[str, Any] = {"path": path, "error": StudyFileError}
    check_keys(data, _SECTIONS, where="the file", **kw)
    for section in _SECTIONS:
        if not isinstance(data.get(section, {}), dict):
            raise StudyFileError(f"{path}: {section} must be a table: write [{section}]")
    head, inputs = data.get("study", {}), data.get("inputs", {})
    circle, standards = data.get("circle", {}), data.get("standards", {})
    check_keys(head, ("name", "crs", "data_date"), where="[study]", **kw)
    check_keys(inputs, _INPUT_KEYS, where="[inputs]", **kw)
    network, place, bbox = network_input(inputs, path)
    include_private, cache_dir = network_options(data.get("network", {}), path)
    centreline = centreline_options(data.get("network", {}), network, path)
    check_keys(
        circle, ("minutes", "walk_speed_m_s", "max_snap_m", "tile_km"), where="[circle]", **kw
    )
    check_keys(standards, ("profile",), where="[standards]", **kw)

    def required(key: str) -> Source:
        if key not in inputs:
            raise StudyFileError(f'{path}: [inputs] needs {key} = "<file>"')
        return input_source(inputs[key], key, path)

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
    given = {k: k in inputs for k in ("residents", "older_residents")}
    population = population_options(data, path, rasters=given)
    residents, older = (
        raster_source(inputs, k, path) if k in inputs else None
        for k in ("residents", "older_residents")
    )
    minutes = get_number(circle, "minutes", profile.minutes, where="[circle]", maximum=120, **kw)
    speed = get_number(
        circle, "walk_speed_m_s", profile.walk_speed_m_s, where="[circle]", maximum=3.0, **kw
    )
    return Study(
        name=clean_name(get_str(head, "name", path.stem, where="[study]", **kw) or "") or path.stem,
        path=path,
        crs=get_str(head, "crs", "auto", where="[study]", **kw) or "auto",
        network=network,
        network_place=place,
        network_bbox=bbox,
        include_private=include_private,
        centreline=centreline,
        cache_dir=cache_dir,
        data_date=get_str(head, "data_date", "", where="[study]", **kw) or "",
        facilities=facility_sources(inputs, path),
        residents=None if residents is None else residents.path,
        older_residents=None if older is None else older.path,
        residents_band=None if residents is None else residents.band,
        older_residents_band=None if older is None else older.band,
        streets=required("streets"),
        communities=required("communities") if "communities" in inputs else None,
        minutes=minutes or profile.minutes,
        walk_speed_m_s=speed or profile.walk_speed_m_s,
        max_snap_m=get_number(circle, "max_snap_m", 500.0, where="[circle]", **kw) or 500.0,
        tile_km=get_number(circle, "tile_km", None, where="[circle]", maximum=1000, **kw) or 0.0,
        boundaries_crs=boundaries_datum(inputs, path),
        profile=profile,
        population=population,
    )


def _study_key(role: str) -> str:
    """Return the study-file key of an input role, for messages."""
    return (
        "[population] file"
        if role == "population"
        else f"[inputs] {role.split('[', maxsplit=1)[0]}"
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
        f"{p.name} ({_study_key(role)})"
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
        data = tomllib.loads(study_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise StudyFileError(
            f"{path}: not a valid TOML study file ({exc}); fix the syntax"
        ) from None
    return study_from_dict(data, path=path.resolve())
