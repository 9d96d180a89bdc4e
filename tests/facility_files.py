"""Small facility tables for the reader tests."""

from __future__ import annotations

from pathlib import Path

HEADER = "id,name,type,lon,lat,floor_area_m2,beds,nursing_beds"
ROWS = [
    "F1,周家渡街道综合为老服务中心,comprehensive_centre,121.5,31.18,1200,50,30",
    "F2,上南路日间照料中心,日间照料中心,121.51,31.19,300,0,0",
    "F3,“家门口”养老服务站,service_station,121.52,31.2,80,,",
]


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path
