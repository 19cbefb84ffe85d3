"""Transform and load: parse landed pages in batches, choose versions, write the tables."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq

from cables.checks import declared_checks, failed_checks
from flows.layout import LANDING_TABLE, TABLES, BuildError, Warehouse, write_parquet_atomic
from flows.lookups import load_lookups
from flows.serve import create_views
from transforms.cable import cable, current_version, distinct_versions
from transforms.cable_change import cable_change
from transforms.parse import CHILD_TABLES, parsed_tables
from transforms.reject import reject

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


def read_pieces(pieces: list[Piece], columns: list[str]) -> pl.DataFrame:
    """The rows of a batch, in order."""
    frames = [pl.scan_parquet(f).slice(offset, length).select(columns) for f, offset, length in pieces]
    return pl.concat(frames).collect() if frames else pl.DataFrame()


def parse_batch(pieces: list[Piece], out_dir: Path, batch: int) -> Path:
    """Parse the pages of one batch; write each parsed table to ``out_dir/<table>/``."""
    raw = read_pieces(pieces, ["sha256", "content"])
    for name, frame in parsed_tables(raw, load_lookups()).items():
        write_parquet_atomic(
            frame.with_columns(pl.lit(batch, pl.Int32).alias("batch")),
            out_dir / name / f"batch-{batch:05d}.parquet",
            compression="lz4",
        )
    return out_dir


def _scan(parsed_dir: Path, name: str) -> pl.LazyFrame:
    return pl.scan_parquet(parsed_dir / name / "*.parquet")


def publish_tables(warehouse: Warehouse, parsed_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write every published table into ``out_dir`` from the parsed batches and the landing.

    Checks that each landed page is a current cable, another version of one, or a reject, and
    raises :class:`BuildError` (nothing published) when the counts do not reconcile.
    """
    landed = pl.scan_parquet(warehouse.landed_files()).select("source_uri", "sha256", "bytes", "fetched_at")
    pages = _scan(parsed_dir, "page").unique("sha256", keep="first")
    # One row per cable content; a content found in several batches keeps the first batch's rows.
    versions = (
        _scan(parsed_dir, "cable_version").sort("batch").unique("content_sha256", keep="first", maintain_order=True)
    )
    page_version = current_version(pages.filter(pl.col("reject_reason").is_null()), landed).collect()
    current = page_version.lazy().filter(pl.col("status") == "current").select("reference_id", "content_sha256")
    owner = versions.select("content_sha256", "batch").join(current, on="content_sha256")

    frames: dict[str, pl.LazyFrame] = {
        "page_version": page_version.lazy(),
        "cable_version": distinct_versions(page_version.lazy()),
        "cable_change": cable_change(
            distinct_versions(page_version.lazy())
            .select("reference_id", "content_sha256", "version_rank", "build_stamp")
            .join(versions.drop("reference_id", "build_stamp", strict=False), on="content_sha256")
        ),
        "cable": cable(versions, page_version.lazy()),
        "reject": reject(landed, pages),
        # Article links are facts about the cable, whichever build printed them.
        "media_link": _scan(parsed_dir, "media_link")
        .unique(["reference_id", "url"], keep="first")
        .select("reference_id", "url", "host")
        .sort("reference_id", "url"),
    }
    for name in CHILD_TABLES:
        child = _scan(parsed_dir, name).join(owner, on=["reference_id", "content_sha256", "batch"], how="semi")
        key = [c for c in ("reference_id", "position", "part") if c in child.collect_schema().names()]
        frames[name] = child.drop("content_sha256", "batch").sort(key)

    counts: dict[str, int] = {}
    for name in TABLES:
        frame = frames[name].collect()
        counts[name] = frame.height
        write_parquet_atomic(frame, out_dir / name / "part-00000.parquet")

    landed_pages = landed.select(pl.len()).collect().item()
    accounted = counts["page_version"] + counts["reject"]
    current_pages = page_version.filter(pl.col("status") == "current").height
    if accounted != landed_pages or current_pages != counts["cable"]:
        raise BuildError(
            f"pages do not reconcile: {landed_pages} landed, {counts['cable']} cables + "
            f"{counts['page_version'] - current_pages} other versions + {counts['reject']} rejects"
        )
    counts["raw_page"] = landed_pages
    return counts


def check_staged_tables(warehouse: Warehouse, tables_dir: Path, sql_dir: Path) -> int:
    """Run the data tests of ``sql/schema.yml`` on the staged tables, before they are published.

    Raises :class:`BuildError` naming every failed check (nothing is published then); returns
    the number of checks that passed.
    """
    checks = declared_checks(sql_dir / "schema.yml")
    globs = {LANDING_TABLE: warehouse.table_glob(LANDING_TABLE)}
    globs |= {table: str(tables_dir / table / "*.parquet") for table in TABLES}
    with duckdb.connect() as con:
        create_views(con, globs, sql_dir)
        failures = failed_checks(con, checks)
    if failures:
        listed = "; ".join(f"{check.name} ({count:,} rows)" for check, count in failures)
        raise BuildError(f"data checks failed, previous warehouse kept: {listed}")
    return len(checks)
