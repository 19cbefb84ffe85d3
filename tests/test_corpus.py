"""Acceptance test on the shared corpus: one real flow run over all 9,518 files, checked page by page.

Every cable and every page version is compared with an independent reading of its page's meta table
(``tests/oracle.py``, ``html.parser``), every file is accounted for, the views answer over the whole
corpus from another working directory, and a second build of the same source changes nothing.
Skipped when ``../shared/corpus`` is absent (see ``corpus_dir`` in ``conftest.py``).
"""

from __future__ import annotations

import html
import os
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import duckdb
import polars as pl
import pytest

from flows.layout import Warehouse
from tests.oracle import meta_table

pytestmark = pytest.mark.corpus

CORPUS_FILES = 9_518
CORPUS_CABLES = 1_897
CORPUS_REJECTS = 28
# The reason transforms/page.py gives a page without ``<h3>Viewing cable``.
NOT_A_CABLE_PAGE = "not a cable page"
VIEWER_TIME = "%Y-%m-%d %H:%M"
CHILD_TABLES = ("recipient", "tag", "reference", "paragraph")
SHOW = 20


def _uri_path(uri: str) -> Path:
    parsed = urlparse(uri)
    assert parsed.scheme == "file", f"source_uri is not a file:// URI: {uri}"
    return Path(url2pathname(parsed.path))


def _table(warehouse: Path, name: str, columns: list[str] | None = None) -> pl.DataFrame:
    return pl.read_parquet(Warehouse.at(warehouse).table_files(name), columns=columns, hive_partitioning=False)


def _viewer_time(text: str) -> datetime | str:
    try:
        return datetime.strptime(text, VIEWER_TIME)
    except ValueError:
        return f"unparseable {text!r}"


def _report(mismatches: list, what: str) -> str:
    head = "\n  ".join(str(m) for m in mismatches[:SHOW])
    return f"{len(mismatches)} {what} (first {min(SHOW, len(mismatches))}):\n  {head}"


@pytest.fixture(scope="module")
def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every file under the unpacked corpus (os.walk, all files)."""
    found = []
    for folder, _dirs, files in os.walk(corpus_dir):
        found.extend(Path(folder) / name for name in files)
    return found


@pytest.fixture(scope="module")
def corpus_build(corpus_dir: Path, prefect_harness, tmp_path_factory) -> dict:
    """One real flow run building a warehouse from the whole unpacked corpus.

    ``corpus_dir`` comes first so a missing corpus skips before the Prefect server starts.
    """
    from flows.build import build_warehouse

    warehouse = tmp_path_factory.mktemp("corpus-wh") / "warehouse"
    return build_warehouse(source=str(corpus_dir), warehouse=str(warehouse))


@pytest.fixture(scope="module")
def corpus_warehouse(corpus_build: dict) -> Path:
    return Path(corpus_build["warehouse"])


@pytest.fixture(scope="module")
def oracle_by_uri(corpus_warehouse: Path) -> dict[str, dict[str, str] | None]:
    """The oracle's reading of every page that became a page version, by ``source_uri``."""
    uris = _table(corpus_warehouse, "page_version", ["source_uri"])["source_uri"].unique().to_list()
    return {uri: meta_table(_uri_path(uri).read_bytes()) for uri in uris}


def test_every_corpus_file_is_accounted_for(corpus_build, corpus_warehouse, corpus_files):
    files = len(corpus_files)
    raw_page = _table(corpus_warehouse, "raw_page", ["source_uri"])
    cable = _table(corpus_warehouse, "cable", ["reference_id"])
    page_version = _table(corpus_warehouse, "page_version", ["reference_id", "source_uri", "status"])
    reject = _table(corpus_warehouse, "reject", ["source_uri", "reason"])

    assert (files, cable.height, reject.height) == (CORPUS_FILES, CORPUS_CABLES, CORPUS_REJECTS)
    assert raw_page.height == files
    assert corpus_build["landing"]["files_seen"] == files
    assert cable.height + (page_version.height - cable.height) + reject.height == files
    assert corpus_build["rows"]["raw_page"] == files

    # Each file is exactly one landed page and exactly one page version or reject.
    file_uris = {p.resolve().as_uri() for p in corpus_files}
    assert set(raw_page["source_uri"]) == file_uris
    version_uris = set(page_version["source_uri"])
    reject_uris = set(reject["source_uri"])
    assert len(version_uris) == page_version.height, "a page is in page_version twice"
    assert len(reject_uris) == reject.height, "a page is in reject twice"
    assert not version_uris & reject_uris, (
        f"pages both versions and rejects: {sorted(version_uris & reject_uris)[:SHOW]}"
    )
    assert version_uris | reject_uris == file_uris

    # One current version per cable, and the cables are exactly the current versions.
    current = page_version.filter(pl.col("status") == "current")
    per_cable = page_version.group_by("reference_id").agg((pl.col("status") == "current").sum().alias("current"))
    wrong = per_cable.filter(pl.col("current") != 1)
    assert wrong.is_empty(), f"cables without exactly one current version: {wrong.head(SHOW).rows()}"
    assert sorted(current["reference_id"]) == sorted(cable["reference_id"])
    assert cable["reference_id"].n_unique() == cable.height
    assert set(page_version["status"]) <= {"current", "duplicate", "older_version"}

    # The rejects are the 28 text files, each 'not a cable page'.
    txt_uris = {p.resolve().as_uri() for p in corpus_files if p.suffix == ".txt"}
    assert len(txt_uris) == CORPUS_REJECTS
    assert reject_uris == txt_uris
    assert set(reject["reason"]) == {NOT_A_CABLE_PAGE}


