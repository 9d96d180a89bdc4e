"""Overview map of a batch: one rectangle per district, coloured by S1, linking its maps."""

from __future__ import annotations

from pathlib import Path

import folium
import pandas as pd

from carecircle.files import write_text_atomic
from carecircle.maps.assets import copy_assets, use_assets
from carecircle.maps.base import MetricScale, stable_html
from carecircle.maps.style import esc, pct, records, share_colour, title_panel
from carecircle.maps.verbatim import root


def batch_overview(summary: pd.DataFrame, out: Path, *, offline: bool = False) -> Path:
    """Write ``out/index.html`` linking each district's own map overview.

    Parameters
    ----------
    summary : DataFrame
        The batch summary (``name, out, status, older_covered_share`` and bounds).
    out : Path
        The batch output folder.
    offline : bool, default False
        Copy Leaflet beside the map and use no basemap.

    Returns
    -------
    Path
        The map written.
    """
    done = summary[summary["status"] == "done"]
    fmap = folium.Map(
        tiles=None if offline else "OpenStreetMap", control_scale=False, prefer_canvas=True
    )
    root(fmap).title = "批量审计 15分钟养老服务圈 · batch audit of the 15-minute circle"
    use_assets(fmap, offline=offline)
    MetricScale().add_to(fmap)
    if offline:
        copy_assets(out)
    for r in records(done):
        link = f"{Path(r.out).name}/maps/index.html"
        folium.Rectangle(
            bounds=[[r.south, r.west], [r.north, r.east]],
            color="#222222",
            weight=2,
            fill=True,
            fill_color=share_colour(r.older_covered_share),
            fill_opacity=0.6,
            tooltip=f"{esc(r.name)} · S1 {pct(r.older_covered_share)}",
            popup=folium.Popup(
                f"<b>{esc(r.name)}</b><br>S1 {pct(r.older_covered_share)}<br>"
                f'<a href="{esc(link)}">打开地图 Open maps →</a>',
                max_width=250,
            ),
        ).add_to(fmap)
    if len(done):
        fmap.fit_bounds(
            [[done["south"].min(), done["west"].min()], [done["north"].max(), done["east"].max()]]
        )
    failed = summary[summary["status"] != "done"]
    lines = [f"<b>批量审计 Batch audit</b> · {len(done)} 完成 done · {len(failed)} 失败 failed"]
    lines += [f"✗ {esc(Path(r.study).name)}: {esc(r.error)}" for r in records(failed)]
    root(fmap).html.add_child(folium.Element(title_panel(lines)))
    return write_text_atomic(out / "index.html", stable_html(fmap))
