"""Facilities of the demo district, beside its roads, with the planted gaps.

Planted, on purpose (see the demo README): street 建设街道 has no comprehensive centre (S3);
the community east of the river between the bridges has no counting facility on its bank
(S1); the compound in the south-west corner has its only gate on the side away from the
station 400 m from its centre (S1); 新城街道 has too little floor area (S2 < 50 m²/1,000).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from carecircle.data.district.layout import (
    COMPOUND,
    OPEN,
    OTHER,
    PLANTED_COMPOUND,
    RIVER_COL,
    Community,
    Layout,
    street_code,
)

NO_CENTRE_STREET = "B"
LOW_AREA_STREET = "D"
GAP_FREE_COLS, GAP_FREE_ROWS = (0, 3), (0, 2)  # no counting facility here but the planted one


@dataclass
class Facility:
    """One facility in local metres."""

    id: str
    name: str
    type: str
    x: float
    y: float
    floor_area_m2: float
    beds: int = 0
    nursing_beds: int = 0


def _roadside(
    lay: Layout,
    com: Community,
    rng: np.random.Generator,
    avoid: tuple[tuple[int, int], tuple[int, int]] | None = None,
    north: bool = False,
) -> tuple[float, float]:
    """Return a point 15 m inside a built block of the community, beside its south side.

    ``north`` picks the community's northern row of blocks; ``avoid`` excludes a block range.
    """
    (c0, c1), (r0, r1) = com.cols, com.rows
    blocks = [
        (i, j)
        for i in range(c0, c1)
        for j in range(r0, r1)
        if lay.kinds[i, j] in (OPEN, OTHER, COMPOUND) and i != RIVER_COL
    ]
    if avoid is not None:
        blocks = [
            b
            for b in blocks
            if not (avoid[0][0] <= b[0] < avoid[0][1] and avoid[1][0] <= b[1] < avoid[1][1])
        ]
    if not blocks:  # all parks: use any block on land
        blocks = [(i, j) for i in range(c0, c1) for j in range(r0, r1) if i != RIVER_COL]
    if north:
        top = max(b[1] for b in blocks)
        blocks = [b for b in blocks if b[1] == top]
    i, j = blocks[int(rng.integers(len(blocks)))]
    x0, y0, x1, _ = lay.block_bounds(i, j)
    return round(x0 + (x1 - x0) * float(rng.uniform(0.25, 0.75)), 1), round(y0 + 15.0, 1)


def _urban(lay: Layout, rng: np.random.Generator) -> list[Facility]:
    out: list[Facility] = []
    urban = [c for c in lay.communities if c.kind == "urban" and c.cols != (0, 0)]
    gap_area = (GAP_FREE_COLS, GAP_FREE_ROWS)
    for n, com in enumerate(urban):
        suffix = "ABCDEF"[int(com.street[-3:]) - 1]
        small = suffix == LOW_AREA_STREET
        east_bank = com.cols[0] == RIVER_COL + 1
        # planted: nothing on the cut-off community's bank within reach of it; its neighbours
        # on the bank have their facilities on their far side
        if east_bank and suffix == "C" and com.rows in ((2, 4), (4, 5)):
            continue
        far_side = east_bank and suffix == "D" and com.rows == (5, 7)
        avoid = gap_area if com.cols[0] < GAP_FREE_COLS[1] and com.rows[0] < 2 else None
        if com.cols == (0, 2) and com.rows == (0, 2):
            continue  # the planted compound's community: only the planted station
        x, y = _roadside(lay, com, rng, avoid, north=far_side)
        area = (
            rng.uniform(40, 70)
            if small
            else rng.uniform(250, 380)
            if suffix == "B"
            else rng.uniform(180, 320)
        )
        if rng.random() < 0.92:
            out.append(
                Facility(
                    f"ST{n + 1:03d}", f"{com.name}养老服务站", "service_station", x, y, round(area)
                )
            )
        if n % 2 == 0:
            x2, y2 = _roadside(lay, com, rng, avoid, north=far_side)
            area = rng.uniform(100, 180) if small else rng.uniform(450, 800)
            out.append(
                Facility(
                    f"DC{n + 1:03d}",
                    f"{com.name}日间照料中心",
                    "day_care",
                    x2,
                    y2,
                    round(area),
                    beds=int(rng.integers(10, 30)),
                )
            )
        if rng.random() < 0.5:
            out.append(
                Facility(
                    f"HS{n + 1:03d}",
                    f"{com.name}卫生服务站",
                    "health_station",
                    x + float(rng.choice([-60.0, 40.0, 250.0])),
                    y,
                    120,
                )
            )
    return out


def _planted(lay: Layout) -> list[Facility]:
    """Return the station beyond the planted compound's north wall, and one across the river."""
    x0, y0, x1, y1 = lay.block_bounds(*PLANTED_COMPOUND)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    station = Facility("ST900", "北门外养老服务站", "service_station", cx, cy + 400.0, 200)
    bank_x = lay.xs[RIVER_COL] + 20.0
    bank_y = (lay.ys[2] + lay.ys[4]) / 2
    across = Facility("ST901", "滨河西养老服务站", "service_station", bank_x, bank_y, 220)
    return [station, across]


