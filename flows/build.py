"""The build flow: land a source's pages, parse them in batches, publish tables and views."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact

from cables.search import is_index
from cables.settings import settings
from flows import object_store
from flows.landing import land_source
from flows.layout import (
    LANDING_TABLE,
    LANDING_VERSION,
    PARTITIONED,
    SCHEMA_VERSION,
    TABLES,
    BuildError,
    Warehouse,
    is_remote,
    new_run_id,
    utc_now,
)
from flows.publish import (
    affected_cables,
    check_staged_tables,
    finish_tables,
    needs_full_parse,
    other_pages,
    parse_batch,
    parser_fingerprint,
    plan_batches,
    publish_passes,
    split_pieces,
    write_pass,
)
from flows.runners import task_runner, task_slots
from flows.search_index import index_path, update_search_index
from flows.serve import build_database, database_snapshot, publish_database, views_fingerprint

# Called with (pages parsed, pages to parse) after each parse batch; `cables build` draws its
# progress bar with one.
PROGRESS_LISTENERS: list[Callable[[int, int], None]] = []


@contextmanager
def direct_runs() -> Iterator[None]:
    """Builds run in the caller's process (``cables build``, the benchmarks): flow runs without
    heartbeats, and what Prefect still has to send of them sent on leaving.

    Heartbeats are events for an automation, created on the Prefect server (this project makes
    none), that marks a deployment's stalled runs crashed (the nightly runs of ``prefect.yaml``
    keep them). A build run here ends with its process, which says how it ended; and its
    heartbeat thread, which sleeps in steps of a second, held every flow run up to a second at
    its end (Prefect 3.8: a no-op build took 1.15 s, 0.86 s of it after the flow's last step).
    Without that second, the run's last events and logs could still be queued when the process
    exits, and Prefect warned on stderr after the command's last line ("Still processing items"):
    they are sent before this returns, whatever the run's end (waiting at most 30 s for each kind
    when the server does not take them). Flows started in another thread do not see these
    settings."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    try:
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
    finally:
        send_run_reports()


