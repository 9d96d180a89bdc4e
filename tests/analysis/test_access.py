"""Accessibility scores (2SFCA, Gaussian, E2SFCA): hand case, identity, PySAL ``access``, demo.

PySAL ``access`` is a test dependency only: the same cost matrix goes to both, and the scores
must agree to rounding.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import scipy.sparse as sp

import carecircle as cc
from carecircle.analysis.circles import subset
from carecircle.analysis.indicators import REGISTRY, IndicatorContext, checked_profile
from carecircle.analysis.indicators.access import SCORE_ONLY, access_formula, supply_columns
from carecircle.analysis.indicators.fca import decay_weights, two_step_fca
from carecircle.errors import ProfileError
from carecircle.geo.matrix import coverage_matrix
from carecircle.profiles import IndicatorSpec, load_profile

access = pytest.importorskip("access")

CATCHMENT = 1000.0
#: Hand case: facilities A, B, C, D; cells c1…c5; walking metres of the pairs within reach.
SUPPLY = np.array([100.0, 60.0, 40.0, 30.0])
DEMAND = np.array([100.0, 200.0, 100.0, 50.0, 0.0])
PAIRS = {(0, 0): 200.0, (0, 1): 500.0, (1, 1): 300.0, (1, 2): 800.0, (2, 3): 100.0, (3, 4): 0.0}


def hand_matrix() -> sp.csr_array:
    rows, cols = zip(*PAIRS, strict=True)
    return sp.csr_array((list(PAIRS.values()), (rows, cols)), shape=(4, 5))


def test_hand_case_exact_scores() -> None:
    # step 1: A is shared by c1 + c2 = 300 older residents -> 1/3 m² each; B by c2 + c3 = 300
    # -> 0.2; C by c4 = 50 -> 0.8; D reaches only an empty cell -> 0 (nobody to share it)
    # step 2: c1 = 1/3, c2 = 1/3 + 0.2, c3 = 0.2, c4 = 0.8, c5 = 0 (D shares nothing)
    res = two_step_fca(hand_matrix(), SUPPLY, DEMAND, catchment_m=CATCHMENT)
    np.testing.assert_allclose(res.ratio, [1 / 3, 0.2, 0.8, 0.0])
    np.testing.assert_allclose(res.score, [1 / 3, 1 / 3 + 0.2, 0.2, 0.8, 0.0])
    # identity: Σ P A = 100/3 + 200·8/15 + 100·0.2 + 50·0.8 = 200 = A + B + C (D reaches no one)
    assert DEMAND @ res.score == pytest.approx(200.0)
    assert res.reaching_supply(SUPPLY) == 200.0


def test_hand_case_shorter_catchment_drops_the_far_pair() -> None:
    # at 600 m B no longer reaches c3 (800 m): B is c2's alone -> 60/200 = 0.3
    res = two_step_fca(hand_matrix(), SUPPLY, DEMAND, catchment_m=600.0)
    np.testing.assert_allclose(res.score, [1 / 3, 1 / 3 + 0.3, 0.0, 0.8, 0.0])


def test_unknown_supply_is_unknown_where_it_reaches_not_zero() -> None:
    supply = SUPPLY.copy()
    supply[1] = np.nan  # B's floor area unknown: c2 and c3 cannot be scored
    res = two_step_fca(hand_matrix(), supply, DEMAND, catchment_m=CATCHMENT)
    assert np.isnan(res.score[[1, 2]]).all()
    np.testing.assert_allclose(res.score[[0, 3, 4]], [1 / 3, 0.8, 0.0])


def test_gaussian_weights() -> None:
    d0 = 900.0
    w = decay_weights([0.0, 450.0, 900.0, 901.0], d0, "gaussian")
    # (exp(-1/8) - exp(-1/2)) / (1 - exp(-1/2)) = (0.882497 - 0.606531) / 0.393469 = 0.701367
    np.testing.assert_allclose(w, [1.0, 0.701367, 0.0, 0.0], atol=1e-6)
    assert np.all(np.diff(decay_weights(np.linspace(0, d0, 50), d0, "gaussian")) < 0)
    steps = decay_weights([0.0, 300.0, 300.5, 600.0, 600.5, 900.0, 900.5], d0, "steps")
    np.testing.assert_allclose(steps, [1.0, 1.0, 0.68, 0.68, 0.22, 0.22, 0.0])
    np.testing.assert_allclose(decay_weights([0.0, 900.0, 901.0], d0, "none"), [1, 1, 0])


def test_identity_holds_with_decay() -> None:
    for decay in ("gaussian", "steps"):
        res = two_step_fca(hand_matrix(), SUPPLY, DEMAND, catchment_m=CATCHMENT, decay=decay)
        assert DEMAND @ res.score == pytest.approx(res.reaching_supply(SUPPLY))


def pysal_scores(
    distance: sp.csr_array,
    supply: np.ndarray,
    demand: np.ndarray,
    catchment: float,
    decay: str,
) -> pd.Series:
    """PySAL access on the same facility × cell cost matrix (origin: cell, dest: facility)."""
    with warnings.catch_warnings():  # PySAL uses pandas' deprecated inplace=True
        warnings.simplefilter("ignore")
        return _pysal(distance, supply, demand, catchment, decay)


def _pysal(
    distance: sp.csr_array, supply: np.ndarray, demand: np.ndarray, catchment: float, decay: str
) -> pd.Series:
    coo = distance.tocoo()
    cost = pd.DataFrame({"origin": coo.col, "dest": coo.row, "cost": coo.data})
    model = access.Access(
        demand_df=pd.DataFrame({"geoid": np.arange(demand.size), "older": demand}),
        demand_index="geoid",
        demand_value="older",
        supply_df=pd.DataFrame({"geoid": np.arange(supply.size), "supply": supply}),
        supply_index="geoid",
        supply_value="supply",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    if decay == "none":
        out = model.two_stage_fca(name="x", max_cost=catchment)
    elif decay == "gaussian":
        fn = lambda d: float(decay_weights(d, catchment, "gaussian"))  # noqa: E731
        out = model.two_stage_fca(name="x", max_cost=catchment, weight_fn=fn)
    else:
        steps = access.weights.step_fn(
            {catchment / 3.0: 1.0, 2.0 * catchment / 3.0: 0.68, catchment: 0.22}
        )
        out = model.enhanced_two_stage_fca(name="x", max_cost=catchment, weight_fn=steps)
    return out["x_supply"].reindex(np.arange(demand.size))


@pytest.mark.parametrize("decay", ["none", "gaussian", "steps"])
def test_equals_pysal_access_on_the_hand_case(decay: str) -> None:
    # D (reaching only an empty cell) is left out: PySAL divides its supply by 0 demand
    matrix, supply = hand_matrix()[:3], SUPPLY[:3]
    ours = two_step_fca(matrix, supply, DEMAND, catchment_m=CATCHMENT, decay=decay).score
    theirs = pysal_scores(matrix, supply, DEMAND, CATCHMENT, decay).fillna(0.0)
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("decay", ["none", "gaussian", "steps"])
def test_equals_pysal_access_on_a_random_matrix(decay: str) -> None:
    rng = np.random.default_rng(7)
    n_fac, n_cells = 25, 300
    dense = rng.uniform(0.0, 1500.0, (n_fac, n_cells))
    dense[dense > CATCHMENT] = 0.0
    dense[rng.random(dense.shape) < 0.6] = 0.0
    matrix = sp.csr_array(dense)
    supply = rng.uniform(50.0, 800.0, n_fac)
    demand = rng.integers(1, 400, n_cells).astype(float)
    ours = two_step_fca(matrix, supply, demand, catchment_m=CATCHMENT, decay=decay)
    theirs = pysal_scores(matrix, supply, demand, CATCHMENT, decay).fillna(0.0)
    np.testing.assert_allclose(ours.score, theirs.to_numpy(), rtol=1e-9)
    assert demand @ ours.score == pytest.approx(ours.reaching_supply(supply), rel=1e-12)


def _context(score: list[float]) -> IndicatorContext:
    """Two communities in one street, two cells each; AC1's score given per cell."""
    cells = pd.DataFrame(
        {
            "community": ["C1", "C1", "C2", "C2"],
            "street": ["S", "S", "S", "S"],
            "residents": [500.0, 500.0, 500.0, 500.0],
            "older_residents": [100.0, 300.0, 200.0, 0.0],
            "ac1_score": score,
        }
    )
    facilities = pd.DataFrame(
        {
            "type": ["service_station", "day_care"],
            "street": ["S", "S"],
            "community": ["C1", "C2"],
            "floor_area_m2": [300.0, np.nan],
            "source_file": ["stations.csv", "daycare.csv"],
        }
    )
    coverage = {
        "community": pd.DataFrame(index=pd.Index(["C1", "C2"], name="code")),
        "street": pd.DataFrame(index=pd.Index(["S"], name="code")),
        "district": pd.DataFrame(index=pd.Index(["district"], name="code")),
    }
    return IndicatorContext(
        cells=cells,
        facilities=facilities,
        communities=pd.DataFrame({"code": ["C1", "C2"], "street": "S", "kind": "urban"}),
        streets=pd.DataFrame({"code": ["S"], "name": ["s"]}),
        coverage=coverage,
        attribute_columns=frozenset({"floor_area_m2"}),
    )


