"""The command line: outputs of an audit, and one-line errors for bad input."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from carecircle.scripts.cli import main
from carecircle.vocabulary import FACILITY_TYPES

from mini_district import MiniDistrict, write_mini_study

OUTPUTS = (
    "coverage_by_street.csv",
    "coverage_by_community.csv",
    "underserved_communities.csv",
    "indicators_by_street.csv",
    "indicators_by_community.csv",
    "indicators.xlsx",
    "indicators.gpkg",
    "indicator_catalogue.csv",
    "maps/W_gcj02.html",
    "underserved_communities.xlsx",
    "cells.gpkg",
    "run.json",
    "maps/index.html",
    "maps/W.html",
    "maps/E.html",
)


def test_audit_writes_every_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = write_mini_study(tmp_path / "in")
    assert main(["audit", str(study), "--out", str(tmp_path / "out")]) == 0
    for name in OUTPUTS:
        assert (tmp_path / "out" / name).is_file(), name
    printed = capsys.readouterr().out
    assert "西街道" in printed
    assert "coverage_by_street.csv" in printed
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert set(run["inputs"]) >= {"network", "residents", "older_residents", "facilities[0]"}
    assert len(run["inputs"]["network"]["sha256"]) == 64
    assert {f["id"] for f in run["facilities"]} == {"F1", "F2", "H1"}
    streets = pd.read_csv(tmp_path / "out" / "coverage_by_street.csv", encoding="utf-8-sig")
    for col in (
        "code",
        "name",
        "residents",
        "older_residents",
        "older_covered",
        "older_covered_share",
        "residents_covered_share",
        "older_unreachable",
        "floor_area_m2",
        "floor_area_per_1000",
        "s1_met",
        "s2_met",
    ):
        assert col in streets.columns
    acc = run["accounting"]
    assert acc["streets_older_residents"] == pytest.approx(acc["raster_older_residents"])


def _error(tmp_path: Path, capsys: pytest.CaptureFixture[str], study: Path) -> str:
    code = main(["audit", str(study), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.startswith("错误 error")]
    assert len(lines) == 1
    return lines[0]


def test_missing_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = write_mini_study(tmp_path / "in")
    (tmp_path / "in" / "network.osm").unlink()
    line = _error(tmp_path, capsys, study)
    assert "network.osm" in line
    assert "not found" in line


def test_facilities_without_type_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    district = MiniDistrict(
        facility_columns=(
            "id",
            "name",
            "kind",
            "lon",
            "lat",
            "floor_area_m2",
            "beds",
            "nursing_beds",
        )
    )
    line = _error(tmp_path, capsys, write_mini_study(tmp_path / "in", district))
    assert "facilities.csv" in line
    assert "'type'" in line
    assert "column 'type' is missing" in line


def test_raster_without_crs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _error(
        tmp_path, capsys, write_mini_study(tmp_path / "in", MiniDistrict(raster_crs=None))
    )
    assert "residents.tif" in line
    assert "no CRS" in line


def test_unknown_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _error(
        tmp_path, capsys, write_mini_study(tmp_path / "in", MiniDistrict(profile="shanghia"))
    )
    assert "shanghia" in line
    assert "did you mean 'shanghai'" in line


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = write_mini_study(tmp_path / "in", MiniDistrict(profile="nowhere"))
    assert main(["--debug", "audit", str(study), "--out", str(tmp_path / "o")]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_help_is_bilingual(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "15分钟养老服务圈" in out
    assert "audit" in out
    assert "demo" in out


def test_type_typo_suggests_the_nearest_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_mini_study(tmp_path / "in")
    assert (
        main(
            [
                "site",
                str(study),
                "--out",
                str(tmp_path / "o"),
                "--add",
                "1",
                "--type",
                "servicestation",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "(did you mean 'service_station'?)" in err
    assert "养老服务站 service_station" in err and "助餐点/长者食堂 meal_point" in err
    assert len(err.strip().splitlines()) == 1  # stopped before the audit printed anything


def test_site_help_lists_the_types(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["site", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for code, (zh, _) in FACILITY_TYPES.items():
        assert f"{zh} {code}" in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("quiet", "shown"), [((), True), (("-q",), False)])
def test_coverage_matrix_bar_follows_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quiet: tuple[str, ...], shown: bool
) -> None:
    study = write_mini_study(tmp_path / "in")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main([*quiet, "site", str(study), "--out", str(tmp_path / "out"), "--add", "1"]) == 0
    assert ("coverage matrix" in terminal.getvalue()) is shown
    assert ("maps 地图" in terminal.getvalue()) is shown


@pytest.mark.parametrize(
    ("quiet", "after", "shown"),
    [((), (), True), (("-q",), (), False), ((), ("-q",), False), ((), ("--quiet",), False)],
)
def test_audit_bars_follow_quiet(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    quiet: tuple[str, ...],
    after: tuple[str, ...],
    shown: bool,
) -> None:
    study = write_mini_study(tmp_path / "in")
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace("[circle]", "[circle]\ntile_km = 0.5"), encoding="utf-8")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main([*quiet, "audit", str(study), "--out", str(tmp_path / "out"), *after]) == 0
    assert ("tiles" in terminal.getvalue()) is shown
    assert ("maps 地图" in terminal.getvalue()) is shown


@pytest.mark.parametrize("command", [[], ["audit"], ["site"], ["batch"]])
def test_argparse_headings_are_bilingual(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert out.startswith("用法 usage: carecircle")
    assert "选项 options:" in out
    assert "显示帮助并退出 / show this help and exit" in out
    assert "show this help message" not in out
    assert "-q, --quiet" in out and "--debug" in out


@pytest.mark.parametrize(
    ("argv", "quiet", "debug"),
    [
        (["audit", "s.toml", "--out", "o"], False, False),
        (["-q", "audit", "s.toml", "--out", "o"], True, False),
        (["audit", "s.toml", "--out", "o", "-q"], True, False),
        (["--debug", "site", "s.toml", "--out", "o", "--add", "1", "-q"], True, True),
        (["-q", "--debug", "batch", "s.toml", "--out", "o"], True, True),
        (["profiles", "list", "--debug"], False, True),
    ],
)
def test_common_options_before_or_after_the_command(
    argv: list[str], quiet: bool, debug: bool
) -> None:
    from carecircle.scripts.parser import build_parser

    args = build_parser().parse_args(argv)
    assert (args.quiet, args.debug) == (quiet, debug)


def test_debug_after_the_command_shows_the_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_mini_study(tmp_path / "in", MiniDistrict(profile="nowhere"))
    assert main(["audit", str(study), "--out", str(tmp_path / "o"), "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_closed_stdout_stops_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["profiles", "list"]) == 0
    assert capsys.readouterr().err == ""


def test_other_broken_pipe_is_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from carecircle.scripts import commands

    def broken(action: str, name: str | None) -> str:
        raise BrokenPipeError(32, "Broken pipe")  # e.g. a worker's or a socket's pipe

    monkeypatch.setattr(commands, "profiles_text", broken)
    assert main(["profiles", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("内部错误 internal error: BrokenPipeError: [Errno 32] Broken pipe.")