def send_run_reports(timeout: float = 30) -> None:
    """Send to the Prefect server the events and logs of this process's runs still queued (waits
    at most ``timeout`` seconds for each kind); Prefect starts new senders when more come."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=timeout, at_exit=False)


@task(name="land-pages")
def land_pages(
    source: str, warehouse: str, run_id: str, chunk_pages: int, rate: float, concurrency: int, fresh: bool = False
) -> dict:
    """Land new and changed pages of the source (folder, archive, CSV dump, HTTP mirror); returns the landing report.

    ``fresh`` (``--full-rebuild``) lands every page again, as if nothing had been landed before."""
    report = land_source(
        source, Warehouse.at(warehouse), run_id, chunk_pages, rate=rate, concurrency=concurrency, fresh=fresh
    )
    return report.as_dict()


@task(name="parse-pages")
def parse_pages(pieces: list[tuple[str, int, int]], out_dir: str, batch: int) -> str:
    """Parse one batch of landed pages (file, offset, length pieces) into per-batch table files."""
    return str(parse_batch(pieces, Path(out_dir), batch))


@task(name="find-earlier-pages")
def find_earlier_pages(warehouse: str, parsed_dir: str, new_files: list[str]) -> list[tuple[str, int, int]]:
    """Where the earlier landed pages of the cables the new pages belong to are (file, row, 1)."""
    wh = Warehouse.at(warehouse)
    return other_pages(wh, affected_cables(Path(parsed_dir)), Path(parsed_dir), [Path(f) for f in new_files])


@task(name="plan-partitions")
def plan_partitions(parsed_dir: str, incremental: bool) -> list[list[str]]:
    """The table files the parsed pages go to, in passes of disjoint files (one write task each)."""
    cables = affected_cables(Path(parsed_dir)) if incremental else None
    return publish_passes(Path(parsed_dir), cables)


@task(name="write-partitions")
def write_partitions(
    warehouse: str, parsed_dir: str, tables_dir: str, files: list[str], incremental: bool, landing: list[str]
) -> dict[str, int]:
    """Choose versions and write the table files ``files`` (``year=2010/part-00003.parquet`` of
    every partitioned table; merged with their published rows when ``incremental``) into the
    staged tables; returns the rows derived per table."""
    cables = affected_cables(Path(parsed_dir)) if incremental else None
    return write_pass(
        Warehouse.at(warehouse), Path(parsed_dir), Path(tables_dir), files, cables, [Path(f) for f in landing]
    )


@task(name="publish-tables")
def publish(
    warehouse: str,
    parsed_dir: str,
    tables_dir: str,
    run_id: str,
    sql_dir: str,
    incremental: bool,
    landing: list[str],
    failures: list[str],
    written: dict[str, int],
) -> dict:
    """After the partitions (``written``: rows per table): the reject table, the reconciliation of
    the counts, the data tests, and the new snapshot, staged (published by the commit that
    follows); returns rows per table, cables touched and the snapshot."""
    wh = Warehouse.at(warehouse)
    cables = affected_cables(Path(parsed_dir)) if incremental else None
    live = [Path(f) for f in landing]
    counts = finish_tables(
        wh, Path(parsed_dir), Path(tables_dir), written, cables, landing=live, failures=[Path(f) for f in failures]
    )
    # The database the checks fill is the one published after the commit (no second computation).
    database = wh.staging(run_id) / "cables.duckdb"
    passed, warnings, tested = check_staged_tables(
        wh, Path(tables_dir), Path(sql_dir), incremental=incremental, landing=live, database=database
    )
    logger = get_run_logger()
    logger.info("data checks: %d passed, %d warned", passed, len(warnings))
    for warning in warnings:
        shown = ", ".join(f"{e['key']}: {e['value']}" for e in warning["examples"][:5])
        logger.warning("data check warned: %s (%d rows: %s)", warning["check"], warning["rows"], shown)
    snapshot = wh.stage_snapshot(Path(tables_dir), run_id, incremental=incremental)
    return {
        "rows": counts,
        "cables_touched": None if cables is None else cables.height,
        "snapshot": snapshot,
        "data_warnings": warnings,
        "database": str(database),
        "checks": tested,
    }


@task(name="index-search")
def index_search(
    warehouse: str, snapshot: str, previous: str | None, parsed_dir: str | None, incremental: bool
) -> dict:
    """The search index of the staged ``snapshot``: the ``previous`` snapshot's, with the documents
    of the cables this build touched replaced when ``incremental``; else built whole."""
    wh = Warehouse.at(warehouse)
    cables = affected_cables(Path(parsed_dir)) if incremental and parsed_dir else None
    done = update_search_index(wh, snapshot, previous, cables, threads=settings().workers())
    get_run_logger().info("search index: %s", done)
    return done


@task(name="build-views")
def build_views(warehouse: str, sql_dir: str, staged: str | None = None) -> str:
    """Swap in the DuckDB file of views (``warehouse``: a folder or an object-store URL): the
    ``staged`` one this build's data checks filled, re-pointed at the published files, or else
    one built anew."""
    wh = Warehouse.at(warehouse)
    if staged:
        return str(publish_database(wh, Path(staged), Path(sql_dir)))
    return str(build_database(wh, Path(sql_dir)))


def _check_landing(wh: Warehouse, full_rebuild: bool) -> None:
    manifest = wh.manifest()
    if manifest is None or full_rebuild:
        return
    if manifest.get("landing_version") != LANDING_VERSION:
        raise BuildError(
            f"the landed pages in {wh.root} are in format {manifest.get('landing_version')}, this version "
            f"reads {LANDING_VERSION}: rebuild with --full-rebuild from the sources"
        )


@task(name="export-views")
def export_views(warehouse: str, sql_dir: str, names: list[str], fmt: str, out_dir: str) -> dict:
    """Write each named table or view to ``out_dir/<name>.<fmt>`` (replacing the last export)."""
    from cables.exporting import export_query, view_query
    from flows.serve import connect_read_only

    wh = Warehouse.at(warehouse)
    written = {}
    con = connect_read_only(wh, Path(sql_dir))
    try:
        for name in names:
            out = f"{out_dir.rstrip('/')}/{name}.{fmt}" if is_remote(out_dir) else Path(out_dir) / f"{name}.{fmt}"
            rows = export_query(con, view_query(con, name), fmt, out, overwrite=True, protected=wh.location)
            written[name] = {"path": str(out), "rows": rows}
    finally:
        con.close()
    return written


def _check_exports(names: list[str], fmt: str, sql_dir: Path) -> None:
    from flows.serve import REFERENCE_VIEWS, sql_views

    known = {LANDING_TABLE, *TABLES, *REFERENCE_VIEWS, *(name for name, _, _ in sql_views(sql_dir))}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BuildError(
            f"cannot export {', '.join(unknown)}: no such table or view; known: {', '.join(sorted(known))}"
        )
    if fmt not in ("csv", "parquet"):
        raise BuildError(f"export format must be csv or parquet, not {fmt!r}")


@flow(name="build-warehouse")
def build_warehouse(
    source: str | None = None,
    warehouse: str | None = None,
    full_rebuild: bool = False,
    exports: list[str] | None = None,
    export_format: str = "parquet",
    export_dir: str = "exports",
    rate: float = 2.0,
    concurrency: int = 4,
    runner: str = "local",
    dask_address: str | None = None,
) -> dict:
    """Build or update a warehouse from saved cable pages: a folder, an archive, a CSV dump or a mirror.

    Args:
        source: folder of saved pages (searched recursively), an archive of them (.tar, .tar.gz,
            .tar.xz, .zip, .7z, ...), the release's ``cables.csv`` dump, or an ``http(s)://`` URL of
            a mirror (a cable page, an index page to crawl, or a plain-text list of page URLs);
            default: the bundled sample.
        warehouse: warehouse folder, or object-store URL ``s3://bucket/prefix`` (the build then works
            in a local mirror and publishes there); default ``warehouse/`` (``CABLES_WAREHOUSE``).
        full_rebuild: start from an empty warehouse instead of adding to the existing one.
        exports: tables or views to export after a successful build (a newsroom's morning files).
        export_format: ``parquet`` or ``csv`` (spreadsheet-safe, see ``cables export``).
        export_dir: folder (or ``s3://`` URL) the exports go to, one file per name, replaced at each run.
        rate: HTTP sources only: requests per second at most (be polite to mirrors).
        concurrency: HTTP sources only: requests in flight at most.
        runner: where the batch tasks (land, parse, write the tables) run: ``local`` (threads of
            this process) or ``dask`` (dask.distributed workers, which must see the warehouse
            folder and the source by the same paths).
        dask_address: the scheduler of a running Dask cluster (``tcp://host:8786``); with
            ``runner="dask"`` and none, a temporary LocalCluster of 2 worker processes.

    Returns:
        A summary: the landing report, rows per table and the published paths.
    """
    cfg = settings()
    _check_exports(exports or [], export_format, cfg.sql_dir)
    source_path = source if source else str(cfg.source)
    wh = Warehouse.at(warehouse or cfg.warehouse)
    logger = get_run_logger()
    run_id = new_run_id()
    started_at = utc_now()
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(now - clock, 3)
        clock = now

    pool = task_runner(runner, dask_address, cfg.workers())
    with wh.lock(), _running(pool):
        slots = task_slots(pool, cfg.workers())  # starts a temporary Dask cluster
        lap("runner")
        if wh.remote:  # the work folder mirrors the store's warehouse before anything is read
            object_store.pull(wh, data=True)
            lap("pull")
        _check_landing(wh, full_rebuild)
        previous = wh.manifest()
        try:
            landing = pool.submit(
                land_pages,
                {
                    "source": source_path,
                    "warehouse": str(wh.root),
                    "run_id": run_id,
                    "chunk_pages": cfg.landing_chunk_pages,
                    "rate": rate,
                    "concurrency": concurrency,
                    "fresh": full_rebuild,
                },
            ).result()
            logger.info("landing: %s", landing)
            lap("land")
            # A full rebuild works from this run's landing alone; other runs from every live file.
            live = wh.landed_files(run_id) if full_rebuild else wh.landed_files()
            failures = wh.fetch_failure_files(run_id) if full_rebuild else wh.fetch_failure_files()
            if not live:
                raise BuildError(f"no pages found in {source_path} and none landed before")
            parser = parser_fingerprint()
            full = full_rebuild or needs_full_parse(wh, previous, parser)
            # New: live files the manifest does not publish yet (this run's, or a killed run's).
            published = {f.name for f in wh.published_files(LANDING_TABLE)} if previous else set()
            new_files = live if full else [f for f in live if f.name not in published]
            parsed, tables = wh.staging(run_id) / "parsed", wh.staging(run_id) / "tables"
            # This run recorded pages it could not take in (fetch failures, pages over the size cap).
            failed_now = bool(wh.fetch_failure_files(run_id))
            snapshot = None
            searched = None
            staged_database = None
            checks_run = None
            if new_files or failed_now:
                batches = plan_batches(new_files, slots, cfg.batch_pages)
                pages = _parse(pool, batches, parsed, 0, slots)
                if not batches:  # only fetch failures are new: the reject table may change
                    parse_batch([], parsed, 0)
                if not full:
                    others = pool.submit(
                        find_earlier_pages,
                        {
                            "warehouse": str(wh.root),
                            "parsed_dir": str(parsed),
                            "new_files": [str(f) for f in new_files],
                        },
                    ).result()
                    pages += _parse(pool, split_pieces(others, slots), parsed, len(batches), slots)
                lap("parse")
                common = {"warehouse": str(wh.root), "parsed_dir": str(parsed), "tables_dir": str(tables)}
                common |= {"incremental": not full, "landing": [str(f) for f in live]}
                passes = pool.submit(plan_partitions, {"parsed_dir": str(parsed), "incremental": not full}).result()
                written = dict.fromkeys(PARTITIONED, 0)
                for rows in _run_bounded(pool, write_partitions, [{**common, "files": f} for f in passes], slots):
                    for name, n in rows.items():
                        written[name] += n
                published_tables = pool.submit(
                    publish,
                    {
                        **common,
                        "run_id": run_id,
                        "sql_dir": str(cfg.sql_dir),
                        "failures": [str(f) for f in failures],
                        "written": written,
                    },
                ).result()
                counts, snapshot = published_tables["rows"], published_tables["snapshot"]
                staged_database = published_tables.pop("database")
                checks_run = published_tables.pop("checks")
                lap("publish")
                if cfg.search_index:
                    searched = pool.submit(
                        index_search,
                        {
                            "warehouse": str(wh.root),
                            "snapshot": snapshot,
                            "previous": (previous or {}).get("snapshot"),
                            "parsed_dir": str(parsed),
                            "incremental": not full,
                        },
                    ).result()
                    lap("search")
                parse = {"mode": "full" if full else "incremental", "pages": pages, "write_tasks": len(passes)}
                parse |= published_tables
            else:
                # Nothing new landed: the published tables stand as they are, no file is written.
                counts = previous["rows"]
                parse = {"mode": "none", "pages": 0, "write_tasks": 0, "rows": counts, "cables_touched": 0}
                logger.info("nothing new in %s: the tables are unchanged", source_path)
                current = previous.get("snapshot")
                if cfg.search_index and current and not is_index(index_path(wh, current)):
                    # A warehouse built without the index (or by an older version) gets it once,
                    # added to its snapshot by a rename; the index is not opened otherwise.
                    searched = pool.submit(
                        index_search,
                        {
                            "warehouse": str(wh.root),
                            "snapshot": current,
                            "previous": None,
                            "parsed_dir": None,
                            "incremental": False,
                        },
                    ).result()
                    lap("search")
            earlier = [] if full_rebuild or previous is None else previous.get("sources", [])
            views = views_fingerprint(cfg.sql_dir)
            # The commit: the manifest's rename publishes the new snapshot and landing, whole.
            manifest = wh.commit(
                {
                    "schema_version": SCHEMA_VERSION,
                    "landing_version": LANDING_VERSION,
                    "run_id": run_id,
                    "built_at": utc_now().isoformat(),
                    "sources": sorted({*earlier, landing["source"]}),
                    "parser": parser,
                    "views": views,
                    # The data tests every published row passed: kept from the previous build when
                    # this one ran none (nothing new), so new tests still reach every row next time.
                    "checks": checks_run or (previous or {}).get("checks"),
                    "rows": counts,
                },
                snapshot=snapshot,
                run_id=run_id,
                fresh=full_rebuild,
            )
            lap("commit")
            if wh.remote:  # new files first, the manifest last: the store's commit
                object_store.push(wh, manifest, previous)
                lap("push")
            # A new snapshot, a missing database or one a killed build left behind all lag the manifest.
            stale = database_snapshot(wh) != manifest["snapshot"]
            if stale or (previous or {}).get("views") != views:
                database = build_views(wh.location, str(cfg.sql_dir), staged_database)
            else:
                database = str(wh.database)
            lap("views")
            wh.collect_garbage()
            if wh.remote:
                object_store.collect_garbage(wh)
        finally:
            wh.cleanup(run_id)
        parse["search_index"] = searched
        run = run_record(manifest, landing, seconds, started_at, str(source_path), parse)
        written = wh.write_run(run)
        if wh.remote:
            object_store.push_run(wh, written)
    logger.info("published %s: %s", wh.location, counts)
    publish_run_artifact(run)
    exported = export_views(wh.location, str(cfg.sql_dir), exports, export_format, export_dir) if exports else {}
    for name, done in exported.items():
        logger.info("exported %s: %s rows to %s", name, f"{done['rows']:,}", done["path"])
    return {
        "warehouse": wh.location,
        "database": database,
        "landing": landing,
        "exports": exported,
        "data_warnings": run["data_warnings"],
        **manifest,
    }


@contextmanager
def _running(pool) -> Iterator[None]:
    """Run the build's tasks on ``pool``; on SIGTERM (or Ctrl-C) leave without waiting for them.

    Prefect turns SIGTERM into ``TerminationSignal`` in the flow's thread, reports the run crashed
    and kills the process with the signal. The task runner's exit would first wait for every task
    in flight, a landing of hours included, so the first SIGTERM seemed ignored. Leaving them is
    safe: the build publishes by one rename, and a build killed before it leaves the previous
    warehouse, whole.
    """
    pool.__enter__()
    try:
        yield
    except Exception as exc:
        pool.__exit__(type(exc), exc, exc.__traceback__)
        raise
    except BaseException:
        raise  # TerminationSignal, KeyboardInterrupt: the process is going away, its threads with it
    pool.__exit__(None, None, None)


def run_record(manifest: dict, landing: dict, seconds: dict[str, float], started_at, source: str, parse: dict) -> dict:
    """What a run read, what it re-parsed and published, how long each stage took, and with what code."""
    handled = {"land": landing["files_seen"], "parse": parse["pages"], "publish": parse["pages"]}
    return {
        **manifest,
        "started_at": started_at.isoformat(),
        "source": source,
        "landing": landing,
        "parse": {k: v for k, v in parse.items() if k not in ("rows", "snapshot", "data_warnings")},
        # Plausibility checks that rows of this build broke (published all the same; see data_issue).
        "data_warnings": parse.get("data_warnings", []),
        "seconds": seconds,
        "pages_per_s": {
            stage: round(handled[stage] / s, 1) if s and handled.get(stage) else None for stage, s in seconds.items()
        },
        "reconciliation": {
            "pages": manifest["rows"]["raw_page"],
            "never_fetched": manifest["rows"].get("never_fetched", 0),
            "cables": manifest["rows"]["cable"],
            "other_versions": manifest["rows"]["page_version"] - manifest["rows"]["cable"],
            "rejects": manifest["rows"]["reject"],
            # Earlier landings of files that are rejects (or cable pages) now: a changed notes file.
            "replaced_rejects": manifest["rows"].get("replaced_rejects", 0),
        },
        "code": {"cables_warehouse": _version(), "python": platform.python_version()},
    }


def _parse(pool, batches: list[list[tuple[str, int, int]]], parsed: Path, first: int, workers: int) -> int:
    """Parse ``batches`` into ``parsed`` (batch numbers from ``first``) on the task runner ``pool``,
    at most ``workers`` at a time (each batch in flight holds its pages in memory).

    Progress shows as a Prefect progress artifact. Returns the number of pages parsed.
    """
    total = sum(length for batch in batches for _, _, length in batch)
    if not total:
        return 0
    progress = create_progress_artifact(0.0, description=f"parsing {total:,} pages")
    done = 0

    def finish(i: int, _) -> None:
        nonlocal done
        done += sum(length for _, _, length in batches[i])
        update_progress_artifact(progress, 100.0 * done / total)
        for listener in PROGRESS_LISTENERS:
            listener(done, total)

    parameters = [{"pieces": pieces, "out_dir": str(parsed), "batch": first + i} for i, pieces in enumerate(batches)]
    _run_bounded(pool, parse_pages, parameters, workers, finish)
    return total


def _run_bounded(pool, task, parameters: list[dict], slots: int, finished: Callable | None = None) -> list:
    """Run ``task`` once per entry of ``parameters`` on ``pool``, at most ``slots`` at a time;
    ``finished(i, result)`` is called as each completes, in order. Returns the results in order."""
    results: list = [None] * len(parameters)
    in_flight: list = []

    def wait_first() -> None:
        i, future = in_flight.pop(0)
        results[i] = future.result()
        if finished:
            finished(i, results[i])

    for i, params in enumerate(parameters):
        if len(in_flight) >= slots:
            wait_first()
        in_flight.append((i, pool.submit(task, params)))
    while in_flight:
        wait_first()
    return results


def _version() -> str:
    try:
        return metadata.version("cables-warehouse")
    except metadata.PackageNotFoundError:
        return "unknown"


def publish_run_artifact(run: dict) -> None:
    """A markdown artifact on the flow run: what was read, rows per table, timings, reconciliation."""
    landing, rec = run["landing"], run["reconciliation"]
    lines = [
        f"# Warehouse build {run['run_id']}",
        "",
        f"Source `{landing['source']}`: {landing['files_seen']:,} files seen, {landing['landed_new']:,} new, "
        f"{landing['landed_changed']:,} changed, {landing['unchanged']:,} unchanged, "
        f"{landing.get('too_large', 0):,} too large, {landing.get('fetch_failed', 0):,} failed to fetch"
        + "".join(
            f", {landing[key]:,} {label}"
            for key, label in (
                ("not_regular", "not regular files"),
                ("unreadable", "unreadable"),
                ("truncated", "truncated archives"),
            )
            if landing.get(key)
        )
        + ".",
        "",
        f"Pages {rec['pages']:,} landed + {rec['never_fetched']:,} never fetched = {rec['cables']:,} cables "
        f"+ {rec['other_versions']:,} other versions + {rec['rejects']:,} rejects"
        + (f" + {rec['replaced_rejects']:,} replaced rejects." if rec.get("replaced_rejects") else "."),
        "",
        "| stage | seconds | pages/s |",
        "|---|---:|---:|",
        *[f"| {stage} | {s:.2f} | {run['pages_per_s'][stage] or ''} |" for stage, s in run["seconds"].items()],
        "",
        "| table | rows |",
        "|---|---:|",
        *[f"| {name} | {n:,} |" for name, n in run["rows"].items()],
    ]
    warnings = run.get("data_warnings") or []
    if warnings:
        lines += ["", "Data checks that warned (published all the same; every row is in `data_issue`):", ""]
        lines += ["| check | rows | first rows | why |", "|---|---:|---|---|"]
        for w in warnings:
            shown = "; ".join(f"{e['key']}: {e['value']}" for e in w["examples"][:5])
            lines.append(f"| `{w['check']}` | {w['rows']:,} | {shown} | {w['why']} |")
    create_markdown_artifact("\n".join(lines), key="warehouse-build", description="cables warehouse build")
