"""Siting on the demo district: the reported gain is real, and the compound gap is handled."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from pyproj import Transformer

from carecircle.analysis.audit import audit_study
from carecircle.config import load_study
from carecircle.scripts.cli import main


def _site(inputs: Path, out: Path, *extra: str) -> tuple[dict, pd.DataFrame]:
    """Run ``carecircle site`` for service stations; return siting.json and the street table."""
    args = ["-q", "site", str(inputs / "study.toml"), "--out", str(out)]
    assert main([*args, "--type", "service_station", *extra]) == 0
    summary = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    table = pd.read_csv(out / "before_after_by_street.csv", dtype={"code": str})
    return summary, table


def _audit_with_proposal(inputs: Path, site: Path, out: Path) -> pd.DataFrame:
    """Add the proposal's proposed_facilities.csv to the study, audit, return S1 by street."""
    shutil.copy(site / "proposed_facilities.csv", inputs / "proposed.csv")
    text = (inputs / "study.toml").read_text(encoding="utf-8")
    text = text.replace(
        'facilities = ["facilities.csv", "meal_points_amap.csv"]',
        'facilities = ["facilities.csv", "meal_points_amap.csv", "proposed.csv"]',
    )
    text = text.replace(
        'facilities_crs = ["EPSG:4326", "GCJ-02"]',
        'facilities_crs = ["EPSG:4326", "GCJ-02", "EPSG:4326"]',
    )
    (inputs / "study.toml").write_text(text, encoding="utf-8")
    assert main(["-q", "audit", str(inputs / "study.toml"), "--out", str(out)]) == 0
    return pd.read_csv(out / "coverage_by_street.csv", dtype={"code": str})