def test_every_cable_matches_its_page_meta_table(corpus_warehouse, oracle_by_uri):
    cable = _table(
        corpus_warehouse,
        "cable",
        ["reference_id", "created_at", "released_at", "classification", "origin", "source_uri"],
    )
    assert cable.height == CORPUS_CABLES
    mismatches = []
    for row in cable.iter_rows(named=True):
        uri = row["source_uri"]
        meta = oracle_by_uri.get(uri)
        if meta is None:
            meta = meta_table(_uri_path(uri).read_bytes())
        if meta is None:
            mismatches.append((row["reference_id"], uri, "no meta table in the page"))
            continue
        expected = {
            "reference_id": meta["reference_id"],
            "created_at": _viewer_time(meta["created"]),
            "released_at": _viewer_time(meta["released"]),
            "classification": meta["classification"],
            "origin": meta["origin"],
        }
        for field, want in expected.items():
            if row[field] != want:
                mismatches.append((row["reference_id"], uri, field, row[field], want))
    assert not mismatches, _report(mismatches, "cable fields differ from the page's meta table")


def test_every_page_version_matches_its_page(corpus_warehouse, oracle_by_uri):
    page_version = _table(corpus_warehouse, "page_version", ["reference_id", "released_at", "source_uri"])
    assert page_version.height == CORPUS_FILES - CORPUS_REJECTS
    mismatches = []
    for row in page_version.iter_rows(named=True):
        uri = row["source_uri"]
        meta = oracle_by_uri[uri]
        if meta is None:
            mismatches.append((row["reference_id"], uri, "no meta table in the page"))
            continue
        if row["reference_id"] != meta["reference_id"]:
            mismatches.append((row["reference_id"], uri, "reference_id", row["reference_id"], meta["reference_id"]))
        want = _viewer_time(meta["released"])
        if row["released_at"] != want:
            mismatches.append((row["reference_id"], uri, "released_at", row["released_at"], want))
    assert not mismatches, _report(mismatches, "page versions differ from their page's meta table")


def test_views_answer_over_the_corpus_from_another_directory(corpus_build, tmp_path, monkeypatch):
    database = Path(corpus_build["database"]).resolve()
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect(str(database), read_only=True)
    try:
        cables = con.execute("select count(*) from cable").fetchone()[0]
        assert cables == CORPUS_CABLES
        tags = {t for (t,) in con.execute("select distinct tag from tag").fetchall()}

        top = con.execute(
            "select tag_a, tag_b, cables, tag_a_cables, tag_b_cables, support, lift, jaccard "
            "from tag_cooccurrence order by cables desc, tag_a, tag_b limit 1"
        ).fetchone()
        assert top is not None, "tag_cooccurrence is empty over the corpus"
        tag_a, tag_b, pair_cables, a_cables, b_cables, support, lift, jaccard = top
        assert tag_a in tags and tag_b in tags and tag_a < tag_b, top
        assert tag_a.strip() and tag_b.strip(), top
        assert pair_cables >= 2, top
        assert pair_cables <= min(a_cables, b_cables), top
        assert support == pytest.approx(pair_cables / cables), top
        assert jaccard == pytest.approx(pair_cables / (a_cables + b_cables - pair_cables)), top
        assert lift == pytest.approx(pair_cables * cables / (a_cables * b_cables)), top

        bad = con.execute(
            "select tag_a, tag_b, cables, support, lift, jaccard from tag_cooccurrence "
            "where not (support > 0 and support <= 1 and jaccard > 0 and jaccard <= 1 and lift > 0 "
            "and tag_a < tag_b and cables >= 1 and cables <= least(tag_a_cables, tag_b_cables)) "
            "or support is null or jaccard is null or lift is null limit 20"
        ).fetchall()
        assert not bad, f"tag_cooccurrence rows out of range: {bad}"
        pairs = con.execute("select count(*), count(distinct (tag_a, tag_b)) from tag_cooccurrence").fetchone()
        assert pairs[0] == pairs[1] > 0

        total, nulls = con.execute(
            "select sum(cables), count(*) filter (where month is null or origin is null) from embassy_volume_by_month"
        ).fetchone()
        assert total == cables
        assert nulls == 0
        tripoli = con.execute(
            "select count(*), sum(cables) from embassy_volume_by_month where origin = 'Embassy Tripoli'"
        ).fetchone()
        assert tripoli[0] > 0 and tripoli[1] > 0, "no Embassy Tripoli rows in embassy_volume_by_month"
        assert tripoli[1] == con.execute("select count(*) from cable where origin = 'Embassy Tripoli'").fetchone()[0]
    finally:
        con.close()


