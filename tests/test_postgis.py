"""PostGIS in and out against a real, throw-away PostgreSQL cluster on a local socket."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from carecircle.scripts.cli import main

from mini_district import write_mini_study

PORT = 54329


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="module")
def pg_url():
    initdb = _bin("initdb")
    extension = glob.glob("/usr/share/postgresql/*/extension/postgis.control")
    if initdb is None or not extension:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL/PostGIS missing in CI: `make test` installs them")
        pytest.skip("PostgreSQL + PostGIS not installed (`make test` installs them with apt)")
    # the server runs as user postgres, who cannot enter pytest's private temp folders
    folder = Path(tempfile.mkdtemp(prefix="carecircle-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    folder.chmod(0o755)
    subprocess.run(
        _as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    pg_ctl = _bin("pg_ctl")
    subprocess.run(
        _as_postgres(
            [
                pg_ctl,
                "-D",
                str(data),
                "-w",
                "-l",
                str(folder / "log"),
                "-o",
                f"-k {folder} -c listen_addresses='' -p {PORT}",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        psql = [_bin("psql"), "-h", str(folder), "-p", str(PORT), "-U", "postgres"]
        subprocess.run(
            [*psql, "-c", "CREATE DATABASE carecircle"], check=True, capture_output=True, timeout=60
        )
        subprocess.run(
            [*psql, "-d", "carecircle", "-c", "CREATE EXTENSION postgis"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgresql://postgres@/carecircle?host={folder}&port={PORT}"
    finally:
        subprocess.run(
            _as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _load_inputs(url: str, folder: Path) -> None:
    """Put the mini district's facilities and boundaries into the database."""
    import sqlalchemy

    from carecircle.geo.postgis import engine

    with engine(url).begin() as con:
        con.execute(sqlalchemy.text("CREATE SCHEMA IF NOT EXISTS src"))
        gpd.read_file(folder / "streets.gpkg").to_postgis(
            "streets", con, schema="src", if_exists="replace"
        )
        gpd.read_file(folder / "communities.gpkg").to_postgis(
            "communities", con, schema="src", if_exists="replace"
        )
        pd.read_csv(folder / "facilities.csv", dtype=str).to_sql(
            "facilities", con, schema="src", if_exists="replace", index=False
        )


def _tables(url: str, schema: str) -> dict[str, pd.DataFrame]:
    import sqlalchemy

    from carecircle.geo.postgis import engine

    with engine(url).connect() as con:
        return {
            name: pd.read_sql(sqlalchemy.text(f'SELECT * FROM "{schema}"."{name}"'), con)
            for name in ("indicators_by_street", "indicators_by_community")
        }


def test_files_to_postgis_and_back_give_the_same_tables(
    pg_url: str, tmp_path: Path, capsys
) -> None:
    files = write_mini_study(tmp_path / "files")
    assert (
        main(
            [
                "-q",
                "audit",
                str(files),
                "--out",
                str(tmp_path / "a"),
                "--to-postgis",
                pg_url,
                "--schema",
                "run_files",
            ]
        )
        == 0
    )
    _load_inputs(pg_url, tmp_path / "files")
    text = files.read_text(encoding="utf-8")
    text = text.replace(
        'facilities = "facilities.csv"',
        f'facilities = {{ url = "{pg_url}", table = "src.facilities" }}',
    )
    text = text.replace(
        'streets = "streets.gpkg"', f'streets = {{ url = "{pg_url}", table = "src.streets" }}'
    )
    text = text.replace(
        'communities = "communities.gpkg"',
        f'communities = {{ url = "{pg_url}", query = "SELECT * FROM '
        f'src.communities ORDER BY code" }}',
    )
    db_study = tmp_path / "files" / "db_study.toml"
    db_study.write_text(text, encoding="utf-8")
    assert (
        main(
            [
                "-q",
                "audit",
                str(db_study),
                "--out",
                str(tmp_path / "b"),
                "--to-postgis",
                pg_url,
                "--schema",
                "run_db",
            ]
        )
        == 0
    )
    for name in ("indicators_by_street.csv", "indicators_by_community.csv"):
        a = pd.read_csv(tmp_path / "a" / name).sort_values("code", ignore_index=True)
        b = pd.read_csv(tmp_path / "b" / name).sort_values("code", ignore_index=True)
        pd.testing.assert_frame_equal(a, b)
    first, second = _tables(pg_url, "run_files"), _tables(pg_url, "run_db")
    for name, frame in first.items():
        pd.testing.assert_frame_equal(
            frame.sort_values("code", ignore_index=True),
            second[name].sort_values("code", ignore_index=True),
        )
    assert capsys.readouterr().out.count("PostGIS:") == 2


