"""Bad-input cases of the population modes (issue 17 item 2): counts, shares, buildings.

Each case turns the mini district into a counts, share or buildings study and breaks one
thing a planner's census table or buildings layer gets wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
from corpus_tools import Case

from mini_district import lonlat

_OLDER_RASTER = 'older_residents = "older.tif"\n'
GOOD_COUNTS = {"W-S": ("1000", "200"), "W-N": ("2000", "500"), "E-S": ("3000", "600")}


def _section(
    text: str, *, keep_older: bool = False, residents: bool = True
) -> Callable[[Path], None]:
    """Add ``[population]`` to the study (dropping the rasters the mode does not use)."""

    def run(folder: Path) -> None:
        study = folder / "study.toml"
        body = study.read_text(encoding="utf-8")
        if not keep_older:
            body = body.replace(_OLDER_RASTER, "")
        if not residents:
            body = body.replace('residents = "residents.tif"\n', "")
        study.write_text(body + "[population]\n" + text, encoding="utf-8")

    return run


def counts_study(
    rows: dict[str, tuple[str, str]], *, keep_older: bool = False
) -> Callable[[Path], None]:
    """A counts study whose census.csv holds ``rows`` (code -> residents, older)."""

    def run(folder: Path) -> None:
        _section('mode = "counts"\nfile = "census.csv"\n', keep_older=keep_older)(folder)
        lines = ["code,residents,older_residents"]
        lines += [f"{code},{res},{old}" for code, (res, old) in rows.items()]
        (folder / "census.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    return run


def share_study(shares: dict[str, str]) -> Callable[[Path], None]:
    """A share study whose shares.csv holds ``shares`` (code -> share)."""

    def run(folder: Path) -> None:
        _section('mode = "share"\nfile = "shares.csv"\n')(folder)
        lines = ["code,older_share", *(f"{k},{v}" for k, v in shares.items())]
        (folder / "shares.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    return run


def buildings_study(columns: dict[str, list[float]], section: str = "") -> Callable[[Path], None]:
    """A buildings study whose buildings.gpkg has four points with ``columns``."""

    def run(folder: Path) -> None:
        text = 'mode = "buildings"\nfile = "buildings.gpkg"\n' + section
        _section(text, residents=False)(folder)
        lon, lat = lonlat(np.array([100.0, 300, 700, 900]), np.array([100.0, 700, 300, 800]))
        frame = gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(lon, lat), crs=4326)
        frame.to_file(folder / "buildings.gpkg")

    return run


def _zero_north_east(folder: Path) -> None:
    """Counts for every community, but no raster residents in the north-east community."""
    import rasterio

    counts_study({**GOOD_COUNTS, "E-N": ("400", "80")})(folder)
    with rasterio.open(folder / "residents.tif") as src:
        data, profile = src.read(1), dict(src.profile)
    data[: data.shape[0] // 2, data.shape[1] // 2 :] = 0.0
    with rasterio.open(folder / "residents.tif", "w", **profile) as dst:
        dst.write(data, 1)


POPULATION_CASES = [
    Case(
        "counts-unknown-codes",
        "census counts for community codes that are not in the boundaries",
        counts_study({**GOOD_COUNTS, "E-N": ("10", "1"), "X-9": ("50", "5"), "X-10": ("5", "1")}),
        2,
        ("2 codes of the counts are not among the communities", "X-9, X-10"),
    ),
    Case(
        "counts-missing-community",
        "a community left out of the census counts (never read as 0 silently)",
        counts_study(GOOD_COUNTS),
        2,
        ("no counts for 1 of 4 communities: 东北社区 (E-N)", "0 where nobody lives"),
    ),
    Case(
        "counts-negative",
        "a negative census count",
        counts_study({**GOOD_COUNTS, "E-N": ("-40", "0")}),
        2,
        ("row 5 (code E-N): residents = -40 is negative",),
    ),
    Case(
        "counts-blank",
        "a blank (NaN) census count",
        counts_study({**GOOD_COUNTS, "E-N": ("400", "")}),
        2,
        ("row 5 (code E-N): older_residents is '', not a number",),
    ),
    Case(
        "counts-older-over-residents",
        "a community with more older residents than residents in the counts",
        counts_study({**GOOD_COUNTS, "E-N": ("100", "300")}),
        2,
        ("300 older residents but 100 residents", "not swapped"),
    ),
    Case(
        "counts-with-older-raster",
        "counts mode with the older-residents raster still in [inputs]",
        counts_study({**GOOD_COUNTS, "E-N": ("0", "0")}, keep_older=True),
        2,
        ("[inputs] older_residents is not used with [population] mode = 'counts'",),
    ),
    Case(
        "counts-community-without-raster-residents",
        "counts for a community where the residents raster holds no one (spread by area)",
        _zero_north_east,
        0,
        ("1 community with counts holds no raster residents: 东北社区 (E-N)", "uniformly"),
    ),
    Case(
        "share-as-percent",
        "older shares per community written as percents (25 for 25 %)",
        share_study({"W-S": "25", "W-N": "20", "E-S": "30", "E-N": "18"}),
        2,
        ("older_share = 25 is not a share from 0 to 1", "divide them by 100"),
    ),
    Case(
        "share-negative",
        "an older share below 0",
        share_study({"W-S": "0.2", "W-N": "-0.1", "E-S": "0.3", "E-N": "0.2"}),
        2,
        ("older_share = -0.1 is not a share from 0 to 1",),
    ),
    Case(
        "older-share-percent-in-study",
        "[population] older_share = 20 (a percent) for buildings",
        buildings_study({"residents": [10.0, 20, 30, 40]}, "older_share = 20\n"),
        2,
        ("older_share = 20 must be a share from 0 to 1", "write 0.2 for 20 %"),
    ),
    Case(
        "buildings-without-residents",
        "a buildings layer without a residents column",
        buildings_study({"人口数": [10.0, 20, 30, 40], "older_residents": [1.0, 2, 3, 4]}),
        2,
        ("column 'residents' is missing for buildings", 'residents_column = "人口数"'),
    ),
    Case(
        "buildings-older-over-residents",
        "a building with more older residents than residents",
        buildings_study({"residents": [10.0, 20, 30, 40], "older_residents": [1.0, 2, 300, 4]}),
        2,
        ("feature 3: 300 older residents but 30 residents",),
    ),
]