def _spec(target: float) -> IndicatorSpec:
    spec = IndicatorSpec(
        "AC1", True, target, ("service_station", "day_care"), defaults={"supply": "floor_area_m2"}
    )
    return spec


def test_units_take_the_demand_weighted_mean_of_their_cells() -> None:
    ctx = _context([500.0, 100.0, 50.0, 900.0])
    com = access_formula(ctx, _spec(200.0), "community")
    # C1: (100·500 + 300·100) / 400 = 200; C2: 200·50 / 200 = 50 (the empty cell weighs 0)
    assert com.loc["C1", "value"] == pytest.approx(200.0)
    assert com.loc["C2", "value"] == pytest.approx(50.0)
    assert list(com["status"]) == ["met", "not met"]
    assert com.loc["C2", "gap"] == pytest.approx((200.0 - 50.0) * 200.0 / 1000.0)  # 30 m²
    street = access_formula(ctx, _spec(200.0), "street")
    assert street.loc["S", "value"] == pytest.approx((50_000 + 30_000 + 10_000) / 600.0)
    none = access_formula(ctx, _spec(0.0), "community")
    assert (none["status"] == SCORE_ONLY).all()
    assert none["met"].isna().all()
    assert none.loc["C1", "value"] == pytest.approx(200.0)


def test_unknown_supply_reads_not_assessed_never_zero() -> None:
    ctx = _context([500.0, 100.0, np.nan, np.nan])  # C2's cells reached by the unknown one
    com = access_formula(ctx, _spec(200.0), "community")
    assert com.loc["C1", "status"] == "met"
    assert np.isnan(com.loc["C2", "value"])
    assert com.loc["C2", "status"] == (
        "not assessed: floor_area_m2 unknown for 1 facility within reach of 200 older "
        "residents (daycare.csv has no floor_area_m2 column)"
    )
    street = access_formula(ctx, _spec(200.0), "street")
    assert street.loc["S", "status"].startswith("not assessed")
    no_column = ctx
    no_column.attribute_columns = frozenset()
    missing = access_formula(no_column, _spec(200.0), "street")
    assert missing.loc["S", "status"] == (
        "not assessed: the facility tables have no floor_area_m2 column"
    )


