"""The build flow on dask.distributed workers: a real LocalCluster of 2 worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cables.cli import main
from flows.build import build_warehouse
from flows.layout import TABLES, BuildError, Warehouse
from flows.runners import task_runner
from tests.flows.test_build import table


def assert_same_tables(got: Path, want: Path) -> None:
    for name in TABLES:
        mine = table(got, name).drop("fetched_at", strict=False)
        theirs = table(want, name).drop("fetched_at", strict=False)
        assert mine.equals(theirs), name


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 worker processes, as a cluster a newsroom would connect to."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        yield cluster, client


def test_a_dask_cluster_builds_the_tables_of_the_local_runner(
    prefect_harness, cluster, sample_warehouse, sample_dir, tmp_path, monkeypatch
):
    local_cluster, client = cluster
    # Batches of 10 pages: the 57 pages are parsed as 6 tasks, spread over both workers.
    monkeypatch.setenv("CABLES_BATCH_PAGES", "10")
    wh = tmp_path / "wh"
    result = build_warehouse(
        source=str(sample_dir), warehouse=str(wh), runner="dask", dask_address=local_cluster.scheduler_address
    )
    assert result["rows"] == Warehouse.at(sample_warehouse).manifest()["rows"]
    assert_same_tables(wh, sample_warehouse)

    # The batch tasks ran on the cluster's worker processes, not in this one.
    def task_names(dask_scheduler) -> list[str]:
        return sorted(dask_scheduler.task_prefixes)

    ran = client.run_on_scheduler(task_names)
    assert ran == ["index_search", "land_pages", "parse_pages", "plan_partitions", "publish", "write_partitions"]

    # A second run lands nothing new and changes nothing (incremental, on the cluster too).
    again = build_warehouse(
        source=str(sample_dir), warehouse=str(wh), runner="dask", dask_address=local_cluster.scheduler_address
    )
    assert again["landing"]["landed_new"] == 0 and again["snapshot"] == result["snapshot"]
    assert_same_tables(wh, sample_warehouse)


def test_cables_build_runner_dask_starts_a_temporary_local_cluster(
    prefect_harness, sample_warehouse, sample_dir, tmp_path
):
    wh = tmp_path / "wh"
    result = CliRunner().invoke(main, ["build", "--source", str(sample_dir), "-w", str(wh), "--runner", "dask"])
    assert result.exit_code == 0, result.output
    assert "cable" in result.output
    assert_same_tables(wh, sample_warehouse)


def test_runner_options_are_checked():
    with pytest.raises(BuildError, match="runner must be one of local, dask"):
        task_runner("spark", None, 2)
    with pytest.raises(BuildError, match="--dask-address needs --runner dask"):
        task_runner("local", "tcp://127.0.0.1:8786", 2)
    result = CliRunner().invoke(main, ["build", "--runner", "spark"])
    assert result.exit_code == 2 and "'spark' is not one of 'local', 'dask'" in result.output
