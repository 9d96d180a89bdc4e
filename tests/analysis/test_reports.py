"""The tables as written: machine-readable CSV, and XLSX cells a planner reads in Chinese first."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from carecircle.analysis.audit import Audit
from carecircle.outputs.tables import write_tables

from mini_district import MiniRun


@pytest.fixture(scope="module")
def mini(mini_run: MiniRun) -> Audit:
    return mini_run.audit


@pytest.fixture(scope="module")
def out(mini: Audit, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tables")
    write_tables(folder, mini)
    return folder


def _sheet(path: Path, title: str) -> pd.DataFrame:
    """A sheet as a table keyed by its Chinese header row (row 1); data from row 3."""
    book = load_workbook(path, read_only=True)
    try:
        rows = list(book[title].iter_rows(values_only=True))
    finally:
        book.close()
    return pd.DataFrame(rows[2:], columns=rows[0])


def test_underserved_xlsx_names_the_street_and_the_kind_in_chinese(out: Path) -> None:
    sheet = _sheet(out / "underserved_communities.xlsx", "未达标社区").set_index("代码")
    assert sheet.loc["E-S", "所属街道/镇"] == "东镇"
    assert sheet.loc["W-N", "所属街道/镇"] == "西街道"
    assert sheet.loc["E-S", "街道/镇代码"] == "E"
    assert sheet.loc["E-S", "类型"] == "社区 urban"
    assert sheet.loc["E-N", "类型"] == "村 rural"
    assert sheet.loc["E-S", "原因"] == (
        "S1 15分钟养老服务圈覆盖率 53.3%（目标 100.0%，差 350 名老年人）；"
        "S2 每千人社区养老设施面积 0.0（目标 50.0，差 150 m²）；"
        "S8 助餐服务覆盖率 0.0%（目标 100.0%，差 750 名老年人）"
    )
    assert sheet.loc["W-S", "Reason"].startswith(
        "S7 elder-care sites next to a health facility 0.0% (target 100.0%; 1 site short)"
    )


def test_xlsx_status_cells_are_bilingual_and_unmet_ones_are_filled(out: Path) -> None:
    book = out / "underserved_communities.xlsx"
    communities = _sheet(book, "社区 communities").set_index("代码")
    assert communities.loc["W-N", "S1 状态"] == "未达标 not met"
    assert communities.loc["W-S", "S1 状态"] == "达标 met"
    assert communities.loc["W-S", "S1 达标"] == "是 yes"
    assert communities.loc["E-N", "所属街道/镇"] == "东镇"
    streets = _sheet(book, "街道 streets").set_index("代码")
    assert set(streets["S1 状态"]) == {"未达标 not met"}
    ws = load_workbook(book)["社区 communities"]
    rules = [(str(r.sqref), rule.formula[0]) for r in ws.conditional_formatting for rule in r.rules]
    status_col = next(c.column_letter for c in ws[1] if c.value == "S1 状态")
    assert (f"{status_col}3:{status_col}6", f'LEFT({status_col}3,3)="未达标"') in rules


def test_indicator_xlsx_shows_not_applicable_and_not_assessed_in_chinese(out: Path) -> None:
    communities = _sheet(out / "indicators.xlsx", "社区村 communities").set_index("代码")
    assert communities.loc["W-S", "S3 状态"] == "不适用 not applicable"
    assert communities.loc["W-N", "S8 状态"] == "未达标 not met"
    assert communities.loc["W-N", "所属街道/镇"] == "西街道"
    catalogue = _sheet(out / "indicators.xlsx", "指标说明 indicators").set_index("指标")
    assert catalogue.loc["S1", "全区状态"] == "未达标 not met"


def test_csv_keeps_machine_readable_values_and_adds_the_street_name(out: Path) -> None:
    under = pd.read_csv(
        out / "underserved_communities.csv", encoding="utf-8-sig", keep_default_na=False
    ).set_index("code")
    assert list(under.columns[:5]) == ["rank", "name", "street_name", "street", "kind"]
    assert under.loc["E-S", "street"] == "E"
    assert under.loc["E-S", "street_name"] == "东镇"
    assert under.loc["E-N", "kind"] == "rural"
    communities = pd.read_csv(out / "coverage_by_community.csv", encoding="utf-8-sig")
    assert "street_name" not in communities
    assert set(communities["s1_status"]) == {"met", "not met"}
    indicators = pd.read_csv(out / "indicators_by_community.csv", encoding="utf-8-sig")
    assert set(indicators["s3_status"]) == {"not applicable"}


def test_each_layer_has_one_home_and_cells_keep_every_cell(out: Path, mini: Audit) -> None:
    import pyogrio

    layers = {p.name: sorted(n for n, _ in pyogrio.list_layers(p)) for p in out.glob("*.gpkg")}
    assert layers == {
        "cells.gpkg": ["cells"],
        "indicators.gpkg": ["communities", "facilities", "streets"],
    }
    cells = pyogrio.read_dataframe(out / "cells.gpkg")
    assert len(cells) == len(mini.cells)
    assert cells["cell_id"].tolist() == mini.cells["cell_id"].tolist()
    assert cells["residents"].sum() == pytest.approx(mini.cells["residents"].sum())
    # unknown distance (beyond twice the circle or unreachable) is null, not NaN or 0
    unknown = mini.cells["distance_m"].isna().to_numpy()
    assert cells["distance_m"].isna().to_numpy().tolist() == unknown.tolist()


def test_run_json_reuses_the_network_digest(mini: Audit, tmp_path: Path) -> None:
    from carecircle.analysis.reports import run_summary
    from carecircle.geo.network_io import file_sha256

    network = mini.study.network
    assert mini.record.digests == {str(network): file_sha256(network)}
    mini.record.digests[str(network)] = "0" * 64  # proves run.json takes it from the record
    try:
        assert run_summary(mini)["inputs"]["network"]["sha256"] == "0" * 64
    finally:
        mini.record.digests[str(network)] = file_sha256(network)
