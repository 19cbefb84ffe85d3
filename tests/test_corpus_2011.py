"""The later viewer build (``cablegate-pages-2011.tar.xz``, 2,259 real pages none of the first corpus
holds): built from the archive as a user would, with ``cables build``; every page a cable or a
reject, published although real pages break plausibility rules, every view answering.

Skipped when ``../shared/corpus`` is absent (see ``corpus_2011_archive`` in ``conftest.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows.layout import Warehouse

pytestmark = pytest.mark.corpus

PAGES = 2_259
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(corpus_2011_archive, prefect_harness, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """``cables build --source cablegate-pages-2011.tar.xz`` in a child process, as a user runs it."""
    warehouse = tmp_path_factory.mktemp("corpus-2011-wh") / "warehouse"
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "CABLES_SEARCH_INDEX": "false"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cables.cli",
            "build",
            "--source",
            str(corpus_2011_archive),
            "--warehouse",
            str(warehouse),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    return out, warehouse


def _table(warehouse: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(Warehouse.at(warehouse).table_files(name), hive_partitioning=False)


def test_the_build_publishes_and_lists_its_warnings(built):
    out, warehouse = built
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stdout
    pages = next(line for line in out.stdout.splitlines() if line.startswith("pages "))
    assert pages.split()[1] == f"{PAGES:,}", pages
    # Originals print DECL dates in 2116 (06SANJOSE156, in this half), 2118 and 3034: listed, not fatal.
    assert "warning     cable: expression_is_true declassify_on" in out.stdout
    assert "06SANJOSE156 (2116-01-18)" in out.stdout
    with duckdb.connect(str(warehouse / "cables.duckdb"), read_only=True) as con:
        issues = con.execute(
            "select key, value from data_issue where check_name like 'cable: expression_is_true declassify_on%'"
        ).fetchall()
    assert ("06SANJOSE156", "2116-01-18") in issues


def test_every_page_is_a_cable_or_a_reject(built):
    _, warehouse = built
    cable, reject, raw = _table(warehouse, "cable"), _table(warehouse, "reject"), _table(warehouse, "raw_page")
    assert raw.height == PAGES
    assert cable.height + reject.height == PAGES, reject.select("source_uri", "reason").rows()[:10]
    assert cable["reference_id"].n_unique() == cable.height


def test_a_preview_and_its_full_record_are_read_once(built):
    """Pages that print a cut-off preview then the full record: tags once, the full subject, not partial."""
    _, warehouse = built
    cable = _table(warehouse, "cable").select("reference_id", "subject", "is_partial", "tags", "header")
    hague = cable.filter(pl.col("reference_id") == "00THEHAGUE1695").row(0, named=True)
    assert hague["subject"] == "PEACEKEEPING REMAINS SENSITIVE ISSUE IN THE NETHERLANDS"
    assert hague["tags"] == ["PREL", "KPKO", "MARR", "NL", "MPOS", "NATO", "EUN"]
    assert hague["is_partial"] is False
    lima = cable.filter(pl.col("reference_id") == "06LIMA4516").row(0, named=True)
    assert lima["subject"] == "AYACUCHO CONTACTS TALK OF NARCO-ECONOMY, NARCO-CULTURE"
    assert lima["header"].startswith("VZCZC")
    repeated = cable.filter(
        pl.col("tags").list.len() > 1, pl.col("tags").list.len() == 2 * pl.col("tags").list.unique().list.len()
    )
    assert repeated.height <= 3, repeated["reference_id"].to_list()  # was 175 with every tag twice
    previews = cable.filter(pl.col("subject").str.ends_with("..."))
    assert previews.height <= 5, previews.select("reference_id", "subject").rows()


def test_inline_paragraphs_are_split(built):
    _, warehouse = built
    paragraph = _table(warehouse, "paragraph")
    numbers = {
        cid: sorted(n for n in paragraph.filter(pl.col("reference_id") == cid)["number"].to_list() if n is not None)
        for cid in ("09BUENOSAIRES1147", "08TRIPOLI923", "09TRIPOLI100")
    }
    assert numbers["09BUENOSAIRES1147"] == list(range(1, 12))
    assert 6 in numbers["08TRIPOLI923"] and 3 in numbers["09TRIPOLI100"]


def test_every_view_answers_and_no_error_level_check_fails(built):
    from cables.checks import declared_checks, failed_checks
    from cables.settings import SQL_DIR
    from flows.serve import connect_read_only, sql_views

    _, warehouse = built
    con = connect_read_only(Warehouse.at(warehouse), SQL_DIR)
    try:
        for name, _, _ in sql_views(SQL_DIR):
            con.execute(f"select count(*) from {name}").fetchone()
        failures = failed_checks(con, declared_checks(SQL_DIR / "schema.yml"))
    finally:
        con.close()
    errors = [(check.name, count) for check, count in failures if check.severity == "error"]
    assert not errors, errors
