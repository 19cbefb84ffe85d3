"""The Datasette edition of the sample warehouse: its rows are the warehouse's, its keys hold, it
is cached per snapshot and rebuilt when a build publishes a new one."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from cables.edition import TABLES, edition_metadata, edition_path, ensure_edition, warehouse_cache
from cables.settings import SQL_DIR
from flows.layout import Warehouse
from flows.serve import connect_read_only


@pytest.fixture(scope="module")
def cache(tmp_path_factory, monkeypatch_module):
    folder = tmp_path_factory.mktemp("edition-cache")
    monkeypatch_module.setenv("CABLES_SERVE_CACHE", str(folder))
    return folder


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def warehouse(sample_warehouse, tmp_path_factory) -> Warehouse:
    """A copy of the sample warehouse (a test publishes a new snapshot in it)."""
    target = tmp_path_factory.mktemp("edition-wh") / "warehouse"
    shutil.copytree(sample_warehouse, target, symlinks=True)
    return Warehouse.at(target)


@pytest.fixture
def con(warehouse):
    """A reader's connection, closed after each test (DuckDB shares an open file's database within
    a process, so a test that publishes a new snapshot needs none left open)."""
    con = connect_read_only(warehouse, SQL_DIR)
    yield con
    con.close()


@pytest.fixture(scope="module")
def built(warehouse, cache):
    con = connect_read_only(warehouse, SQL_DIR)
    try:
        return ensure_edition(warehouse, con)
    finally:
        con.close()


@pytest.fixture(scope="module")
def db(built):
    db = sqlite3.connect(f"file:{built.path}?immutable=1", uri=True)
    yield db
    db.close()


def test_edition_holds_every_row_of_the_warehouse_tables(built, db, con):
    assert built.built and built.path.name == "cables.db"
    for table in TABLES:
        expected = con.execute(f"select count(*) from {table.name}").fetchone()[0]
        assert db.execute(f'select count(*) from "{table.name}"').fetchone()[0] == expected, table.name
    cable = con.execute("select reference_id, subject, tags, created_at from cable order by reference_id").fetchall()
    copied = db.execute("select reference_id, subject, tags, created_at from cable order by reference_id").fetchall()
    assert [(r, s) for r, s, _, _ in copied] == [(r, s) for r, s, _, _ in cable]
    import json

    assert [json.loads(t) for _, _, t, _ in copied] == [list(t) for _, _, t, _ in cable]
    assert [c for _, _, _, c in copied] == [str(c) for _, _, _, c in cable]


def test_edition_has_primary_and_foreign_keys_that_hold(db):
    assert db.execute("pragma foreign_key_check").fetchall() == []
    for table in TABLES:
        info = db.execute(f'pragma table_info("{table.name}")').fetchall()
        key = tuple(name for _, name, *_, pk in sorted(info, key=lambda row: row[-1]) if pk)
        assert key == table.primary_key, table.name
        links = {(row[3], row[2], row[4]) for row in db.execute(f'pragma foreign_key_list("{table.name}")')}
        assert links == set(table.foreign_keys), table.name
    for child in ("recipient", "tag", "paragraph", "reference", "cable_version", "cable_change", "media_link"):
        assert ("reference_id", "cable", "reference_id") in {
            (row[3], row[2], row[4]) for row in db.execute(f'pragma foreign_key_list("{child}")')
        }


def test_cited_cables_resolve_as_citation_edge_does(db, con):
    expected = con.execute("select citing_id, cited_id, cited_reference_id from citation_edge order by all").fetchall()
    got = db.execute(
        "select distinct reference_id, referenced_id, cited_reference_id from reference "
        "where (reference_id, referenced_id) in (select citing_id, cited_id from citation_edge) order by 1, 2"
    ).fetchall()
    assert got == expected


def test_facet_columns_are_indexed_and_cables_searchable(db):
    indexed = {
        (table, column)
        for (table,) in db.execute("select name from sqlite_master where type = 'table'")
        for index in db.execute(f'pragma index_list("{table}")').fetchall()
        for (_, _, column) in db.execute(f'pragma index_info("{index[1]}")').fetchall()
    }
    for column in ("origin", "year", "classification"):
        assert ("cable", column) in indexed
    assert ("tag", "canonical_tag") in indexed
    subject = db.execute("select subject from cable where subject <> '' limit 1").fetchone()[0]
    word = max(subject.split(), key=len).strip(".,:;()'\"")
    found = db.execute(
        "select c.subject from cable_fts f join cable c on c.rowid = f.rowid where cable_fts match ?", [f'"{word}"']
    ).fetchall()
    assert subject in {s for (s,) in found}


def test_metadata_describes_tables_and_columns_from_the_warehouse(con):
    meta = edition_metadata(con)["databases"]["cables"]["tables"]
    described = dict(con.execute("select view_name, comment from duckdb_views() where not internal").fetchall())
    assert meta["cable"]["description"] == described["cable"]
    assert meta["cable"]["columns"]["origin"].startswith("the sending post")
    assert meta["cable"]["facets"] == ["origin", {"array": "tags"}, "year", "classification"]
    assert meta["edition_report"]["hidden"] and meta["edition"]["hidden"]


def test_edition_is_cached_per_snapshot_and_rebuilt_for_a_new_one(warehouse, built):
    edition = built
    stamp = edition.path.stat().st_mtime_ns
    con = connect_read_only(warehouse, SQL_DIR)
    try:
        again = ensure_edition(warehouse, con)
    finally:
        con.close()
    assert not again.built and again.path == edition.path and edition.path.stat().st_mtime_ns == stamp
    # Publish a new snapshot of the same tables, as a build with nothing new to parse would.
    old = warehouse.current_snapshot()
    run_id = "20991231T000000-edition0"
    with warehouse.lock():
        staged = warehouse.staging(run_id) / "tables"
        staged.mkdir(parents=True)
        snapshot = warehouse.stage_snapshot(staged, run_id, incremental=True)
        shutil.copytree(warehouse.snapshot_dir(old) / "search", warehouse.snapshot_dir(snapshot) / "search")
        warehouse.commit(warehouse.manifest(), snapshot=snapshot, run_id=run_id, fresh=False)
        warehouse.cleanup(run_id)
    con = connect_read_only(warehouse, SQL_DIR)
    try:
        fresh = ensure_edition(warehouse, con)
    finally:
        con.close()
    assert fresh.built and fresh.snapshot == snapshot and fresh.path == edition_path(warehouse, snapshot)
    db = sqlite3.connect(f"file:{fresh.path}?immutable=1", uri=True)
    assert dict(db.execute("select key, value from edition").fetchall())["snapshot"] == snapshot
    db.close()
    # The edition of the previous snapshot stays (a server may still read it); nothing half-written is left.
    assert sorted(p.name for p in warehouse_cache(warehouse).iterdir()) == sorted(
        [edition.path.parent.name, fresh.path.parent.name]
    )
    # No file of the edition is inside the warehouse folder.
    assert not list(warehouse.root.rglob("*.db"))


def test_a_cache_folder_that_cannot_be_made_is_a_clear_error(warehouse, built, tmp_path, monkeypatch):
    from cables.edition import EditionError

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("CABLES_SERVE_CACHE", str(blocker / "cache"))
    con = connect_read_only(warehouse, SQL_DIR)
    try:
        with pytest.raises(EditionError, match="cannot write the edition's cache folder"):
            ensure_edition(warehouse, con)
    finally:
        con.close()
