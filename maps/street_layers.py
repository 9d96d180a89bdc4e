"""What a street's map draws, prepared once for both of its maps (WGS84 and GCJ-02).

The popups, tooltips, merged uncovered patches and clipped service areas do not depend on
the datum: a street's two maps share them and differ only in their coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from carecircle.maps.geojson import GeoJsonSpec, geojson_spec
from carecircle.maps.layers import (
    community_spec,
    service_area_specs,
    uncovered_spec,
    underserved_spec,
)
from carecircle.maps.markers import MarkerSpec, facility_specs, facility_types_near
from carecircle.maps.score_layers import ScoreLayer, score_specs
from carecircle.maps.street_jobs import street_box

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from carecircle.analysis.audit import Audit


@dataclass(frozen=True)
class StreetLayers:
    """The layers of a street's map, in drawing order, before the datum is chosen."""

    service_areas: list[GeoJsonSpec]
    communities: GeoJsonSpec | None
    underserved: GeoJsonSpec | None
    boundary: GeoJsonSpec
    uncovered: GeoJsonSpec | None
    facilities: list[MarkerSpec]
    facility_types: list[str]
    scores: list[ScoreLayer] = field(default_factory=list)


def street_layers(audit: Audit, code: str) -> StreetLayers:
    """Return the layers of the map of street ``code``.

    Parameters
    ----------
    audit : Audit
        The audit results (or the street's part of them).
    code : str
        Street/town code.

    Returns
    -------
    StreetLayers
        Service areas, communities, under-served outlines, boundary, uncovered patches,
        facilities near the street and one layer per enabled score indicator.
    """
    _, wide = street_box(audit, code)
    com = audit.indicators["community"]
    codes = list(com.index[com["street"] == code])
    geom = audit.streets.geometry.to_numpy()[(audit.streets["code"] == code).to_numpy()][:1]
    return StreetLayers(
        service_areas=service_area_specs(audit, wide),
        communities=community_spec(audit, codes),
        underserved=underserved_spec(audit, codes),
        boundary=geojson_spec(
            np.asarray(geom, dtype=object),
            [{}],
            name="街道边界 Street boundary",
            style={"fill": False, "color": "#000000", "weight": 3},
        ),
        uncovered=uncovered_spec(audit, code),
        facilities=facility_specs(audit, wide),
        facility_types=facility_types_near(audit, wide),
        scores=score_specs(audit, code),
    )
