"""``cables export --database``: one DuckDB file of the sample warehouse, moved to another folder
and opened with DuckDB alone (a plain Python process, the standalone ``duckdb`` command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cables.cli import main
from flows.layout import LANDING_TABLE, TABLES
from flows.lookups import REFERENCE_DIR
from flows.serve import REFERENCE_VIEWS, sql_views

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
VIEWS = [name for name, _, _ in sql_views(SQL_DIR)]


@pytest.fixture(scope="module")
def shared(sample_warehouse, tmp_path_factory) -> Path:
    """The sample warehouse exported to one file, then moved to a folder of its own."""
    written = tmp_path_factory.mktemp("export") / "cables-shared.duckdb"
    result = CliRunner().invoke(main, ["export", "--database", str(written), "-w", str(sample_warehouse)])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"wrote {written}: ") and " 32 cables, " in result.stderr
    assert [p.name for p in written.parent.iterdir()] == [written.name]  # no temporary file left
    moved = tmp_path_factory.mktemp("colleague") / "cables.duckdb"
    written.rename(moved)
    return moved


def plain_duckdb(database: Path, queries: dict[str, str], cwd: Path) -> dict[str, list]:
    """The rows of each query, read by a Python process that imports DuckDB and nothing of this
    project, in an empty working directory, the file opened read-only."""
    script = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "queries = json.loads(sys.argv[2])\n"
        "print(json.dumps({k: con.execute(q).fetchall() for k, q in queries.items()}, default=str))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    command = [sys.executable, "-I", "-c", script, str(database), json.dumps(queries)]
    out = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def in_warehouse(warehouse: Path, queries: dict[str, str]) -> dict[str, list]:
    """The same queries on the warehouse's own database, as JSON would carry them."""
    with duckdb.connect(str(warehouse / "cables.duckdb"), read_only=True) as con:
        return json.loads(json.dumps({k: con.execute(q).fetchall() for k, q in queries.items()}, default=str))


def test_the_moved_file_answers_as_the_warehouse_does(shared, sample_warehouse, tmp_path):
    queries = {
        "tag_cooccurrence": "select * from tag_cooccurrence order by all",
        "cable_overview": "select * from cable_overview order by all",
        "embassy_volume_by_year": "select * from embassy_volume_by_year order by all",
        "cables": "select reference_id, subject, tags from cable order by all",
        "release": "select count(*), count(distinct reference_id) from release_cable",
        "origins": "select country, count(*) from origin_group group by all order by all",
        "joined": "select t.tag, count(*) from tag t join cable c using (reference_id) group by all order by all",
        "issues": "select * from data_issue order by all",
    }
    got = plain_duckdb(shared, queries, cwd=tmp_path)
    assert got == in_warehouse(sample_warehouse, queries)
    assert len(got["tag_cooccurrence"]) > 100 and len(got["cable_overview"]) == 32


def test_the_standalone_duckdb_command_opens_it(shared, tmp_path):
    binary = Path(sys.executable).parent / "duckdb"
    if not binary.exists():
        pytest.skip("the duckdb command (duckdb-cli) is not installed beside this Python")
    out = subprocess.run(
        [
            str(binary),
            "-readonly",
            "-json",
            str(shared),
            "-c",
            "select (select count(*) from cable) as cables, (select count(*) from tag_cooccurrence) as pairs, "
            "(select comment from duckdb_views() where view_name = 'tag_cooccurrence') as grain",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    assert row["cables"] == 32 and row["pairs"] > 100
    assert row["grain"].startswith("one row per pair of canonical tags")


def catalog_comments(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], str | None]:
    """The comment of every table and view and of each of their columns: (schema, name, column) -> comment."""
    objects = con.execute(
        "select schema_name, table_name, '', comment from duckdb_tables() where not internal "
        "union all select schema_name, view_name, '', comment from duckdb_views() where not internal "
        "union all select schema_name, table_name, column_name, comment from duckdb_columns() where not internal"
    ).fetchall()
    return {(schema, name, column): comment for schema, name, column, comment in objects}


def test_every_comment_is_kept(shared, sample_warehouse):
    with duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True) as con:
        warehouse = catalog_comments(con)
    with duckdb.connect(str(shared), read_only=True) as con:
        exported = catalog_comments(con)
    # The reference data the warehouse's file stores beside the marts is a plain table of the export.
    stored_reference = {("mart_rows", name) for name in REFERENCE_VIEWS}
    kept = {
        key: text
        for key, text in warehouse.items()
        if key[1] not in ("_warehouse", LANDING_TABLE) and key[:2] not in stored_reference
    }
    assert {key: exported.get(key) for key in kept} == kept
    assert all(exported.get(("main", *key[1:])) for key in warehouse if key[:2] in stored_reference)
    assert {key[0] for key in kept} == {"main", "mart_rows"} and len(kept) > 500 and all(kept.values())
    assert all(exported.values()), [key for key, text in exported.items() if not text]  # `about` too


