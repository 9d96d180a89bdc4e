"""Built-in profiles encode their plans' numbers; profile files are validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecircle.analysis.indicators import checked_profile
from carecircle.errors import ProfileError
from carecircle.profiles import builtin_profile_names, load_profile
from carecircle.scripts.cli import main


def test_six_builtin_profiles() -> None:
    assert builtin_profile_names() == [
        "city-2022",
        "generic",
        "jinan",
        "shanghai",
        "suzhou-wujiang",
        "yangzhou",
    ]


@pytest.mark.parametrize(
    ("name", "targets"),
    [
        ("jinan", {"S2": 100, "S4": 1.0, "S5": 0.8, "A1": 0.65, "A3": 1.0, "A4": 1.0, "A6": 0.9}),
        ("shanghai", {"S2": 50, "A1": 0.70, "A2": 0.03, "A5": 1000}),
        ("suzhou-wujiang", {"A1": 0.78, "A3": 1.0, "A5": 15000, "A6": 0.70, "S9": 1}),
        ("yangzhou", {"A1": 0.72, "S5": 0.9}),
        ("city-2022", {"A1": 0.50, "S4": 0.9}),
        ("generic", {"S2": 50, "S4": 0.9, "S7": 1.0}),
    ],
)
def test_profile_encodes_its_plan(name: str, targets: dict[str, float]) -> None:
    profile = checked_profile(load_profile(name))
    for indicator_id, target in targets.items():
        spec = profile.indicator(indicator_id)
        assert spec.enabled, indicator_id
        assert spec.target == pytest.approx(target), indicator_id
        assert spec.source, indicator_id


def test_plan_specific_settings() -> None:
    assert (
        checked_profile(load_profile("suzhou-wujiang")).indicator("A3").param("per", "")
        == "beds_100"
    )
    assert checked_profile(load_profile("jinan")).indicator("A3").param("per", "") == "older_1000"
    assert (
        checked_profile(load_profile("suzhou-wujiang")).indicator("A5").param("scope", "")
        == "district"
    )
    assert checked_profile(load_profile("shanghai")).indicator("A5").param("scope", "") == "street"
    assert checked_profile(load_profile("generic")).indicator("S7").param("threshold_m", 0) == 300
    assert checked_profile(load_profile("generic")).indicator("S8").param("minutes", 0) == 10
    assert not checked_profile(load_profile("shanghai")).indicator("S5").enabled


def _copy(tmp_path: Path, old: str, new: str) -> Path:
    text = (Path(checked_profile(load_profile("shanghai")).path)).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "mine.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_edited_copy_changes_a_number(tmp_path: Path) -> None:
    path = _copy(tmp_path, "target = 50.0", "target = 70.0")
    assert load_profile(str(path)).indicator("S2").target == 70.0


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("older_age = 60", "older_age = 70", "older_age = 70; allowed values: 60, 65"),
        ('scope = "street"', 'scope = "city"', "scope = 'city'; allowed values: street, district"),
        ("threshold_m = 300.0", 'threshold_m = "near"', "threshold_m = 'near' is not a number"),
        ("[indicators.S7]", "[indicators.S77]", "unknown indicator [indicators.S77]"),
        ("min_share = 0.5", "min_shar = 0.5", "unknown key 'min_shar'"),
        ("target = 50.0", "target = -50.0", "[indicators.S2] target = -50 must be 0 or more"),
        (
            "[indicators.S1]\ntarget = 1.0",
            "[indicators.S1]\ntarget = 1.5",
            "[indicators.S1] target = 1.5 is a share and must lie between 0 and 1",
        ),
        (
            "[indicators.S4]\ntarget = 1.0",
            "[indicators.S4]\ntarget = 90",
            "target = 90 is a share and must lie between 0 and 1 (write 0.9 for 90 %)",
        ),
        ("[indicators.S1]\ntarget = 1.0", "[indicators.S1]\ntarget = nan", "is not a finite"),
    ],
)
def test_invalid_profile_names_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _copy(tmp_path, old, new)
    with pytest.raises(ProfileError) as exc:
        checked_profile(load_profile(str(path)))
    assert message in str(exc.value)
    assert "mine.toml" in str(exc.value)


def test_profiles_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "list"]) == 0
    assert "suzhou-wujiang" in capsys.readouterr().out
    assert main(["profiles", "show", "jinan"]) == 0
    out = capsys.readouterr().out
    assert "A1" in out
    assert "65%" in out or "0.65" in out
    bad = _copy(tmp_path, "older_age = 60", "older_age = 61")
    assert main(["profiles", "check", str(bad)]) == 2
    assert "allowed values: 60, 65" in capsys.readouterr().err
    negative = _copy(tmp_path, "target = 50.0", "target = -50.0")
    assert main(["profiles", "check", str(negative)]) == 2
    assert "target = -50 must be 0 or more" in capsys.readouterr().err
    good = _copy(tmp_path, "target = 50.0", "target = 55.0")
    assert main(["profiles", "check", str(good)]) == 0
    assert "valid profile" in capsys.readouterr().out