def test_five_new_stations_raise_s1_by_the_reported_amount(demo_run: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(demo_run / "inputs", inputs)
    summary, table = _site(inputs, tmp_path / "site", "--add", "5")
    assert summary["sites"] == 5
    assert summary["gap"] <= 0.01
    assert summary["district_after"] > summary["district_before"] + 0.01
    after = _audit_with_proposal(inputs, tmp_path / "site", tmp_path / "after")
    merged = table.merge(after, on="code")
    assert merged["s1_after"].to_numpy() == pytest.approx(
        merged["older_covered_share"].to_numpy(), abs=1e-9
    )


def _off_network_candidates(inputs: Path, path: Path, n: int = 150) -> pd.DataFrame:
    """Candidate points 80–250 m from the walking network, written as a --candidates file."""
    audit = audit_study(load_study(inputs / "study.toml"))
    net = audit.network
    rng = np.random.default_rng(3)
    x = rng.uniform(net.x.min(), net.x.max(), 20 * n)
    y = rng.uniform(net.y.min(), net.y.max(), 20 * n)
    snap = audit.edge_index.snap(x, y, max_distance_m=audit.study.max_snap_m)
    keep = np.flatnonzero((snap.distance >= 80.0) & (snap.distance <= 250.0))[:n]
    assert keep.size == n
    lon, lat = Transformer.from_crs(audit.crs, "EPSG:4326", always_xy=True).transform(
        x[keep], y[keep]
    )
    frame = pd.DataFrame({"id": [f"K{i:03d}" for i in range(n)], "lon": lon, "lat": lat})
    frame.to_csv(path, index=False)
    return frame


def test_off_network_candidates_reaudit_to_the_reported_shares(
    demo_run: Path, tmp_path: Path
) -> None:
    """Issue 15: reach walks from the candidate's own point (snap distance added); the
    proposal must give that point, not the snapped one, for an audit to reproduce it."""
    inputs = tmp_path / "inputs"
    shutil.copytree(demo_run / "inputs", inputs)
    cand = _off_network_candidates(inputs, tmp_path / "candidates.csv")
    summary, table = _site(
        inputs, tmp_path / "site", "--add", "5", "--candidates", str(tmp_path / "candidates.csv")
    )
    sites = pd.read_csv(tmp_path / "site" / "proposed_sites.csv")
    facilities = pd.read_csv(tmp_path / "site" / "proposed_facilities.csv")
    own = cand.set_index("id").loc[sites["candidate"]]
    # the facility table gives the candidates' own points (9 decimals), not the snapped ones
    assert facilities["lon"].to_numpy() == pytest.approx(own["lon"].to_numpy(), abs=1e-9)
    assert facilities["lat"].to_numpy() == pytest.approx(own["lat"].to_numpy(), abs=1e-9)
    assert (sites["snap_distance_m"] >= 80.0 - 0.1).all()
    east = (sites["lon_network"] - sites["lon"]) * 111_320.0 * np.cos(np.radians(sites["lat"]))
    north = (sites["lat_network"] - sites["lat"]) * 110_574.0
    assert (np.hypot(east, north) >= 79.0).all()  # the network point is written beside it
    assert summary["district_after"] > summary["district_before"]
    after = _audit_with_proposal(inputs, tmp_path / "site", tmp_path / "after")
    merged = table.merge(after, on="code")
    assert len(merged) == len(table) - 1  # every street (the district row aside)
    assert merged["s1_after"].to_numpy() == pytest.approx(
        merged["older_covered_share"].to_numpy(), abs=1e-9
    )
    district = after["older_covered"].sum() / after["older_residents"].sum()
    assert summary["district_after"] == pytest.approx(district, abs=1e-7)


def test_gated_compound_gap_is_closed_or_named_infeasible(demo_run: Path, tmp_path: Path) -> None:
    gaps = json.loads((demo_run / "inputs" / "gaps.json").read_text(encoding="utf-8"))
    community = gaps["gated_compound"]["community"]
    assert (
        main(
            [
                "-q",
                "site",
                str(demo_run / "inputs" / "study.toml"),
                "--out",
                str(tmp_path / "site"),
                "--type",
                "service_station",
                "--target",
                "1.0",
                "--time-limit",
                "20",
            ]
        )
        == 0
    )
    sites = pd.read_csv(tmp_path / "site" / "proposed_sites.csv", dtype={"community": str})
    infeasible = pd.read_csv(tmp_path / "site" / "infeasible_cells.csv", dtype={"community": str})
    reasons = infeasible["reason"].str.extract(
        r"/ (farther than 500 m from the walking "
        r"network|no candidate within the 900 m walk)$"
    )[0]
    assert reasons.notna().all()
    closed = community in set(sites["community"])
    named = community in set(infeasible.loc[reasons.str.startswith("no candidate"), "community"])
    assert closed or named


def test_capacitated_demo_reports_the_true_optimum(demo_run: Path) -> None:
    """Issue 15: 5 stations, capacitated: 5,721.45 was reported "optimal"; 5,748.51 is.

    The chosen sites are evaluated on the raw cells by scipy's linprog (each cell served
    at most once, each site at most its capacity, only within its walk)."""
    from scipy.optimize import linprog

    from carecircle.analysis.circles import subset
    from carecircle.analysis.siting import SitingRequest, site_facilities
    from carecircle.analysis.siting.candidates import auto_candidates
    from carecircle.geo.matrix import coverage_matrix

    audit = audit_study(load_study(demo_run / "inputs" / "study.toml"))
    request = SitingRequest("service_station", add=5, objective="capacitated")
    result = site_facilities(audit, request)
    s = result.summary
    assert s["status"] == "optimal"
    assert s["objective_value"] == pytest.approx(5748.51, abs=0.01)
    assert s["best_bound"] >= s["objective_value"] - 1e-6
    assert s["gap"] <= 1e-4
    assert any("same older/residents ratio" in r for r in s["reductions"])
    # evaluate the chosen sites on the raw cells
    cells = audit.cells
    older, residents = cells["older_residents"].to_numpy(), cells["residents"].to_numpy()
    open_ = (cells["community"] != "").to_numpy() & ~cells["covered"].to_numpy() & (older > 0)
    open_cells = np.flatnonzero(open_ & audit.cell_snap.ok)
    codes = sorted(set(cells["community"].to_numpy()[open_cells]))
    cand = auto_candidates(audit.network, audit.communities, codes).set_index("id")
    chosen = cand.loc[result.sites["candidate"]]
    x, y = Transformer.from_crs("EPSG:4326", audit.crs, always_xy=True).transform(
        chosen["lon"].to_numpy(), chosen["lat"].to_numpy()
    )
    snap = audit.edge_index.snap(x, y, max_distance_m=audit.study.max_snap_m)
    reach = coverage_matrix(
        audit.network, snap, subset(audit.cell_snap, open_cells), radius_m=audit.study.radius_m
    ).tocoo()
    site, cell = reach.row, open_cells[reach.col]
    cell_ids, cell_row = np.unique(cell, return_inverse=True)
    p = site.size
    a = sp.csr_array(
        (
            np.concatenate([np.ones(p), residents[cell]]),
            (np.concatenate([cell_row, cell_ids.size + site]), np.tile(np.arange(p), 2)),
        ),
        shape=(cell_ids.size + 5, p),
    )
    b = np.concatenate([np.ones(cell_ids.size), result.sites["capacity_residents"].to_numpy()])
    lp = linprog(-older[cell], A_ub=a, b_ub=b, bounds=(0, 1), method="highs")
    assert lp.status == 0
    assert -lp.fun == pytest.approx(s["objective_value"], rel=1e-6)
