"""A warehouse on object storage: a real S3-compatible server (moto, in server mode) on 127.0.0.1.

Builds publish to ``s3://`` through s3fs; readers in other work folders (another machine, as far
as the warehouse can tell) query and export through DuckDB's httpfs, following the store's
manifest. A build killed between sending its files and its manifest leaves the store's
warehouse as it was.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from flows.build import build_warehouse
from flows.layout import CRASH_ENV, TABLES, Warehouse
from tests.flows.test_build import table

pytestmark = pytest.mark.usefixtures("prefect_harness")
BUCKET = "newsroom"


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on 127.0.0.1 and the environment that points s3fs and DuckDB at it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        from flows.object_store import filesystem

        filesystem().mkdir(BUCKET)
        yield filesystem
    server.stop()


def keys(fs, prefix: str) -> list[str]:
    return sorted(k[len(prefix) + 1 :] for k in fs.find(prefix))


def store_table(fs, prefix: str, manifest: dict, name: str) -> pl.DataFrame:
    """A table as the store publishes it: the current snapshot's files, read through s3fs."""
    files = sorted(fs.find(f"{prefix}/tables/{manifest['snapshot']}/{name}"))
    return pl.concat([pl.from_arrow(pq.read_table(fs.open(f))) for f in files], how="vertical")


