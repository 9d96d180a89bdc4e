"""The ``[population]`` section of the study file: modes, keys, rasters each mode needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_config import INPUTS, write_study

from carecircle.config import load_study
from carecircle.errors import StudyFileError

NO_OLDER = INPUTS.replace('older_residents = "pop/older.tif"\n', "")
NO_RASTERS = NO_OLDER.replace('residents = "pop/residents.tif"\n', "")


def test_raster_mode_is_the_default(tmp_path: Path) -> None:
    study = load_study(write_study(tmp_path))
    assert study.population.mode == "raster"
    assert study.population.is_raster
    assert "population" not in study.input_paths()


def test_counts_from_a_csv(tmp_path: Path) -> None:
    section = (
        '[population]\nmode = "counts"\nlevel = "street"\nfile = "census/qipu.csv"\n'
        'code_column = "街道代码"\nresidents_column = "常住人口"\nolder_column = "60岁以上"\n'
    )
    study = load_study(write_study(tmp_path, section, inputs=NO_OLDER))
    pop = study.population
    assert (pop.mode, pop.level, pop.code_column) == ("counts", "street", "街道代码")
    assert (pop.residents_column, pop.older_column) == ("常住人口", "60岁以上")
    assert pop.file == tmp_path / "census" / "qipu.csv"
    assert study.input_paths()["population"] == pop.file
    assert study.older_residents is None
    assert "dasymetric" in pop.describe(raster=True)
    assert "uniformly" in pop.describe(raster=False)


def test_counts_without_any_raster(tmp_path: Path) -> None:
    study = load_study(write_study(tmp_path, '[population]\nmode = "counts"', inputs=NO_RASTERS))
    assert study.residents is None and study.population.file is None
    assert "residents" not in study.input_paths()


def test_share_defaults_to_the_older_share_column(tmp_path: Path) -> None:
    study = load_study(write_study(tmp_path, '[population]\nmode = "share"', inputs=NO_OLDER))
    assert study.population.share_column == "older_share"


def test_buildings_with_one_share(tmp_path: Path) -> None:
    section = '[population]\nmode = "buildings"\nfile = "b.gpkg"\nolder_share = 0.21'
    study = load_study(write_study(tmp_path, section, inputs=NO_RASTERS))
    assert study.population.older_share == 0.21
    assert study.population.older_column == ""


@pytest.mark.parametrize(
    ("section", "inputs", "words"),
    [
        ('mode = "census"', NO_OLDER, "mode = 'census'; allowed: raster, counts"),
        ('mode = "share"\ncell_m = 50', NO_OLDER, "cell_m does not apply to mode = 'share'"),
        ('mode = "counts"\nlevel = "district"', NO_OLDER, "level = 'district'"),
        ('mode = "buildings"', NO_RASTERS, 'needs file = "buildings.gpkg"'),
        ('mode = "counts"', INPUTS, "[inputs] older_residents is not used with"),
        ('mode = "share"', NO_RASTERS, '[inputs] needs residents = "<file>"'),
        ('mode = "buildings"\nfile = "b.gpkg"', NO_OLDER, "residents and older_residents go"),
        ('mode = "buildings"\nfile = "b.gpkg"\nolder_share = 0.2', INPUTS, "come from the rasters"),
        ('mode = "buildings"\nfile = "b.gpkg"\nolder_share = 21', NO_RASTERS, "write 0.21"),
        ("colour = 1", INPUTS, "colour"),
    ],
)
def test_bad_population_sections(tmp_path: Path, section: str, inputs: str, words: str) -> None:
    with pytest.raises(StudyFileError) as err:
        load_study(write_study(tmp_path, "[population]\n" + section, inputs=inputs))
    assert words in str(err.value)