def _profile_with(tmp_path: Path, lines: str) -> Path:
    base = Path(load_profile("shanghai").path).read_text(encoding="utf-8")
    path = tmp_path / "mine.toml"
    text = re.sub(r"\[indicators.AC2\]\n(.*\n)*?\n|\[indicators.AC2\]\n(.*\n?)*$", "", base)
    path.write_text(text + "\n[indicators.AC2]\ntarget = 0\n" + lines, encoding="utf-8")
    return path


def test_supply_per_type_and_its_errors(tmp_path: Path) -> None:
    path = _profile_with(
        tmp_path,
        'facility_types = ["day_care", "institution"]\n'
        'supply = { day_care = "beds", institution = "nursing_beds" }\n',
    )
    spec = checked_profile(load_profile(str(path))).indicator("AC2")
    assert supply_columns(spec) == {"day_care": "beds", "institution": "nursing_beds"}
    hash(spec)  # the frozen profile stays hashable
    bad = {
        'supply = "bedz"\n': "supply = 'bedz'; allowed columns: floor_area_m2, beds",
        'supply = { meal_point = "beds", day_care = "beds" }\n': (
            "supply gives a column for meal_point, a type this indicator does not count"
        ),
        'facility_types = ["day_care", "institution"]\nsupply = { day_care = "beds" }\n': (
            "supply has no column for institution"
        ),
        'decay = "exponential"\n': "decay = 'exponential'; allowed values: none, gaussian, steps",
    }
    for lines, words in bad.items():
        path = _profile_with(tmp_path, lines)
        with pytest.raises(ProfileError, match=re.escape(words)):
            checked_profile(load_profile(str(path)))


