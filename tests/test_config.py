"""The study TOML: paths, validation messages, profile and circle settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecircle.config import load_study
from carecircle.errors import ProfileError, StudyFileError
from carecircle.profiles import builtin_profile_names, load_profile

INPUTS = """
[inputs]
network = "net/area.osm"
facilities = ["fac/amap.csv", "fac/survey.csv"]
facilities_crs = ["GCJ-02", "wgs84"]
residents = "pop/residents.tif"
older_residents = "pop/older.tif"
streets = "bounds/streets.gpkg"
communities = "bounds/communities.gpkg"
"""


def write_study(
    folder: Path, extra: str = "", *, inputs: str = INPUTS, name: str = "study.toml"
) -> Path:
    path = folder / name
    text = f'[study]\nname = "浦东新区周家渡街道"\n{inputs}\n{extra}\n'
    path.write_text(text, encoding="utf-8")
    return path


def test_study_loads_with_profile_defaults(tmp_path: Path) -> None:
    study = load_study(write_study(tmp_path, '[standards]\nprofile = "shanghai"'))
    assert study.name == "浦东新区周家渡街道"
    assert study.crs == "auto"
    assert study.profile.name == "shanghai"
    assert study.minutes == 15.0
    assert study.walk_speed_m_s == 1.0
    assert study.radius_m == 900.0
    assert study.max_snap_m == 500.0
    assert study.include_private is True


def test_relative_paths_resolve_against_the_study_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "project").mkdir()
    write_study(tmp_path / "project")
    monkeypatch.chdir(tmp_path)
    study = load_study("project/study.toml")
    base = (tmp_path / "project").resolve()
    assert study.path == base / "study.toml"
    assert study.network == base / "net" / "area.osm"
    assert study.residents == base / "pop" / "residents.tif"
    assert study.older_residents == base / "pop" / "older.tif"
    assert study.streets == base / "bounds" / "streets.gpkg"
    assert study.communities == base / "bounds" / "communities.gpkg"
    assert [(f.path, f.crs) for f in study.facilities] == [
        (base / "fac" / "amap.csv", "GCJ-02"),
        (base / "fac" / "survey.csv", "EPSG:4326"),
    ]
    assert study.input_paths()["facilities[1]"] == base / "fac" / "survey.csv"


def test_one_facilities_crs_applies_to_every_file(tmp_path: Path) -> None:
    inputs = INPUTS.replace('facilities_crs = ["GCJ-02", "wgs84"]', 'facilities_crs = "bd-09"')
    study = load_study(write_study(tmp_path, inputs=inputs))
    assert [f.crs for f in study.facilities] == ["BD-09", "BD-09"]


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = write_study(tmp_path, "[circle]\nminuts = 10")
    with pytest.raises(
        StudyFileError,
        match=r"study\.toml: unknown key 'minuts' in \[circle\] "
        r"\(did you mean 'minutes'\?\); allowed keys: minutes, walk_speed_m_s, "
        r"max_snap_m",
    ):
        load_study(path)


def test_unknown_section_suggests_the_closest(tmp_path: Path) -> None:
    path = write_study(tmp_path, "[cirlce]\nminutes = 10")
    with pytest.raises(
        StudyFileError,
        match=r"unknown key 'cirlce' in the file \(did you mean "
        r"'circle'\?\)",
    ):
        load_study(path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[circle]\nminutes = "15"', r"\[circle\] minutes = '15' is not a number"),
        ("[circle]\nminutes = true", r"\[circle\] minutes = True is not a number"),
        ("[circle]\nminutes = 0", r"\[circle\] minutes = 0 must be greater than 0"),
        ("[circle]\nwalk_speed_m_s = 5", r"\[circle\] walk_speed_m_s = 5 must be at most 3\.0"),
        (
            '[network]\ninclude_private = "yes"',
            r"\[network\] include_private = 'yes' must be true "
            r"or false",
        ),
        ("[standards]\nprofile = 3", r"\[standards\] profile = 3 must be a non-empty text"),
        ("circle = 3", r"circle must be a table"),
    ],
)
def test_wrong_types_are_refused(tmp_path: Path, extra: str, message: str) -> None:
    if extra.startswith("circle"):  # a top-level key must come before the first table
        path = tmp_path / "study.toml"
        path.write_text(f'{extra}\n[study]\nname = "x"\n{INPUTS}', encoding="utf-8")
    else:
        path = write_study(tmp_path, extra)
    with pytest.raises(StudyFileError, match=message):
        load_study(path)


def test_unknown_facilities_crs_lists_the_allowed(tmp_path: Path) -> None:
    inputs = INPUTS.replace('facilities_crs = ["GCJ-02", "wgs84"]', 'facilities_crs = "EPSG:1"')
    with pytest.raises(
        StudyFileError,
        match=r"facilities_crs = 'EPSG:1'; allowed: EPSG:4326, "
        r"WGS84, GCJ-02, BD-09 or an EPSG code",
    ):
        load_study(write_study(tmp_path, inputs=inputs))


@pytest.mark.parametrize(
    ("given", "read"), [("epsg:4547", "EPSG:4547"), ("EPSG:4490", "EPSG:4490")]
)
def test_any_epsg_code_is_a_facility_crs(tmp_path: Path, given: str, read: str) -> None:
    inputs = INPUTS.replace('facilities_crs = ["GCJ-02", "wgs84"]', f'facilities_crs = "{given}"')
    study = load_study(write_study(tmp_path, inputs=inputs))
    assert [f.crs for f in study.facilities] == [read, read]


def test_facility_sheet_and_raster_band_forms(tmp_path: Path) -> None:
    inputs = (
        INPUTS.replace(
            'facilities = ["fac/amap.csv", "fac/survey.csv"]',
            'facilities = [{ file = "fac/x.xlsx", sheet = "设施" }, "fac/survey.csv"]',
        )
        .replace('residents = "pop/residents.tif"', 'residents = { file = "pop.tif", band = 1 }')
        .replace(
            'older_residents = "pop/older.tif"', 'older_residents = { file = "pop.tif", band = 2 }'
        )
    )
    study = load_study(write_study(tmp_path, inputs=inputs))
    assert [(f.path.name, f.sheet) for f in study.facilities] == [
        ("x.xlsx", "设施"),
        ("survey.csv", ""),
    ]
    assert (study.residents.name, study.residents_band) == ("pop.tif", 1)
    assert (study.older_residents.name, study.older_residents_band) == ("pop.tif", 2)


def test_raster_band_must_be_a_number_from_one(tmp_path: Path) -> None:
    inputs = INPUTS.replace(
        'older_residents = "pop/older.tif"', 'older_residents = { file = "pop.tif", band = 0 }'
    )
    with pytest.raises(StudyFileError, match=r"older_residents band = 0 must be a band number"):
        load_study(write_study(tmp_path, inputs=inputs))


@pytest.mark.parametrize("key", ["minutes", "walk_speed_m_s", "max_snap_m"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_circle_numbers_must_be_finite(tmp_path: Path, key: str, value: str) -> None:
    with pytest.raises(StudyFileError, match=rf"\[circle\] {key} = -?(nan|inf)"):
        load_study(write_study(tmp_path, f"[circle]\n{key} = {value}"))


@pytest.mark.parametrize("encoding", ["utf-16", "gbk"])
def test_study_file_in_another_encoding_says_save_as_utf8(tmp_path: Path, encoding: str) -> None:
    path = write_study(tmp_path)
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    found = "UTF-16" if encoding == "utf-16" else "GBK/GB18030"
    with pytest.raises(StudyFileError, match=rf"saved in {found}, not UTF-8; save it as UTF-8"):
        load_study(path)


def test_control_characters_are_removed_from_the_study_name(tmp_path: Path) -> None:
    path = write_study(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace("周家渡街道", "周家渡\\u001b[31m街道\\u0000"),
        encoding="utf-8",
    )
    assert load_study(path).name == "浦东新区周家渡[31m街道"


def test_boundaries_crs_is_read_and_checked(tmp_path: Path) -> None:
    inputs = INPUTS + 'boundaries_crs = "gcj-02"\n'
    assert load_study(write_study(tmp_path, inputs=inputs)).boundaries_crs == "GCJ-02"
    assert load_study(write_study(tmp_path, inputs=INPUTS)).boundaries_crs == "EPSG:4326"
    with pytest.raises(StudyFileError, match=r"boundaries_crs = 'GCJ02'; allowed: EPSG:4326"):
        load_study(write_study(tmp_path, inputs=INPUTS + 'boundaries_crs = "GCJ02"\n'))


def test_missing_required_input_is_named(tmp_path: Path) -> None:
    inputs = INPUTS.replace('streets = "bounds/streets.gpkg"\n', "")
    with pytest.raises(StudyFileError, match=r'\[inputs\] needs streets = "<file>"'):
        load_study(write_study(tmp_path, inputs=inputs))


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[study\nname = 1\n", encoding="utf-8")
    with pytest.raises(StudyFileError, match=r"bad\.toml: not a valid TOML study file"):
        load_study(bad)
    with pytest.raises(StudyFileError, match=r"absent\.toml: study file not found"):
        load_study(tmp_path / "absent.toml")


def test_unknown_profile_lists_builtin_names(tmp_path: Path) -> None:
    path = write_study(tmp_path, '[standards]\nprofile = "shanghia"')
    with pytest.raises(ProfileError) as info:
        load_study(path)
    message = str(info.value)
    assert "unknown standards profile 'shanghia' (did you mean 'shanghai'?)" in message
    assert (
        "built-in profiles: city-2022, generic, jinan, shanghai, suzhou-wujiang, yangzhou"
        in message
    )


def test_study_circle_overrides_profile_minutes(tmp_path: Path) -> None:
    study = load_study(
        write_study(tmp_path, '[standards]\nprofile = "jinan"\n[circle]\nminutes = 10')
    )
    assert study.profile.minutes == 15.0
    assert study.minutes == 10.0
    assert study.walk_speed_m_s == 1.0
    assert study.radius_m == 600.0


def test_radius_is_minutes_times_60_times_speed(tmp_path: Path) -> None:
    study = load_study(
        write_study(tmp_path, "[circle]\nminutes = 12\nwalk_speed_m_s = 1.2\nmax_snap_m = 250")
    )
    assert study.radius_m == pytest.approx(12 * 60 * 1.2)  # 864 m
    assert study.max_snap_m == 250.0


def test_profile_file_beside_the_study(tmp_path: Path) -> None:
    text = Path(load_profile("shanghai").path).read_text(encoding="utf-8")
    (tmp_path / "mine.toml").write_text(
        text.replace("minutes = 15", "minutes = 20", 1), encoding="utf-8"
    )
    study = load_study(write_study(tmp_path, '[standards]\nprofile = "mine.toml"'))
    assert study.minutes == 20.0
    assert study.radius_m == 1200.0


def test_network_cache_options(tmp_path: Path) -> None:
    off = load_study(write_study(tmp_path, "[network]\ncache = false\ninclude_private = false"))
    assert off.cache_dir is None
    assert off.include_private is False
    here = load_study(write_study(tmp_path, '[network]\ncache_dir = "cache"'))
    assert here.cache_dir == tmp_path.resolve() / "cache"


def test_network_by_bbox(tmp_path: Path) -> None:
    inputs = INPUTS.replace(
        'network = "net/area.osm"', "network = { bbox = [121.49, 31.16, 121.53, 31.19] }"
    )
    study = load_study(write_study(tmp_path, inputs=inputs))
    assert study.network is None
    assert study.network_bbox == (121.49, 31.16, 121.53, 31.19)
    assert "network" not in study.input_paths()


def test_builtin_profiles_encode_their_s2_targets() -> None:
    assert "shanghai" in builtin_profile_names()
    assert "jinan" in builtin_profile_names()
    shanghai, jinan = load_profile("shanghai"), load_profile("jinan")
    assert shanghai.indicator("S2").target == 50.0
    assert jinan.indicator("S2").target == 100.0
    assert shanghai.minutes == jinan.minutes == 15.0
    assert shanghai.walk_speed_m_s == jinan.walk_speed_m_s == 1.0