def _street_level(lay: Layout, rng: np.random.Generator) -> list[Facility]:
    """Centres, institutions, rental points, health centres and the dementia unit."""
    out = []
    for k, (code, (name, _poly, kind)) in enumerate(lay.streets.items()):
        suffix = "ABCDEF"[k]
        coms = [c for c in lay.communities if c.street == code and c.kind == "urban"]
        if kind == "town":
            tx, ty = lay.town_centres[suffix]
            spots = [
                (tx + 75.0, ty + 15.0),
                (tx - 150.0, ty - 135.0),
                (tx + 225.0, ty + 165.0),
                (tx - 75.0, ty + 15.0),
            ]
        else:
            centre = [c for c in coms if c.rows[0] in (2, 7)][1]
            spots = [_roadside(lay, centre, rng) for _ in range(4)]
            spots = [(x + 40.0 * i, y) for i, (x, y) in enumerate(spots)]
        if suffix != NO_CENTRE_STREET:
            area = (
                600
                if suffix == LOW_AREA_STREET
                else int(rng.integers(500, 900))
                if kind == "town"
                else int(rng.integers(1800, 3000))
            )
            out.append(
                Facility(
                    f"CC{k + 1}",
                    f"{name}综合为老服务中心",
                    "comprehensive_centre",
                    *spots[0],
                    area,
                    beds=int(rng.integers(20, 40)),
                )
            )
        beds = int(rng.integers(120, 300))
        out.append(
            Facility(
                f"IN{k + 1}",
                f"{name}养老院",
                "institution",
                *spots[1],
                round(beds * 35),
                beds=beds,
                nursing_beds=int(beds * rng.uniform(0.45, 0.8)),
            )
        )
        out.append(
            Facility(
                f"HC{k + 1}",
                f"{name}社区卫生服务中心",
                "health_centre",
                spots[2][0],
                spots[2][1],
                2500,
            )
        )
        if suffix not in ("B", "F"):
            out.append(
                Facility(f"RR{k + 1}", f"{name}康复辅具租赁点", "rehab_rental", *spots[3], 120)
            )
        if suffix == "A":
            out.append(
                Facility(
                    "DU1",
                    f"{name}认知障碍照护专区",
                    "dementia_unit",
                    spots[3][0] + 60.0,
                    spots[3][1],
                    600,
                    beds=30,
                    nursing_beds=30,
                )
            )
        if suffix in ("C", "D"):
            emb = _roadside(lay, coms[-1], rng)
            out.append(
                Facility(
                    f"EC{k + 1}",
                    f"{name}长者照护之家",
                    "embedded_care",
                    *emb,
                    300 if suffix == "D" else 1200,
                    beds=40,
                    nursing_beds=30,
                )
            )
        if kind == "town":
            out.append(
                Facility(
                    f"DC9{k + 1}",
                    f"{name}集镇日间照料中心",
                    "day_care",
                    spots[0][0] + 150.0,
                    spots[0][1],
                    300,
                    beds=15,
                )
            )
    return out


def _villages(lay: Layout) -> list[Facility]:
    out = []
    for suffix, points in lay.villages.items():
        for n, (vx, vy) in enumerate(points):
            if n == 5:
                continue  # about 80 % of villages have a mutual-aid home
            com = next(
                c
                for c in lay.communities
                if shapely.contains_xy(c.polygon, vx, vy) and c.kind == "rural"
            )
            out.append(
                Facility(
                    f"RM{suffix}{n + 1}",
                    f"{com.name}农村幸福院",
                    "rural_mutual_aid",
                    vx + 15.0,
                    vy + 8.0,
                    150,
                )
            )
    return out


def meal_points(lay: Layout, rng: np.random.Generator) -> list[Facility]:
    """Meal points and canteens (exported from Amap in GCJ-02 by the generator).

    Parameters
    ----------
    lay : Layout
        The district's layout.
    rng : np.random.Generator
        Random generator (seeded).
    """
    out = []
    urban = [c for c in lay.communities if c.kind == "urban" and c.cols != (0, 0)]
    for n, com in enumerate(urban):
        if n % 2 == 1:
            continue
        x, y = _roadside(lay, com, rng)
        out.append(
            Facility(
                f"MP{n + 1:03d}",
                f"{com.name}长者食堂",
                "meal_point",
                x + 30.0,
                y,
                round(float(rng.uniform(80, 250))),
            )
        )
    for suffix, (tx, ty) in lay.town_centres.items():
        out.append(
            Facility(
                f"MP9{street_code(suffix)[-1]}",
                f"{suffix}镇集镇助餐点",
                "meal_point",
                tx + 15.0,
                ty - 60.0,
                120,
            )
        )
    return out


def facilities(lay: Layout, rng: np.random.Generator) -> list[Facility]:
    """Every facility except the meal points, in a stable order.

    Parameters
    ----------
    lay : Layout
        The district's layout.
    rng : np.random.Generator
        Random generator (seeded).
    """
    return [*_urban(lay, rng), *_planted(lay), *_street_level(lay, rng), *_villages(lay)]
