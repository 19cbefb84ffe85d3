"""Extract: land the pages of a source (folder, archive, CSV dump, HTTP mirror), unchanged, in ``raw_page``."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

import polars as pl

from flows.layout import FETCH_FAILURE_TABLE, LANDING_TABLE, Warehouse, crash_point, utc_now, write_parquet_atomic

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
# One row per page a source could not deliver (an HTTP mirror: 500s after retries, truncated or
# oversized bodies, redirect loops, ...): it was seen but never landed, and the reason says why.
FETCH_FAILURE_SCHEMA = {
    "source_uri": pl.String,
    "source": pl.String,
    "reason": pl.String,
    "fetched_at": pl.Datetime("us"),
    "run_id": pl.String,
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
    too_large: int = 0
    fetch_failed: int = 0

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


def fetch_failures(warehouse: Warehouse, files: list[Path] | None = None) -> pl.LazyFrame:
    """Every fetch failure recorded in ``files`` (default: the live files of ``fetch_failure``);
    an empty frame of that schema when none."""
    files = warehouse.fetch_failure_files() if files is None else files
    if not files:
        return pl.LazyFrame(schema=FETCH_FAILURE_SCHEMA)
    return pl.scan_parquet(files)


def landed_index(warehouse: Warehouse, *, fresh: bool = False) -> pl.DataFrame:
    """The latest landed version of each ``source_uri``: size, mtime and hash (none when ``fresh``)."""
    files = [] if fresh else warehouse.landed_files()
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


# A page larger than this is not read (a real viewer page is 50-200 KB), so an archive bomb cannot
# exhaust memory: it is counted in the report as ``too_large`` and becomes a ``reject`` row.
MAX_PAGE_BYTES = 64 * 1024 * 1024
# Archives read member by member, streamed (libarchive): every format of the release's torrents.
# The full release's CSV dump (cables.csv), plain or compressed.
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.xz", ".csv.bz2")
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".zip", ".7z")


@dataclass(frozen=True)
class Entry:
    """One page of a source: where it is, its size and mtime, and how to read its bytes.

    ``sha256``: the content's hash when the source already holds the bytes (an HTTP body): the
    landing then compares hashes, never size and mtime alone. ``error``: why the source could not
    deliver the page (a fetch failure); such an entry is recorded in ``fetch_failure``, not read.
    """

    uri: str
    size: int
    mtime_ns: int
    read: Callable[[], bytes]
    sha256: str | None = None
    error: str | None = None


def is_archive(path: Path) -> bool:
    """Whether ``path`` names an archive file the landing can read."""
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def folder_entries(root: Path) -> Iterator[Entry]:
    """The files of a folder, in landing order (see ``source_files``)."""
    for path, size, mtime_ns in source_files(root):
        yield Entry(path.as_uri(), size, mtime_ns, path.read_bytes)


def archive_entries(archive: Path) -> Iterator[Entry]:
    """The regular-file members of an archive, streamed in archive order; nothing is unpacked to disk.

    A member's URI is the archive's URI, ``!/`` and the member's path as stored (URL-quoted),
    so a ``../`` or absolute member name is only a name: it is never a path written to.
    Links, folders and devices are skipped. ``read`` must be called before the next entry.
    """
    import libarchive

    base = archive.as_uri()
    with libarchive.file_reader(str(archive)) as members:
        for member in members:
            if not member.isfile or member.issym or member.islnk:
                continue
            size = member.size or 0
            uri = f"{base}!/{quote(member.pathname or '', safe='/')}"

            def read(member=member) -> bytes:
                # Declared sizes can lie: stop reading one block past the page size cap.
                blocks, total = [], 0
                for block in member.get_blocks():
                    blocks.append(bytes(block))
                    total += len(block)
                    if total > MAX_PAGE_BYTES:
                        break
                return b"".join(blocks)

            yield Entry(uri, size, int(member.mtime or 0) * 1_000_000_000, read)


def land_source(
    source: str | Path,
    warehouse: Warehouse,
    run_id: str,
    chunk_pages: int = 1000,
    *,
    rate: float = 2.0,
    concurrency: int = 4,
    fresh: bool = False,
) -> LandingReport:
    """Land a folder of saved pages, an archive of them (see ``ARCHIVE_SUFFIXES``), a ``cables.csv``
    dump, or an ``http(s)://`` mirror (fetched at ``rate`` requests/s, ``concurrency`` at a time).

    ``fresh`` (``--full-rebuild``): land every page again, as if nothing had been landed before.
    """
    text = str(source)
    if text.startswith(("http://", "https://")):
        from flows.http_source import http_entries

        entries = http_entries(text, warehouse, rate=rate, concurrency=concurrency, fresh=fresh)
        return land_entries(text, entries, warehouse, run_id, chunk_pages, fresh=fresh)
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        return land_entries(path.as_uri(), folder_entries(path), warehouse, run_id, chunk_pages, fresh=fresh)
    if is_archive(path):
        return land_entries(path.as_uri(), archive_entries(path), warehouse, run_id, chunk_pages, fresh=fresh)
    if path.is_file() and path.name.lower().endswith(CSV_SUFFIXES):
        from flows.csv_source import csv_entries

        return land_entries(path.as_uri(), csv_entries(path), warehouse, run_id, chunk_pages, fresh=fresh)
    if path.exists():
        raise FileNotFoundError(
            f"source is neither a folder, an archive ({', '.join(ARCHIVE_SUFFIXES)}), a cables.csv dump "
            f"nor an http(s):// URL: {path}"
        )
    raise FileNotFoundError(f"source not found: {path}")


def land_entries(
    source_uri: str,
    entries: Iterator[Entry],
    warehouse: Warehouse,
    run_id: str,
    chunk_pages: int = 1000,
    *,
    fresh: bool = False,
) -> LandingReport:
    """Land new and changed pages into ``raw_page``, ``chunk_pages`` per Parquet file.

    A page whose URI, size and mtime match its last landing is not read again; a page read again
    whose content hash is unchanged is not landed twice. An entry the source could not deliver
    (``error``) is counted as ``fetch_failed`` and written to ``fetch_failure`` with its reason,
    in the same flushes as the pages; so is a page over ``MAX_PAGE_BYTES`` (counted ``too_large``,
    recorded once per size), which is then a ``reject`` row.
    """
    report = LandingReport(source=source_uri)
    known = {row[0]: row[1:] for row in landed_index(warehouse, fresh=fresh).iter_rows()}
    # Pages refused for their size are recorded once per size: seen again unchanged, not again.
    refused = set() if fresh else set(fetch_failures(warehouse).select("source_uri", "reason").collect().iter_rows())
    rows: list[dict] = []
    failures: list[dict] = []
    part = failure_part = 0
    fetched_at = utc_now()

    def refuse(uri: str, size: int) -> None:
        """A page over the size cap: not read, recorded as a failure (a ``reject`` row, nothing lost)."""
        report.too_large += 1
        reason = f"too large: {size:,} bytes, over the {MAX_PAGE_BYTES // 2**20} MB page limit (not read)"
        if (uri, reason) not in refused:
            refused.add((uri, reason))
            failures.append(
                {
                    "source_uri": uri,
                    "source": report.source,
                    "reason": reason,
                    "fetched_at": fetched_at,
                    "run_id": run_id,
                }
            )

    def flush() -> None:
        nonlocal part, rows, failure_part, failures
        if rows:
            frame = pl.DataFrame(rows, schema=RAW_PAGE_SCHEMA)
            write_parquet_atomic(frame, warehouse.table_dir(LANDING_TABLE) / f"part-{run_id}-{part:05d}.parquet")
            crash_point("land")
            part += 1
            rows = []
        if failures:
            frame = pl.DataFrame(failures, schema=FETCH_FAILURE_SCHEMA)
            path = warehouse.table_dir(FETCH_FAILURE_TABLE) / f"part-{run_id}-{failure_part:05d}.parquet"
            write_parquet_atomic(frame, path)
            failure_part += 1
            failures = []

    for entry in entries:
        report.files_seen += 1
        if entry.error is not None:
            report.fetch_failed += 1
            failures.append(
                {
                    "source_uri": entry.uri,
                    "source": report.source,
                    "reason": entry.error,
                    "fetched_at": fetched_at,
                    "run_id": run_id,
                }
            )
            if len(failures) >= chunk_pages:
                flush()
            continue
        previous = known.get(entry.uri)
        if (
            previous is not None
            and entry.sha256 is None
            and previous[1] == entry.size
            and previous[2] == entry.mtime_ns
        ):
            report.unchanged += 1
            continue
        if entry.size > MAX_PAGE_BYTES:
            refuse(entry.uri, entry.size)
            continue
        content = entry.read()
        if len(content) > MAX_PAGE_BYTES:
            refuse(entry.uri, len(content))
            continue
        sha = entry.sha256 or hashlib.sha256(content).hexdigest()
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
                "source_uri": entry.uri,
                "source": report.source,
                "sha256": sha,
                "bytes": len(content),
                "mtime_ns": entry.mtime_ns,
                "fetched_at": fetched_at,
                "run_id": run_id,
                "content": content,
            }
        )
        if len(rows) >= chunk_pages:
            flush()
    flush()
    return report