def test_spatial_tables_have_4326_and_an_index_and_reruns_replace(
    pg_url: str, tmp_path: Path
) -> None:
    import sqlalchemy

    from carecircle.geo.postgis import engine

    study = write_mini_study(tmp_path / "in")
    for _ in range(2):
        assert (
            main(
                [
                    "-q",
                    "audit",
                    str(study),
                    "--out",
                    str(tmp_path / "o"),
                    "--to-postgis",
                    pg_url,
                    "--schema",
                    "rerun",
                ]
            )
            == 0
        )
    with engine(pg_url).connect() as con:
        srid = con.execute(
            sqlalchemy.text("SELECT Find_SRID('rerun', 'communities', 'geometry')")
        ).scalar()
        indexes = (
            con.execute(
                sqlalchemy.text(
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = 'rerun' "
                    "AND tablename = 'cells'"
                )
            )
            .scalars()
            .all()
        )
        count = con.execute(sqlalchemy.text("SELECT count(*) FROM rerun.communities")).scalar()
    assert srid == 4326
    assert any("gist" in i.lower() for i in indexes)
    assert count == 4  # replaced, not appended


def test_unreachable_database_is_a_clear_error(tmp_path: Path, capsys) -> None:
    study = write_mini_study(tmp_path / "in")
    text = study.read_text(encoding="utf-8").replace(
        'streets = "streets.gpkg"',
        'streets = { url = "postgresql://nobody@/none?host=/nonexistent", table = "x.y" }',
    )
    study.write_text(text, encoding="utf-8")
    assert main(["audit", str(study), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "cannot read from the database" in err
    assert "Traceback" not in err


HOSTILE_SCHEMAS = (
    'x"; COMMIT; DROP TABLE public.victim; --',
    "a.b",
    "Ünï 名称 ;--",
    "a:b %s %(x)s",
    "x'); DROP TABLE public.victim; --",
)


def _victim(url: str) -> None:
    import sqlalchemy

    from carecircle.geo.postgis import engine

    with engine(url).begin() as con:
        con.execute(sqlalchemy.text("CREATE TABLE IF NOT EXISTS public.victim (id int)"))


def _victim_exists(url: str) -> bool:
    import sqlalchemy

    from carecircle.geo.postgis import engine

    with engine(url).connect() as con:
        return con.execute(sqlalchemy.text("SELECT to_regclass('public.victim')")).scalar() == (
            "victim"
        )


def _rows(url: str, schema: str, table: str) -> list[tuple]:
    from psycopg import sql

    from carecircle.geo.postgis import engine

    with engine(url).connect() as con, con.connection.dbapi_connection.cursor() as cur:
        cur.execute(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(schema, table)))
        return cur.fetchall()


@pytest.mark.parametrize("schema", HOSTILE_SCHEMAS)
def test_hostile_schema_names_are_only_names(pg_url: str, schema: str) -> None:
    import shapely

    from carecircle.geo.postgis import write_tables

    _victim(pg_url)
    plain = pd.DataFrame({"code": ["W", "E"], 'n"; DROP TABLE public.victim; --': [1, 2]})
    points = gpd.GeoDataFrame(
        {"code": ["W"]}, geometry=[shapely.Point(118.78, 32.04)], crs="EPSG:4326"
    )
    names = write_tables(pg_url, schema, {"plain": plain, "points": points})
    assert names == [f"{schema}.plain", f"{schema}.points"]
    assert _victim_exists(pg_url)
    assert _rows(pg_url, schema, "plain") == [("E", 2), ("W", 1)]
    assert len(_rows(pg_url, schema, "points")) == 1
    assert _gist_indexed(pg_url, schema, "points")
    # a re-run replaces, it does not append
    write_tables(pg_url, schema, {"plain": plain.iloc[:1]})
    assert _rows(pg_url, schema, "plain") == [("W", 1)]


def test_hostile_schema_through_the_command_line(pg_url: str, tmp_path: Path, capsys) -> None:
    _victim(pg_url)
    study = write_mini_study(tmp_path / "in")
    schema = HOSTILE_SCHEMAS[0]
    args = ["-q", "audit", str(study), "--out", str(tmp_path / "o"), "--to-postgis", pg_url]
    assert main([*args, "--schema", schema]) == 0
    assert _victim_exists(pg_url)
    assert f"tables in schema {schema}" in capsys.readouterr().out
    assert len(_rows(pg_url, schema, "communities")) == 4


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ("长" * 22, "66 bytes"),
        ("a\x00b", "NUL"),
        ("", "empty"),
        ("pg_results", "reserves"),
    ],
)
def test_schema_names_postgres_cannot_hold_stop_before_the_audit(
    tmp_path: Path, capsys, schema: str, words: str
) -> None:
    study = write_mini_study(tmp_path / "in")
    url = "postgresql://nobody@/none?host=/nonexistent"  # never reached
    out = tmp_path / "o"
    code = main(["audit", str(study), "--out", str(out), "--to-postgis", url, "--schema", schema])
    err = capsys.readouterr().err
    assert code == 2, err
    assert [line for line in err.splitlines() if line.startswith("错误 error")] == [
        next(line for line in err.splitlines() if "--schema" in line)
    ]
    assert words in err
    assert not out.exists()  # refused before the audit


