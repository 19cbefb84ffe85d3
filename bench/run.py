"""Benchmark: build a warehouse from a folder of saved cable pages and time every stage.

Run from the project root::

    python bench/run.py --source DIR|ARCHIVE [--warehouse DIR] [--batch-pages N] [--workers N] [--json]
        [--rerun] [--prefect]

By default the build calls the building blocks of the ``build-warehouse`` flow directly (no
Prefect), into a fresh temporary folder (removed afterwards) or into ``--warehouse`` (emptied
first), and times each stage on the wall clock:

``extract``
    ``flows.landing.land_source``: walk the folder, read and hash every file, write ``raw_page``.
``parse``
    ``flows.publish.plan_batches`` then ``parse_batch`` for every batch, the batches run at once
    in a ``ThreadPoolExecutor`` of ``--workers`` threads, as the flow runs its ``parse-pages``
    tasks (Prefect's default thread-pool task runner). One Polars regex over one column chunk
    uses one core and Polars releases the GIL while it works, so batches in threads are what
    spreads the parse over the cores.
``parse start-up``
    ``parse_batch`` of the first 20 pages, before the parse stage: what the parser does once
    per process whatever the build's size (read the reference data, compile its regexes, fill
    its caches of title-cased words). Part of the total, not of the parse stage.
``write``
    ``flows.publish.publish_tables`` (choose versions, write every table, reconcile the counts),
    ``check_staged_tables`` (the views of ``sql/`` computed into the new DuckDB file, the data
    tests of ``sql/schema.yml`` run on it, the data issues and comments stored),
    ``Warehouse.stage_snapshot`` and ``Warehouse.commit`` (the manifest that publishes them);
    not the search index.
``views``
    ``flows.serve.publish_database``: the DuckDB file the checks filled, its table views
    re-pointed at the published files and swapped in, as the flow does.
``search index``
    ``flows.search_index.update_search_index``: the search index of subjects and paragraphs
    (tantivy), built whole in the staged snapshot before the commit (skipped with
    ``CABLES_SEARCH_INDEX=false``).
``query:<view>``
    One query of each view defined under ``sql/`` (``select * from <view>``, fetched whole as
    Arrow), each timed separately.

It then reports: per stage seconds and pages/s; the total wall time (every stage above) and
pages/s; the parse pages/s (pages / wall time of the parse stage alone); the peak resident set
size of this process (``getrusage`` ``ru_maxrss``, read before the baseline runs; with
``--prefect`` the children figure is the temporary Prefect server); the input size; the size of the
Parquet files of the warehouse and its ratio to the input; and the rows of every table.

The baseline is the least any parser must do: read the same page files and find their two
``<pre>`` blocks with Python's ``re``, in 2 processes. The report gives its pages/s and the ratio
parse pages/s / baseline pages/s.

``--prefect`` instead runs the real flow ``flows.build.build_warehouse`` end to end (on a
temporary Prefect server started for the run) and reports its total wall time, which includes
the import of Prefect and the start-up of that server.

``--rerun`` then runs the real flow twice more on the same source, where nothing is new: the
second run's wall time is the cost of ``cables build`` finding nothing to do (``noop_rerun_s``; a
scheduled run, which keeps Prefect's heartbeats, may take up to a second more);
the first one's extra time is Prefect's start-up (``prefect_startup_s``), reported apart.

``--json`` prints, as the last line of stdout, one JSON object with every figure.
Sizes are in MB of 10^6 bytes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

# Prefect must not phone home; set before anything imports prefect (only --prefect does).
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

# Only the standard library at module level: the baseline's spawned processes import this file
# again, and must not pay for importing Polars. The project is imported inside the functions.

MB = 1_000_000
BASELINE_PROCESSES = 2
# Files a user may keep in a warehouse folder (the project's warehouse/ has a .gitignore).
_KEPT_ENTRIES = {".gitignore", ".gitkeep"}
_PRE = re.compile(r"<pre>(.*?)</pre>", re.S)


# --- the warehouse folder --------------------------------------------------------------------


def prepare_warehouse(path: Path | None) -> tuple[Path, bool]:
    """The folder to build in and whether it is a temporary one (to delete afterwards)."""
    from flows.layout import (
        CURRENT_LINK,
        DATABASE_FILE,
        FETCH_FAILURE_TABLE,
        LANDING_TABLE,
        MANIFEST_FILE,
        SNAPSHOTS_DIR,
        TABLES,
    )

    # What a warehouse folder may hold (table folders at the root: older warehouses); anything
    # else in --warehouse stops the benchmark.
    entries = {LANDING_TABLE, FETCH_FAILURE_TABLE, SNAPSHOTS_DIR, CURRENT_LINK, *TABLES, DATABASE_FILE, MANIFEST_FILE}
    entries |= {"runs", "http_cache", ".lock", ".staging", ".trash"}
    if path is None:
        return Path(tempfile.mkdtemp(prefix="cables-bench-")) / "warehouse", True
    path = path.expanduser().resolve()
    if path.exists():
        if not path.is_dir():
            sys.exit(f"bench: --warehouse {path} is not a folder")
        unknown = [
            p.name
            for p in path.iterdir()
            if p.name not in entries | _KEPT_ENTRIES and not p.name.startswith(f".{DATABASE_FILE}.")
        ]
        if unknown:
            sys.exit(
                f"bench: --warehouse {path} holds files that are not part of a warehouse "
                f"({', '.join(sorted(unknown)[:5])}); refusing to empty it"
            )
        for p in path.iterdir():
            if p.name in _KEPT_ENTRIES:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
    return path, False


def parquet_bytes(root: Path) -> dict[str, int]:
    """Bytes of the published Parquet files of each table of a warehouse."""
    from flows.layout import LANDING_TABLE, TABLES, Warehouse

    wh = Warehouse.at(root)
    files = {LANDING_TABLE: wh.published_files(LANDING_TABLE), **{table: wh.table_files(table) for table in TABLES}}
    return {table: sum(f.stat().st_size for f in found) for table, found in files.items() if found}


ARCHIVES = (".tar", ".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2")


# --- the baseline ----------------------------------------------------------------------------


def _find_pre_blocks(paths: list[str]) -> int:
    """Read each page and find its first two ``<pre>`` blocks; the number of pages with two."""
    found = 0
    for path in paths:
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
        blocks = []
        for match in _PRE.finditer(text):
            blocks.append(match.group(1))
            if len(blocks) == 2:
                break
        found += len(blocks) == 2
    return found


def baseline(paths: list[str]) -> tuple[float, int]:
    """Seconds to read the pages and find their two ``<pre>`` blocks in 2 processes."""
    chunks = [paths[i::BASELINE_PROCESSES] for i in range(BASELINE_PROCESSES)]
    start = time.perf_counter()
    with ProcessPoolExecutor(BASELINE_PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        found = sum(pool.map(_find_pre_blocks, chunks))
    return time.perf_counter() - start, found


# --- the runs --------------------------------------------------------------------------------


def cpu_busy(seconds: float = 0.5) -> float | None:
    """Share of all CPUs busy over ``seconds`` before the run (Linux ``/proc/stat``), else None."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(fields[:8]), fields[3] + fields[4]  # total (without guest time), idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle1 - idle0) / (total1 - total0) if total1 > total0 else None


