"""The ranked list of under-served communities, with reasons in Chinese and English."""

from __future__ import annotations

import pandas as pd


def _fmt(value: float) -> str:
    return f"{value:,.0f}"


def _reasons(row: pd.Series) -> tuple[str, str]:
    zh, en = [], []
    if "s1_met" in row and not row["s1_met"]:
        zh.append(f"15分钟养老服务圈覆盖老年人 {row['s1_value']:.1%}"
                  f"（目标 {row['s1_target']:.0%}），"
                  f"未覆盖 {_fmt(row['older_uncovered'])} 人")
        en.append(f"15-minute circle covers {row['s1_value']:.1%} of older residents "
                  f"(target {row['s1_target']:.0%}); {_fmt(row['older_uncovered'])} not covered")
    if "s2_met" in row and not row["s2_met"]:
        zh.append(f"社区养老设施面积 {row['s2_value']:.1f} m²/千人（目标 {row['s2_target']:g}），"
                  f"缺 {_fmt(row['s2_gap_m2'])} m²")
        en.append(f"elder-care floor area {row['s2_value']:.1f} m² per 1,000 residents "
                  f"(target {row['s2_target']:g}); {_fmt(row['s2_gap_m2'])} m² missing")
    return "；".join(zh), "; ".join(en)


def underserved_communities(by_community: pd.DataFrame) -> pd.DataFrame:
    """Return communities failing S1 or S2, most uncovered older residents first.

    Ranking score: uncovered older residents (descending), then the number of failed
    indicators (descending), then the community code, so the order is reproducible.

    Parameters
    ----------
    by_community : DataFrame
        Community coverage table with indicator columns.

    Returns
    -------
    DataFrame
        ``rank, code, name, street, kind, older_residents, older_uncovered,
        older_covered_share, floor_area_per_1000, failed, reason_zh, reason_en``.
    """
    met_cols = [c for c in ("s1_met", "s2_met") if c in by_community]
    failed_n = (~by_community[met_cols].astype(bool)).sum(axis=1)
    table = by_community.assign(failed_count=failed_n)
    table = table[table["failed_count"] > 0].copy()
    table["failed"] = table.apply(
        lambda r: " ".join(c[:2].upper() for c in met_cols if not r[c]), axis=1
    ) if len(table) else pd.Series(dtype=str)
    reasons = table.apply(_reasons, axis=1, result_type="expand") if len(table) else None
    table["reason_zh"] = reasons[0] if reasons is not None else pd.Series(dtype=str)
    table["reason_en"] = reasons[1] if reasons is not None else pd.Series(dtype=str)
    table = table.sort_values(["older_uncovered", "failed_count", "code"],
                              ascending=[False, False, True], kind="mergesort")
    table.insert(0, "rank", range(1, len(table) + 1))
    cols = ["rank", "code", "name", "street", "kind", "older_residents", "older_uncovered",
            "older_covered_share", "floor_area_per_1000", "failed", "reason_zh", "reason_en"]
    return table[cols].reset_index(drop=True)
