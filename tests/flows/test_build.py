"""The build flow, run for real under a temporary Prefect server, on the bundled sample."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows.build import build_warehouse
from flows.layout import PARTITIONED, TABLES, BuildError, Warehouse

KEYS = {
    "cable": ["reference_id"],
    "recipient": ["reference_id", "position"],
    "tag": ["reference_id", "position", "part"],
    "reference": ["reference_id", "position", "part"],
    "paragraph": ["reference_id", "position"],
    "page_version": ["source_uri", "sha256"],
    "cable_version": ["reference_id", "content_sha256"],
    "media_link": ["reference_id", "url"],
    "reject": ["source_uri"],
}


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def table(warehouse: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(Warehouse.at(warehouse).table_files(name), hive_partitioning=False)


def build(source: Path, warehouse: Path, **kw) -> dict:
    return build_warehouse(source=str(source), warehouse=str(warehouse), **kw)


def test_every_sample_file_is_accounted_for(sample_build, sample_dir):
    rows = sample_build["rows"]
    files = files_under(sample_dir)
    assert rows["raw_page"] == len(files) == 57
    assert rows["cable"] + (rows["page_version"] - rows["cable"]) + rows["reject"] == len(files)
    assert rows["cable"] == 32 and rows["reject"] == 2
    wh = Path(sample_build["warehouse"])
    statuses = table(wh, "page_version").group_by("status").len().sort("status")
    assert dict(statuses.iter_rows())["current"] == 32
    assert table(wh, "reject")["reason"].to_list() == ["not a cable page", "not a cable page"]


def test_layout_holds_only_current_parquet_files(sample_warehouse):
    manifest = json.loads((sample_warehouse / "warehouse.json").read_text())
    snapshot = sample_warehouse / "tables" / manifest["snapshot"]
    # The tables of the one published snapshot; `current` points at it.
    assert [p.name for p in (sample_warehouse / "tables").iterdir()] == [manifest["snapshot"]]
    assert (sample_warehouse / "current").resolve() == snapshot
    for name in (*TABLES, "raw_page"):
        folder = sample_warehouse / name if name == "raw_page" else snapshot / name
        entries = [p for p in folder.rglob("*") if p.is_file()]
        assert entries and all(p.suffix == ".parquet" for p in entries), name
        if name in PARTITIONED:
            # One folder per year of the reference id, the year's cables in a few files.
            assert all(re.fullmatch(r"year=(19[6-9]\d|20[01]\d)", p.parent.name) for p in entries), name
            assert all(re.fullmatch(r"part-\d{5}\.parquet", p.name) for p in entries), name
    assert not (sample_warehouse / ".staging").exists() or not any((sample_warehouse / ".staging").iterdir())
    assert manifest["schema_version"] >= 1 and manifest["rows"]["cable"] == 32
    assert manifest["files"]["raw_page"] == sorted(p.name for p in (sample_warehouse / "raw_page").iterdir())


def test_keys_are_unique_and_children_belong_to_cables(sample_warehouse):
    cables = set(table(sample_warehouse, "cable")["reference_id"])
    for name, key in KEYS.items():
        frame = table(sample_warehouse, name)
        assert frame.select(key).is_duplicated().sum() == 0, name
        if "reference_id" in frame.columns and name != "reject":
            assert set(frame["reference_id"]) <= cables, name


def test_rebuild_on_the_same_input_changes_nothing(prefect_harness, sample_dir, tmp_path):
    wh = tmp_path / "wh"
    first = build(sample_dir, wh)
    before = {name: table(wh, name).drop("fetched_at", strict=False) for name in TABLES}
    second = build(sample_dir, wh)
    assert second["landing"]["landed_new"] == 0 and second["landing"]["unchanged"] == 57
    assert second["rows"] == first["rows"]
    for name in TABLES:
        assert table(wh, name).drop("fetched_at", strict=False).equals(before[name]), name


def test_sources_add_up_and_full_rebuild_starts_over(prefect_harness, sample_dir, tmp_path):
    part_a, part_b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(sample_dir / "chillicoder__cablegate", part_a / "chillicoder__cablegate")
    shutil.copytree(sample_dir / "gabrielduque__wikileaks-mirror-jp.github.com", part_b / "gabrielduque")
    wh = tmp_path / "wh"
    only_a = build(part_a, wh)["rows"]
    union = build(part_b, wh)["rows"]
    assert union["raw_page"] == len(files_under(part_a)) + len(files_under(part_b))
    ids_a = set(table(wh, "page_version").filter(pl.col("source_uri").str.contains("/a/"))["reference_id"])
    ids_b = set(table(wh, "page_version").filter(pl.col("source_uri").str.contains("/b/"))["reference_id"])
    assert set(table(wh, "cable")["reference_id"]) == ids_a | ids_b
    assert union["cable"] == len(ids_a | ids_b) > only_a["cable"]
    rebuilt = build(part_b, wh, full_rebuild=True)["rows"]
    assert rebuilt["raw_page"] == len(files_under(part_b))
    assert set(table(wh, "cable")["reference_id"]) == ids_b


def test_a_changed_page_is_landed_again_and_wins(prefect_harness, sample_dir, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(sample_dir / "chillicoder__cablegate", src)
    wh = tmp_path / "wh"
    build(src, wh)
    page = next(p for p in files_under(src) if "_history" not in str(p) and p.name == "09TRIPOLI65.html")
    text = page.read_text()
    head, meta = text.split("<table class='cable'>", 1)
    released = re.search(r"reldate/[^>]*>([^<]*)<", meta).group(1)
    page.write_text(head + "<table class='cable'>" + meta.replace(released, "2011-12-31 23:59", 1))
    result = build(src, wh)
    assert result["landing"]["landed_changed"] == 1
    versions = table(wh, "page_version").filter(pl.col("reference_id") == "09TRIPOLI65")
    assert sorted(versions["status"]) == ["current", "older_version"]
    cable = table(wh, "cable").filter(pl.col("reference_id") == "09TRIPOLI65").row(0, named=True)
    assert str(cable["released_at"]) == "2011-12-31 23:59:00"
    assert result["rows"]["raw_page"] == result["rows"]["page_version"] + result["rows"]["reject"]


def test_nothing_to_publish_is_an_error_and_keeps_the_warehouse(prefect_harness, sample_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BuildError, match="no pages found"):
        build(empty, tmp_path / "new")
    assert not (tmp_path / "new" / "cables.duckdb").exists()


def test_a_second_build_on_a_locked_warehouse_fails_clearly(prefect_harness, sample_dir, tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    with wh.lock(), pytest.raises(BuildError, match="another build is running"):
        build(sample_dir, wh.root)


def test_views_work_from_any_directory(sample_warehouse, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from cable").fetchone()[0] == 32
        top = con.execute("select tag_a, tag_b, cables from tag_cooccurrence limit 1").fetchone()
        assert top[2] >= 2
        volume = con.execute("select sum(cables) from embassy_volume_by_month").fetchone()[0]
        assert volume == 32
        tripoli = con.execute(
            "select count(*) from embassy_volume_by_month where origin = 'Embassy Tripoli'"
        ).fetchone()[0]
        assert tripoli > 0
    finally:
        con.close()


def test_moved_warehouse_is_repointed(sample_warehouse, tmp_path):
    from cables.settings import SQL_DIR
    from flows.serve import connect_read_only

    moved = tmp_path / "moved"
    shutil.copytree(sample_warehouse, moved)
    os.utime(moved)
    con = connect_read_only(Warehouse.at(moved), SQL_DIR)
    try:
        root, paths = con.execute(
            "select (select root from _warehouse), (select sql from duckdb_views() where view_name = 'cable')"
        ).fetchone()
    finally:
        con.close()
    assert root == str(moved) and str(moved) in paths


def test_a_reader_rebuilds_the_database_when_the_views_changed(sample_warehouse, tmp_path):
    """A newer version of cables (other views in sql/) reading a warehouse built by an older one
    gets its views, not a binder error; with the same views the file is left as it is."""
    from cables.settings import SQL_DIR
    from flows.serve import reader_database

    copy, sql = tmp_path / "copy", tmp_path / "sql"
    shutil.copytree(sample_warehouse, copy)
    shutil.copytree(SQL_DIR, sql)
    wh = Warehouse.at(copy)
    reader_database(wh, SQL_DIR)  # re-pointed: the folder moved
    before = wh.database.stat()
    assert reader_database(wh, SQL_DIR) == wh.database and wh.database.stat().st_mtime_ns == before.st_mtime_ns
    (sql / "marts" / "cables_per_origin.sql").write_text(
        "-- one row per origin\nselect origin, count(*) as cables from cable group by origin\n"
    )
    with duckdb.connect(str(reader_database(wh, sql)), read_only=True) as con:
        rows = con.execute("select sum(cables) from cables_per_origin").fetchone()[0]
    assert rows == 32 and wh.database.stat().st_ino != before.st_ino


def test_older_landing_format_asks_for_a_full_rebuild(prefect_harness, sample_dir, tmp_path):
    wh = tmp_path / "wh"
    build(sample_dir / "heuer__cablemap", wh)
    manifest = json.loads((wh / "warehouse.json").read_text())
    manifest["landing_version"] = 0
    (wh / "warehouse.json").write_text(json.dumps(manifest))
    with pytest.raises(BuildError, match="--full-rebuild"):
        build(sample_dir / "heuer__cablemap", wh)
    assert build(sample_dir / "heuer__cablemap", wh, full_rebuild=True)["rows"]["cable"] >= 1


def test_a_failed_full_rebuild_keeps_the_previous_warehouse(prefect_harness, sample_dir, tmp_path):
    wh = tmp_path / "wh"
    first = build(sample_dir / "heuer__cablemap", wh)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BuildError, match="no pages found"):
        build(empty, wh, full_rebuild=True)
    assert table(wh, "cable").height == first["rows"]["cable"]
    assert len(list((wh / "raw_page").glob("*.parquet"))) >= 1
    assert json.loads((wh / "warehouse.json").read_text())["run_id"] == first["run_id"]
    con = duckdb.connect(str(wh / "cables.duckdb"), read_only=True)
    assert con.execute("select count(*) from cable").fetchone()[0] == first["rows"]["cable"]
    con.close()


def test_many_small_batches_give_the_same_tables(prefect_harness, sample_warehouse, sample_dir, tmp_path, monkeypatch):
    # 57 pages in batches of at most 5, three at a time: copies of a cable land in different
    # batches, and the published tables must not change. Nor when the table files are written by
    # many write-partitions tasks at once (passes of about 2 cables: one file each).
    import flows.publish

    monkeypatch.setenv("CABLES_BATCH_PAGES", "5")
    monkeypatch.setenv("CABLES_PARSE_WORKERS", "3")
    monkeypatch.setattr(flows.publish, "PASS_CABLES", 2)
    wh = tmp_path / "wh"
    result = build(sample_dir, wh)
    run = json.loads((wh / "runs" / f"{result['run_id']}.json").read_text())
    assert run["parse"]["write_tasks"] > 3
    for name in TABLES:
        got = table(wh, name).drop("fetched_at", strict=False)
        want = table(sample_warehouse, name).drop("fetched_at", strict=False)
        assert got.equals(want), name


def test_a_build_from_an_archive_gives_the_tables_of_its_folder(
    prefect_harness, sample_warehouse, sample_dir, tmp_path
):
    import tarfile

    archive = tmp_path / "sample.tar.xz"
    with tarfile.open(archive, "w:xz") as t:
        for f in files_under(sample_dir):
            t.add(f, f.relative_to(sample_dir).as_posix())
    wh = tmp_path / "wh"
    result = build(archive, wh)
    assert result["landing"]["landed_new"] == 57 and result["sources"] == [archive.resolve().as_uri()]
    uri_columns = ["source_uri", "fetched_at"]
    for name in TABLES:
        got = table(wh, name).drop(uri_columns, strict=False)
        want = table(sample_warehouse, name).drop(uri_columns, strict=False)
        if name in ("page_version", "reject"):  # ordered by source_uri
            got, want = got.sort(got.columns), want.sort(want.columns)
        assert got.equals(want), name


def test_each_run_leaves_a_manifest_and_a_prefect_artifact(prefect_harness, sample_build, sample_warehouse):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    run = json.loads((sample_warehouse / "runs" / f"{sample_build['run_id']}.json").read_text())
    assert run["rows"] == sample_build["rows"] and run["landing"]["files_seen"] == 57
    assert run["reconciliation"] == {
        "pages": 57,
        "never_fetched": 0,
        "cables": 32,
        "other_versions": 23,
        "rejects": 2,
        "replaced_rejects": 0,
    }
    search = run["parse"].pop("search_index")
    assert run["parse"] == {"mode": "full", "pages": 57, "write_tasks": 1, "cables_touched": None}
    assert search["mode"] == "full" and search["documents_added"] > 32
    assert (
        set(run["seconds"]) == {"runner", "land", "parse", "publish", "search", "commit", "views"}
        and run["code"]["cables_warehouse"]
    )
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["warehouse-build"]))
        )
    (ours,) = [a for a in artifacts if f"# Warehouse build {sample_build['run_id']}" in a.data]
    assert "Pages 57 landed + 0 never fetched = 32 cables + 23 other versions + 2 rejects." in ours.data


def test_a_failed_data_check_keeps_the_previous_warehouse(prefect_harness, sample_dir, tmp_path, monkeypatch):
    from cables.settings import SQL_DIR

    wh = tmp_path / "wh"
    build(sample_dir, wh)
    before = {name: table(wh, name) for name in TABLES}
    # The same views with one invariant no real warehouse meets.
    strict = tmp_path / "sql"
    shutil.copytree(SQL_DIR, strict)
    with open(strict / "schema.yml", "a") as f:
        f.write("release_cable:\n  expression_is_true:\n    - month > 12\n")
    monkeypatch.setenv("CABLES_SQL_DIR", str(strict))
    with pytest.raises(BuildError, match=r"data checks failed, previous warehouse kept: .*month > 12"):
        build(sample_dir, wh, full_rebuild=True)
    for name in TABLES:
        assert table(wh, name).equals(before[name]), name


def test_a_build_exports_the_views_it_is_asked_for(prefect_harness, sample_dir, tmp_path):
    wh, out = tmp_path / "wh", tmp_path / "exports"
    result = build(
        sample_dir, wh, exports=["embassy_volume_by_year", "cable"], export_format="csv", export_dir=str(out)
    )
    assert sorted(p.name for p in out.iterdir()) == ["cable.csv", "embassy_volume_by_year.csv"]
    assert result["exports"]["cable"]["rows"] == 32 == pl.read_csv(out / "cable.csv").height
    with pytest.raises(BuildError, match="cannot export no_such_view"):
        build(sample_dir, wh, exports=["no_such_view"])


def cli_build(source: Path, warehouse: Path) -> subprocess.CompletedProcess:
    """``cables build`` in a child process, as a user runs it (on the session's Prefect server)."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "CABLES_SEARCH_INDEX": "false"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    command = [sys.executable, "-m", "cables.cli", "build", "--source", str(source), "--warehouse", str(warehouse)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def last_run(warehouse: Path) -> dict:
    manifest = json.loads((warehouse / "warehouse.json").read_text())
    return json.loads((warehouse / "runs" / f"{manifest['run_id']}.json").read_text())


def entries_under(root: Path, skip: Path) -> dict[str, str]:
    """Every entry of a folder but its folders (and ``skip``), any depth, links not followed: URI -> kind."""
    import stat

    found, stack = {}, [root]
    while stack:
        with os.scandir(stack.pop()) as listing:
            for child in listing:
                mode = child.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    if Path(child.path) != skip:
                        stack.append(Path(child.path))
                    continue
                kind = "file" if stat.S_ISREG(mode) else "symlink" if stat.S_ISLNK(mode) else "fifo"
                found[Path(child.path).as_uri()] = "device" if stat.S_ISCHR(mode) else kind
    return found


def assert_every_file_accounted_for(warehouse: Path, source: Path) -> None:
    """Each regular file of ``source`` is landed; each other entry is a reject naming its kind; the
    counts of the last run reconcile, and the reject table holds one row per file."""
    run, rec = last_run(warehouse), last_run(warehouse)["reconciliation"]
    assert rec["pages"] + rec["never_fetched"] == (
        rec["cables"] + rec["other_versions"] + rec["rejects"] + rec["replaced_rejects"]
    ), rec
    landed_uris = set(pl.read_parquet(warehouse / "raw_page" / "*.parquet")["source_uri"])
    rejects = table(warehouse, "reject")
    assert rejects["source_uri"].is_duplicated().sum() == 0
    reasons = dict(rejects.select("source_uri", "reason").iter_rows())
    for uri, kind in entries_under(source, warehouse).items():
        if kind == "file":
            assert uri in landed_uris, uri
        else:
            assert reasons.get(uri) == f"fetch failed: not a regular file: {kind}", uri
    assert not any(uri.startswith(warehouse.as_uri() + "/") for uri in landed_uris | set(reasons))
    assert run["rows"]["reject"] == rejects.height


def test_a_collection_with_hostile_files_publishes_and_accounts_for_every_file(prefect_harness, sample_dir, tmp_path):
    import stat
    import tarfile

    from tests.flows.test_landing import deep_folder, real_pages, remove_deep

    src = tmp_path / "collection"
    shutil.copytree(sample_dir / "chillicoder__cablegate", src / "chillicoder")
    notes, index = src / "notes.txt", src / "index.html"
    notes.write_text("Saved from the mirror on 2010-12-05.\n")
    index.write_text("<html><body><a href='cable/'>cables</a></body></html>\n")
    page = next(src.rglob("09TRIPOLI65.html"))
    (src / "inside.html").symlink_to(page)
    (src / "passwd.html").symlink_to("/etc/passwd")
    (src / "elsewhere").symlink_to(sample_dir)
    os.mkfifo(src / "pipe.html")
    with contextlib.suppress(PermissionError):  # not root: no device node, the other cases still run
        os.mknod(src / "null.html", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    deep = deep_folder(src / "deep", 1000)
    (deep[-1] / "10TRIPOLI95.html").write_bytes(next(sample_dir.rglob("10TRIPOLI95.html")).read_bytes())
    warehouse = src / "warehouse"  # built inside its own source
    try:
        first = cli_build(src, warehouse)
        assert first.returncode == 0, first.stderr[-3000:]
        assert_every_file_accounted_for(warehouse, src)
        rows = last_run(warehouse)["rows"]

        # The rejected files change: landed again, one reject row each still.
        notes.write_text("Saved from the mirror on 2010-12-06.\n")
        index.write_text("<html><body><a href='cable/'>all cables</a></body></html>\n")
        second = cli_build(src, warehouse)
        assert second.returncode == 0, second.stderr[-3000:]
        assert_every_file_accounted_for(warehouse, src)
        again = last_run(warehouse)
        assert again["landing"]["landed_changed"] == 2 and again["rows"]["reject"] == rows["reject"]

        # Nothing changed: nothing landed (the warehouse's own files are not in the source).
        landing_files = sorted((warehouse / "raw_page").iterdir())
        third = cli_build(src, warehouse)
        assert third.returncode == 0, third.stderr[-3000:]
        assert last_run(warehouse)["parse"]["mode"] == "none"
        assert sorted((warehouse / "raw_page").iterdir()) == landing_files

        # A truncated archive: its whole members land, the rest is a reject, the build publishes.
        archive = tmp_path / "pages.tar.xz"
        with tarfile.open(archive, "w:xz") as t:
            for member in real_pages(sample_dir, 8):
                t.add(member, member.name)
        archive.write_bytes(archive.read_bytes()[: archive.stat().st_size * 7 // 10])
        fourth = cli_build(archive, warehouse)
        assert fourth.returncode == 0, fourth.stderr[-3000:]
        assert_every_file_accounted_for(warehouse, src)
        reasons = dict(table(warehouse, "reject").select("source_uri", "reason").iter_rows())
        assert reasons[archive.as_uri()].startswith("fetch failed: archive truncated or damaged after member ")
        assert last_run(warehouse)["landing"]["landed_new"] >= 1
    finally:
        remove_deep(src / "deep")


def test_a_file_deleted_during_a_build_is_a_reject_and_the_build_publishes(
    prefect_harness, sample_dir, tmp_path, monkeypatch
):
    from flows import landing

    src = tmp_path / "src"
    shutil.copytree(sample_dir / "chillicoder__cablegate", src)
    doomed = next(src.rglob("09TRIPOLI65.html"))
    listed = landing.folder_entries

    def deleting(root, *args, **kw):
        """The folder's entries, one file deleted after the listing saw it (as a sync job would)."""
        for entry in listed(root, *args, **kw):
            if entry.uri == doomed.as_uri():
                doomed.unlink()
            yield entry

    monkeypatch.setattr(landing, "folder_entries", deleting)
    wh = tmp_path / "wh"
    result = build(src, wh)  # FileNotFoundError, nothing published, before
    assert result["landing"]["unreadable"] == 1
    reject = table(wh, "reject").filter(pl.col("source_uri") == doomed.as_uri())
    assert reject["reason"].to_list() == ["fetch failed: could not read: No such file or directory"]
    rows = result["rows"]
    assert rows["raw_page"] + rows["never_fetched"] == rows["page_version"] + rows["reject"] + rows["replaced_rejects"]
    assert rows["raw_page"] == len(files_under(src))
