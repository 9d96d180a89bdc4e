"""Bad-input cases of issue 17 item 3 (boundaries as they exist): no communities, points.

The mini district's four community polygons become their centre points (``communities.csv``,
code, name, street, kind, lon, lat); partitioning each street between its two points at the
midline gives back the same polygons, so the tables of a points study equal the polygon
study's (``verify``). Without communities each street is one unit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
from corpus_tools import Case, edit

from mini_district import lonlat

COMMUNITY_LINE = 'communities = "communities.gpkg"\n'


def community_points(
    fn: Callable[[pd.DataFrame], pd.DataFrame] = lambda df: df,
) -> Callable[[Path], None]:
    """Replace the community polygons by their centre points (a CSV), edited by ``fn``."""

    def run(folder: Path) -> None:
        com = gpd.read_file(folder / "communities.gpkg")
        centres = {"W-S": (250, 250), "W-N": (250, 750), "E-S": (750, 250), "E-N": (750, 750)}
        lon, lat = lonlat(*zip(*(centres[c] for c in com["code"]), strict=True))
        table = pd.DataFrame(
            {
                "code": com["code"],
                "name": com["name"],
                "street": com["street"],
                "kind": com["kind"],
                "lon": [f"{v:.9f}" for v in lon],
                "lat": [f"{v:.9f}" for v in lat],
            }
        )
        fn(table).to_csv(folder / "communities.csv", index=False, encoding="utf-8")
        edit("study.toml", COMMUNITY_LINE, 'communities = "communities.csv"\n')(folder)

    return run


def _set(row: int, **values: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def fn(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for column, value in values.items():
            df.loc[row, column] = value
        return df

    return fn


def _verify_points(out: Path) -> None:
    """The Voronoi partition gives back the mini district's four communities exactly."""
    table = pd.read_csv(out / "coverage_by_community.csv", dtype={"code": str})
    assert sorted(table["code"]) == ["E-N", "E-S", "W-N", "W-S"]
    assert table["boundary_approx"].all()
    # uniform raster: the two communities of a street hold equal residents (the midline split)
    res = table.set_index("code")["residents"]
    assert res["W-S"] + res["W-N"] == res.sum() - res["E-S"] - res["E-N"]
    assert abs(res["W-S"] - res["W-N"]) <= 0.06 * res["W-S"]


def _verify_streets_only(out: Path) -> None:
    """Each street is one unit: the under-served list lists streets and says so."""
    com = pd.read_csv(out / "coverage_by_community.csv", dtype={"code": str})
    assert sorted(com["code"]) == ["E", "W"]
    assert (com["boundary_note"].str.startswith("社区边界未提供")).all()
    under = pd.read_csv(out / "underserved_communities.csv", dtype={"code": str})
    assert set(under["code"]) <= {"E", "W"}
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "社区边界未提供 communities not given" in report


BOUNDS_CASES = [
    Case(
        "no-communities",
        "no community file at all (streets only): each street is one unit",
        edit("study.toml", COMMUNITY_LINE, ""),
        0,
        ("社区边界未提供 communities not given",),
        verify=_verify_streets_only,
    ),
    Case(
        "community-points",
        "communities given as points (居委会 lon/lat): Voronoi per street, marked approximate",
        community_points(),
        0,
        ("社区边界为近似",),
        verify=_verify_points,
    ),
    Case(
        "community-point-outside-streets",
        "a community point outside every street",
        community_points(_set(1, lon="119.5")),
        2,
        ("1 community point outside every street (W-N)", "check their coordinates"),
    ),
    Case(
        "community-points-same-place",
        "two community points at the same coordinates",
        community_points(lambda df: df.assign(lon=df["lon"][0], lat=df["lat"][0])),
        2,
        ("have the same coordinates", "W-S"),
    ),
    Case(
        "community-point-no-coordinates",
        "a community point without coordinates",
        community_points(_set(2, lon="")),
        2,
        ("community E-S (row 4) has no coordinates",),
    ),
    Case(
        "community-points-street-without-point",
        "a street with no community point: the whole street becomes one community",
        community_points(lambda df: df[df["street"] != "E"]),
        0,
        ("1 street without any community point (E)", "becomes one community"),
    ),
    Case(
        "community-point-names-other-street",
        "a community point whose street column names another street than it lies in",
        community_points(_set(0, street="E")),
        0,
        ("in another street than the street column says",),
    ),
]
