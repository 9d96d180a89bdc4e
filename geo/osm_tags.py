"""The walking filter on OSM tags (osmnx's ``walk``): which ways pedestrians may use."""

from __future__ import annotations

EXCLUDED_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "construction",
        "cycleway",
        "motorway",
        "motorway_link",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "bus_stop",
        "elevator",
        "services",
        "rest_area",
        "corridor_planned",
    }
)

#: The tags a reader keeps of each way (all the walking filter and the maps read).
KEPT_TAGS = ("highway", "area", "access", "foot", "service", "oneway", "name", "bridge")


def is_walkable(tags: dict[str, str], *, include_private: bool = True) -> bool:
    """Return whether a way with these tags belongs to the walking network.

    Follows osmnx's ``walk`` filter: a ``highway`` tag that is not motorway, cycleway,
    construction and the like; not ``area=yes``; not ``foot=no``; not ``service=private``;
    and, unless ``include_private``, not ``access=private``. One-way tags are ignored:
    pedestrians walk both ways.

    Parameters
    ----------
    tags : dict
        The way's tags.
    include_private : bool, default True
        Keep ``access=private`` ways. Gated compounds (小区) often tag their internal paths
        private, yet their residents walk them to reach the gate, so they are kept by default.

    Returns
    -------
    bool
        True when pedestrians may use the way.
    """
    highway = tags.get("highway")
    if highway is None or highway in EXCLUDED_HIGHWAYS:
        return False
    if tags.get("area") == "yes" or tags.get("foot") == "no":
        return False
    if tags.get("service") == "private":
        return False
    return include_private or tags.get("access") != "private" or tags.get("foot") == "yes"
