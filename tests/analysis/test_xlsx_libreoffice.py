"""The hand-written workbook opened by a second spreadsheet program: LibreOffice Calc.

openpyxl reads what it is given leniently; LibreOffice is what colleagues of a planner open the
XLSX lists with (besides Excel) and it *evaluates* formulas. Converted to CSV by
``soffice --headless``, every value must read back as written and formula-like text must stay
text. Skipped where LibreOffice is not installed (``make office`` installs it).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carecircle.analysis.xlsx import write_xlsx

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) not installed: `make office` installs it"
)


def _sheet_csv(book: Path, out: Path) -> list[list[str]]:
    """Convert the first sheet of ``book`` to CSV (UTF-8, values as stored); return its rows."""
    profile = out / "profile"  # a private profile: no clash with another soffice
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            # comma, quote, UTF-8, from line 1, …, cell contents as stored (not as shown)
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false",
            "--outdir",
            str(out),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    with (out / f"{book.stem}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_libreoffice_reads_every_value_and_runs_no_formula(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "code": ["W-N", "=1+1", "+SUM(A1:A2)", "@cmd", "E-N"],
            "older_residents": np.array([1200, 0, 35, 7, 123456789], dtype=np.int64),
            "floor_area_m2": [12.5, 0.0, 1e-3, 250.25, 3.0],
            "name": ["幸福社区", "a & b <c>", "", '=HYPERLINK("http://x")', "河东 街道"],
        }
    )
    book = write_xlsx(tmp_path / "t.xlsx", [("社区 communities", table)])
    rows = _sheet_csv(book, tmp_path)
    assert len(rows) == 2 + len(table)  # two header rows (中文, English), then the data
    data = rows[2:]
    # text exactly as written, formula-like text shown as text (a leading quote, not run)
    assert [r[0] for r in data] == ["W-N", "'=1+1", "'+SUM(A1:A2)", "'@cmd", "E-N"]
    assert [r[3] for r in data][:3] == ["幸福社区", "a & b <c>", ""]
    assert data[3][3] == '\'=HYPERLINK("http://x")'
    assert [int(r[1].replace(",", "")) for r in data] == table["older_residents"].tolist()
    assert [float(r[2]) for r in data] == table["floor_area_m2"].tolist()  # full precision


def test_libreoffice_reads_the_demo_list_as_its_csv(demo_run: Path, tmp_path: Path) -> None:
    """The demo's under-served list (first sheet of underserved_communities.xlsx) holds the
    rows of underserved_communities.csv, in order, with the same numbers."""
    rows = _sheet_csv(demo_run / "underserved_communities.xlsx", tmp_path)
    table = pd.read_csv(demo_run / "underserved_communities.csv", encoding="utf-8-sig")
    head, data = rows[1], rows[2:]
    assert len(data) == len(table) > 0
    assert [r[head.index("code")] for r in data] == table["code"].astype(str).tolist()
    older = [float(r[head.index("older residents")]) for r in data]
    # the CSV holds 10 significant digits, the workbook the full value
    assert older == pytest.approx(table["older_residents"].tolist(), rel=1e-9)
