"""Local runner against Dask: the real build flow on the same pages, once per runner, timed by stage.

    python bench/runners.py --source DIR [--repeat N] [--runners local,dask] [--dask-address ADDR] [--json]

Each build is a real flow run (``flows.build.build_warehouse``) into a fresh temporary warehouse,
all under one temporary Prefect server started once (its start-up is not counted). ``--runner
dask`` without an address starts a temporary LocalCluster of 2 worker processes per build; its
start-up is its ``runner`` stage. Printed per build: the stages of the run record (runner, land,
parse, publish, commit, views) and pages/s, the wall time of the flow run, and the peak memory of
the whole process tree (this process and every child: Dask's scheduler, nannies and workers),
sampled every 0.2 s; then each task's runs and their mean and largest run time (the per-batch
costs), as the Prefect API recorded them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

MB = 1_000_000


class TreeMemory:
    """Peak of the summed resident memory of this process and all its descendants, sampled."""

    def __init__(self, interval: float = 0.2) -> None:
        import psutil

        self.me = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = 0
        for proc in [self.me, *self.me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except Exception:  # a process that ended between listing and reading
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def one_build(source: Path, runner: str, address: str | None) -> dict:
    """Build ``source`` into a new temporary warehouse with ``runner``; the figures of that run."""
    from flows.build import build_warehouse, direct_runs
    from flows.layout import Warehouse

    root = Path(tempfile.mkdtemp(prefix=f"bench-{runner}-"))
    try:
        with TreeMemory() as memory, direct_runs():  # as `cables build` runs it
            start = time.perf_counter()
            state = build_warehouse(
                source=str(source), warehouse=str(root), runner=runner, dask_address=address, return_state=True
            )
            wall = time.perf_counter() - start
        result = state.result()
        run = json.loads((Warehouse.at(root).runs_dir / f"{result['run_id']}.json").read_text())
        return {
            "runner": runner,
            "pages": run["landing"]["files_seen"],
            "wall_s": round(wall, 1),
            "seconds": run["seconds"],
            "pages_per_s": run["pages_per_s"],
            "peak_tree_rss_mb": round(memory.peak / MB),
            "tasks": task_seconds(state.state_details.flow_run_id),
            "rows": result["rows"],
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def task_seconds(flow_run_id) -> dict[str, dict[str, float]]:
    """Per task of the flow run (land-pages, parse-pages, ...): how many ran, and their mean and
    largest run time in seconds, as the Prefect API recorded them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    runs, page = [], 200  # the API's largest page
    with get_client(sync_client=True) as client:
        while True:
            got = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])), limit=page, offset=len(runs)
            )
            runs += got
            if len(got) < page:
                break
    by_task: dict[str, list[float]] = {}
    for run in runs:
        by_task.setdefault(run.name.rsplit("-", 1)[0], []).append(run.total_run_time.total_seconds())
    return {
        name: {"count": len(s), "mean_s": round(sum(s) / len(s), 2), "max_s": round(max(s), 2)}
        for name, s in sorted(by_task.items())
    }


def task_report(runs: list[dict]) -> str:
    lines = ["| runner | task | runs | mean s | max s |", "|---|---|---:|---:|---:|"]
    for run in runs:
        for name, t in run["tasks"].items():
            lines.append(f"| {run['runner']} | {name} | {t['count']} | {t['mean_s']:.2f} | {t['max_s']:.2f} |")
    return "\n".join(lines)


def report(runs: list[dict]) -> str:
    stages = list(runs[0]["seconds"])
    head = ["runner", "pages", *[f"{s} s" for s in stages], "parse pages/s", "flow run s", "peak MB (tree)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in runs:
        cells = [
            run["runner"],
            f"{run['pages']:,}",
            *[f"{run['seconds'].get(s, 0):.1f}" for s in stages],
            f"{run['pages_per_s'].get('parse') or 0:,.0f}",
            f"{run['wall_s']:.1f}",
            f"{run['peak_tree_rss_mb']:,}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="folder (or archive) of saved pages")
    parser.add_argument("--runners", default="local,dask", help="runners to compare, in order (default local,dask)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every runner, alternated (default 1)")
    parser.add_argument("--dask-address", default=None, help="a running Dask scheduler instead of a LocalCluster")
    parser.add_argument(
        "--search-index",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also build the full-text index (off by default: the runner does not change it)",
    )
    parser.add_argument("--json", action="store_true", help="last line of stdout: every figure as JSON")
    args = parser.parse_args(argv)
    os.environ["CABLES_SEARCH_INDEX"] = "true" if args.search_index else "false"
    from prefect.testing.utilities import prefect_test_harness

    runs = []
    with prefect_test_harness(server_startup_timeout=180):
        for _ in range(args.repeat):
            for runner in args.runners.split(","):
                runs.append(one_build(args.source, runner, args.dask_address if runner == "dask" else None))
                print(report(runs[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    if len({json.dumps(r["rows"], sort_keys=True) for r in runs}) != 1:
        print("the runners' builds have different row counts", file=sys.stderr)
        return 1
    print(report(runs))
    print()
    print(task_report(runs))
    if args.json:
        print(json.dumps(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
