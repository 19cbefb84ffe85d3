"""Transform and load: parse landed pages in batches, choose versions, write the tables."""

from __future__ import annotations

import functools
from itertools import pairwise
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq

from cables.checks import declared_checks, failed_checks, issue_rows
from cables.sqlquote import sql_identifier, sql_literal
from flows.landing import RAW_PAGE_SCHEMA, fetch_failures
from flows.layout import (
    LANDING_TABLE,
    PARTITIONED,
    SCHEMA_VERSION,
    TABLES,
    BuildError,
    Warehouse,
    crash_point,
    fingerprint,
    literal_glob,
    table_files,
    write_parquet_atomic,
)
from flows.lookups import REFERENCE_DIR, load_lookups
from flows.serve import database_connection, fill_database, finish_database, views_fingerprint
from transforms.cable import cable, current_version, distinct_versions, reference_year
from transforms.cable_change import cable_change
from transforms.parse import CHILD_TABLES, parsed_tables
from transforms.reject import fetch_reject, newest_rejects, reject, replaced_rejects

TRANSFORMS_DIR = Path(__file__).resolve().parent.parent / "transforms"

Piece = tuple[str, int, int]
"""Rows ``offset .. offset + length`` of one landed Parquet file."""


def plan_batches(files: list[Path], workers: int, batch_pages: int) -> list[list[Piece]]:
    """Cut the landed pages into batches of equal size, a multiple of ``workers`` of them.

    Batches hold at most ``batch_pages`` pages (memory stays bounded), at least one per worker,
    and follow the landing order: copies of a cable, landed side by side, stay in one batch.
    """
    rows = [pq.read_metadata(f).num_rows for f in files]
    total = sum(rows)
    if total == 0:
        return []
    workers = max(1, workers)
    count = max(workers, -(-total // max(1, batch_pages)))
    count = min(total, -(-count // workers) * workers)
    bounds = [total * i // count for i in range(count + 1)]
    starts = [sum(rows[:i]) for i in range(len(rows))]
    batches: list[list[Piece]] = []
    for lo, hi in pairwise(bounds):
        pieces = [
            (str(f), max(lo, start) - start, min(hi, start + n) - max(lo, start))
            for f, start, n in zip(files, starts, rows, strict=True)
            if start < hi and start + n > lo
        ]
        batches.append(pieces)
    return batches


def split_pieces(pieces: list[Piece], workers: int) -> list[list[Piece]]:
    """Deal ``pieces`` into at most ``workers`` batches of near-equal page counts, in order."""
    total = sum(length for _, _, length in pieces)
    if not total:
        return []
    count = min(max(1, workers), len(pieces))
    batches: list[list[Piece]] = [[] for _ in range(count)]
    seen = 0
    for piece in pieces:
        batches[min(count - 1, seen * count // total)].append(piece)
        seen += piece[2]
    return [b for b in batches if b]


def parser_fingerprint() -> str:
    """What the parsed tables depend on besides the pages: the transforms and the reference data."""
    return fingerprint(TRANSFORMS_DIR, REFERENCE_DIR)


def needs_full_parse(warehouse: Warehouse, manifest: dict | None, parser: str) -> bool:
    """Whether every landed page must be parsed again: nothing published yet, another table schema,
    another parser (transforms or reference data changed), or a published table missing."""
    if manifest is None or manifest.get("schema_version") != SCHEMA_VERSION or manifest.get("parser") != parser:
        return True
    return not all(warehouse.table_files(table) for table in TABLES)


def read_pieces(pieces: list[Piece], columns: list[str]) -> pl.DataFrame:
    """The rows of a batch, in order (no pieces: no rows, the landing's columns)."""
    frames = [pl.scan_parquet(f, glob=False).slice(offset, length).select(columns) for f, offset, length in pieces]
    if not frames:
        return pl.DataFrame(schema={c: RAW_PAGE_SCHEMA[c] for c in columns})
    return pl.concat(frames).collect()


def parse_batch(pieces: list[Piece], out_dir: Path, batch: int) -> Path:
    """Parse the pages of one batch; write each parsed table to ``out_dir/<table>/``."""
    raw = read_pieces(pieces, ["sha256", "content"])
    for name, frame in parsed_tables(raw, load_lookups()).items():
        # Sorted by the file their rows are published to, in small row groups: a publish pass
        # reads the row groups of its files only.
        frame = frame.with_columns(
            pl.lit(batch, pl.Int32).alias("batch"), table_file(pl.col("reference_id")).alias("_file")
        )
        write_parquet_atomic(
            frame.sort("_file", maintain_order=True),
            out_dir / name / f"batch-{batch:05d}.parquet",
            compression="lz4",
            row_group_size=2_000,
        )
    crash_point("parse")
    return out_dir


def _scan(parsed_dir: Path, name: str) -> pl.LazyFrame:
    return pl.scan_parquet(sorted((parsed_dir / name).glob("*.parquet")), glob=False)


# The order rows are written in within a partition (stable: ties keep the order of the transform).
SORT_KEYS = {
    "cable": ["reference_id"],
    "page_version": ["reference_id", "rank"],
    "cable_version": ["reference_id", "version_rank"],
    "cable_change": ["reference_id"],
    "media_link": ["reference_id", "url"],
    "recipient": ["reference_id", "position"],
    "tag": ["reference_id", "position", "part"],
    "reference": ["reference_id", "position", "part"],
    "paragraph": ["reference_id", "position"],
    "reject": ["source_uri", "sha256"],
}


# About this many of the release's cables go to one file of a partitioned table.
FILE_CABLES = 10_000
# A publish pass derives the tables of about this many cables at a time (memory is bounded by it).
PASS_CABLES = 20_000


@functools.cache
def files_per_year() -> dict[int, int]:
    """How many files each year of the release is cut into (its cables / ``FILE_CABLES``, rounded up)."""
    years = (
        load_lookups()
        .release_ids.select(reference_year(pl.col("reference_id")).alias("year"))
        .drop_nulls()
        .group_by("year")
        .len()
    )
    return {year: max(1, -(-n // FILE_CABLES)) for year, n in years.iter_rows()}


def table_file(reference_id: pl.Expr) -> pl.Expr:
    """The file of a partitioned table a cable's rows go to: ``year=2009/part-00003.parquet``.

    The year is the id's; within a year, the id's serial number modulo the year's file count.
    """
    year = reference_year(reference_id)
    count = year.replace_strict(files_per_year(), default=1, return_dtype=pl.Int64)
    serial = reference_id.str.extract(r"\d+$", 0).str.slice(-9).cast(pl.Int64, strict=False).fill_null(0)
    return pl.format(
        "year={}/part-{}.parquet",
        year.cast(pl.String).fill_null("unknown"),
        (serial % count).cast(pl.String).str.zfill(5),
    )


_EMPTY_FILE = "year=unknown/part-00000.parquet"


def affected_cables(parsed_dir: Path) -> pl.DataFrame:
    """One row per cable (``reference_id``) that one of the parsed pages is a version of."""
    return (
        _scan(parsed_dir, "page")
        .filter(pl.col("reject_reason").is_null())
        .select("reference_id")
        .unique()
        .sort("reference_id")
        .collect()
    )


def other_pages(warehouse: Warehouse, cables: pl.DataFrame, parsed_dir: Path, new_files: list[Path]) -> list[Piece]:
    """Where the earlier landed pages of ``cables`` are, except those parsed already: one piece each.

    Their published ``page_version`` rows name them (by content hash); the landing says where
    each content is. A cable's tables are then derived from all its pages, old and new.
    """
    published = warehouse.table_files("page_version")
    if not published or cables.is_empty():
        return []
    parsed = _scan(parsed_dir, "page").select("sha256")
    wanted = (
        pl.scan_parquet(published, hive_partitioning=False, glob=False)
        .join(cables.lazy(), on="reference_id", how="semi")
        .select("sha256")
        .unique()
        .join(parsed, on="sha256", how="anti")
        .collect()
    )
    if wanted.is_empty():
        return []
    skip = {str(f) for f in new_files}
    pieces: list[Piece] = []
    for file in warehouse.landed_files():
        if str(file) in skip:
            continue
        rows = (
            pl.scan_parquet(file, glob=False)
            .select("sha256")
            .with_row_index("row")
            .join(wanted.lazy(), on="sha256", how="semi")
            .unique("sha256", keep="first", maintain_order=True)
            .collect()
        )
        wanted = wanted.join(rows.select("sha256"), on="sha256", how="anti")
        pieces += [(str(file), row, 1) for row in rows["row"].to_list()]
        if wanted.is_empty():
            break
    return pieces


def publish_tables(
    warehouse: Warehouse,
    parsed_dir: Path,
    out_dir: Path,
    cables: pl.DataFrame | None = None,
    *,
    landing: list[Path] | None = None,
    failures: list[Path] | None = None,
) -> dict[str, int]:
    """Write the published tables into ``out_dir`` from the parsed batches and the landing.

    With ``cables`` (the cables a build touched, see :func:`affected_cables`), the parsed batches
    hold every page of those cables and nothing else: their rows replace theirs in the published
    files they belong to (see :func:`table_file`), and only those files (and ``reject``, when it
    changes) are written. Without it, every landed page was parsed and every table is written.
    The tables are derived in passes of at most about ``PASS_CABLES`` cables (a run of table
    files), so memory does not grow with the warehouse; the build flow runs the passes as
    tasks of their own (:func:`publish_passes`, :func:`write_pass`), then :func:`finish_tables`.

    ``landing`` and ``failures`` are the live files of ``raw_page`` and ``fetch_failure`` (default:
    the warehouse's, see :meth:`Warehouse.landed_files`; a full rebuild passes its run's).

    Checks that each landed page is a current cable, another version of one, a reject, or an
    earlier landing of a rejected file (replaced by its newest), and raises :class:`BuildError`
    (nothing published) when the counts do not reconcile.
    """
    landing = warehouse.landed_files() if landing is None else landing
    written: dict[str, int] = dict.fromkeys(PARTITIONED, 0)
    for group in publish_passes(parsed_dir, cables):
        for name, rows in write_pass(warehouse, parsed_dir, out_dir, group, cables, landing).items():
            written[name] += rows
    return finish_tables(warehouse, parsed_dir, out_dir, written, cables, landing=landing, failures=failures)


def publish_passes(parsed_dir: Path, cables: pl.DataFrame | None) -> list[list[str]]:
    """The table files to write (``year=2010/part-00003.parquet``), cut into passes of at most
    about ``PASS_CABLES`` cables; passes write disjoint files, so they can run at once."""
    cable_pages = _scan(parsed_dir, "page").filter(pl.col("reject_reason").is_null())
    sizes = cable_pages.group_by("_file").agg(pl.col("reference_id").n_unique().alias("cables")).sort("_file").collect()
    files = sizes["_file"].to_list()
    if cables is not None:
        files = sorted({*files, *cables.select(table_file(pl.col("reference_id"))).to_series().to_list()})
    return _passes(files, dict(sizes.iter_rows()))


def write_pass(
    warehouse: Warehouse,
    parsed_dir: Path,
    out_dir: Path,
    files: list[str],
    cables: pl.DataFrame | None,
    landing: list[Path],
) -> dict[str, int]:
    """Derive the partitioned tables of the cables of ``files`` (one pass) and write those files
    into ``out_dir``; returns the rows derived per table."""
    written: dict[str, int] = dict.fromkeys(PARTITIONED, 0)
    for name, frame in _derive(parsed_dir, _landed(landing).lazy(), files[0], files[-1]).items():
        written[name] += _write_files(frame, name, files, out_dir, warehouse, cables)
    return written


def finish_tables(
    warehouse: Warehouse,
    parsed_dir: Path,
    out_dir: Path,
    written: dict[str, int],
    cables: pl.DataFrame | None,
    *,
    landing: list[Path],
    failures: list[Path] | None,
) -> dict[str, int]:
    """After the passes (``written``: rows per partitioned table): an empty file for each empty
    table, ``reject``, and the reconciliation of the counts; returns the rows per table, the
    landed pages (``raw_page``), the pages never fetched (``never_fetched``) and the earlier
    landings of rejected files (``replaced_rejects``)."""
    incremental = cables is not None
    landed = _landed(landing)
    empty = [] if incremental else [name for name, rows in written.items() if not rows]
    if empty:
        # An empty table still gets one (empty) file, so its schema can be read.
        schemas = _derive(parsed_dir, landed.lazy(), "", "")
        for name in empty:
            write_parquet_atomic(schemas[name].drop("_file"), out_dir / name / _EMPTY_FILE)

    pages = _scan(parsed_dir, "page").unique("sha256", keep="first")
    failed = fetch_reject(fetch_failures(warehouse, failures), landed.lazy()).collect()
    _write_reject(reject(landed.lazy(), pages).collect(), failed, out_dir, warehouse, landed, incremental=incremental)

    counts = {name: _rows(_final_files(warehouse, out_dir, name, incremental)) for name in TABLES}
    landed_pages = landed.height
    page_versions = pl.scan_parquet(
        _final_files(warehouse, out_dir, "page_version", incremental), hive_partitioning=False, glob=False
    )
    current_pages = page_versions.filter(pl.col("status") == "current").select(pl.len()).collect().item()
    replaced = replaced_rejects(landed.lazy(), page_versions).select(pl.len()).collect().item()
    # Every landed page is a version of a cable, a reject, or an earlier landing of a rejected
    # file; every page never fetched is a reject.
    if (
        counts["page_version"] + counts["reject"] + replaced != landed_pages + failed.height
        or current_pages != counts["cable"]
    ):
        raise BuildError(
            f"pages do not reconcile: {landed_pages} landed + {failed.height} never fetched, {counts['cable']} "
            f"cables + {counts['page_version'] - current_pages} other versions + {counts['reject']} rejects "
            f"+ {replaced} replaced rejects"
        )
    counts["raw_page"] = landed_pages
    counts["never_fetched"] = failed.height
    counts["replaced_rejects"] = replaced
    return counts


def _landed(landing: list[Path]) -> pl.DataFrame:
    """What the tables need of the landing: each page's URI, hash, size and landing time."""
    return pl.scan_parquet(landing, glob=False).select("source_uri", "sha256", "bytes", "fetched_at").collect()


def _passes(files: list[str], cables: dict[str, int]) -> list[list[str]]:
    """Runs of consecutive table files holding at most about ``PASS_CABLES`` cables each."""
    passes: list[list[str]] = []
    size = 0
    for file in files:
        if not passes or size + cables.get(file, 0) > PASS_CABLES:
            passes.append([])
            size = 0
        passes[-1].append(file)
        size += cables.get(file, 0)
    return passes


def _derive(parsed_dir: Path, landed: pl.LazyFrame, first: str, last: str) -> dict[str, pl.LazyFrame]:
    """The partitioned tables of the cables whose table file is ``first`` .. ``last``, with ``_file``."""

    def scan(name: str) -> pl.LazyFrame:
        return _scan(parsed_dir, name).filter(pl.col("_file").is_between(pl.lit(first), pl.lit(last)))

    pages = scan("page").unique("sha256", keep="first")
    # One row per cable content; a content found in several batches keeps the first batch's rows.
    versions = scan("cable_version").sort("batch").unique("content_sha256", keep="first", maintain_order=True)
    page_version = current_version(pages.filter(pl.col("reject_reason").is_null()), landed).collect().lazy()
    current = page_version.filter(pl.col("status") == "current").select("reference_id", "content_sha256")
    owner = versions.select("content_sha256", "batch").join(current, on="content_sha256")
    frames: dict[str, pl.LazyFrame] = {
        "page_version": page_version,
        "cable_version": distinct_versions(page_version),
        "cable_change": cable_change(
            distinct_versions(page_version)
            .select("reference_id", "content_sha256", "version_rank", "build_stamp")
            .join(versions.drop("reference_id", "build_stamp", "_file", strict=False), on="content_sha256")
        ),
        "cable": cable(versions, page_version),
        # Article links are facts about the cable, whichever build printed them.
        "media_link": scan("media_link")
        .unique(["reference_id", "url"], keep="first")
        .select("reference_id", "url", "host"),
    }
    for name in CHILD_TABLES:
        child = scan(name).join(owner, on=["reference_id", "content_sha256", "batch"], how="semi")
        frames[name] = child.drop("content_sha256", "batch", "_file")
    return {
        name: frame.sort(SORT_KEYS[name], maintain_order=True).with_columns(
            table_file(pl.col("reference_id")).alias("_file")
        )
        for name, frame in frames.items()
    }


def _write_files(
    frame: pl.LazyFrame, name: str, files: list[str], out_dir: Path, warehouse: Warehouse, cables: pl.DataFrame | None
) -> int:
    """Write the rows of ``frame`` to each of ``files`` (merged into the published rows when
    ``cables`` says which cables changed); returns the rows derived."""
    rows = frame.collect()
    parts = {key[0]: part.drop("_file") for key, part in rows.partition_by("_file", as_dict=True).items()}
    for file in files:
        part = parts.get(file, rows.clear().drop("_file"))
        published = warehouse.table_dir(name) / file
        if cables is not None and published.exists():
            old = pl.read_parquet(published, hive_partitioning=False, glob=False).join(
                cables, on="reference_id", how="anti"
            )
            part = pl.concat([old, part]).sort(SORT_KEYS[name], maintain_order=True)
        if part.height or cables is not None:
            write_parquet_atomic(part, out_dir / name / file)
            crash_point("publish")
    return rows.height


def _write_reject(
    found: pl.DataFrame,
    failed: pl.DataFrame,
    out_dir: Path,
    warehouse: Warehouse,
    landed: pl.DataFrame,
    *,
    incremental: bool,
) -> None:
    """Write ``reject``: the parsed pages' rejects (with those published before, when incremental)
    and the pages never fetched (always recomputed: a later fetch may land them); an unchanged
    table is not written again.

    A file keeps one row, its newest landing (``landed``: the live landing): a published reject
    whose file landed again since gives way to the new landing's row, or to none when that
    landing is a cable page."""
    files = warehouse.table_files("reject")
    published = pl.read_parquet(files, glob=False) if incremental and files else None
    key = SORT_KEYS["reject"]
    if published is not None:
        found = pl.concat([published.filter(pl.col("sha256").is_not_null()), found]).unique(key, keep="first")
        found = newest_rejects(found.lazy(), landed.lazy()).collect()
    frame = pl.concat([found, failed]).sort(key, nulls_last=True)
    if published is not None and frame.equals(published):
        return
    write_parquet_atomic(frame, out_dir / "reject" / "part-00000.parquet")


def _final_files(warehouse: Warehouse, staged: Path, table: str, incremental: bool) -> list[str]:
    """The files ``table`` will have in the snapshot made of ``staged`` (with, when ``incremental``,
    the current snapshot's files it does not replace)."""
    new = table_files(staged / table, table)
    if not incremental:
        return [str(f) for f in new]
    if table not in PARTITIONED:
        return [str(f) for f in (new or warehouse.table_files(table))]
    replaced = {f.relative_to(staged / table) for f in new}
    kept = [f for f in warehouse.table_files(table) if f.relative_to(warehouse.table_dir(table)) not in replaced]
    return sorted(str(f) for f in [*kept, *new])


def checks_fingerprint(sql_dir: Path) -> str:
    """What the data tests a build runs are: the views fingerprint (``sql/``, the reference data,
    the code running the tests), the code choosing the rows an incremental build tests (this
    module) and DuckDB's version. The manifest records it (``checks``) when a build ran them."""
    return f"{views_fingerprint(sql_dir)}-{fingerprint(Path(__file__))}-duckdb-{duckdb.__version__}"


def changed_rows(warehouse: Warehouse, tables_dir: Path, landing: list[Path], checks: str) -> dict[str, str] | None:
    """For an incremental build: per table, a query of the rows it writes (its staged files; for
    ``raw_page`` the live landing files not published yet), when the published rows passed the
    same data tests (the manifest's ``checks`` is ``checks``, see :func:`checks_fingerprint`);
    else None (every row is tested)."""
    manifest = warehouse.manifest()
    if manifest is None or manifest.get("checks") != checks:
        return None
    published = {f.name for f in warehouse.published_files(LANDING_TABLE)}
    files = {LANDING_TABLE: [str(f) for f in landing if f.name not in published]}
    files |= {table: [str(f) for f in table_files(tables_dir / table, table)] for table in TABLES}
    return {
        table: (
            f"select * from read_parquet([{', '.join(sql_literal(literal_glob(f)) for f in found)}], "
            "hive_partitioning = false)"
            if found
            else f"select * from {sql_identifier(table)} limit 0"
        )
        for table, found in files.items()
    }


def _rows(files: list[str]) -> int:
    return sum(pq.read_metadata(f).num_rows for f in files)


def check_staged_tables(
    warehouse: Warehouse,
    tables_dir: Path,
    sql_dir: Path,
    *,
    incremental: bool,
    database: Path,
    landing: list[Path] | None = None,
) -> int:
    """Run the data tests of ``sql/schema.yml`` on the tables as they will be once the staged files
    are published (staged files, and when ``incremental`` the current ones they leave in place),
    over the live landing (``landing``, default the warehouse's).

    The views of ``sql/`` are computed once, into the tables their checks read, in a new DuckDB
    file at ``database``, then finished with the data issues and comments: the database the build
    publishes (``flows.serve.publish_database``), so nothing is computed twice.

    Raises :class:`BuildError` naming every failed error-level check (nothing is published then).
    Warnings (plausibility rules on what pages say) do not stop the build: returns the number of
    checks that passed, the warnings, each with its count and first offending rows, and the
    fingerprint of the tests run (:func:`checks_fingerprint`, recorded by the manifest).
    """
    # Taken before the tests are read: what the manifest records is what ran.
    tested = checks_fingerprint(sql_dir)
    checks = declared_checks(sql_dir / "schema.yml")
    landing = warehouse.landed_files() if landing is None else landing
    globs: dict[str, str | list[str]] = {LANDING_TABLE: [str(f) for f in landing]}
    globs |= {table: _final_files(warehouse, tables_dir, table, incremental) for table in TABLES}
    with database_connection(database, database.with_name(database.name + ".spill")) as con:
        fill_database(con, globs, sql_dir)
        changed = changed_rows(warehouse, tables_dir, landing, tested) if incremental else None
        failures = failed_checks(con, checks, changed)
        warned = [(check, count) for check, count in failures if check.severity == "warn"]
        rows = issue_rows(con, warned)
        finish_database(con, sql_dir, rows)
    errors = [(check, count) for check, count in failures if check.severity == "error"]
    if errors:
        listed = "; ".join(f"{check.name} ({count:,} rows)" for check, count in errors)
        raise BuildError(f"data checks failed, previous warehouse kept: {listed}")
    warnings = [
        {
            "check": check.name,
            "rows": count,
            "why": check.why,
            "examples": [{"key": r["key"], "value": r["value"]} for r in rows if r["check"] == check.name][:20],
        }
        for check, count in warned
    ]
    return len(checks) - len(failures), warnings, tested
