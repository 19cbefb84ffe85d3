"""Extract: land the files of a folder of saved pages, unchanged, in the ``raw_page`` table."""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from flows.layout import LANDING_TABLE, Warehouse, utc_now, write_parquet_atomic

RAW_PAGE_SCHEMA = {
    "source_uri": pl.String,
    "source": pl.String,
    "sha256": pl.String,
    "bytes": pl.Int64,
    "mtime_ns": pl.Int64,
    "fetched_at": pl.Datetime("us"),
    "run_id": pl.String,
    "content": pl.Binary,
}


@dataclass
class LandingReport:
    """What one landing run saw and kept."""

    source: str
    files_seen: int = 0
    unchanged: int = 0
    landed_new: int = 0
    landed_changed: int = 0
    same_content: int = 0
    bytes_landed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def source_files(root: Path) -> list[tuple[Path, int, int]]:
    """Every regular file under ``root`` (recursive, symlinks not followed): path, size, mtime."""
    if not root.is_dir():
        raise FileNotFoundError(f"source folder not found: {root}")
    found = []
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            st = path.lstat()
            if path.is_symlink() or not path.is_file():
                continue
            found.append((path, st.st_size, st.st_mtime_ns))
    # Copies of a page in several mirrors or builds share a file name: landing them side by side
    # puts them in the same batch, where the parse reads their common content once.
    found.sort(key=lambda item: (item[0].name, str(item[0])))
    return found


def landed_index(warehouse: Warehouse) -> pl.DataFrame:
    """The latest landed version of each ``source_uri``: size, mtime and hash."""
    files = warehouse.landed_files()
    if not files:
        return pl.DataFrame(schema={k: RAW_PAGE_SCHEMA[k] for k in ("source_uri", "sha256", "bytes", "mtime_ns")})
    return (
        pl.scan_parquet(files)
        .select("source_uri", "sha256", "bytes", "mtime_ns", "fetched_at")
        .sort("fetched_at")
        .group_by("source_uri")
        .last()
        .drop("fetched_at")
        .collect()
    )


def land_folder(source: Path, warehouse: Warehouse, run_id: str, chunk_pages: int = 1000) -> LandingReport:
    """Land new and changed files of ``source`` into ``raw_page``, ``chunk_pages`` per Parquet file.

    A file whose path, size and mtime match its last landing is not read again; a file read again
    whose content hash is unchanged is not landed twice.
    """
    source = source.expanduser().resolve()
    report = LandingReport(source=source.as_uri())
    known = {row[0]: row[1:] for row in landed_index(warehouse).iter_rows()}
    rows: list[dict] = []
    part = 0
    fetched_at = utc_now()

    def flush() -> None:
        nonlocal part, rows
        if rows:
            frame = pl.DataFrame(rows, schema=RAW_PAGE_SCHEMA)
            write_parquet_atomic(frame, warehouse.table_dir(LANDING_TABLE) / f"part-{run_id}-{part:05d}.parquet")
            part += 1
            rows = []

    for path, size, mtime_ns in source_files(source):
        report.files_seen += 1
        uri = path.as_uri()
        previous = known.get(uri)
        if previous is not None and previous[1] == size and previous[2] == mtime_ns:
            report.unchanged += 1
            continue
        content = path.read_bytes()
        sha = hashlib.sha256(content).hexdigest()
        if previous is not None and previous[0] == sha:
            report.same_content += 1
            continue
        if previous is None:
            report.landed_new += 1
        else:
            report.landed_changed += 1
        report.bytes_landed += len(content)
        rows.append(
            {
                "source_uri": uri,
                "source": report.source,
                "sha256": sha,
                "bytes": len(content),
                "mtime_ns": mtime_ns,
                "fetched_at": fetched_at,
                "run_id": run_id,
                "content": content,
            }
        )
        if len(rows) >= chunk_pages:
            flush()
    flush()
    return report
