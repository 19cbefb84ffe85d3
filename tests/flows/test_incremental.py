"""Incremental builds: a run parses only the cables its new pages belong to, rewrites only their
partitions, and publishes exactly what a build from scratch would."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import duckdb
import polars as pl
import pytest

from flows.build import build_warehouse
from flows.layout import TABLES, BuildError, Warehouse, literal_glob

pytestmark = pytest.mark.usefixtures("prefect_harness")


def build(source: Path, warehouse: Path, **kw) -> dict:
    return build_warehouse(source=str(source), warehouse=str(warehouse), **kw)


def parquet_state(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Every published Parquet file (path in the landing or in the current snapshot): inode and
    modification time. A rewrite changes both; a hard link into a new snapshot changes neither."""
    wh = Warehouse.at(warehouse)
    files = {f"raw_page/{p.name}": p for p in wh.published_files("raw_page")}
    snapshot = wh.snapshot_dir(wh.current_snapshot())
    files |= {str(p.relative_to(snapshot)): p for p in snapshot.rglob("*.parquet")}
    return {name: (p.stat().st_ino, p.stat().st_mtime_ns) for name, p in files.items()}


def tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    """Every published table, rows in a canonical order, landing times dropped."""
    out = {}
    for name in TABLES:
        frame = pl.read_parquet(Warehouse.at(warehouse).table_files(name), hive_partitioning=False, glob=False)
        frame = frame.drop("fetched_at", strict=False)
        out[name] = frame.sort([c for c, t in frame.schema.items() if not isinstance(t, pl.List)])
    return out


def assert_same_tables(got: Path, want: Path) -> None:
    expected = tables(want)
    for name, frame in tables(got).items():
        assert frame.equals(expected[name]), name


def change_body(page: Path) -> None:
    """A new version of a page: one more sentence at the end of the cable body."""
    text = page.read_text()
    at = text.rindex("</pre>")
    page.write_text(text[:at] + "\nA SENTENCE ADDED BY A LATER VERSION.\n" + text[at:])


