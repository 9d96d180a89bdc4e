"""Siting models against brute force and spopt on small instances; audit round trip."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from carecircle.analysis.audit import audit_study
from carecircle.analysis.siting import SitingRequest, site_facilities
from carecircle.analysis.siting.instance import build_instance
from carecircle.analysis.siting.outputs import proposed_facilities
from carecircle.analysis.siting.request import site_type
from carecircle.analysis.siting.solve import (
    solve_capacitated,
    solve_equity,
    solve_fewest,
    solve_mclp,
)
from carecircle.config import load_study
from carecircle.scripts.cli import main

from mini_district import MiniDistrict, MiniRun, write_mini_study


def random_instance(seed: int, n: int = 14, m: int = 300, density: float = 0.1):
    rng = np.random.default_rng(seed)
    dist = rng.uniform(0, 1000, (n, m))
    reach = dist <= 1000 * density
    older = rng.integers(0, 40, m).astype(float)
    residents = older * 4 + rng.integers(1, 30, m)
    street = rng.integers(0, 3, m)
    return dist, reach, older, residents, street


def brute_mclp(reach: np.ndarray, older: np.ndarray, k: int) -> float:
    return max(
        older[reach[list(c)].any(0)].sum() for c in itertools.combinations(range(reach.shape[0]), k)
    )


@pytest.mark.parametrize("seed", range(6))
def test_mclp_equals_brute_force_and_spopt(seed: int) -> None:
    import pulp
    from spopt.locate import MCLP

    dist, reach, older, residents, street = random_instance(seed, n=20)
    inst, _ = build_instance(sp.csr_array(reach.astype(float)), older, residents, street)
    k = 3
    solution = solve_mclp(inst, k, time_limit=20)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(brute_mclp(reach, older, k))
    assert solution.bound >= solution.objective - 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MCLP.from_cost_matrix(dist.T, older, service_radius=100.0, p_facilities=k)
        model = model.solve(pulp.HiGHS(msg=False))
    assert solution.objective == pytest.approx(model.problem.objective.value())


def test_coverage_with_fixing_equals_spopt() -> None:
    """An instance where both fixings run (87 candidates out, then 3 in) keeps the optimum."""
    import warnings

    import pulp
    from spopt.locate import MCLP

    rng = np.random.default_rng(4)
    n, m = 100, 2000
    cells, cand = rng.uniform(0, 10, (m, 2)), rng.uniform(0, 10, (n, 2))
    dist = np.hypot(*(cells[None] - cand[:, None]).transpose(2, 0, 1))
    w = rng.integers(1, 30, m).astype(float)
    reach = dist < 1.25
    inst, _ = build_instance(sp.csr_array(reach.astype(float)), w, w, np.zeros(m, dtype=np.int64))
    solution = solve_mclp(inst, 8, time_limit=30)
    assert sum("fixing" in r for r in solution.reductions) == 2
    assert solution.status == "optimal"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MCLP.from_cost_matrix(dist.T, w, service_radius=1.25, p_facilities=8)
        model = model.solve(pulp.HiGHS(msg=False))
    assert solution.objective == pytest.approx(model.problem.objective.value())
    assert solution.bound >= solution.objective
    chosen = inst.candidates[solution.rows]
    assert w[reach[chosen].any(axis=0)].sum() == solution.objective


@pytest.mark.parametrize("seed", range(4))
def test_fewest_sites_equals_spopt_lscp(seed: int) -> None:
    import pulp
    from spopt.locate import LSCP

    dist, reach, older, residents, street = random_instance(seed, n=25, density=0.25)
    reachable = reach.any(axis=0) & (older > 0)
    dist, reach = dist[:, reachable], reach[:, reachable]
    older, residents, street = older[reachable], residents[reachable], street[reachable]
    inst, unreachable = build_instance(sp.csr_array(reach.astype(float)), older, residents, street)
    assert not unreachable.any()
    solution = solve_fewest(inst, older.sum(), time_limit=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LSCP.from_cost_matrix(dist.T, service_radius=250.0).solve(pulp.HiGHS(msg=False))
    assert solution.objective == pytest.approx(model.problem.objective.value())
    chosen = inst.candidates[solution.rows]
    assert reach[chosen].any(axis=0).all()


def _capacitated_value(
    reach: np.ndarray,
    older: np.ndarray,
    residents: np.ndarray,
    cap: np.ndarray,
    sites: tuple[int, ...],
) -> float:
    pairs = [(j, i) for j in sites for i in np.flatnonzero(reach[j])]
    if not pairs:
        return 0.0
    c = -np.array([older[i] for _, i in pairs])
    rows, b = [], []
    for i in {i for _, i in pairs}:
        rows.append([1.0 if p[1] == i else 0.0 for p in pairs])
        b.append(1.0)
    for j in sites:
        rows.append([residents[i] if p[0] == j else 0.0 for p in pairs for i in [p[1]]])
        b.append(cap[j])
    res = linprog(c, A_ub=np.array(rows), b_ub=np.array(b), bounds=(0, 1), method="highs")
    return -res.fun


@pytest.mark.parametrize("seed", range(3))
def test_capacitated_equals_brute_force(seed: int) -> None:
    _, reach, older, residents, street = random_instance(seed, n=10, m=60, density=0.25)
    cap = np.random.default_rng(seed).integers(100, 600, 10).astype(float)
    inst, _ = build_instance(
        sp.csr_array(reach.astype(float)), older, residents, street, capacity=cap
    )
    k = 2
    want = max(
        _capacitated_value(reach, older, residents, cap, c)
        for c in itertools.combinations(range(10), k)
    )
    solution = solve_capacitated(inst, k, time_limit=20)
    assert solution.objective == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_equity_equals_brute_force(seed: int) -> None:
    _, reach, older, residents, street = random_instance(seed, n=12, m=150, density=0.12)
    inst, _ = build_instance(sp.csr_array(reach.astype(float)), older, residents, street)
    total = np.bincount(street, weights=older, minlength=3)
    best = max(
        (
            round(
                float((np.bincount(street[cov], weights=older[cov], minlength=3) / total).min()), 9
            ),
            older[cov].sum(),
        )
        for c in itertools.combinations(range(12), 3)
        for cov in [reach[list(c)].any(0)]
    )
    solution = solve_equity(inst, np.zeros(3), total, 3, time_limit=20)
    chosen = inst.candidates[solution.rows]
    cov = reach[chosen].any(0)
    low = (np.bincount(street[cov], weights=older[cov], minlength=3) / total).min()
    assert low == pytest.approx(best[0], abs=1e-9)
    assert older[cov].sum() == pytest.approx(best[1])


def test_time_limit_returns_best_solution_with_gap() -> None:
    _, reach, older, residents, street = random_instance(11, n=300, m=5000, density=0.03)
    inst, _ = build_instance(sp.csr_array(reach.astype(float)), older, residents, street)
    solution = solve_mclp(inst, 20, time_limit=0.01)
    assert solution.rows.size == 20
    assert solution.bound >= solution.objective
    assert 0.0 <= solution.gap < 0.5
    assert solution.status in ("optimal", "time limit")


@pytest.fixture(scope="module")
def mini_audit(mini_run: MiniRun):
    return mini_run.inputs.parent, mini_run.audit


def test_proposed_sites_reproduce_the_after_coverage(mini_audit, tmp_path: Path) -> None:
    folder, audit = mini_audit
    result = site_facilities(audit, SitingRequest("service_station", add=1))
    before = audit.by_street.set_index("code")["older_covered_share"]
    table = result.before_after.set_index("code")
    assert table.loc["W", "s1_before"] == pytest.approx(before["W"])
    assert result.summary["district_after"] > result.summary["district_before"]
    # audit the study again with the proposal added as facilities
    again = tmp_path / "again"
    shutil.copytree(folder / "in", again)
    proposed_facilities(result).to_csv(again / "proposed.csv", index=False)
    text = (again / "study.toml").read_text(encoding="utf-8")
    (again / "study.toml").write_text(
        text.replace(
            'facilities = "facilities.csv"', 'facilities = ["facilities.csv", "proposed.csv"]'
        ),
        encoding="utf-8",
    )
    after = audit_study(load_study(again / "study.toml")).by_street.set_index("code")
    for code in ("W", "E"):
        assert after.loc[code, "older_covered_share"] == pytest.approx(
            table.loc[code, "s1_after"], abs=1e-12
        )
    added = result.sites["older_newly_covered"].sum()
    gain = after["older_covered"].sum() - audit.by_street["older_covered"].sum()
    assert gain == pytest.approx(added, abs=0.5)


def test_existing_facilities_stay_and_more_sites_never_lower_coverage(mini_audit) -> None:
    _, audit = mini_audit
    shares = [
        site_facilities(audit, SitingRequest("service_station", add=k)).summary["district_after"]
        for k in (1, 2, 3)
    ]
    assert shares[0] > audit.district["older_covered_share"].iloc[0]
    assert shares == sorted(shares)


def test_target_gives_the_fewest_sites(mini_audit) -> None:
    _, audit = mini_audit
    result = site_facilities(audit, SitingRequest("service_station", target=1.0))
    assert result.summary["district_after"] == pytest.approx(1.0)
    smaller = site_facilities(
        audit, SitingRequest("service_station", add=int(result.summary["sites"]) - 1)
    )
    assert smaller.summary["district_after"] < 1.0


def test_meal_points_use_their_own_walk(mini_audit) -> None:
    _, audit = mini_audit
    result = site_facilities(audit, SitingRequest("meal_point", add=1))
    assert result.summary["circle"] == "S8"
    assert "s8_after" in result.before_after.columns
    assert result.before_after.set_index("code").loc["district", "s1_after"] == pytest.approx(
        result.before_after.set_index("code").loc["district", "s1_before"]
    )


def _cli_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    study = write_mini_study(tmp_path / "in")
    code = main(["site", str(study), "--out", str(tmp_path / "out"), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    return err


def test_site_cli_writes_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = write_mini_study(tmp_path / "in")
    assert main(["site", str(study), "--out", str(tmp_path / "out"), "--add", "2"]) == 0
    for name in (
        "proposed_sites.csv",
        "proposed_sites.gpkg",
        "before_after_by_street.csv",
        "siting.json",
        "maps/W.html",
    ):
        assert (tmp_path / "out" / name).is_file()
    table = pd.read_csv(tmp_path / "out" / "before_after_by_street.csv", encoding="utf-8-sig")
    assert list(table.columns[:6]) == [
        "code",
        "name",
        "s1_before",
        "s1_after",
        "s2_before",
        "s2_after",
    ]
    assert "规划新增" in (tmp_path / "out" / "maps" / "W.html").read_text(encoding="utf-8")
    assert "gap" in capsys.readouterr().out


def test_more_sites_than_candidates_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cand = tmp_path / "cand.csv"
    cand.write_text("id,lon,lat\nA,118.7815,32.0425\n", encoding="utf-8")
    err = _cli_error(tmp_path, capsys, "--add", "3", "--candidates", str(cand))
    assert "--add 3 is more than the 1 candidate" in err


def test_candidates_outside_the_study_area(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cand = tmp_path / "cand.csv"
    cand.write_text("id,lon,lat\nA,116.39,39.91\n", encoding="utf-8")
    err = _cli_error(tmp_path, capsys, "--add", "1", "--candidates", str(cand))
    assert "outside the study area" in err


def test_no_candidate_reaches_any_gap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a candidate right beside F1, whose whole walk is already covered
    from mini_district import lonlat

    lon, lat = lonlat(200.0, 210.0)
    cand = tmp_path / "cand.csv"
    cand.write_text(f"id,lon,lat\nA,{float(lon):.9f},{float(lat):.9f}\n", encoding="utf-8")
    study = write_mini_study(tmp_path / "in", MiniDistrict(minutes=3))
    code = main(
        ["site", str(study), "--out", str(tmp_path / "o"), "--add", "1", "--candidates", str(cand)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "no candidate site reaches any uncovered older resident" in err


def _off_network_study(folder: Path, minutes: float = 3.0) -> Path:
    """The mini study with max_snap_m = 25: cells more than 25 m from every street are off it."""
    study = write_mini_study(folder, MiniDistrict(minutes=minutes))
    text = study.read_text(encoding="utf-8").replace("max_snap_m = 500", "max_snap_m = 25")
    study.write_text(text, encoding="utf-8")
    return study


def _lattice_walk(cells: pd.DataFrame, node: tuple[float, float]) -> tuple[np.ndarray, ...]:
    """Snap distance of each cell to the 100 m lattice, and its walk to a lattice node (m)."""
    from mini_district import TO_LOCAL

    x, y = TO_LOCAL.transform(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    dx, dy = np.abs(x - np.round(x, -2)), np.abs(y - np.round(y, -2))
    px, py = np.where(dx < dy, np.round(x, -2), x), np.where(dx < dy, y, np.round(y, -2))
    snap = np.minimum(dx, dy)
    return snap, snap + np.abs(px - node[0]) + np.abs(py - node[1])


def test_off_network_and_unreached_cells_are_infeasible_with_their_reason(tmp_path: Path) -> None:
    from mini_district import lonlat

    audit = audit_study(load_study(_off_network_study(tmp_path / "in")))
    cells = audit.cells
    snap, walk = _lattice_walk(cells, (700.0, 300.0))
    lon, lat = lonlat(700.0, 300.0)
    cand = pd.DataFrame(
        {"id": ["A"], "lon": [float(lon)], "lat": [float(lat)], "floor_area_m2": [np.nan]}
    )
    result = site_facilities(audit, SitingRequest("service_station", add=1), cand)
    open_ = (
        (cells["community"] != "") & ~cells["covered"] & (cells["older_residents"] > 0)
    ).to_numpy()
    far = set(cells["cell_id"][open_ & (snap > 25.0)])
    unreached = set(cells["cell_id"][open_ & (snap <= 25.0) & (walk > 180.0)])
    assert len(far) > 10 and len(unreached) > 10
    table = result.infeasible
    by_reason = table.groupby("reason")["cell_id"].apply(set)
    assert by_reason["距步行路网超过25米 / farther than 25 m from the walking network"] == far
    assert by_reason["步行180米内无候选点 / no candidate within the 180 m walk"] == unreached
    s = result.summary
    assert s["infeasible_cells"] == len(far) + len(unreached) == len(table)
    assert s["infeasible_off_network_cells"] == len(far)
    assert s["infeasible_no_candidate_cells"] == len(unreached)
    assert s["infeasible_older"] == pytest.approx(25.0 * (len(far) + len(unreached)))
    assert any(f"{len(far):,} cells" in n and "infeasible_cells.csv" in n for n in s["notes"])


def test_unreachable_target_gap_is_the_infeasible_cells(tmp_path: Path) -> None:
    study = _off_network_study(tmp_path / "in", minutes=10.0)
    out = tmp_path / "out"
    assert main(["-q", "site", str(study), "--out", str(out), "--target", "1.0"]) == 0
    summary = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    infeasible = pd.read_csv(out / "infeasible_cells.csv", encoding="utf-8-sig")
    audit = audit_study(load_study(study))
    cells = audit.cells
    off = (~audit.cell_snap.ok & (cells["older_residents"] > 0)).to_numpy()
    total = cells["older_residents"].sum()
    # every cell off the network is listed, and they are exactly what the target misses
    assert set(infeasible["cell_id"]) == set(cells["cell_id"][off])
    assert (infeasible["reason"].str.contains("farther than 25 m")).all()
    assert summary["infeasible_cells"] == int(off.sum()) == len(infeasible)
    assert summary["infeasible_older"] == pytest.approx(infeasible["older_residents"].sum())
    assert summary["district_after"] == pytest.approx(summary["district_attainable"])
    assert summary["district_attainable"] + summary["infeasible_older"] / total == (
        pytest.approx(1.0)
    )
    assert any(f"at most {summary['district_attainable']:.2%}" in n for n in summary["notes"])


@pytest.mark.parametrize(
    ("name", "code"),
    [("养老服务站", "service_station"), ("长者食堂", "meal_point"), ("Day_Care", "day_care")],
)
def test_type_accepts_chinese_names(name: str, code: str) -> None:
    assert site_type(name) == code


def test_over_capacity_sites_are_named_in_a_warning(mini_audit) -> None:
    _, audit = mini_audit
    small = site_facilities(audit, SitingRequest("service_station", add=2, floor_area_m2=20.0))
    over = small.sites[small.sites["capacity_use"] > 1.0]
    # 20 m² × 1000 / 50 m² per 1,000 residents = 400 residents per site
    assert (small.sites["capacity_residents"] == 400.0).all()
    assert len(over) == 2
    warning = next(n for n in small.summary["notes"] if n.startswith("警告"))
    assert "2 of 2 proposed sites" in warning
    for r in over.itertuples():
        assert f"{r.id} {r.capacity_use:.1f}×" in warning
    assert "--objective capacitated" in warning and "--floor-area" in warning
    roomy = site_facilities(audit, SitingRequest("service_station", add=2, floor_area_m2=100_000.0))
    assert not any(n.startswith("警告") for n in roomy.summary["notes"])
    capped = site_facilities(
        audit, SitingRequest("service_station", add=2, floor_area_m2=20.0, objective="capacitated")
    )
    assert not any(n.startswith("警告") for n in capped.summary["notes"])


def test_highs_prints_nothing() -> None:
    # in a fresh process: HiGHS prints its banner once per process, so pulp's earlier
    # solves in this one would hide it
    code = (
        "import numpy as np, scipy.sparse as sp\n"
        "from carecircle.analysis.siting.instance import build_instance\n"
        "from carecircle.analysis.siting.milp import mclp_milp\n"
        "reach = sp.csr_array(np.array([[1.0, 0, 1], [0, 1.0, 1]]))\n"
        "inst, _ = build_instance(reach, np.ones(3), np.ones(3), np.zeros(3, dtype=int))\n"
        "sol = mclp_milp(inst, 1, start=np.array([0]), time_limit=5)\n"
        "print(sol.status, sol.objective)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CARECIRCLE_HIGHS_LOG": ""},
    )
    assert run.stdout == "Optimal 2.0\n"
    assert run.stderr == ""


NO_FLOOR_AREA = ("id", "name", "type", "lon", "lat", "beds", "nursing_beds", "street", "community")


def test_s2_not_assessed_stays_unknown_after_siting(tmp_path: Path) -> None:
    study = write_mini_study(tmp_path / "in", MiniDistrict(facility_columns=NO_FLOOR_AREA))
    audit = audit_study(load_study(study))
    result = site_facilities(audit, SitingRequest("service_station", add=2))
    table = result.before_after.set_index("code")
    assert table["s2_before"].isna().all()
    assert table["s2_after"].isna().all()  # not just the new sites' area
    note = next(n for n in result.summary["notes"] if "floor area unknown" in n)
    assert "2 proposed sites assume the default 200 m² for service_station" in note
    assert "--floor-area" in note
    given = site_facilities(audit, SitingRequest("service_station", add=2, floor_area_m2=300.0))
    assert not any("floor area unknown" in n for n in given.summary["notes"])
    assert (given.sites["capacity_residents"] == 300.0 * 1000 / 50).all()


def test_known_s2_after_adds_the_new_floor_area(mini_audit) -> None:
    _, audit = mini_audit
    result = site_facilities(audit, SitingRequest("service_station", add=2))
    district = audit.indicators["district"].iloc[0]
    row = result.before_after.set_index("code").loc["district"]
    assert row["s2_before"] == pytest.approx(district["floor_area_per_1000"])
    assert row["s2_after"] == pytest.approx(
        (district["floor_area_m2"] + 2 * 200.0) / district["residents"] * 1000.0
    )
    assert not any("floor area unknown" in n for n in result.summary["notes"])


def test_target_with_capacitated_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from carecircle.analysis.siting.request import checked_request
    from carecircle.errors import InputDataError

    with pytest.raises(InputDataError, match="use --add K --objective capacitated"):
        checked_request(SitingRequest("service_station", target=0.9, objective="capacitated"))
    err = _cli_error(tmp_path, capsys, "--target", "0.9", "--objective", "capacitated")
    assert err.strip().splitlines() == [
        "错误 error: --target 只求最少站点，不能与 --objective capacitated 同用 / --target runs "
        "the fewest-sites model; use --add K --objective capacitated"
    ]


def test_capacity_warning_is_printed_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_mini_study(tmp_path / "in")
    assert (
        main(
            ["site", str(study), "--out", str(tmp_path / "out"), "--add", "2", "--floor-area", "20"]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert (captured.out + captured.err).count("2 of 2 proposed sites cover more") == 1
    summary = json.loads((tmp_path / "out" / "siting.json").read_text(encoding="utf-8"))
    assert sum(n.startswith("警告") for n in summary["notes"]) == 1


def test_low_gain_note_names_the_sites_and_a_lower_target() -> None:
    from carecircle.analysis.siting.tables import low_gain_note

    marginal = np.array([50.0, 10.0, 0.2, 0.1])
    note = low_gain_note(SitingRequest("service_station", target=1.0), marginal, 100.0, 200.0)
    assert note is not None
    assert note.startswith("2 of 4 proposed sites each newly cover fewer than 1 older resident")
    assert "try a lower --target (e.g. --target 0.800 needs 2 sites)" in note
    add = low_gain_note(SitingRequest("service_station", add=4), marginal, 100.0, 200.0)
    assert add is not None and "smaller --add" in add
    assert (
        low_gain_note(SitingRequest("service_station", add=2), marginal[:2], 100.0, 200.0) is None
    )


def test_unreachable_target_notes_sites_that_add_almost_nobody(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 0.4 older residents a cell: the last sites of an unreachable target each add 0.4–0.8
    study = write_mini_study(
        tmp_path / "in", MiniDistrict(minutes=3.0, residents_per_cell=4.0, older_share=0.1)
    )
    out = tmp_path / "out"
    assert main(["-q", "site", str(study), "--out", str(out), "--target", "1.0"]) == 0
    printed = capsys.readouterr().out
    sites = pd.read_csv(out / "proposed_sites.csv", encoding="utf-8-sig")
    summary = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    low = sites["marginal_gain"] < 1.0
    assert low.sum() == 11 and len(sites) == 29
    total = audit_study(load_study(study)).district["older_residents"].iloc[0]
    reach = summary["district_before"] + sites.loc[~low, "marginal_gain"].sum() / total
    expected = (
        f"11 of 29 proposed sites each newly cover fewer than 1 older resident "
        f"(marginal_gain in proposed_sites.csv); they only chase the last residents of "
        f"the target: try a lower --target (e.g. --target "
        f"{np.floor(reach * 1000) / 1000:.3f} needs 18 sites)"
    )
    assert expected in summary["notes"]
    assert f"note: {expected}" in printed


@pytest.mark.parametrize("option", ["--candidates", "--exclude"])
def test_missing_candidates_or_exclude_stop_before_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    missing = tmp_path / "missing.csv"
    err = _cli_error(tmp_path, capsys, "--add", "1", option, str(missing))
    assert err.strip().splitlines() == [  # one line: the audit never ran
        f"错误 error: {missing}: 文件不存在 / file not found; check the {option} path"
    ]


def test_streamed_reach_pattern_is_the_coverage_matrix_pattern(mini_audit) -> None:
    from carecircle.analysis.siting.reach import reach_pattern
    from carecircle.geo.matrix import coverage_matrix

    _, audit = mini_audit
    rng = np.random.default_rng(5)
    net = audit.network
    x = rng.uniform(net.x.min() - 100, net.x.max() + 100, 400)
    y = rng.uniform(net.y.min() - 100, net.y.max() + 100, 400)
    src = audit.edge_index.snap(x, y, max_distance_m=audit.study.max_snap_m)
    older = audit.cells["older_residents"].to_numpy()
    full = coverage_matrix(net, src, audit.cell_snap, radius_m=audit.study.radius_m)
    # stored entries are the pairs (a distance of 0 is stored too)
    want = sp.csr_array((np.ones(full.nnz), full.indices, full.indptr), shape=full.shape)
    want = want.toarray() > 0
    got = reach_pattern(net, src, audit.cell_snap, radius_m=audit.study.radius_m)
    assert np.array_equal(got.toarray() > 0, want) and got.nnz == full.nnz
    some = reach_pattern(net, src, audit.cell_snap, radius_m=audit.study.radius_m, weight=older)
    assert np.array_equal(some.toarray() > 0, want & (older > 0)[None, :])
    assert got.indices.dtype == np.int32 and got.has_sorted_indices
    assert full.nnz > 0 and not want.all()