def cli(*args: str, work: Path, **extra: str) -> subprocess.CompletedProcess:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "CABLES_WORK_DIR": str(work), "PREFECT_API_URL": PREFECT_API_URL.value(), **extra}
    return subprocess.run(
        [sys.executable, "-m", "cables.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_build_query_and_export_on_object_storage(s3, sample_warehouse, sample_dir, tmp_path, monkeypatch):
    fs = s3()
    monkeypatch.setenv("CABLES_WORK_DIR", str(tmp_path / "builder"))
    result = build_warehouse(
        source=str(sample_dir),
        warehouse=f"s3://{BUCKET}/cables",
        exports=["cable"],
        export_dir=f"s3://{BUCKET}/morning",
        export_format="csv",
    )
    assert result["warehouse"] == f"s3://{BUCKET}/cables"
    assert Path(result["database"]) == tmp_path / "builder" / "s3" / BUCKET / "cables" / "cables.duckdb"

    # The store holds the landing, one snapshot, the manifest and the run record; nothing staged.
    stored = keys(fs, f"{BUCKET}/cables")
    manifest = json.loads(fs.cat(f"{BUCKET}/cables/warehouse.json"))
    assert manifest["snapshot"] == result["snapshot"]
    assert {k.split("/")[0] for k in stored} == {"raw_page", "tables", "runs", "warehouse.json"}
    assert {k.split("/")[1] for k in stored if k.startswith("tables/")} == {manifest["snapshot"]}
    assert [f"raw_page/{n}" for n in manifest["files"]["raw_page"]] == [k for k in stored if k.startswith("raw_page")]
    # Its tables are the local build's, row for row.
    for name in TABLES:
        got = store_table(fs, f"{BUCKET}/cables", manifest, name).drop("fetched_at", strict=False)
        assert got.equals(table(sample_warehouse, name).drop("fetched_at", strict=False)), name
    run = json.loads(fs.cat(f"{BUCKET}/cables/runs/{result['run_id']}.json"))
    assert list(run["seconds"]) == ["runner", "pull", "land", "parse", "publish", "search", "commit", "push", "views"]
    exported = pl.read_csv(io.BytesIO(fs.cat(f"{BUCKET}/morning/cable.csv")))
    assert exported.height == result["rows"]["cable"] == 32

    # A reader elsewhere (a fresh work folder) follows the store's manifest and builds its views.
    reader = tmp_path / "reader"
    out = cli("sql", "-w", f"s3://{BUCKET}/cables", "--format", "csv", "select count(*) as n from cable", work=reader)
    assert out.returncode == 0 and out.stdout.split() == ["n", "32"], out.stderr
    assert (reader / "s3" / BUCKET / "cables" / "cables.duckdb").exists()
    assert not (reader / "s3" / BUCKET / "cables" / "raw_page").exists()  # a reader copies no data
    # The search index travels with the snapshot: a reader searches it, copying the index alone.
    assert any(k.startswith(f"tables/{manifest['snapshot']}/search/") for k in stored)
    out = cli("search", "-w", f"s3://{BUCKET}/cables", "Trident nuclear deterrent", "--format", "csv", work=reader)
    assert out.returncode == 0 and out.stdout.splitlines()[1].split(",")[1] == "09LONDON1707", out.stderr
    local = reader / "s3" / BUCKET / "cables" / "tables" / manifest["snapshot"]
    assert {p.name for p in local.iterdir()} == {"search"}
    # A cable and its page as landed, read through the store.
    out = cli("show", "-w", f"s3://{BUCKET}/cables", "09 panama 539", "--format", "json", work=reader)
    assert out.returncode == 0 and json.loads(out.stdout)["references"][1]["referenced_id"] == "09PANAMA519", out.stderr
    page = sample_dir / "avilaroman__Wikileaks-Mirror" / "cable" / "2009" / "07" / "09PANAMA539.html"
    copy = tmp_path / "p.html"
    out = cli("show", "-w", f"s3://{BUCKET}/cables", "09PANAMA539", "--page", "-o", str(copy), work=reader)
    assert out.returncode == 0 and copy.read_bytes() == page.read_bytes(), out.stderr
    out = cli(
        "export", "tag_cooccurrence", "--format", "parquet", "-o", f"s3://{BUCKET}/morning/tags.parquet",
        "-w", f"s3://{BUCKET}/cables", work=reader,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    count = cli("sql", "-w", f"s3://{BUCKET}/cables", "--format", "csv", "select count(*) from tag_cooccurrence",
                work=reader)  # fmt: skip
    assert pq.read_table(fs.open(f"{BUCKET}/morning/tags.parquet")).num_rows == int(count.stdout.split()[-1])

    # One DuckDB file of the whole warehouse, uploaded beside the morning's exports: it holds the
    # rows themselves, so a copy opens anywhere, with no URL of the store in its catalog.
    out = cli("export", "--database", f"s3://{BUCKET}/morning/cables.duckdb", "-w", f"s3://{BUCKET}/cables",
              work=reader)  # fmt: skip
    assert out.returncode == 0, out.stderr
    fs.get_file(f"{BUCKET}/morning/cables.duckdb", str(tmp_path / "copy.duckdb"))
    with duckdb.connect(str(tmp_path / "copy.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from tag_cooccurrence").fetchone()[0] == int(count.stdout.split()[-1])
        assert con.execute("select row_counts['cable'], snapshot from about").fetchone() == (32, manifest["snapshot"])
        views = " ".join(sql for (sql,) in con.execute("select sql from duckdb_views() where not internal").fetchall())
        assert "s3://" not in views and "FROM mart_rows.tag_cooccurrence" in views

    # The sandbox holds: nothing outside the warehouse's URL is read, nothing is written into it.
    out = cli("sql", "-w", f"s3://{BUCKET}/cables", f"select * from 's3://{BUCKET}/morning/tags.parquet'", work=reader)
    assert out.returncode == 1 and "Permission Error" in out.stderr
    out = cli("export", "cable", "--format", "csv", "-o", f"s3://{BUCKET}/cables/x.csv", "-w", f"s3://{BUCKET}/cables",
              work=reader)  # fmt: skip
    assert out.returncode == 1 and "inside the warehouse" in out.stderr
    assert not fs.exists(f"{BUCKET}/cables/x.csv")


@pytest.fixture
def two_sources(sample_dir) -> tuple[Path, Path]:
    """One mirror of the sample, then the whole sample (the mirror's pages are the same files)."""
    return sample_dir / "chillicoder__cablegate", sample_dir


def test_a_build_killed_before_its_manifest_leaves_the_store_as_it_was(
    s3, two_sources, sample_warehouse, tmp_path, monkeypatch
):
    fs = s3()
    first, second = two_sources
    uri, prefix = f"s3://{BUCKET}/killed", f"{BUCKET}/killed"
    builder = tmp_path / "builder"
    monkeypatch.setenv("CABLES_WORK_DIR", str(builder))
    before = build_warehouse(source=str(first), warehouse=uri)
    manifest_before = fs.cat(f"{prefix}/warehouse.json")

    # Killed after sending every new file, before the manifest: readers still see the first build.
    out = cli("build", "--source", str(second), "-w", uri, work=builder, **{CRASH_ENV: "push"})
    assert out.returncode == -9, out.stderr
    assert fs.cat(f"{prefix}/warehouse.json") == manifest_before
    assert len({k.split("/")[3] for k in fs.find(f"{prefix}/tables")}) == 2  # the unpublished snapshot
    reader = tmp_path / "reader"
    out = cli("sql", "-w", uri, "--format", "csv", "select count(*) from raw_page", work=reader)
    assert out.returncode == 0 and int(out.stdout.split()[-1]) == before["rows"]["raw_page"], out.stderr

    # The next build (same work folder: its local manifest was ahead of the store's) completes.
    after = build_warehouse(source=str(second), warehouse=uri)
    manifest = json.loads(fs.cat(f"{prefix}/warehouse.json"))
    assert manifest["snapshot"] == after["snapshot"] != before["snapshot"]
    assert after["rows"] == Warehouse.at(sample_warehouse).manifest()["rows"]
    for name in TABLES:
        got = store_table(fs, prefix, manifest, name).drop("fetched_at", strict=False)
        assert got.equals(table(sample_warehouse, name).drop("fetched_at", strict=False)), name
    # What the killed build sent and nobody can reach is gone; the previous snapshot stays for readers.
    assert {k.split("/")[3] for k in fs.find(f"{prefix}/tables")} == {before["snapshot"], after["snapshot"]}
    live = {*manifest["files"]["raw_page"], *manifest["retired"]["raw_page"]}
    assert {k.rsplit("/", 1)[-1] for k in fs.find(f"{prefix}/raw_page")} == live
    # The reader follows the new manifest.
    out = cli("sql", "-w", uri, "--format", "csv", "select count(*) from raw_page", work=reader)
    assert int(out.stdout.split()[-1]) == after["rows"]["raw_page"] == 57


def test_object_store_urls_are_checked(tmp_path, monkeypatch):
    from flows.layout import BuildError

    monkeypatch.setenv("CABLES_WORK_DIR", str(tmp_path))
    with pytest.raises(BuildError, match="must be an s3://bucket/prefix URL"):
        Warehouse.at("gs://bucket/cables")
    wh = Warehouse.at("s3://bucket/some/prefix/")
    assert wh.remote == "s3://bucket/some/prefix" and wh.root == tmp_path / "s3" / "bucket" / "some" / "prefix"
    assert (
        wh.url(wh.root / "tables" / "x" / "cable" / "*" / "*.parquet")
        == "s3://bucket/some/prefix/tables/x/cable/*/*.parquet"
    )
    # DuckDB and s3fs read these as a pattern: another prefix's tables read, its files removed.
    for url in ("s3://bucket/wh[1]", "s3://bucket/w*", "s3://bucket/a?b", "s3://bucket/a\\b"):
        with pytest.raises(BuildError, match="cannot hold"):
            Warehouse.at(url)
    # The work folder holds the reader's database: DuckDB cannot keep one under a "?".
    monkeypatch.setenv("CABLES_WORK_DIR", str(tmp_path / "work?"))
    with pytest.raises(BuildError, match="work folder cannot hold"):
        Warehouse.at("s3://bucket/cables")


def test_an_export_url_holding_glob_characters_is_refused_before_the_store_is_read():
    """s3fs reads it as a pattern: ``--overwrite`` would remove every object it matches."""
    from cables.exporting import ExportError, check_target

    for url in ("s3://bucket/exports/cable*", "s3://bucket/exports/[ab].csv", "s3://bucket/e?.csv"):
        with pytest.raises(ExportError, match="cannot hold"):
            check_target(url, protected="s3://bucket/wh", overwrite=True)


def test_bad_and_unreachable_stores_are_one_line_errors(s3, tmp_path):
    import socket

    out = cli("sql", "-w", f"s3://{BUCKET}/nothing-here", "select 1", work=tmp_path)
    assert out.returncode == 1
    url = f"s3://{BUCKET}/nothing-here"
    assert out.stderr == f"cables: no warehouse at {url} (run `cables build --warehouse {url}` first)\n"
    out = cli("sql", "-w", "gs://bucket/cables", "select 1", work=tmp_path)
    assert out.returncode == 2 and "must be an s3://bucket/prefix URL" in out.stderr
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    unreachable = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_MAX_ATTEMPTS": "1"}
    out = cli("sql", "-w", f"s3://{BUCKET}/cables", "select 1", work=tmp_path, **unreachable)
    assert out.returncode == 1 and out.stderr.startswith(f"cables: cannot read the warehouse at s3://{BUCKET}/cables")
    assert "Traceback" not in out.stderr
