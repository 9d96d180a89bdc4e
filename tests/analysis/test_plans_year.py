"""Audits by plan year, plan progress and multi-year siting on the mini lattice district.

Distances on the lattice are snap distance + Manhattan distance (tests/plans_fixtures.py),
so the cells each year's facilities cover are computed here independently of the routing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plans_fixtures import lattice_distance, write_plan_study

import carecircle as cc
from carecircle.analysis.audit import Audit, audit_study
from carecircle.analysis.siting import SitingRequest
from carecircle.analysis.siting.yearly import parse_per_year, site_per_year
from carecircle.config import load_study
from carecircle.errors import InputDataError
from carecircle.scripts.cli import main

from mini_district import write_mini_study

RADIUS = 600.0  # the mini study's 10-minute circle at 1 m/s
NODES = {"F1": (200.0, 200.0), "F2": (800.0, 900.0), "P1": (800.0, 200.0)}


@pytest.fixture(scope="session")  # not module: the progress and site tests spread
def study_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plan_study(tmp_path_factory.mktemp("plan"))


@pytest.fixture(scope="module")
def audits(study_path: Path) -> dict[object, Audit]:
    study = load_study(study_path)
    return {y: audit_study(study, year=y) for y in (None, 2023, 2024, 2025)}


def _expected_covered(audit: Audit, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    cells = audit.cells
    dist, clear = lattice_distance(
        cells["lon"].to_numpy(), cells["lat"].to_numpy(), [NODES[i] for i in ids]
    )
    return dist <= RADIUS, clear & (np.abs(dist - RADIUS) > 0.1)


def test_each_year_counts_the_facilities_open_by_then(audits: dict[object, Audit]) -> None:
    ids = {y: sorted(a.facilities["id"]) for y, a in audits.items()}
    assert ids[None] == ids[2023] == ["F1", "H1"]
    assert ids[2024] == ["F1", "F2", "H1"]
    assert ids[2025] == ["F1", "F2", "H1", "M1", "P1"]
    counts = audits[None].record.counts
    assert counts["audit_year"] is None
    assert counts["facilities_counted"].startswith("existing facilities only")
    assert counts["facilities_in_tables"] == 5 and counts["facilities_not_open"] == 3
    left = {f["id"]: f["reason"] for f in audits[None].record.excluded["facilities_not_open"]}
    assert left["P1"] == "规划 planned, opens 2025 (no --year given: existing facilities only)"
    assert any("give --year" in w for w in audits[None].record.warnings)
    assert audits[2025].record.counts["facilities_not_open"] == 0


@pytest.mark.parametrize(
    ("year", "open_ids"), [(2023, ["F1"]), (2024, ["F1", "F2"]), (2025, ["F1", "F2", "P1"])]
)
def test_coverage_equals_the_lattice_distance_to_the_open_facilities(
    audits: dict[object, Audit], year: int, open_ids: list[str]
) -> None:
    want, clear = _expected_covered(audits[year], open_ids)
    got = audits[year].cells["covered"].to_numpy()
    assert clear.sum() > 80
    np.testing.assert_array_equal(got[clear], want[clear])


def test_coverage_gained_is_the_opened_facilities(audits: dict[object, Audit]) -> None:
    for before, after, opened in ((2023, 2024, "F2"), (2024, 2025, "P1")):
        a, b = audits[before].cells, audits[after].cells
        assert (a["covered"] <= b["covered"]).all()  # no cell loses coverage
        gained = b["covered"] & ~a["covered"]
        assert gained.sum() > 0
        assert set(b.loc[gained, "nearest_facility"]) == {opened}
        older = b.loc[gained & (b["community"] != ""), "older_residents"].sum()
        d_a = audits[before].district.iloc[0]
        d_b = audits[after].district.iloc[0]
        assert d_b["older_covered"] - d_a["older_covered"] == pytest.approx(older)


def test_year_outside_the_plan_is_refused(study_path: Path) -> None:
    with pytest.raises(InputDataError, match="--year 2030 is outside the plan of profile"):
        audit_study(load_study(study_path), year=2030)


def test_tables_without_status_ignore_the_year(tmp_path: Path) -> None:
    study = load_study(write_mini_study(tmp_path))
    a = audit_study(study, year=2025)
    assert len(a.facilities) == 3 and a.record.counts["facilities_not_open"] == 0
    assert any("changes nothing" in w for w in a.record.warnings)


def test_progress_reads_each_year_against_its_target(study_path: Path, tmp_path: Path) -> None:
    result = cc.progress(study_path)
    s = result.summary.set_index("id")
    # S1: the plan's yearly targets 30 % / 50 %; values from the year audits above
    assert s.loc["S1", "2024_target"] == 0.3 and s.loc["S1", "2025_target"] == 0.5
    assert s.loc["S1", "baseline_2023"] < s.loc["S1", "2024_value"] < s.loc["S1", "2025_value"]
    # new facilities by hand: day care F2 opens 2024; station P1 2025; meal point M1 2025
    assert s.loc["day_care", "2024_new"] == 1 and bool(s.loc["day_care", "2024_met"])
    assert s.loc["service_station", "2024_new"] == 0 and not s.loc["service_station", "2024_met"]
    assert s.loc["service_station", "2025_new"] == 1 and bool(s.loc["service_station", "2025_met"])
    assert s.loc["service_station", "verdict"] == "met in 2025 only 仅2025年达标"
    assert s.loc["meal_point", "2025_value"] == 1 and not s.loc["meal_point", "2025_met"]  # 1 < 2
    assert s.loc["day_care", "verdict"].startswith("met in 2024, every year with a target")
    paths = cc.write(result, tmp_path / "out")
    names = {p.relative_to(tmp_path / "out").as_posix() for p in paths}
    assert {"plan_progress.csv", "plan_progress.xlsx", "progress.json"} <= names
    assert "charts/progress_S1.png" in names and "charts/progress_new_meal_point.png" in names
    table = pd.read_csv(tmp_path / "out" / "plan_progress.csv", encoding="utf-8-sig")
    assert list(table["id"]) == list(result.summary["id"])
    record = json.loads((tmp_path / "out" / "progress.json").read_text(encoding="utf-8"))
    assert record["years"]["2025"]["facilities"] == 5
    assert record["years"]["2023"]["not_open_ids"] == ["F2", "P1", "M1"]


def test_progress_outputs_are_registered_writers(study_path: Path, tmp_path: Path) -> None:
    """cc.write of a plan progress runs the registry's ``progress`` writers only, and writes
    what the progress tables and charts write on their own, byte for byte."""
    from carecircle.analysis.progress_outputs import write_progress_tables
    from carecircle.maps.plan_charts import render_progress_charts
    from carecircle.outputs import WRITERS, WriteJob, Writer, register_writer

    assert [w.name for w in WRITERS.for_kind("progress")] == ["progress tables", "progress charts"]
    result = cc.progress(study_path)
    kinds: list[str] = []

    def record(job: WriteJob) -> list[Path]:
        kinds.append(job.kind)
        assert job.plans is result and job.audit is result.audits[2023]
        return []

    with register_writer(
        Writer(name="progress probe", write=record, kinds=frozenset({"progress"}))
    ):
        paths = cc.write(result, tmp_path / "out")
    assert kinds == ["progress"]
    direct = tmp_path / "direct"
    direct.mkdir()
    alone = write_progress_tables(direct, result)
    alone += render_progress_charts(result.by_year, direct / "charts")
    assert [p.relative_to(tmp_path / "out") for p in paths] == [
        p.relative_to(direct) for p in alone
    ]
    for name in ("plan_progress.csv", "plan_progress_by_year.csv", "progress.json"):
        assert (tmp_path / "out" / name).read_bytes() == (direct / name).read_bytes(), name
    manifest = json.loads((tmp_path / "out" / ".carecircle-manifest.json").read_text("utf-8"))
    assert set(manifest["runs"]) == {"progress"}
    assert sorted(manifest["runs"]["progress"]) == sorted(
        p.relative_to(direct).as_posix() for p in alone
    )


def test_progress_command_prints_the_verdicts(
    study_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-q", "progress", str(study_path), "--out", str(tmp_path / "p")]) == 0
    text = capsys.readouterr().out
    assert "2023: 2, 2024: 3, 2025: 5" in text
    assert "met in 2025 only" in text


def test_parse_per_year() -> None:
    assert parse_per_year("2024:35,2025:40，2026:43") == ((2024, 35), (2025, 40), (2026, 43))
    for bad, words in (("2024-35", "is not YEAR:COUNT"), ("2025:1,2024:2", "ascending")):
        with pytest.raises(InputDataError, match=words):
            parse_per_year(bad)


def test_yearly_siting_counts_earlier_sites_as_existing(study_path: Path) -> None:
    study = load_study(study_path)
    audits = {y: audit_study(study, year=y) for y in (2024, 2025)}
    request = SitingRequest("service_station", add=1)
    result = site_per_year(audits.__getitem__, request, ((2024, 1), (2025, 1)))
    first, second = result.results[2024].summary, result.results[2025].summary
    assert list(result.sites["year"]) == [2024, 2025]
    # 2025 starts from 2024's result plus what P1 (opening 2025) adds on its own
    base = audits[2025].cells
    site_2024 = result.audits[2025].cells["covered"] & ~base["covered"]
    inside = (base["community"] != "").to_numpy()
    older = base["older_residents"].to_numpy()
    total = older[inside].sum()
    expected = (
        older[inside & base["covered"].to_numpy()].sum()
        + older[inside & site_2024.to_numpy()].sum()
    ) / total
    assert second["district_before"] == pytest.approx(expected)
    assert second["district_before"] >= first["district_after"] - 1e-9
    assert result.by_year["year"].tolist() == [2024, 2025]


def test_site_per_year_command(
    study_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    code = main(
        ["-q", "site", str(study_path), "--out", str(out), "--add-per-year", "2024:1,2025:1"]
    )
    assert code == 0, capsys.readouterr().err
    sites = pd.read_csv(out / "proposed_sites.csv", encoding="utf-8-sig")
    assert sites["year"].tolist() == [2024, 2025]
    assert sites["id"].is_unique and sites["id"].str.startswith(("2024-", "2025-")).all()
    by_year = pd.read_csv(out / "siting_by_year.csv", encoding="utf-8-sig")
    assert by_year["year"].tolist() == [2024, 2025]
    assert (by_year["district_after"] >= by_year["district_before"]).all()
    summary = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    assert set(summary) == {"2024", "2025"}
    text = capsys.readouterr().out
    assert "2024" in text and "2025" in text and "site service_station per year" in text


def test_site_per_year_keeps_out_of_the_exclusion_areas(
    study_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import geopandas as gpd
    import shapely

    argv = ["-q", "site", str(study_path), "--add-per-year", "2024:1,2025:1"]
    assert main([*argv, "--out", str(tmp_path / "free")]) == 0, capsys.readouterr().err
    free = pd.read_csv(tmp_path / "free" / "proposed_sites.csv", encoding="utf-8-sig")
    # exclude a square of about 200 m around each site chosen without exclusion areas
    boxes = [
        shapely.box(x - 0.001, y - 0.001, x + 0.001, y + 0.001)
        for x, y in zip(free["lon"], free["lat"], strict=True)
    ]
    areas = gpd.GeoDataFrame(geometry=boxes, crs="EPSG:4326")
    areas.to_file(tmp_path / "no_go.gpkg")
    before = (tmp_path / "no_go.gpkg").read_bytes()
    out = tmp_path / "kept"
    code = main([*argv, "--out", str(out), "--exclude", str(tmp_path / "no_go.gpkg")])
    assert code == 0, capsys.readouterr().err
    sites = pd.read_csv(out / "proposed_sites.csv", encoding="utf-8-sig")
    assert sites["year"].tolist() == [2024, 2025]
    inside = shapely.intersects_xy(shapely.union_all(boxes), sites["lon"], sites["lat"])
    assert not inside.any()
    assert (tmp_path / "no_go.gpkg").read_bytes() == before  # an input: never replaced
    with pytest.raises(SystemExit):  # still one of --add, --add-per-year, --target
        main([*argv, "--add", "1", "--out", str(tmp_path / "both")])


def test_bad_per_year_is_one_line(study_path: Path, tmp_path: Path, capsys) -> None:
    code = main(["site", str(study_path), "--out", str(tmp_path / "s"), "--add-per-year", "2024=x"])
    err = capsys.readouterr().err
    assert code == 2
    assert [line for line in err.splitlines() if line.startswith("错误 error")] == [
        "错误 error: --add-per-year 2024=x: '2024=x' is not YEAR:COUNT; write e.g. "
        "--add-per-year 2024:35,2025:40,2026:43"
    ]
    assert "Traceback" not in err


def test_site_per_year_api_writes_through_the_registry(
    study_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """cc.site_per_year + cc.write run the registry's ``site-per-year`` writers (a writer
    registered for that kind is called once) and write what the command writes, byte for
    byte; the maps draw every year's sites."""
    from carecircle.outputs import WRITERS, WriteJob, Writer, register_writer

    assert [w.name for w in WRITERS.for_kind("site-per-year")] == [
        "siting per year tables",
        "maps",
    ]
    plan = cc.site_per_year(study_path, {2024: 1, 2025: 1})
    assert plan.sites["year"].tolist() == [2024, 2025]
    assert plan.by_year["year"].tolist() == [2024, 2025]
    seen: list[WriteJob] = []

    def probe(job: WriteJob) -> list[Path]:
        seen.append(job)
        return []

    with register_writer(
        Writer(name="per-year probe", write=probe, kinds=frozenset({"site-per-year"}))
    ):
        paths = cc.write(plan, tmp_path / "api")
    assert [job.kind for job in seen] == ["site-per-year"]
    assert seen[0].proposals is plan.sites and seen[0].audit is plan.final
    names = {p.relative_to(tmp_path / "api").as_posix() for p in paths}
    assert {"proposed_sites.csv", "siting_by_year.csv", "siting.json"} <= names
    assert "maps/index.html" in names and "run.json" not in names
    code = main(
        ["-q", "site", str(study_path), "--out", str(tmp_path / "cli"), "--add-per-year",
         "2024:1,2025:1"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    for name in ("proposed_sites.csv", "siting_by_year.csv", "before_after_by_street.csv"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    pages = "".join(  # the street maps (the overview draws no sites)
        p.read_text(encoding="utf-8")
        for p in (tmp_path / "api" / "maps").glob("*.html")
        if p.name != "index.html"
    )
    for site_id in plan.sites["id"]:
        assert f"Proposed {site_id}</b>" in pages


def test_plan_years_skip_the_service_areas_and_nothing_else(study_path: Path) -> None:
    """A plan year's audit makes no service areas (display only: its maps are never drawn)
    and records no such stage; its tables equal a full audit's of that year."""
    import dataclasses

    from carecircle.analysis.progress import profile_for_year

    result = cc.progress(study_path)
    study = load_study(study_path)
    for year in (2023, 2024, 2025):
        lean = result.audits[year]
        assert len(lean.service_areas) == 0 and lean.service_areas.crs == "EPSG:4326"
        assert "service areas" not in lean.record.stages
        profile = lean.study.profile if year == 2023 else profile_for_year(study.profile, year)
        full = audit_study(dataclasses.replace(study, profile=profile), year=year)
        assert len(full.service_areas) > 0 and "service areas" in full.record.stages
        pd.testing.assert_frame_equal(lean.by_community, full.by_community)
        for level in ("community", "street", "district"):
            pd.testing.assert_frame_equal(lean.indicators[level], full.indicators[level])
    plan = cc.site_per_year(study_path, {2024: 1, 2025: 1})
    assert len(plan.final.service_areas) > 0  # the year the maps show has them


def test_site_and_site_per_year_replace_each_others_outputs(
    study_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both are ``site`` runs in the output folder's manifest: one run in a folder removes
    the other's files it does not write again (no stale proposal left beside a new one)."""
    out = tmp_path / "site"
    base = ["-q", "site", str(study_path), "--out", str(out)]
    assert main([*base, "--add", "1"]) == 0, capsys.readouterr().err
    assert (out / "report.docx").is_file() and (out / "proposed_facilities.csv").is_file()
    assert main([*base, "--add-per-year", "2024:1,2025:1"]) == 0, capsys.readouterr().err
    assert not (out / "report.docx").exists()  # the single proposal's report is gone
    assert not (out / "proposed_facilities.csv").exists()
    assert (out / "siting_by_year.csv").is_file()
    assert main([*base, "--add", "1"]) == 0, capsys.readouterr().err
    assert not (out / "siting_by_year.csv").exists()
    assert (out / "report.docx").is_file()