def project_commit() -> str | None:
    """The project's git commit, ``-dirty`` when tracked files differ from it; None outside git."""
    try:
        git = ["git", "-C", str(PROJECT_ROOT)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def rss_mb() -> dict[str, float]:
    """Peak resident set size of this process and of its waited-for children (KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / MB
    return {"self": own, "children": children, "peak": max(own, children)}


WARM_UP_PAGES = 20


def run_stages(source: Path, root: Path, batch_pages: int, workers: int) -> dict:
    """Build the warehouse stage by stage, as the flow does, and query every view."""
    from cables.settings import settings
    from flows.landing import land_source
    from flows.layout import LANDING_VERSION, SCHEMA_VERSION, Warehouse, new_run_id, utc_now
    from flows.publish import check_staged_tables, parse_batch, parser_fingerprint, plan_batches, publish_tables
    from flows.search_index import update_search_index
    from flows.serve import connect_read_only, publish_database, sql_views, views_fingerprint

    cfg = settings()
    wh = Warehouse.at(root)
    run_id = new_run_id()
    stages: dict[str, float] = {}
    peak_after: dict[str, float] = {}  # peak RSS (MB) of this process once each stage is done
    query_rows: dict[str, int] = {}
    start = time.perf_counter()
    with wh.lock():
        try:
            t = time.perf_counter()
            landing = land_source(source, wh, run_id, cfg.landing_chunk_pages)
            stages["extract"] = time.perf_counter() - t
            peak_after["extract"] = rss_mb()["self"]

            staging = wh.staging(run_id)
            groups = plan_batches(wh.landed_files(), workers, batch_pages)
            # The parser's one-time start-up (reference data read, regexes compiled, caches
            # filled) is timed apart on a few pages: a build pays it once, whatever its size.
            t = time.perf_counter()
            if groups:
                file, offset, length = groups[0][0]
                parse_batch([(file, offset, min(length, WARM_UP_PAGES))], staging / "warm-up", 0)
            stages["parse start-up"] = time.perf_counter() - t

            t = time.perf_counter()
            with ThreadPoolExecutor(max(1, min(workers, len(groups)))) as pool:
                futures = [pool.submit(parse_batch, group, staging / "parsed", i) for i, group in enumerate(groups)]
                for future in futures:
                    future.result()
            stages["parse"] = time.perf_counter() - t
            peak_after["parse"] = rss_mb()["self"]

            t = time.perf_counter()
            counts = publish_tables(wh, staging / "parsed", staging / "tables")
            _, _, tested = check_staged_tables(
                wh, staging / "tables", cfg.sql_dir, incremental=False, database=staging / "cables.duckdb"
            )
            snapshot = wh.stage_snapshot(staging / "tables", run_id, incremental=False)
            stages["write"] = time.perf_counter() - t
            peak_after["write"] = rss_mb()["self"]
            if cfg.search_index:
                t = time.perf_counter()
                update_search_index(wh, snapshot, None, None, threads=workers)
                stages["search index"] = time.perf_counter() - t
                peak_after["search index"] = rss_mb()["self"]
            t = time.perf_counter()
            wh.commit(
                {
                    "schema_version": SCHEMA_VERSION,
                    "landing_version": LANDING_VERSION,
                    "run_id": run_id,
                    "built_at": utc_now().isoformat(),
                    "sources": [landing.source],
                    "parser": parser_fingerprint(),
                    "views": views_fingerprint(cfg.sql_dir),
                    "checks": tested,
                    "rows": counts,
                },
                snapshot=snapshot,
                run_id=run_id,
                fresh=False,
            )
            stages["write"] += time.perf_counter() - t
            t = time.perf_counter()
            publish_database(wh, staging / "cables.duckdb", cfg.sql_dir)
            stages["views"] = time.perf_counter() - t
            peak_after["views"] = rss_mb()["self"]
        finally:
            wh.cleanup(run_id)

    con = connect_read_only(wh, cfg.sql_dir)
    try:
        for name, _grain, _query in sql_views(cfg.sql_dir):
            t = time.perf_counter()
            table = con.execute(f"select * from {name}").to_arrow_table()
            stages[f"query:{name}"] = time.perf_counter() - t
            query_rows[name] = table.num_rows
    finally:
        con.close()
    wall = time.perf_counter() - start
    return {
        "wall_s": wall,
        "stages": stages,
        "rows": counts,
        "query_rows": query_rows,
        "peak_rss_after_mb": peak_after,
        "landing": landing.as_dict(),
        "batches": len(groups),
        "workers": max(1, min(workers, len(groups))),
    }


def run_prefect(source: Path, root: Path, batch_pages: int, workers: int) -> dict:
    """Run the real flow end to end; the wall time includes importing Prefect and its server."""
    os.environ["CABLES_BATCH_PAGES"] = str(batch_pages)
    os.environ["CABLES_PARSE_WORKERS"] = str(workers)
    start = time.perf_counter()
    from flows.build import build_warehouse, direct_runs

    imported = time.perf_counter()
    with direct_runs():  # as `cables build` runs it
        result = build_warehouse(source=str(source), warehouse=str(root), full_rebuild=True)
    end = time.perf_counter()
    return {
        "wall_s": end - start,
        "stages": {"import prefect": imported - start, "flow run (with server start-up)": end - imported},
        "rows": result["rows"],
        "query_rows": {},
        "peak_rss_after_mb": {},
        "landing": result["landing"],
        "batches": None,
        "workers": workers,
    }


def run_noop_reruns(source: Path, root: Path) -> dict:
    """Run the real flow twice more on the built warehouse: nothing is new either time.

    The first call includes Prefect's start-up (a temporary server); the second is the re-run
    ``cables build`` pays when nothing changed (a scheduled run also waits up to a second for its
    heartbeat thread, see ``flows.build.direct_runs``).
    """
    from flows.build import build_warehouse, direct_runs
    from flows.layout import Warehouse

    with direct_runs():  # as `cables build` runs them
        start = time.perf_counter()
        build_warehouse(source=str(source), warehouse=str(root))
        first = time.perf_counter()
        result = build_warehouse(source=str(source), warehouse=str(root))
        second = time.perf_counter()
    run = json.loads((Warehouse.at(root).runs_dir / f"{result['run_id']}.json").read_text())
    return {
        "noop_rerun_s": second - first,
        "prefect_startup_s": max(0.0, (first - start) - (second - first)),
        "noop_rerun_mode": run["parse"]["mode"],
        "noop_rerun_stages": run["seconds"],
    }


# --- the report ------------------------------------------------------------------------------


def _rate(pages: int, seconds: float) -> float:
    return pages / seconds if seconds > 0 else float("inf")


def report(figures: dict) -> str:
    """The figures as a readable table."""
    pages = figures["pages"]
    lines = [
        f"cables benchmark: {figures['source']} (project at commit {figures['commit'] or 'unknown'})",
        f"  mode {figures['mode']}, {pages:,} pages ({figures['input_mb']:.1f} MB), "
        f"{figures['cpus']} CPUs, "
        + (f"{figures['batches']} parse batches on " if figures["batches"] else "parse batches on ")
        + f"{figures['workers']} threads",
    ]
    busy = figures["cpu_busy_at_start"]
    if busy is not None:
        lines.append(
            f"  CPUs busy before the run: {busy:.0%}"
            + ("  -- other work is running, the figures will be noisy" if busy > 0.2 else "")
        )
    lines += [
        "",
        f"  {'stage':<36} {'seconds':>9} {'pages/s':>10}",
        f"  {'-' * 36} {'-' * 9} {'-' * 10}",
    ]
    for name, seconds in figures["stages"].items():
        lines.append(f"  {name:<36} {seconds:>9.2f} {_rate(pages, seconds):>10,.0f}")
    lines += [
        f"  {'-' * 36} {'-' * 9} {'-' * 10}",
        f"  {'total' + (' (includes Prefect start-up)' if figures['mode'] == 'prefect' else ''):<36} "
        f"{figures['wall_s']:>9.2f} {figures['pages_per_s']:>10,.0f}",
        "",
    ]
    if figures["parse_pages_per_s"] is not None:
        lines.append(f"  parse pages/s (parse stage alone)     {figures['parse_pages_per_s']:>10,.0f}")
    lines.append(
        f"  baseline pages/s (re, {BASELINE_PROCESSES} processes)     {figures['baseline_pages_per_s']:>10,.0f}"
        f"   ({figures['baseline_pages_with_two_pre']:,} pages with two <pre>)"
    )
    if figures["parse_vs_baseline"] is not None:
        lines.append(f"  parse / baseline                      {figures['parse_vs_baseline']:>10.2f}")
    rss = figures["rss_mb"]
    lines += [
        f"  peak RSS MB: self {rss['self']:.0f}, children {rss['children']:.0f}, max {rss['peak']:.0f}",
        f"  input MB {figures['input_mb']:.1f}; warehouse Parquet MB {figures['warehouse_mb']:.1f} "
        f"(ratio {figures['warehouse_ratio']:.3f}; raw_page {figures['raw_page_mb']:.1f}, "
        f"published tables {figures['tables_mb']:.1f}); DuckDB file MB {figures['duckdb_mb']:.2f}",
        "",
        f"  {'table':<16} {'rows':>10} {'Parquet MB':>11}",
    ]
    if figures["peak_rss_after_mb"]:
        lines.append(
            "  peak RSS MB after each stage: "
            + ", ".join(f"{name} {mb:,.0f}" for name, mb in figures["peak_rss_after_mb"].items())
        )
    for table, rows in figures["rows"].items():
        lines.append(f"  {table:<16} {rows:>10,} {figures['table_mb'].get(table, 0):>11.2f}")
    if "noop_rerun_s" in figures:
        lines += [
            "",
            f"  re-run with nothing new: {figures['noop_rerun_s']:.2f} s (parse mode "
            f"{figures['noop_rerun_mode']}; Prefect start-up apart: {figures['prefect_startup_s']:.1f} s)",
        ]
    if figures["query_rows"]:
        lines += ["", f"  {'view':<24} {'rows':>10}"]
        lines += [f"  {name:<24} {rows:>10,}" for name, rows in figures["query_rows"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from cables.settings import settings
    from flows.landing import source_files
    from flows.layout import DATABASE_FILE, LANDING_TABLE

    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Build a warehouse from a folder of saved cable pages and time each stage "
        "(extract, parse, write, views, one query per view) against a plain-regex baseline.",
    )
    parser.add_argument(
        "--source",
        required=True,
        type=Path,
        help="Folder of saved cable pages, searched recursively, or a .tar(.xz/.gz/.bz2) archive of them (required).",
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="Warehouse folder to build in; it is emptied first (only a folder holding a warehouse "
        "or nothing is accepted) and kept afterwards. Default: a fresh temporary folder, removed at the end.",
    )
    parser.add_argument(
        "--batch-pages",
        type=int,
        default=settings().batch_pages,
        help="Pages per parse batch at most (default: CABLES_BATCH_PAGES, else %(default)s); the pages are cut "
        "into equal batches, a multiple of --workers of them.",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=settings().workers(),
        help="Threads that parse batches at once (default: CABLES_PARSE_WORKERS, else one per CPU: %(default)s).",
    )
    parser.add_argument(
        "--json", action="store_true", help="Also print every figure as one JSON object, the last line of stdout."
    )
    parser.add_argument(
        "--rerun",
        action="store_true",
        help="Then run the real flow twice more on the same source (nothing new): report the time of "
        "a re-run with nothing to do, and Prefect's start-up apart.",
    )
    parser.add_argument(
        "--prefect",
        action="store_true",
        help="Run the real Prefect flow build_warehouse end to end instead of the stages one by one "
        "(on a temporary Prefect server; its wall time includes Prefect's start-up).",
    )
    args = parser.parse_args(argv)

    source = args.source.expanduser().resolve()
    unpacked = None
    if source.is_file() and source.name.endswith(ARCHIVES):
        # An archive (the shared corpus as it is kept) is unpacked first: the stages and the
        # baseline read the same page files. The unpacking is not timed.
        unpacked = Path(tempfile.mkdtemp(prefix="cables-bench-source-"))
        subprocess.run(["tar", "xf", str(source), "-C", str(unpacked)], check=True)
        source = unpacked
    if not source.is_dir():
        parser.error(f"--source {args.source} is not a folder or a .tar archive of pages")
    if args.batch_pages < 1 or args.workers < 1:
        parser.error("--batch-pages and --workers must be at least 1")
    if args.warehouse is not None:
        wanted = args.warehouse.expanduser().resolve()
        if wanted == source or source in wanted.parents or wanted in source.parents:
            parser.error("--warehouse and --source must not be inside one another")
    root, temporary = prepare_warehouse(args.warehouse)

    busy_at_start = cpu_busy()
    files = source_files(source)
    input_bytes = sum(size for _, size, _ in files)
    try:
        run = (run_prefect if args.prefect else run_stages)(source, root, args.batch_pages, args.workers)
        rss = rss_mb()  # before the baseline's processes add to "children"
        reruns = run_noop_reruns(source, root) if args.rerun else {}
        sizes = parquet_bytes(root)
        duckdb_bytes = (root / DATABASE_FILE).stat().st_size if (root / DATABASE_FILE).exists() else 0
    finally:
        if temporary:
            shutil.rmtree(root.parent, ignore_errors=True)

    try:
        base_s, with_two = baseline([str(p) for p, _, _ in files])
    finally:
        if unpacked is not None:
            shutil.rmtree(unpacked, ignore_errors=True)
    pages = len(files)
    parse_s = run["stages"].get("parse")
    parse_rate = _rate(pages, parse_s) if parse_s else None
    base_rate = _rate(pages, base_s)
    warehouse_bytes = sum(sizes.values())
    figures = {
        "source": str(args.source.expanduser()),
        "mode": "prefect" if args.prefect else "stages",
        "cpus": os.cpu_count(),
        "cpu_busy_at_start": busy_at_start,
        "commit": project_commit(),
        "pages": pages,
        "batches": run["batches"],
        "workers": run["workers"],
        "wall_s": run["wall_s"],
        "pages_per_s": _rate(pages, run["wall_s"]),
        "includes_prefect_startup": bool(args.prefect),
        "stages": run["stages"],
        "stage_pages_per_s": {name: _rate(pages, s) for name, s in run["stages"].items()},
        "parse_pages_per_s": parse_rate,
        "baseline_s": base_s,
        "baseline_pages_per_s": base_rate,
        "baseline_pages_with_two_pre": with_two,
        "parse_vs_baseline": parse_rate / base_rate if parse_rate else None,
        "rss_mb": rss,
        "peak_rss_mb": rss["peak"],
        "input_mb": input_bytes / MB,
        "warehouse_mb": warehouse_bytes / MB,
        "warehouse_ratio": warehouse_bytes / input_bytes if input_bytes else None,
        "raw_page_mb": sizes.get(LANDING_TABLE, 0) / MB,
        "tables_mb": (warehouse_bytes - sizes.get(LANDING_TABLE, 0)) / MB,
        "table_mb": {table: b / MB for table, b in sizes.items()},
        "duckdb_mb": duckdb_bytes / MB,
        "rows": run["rows"],
        "query_rows": run["query_rows"],
        "peak_rss_after_mb": run["peak_rss_after_mb"],
        "landing": run["landing"],
        "warehouse": None if temporary else str(root),
        **reruns,
    }
    print(report(figures), flush=True)
    if args.json:
        print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