_TAG_LINK = re.compile(r"<a href=[^>]*tag/[^>]*>([^<]*)</a>")


def test_tags_agree_with_the_pages_own_tag_links(corpus_warehouse):
    """The viewer links only the first line of a TAGS block: its links must start our tag list."""
    cables = _table(corpus_warehouse, "cable", ["reference_id", "source_uri", "tags"])
    with_links = same = prefix = 0
    misses = []
    for reference_id, uri, tags in cables.iter_rows():
        html = Path(uri.removeprefix("file://")).read_text(encoding="utf-8", errors="replace")
        cable_part = html[html.find("<code><pre>") :]
        links = [t.strip().upper() for t in _TAG_LINK.findall(cable_part)]
        if not links:
            continue
        with_links += 1
        same += tags == links
        prefix += tags[: len(links)] == links
        if tags[: len(links)] != links:
            misses.append((reference_id, links, tags))
    print(f"tags vs links: {with_links} cables with links, {same} equal, {prefix} links a prefix of ours")
    assert with_links > 1000
    assert prefix / with_links >= 0.995, misses[:20]


def _snapshot(warehouse: Path) -> dict[str, tuple[int, set]]:
    keys = {
        "cable": ["reference_id"],
        **{name: ["reference_id", "position"] for name in CHILD_TABLES},
        "tag": ["reference_id", "position", "part"],
        "reference": ["reference_id", "position", "part"],
        "page_version": ["source_uri", "reference_id", "status"],
        "cable_version": ["reference_id", "content_sha256", "is_current"],
        "media_link": ["reference_id", "url"],
        "reject": ["source_uri", "reason"],
        "raw_page": ["source_uri", "sha256"],
    }
    snapshot = {}
    for name, columns in keys.items():
        frame = _table(warehouse, name, columns)
        snapshot[name] = (frame.height, set(frame.iter_rows()))
    return snapshot


def test_second_build_of_the_corpus_changes_nothing(corpus_build, corpus_warehouse, corpus_dir):
    # Last in the module: it rebuilds the shared warehouse (with, it checks, the same content).
    from flows.build import build_warehouse

    before = _snapshot(corpus_warehouse)
    again = build_warehouse(source=str(corpus_dir), warehouse=str(corpus_warehouse))
    assert again["landing"]["landed_new"] == 0
    assert again["landing"]["landed_changed"] == 0
    assert again["landing"]["files_seen"] == CORPUS_FILES
    assert again["rows"] == corpus_build["rows"]
    after = _snapshot(corpus_warehouse)
    for name in before:
        assert after[name][0] == before[name][0], f"{name}: {before[name][0]} rows before, {after[name][0]} after"
        assert after[name][1] == before[name][1], (
            f"{name}: keys differ; lost {sorted(before[name][1] - after[name][1])[:SHOW]}, "
            f"new {sorted(after[name][1] - before[name][1])[:SHOW]}"
        )


def test_every_view_answers_and_every_data_test_passes_over_the_corpus(corpus_warehouse):
    from cables.checks import declared_checks, failed_checks
    from cables.settings import SQL_DIR
    from flows.layout import Warehouse
    from flows.serve import connect_read_only, sql_views

    con = connect_read_only(Warehouse.at(corpus_warehouse), SQL_DIR)
    try:
        empty = [
            name for name, _, _ in sql_views(SQL_DIR) if not con.execute(f"select 1 from {name} limit 1").fetchall()
        ]
        assert not empty, f"views with no row over the corpus: {empty}"
        checks = declared_checks(SQL_DIR / "schema.yml")
        failures = failed_checks(con, checks)
    finally:
        con.close()
    errors = [(f.name, n) for f, n in failures if f.severity == "error"]
    assert len(checks) > 300 and not errors, errors


