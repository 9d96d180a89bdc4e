"""What the sub-commands share: the ``--offline`` help text and the listing of files written."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

OFFLINE_HELP = (
    "地图离线可用：复制 Leaflet 到 maps/lib，默认空白底图 / maps for an intranet with "
    "no internet: Leaflet copied into maps/lib, blank basemap by default"
)


def listing(paths: list[Path], out: Path) -> list[str]:
    """Return the files written, relative to ``out``, one per line (maps/lib as one line).

    Parameters
    ----------
    paths : list of Path
        The files written.
    out : Path
        The output folder; paths outside it are shown in full.
    """
    shown = [p.relative_to(out) if p.is_relative_to(out) else p for p in paths]
    lib = [p for p in shown if p.parts[:2] == ("maps", "lib")]
    lines = [f"  {p}" for p in shown if p not in lib]
    return lines + ([f"  maps/lib/ ({len(lib)} files: Leaflet for offline use)"] if lib else [])


def siting_options(args: argparse.Namespace) -> dict[str, Any]:
    """Return the ``site`` options shared by ``--add``/``--target`` and ``--add-per-year`` runs.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``site`` command line.
    """
    return {
        "objective": args.objective,
        "candidates": args.candidates,
        "candidates_crs": args.candidates_crs,
        "exclude": args.exclude,
        "spacing_m": args.spacing,
        "floor_area_m2": args.floor_area,
        "time_limit_s": args.time_limit,
    }
