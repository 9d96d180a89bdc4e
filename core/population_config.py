"""The ``[population]`` section of a study file: where residents and older residents come from.

Modes:

* ``raster`` (default): residents and older-residents rasters (``[inputs]``), unchanged.
* ``counts``: residents and older residents per community or street (columns of the
  boundary layer, or a CSV keyed by code), spread over the residents raster in proportion to
  it (dasymetric), or uniformly over each unit's area without a raster.
* ``share``: an older share per community or street applied to the residents raster.
* ``buildings``: residential buildings or compounds (小区), points or polygons with
  residents (and older residents, an older share column, or one older share), used as the
  demand points instead of raster cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carecircle._validate import check_keys, get_number, get_str
from carecircle.errors import StudyFileError

MODES = ("raster", "counts", "share", "buildings")
LEVELS = ("community", "street")
_KEYS = (
    "mode",
    "level",
    "file",
    "code_column",
    "residents_column",
    "older_column",
    "share_column",
    "older_share",
    "cell_m",
)
#: Keys each mode accepts (besides ``mode``).
_MODE_KEYS = {
    "raster": (),
    "counts": ("level", "file", "code_column", "residents_column", "older_column", "cell_m"),
    "share": ("level", "file", "code_column", "share_column"),
    "buildings": ("file", "residents_column", "older_column", "share_column", "older_share"),
}
#: Which rasters of ``[inputs]`` each mode needs (True), may use (None) or refuses (False).
RASTERS: dict[str, dict[str, bool | None]] = {
    "raster": {"residents": True, "older_residents": True},
    "counts": {"residents": None, "older_residents": False},
    "share": {"residents": True, "older_residents": False},
    "buildings": {"residents": None, "older_residents": None},
}


@dataclass(frozen=True)
class PopulationOptions:
    """Where the study's population comes from (``[population]`` of the study file).

    Attributes
    ----------
    mode : str
        ``raster``, ``counts``, ``share`` or ``buildings``.
    level : str
        ``community`` or ``street``: the units the counts or shares are given for.
    file : Path or None
        CSV of counts/shares keyed by code (None: columns of the boundary layer), or the
        buildings layer.
    code_column : str
        Column of the CSV holding the unit code.
    residents_column, older_column, share_column : str
        Columns holding residents, older residents and the older share (0–1); empty when
        not given.
    older_share : float or None
        One older share (0–1) for every building (buildings mode).
    cell_m : float
        Side (m) of the grid the counts are spread on uniformly when there is no raster.
    """

    mode: str = "raster"
    level: str = "community"
    file: Path | None = None
    code_column: str = "code"
    residents_column: str = "residents"
    older_column: str = "older_residents"
    share_column: str = ""
    older_share: float | None = None
    cell_m: float = 100.0

    @property
    def is_raster(self) -> bool:
        """True for the default mode (both rasters)."""
        return self.mode == "raster"

    def describe(self, *, raster: bool = True) -> str:
        """Return a bilingual line saying where the population came from (summary, report).

        Parameters
        ----------
        raster : bool, default True
            Whether a residents raster was given (counts: dasymetric, else uniform).
        """
        where = f"{self.file.name}" if self.file else f"the {self.level} layer's columns"
        unit = "社区 community" if self.level == "community" else "街道 street"
        if self.mode == "counts":
            how = (
                "spread over the residents raster in proportion to it (dasymetric, 按人口栅格分配)"
                if raster
                else "spread uniformly over each unit's area (no residents raster, 按面积均匀分配)"
            )
            return f"人口: 按{unit}统计数 (counts per {self.level}, {where}), {how}"
        if self.mode == "share":
            return (
                f"人口: 常住人口栅格 × 按{unit}老年人口比例 (older share per {self.level}, "
                f"{where}) applied to the residents raster"
            )
        if self.mode == "buildings":
            return (
                f"人口: 居住建筑/小区 (residential buildings or compounds, {where}) as the "
                "demand points instead of raster cells"
            )
        return "人口: 常住人口与老年人口栅格 (residents and older-residents rasters)"


def population_options(
    data: dict[str, Any], path: Path, rasters: dict[str, bool] | None = None
) -> PopulationOptions:
    """Read and validate ``[population]`` of a parsed study file.

    Parameters
    ----------
    data : dict
        The parsed study file.
    path : Path
        The study file; ``file`` is relative to its folder.
    rasters : dict of str to bool, optional
        Which of ``residents`` / ``older_residents`` ``[inputs]`` names (checked against
        the mode by :func:`check_rasters`).

    Returns
    -------
    PopulationOptions
        The options (the raster mode when the section is absent).

    Raises
    ------
    StudyFileError
        Naming the key, the problem and the fix.
    """
    table = data.get("population", {})
    if not isinstance(table, dict):
        raise StudyFileError(f"{path}: population must be a table: write [population]")
    kw: dict[str, Any] = {"where": "[population]", "path": path, "error": StudyFileError}
    check_keys(table, _KEYS, **kw)
    mode = str(table.get("mode", "raster"))
    if mode not in MODES:
        raise StudyFileError(
            f"{path}: [population] mode = '{mode}'; allowed: {', '.join(MODES)} "
            "(see docs/population.md)"
        )
    extra = [k for k in table if k != "mode" and k not in _MODE_KEYS[mode]]
    if extra:
        raise StudyFileError(
            f"{path}: [population] {extra[0]} does not apply to mode = '{mode}'; remove it "
            f"(mode '{mode}' takes: {', '.join(_MODE_KEYS[mode]) or 'no other key'})"
        )
    level = str(table.get("level", "community"))
    if level not in LEVELS:
        raise StudyFileError(f"{path}: [population] level = '{level}'; allowed: community, street")
    file = get_str(table, "file", None, **kw)
    if mode == "buildings" and not file:
        raise StudyFileError(
            f'{path}: [population] mode = "buildings" needs file = "buildings.gpkg" (points or '
            "polygons with a residents column)"
        )
    share = get_number(table, "older_share", None, minimum=None, **kw)
    if share is not None and not 0.0 <= share <= 1.0:
        raise StudyFileError(_share_message(path, share))
    if mode == "buildings" and share is not None and "older_column" in table:
        raise StudyFileError(f"{path}: [population] give older_column or older_share, not both")
    cell_m = get_number(table, "cell_m", 100.0, maximum=5000.0, **kw) or 100.0
    rasters = rasters or {"residents": True, "older_residents": True}
    from_rasters = mode == "buildings" and rasters["older_residents"]
    if from_rasters and ("share_column" in table or "older_column" in table or share is not None):
        raise StudyFileError(
            f"{path}: [population] the buildings' older residents come from the rasters of "
            "[inputs] (older_residents); remove older_column / share_column / older_share, "
            "or the rasters"
        )
    default_older = (
        ""
        if mode == "buildings" and (share is not None or "share_column" in table or from_rasters)
        else "older_residents"
    )
    options = PopulationOptions(
        mode=mode,
        level=level,
        file=path.parent / file if file else None,
        code_column=get_str(table, "code_column", "code", **kw) or "code",
        residents_column=get_str(table, "residents_column", "residents", **kw) or "residents",
        older_column=get_str(table, "older_column", default_older, **kw) or default_older,
        share_column=get_str(table, "share_column", "older_share" if mode == "share" else "", **kw)
        or "",
        older_share=share,
        cell_m=cell_m,
    )
    check_rasters(options, rasters, path)
    return options


def _share_message(path: object, value: float) -> str:
    """Message for a share outside 0–1 (a percent hint when it looks like one)."""
    hint = (
        f"; it looks like a percent: write {value / 100:g} for {value:g} %"
        if 1.0 < value <= 100.0
        else ""
    )
    return f"{path}: [population] older_share = {value:g} must be a share from 0 to 1{hint}"


def check_rasters(options: PopulationOptions, given: dict[str, bool], path: Path) -> None:
    """Refuse rasters a mode needs but lacks, or has but does not use.

    Parameters
    ----------
    options : PopulationOptions
        The population options.
    given : dict of str to bool
        Which of ``residents`` / ``older_residents`` ``[inputs]`` names.
    path : Path
        The study file, for the message.

    Raises
    ------
    StudyFileError
        Naming the key and the fix.
    """
    if options.mode == "buildings" and given["residents"] != given["older_residents"]:
        raise StudyFileError(
            f"{path}: [inputs] residents and older_residents go together with [population] "
            "mode = 'buildings' (the buildings take the rasters' older share); give both "
            "rasters, or neither and an older column or share"
        )
    for key, need in RASTERS[options.mode].items():
        if need is True and not given[key]:
            raise StudyFileError(f'{path}: [inputs] needs {key} = "<file>"')
        if need is False and given[key]:
            raise StudyFileError(
                f"{path}: [inputs] {key} is not used with [population] mode = "
                f"'{options.mode}'; remove it (see docs/population.md)"
            )
