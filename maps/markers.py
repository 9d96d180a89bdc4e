"""Point layers of the street maps: facilities by type and the proposed sites of a plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import folium
import numpy as np
import pandas as pd

from carecircle.maps.elements import JsonText, MarkerSet, script_json
from carecircle.maps.geojson import points
from carecircle.maps.style import FACILITY_COLOURS, count, esc
from carecircle.vocabulary import FACILITY_TYPES, facility_label

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from carecircle.analysis.audit import Audit

Bounds = tuple[float, float, float, float]
_FACILITY_NUMBERS = ("floor_area_m2", "beds", "nursing_beds")


@dataclass(frozen=True)
class MarkerSpec:
    """A layer of markers before its datum is chosen (WGS84 positions, escaped HTML).

    The popups and tooltips are serialised once, when the spec is made; a datum only places
    the markers.
    """

    lon: np.ndarray
    lat: np.ndarray
    popups: list[str]
    tooltips: list[str]
    name: str
    fill_colour: str
    _texts: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Serialise each marker's popup and tooltip (``"popup","tooltip"``)."""
        texts = [
            script_json([pop, tip])[1:-1]
            for pop, tip in zip(self.popups, self.tooltips, strict=True)
        ]
        object.__setattr__(self, "_texts", texts)

    def layer(self, datum: str) -> MarkerSet:
        """Return the markers placed in ``datum``."""
        lat, lon = points(self.lon, self.lat, datum)
        rows = ",".join(
            f"[{la!r},{lo!r},{text}]" for la, lo, text in zip(lat, lon, self._texts, strict=True)
        )
        return MarkerSet(JsonText(f"[{rows}]"), name=self.name, fill_colour=self.fill_colour)


def _facilities_near(audit: Audit, bounds: Bounds) -> pd.DataFrame:
    """Facilities inside ``bounds`` (lon/lat, WGS84)."""
    minx, miny, maxx, maxy = bounds
    fac = audit.facilities
    lon, lat = fac["lon"].to_numpy(), fac["lat"].to_numpy()
    inside = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    return fac.loc[inside, ["id", "name", "type", "lon", "lat", *_FACILITY_NUMBERS]]


def facility_types_near(audit: Audit, bounds: Bounds) -> list[str]:
    """Facility types drawn by :func:`facility_specs` for ``bounds``, in vocabulary order.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    bounds : Bounds
        West, south, east, north (degrees).
    """
    present = set(_facilities_near(audit, bounds)["type"])
    return [ftype for ftype in FACILITY_TYPES if ftype in present]


def facility_specs(audit: Audit, bounds: Bounds) -> list[MarkerSpec]:
    """Return one toggleable layer of markers per facility type present near the street.

    Parameters
    ----------
    audit : Audit
        The audit's results (facilities with their numbers).
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` in lon/lat (WGS84): the facilities inside are drawn.
    """
    near = _facilities_near(audit, bounds)
    types = near["type"].to_numpy()
    columns = {c: near[c].tolist() for c in ("id", "name", *_FACILITY_NUMBERS)}
    lon, lat = near["lon"].to_numpy(), near["lat"].to_numpy()
    groups = []
    for ftype in FACILITY_TYPES:
        rows = np.flatnonzero(types == ftype)
        if not len(rows):
            continue
        zh, en = FACILITY_TYPES[ftype]
        kind = esc(facility_label(ftype))
        names = [columns["name"][i] for i in rows]
        popups = [
            f"<b>{esc(columns['name'][i])}</b><br>{kind}<br>"
            f"面积 floor area: {count(columns['floor_area_m2'][i], 'm²')}<br>床位 beds: "
            f"{count(columns['beds'][i])} (护理型 nursing {count(columns['nursing_beds'][i])})"
            f"<br>id: {esc(columns['id'][i])}"
            for i in rows
        ]
        groups.append(
            MarkerSpec(
                lon[rows],
                lat[rows],
                popups,
                [esc(name) for name in names],
                name=f"设施 {zh} {en} ({len(rows)})",
                fill_colour=FACILITY_COLOURS.get(ftype, "#777777"),
            )
        )
    return groups


def proposal_layer(proposals: pd.DataFrame, bounds: Bounds, datum: str) -> folium.FeatureGroup:
    """Proposed sites of a siting run, as gold stars.

    Parameters
    ----------
    proposals : pd.DataFrame
        The proposed sites.
    bounds : Bounds
        West, south, east, north (degrees).
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
    minx, miny, maxx, maxy = bounds
    near = proposals[
        (proposals["lon"] >= minx)
        & (proposals["lon"] <= maxx)
        & (proposals["lat"] >= miny)
        & (proposals["lat"] <= maxy)
    ]
    group = folium.FeatureGroup(name="规划新增 Proposed sites")
    lat, lon = points(near["lon"].to_numpy(), near["lat"].to_numpy(), datum)
    for r, la, lo in zip(near.itertuples(index=False), lat, lon, strict=True):
        popup = (
            f"<b>规划新增 Proposed {esc(r.id)}</b> · 排序 rank {r.rank}<br>"
            f"{esc(facility_label(cast(str, r.type)))}<br>"
            f"新增覆盖老年人 newly covered older: {r.marginal_gain:,.0f}"
        )
        folium.Marker(
            location=[la, lo],
            icon=folium.DivIcon(
                html='<div class="cc-star">★</div>', icon_size=(22, 22), icon_anchor=(11, 11)
            ),
            popup=folium.Popup(popup, max_width=300),
            tooltip=f"规划新增 proposed {esc(r.id)}",
        ).add_to(group)
    return group
