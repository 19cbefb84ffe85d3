"""The benchmark at a small scale: 5,000 generated pages build, reconcile and answer every view.

A smoke test only: it checks the benchmark completes and its figures add up, never a timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from cables.settings import PROJECT_ROOT

PAGES = 5_000


def test_the_benchmark_builds_5000_generated_pages_and_reconciles(tmp_path):
    corpus = tmp_path / "corpus"
    subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / "make_corpus.py"), "--out", str(corpus), "--pages", str(PAGES)],
        check=True,
        capture_output=True,
        cwd=PROJECT_ROOT,
    )
    run = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / "run.py"), "--source", str(corpus), "--json"],
        check=True,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "CABLES_SEARCH_INDEX": "false"},
    )
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    rows = figures["rows"]
    assert figures["pages"] == rows["raw_page"] == PAGES
    assert rows["cable"] == rows["page_version"] == PAGES and rows["reject"] == 0
    assert rows["paragraph"] > PAGES and rows["recipient"] > PAGES
    assert set(figures["stages"]) >= {"extract", "parse", "write", "views"}
    assert all(rows > 0 for name, rows in figures["query_rows"].items() if name != "cable_changes")
    for key in ("wall_s", "parse_pages_per_s", "peak_rss_mb", "baseline_pages_per_s", "warehouse_ratio"):
        assert figures[key] > 0, key
