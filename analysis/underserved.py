"""The ranked list of under-served communities, with reasons in Chinese and English."""

from __future__ import annotations

import pandas as pd

from carecircle.analysis.indicators import REGISTRY
from carecircle.analysis.labels import gap_text


def _number(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def _reasons(row: pd.Series, failed: list[str]) -> tuple[str, str]:
    zh, en = [], []
    for indicator_id in failed:
        definition = REGISTRY[indicator_id]
        name_zh, name_en, unit, gap_unit = (
            definition.name_zh,
            definition.name_en,
            definition.unit,
            definition.gap_unit,
        )
        low = indicator_id.lower()
        value = _number(row[f"{low}_value"], unit)
        target = _number(row[f"{low}_target"], unit)
        gap_zh, gap_en = gap_text(f"{row[f'{low}_gap']:,.0f}", gap_unit)
        zh.append(f"{indicator_id} {name_zh} {value}（目标 {target}，差 {gap_zh}）")
        en.append(f"{indicator_id} {name_en} {value} (target {target}; {gap_en} short)")
    return "；".join(zh), "; ".join(en)


def underserved_communities(by_community: pd.DataFrame) -> pd.DataFrame:
    """Return communities that fail any community-level indicator, ranked.

    Score, in order: uncovered older residents (descending), the number of failed indicators
    (descending), then the community code, so the order is reproducible.

    Parameters
    ----------
    by_community : DataFrame
        Community table with the coverage columns and ``<id>_met`` indicator columns.

    Returns
    -------
    DataFrame
        ``rank, code, name, street, kind, older_residents, older_uncovered,
        older_covered_share, floor_area_per_1000, failed_count, failed, reason_zh,
        reason_en``.
    """
    ids = [i for i in REGISTRY.ids() if f"{i.lower()}_met" in by_community]
    met = by_community[[f"{i.lower()}_met" for i in ids]]
    failed_mask = met.eq(False).fillna(False).to_numpy(dtype=bool)
    failed_lists = [[ids[j] for j in range(len(ids)) if row[j]] for row in failed_mask]
    table = by_community.assign(
        failed_count=failed_mask.sum(axis=1), failed=[" ".join(f) for f in failed_lists]
    )
    reasons = [_reasons(row, f) for (_, row), f in zip(table.iterrows(), failed_lists, strict=True)]
    table["reason_zh"] = [r[0] for r in reasons]
    table["reason_en"] = [r[1] for r in reasons]
    table = table[table["failed_count"] > 0]
    table = table.sort_values(
        ["older_uncovered", "failed_count", "code"],
        ascending=[False, False, True],
        kind="mergesort",
    )
    table.insert(0, "rank", range(1, len(table) + 1))
    cols = [
        "rank",
        "code",
        "name",
        "street",
        "kind",
        "older_residents",
        "older_uncovered",
        "older_covered_share",
        "floor_area_per_1000",
        "failed_count",
        "failed",
        "reason_zh",
        "reason_en",
    ]
    return table[cols].reset_index(drop=True)