@pytest.fixture
def source(sample_dir, tmp_path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(sample_dir, src)
    return src


def test_a_rerun_with_nothing_new_writes_no_parquet_file(source, tmp_path):
    wh = tmp_path / "wh"
    first = build(source, wh)
    before = parquet_state(wh)
    again = build(source, wh)
    assert again["landing"]["landed_new"] == again["landing"]["landed_changed"] == 0
    assert again["rows"] == first["rows"] and again["snapshot"] == first["snapshot"]
    assert parquet_state(wh) == before  # nothing rewritten, moved or added
    run = Warehouse.at(wh).runs_dir / f"{again['run_id']}.json"
    assert '"mode": "none"' in run.read_text()


def test_one_changed_page_rewrites_only_its_cable_and_its_year(source, tmp_path):
    wh = tmp_path / "wh"
    build(source, wh)
    before = parquet_state(wh)
    cables = pl.read_parquet(Warehouse.at(wh).table_files("cable"), hive_partitioning=False)
    uri = cables.filter(pl.col("reference_id") == "10TRIPOLI95")["source_uri"][0]
    change_body(Path(url2pathname(urlparse(uri).path)))  # the page the cable is read from
    result = build(source, wh)
    assert result["landing"]["landed_changed"] == 1
    run = (Warehouse.at(wh).runs_dir / f"{result['run_id']}.json").read_text()
    assert '"mode": "incremental"' in run and '"cables_touched": 1' in run

    after = parquet_state(wh)
    rewritten = {path for path, state in after.items() if before.get(path) != state}
    landed = {p for p in rewritten if p.startswith("raw_page/")}
    assert len(landed) == 1  # the one new landing file
    assert {re.search(r"year=\d+", p).group(0) for p in rewritten - landed} == {"year=2010"}
    assert {p.split("/")[0] for p in rewritten - landed} <= set(TABLES)

    body = pl.read_parquet(Warehouse.at(wh).table_files("cable"), hive_partitioning=False).filter(
        pl.col("reference_id") == "10TRIPOLI95"
    )["body"][0]
    assert "A SENTENCE ADDED BY A LATER VERSION." in body

    # Exactly the tables a build from scratch of the same pages publishes.
    assert_same_tables(wh, rebuilt_from_scratch(wh, tmp_path))


def rebuilt_from_scratch(wh: Path, tmp_path: Path) -> Path:
    """A new warehouse over a copy of the same landed pages: every one of them parsed."""
    again = tmp_path / "from-scratch"
    shutil.copytree(wh / "raw_page", again / "raw_page")
    nothing_new = tmp_path / "nothing-new"
    nothing_new.mkdir(parents=True)
    result = build(nothing_new, again)
    assert '"mode": "full"' in (Warehouse.at(again).runs_dir / f"{result['run_id']}.json").read_text()
    return again


def test_new_sources_and_copies_of_known_cables_give_the_tables_of_a_full_build(sample_dir, tmp_path):
    part_a, part_b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(sample_dir / "chillicoder__cablegate", part_a / "chillicoder__cablegate")
    # b holds other builds of the same cables and cables a has not.
    shutil.copytree(sample_dir / "gabrielduque__wikileaks-mirror-jp.github.com", part_b / "gabrielduque")
    shutil.copytree(sample_dir / "chillicoder__cablegate", part_b / "copy")
    wh = tmp_path / "wh"
    build(part_a, wh)
    result = build(part_b, wh)
    assert '"mode": "incremental"' in (Warehouse.at(wh).runs_dir / f"{result['run_id']}.json").read_text()
    assert_same_tables(wh, rebuilt_from_scratch(wh, tmp_path))


def test_a_new_parser_parses_everything_again(source, tmp_path, monkeypatch):
    wh = tmp_path / "wh"
    build(source, wh)
    before = parquet_state(wh)
    monkeypatch.setattr("flows.build.parser_fingerprint", lambda: "another parser")
    change_body(next(source.rglob("09TRIPOLI65.html")))
    result = build(source, wh)
    run = (Warehouse.at(wh).runs_dir / f"{result['run_id']}.json").read_text()
    assert '"mode": "full"' in run
    after = parquet_state(wh)
    assert all(after[p] != before[p] for p in before if not p.startswith("raw_page/") and p in after)


def test_a_changed_rejected_file_is_one_reject_row_its_newest_landing(source, tmp_path):
    import hashlib

    wh = tmp_path / "wh"
    first = build(source, wh)
    notes = next(source.rglob("section.txt"))  # a test fixture of cablemap's: not a cable page
    original = notes.read_bytes()

    def reject_rows() -> pl.DataFrame:
        return pl.read_parquet(Warehouse.at(wh).table_files("reject")).filter(pl.col("source_uri") == notes.as_uri())

    def reconciles(result: dict) -> bool:
        rows = result["rows"]
        return rows["raw_page"] == rows["page_version"] + rows["reject"] + rows["replaced_rejects"]

    # Changed: landed again. Before, every later build failed (`reject: unique (source_uri)`).
    notes.write_bytes(original + b"\nA LINE ADDED BY A LATER SAVE.\n")
    second = build(source, wh)
    assert second["landing"]["landed_changed"] == 1
    assert second["rows"]["reject"] == first["rows"]["reject"] and second["rows"]["replaced_rejects"] == 1
    assert reject_rows().select("sha256", "bytes").rows() == [
        (hashlib.sha256(notes.read_bytes()).hexdigest(), len(notes.read_bytes()))
    ]
    assert reconciles(second)
    run = json.loads((Warehouse.at(wh).runs_dir / f"{second['run_id']}.json").read_text())
    assert run["reconciliation"]["replaced_rejects"] == 1
    assert_same_tables(wh, rebuilt_from_scratch(wh, tmp_path / "scratch-2"))

    # Now a cable page: it is a version of its cable, and no reject is left for the file.
    notes.write_bytes(next(source.rglob("09TRIPOLI65.html")).read_bytes())
    third = build(source, wh)
    assert reject_rows().is_empty() and third["rows"]["reject"] == first["rows"]["reject"] - 1
    assert third["rows"]["replaced_rejects"] == 2 and reconciles(third)
    versions = pl.read_parquet(Warehouse.at(wh).table_files("page_version"), hive_partitioning=False)
    assert versions.filter(pl.col("source_uri") == notes.as_uri())["reference_id"].to_list() == ["09TRIPOLI65"]
    assert_same_tables(wh, rebuilt_from_scratch(wh, tmp_path / "scratch-3"))

    # Back to a content it had: kept already, so not landed twice, and the build publishes. (The
    # tables keep describing its newest landing: raw_page holds a content once per file.)
    notes.write_bytes(original)
    fourth = build(source, wh)
    assert fourth["landing"]["same_content"] == 1 and fourth["landing"]["landed_changed"] == 0
    assert fourth["rows"] == third["rows"]


def test_an_incremental_build_tests_single_rows_in_the_files_it_writes(source, tmp_path, monkeypatch):
    """The error-level tests of single rows read the files the build writes (its landing file,
    the rewritten table files), not the whole warehouse; every row again once the tests change,
    even when a build with nothing new ran in between."""
    import flows.publish

    seen = []
    real = flows.publish.failed_checks

    def recording(con, checks, changed=None):
        seen.append(changed)
        return real(con, checks, changed)

    monkeypatch.setattr(flows.publish, "failed_checks", recording)
    wh = tmp_path / "wh"
    build(source, wh)
    before = parquet_state(wh)
    cables = pl.read_parquet(Warehouse.at(wh).table_files("cable"), hive_partitioning=False)
    page = Path(url2pathname(urlparse(cables.filter(pl.col("reference_id") == "10TRIPOLI95")["source_uri"][0]).path))
    change_body(page)
    build(source, wh)
    assert seen[0] is None  # a full build tests every row
    named = {table: re.findall(r"'([^']+\.parquet)'", query) for table, query in seen[1].items()}
    rewritten = {path for path, state in parquet_state(wh).items() if before.get(path) != state}
    # Exactly the files this build wrote: its landing file and the table files it rewrote.
    assert {f"raw_page/{Path(f).name}" for f in named.pop("raw_page")} == {
        p for p in rewritten if p.startswith("raw_page/")
    }
    assert {"/".join(Path(f).parts[-3:]) for files in named.values() for f in files} == {
        p for p in rewritten if not p.startswith("raw_page/")
    }
    assert named["cable"] and named["paragraph"]

    # New tests: a build with nothing new runs none and records none, so the next build that
    # writes tests every row again.
    monkeypatch.setattr(flows.publish, "checks_fingerprint", lambda sql_dir: "new tests")
    tested = Warehouse.at(wh).manifest()["checks"]
    build(source, wh)
    assert len(seen) == 2 and Warehouse.at(wh).manifest()["checks"] == tested
    change_body(page)
    build(source, wh)
    assert seen[2] is None and Warehouse.at(wh).manifest()["checks"] == "new tests"
    change_body(page)
    build(source, wh)
    assert seen[3] is not None


def test_paths_holding_glob_characters_are_read_as_named(sample_dir, tmp_path):
    """A source and a warehouse whose folders hold glob characters (``Cables [2011]``): built,
    changed and read like any other. DuckDB and Polars read such a path as a pattern, which finds
    nothing, or also the files of another folder it matches: here a copy of the warehouse."""
    from cables.sandbox import SandboxError
    from cables.search import search
    from cables.settings import SQL_DIR
    from flows.search_index import reader_index
    from flows.serve import connect_read_only

    source = tmp_path / "pages [2011] *?"
    shutil.copytree(sample_dir, source)
    wh = tmp_path / "wh*[1]"
    build(source, wh)
    # A folder the warehouse's path matches as a pattern ("*" any text, "[1]" the digit): a copy
    # of it, same landing and snapshot files, whose rows a pattern would read twice.
    decoy = tmp_path / "whX1"
    shutil.copytree(wh, decoy, symlinks=True)
    cables = pl.read_parquet(Warehouse.at(wh).table_files("cable"), hive_partitioning=False, glob=False)
    assert cables.height == 32
    page = Path(url2pathname(urlparse(cables.filter(pl.col("reference_id") == "10TRIPOLI95")["source_uri"][0]).path))
    assert source in page.parents
    change_body(page)
    result = build(source, wh)
    assert result["landing"]["landed_changed"] == 1 and result["rows"]["cable"] == 32
    assert_same_tables(wh, rebuilt_from_scratch(wh, tmp_path))

    con = connect_read_only(Warehouse.at(wh), SQL_DIR)  # sandboxed, as `cables sql` reads
    try:
        assert con.execute("select count(*), count(distinct reference_id) from cable").fetchone() == (32, 32)
        assert con.execute("select count(*) from raw_page").fetchone()[0] == result["rows"]["raw_page"]
        body = con.execute("select body from cable where reference_id = '10TRIPOLI95'").fetchone()[0]
        assert "A SENTENCE ADDED BY A LATER VERSION." in body
        assert con.execute("select sum(cables) from embassy_volume_by_month").fetchone()[0] == 32
        with pytest.raises(duckdb.PermissionException):  # the sandbox holds: nothing outside
            con.execute(f"select * from read_text('{literal_glob(wh)}/../whX1/warehouse.json')").fetchall()
        # The views name the snapshot's folder escaped; a folder literally of that name is not theirs.
        look_alike = Path(literal_glob(Warehouse.at(wh).snapshot_dir(result["snapshot"]) / "cable"))
        look_alike.mkdir(parents=True)
        (look_alike / "secret.csv").write_text("secret\nnot the warehouse's\n")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"select * from read_csv('{look_alike}/secret.csv')").fetchall()
    finally:
        con.close()
    with pytest.raises(SandboxError, match="Permission"):  # nor in the query process of `cables sql`
        sql(wh, f"select * from read_csv('{look_alike}/secret.csv')")
    assert sql(wh, "select count(*) as n from cable") == [{"n": 32}]
    hits = search(reader_index(Warehouse.at(wh)), '"later version"')
    assert [hit.reference_id for hit in hits] == ["10TRIPOLI95"]
    # DuckDB cannot keep a database under a "?" (it reads what follows as options): refused first.
    # nor under a backslash, which it reads as a separator in a pattern.
    for name in ("wh?", "wh\\1"):
        with pytest.raises(BuildError, match="cannot hold"):
            build(source, tmp_path / name)
        assert not (tmp_path / name).exists()


def sql(warehouse: Path, query: str) -> list[dict]:
    """The rows of ``query`` from the sandboxed query process, as `cables sql` runs it."""
    from cables.sandbox import run_query
    from cables.settings import SQL_DIR
    from flows.serve import readable_locations, readable_paths, reader_database, snapshot_of

    wh = Warehouse.at(warehouse)
    database = reader_database(wh, SQL_DIR)
    snapshot = snapshot_of(database)
    with run_query(database, readable_locations(wh, snapshot), query, paths=readable_paths(wh, snapshot)) as result:
        return [row for batch in result.batches() for row in batch.to_pylist()]
