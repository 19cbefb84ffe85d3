"""Crash safety: a build killed (SIGKILL) anywhere leaves the previous warehouse or the new one,
whole, openable and reconciled, and the next build completes.

Each case copies a published warehouse, runs ``cables build`` on more pages in a child process,
and kills it: at a named point of the build (``CABLES_CRASH_AT``, where the build kills itself,
see ``flows.layout.crash_point``) or after a random delay (seeded). The builds talk to the test
session's Prefect server, so a killed build has no temporary server of its own to leave behind.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from cables.settings import PROJECT_ROOT, SQL_DIR
from flows.build import build_warehouse
from flows.layout import CRASH_ENV, TABLES, Warehouse
from flows.serve import connect_read_only

pytestmark = pytest.mark.usefixtures("prefect_harness")

# Named points, in the order a build reaches them (land .. garbage: see flows.layout.crash_point).
POINTS = ("land", "parse", "publish", "snapshot", "commit", "database", "garbage")
# More kills at other moments: CABLES_CRASH_KILLS=50 CABLES_CRASH_SEED=7 pytest tests/flows/test_crash_safety.py
RANDOM_KILLS = int(os.environ.get("CABLES_CRASH_KILLS", "5"))
SEED = int(os.environ.get("CABLES_CRASH_SEED", "20261123"))


def tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    """The published tables, rows in a canonical order, landing times and run ids dropped."""
    wh = Warehouse.at(warehouse)
    out = {}
    for name in TABLES:
        frame = pl.read_parquet(wh.table_files(name), hive_partitioning=False)
        frame = frame.drop("fetched_at", "run_id", strict=False)
        out[name] = frame.sort([c for c, t in frame.schema.items() if not isinstance(t, pl.List)])
    return out


def same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> bool:
    return all(a[name].equals(b[name]) for name in TABLES)


@pytest.fixture(scope="module")
def sources(sample_dir, tmp_path_factory) -> tuple[Path, Path]:
    """A first source (one mirror of the sample) and a second one (the whole sample, one page changed)."""
    root = tmp_path_factory.mktemp("crash-sources")
    first, second = root / "first", root / "second"
    shutil.copytree(sample_dir / "chillicoder__cablegate", first / "chillicoder__cablegate")
    shutil.copytree(sample_dir, second)
    page = next(second.rglob("10TRIPOLI95.html"))
    text = page.read_text()
    at = text.rindex("</pre>")
    page.write_text(text[:at] + "\nA SENTENCE ADDED BY A LATER VERSION.\n" + text[at:])
    return first, second


@pytest.fixture(scope="module")
def states(sources, tmp_path_factory) -> dict:
    """The warehouse after the first source (``before``), and its tables after the second (``after``)."""
    first, second = sources
    root = tmp_path_factory.mktemp("crash-states")
    before = root / "before"
    build_warehouse(source=str(first), warehouse=str(before))
    after = root / "after"
    shutil.copytree(before, after, symlinks=True)
    build_warehouse(source=str(second), warehouse=str(after))
    return {"before": before, "before_tables": tables(before), "after_tables": tables(after)}


def build_command(source: Path, warehouse: Path) -> list[str]:
    return [sys.executable, "-m", "cables.cli", "build", "--source", str(source), "--warehouse", str(warehouse)]


def child_env(**extra: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    # Small chunks and batches: a build of the sample then has several of each to be killed in.
    env |= {"CABLES_LANDING_CHUNK_PAGES": "10", "CABLES_BATCH_PAGES": "15", "CABLES_SEARCH_INDEX": "false"}
    return env | extra


def assert_whole(warehouse: Path, states: dict) -> str:
    """The published warehouse is exactly the one before or the one after, opens and reconciles."""
    got = tables(warehouse)
    which = "before" if same(got, states["before_tables"]) else "after" if same(got, states["after_tables"]) else None
    assert which, "the published tables are neither the previous warehouse nor the new one"
    manifest = json.loads((warehouse / "warehouse.json").read_text())
    con = connect_read_only(Warehouse.at(warehouse), SQL_DIR)
    try:
        count = dict(
            zip(
                ("raw_page", "cable", "page_version", "reject"),
                con.execute(
                    "select (select count(*) from raw_page), (select count(*) from cable), "
                    "(select count(*) from page_version), (select count(*) from reject)"
                ).fetchone(),
                strict=True,
            )
        )
        assert con.execute("select count(*) from cable_overview").fetchone()[0] == count["cable"]
    finally:
        con.close()
    assert count["cable"] == manifest["rows"]["cable"] == got["cable"].height
    # Every landed page is a cable, another version of one, or a reject.
    assert count["raw_page"] == count["page_version"] + count["reject"] == manifest["rows"]["raw_page"]
    return which


def run_killed(
    warehouse: Path, source: Path, *, point: str | None = None, delay: float | None = None, **env_extra: str
) -> int:
    """Run a build in a child process (its own process group) and kill it; returns its exit code."""
    env = child_env(**({CRASH_ENV: point} if point else {}), **env_extra)
    child = subprocess.Popen(
        build_command(source, warehouse),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    if delay is not None:
        try:
            child.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
    try:
        _, err = child.communicate(timeout=300)
    finally:
        child.kill()
    # Nothing of the build outlives it: no process is left in its process group.
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.killpg(child.pid, 0)
    if point is not None:
        assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]
    return child.returncode


def kill_cases() -> list[tuple[str | None, float | None]]:
    rng = random.Random(SEED)
    return [(p, None) for p in POINTS] + [(None, round(rng.uniform(2.0, 12.0), 2)) for _ in range(RANDOM_KILLS)]


@pytest.mark.parametrize(("point", "delay"), kill_cases(), ids=lambda v: str(v))
def test_a_killed_build_leaves_a_whole_warehouse_and_the_next_one_completes(states, sources, tmp_path, point, delay):
    warehouse = tmp_path / "wh"
    shutil.copytree(states["before"], warehouse, symlinks=True)
    run_killed(warehouse, sources[1], point=point, delay=delay)

    which = assert_whole(warehouse, states)
    if point in ("land", "parse", "publish", "snapshot"):
        assert which == "before"  # killed before the commit: the previous warehouse, untouched
    if point in ("commit", "database", "garbage"):
        assert which == "after"  # killed after the commit: the new one

    # The next build completes (the lock died with the killed build) and publishes the new tables.
    build_warehouse(source=str(sources[1]), warehouse=str(warehouse))
    assert assert_whole(warehouse, states) == "after"
    leftovers = [p.name for p in warehouse.iterdir() if p.name.startswith(".") and p.name != ".lock"]
    assert leftovers in ([], [".staging"]) and not any((warehouse / ".staging").glob("*/snapshot"))


def test_a_build_killed_while_indexing_leaves_the_previous_warehouse_and_index_whole(states, sources, tmp_path):
    from cables.search import search
    from flows.search_index import reader_index

    warehouse = tmp_path / "wh"
    shutil.copytree(states["before"], warehouse, symlinks=True)
    wh = Warehouse.at(warehouse)
    before = search(reader_index(wh), "Inverclyde Royal Hospital")
    # 05BRASILIA369 comes with the second source only.
    assert before and search(reader_index(wh), "Nilmario Miranda") == []
    run_killed(warehouse, sources[1], point="search", CABLES_SEARCH_INDEX="true")

    assert assert_whole(warehouse, states) == "before"  # killed before the commit
    assert search(reader_index(wh), "Inverclyde Royal Hospital") == before
    assert search(reader_index(wh), "Nilmario Miranda") == []
    build_warehouse(source=str(sources[1]), warehouse=str(warehouse))
    assert assert_whole(warehouse, states) == "after"
    assert [h.reference_id for h in search(reader_index(wh), "Nilmario Miranda")] == ["05BRASILIA369"]
    assert not list(wh.root.rglob(".search.*.tmp"))


def _full_disk(limit: int):
    """preexec_fn of a child whose files cannot grow past ``limit`` bytes (writes then fail with
    EFBIG, as on a full disk; SIGXFSZ ignored so the write returns the error)."""

    def limit_file_size() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_file_size


@pytest.mark.parametrize("limit", [20_000, 400_000, 2_000_000], ids=["landing", "tables", "database"])
def test_a_full_disk_is_a_clear_error_and_leaves_a_whole_warehouse(states, sources, tmp_path, limit):
    warehouse = tmp_path / "wh"
    shutil.copytree(states["before"], warehouse, symlinks=True)
    result = subprocess.run(
        build_command(sources[1], warehouse),
        cwd=PROJECT_ROOT,
        env=child_env(CABLES_SEARCH_INDEX="true"),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_full_disk(limit),
    )
    assert result.returncode == 1, result.stdout[-2000:]
    last = result.stderr.strip().splitlines()[-1].lower()
    assert last.startswith("cables: ") and ("file too large" in last or "disk full" in last), last
    assert_whole(warehouse, states)
    build_warehouse(source=str(sources[1]), warehouse=str(warehouse))
    assert assert_whole(warehouse, states) == "after"