# --- the demo ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_audit(tmp_path_factory: pytest.TempPathFactory) -> cc.AuditResult:
    from carecircle.data.district import write_demo_inputs

    study = write_demo_inputs(tmp_path_factory.mktemp("demo-access"))
    return cc.audit(study)


def _demo_matrix(res: cc.AuditResult, indicator_id: str) -> tuple[sp.csr_array, np.ndarray, float]:
    audit = res.audit
    spec = audit.study.profile.indicator(indicator_id)
    fac = audit.facilities
    counted = fac["type"].isin(spec.facility_types).to_numpy() & audit.facility_snap.ok
    table = supply_columns(spec)
    supply = np.array([fac[table[t]].iloc[i] for i, t in enumerate(fac["type"]) if counted[i]])
    radius = audit.study.minutes * 60.0 * audit.study.walk_speed_m_s
    matrix = coverage_matrix(
        audit.network, subset(audit.facility_snap, counted), audit.cell_snap, radius_m=radius
    )
    return matrix, supply, radius


@pytest.mark.parametrize("indicator_id", ["AC1", "AC2"])
def test_demo_identity_and_pysal(demo_audit: cc.AuditResult, indicator_id: str) -> None:
    cells = demo_audit.audit.cells
    score = cells[f"{indicator_id.lower()}_score"].to_numpy() / 1000.0
    older = cells["older_residents"].to_numpy()
    matrix, supply, radius = _demo_matrix(demo_audit, indicator_id)
    res = two_step_fca(matrix, supply, older, catchment_m=radius)
    assert np.isfinite(score).all()
    # Σ demand × score = the supply of the facilities that reach any older resident
    assert older @ score == pytest.approx(res.reaching_supply(supply), rel=1e-9)
    assert res.reaching_supply(supply) > 0.9 * supply.sum()
    theirs = pysal_scores(matrix, supply, older, radius, "none").fillna(0.0).to_numpy()
    reached = res.demand[matrix.tocoo().row] > 0  # PySAL's ratio is inf for unreached supply
    cells_ok = np.ones(older.size, dtype=bool)
    cells_ok[matrix.tocoo().col[~reached]] = False
    np.testing.assert_allclose(score[cells_ok], theirs[cells_ok], rtol=1e-9)


def test_demo_district_value_is_the_demand_weighted_mean(demo_audit: cc.AuditResult) -> None:
    cells = demo_audit.audit.cells
    inside = cells[cells["street"] != ""]
    for low in ("ac1", "ac2"):
        district = demo_audit.indicators("district").iloc[0]
        expected = (inside["older_residents"] * inside[f"{low}_score"]).sum() / inside[
            "older_residents"
        ].sum()
        assert district[f"{low}_value"] == pytest.approx(expected)
        assert district[f"{low}_status"] == SCORE_ONLY


