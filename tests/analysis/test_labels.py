"""Bilingual labels: verdicts, community kinds and gap units with singular and plural."""

from __future__ import annotations

import pytest

from carecircle.analysis.labels import gap_text, kind_label, label, status_label
from carecircle.text import plural


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("met", "达标 met"),
        ("not met", "未达标 not met"),
        ("not applicable", "不适用 not applicable"),
        (
            "not assessed: the facility tables have no social_workers column",
            "未评估 not assessed: the facility tables have no social_workers column",
        ),
        ("disabled in the profile", "未启用 disabled in the profile"),
        ("something else", "something else"),
    ],
)
def test_status_label_puts_chinese_before_the_english_verdict(status: str, shown: str) -> None:
    assert status_label(status) == shown


def test_kind_label_names_community_and_village() -> None:
    assert kind_label("urban") == "社区 urban"
    assert kind_label("rural") == "村 rural"
    assert kind_label("") == ""


@pytest.mark.parametrize(
    ("count", "unit", "zh", "en"),
    [
        ("3,312", "older residents", "3,312 名老年人", "3,312 older residents"),
        ("1", "older residents", "1 名老年人", "1 older resident"),
        ("463", "m²", "463 m²", "463 m²"),
        ("1", "sites", "1 个站点", "1 site"),
        ("2", "sites", "2 个站点", "2 sites"),
        ("1", "communities", "1 个社区", "1 community"),
        ("1", "meals/day", "1 份餐/日", "1 meal/day"),
        ("0", "beds", "0 张床位", "0 beds"),
        ("1", "furlongs", "1 furlongs", "1 furlongs"),  # unknown unit: left as given
    ],
)
def test_gap_text_has_units_in_both_languages(count: str, unit: str, zh: str, en: str) -> None:
    assert gap_text(count, unit) == (zh, en)


def test_plural_uses_the_singular_for_one_only() -> None:
    assert plural("1", "row", "rows") == "1 row"
    assert plural("10", "row", "rows") == "10 rows"
    assert plural("1.5", "row", "rows") == "1.5 rows"


def test_street_code_and_name_columns_have_their_own_labels() -> None:
    assert label("street_name")[:2] == ("所属街道/镇", "street/town")
    assert label("street")[:2] == ("街道/镇代码", "street/town code")
