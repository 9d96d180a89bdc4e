"""The pieces of the bad-input corpus: a case, and ways to break one input of the mini district."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio

from mini_district import MiniDistrict

README = Path(__file__).resolve().parents[1] / "README.md"


@dataclass(frozen=True)
class Case:
    """One broken input: how to break it, the exit code and the words the message must hold.

    ``verify`` checks the outputs (the ``--out`` folder) of a case that finishes.
    """

    id: str
    problem: str
    mutate: Callable[[Path], None]
    exit: int
    expect: tuple[str, ...]
    district: Callable[[], MiniDistrict] = field(default=MiniDistrict)
    absent: tuple[str, ...] = ()
    verify: Callable[[Path], None] | None = None


def edit(name: str, old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    return run


def csv_frame(
    fn: Callable[[pd.DataFrame], pd.DataFrame],
    name: str = "facilities.csv",
    encoding: str = "utf-8",
) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        df = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        fn(df).to_csv(folder / name, index=False, encoding=encoding)

    return run


def set_cell(row: int, col: str, value: str) -> Callable[[Path], None]:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df

    return csv_frame(change)


def write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_bytes(data)


def remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


def gpkg(name: str, fn: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        frame = gpd.read_file(folder / name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # writing a layer without CRS on purpose
            fn(frame).to_file(folder / name, driver="GPKG")

    return run


def raster(
    name: str, fn: Callable[[np.ndarray, dict], tuple[np.ndarray, dict]]
) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        with rasterio.open(folder / name) as src:
            data, profile = src.read(1), dict(src.profile)
        data, profile = fn(data, profile)
        with rasterio.open(folder / name, "w", **profile) as dst:
            dst.write(data, 1)

    return run


def assert_clear_outcome(case: Case, code: int, stderr: str, out: Path) -> None:
    """The corpus rule: the exit code and words expected, one error line, no traceback.

    Parameters
    ----------
    case : Case
        The case run.
    code : int
        Its exit code.
    stderr : str
        What it printed.
    out : Path
        Its ``--out`` folder (no run.json after an error).
    """
    assert "Traceback" not in stderr
    assert "internal error" not in stderr
    assert code == case.exit, stderr
    if case.exit:
        errors = [line for line in stderr.splitlines() if line.startswith("错误 error")]
        assert len(errors) == 1, stderr
        assert not (out / "run.json").exists()
    for text in case.expect:
        assert text in stderr, (text, stderr)
    for text in case.absent:
        assert text not in stderr, (text, stderr)


def assert_readme_row(row: str, regenerate: str) -> None:
    """The README table holds ``row`` (one case's problem and message) as written.

    Each case checks its own row, so the check holds when the corpus is split across
    workers (pytest -n) or run in part (-k).

    Parameters
    ----------
    row : str
        ``| problem | message |`` as the generator writes it.
    regenerate : str
        The command that regenerates the table.
    """
    text = README.read_text(encoding="utf-8")
    assert row in text, f"README is out of date: run `{regenerate}`: {row}"
