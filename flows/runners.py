"""Where a build's batch tasks run: threads of the flow's process, or dask.distributed workers."""

from __future__ import annotations

import importlib

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows.layout import BuildError

RUNNERS = ("local", "dask")
# With ``--runner dask`` and no address: a temporary LocalCluster of this many worker processes,
# one task at a time each (a parse batch keeps one core busy).
LOCAL_CLUSTER_WORKERS = 2


def task_runner(runner: str, dask_address: str | None, workers: int) -> TaskRunner:
    """The task runner of a build: ``local`` (``workers`` threads) or ``dask`` (the cluster at
    ``dask_address``, or a temporary LocalCluster of 2 worker processes, stopped with the build)."""
    if runner == "local":
        if dask_address:
            raise BuildError("--dask-address needs --runner dask")
        return ThreadPoolTaskRunner(max_workers=workers)
    if runner != "dask":
        raise BuildError(f"runner must be one of {', '.join(RUNNERS)}, not {runner!r}")
    from prefect_dask import DaskTaskRunner

    if dask_address:
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": LOCAL_CLUSTER_WORKERS,
            "threads_per_worker": 1,
            "processes": True,
            # A free port: two builds (or a build and the tests) must not fight over 8787.
            "dashboard_address": ":0",
        }
    )


def task_slots(runner: TaskRunner, workers: int) -> int:
    """How many batch tasks to keep in flight: the cluster's threads for Dask, else ``workers``.

    For Dask this starts the cluster (when temporary) and has every worker import the build's
    modules (Prefect, Polars, the parser) at once, so the first batches do not each pay for it.
    """
    client = getattr(runner, "client", None)
    if client is None:
        return workers
    client.run(importlib.import_module, "flows.build")
    return max(1, sum(client.nthreads().values()))
