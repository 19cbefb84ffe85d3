"""Readers during a build: an open connection and `cables sql` keep answering, each answer from
one published warehouse (the previous one or the new one), never a mix of the two."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading

import pytest

from cables.settings import PROJECT_ROOT, SQL_DIR
from flows.build import build_warehouse
from flows.layout import Warehouse
from flows.serve import connect_read_only

pytestmark = pytest.mark.usefixtures("prefect_harness")

# Counts that change together when the second source is published: a mix of the two builds'
# tables would pair one build's cables with the other's paragraphs or page versions.
COUNTS = "select (select count(*) from cable), (select count(*) from paragraph), (select count(*) from page_version)"


@pytest.fixture
def warehouse_and_source(sample_dir, tmp_path):
    first = tmp_path / "first"
    shutil.copytree(sample_dir / "chillicoder__cablegate", first / "chillicoder__cablegate")
    wh = tmp_path / "wh"
    build_warehouse(source=str(first), warehouse=str(wh))
    return wh, sample_dir


def test_readers_see_the_previous_or_the_new_warehouse_while_a_build_publishes(warehouse_and_source, tmp_path):
    wh, second = warehouse_and_source
    opened = connect_read_only(Warehouse.at(wh), SQL_DIR)
    before = opened.execute(COUNTS).fetchone()

    done = threading.Event()
    failure: list[BaseException] = []

    def build() -> None:
        try:
            build_warehouse(source=str(second), warehouse=str(wh))
        except BaseException as error:  # reported by the test thread
            failure.append(error)
        finally:
            done.set()

    builder = threading.Thread(target=build)
    builder.start()
    answers, cli_answers = [], []
    env = {**os.environ, "CABLES_WAREHOUSE": str(wh)}
    while not done.is_set():
        # The connection opened before the build keeps answering from the warehouse it opened.
        answers.append(opened.execute(COUNTS).fetchone())
        result = subprocess.run(
            [sys.executable, "-m", "cables.cli", "sql", "--format", "csv", COUNTS],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        cli_answers.append(tuple(int(v) for v in result.stdout.strip().splitlines()[-1].split(",")))
    builder.join()
    assert not failure, failure

    # After the build, the connection opened before it still reads its (previous) snapshot.
    assert opened.execute(COUNTS).fetchone() == before
    opened.close()
    after = connect_read_only(Warehouse.at(wh), SQL_DIR)
    try:
        new = after.execute(COUNTS).fetchone()
    finally:
        after.close()
    assert new != before  # the build published more cables
    assert set(answers) == {before}  # the open connection: its warehouse, whole, the whole time
    assert set(cli_answers) <= {before, new} and cli_answers


def test_a_second_build_during_a_build_exits_with_a_clear_message(warehouse_and_source):
    wh, second = warehouse_and_source
    with Warehouse.at(wh).lock():  # a build holds the lock
        result = subprocess.run(
            [sys.executable, "-m", "cables.cli", "build", "--source", str(second), "--warehouse", str(wh)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 1
    assert "another build is running on the warehouse" in result.stderr
    assert "Traceback" not in result.stderr  # a message, not a traceback