def test_demo_outputs_show_the_scores(demo_run: Path) -> None:
    for level in ("community", "street"):
        table = pd.read_csv(demo_run / f"indicators_by_{level}.csv")
        for low in ("ac1", "ac2"):
            assert table[f"{low}_value"].notna().all()
            assert (table[f"{low}_value"] >= 0).all()
    assert pd.read_csv(demo_run / "indicators_by_street.csv")["ac1_value"].gt(0).all()
    cells = pyogrio.read_dataframe(demo_run / "cells.gpkg", layer="cells")
    assert {"ac1_score", "ac2_score"} <= set(cells.columns)
    layer = pyogrio.read_dataframe(demo_run / "indicators.gpkg", layer="communities")
    assert {"ac1_value", "ac2_status"} <= set(layer.columns)
    html = "".join(p.read_text(encoding="utf-8") for p in (demo_run / "maps").glob("*.html"))
    for indicator_id in ("AC1", "AC2"):
        name = f"{indicator_id} {REGISTRY[indicator_id].name_zh}"
        escaped = name.encode("ascii", "backslashreplace").decode()
        unit = REGISTRY[indicator_id].unit.encode("ascii", "backslashreplace").decode()
        pattern = f"(?:{re.escape(name)}|{re.escape(escaped)}): [0-9.e+]+ "
        assert re.search(
            pattern + f"(?:{re.escape(REGISTRY[indicator_id].unit)}|{re.escape(unit)})", html
        ), indicator_id
    catalogue = pd.read_csv(demo_run / "indicator_catalogue.csv").set_index("id")
    assert catalogue.loc["AC1", "unit"] == "m²/1,000 older"
    book = openpyxl.load_workbook(demo_run / "indicators.xlsx", read_only=True)
    headers = {str(c.value) for ws in book.worksheets for c in next(ws.iter_rows(max_row=1))}
    assert {"AC1 社区养老设施面积可达性(2SFCA)", "AC2 社区养老床位可达性(2SFCA)"} <= headers


def test_shared_matrix_rows_equal_each_subsets_own_matrix(demo_audit: cc.AuditResult) -> None:
    """AC1 and AC2 share one matrix (analysis/indicators/shared_matrix.py): its rows for each
    indicator's facilities equal that subset's own coverage_matrix entry for entry, so the
    scores are exactly those of separate matrices; a facility outside the shared rows gets
    its own matrix."""
    from carecircle.analysis.indicators.shared_matrix import SharedMatrices

    audit = demo_audit.audit
    fac, snap = audit.facilities, audit.facility_snap
    union = set()
    for indicator_id in ("AC1", "AC2"):
        union |= set(audit.study.profile.indicator(indicator_id).facility_types)
    rows = fac["type"].isin(sorted(union)).to_numpy() & snap.ok
    shared = SharedMatrices(audit.network, snap, audit.cell_snap, rows)
    for indicator_id in ("AC1", "AC2", "AC2"):  # the second AC2 is served from the cache
        own, _, radius = _demo_matrix(demo_audit, indicator_id)
        spec = audit.study.profile.indicator(indicator_id)
        counted = fac["type"].isin(spec.facility_types).to_numpy() & snap.ok
        got = shared.distances(counted, radius)
        assert got.shape == own.shape and got.nnz == own.nnz > 0
        np.testing.assert_array_equal(got.indptr, own.indptr)
        np.testing.assert_array_equal(got.indices, own.indices)
        np.testing.assert_array_equal(got.data, own.data)  # exact, not approximately
    assert list(shared._built) == [radius]  # one matrix built for both indicators
    outside = ~rows & snap.ok
    assert outside.any()
    alone = shared.distances(outside, radius)
    direct = coverage_matrix(audit.network, subset(snap, outside), audit.cell_snap, radius_m=radius)
    np.testing.assert_array_equal(alone.toarray(), direct.toarray())
    # the audit's scores are those of the separate matrices, bit for bit
    older = audit.cells["older_residents"].to_numpy()
    for indicator_id in ("AC1", "AC2"):
        own, supply, radius = _demo_matrix(demo_audit, indicator_id)
        alone_score = two_step_fca(own, supply, older, catchment_m=radius).score * 1000.0
        np.testing.assert_array_equal(
            audit.cells[f"{indicator_id.lower()}_score"].to_numpy(), alone_score
        )