# ---------------------------------------------------------------- the release beside the warehouse

RELEASE_ID = re.compile(r"^([0-9]{2})([A-Z]+)[0-9]+$")


def _release_months() -> dict[str, tuple[int, int, str | None]]:
    """Every id of the release list with (year, month, station), read straight from the shipped file."""
    import csv
    import gzip

    from flows.lookups import REFERENCE_DIR

    months = {}
    with gzip.open(REFERENCE_DIR / "cable2month.csv.gz", "rt") as f:
        for ref, month in csv.reader(f):
            yy = int(ref[:2])
            match = RELEASE_ID.match(ref)
            months[ref] = (2000 + yy if yy < 50 else 1900 + yy, int(month), match.group(2) if match else None)
    return months


def test_the_release_is_flat_where_the_warehouse_climbs(corpus_warehouse, oracle_by_uri):
    """The issue's figures, counted from the release list and the pages, then found in the view and the report."""
    from cables.report import fetch, render_html
    from cables.settings import SQL_DIR
    from flows.serve import connect_read_only

    release = _release_months()
    assert len(release) == 251_287
    per_month: dict[tuple[int, int], int] = {}
    for year, month, _ in release.values():
        per_month[(year, month)] = per_month.get((year, month), 0) + 1
    # The cables of the corpus, as their pages print them (every page version, read by the oracle).
    pages = {meta["reference_id"] for meta in oracle_by_uri.values() if meta}
    held = [release[ref] for ref in pages if ref in release]
    held_per_month: dict[tuple[int, int], int] = {}
    for year, month, _ in held:
        held_per_month[(year, month)] = held_per_month.get((year, month), 0) + 1

    assert (per_month[(2009, 1)], held_per_month[(2009, 1)]) == (4_320, 52)
    assert (per_month[(2010, 2)], held_per_month[(2010, 2)]) == (4_874, 153)
    assert f"{100 * 52 / 4_320:.1f}" == "1.2" and f"{100 * 153 / 4_874:.1f}" == "3.1"
    # The release is roughly flat, 4-5 thousand a month, over 2009 and early 2010 (it ends in Feb 2010) ...
    recent = [n for (year, month), n in per_month.items() if year in (2009, 2010)]
    assert len(recent) == 14 and min(recent) >= 3_900 and max(recent) <= 5_500
    assert 4_000 <= sum(recent) / len(recent) <= 5_000
    # ... while the pages held more than double from early 2009 to early 2010.
    assert held_per_month[(2010, 2)] > 2.5 * held_per_month[(2009, 1)]

    con = connect_read_only(Warehouse.at(corpus_warehouse), SQL_DIR)
    try:
        data = fetch(con)
        # The view, origin by origin: Embassy Madrid (station MADRID), every month.
        madrid = {
            (month.year, month.month): (n, kept)
            for month, n, kept in con.execute(
                "select month, release_cables, release_held_cables from embassy_volume_by_month "
                "where origin = 'Embassy Madrid' and level = 'SECRET'"
            ).fetchall()
        }
    finally:
        con.close()
    report_months = {(year, month): (n, kept) for year, month, n, kept in data.release_months}
    assert report_months[(2009, 1)] == (4_320, 52) and report_months[(2010, 2)] == (4_874, 153)
    assert sum(n for n, _ in report_months.values()) == data.totals.release == 251_287
    assert data.totals.release_held == len(held)

    madrid_release: dict[tuple[int, int], int] = {}
    madrid_held: dict[tuple[int, int], int] = {}
    for ref, (year, month, station) in release.items():
        if station == "MADRID":
            madrid_release[(year, month)] = madrid_release.get((year, month), 0) + 1
            madrid_held[(year, month)] = madrid_held.get((year, month), 0) + (ref in pages)
    assert {k: v for k, v in madrid.items() if v[0]} == {
        k: (n, madrid_held[k]) for k, n in madrid_release.items() if k >= min(madrid)
    }

    page = " ".join(html.unescape(render_html(data)).split())
    assert "Jan 2009: 52 of the release's 4,320 cables held (1.2 %)" in page
    assert "Feb 2010: 153 of the release's 4,874 cables held (3.1 %)" in page
    assert "Its busiest month, Feb 2010 (153 cables), is 3.1 % of the release's 4,874." in page
