"""Transform and load: parse landed pages in batches, choose versions, write the tables."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from flows.layout import TABLES, BuildError, Warehouse, write_parquet_atomic
from flows.lookups import load_lookups
from transforms.cable import cable, current_version, distinct_versions
from transforms.parse import CHILD_TABLES, parsed_tables
from transforms.reject import reject


def plan_batches(files: list[Path], batches: int) -> list[list[Path]]:
    """Spread landed Parquet files over at most ``batches`` groups of similar size."""
    groups: list[list[Path]] = [[] for _ in range(max(1, min(batches, len(files))))]
    for i, path in enumerate(files):
        groups[i % len(groups)].append(path)
    return [g for g in groups if g]


def parse_batch(files: list[Path], out_dir: Path, batch: int) -> Path:
    """Parse the pages of some landed files; write each parsed table to ``out_dir/<table>/``."""
    raw = pl.read_parquet(files, columns=["sha256", "content"])
    for name, frame in parsed_tables(raw, load_lookups()).items():
        write_parquet_atomic(
            frame.with_columns(pl.lit(batch, pl.Int32).alias("batch")), out_dir / name / f"batch-{batch:05d}.parquet"
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