def test_the_catalog_names_no_file(shared, sample_warehouse):
    with duckdb.connect(str(shared), read_only=True) as con:
        views = dict(con.execute("select view_name, sql from duckdb_views() where not internal").fetchall())
        tables = dict(con.execute("select schema_name || '.' || table_name, sql from duckdb_tables()").fetchall())
        texts = [t for (t,) in con.execute("select comment from duckdb_columns() where comment is not null").fetchall()]
    assert set(views) == {*VIEWS, "data_issue"}
    assert set(tables) == {
        *(f"main.{name}" for name in (*TABLES, *REFERENCE_VIEWS, "about")),
        *(f"mart_rows.{name}" for name in (*VIEWS, "data_issue")),
    }
    catalog = "\n".join([*views.values(), *tables.values(), *texts])
    for path in (str(sample_warehouse), str(sample_warehouse.resolve()), str(REFERENCE_DIR.resolve())):
        assert path not in catalog
    for reader in ("read_parquet", "read_csv", "parquet_scan", ".parquet", "s3://"):
        assert reader not in catalog.lower()
    # Each view reads only the rows stored in the file.
    assert all(sql.endswith(f"FROM mart_rows.{name};") for name, sql in views.items()), views


def test_about_says_where_the_rows_come_from(shared, sample_warehouse):
    manifest = json.loads((sample_warehouse / "warehouse.json").read_text())
    with duckdb.connect(str(shared), read_only=True) as con:
        about = con.execute("select snapshot, sources, row_counts, exported_at >= built_at from about").fetchone()
        counts = {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in about[2]}
    snapshot, sources, row_counts, later = about
    assert snapshot == manifest["snapshot"] and sources == manifest["sources"] and later
    assert row_counts == counts and row_counts["cable"] == manifest["rows"]["cable"] == 32


def test_it_is_never_written_into_the_warehouse_nor_over_a_file(sample_warehouse, tmp_path):
    runner = CliRunner()
    before = sorted(p.name for p in sample_warehouse.iterdir())
    w = str(sample_warehouse)
    inside = runner.invoke(main, ["export", "--database", str(sample_warehouse / "x.duckdb"), "-w", w])
    assert inside.exit_code == 1 and "inside the warehouse" in inside.stderr
    database = sample_warehouse / "cables.duckdb"
    over = runner.invoke(main, ["export", "--database", str(database), "--overwrite", "-w", str(sample_warehouse)])
    assert over.exit_code == 1 and "inside the warehouse" in over.stderr
    assert sorted(p.name for p in sample_warehouse.iterdir()) == before
    folder = tmp_path / "folder"
    folder.mkdir()
    refused = runner.invoke(main, ["export", "--database", str(folder), "--overwrite", "-w", str(sample_warehouse)])
    assert refused.exit_code == 1 and "is a folder" in refused.stderr


def test_overwrite_and_the_landed_pages(sample_warehouse, tmp_path):
    out = tmp_path / "shared.duckdb"
    out.write_text("an earlier file")
    runner = CliRunner()
    kept = runner.invoke(main, ["export", "--database", str(out), "-w", str(sample_warehouse)])
    assert kept.exit_code == 1 and "--overwrite" in kept.stderr and out.read_text() == "an earlier file"
    args = ["export", "--database", str(out), "--overwrite", "--with-pages", "-w", str(sample_warehouse)]
    replaced = runner.invoke(main, args)
    assert replaced.exit_code == 0, replaced.output
    assert [p.name for p in tmp_path.iterdir()] == ["shared.duckdb"]
    with duckdb.connect(str(out), read_only=True) as con:
        pages = con.execute("select count(*), count(content), sum(bytes) = sum(octet_length(content)) from raw_page")
        assert pages.fetchone() == (57, 57, True)
        assert con.execute("select row_counts['raw_page'] from about").fetchone() == (57,)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cable", "--database", "x.duckdb"], "give it without NAME"),
        (["--database", "x.duckdb", "--format", "csv", "--out", "y.csv"], "give it without --format, --out"),
        (["--database", "x.duckdb", "-q", "select 1", "--excel"], "give it without --query, --excel"),
        (["cable", "--format", "csv", "--out", "y.csv", "--with-pages"], "--with-pages goes with --database"),
        (["cable", "--out", "y.csv"], "give --format csv|parquet and --out PATH"),
        (["cable", "--format", "csv"], "give --format csv|parquet and --out PATH"),
    ],
)
def test_options_that_do_not_go_together_are_one_line(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["export", *args, "-w", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_database_path_holding_a_question_mark_is_refused(sample_warehouse, tmp_path):
    """DuckDB reads what follows a "?" in a database file's path as options (its WAL lands elsewhere)."""
    from cables.export_database import export_database
    from cables.exporting import ExportError
    from cables.settings import SQL_DIR
    from flows.layout import Warehouse

    with pytest.raises(ExportError, match="cannot hold"):
        export_database(Warehouse.at(sample_warehouse), SQL_DIR, tmp_path / "exports?" / "cables.duckdb")
    assert not (tmp_path / "exports?").exists()
