"""The demo district's plan in local metres: arterial grid, blocks, streets and communities.

Urban west part 6 km × 5 km: a jittered arterial grid (~500 m superblocks), a river running
north–south in column 9 crossed by two bridges, four streets (街道) of 3 km × 2.5 km, each cut
into 2 × 2-superblock communities. Rural east part 8 km × 5 km: two towns (镇), each with a
town centre and villages whose territories are Voronoi cells clipped to the town.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
import shapely

URBAN_W, URBAN_H = 6000.0, 5000.0
RURAL_W = 8000.0
VILLAGE_DRAWS = 2000  # per placement attempt; seed 2026 needs far fewer
VILLAGE_ATTEMPTS = 100
N_COLS, N_ROWS = 12, 10
RIVER_COL = 9
BRIDGE_ROWS = (1, 9)  # y-lines carried across the river
STREET_COL, STREET_ROW = 6, 5  # grid lines where urban streets meet
PLANTED_COMPOUND = (0, 0)  # block whose only gate faces away from its station
CUT_OFF = ("C", 2)  # street C, community row group 2-3 east of the river

#: block kinds
COMPOUND, OPEN, PARK, OTHER, RIVER = "compound", "open", "park", "other", "river"

STREETS = {  # code suffix -> (name, x0..x1 grid cols, y0..y1 grid rows, kind)
    "A": ("长江路街道", (0, STREET_COL), (0, STREET_ROW)),
    "B": ("建设街道", (0, STREET_COL), (STREET_ROW, N_ROWS)),
    "C": ("河东街道", (STREET_COL, N_COLS), (0, STREET_ROW)),
    "D": ("新城街道", (STREET_COL, N_COLS), (STREET_ROW, N_ROWS)),
}
TOWNS = {"E": ("青山镇", (0.0, 2500.0)), "F": ("湖塘镇", (2500.0, 5000.0))}
COL_GROUPS = {
    "A": ((0, 2), (2, 4), (4, 6)),
    "B": ((0, 2), (2, 4), (4, 6)),
    "C": ((6, 8), (8, 10), (10, 12)),
    "D": ((6, 8), (8, 10), (10, 12)),
}
ROW_GROUPS = {
    "A": ((0, 2), (2, 4), (4, 5)),
    "C": ((0, 2), (2, 4), (4, 5)),
    "B": ((5, 7), (7, 9), (9, 10)),
    "D": ((5, 7), (7, 9), (9, 10)),
}
URBAN_NAMES = (
    "幸福",
    "和平",
    "光明",
    "友谊",
    "团结",
    "新华",
    "朝阳",
    "春晖",
    "文化",
    "安康",
    "长乐",
    "翠苑",
    "锦绣",
    "丰收",
    "明珠",
    "阳光",
    "金桥",
    "滨河",
    "柳岸",
    "梧桐",
    "紫荆",
    "青松",
    "红枫",
    "玉兰",
    "海棠",
    "银杏",
    "桂花",
    "荷塘",
    "书香",
    "康乐",
    "百合",
    "枫林",
    "建华",
    "兴隆",
    "东苑",
    "西苑",
)
VILLAGE_NAMES = (
    "李家",
    "王庄",
    "张湾",
    "陈桥",
    "周塘",
    "吴村",
    "赵圩",
    "孙庄",
    "杨柳",
    "朱家",
    "胡桥",
    "高墩",
)
DISTRICT_CODE = "320199"


@dataclass
class Community:
    """One community/village: code, name, street code, kind and polygon (local metres)."""

    code: str
    name: str
    street: str
    kind: str
    polygon: shapely.Polygon
    cols: tuple[int, int] = (0, 0)
    rows: tuple[int, int] = (0, 0)


@dataclass
class Layout:
    """Everything placed in local metres; the generator's other modules read it."""

    xs: np.ndarray
    ys: np.ndarray
    kinds: np.ndarray  # (N_COLS, N_ROWS) block kinds
    gates: dict[tuple[int, int], tuple[str, ...]]  # compound -> sides with a gate
    streets: dict[str, tuple[str, shapely.Polygon, str]]  # code -> (name, polygon, kind)
    communities: list[Community]
    town_centres: dict[str, tuple[float, float]]
    villages: dict[str, list[tuple[float, float]]]
    older_share: dict[str, float] = field(default_factory=dict)

    def block_bounds(self, i: int, j: int) -> tuple[float, float, float, float]:
        """Bounds (x0, y0, x1, y1) of superblock column i, row j.

        Parameters
        ----------
        i : int
            Block row.
        j : int
            Block column.
        """
        return float(self.xs[i]), float(self.ys[j]), float(self.xs[i + 1]), float(self.ys[j + 1])


def street_code(suffix: str) -> str:
    """Full street/town code, e.g. ``320199001``."""
    return f"{DISTRICT_CODE}{'ABCDEF'.index(suffix) + 1:03d}"