def _db_study(tmp_path: Path, url: str, facilities: str) -> Path:
    study = write_mini_study(tmp_path / "in")
    text = study.read_text(encoding="utf-8").replace('facilities = "facilities.csv"', facilities)
    study.write_text(text.replace("@URL@", url), encoding="utf-8")
    return study


def test_hostile_input_table_names_read_nothing_else(pg_url: str, tmp_path: Path, capsys) -> None:
    from psycopg import sql

    from carecircle.geo.postgis import engine

    _victim(pg_url)
    write_mini_study(tmp_path / "src")
    _load_inputs(pg_url, tmp_path / "src")
    # a schema and table whose names hold a quote, a semicolon and a dot-free oddity
    with engine(pg_url).begin() as con, con.connection.dbapi_connection.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier('we"ird')))
        cur.execute(
            sql.SQL("CREATE TABLE {} AS SELECT * FROM src.facilities").format(
                sql.Identifier('we"ird', "fa;c:ilities %s")
            )
        )
    odd = _db_study(
        tmp_path / "odd",
        pg_url,
        'facilities = { url = "@URL@", table = \'we"ird.fa;c:ilities %s\' }',
    )
    assert main(["-q", "audit", str(odd), "--out", str(tmp_path / "odd" / "o")]) == 0
    hostile = _db_study(
        tmp_path / "bad",
        pg_url,
        'facilities = { url = "@URL@", table = \'src.x"; DROP TABLE victim; --\' }',
    )
    capsys.readouterr()
    assert main(["-q", "audit", str(hostile), "--out", str(tmp_path / "bad" / "o")]) == 2
    err = capsys.readouterr().err
    assert 'src.x"; DROP TABLE victim; --: cannot read from the database' in err
    assert "does not exist" in err
    assert _victim_exists(pg_url)
    three = _db_study(tmp_path / "three", pg_url, 'facilities = { url = "@URL@", table = "a.b.c" }')
    assert main(["-q", "audit", str(three), "--out", str(tmp_path / "three" / "o")]) == 2
    assert '"schema.table"' in capsys.readouterr().err


def test_input_queries_run_read_only(pg_url: str, tmp_path: Path, capsys) -> None:
    _victim(pg_url)
    study = _db_study(
        tmp_path,
        pg_url,
        # valid SQL also inside the column probe's ``SELECT * FROM (…) AS q LIMIT 0``
        'facilities = { url = "@URL@", query = "SELECT 1 AS id) AS z; COMMIT; '
        'DROP TABLE public.victim; SELECT * FROM (SELECT 1 AS id" }',
    )
    assert main(["-q", "audit", str(study), "--out", str(tmp_path / "o")]) == 2
    assert "read-only transaction" in capsys.readouterr().err
    assert _victim_exists(pg_url)


def test_tables_carecircle_did_not_write_are_never_replaced(pg_url: str, tmp_path: Path) -> None:
    from carecircle.errors import OutputError
    from carecircle.geo.postgis import write_tables

    write_mini_study(tmp_path / "src")
    _load_inputs(pg_url, tmp_path / "src")  # the planner's own src.streets, src.communities
    before = _rows(pg_url, "src", "facilities")
    frame = pd.DataFrame({"code": ["W"]})
    with pytest.raises(OutputError, match="already holds facilities, streets, not written by"):
        write_tables(pg_url, "src", {"indicators": frame, "streets": frame, "facilities": frame})
    assert _rows(pg_url, "src", "facilities") == before
    assert "indicators" not in _table_names(pg_url, "src")  # one transaction: nothing written
    write_tables(pg_url, "mine", {"streets": frame})
    write_tables(pg_url, "mine", {"streets": frame})  # its own table: replaced
    assert _rows(pg_url, "mine", "streets") == [("W",)]


def _table_names(url: str, schema: str) -> set[str]:
    from carecircle.geo.postgis import engine

    with engine(url).connect() as con, con.connection.dbapi_connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
        return {r[0] for r in cur.fetchall()}


def _gist_indexed(url: str, schema: str, table: str) -> bool:
    from carecircle.geo.postgis import engine

    with engine(url).connect() as con, con.connection.dbapi_connection.cursor() as cur:
        cur.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
            (schema, table),
        )
        return any("gist" in r[0].lower() for r in cur.fetchall())