def _grid(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    xs = np.linspace(0.0, URBAN_W, N_COLS + 1)
    ys = np.linspace(0.0, URBAN_H, N_ROWS + 1)
    xs[1:-1] += rng.uniform(-60, 60, N_COLS - 1).round()
    ys[1:-1] += rng.uniform(-60, 60, N_ROWS - 1).round()
    xs[STREET_COL], ys[STREET_ROW] = URBAN_W / 2, URBAN_H / 2
    return xs, ys


def _block_kinds(rng: np.random.Generator) -> np.ndarray:
    kinds = rng.choice(
        [COMPOUND, OPEN, PARK, OTHER], size=(N_COLS, N_ROWS), p=[0.5, 0.3, 0.08, 0.12]
    ).astype(object)
    kinds[RIVER_COL, :] = RIVER
    kinds[PLANTED_COMPOUND] = COMPOUND
    kinds[0, 1] = OPEN  # the planted station's block
    return kinds


def _gates(kinds: np.ndarray, rng: np.random.Generator) -> dict[tuple[int, int], tuple[str, ...]]:
    gates = {}
    for i, j in zip(*np.nonzero(kinds == COMPOUND), strict=True):
        sides = ("s", "n", "w", "e")
        count = 1 if rng.random() < 0.5 else 2
        gates[(int(i), int(j))] = tuple(rng.choice(sides, size=count, replace=False))
    gates[PLANTED_COMPOUND] = ("s",)  # its station stands beyond the north wall
    return gates


def _urban_communities(xs: np.ndarray, ys: np.ndarray) -> list[Community]:
    out, n = [], 0
    for suffix in "ABCD":
        number = 0
        for r0, r1 in ROW_GROUPS[suffix]:
            for c0, c1 in COL_GROUPS[suffix]:
                number += 1
                poly = shapely.box(xs[c0], ys[r0], xs[c1], ys[r1])
                out.append(
                    Community(
                        f"{street_code(suffix)}{number:03d}",
                        f"{URBAN_NAMES[n]}社区",
                        street_code(suffix),
                        "urban",
                        poly,
                        (c0, c1),
                        (r0, r1),
                    )
                )
                n += 1
    return out


def _villages(
    rng: np.random.Generator, y0: float, y1: float, centre: tuple[float, float]
) -> list[tuple[float, float]]:
    """Six village sites at least 1.3 km from each other and the town centre.

    Random sequential placement can leave no room for the sixth village; the placement then
    starts again (a bounded number of times), drawing on from the same generator, so every
    seed gives a layout and the result stays deterministic.
    """
    for _attempt in range(VILLAGE_ATTEMPTS):
        points: list[tuple[float, float]] = []
        for _draw in range(VILLAGE_DRAWS):
            x = float(rng.uniform(URBAN_W + 900, URBAN_W + RURAL_W - 400))
            y = float(rng.uniform(y0 + 350, y1 - 350))
            others = [*points, centre]
            if all(np.hypot(x - a, y - b) > 1300 for a, b in others):
                points.append((round(x, -1), round(y, -1)))
                if len(points) == 6:
                    return points
    raise AssertionError("no room for six villages: the town box is too small")  # pragma: no cover


def _rural(rng: np.random.Generator) -> tuple[list[Community], dict, dict]:
    communities, centres, villages = [], {}, {}
    for k, (suffix, (name, (y0, y1))) in enumerate(TOWNS.items()):
        box = shapely.box(URBAN_W, y0, URBAN_W + RURAL_W, y1)
        centre = (URBAN_W + 2500.0 + 500.0 * k, (y0 + y1) / 2)
        pts = _villages(rng, y0, y1, centre)
        centres[suffix], villages[suffix] = centre, pts
        seeds = shapely.multipoints([centre, *pts])
        cells = shapely.voronoi_polygons(seeds, extend_to=box)
        parts = [shapely.intersection(c, box) for c in shapely.get_parts(cells)]
        code = street_code(suffix)
        for idx, site in enumerate([centre, *pts]):
            piece = next(p for p in parts if shapely.contains_xy(p, *site))
            if idx == 0:
                communities.append(
                    Community(f"{code}001", f"{name[:2]}集镇社区", code, "urban", piece)
                )
            else:
                village = VILLAGE_NAMES[k * 6 + idx - 1]
                communities.append(
                    Community(f"{code}{idx + 1:03d}", f"{village}村", code, "rural", piece)
                )
    return communities, centres, villages


def make_layout(rng: np.random.Generator) -> Layout:
    """Plan the whole district from the generator's random stream."""
    xs, ys = _grid(rng)
    kinds = _block_kinds(rng)
    gates = _gates(kinds, rng)
    communities = _urban_communities(xs, ys)
    rural, centres, villages = _rural(rng)
    communities += rural
    streets: dict[str, tuple[str, shapely.Polygon, str]] = {}
    for suffix, (name, _cols, _rows) in STREETS.items():
        polys = [c.polygon for c in communities if c.street == street_code(suffix)]
        whole = cast(shapely.Polygon, shapely.union_all(polys))  # adjacent blocks: one polygon
        streets[street_code(suffix)] = (name, whole, "street")
    for suffix, (name, (y0, y1)) in TOWNS.items():
        streets[street_code(suffix)] = (
            name,
            shapely.box(URBAN_W, y0, URBAN_W + RURAL_W, y1),
            "town",
        )
    shares = rng.uniform(0.18, 0.30, len(communities)).round(3)
    older = {c.code: float(s) for c, s in zip(communities, shares, strict=True)}
    return Layout(xs, ys, kinds, gates, streets, communities, centres, villages, older)
