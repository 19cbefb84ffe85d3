"""Extract: land the pages of a source (folder, archive, CSV dump, HTTP mirror), unchanged, in ``raw_page``."""

from __future__ import annotations

import functools
import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

import polars as pl

from flows.layout import (
    FETCH_FAILURE_TABLE,
    LANDING_TABLE,
    BuildError,
    Warehouse,
    crash_point,
    utc_now,
    write_parquet_atomic,
)

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
# oversized bodies, redirect loops, ...; a local file that is no regular file, vanished or could
# not be read; the unreadable rest of a damaged archive): it was seen but never landed, and the
# reason says why. A null reason records that an earlier failure no longer stands (an archive
# read whole again): the latest row of a ``source_uri`` is what holds.
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
    # Entries of a local source that are no regular file (symlinks, FIFOs, devices, sockets): never read.
    not_regular: int = 0
    # Files (or folders) that could not be read: deleted during the landing, no permission, ...
    unreadable: int = 0
    # Archives that could not be read to their end (truncated or damaged): their whole members land.
    truncated: int = 0
    # HTTP sources: why the crawl stopped before its end (a cap hit), None when it went to the end.
    crawl_stopped: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def source_files(root: Path) -> list[tuple[Path, int, int]]:
    """Every regular file under ``root`` (any depth, symlinks not followed): path, size, mtime."""
    return scan_folder(root)[0]


def scan_folder(root: Path, skip: Path | None = None) -> tuple[list[tuple[Path, int, int]], list[tuple[Path, str]]]:
    """The regular files under ``root`` (path, size, mtime) in landing order, and every other entry
    with the reason it is not read (path, reason).

    The walk keeps its own stack of folders, so a tree of any depth is walked (``os.walk``
    recurses, and raises ``RecursionError`` a thousand folders down). Symlinks are never followed,
    to a file or a folder, inside the source or out of it: a link out could land any file of the
    machine (``/etc/passwd``, a key) into a warehouse others read, and a link inside only repeats
    a file landed by its own path. Links, FIFOs, devices and sockets are listed as ``not a regular
    file: <kind>`` and never opened (reading a FIFO blocks); an entry gone since its folder was
    listed, or a folder that cannot be listed, is listed with the error. ``skip``: a folder not
    walked (the warehouse, when it lies inside its own source).
    """
    if not root.is_dir():
        raise FileNotFoundError(f"source folder not found: {root}")
    found: list[tuple[Path, int, int]] = []
    problems: list[tuple[Path, str]] = []
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                children = list(listing)
        except OSError as exc:  # no permission, gone, a path over PATH_MAX
            problems.append((folder, f"could not list the folder: {_os_error(exc)}"))
            continue
        for child in children:
            path = Path(child.path)
            try:
                mode = child.stat(follow_symlinks=False)
            except OSError as exc:  # deleted since the listing
                problems.append((path, f"could not read: {_os_error(exc)}"))
                continue
            if stat.S_ISDIR(mode.st_mode):
                if path != skip:
                    folders.append(path)
            elif stat.S_ISREG(mode.st_mode):
                found.append((path, mode.st_size, mode.st_mtime_ns))
            else:
                problems.append((path, f"not a regular file: {file_kind(mode.st_mode)}"))
    # Copies of a page in several mirrors or builds share a file name: landing them side by side
    # puts them in the same batch, where the parse reads their common content once.
    found.sort(key=lambda item: (item[0].name, str(item[0])))
    problems.sort(key=lambda item: str(item[0]))
    return found, problems


def file_kind(mode: int) -> str:
    """What a non-regular entry is, in the words of a reject's reason."""
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


def _os_error(exc: OSError) -> str:
    """An ``OSError`` without its path (the URI says which file): ``No such file or directory``."""
    return exc.strerror or type(exc).__name__


class UnreadableEntry(Exception):
    """An entry a source listed but could not deliver whole.

    ``reason`` is recorded in ``fetch_failure`` under ``uri`` (default: the entry's own) and
    counted in the report's ``counter``.
    """

    def __init__(self, reason: str, *, uri: str | None = None, counter: str = "unreadable") -> None:
        super().__init__(reason)
        self.reason, self.uri, self.counter = reason, uri, counter


def fetch_failures(warehouse: Warehouse, files: list[Path] | None = None) -> pl.LazyFrame:
    """Every fetch failure recorded in ``files`` (default: the live files of ``fetch_failure``);
    an empty frame of that schema when none."""
    files = warehouse.fetch_failure_files() if files is None else files
    if not files:
        return pl.LazyFrame(schema=FETCH_FAILURE_SCHEMA)
    return pl.scan_parquet(files)


def landed_index(warehouse: Warehouse, *, fresh: bool = False) -> pl.DataFrame:
    """The latest landed version of each ``source_uri``: size, mtime and hash (none when ``fresh``).

    Latest: the last landed, by landing time and then landing order (two members of one name in
    one archive land in the same run)."""
    files = [] if fresh else warehouse.landed_files()
    if not files:
        return pl.DataFrame(schema={k: RAW_PAGE_SCHEMA[k] for k in ("source_uri", "sha256", "bytes", "mtime_ns")})
    return (
        pl.scan_parquet(files)
        .select("source_uri", "sha256", "bytes", "mtime_ns", "fetched_at")
        .sort("fetched_at", maintain_order=True)
        .group_by("source_uri")
        .last()
        .drop("fetched_at")
        .collect()
    )


def earlier_contents(warehouse: Warehouse, *, fresh: bool = False) -> dict[str, set[str]]:
    """Every content hash landed for each ``source_uri`` landed more than once (none when ``fresh``).

    A file changed back to a content it had is not landed again: ``raw_page`` holds a content
    once per file (unique ``source_uri``, ``sha256``). Files landed once are left out (the
    latest hash of ``landed_index`` says it), so this stays small.
    """
    files = [] if fresh else warehouse.landed_files()
    if not files:
        return {}
    many = (
        pl.scan_parquet(files)
        .group_by("source_uri")
        .agg(pl.col("sha256").unique())
        .filter(pl.col("sha256").list.len() > 1)
        .collect()
    )
    return {uri: set(hashes) for uri, hashes in many.iter_rows()}


def latest_failures(warehouse: Warehouse, *, fresh: bool = False) -> dict[str, str | None]:
    """The latest recorded failure reason of each ``source_uri`` (None: it no longer stands)."""
    if fresh:
        return {}
    latest = (
        fetch_failures(warehouse)
        .select("source_uri", "fetched_at", "reason")
        .sort("fetched_at", maintain_order=True)
        .group_by("source_uri")
        .last()
        .collect()
    )
    return {uri: reason for uri, _, reason in latest.iter_rows()}


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
    deliver the page (a fetch failure); such an entry is recorded in ``fetch_failure``, not read,
    and counted in the report's ``counter``. A fetch failure is recorded at every attempt; any
    other (a local file that is no regular file, ...) once, while it stays what it was.
    ``whole``: not a page but the source's word that ``uri`` (an archive) was read to its end, so
    an earlier failure recorded under it no longer stands.
    """

    uri: str
    size: int
    mtime_ns: int
    read: Callable[[], bytes]
    sha256: str | None = None
    error: str | None = None
    counter: str = "fetch_failed"
    whole: bool = False


def is_archive(path: Path) -> bool:
    """Whether ``path`` names an archive file the landing can read."""
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def folder_entries(root: Path, skip: Path | None = None) -> Iterator[Entry]:
    """The files of a folder, in landing order (see ``scan_folder``); first, every entry that is not
    read, as a failure with its reason. ``skip``: a folder left out (the warehouse's own)."""
    files, problems = scan_folder(root, skip)
    for path, reason in problems:
        counter = "not_regular" if reason.startswith("not a regular file") else "unreadable"
        yield Entry(path.as_uri(), 0, 0, _never_read, error=reason, counter=counter)
    for path, size, mtime_ns in files:
        yield Entry(path.as_uri(), size, mtime_ns, functools.partial(read_file, path))


def _never_read() -> bytes:
    raise AssertionError("an entry with an error is never read")


def read_file(path: Path) -> bytes:
    """The bytes of a file that was regular when its folder was listed, at most one byte past the
    page cap (a file that grew since is refused, not read whole).

    Opened without following a symlink and without blocking, then checked again: a file replaced
    by a link or a FIFO since the listing is refused, never read (a FIFO would block the landing).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableEntry(f"could not read: {_os_error(exc)}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableEntry(f"not a regular file: {file_kind(mode)}", counter="not_regular")
        blocks, total = [], 0
        while total <= MAX_PAGE_BYTES:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            blocks.append(block)
            total += len(block)
        return b"".join(blocks)
    except OSError as exc:
        raise UnreadableEntry(f"could not read: {_os_error(exc)}") from None
    finally:
        os.close(fd)


def archive_entries(archive: Path) -> Iterator[Entry]:
    """The regular-file members of an archive, streamed in archive order; nothing is unpacked to disk.

    A member's URI is the archive's URI, ``!/`` and the member's path as stored (URL-quoted),
    so a ``../`` or absolute member name is only a name: it is never a path written to.
    Links, folders and devices are skipped. ``read`` must be called before the next entry.

    A truncated or damaged archive (libarchive fails in a member's bytes or in a header): the
    members before are landed, the one that fails is not, and the rest is one failure recorded
    under the archive's URI, ``archive truncated or damaged after member N: <error>`` (N: the
    members listed whole before). An archive read to its end yields a last entry ``whole``,
    which lifts that failure once the archive is complete again.
    """
    import libarchive
    from libarchive.exception import ArchiveError

    base = archive.as_uri()
    listed = 0
    broken = False

    def damaged(exc: ArchiveError, member: str | None = None) -> str:
        # The message alone: libarchive's str() carries a pointer, new at every run.
        message = str(exc.args[0]) if exc.args else type(exc).__name__
        where = f" (in {member})" if member else ""
        return f"archive truncated or damaged after member {listed}: {message}{where}"

    try:
        with libarchive.file_reader(str(archive)) as members:
            for member in members:
                if not member.isfile or member.issym or member.islnk:
                    continue
                size = member.size or 0
                name = member.pathname or ""
                uri = f"{base}!/{quote(name, safe='/')}"

                def read(member=member, name=name) -> bytes:
                    nonlocal broken
                    # Declared sizes can lie: stop reading one block past the page size cap.
                    blocks, total = [], 0
                    try:
                        for block in member.get_blocks():
                            blocks.append(bytes(block))
                            total += len(block)
                            if total > MAX_PAGE_BYTES:
                                break
                    except ArchiveError as exc:
                        broken = True
                        raise UnreadableEntry(damaged(exc, name), uri=base, counter="truncated") from None
                    return b"".join(blocks)

                yield Entry(uri, size, int(member.mtime or 0) * 1_000_000_000, read)
                if broken:  # recorded by the read: nothing after it can be read
                    return
                listed += 1
    except ArchiveError as exc:  # in a header, or in the bytes of a member skipped unread
        if not broken:
            yield Entry(base, 0, 0, _never_read, error=damaged(exc), counter="truncated")
        return
    yield Entry(base, 0, 0, _never_read, whole=True)


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
        from flows.http_source import FLUSH_SECONDS, CrawlLimits, http_entries

        limits = CrawlLimits.configured()
        entries = http_entries(text, warehouse, rate=rate, concurrency=concurrency, fresh=fresh, limits=limits)
        report = land_entries(text, entries, warehouse, run_id, chunk_pages, fresh=fresh, flush_seconds=FLUSH_SECONDS)
        report.crawl_stopped = limits.stopped
        return report
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        if warehouse.root == path:
            raise BuildError(f"the warehouse is the source folder ({path}): build it in a folder of its own")
        # A warehouse built inside its own source is not part of it: landing its files would add
        # them as rejects, changed at every build.
        skip = warehouse.root if path in warehouse.root.parents else None
        entries = folder_entries(path, skip)
        return land_entries(path.as_uri(), entries, warehouse, run_id, chunk_pages, fresh=fresh)
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
    flush_seconds: float | None = None,
) -> LandingReport:
    """Land new and changed pages into ``raw_page``, ``chunk_pages`` per Parquet file, and at least
    every ``flush_seconds`` when given (HTTP: a killed landing then loses only that much fetching).

    A page whose URI, size and mtime match its last landing is not read again; a page read again
    whose content hash is one it was landed with is not landed twice (changed back, or a second
    member of one name in an archive). An entry the source could not deliver (``error``, or a read
    that fails: see ``UnreadableEntry``) is counted in the report (``fetch_failed``,
    ``not_regular``, ``unreadable``, ``truncated``) and written to ``fetch_failure`` with its
    reason, in the same flushes as the pages; so is a page over ``MAX_PAGE_BYTES`` (counted
    ``too_large``). Each is then a ``reject`` row. A failure other than a fetch is recorded once
    while it stays the same (a FIFO seen at every build is one row), so a build with nothing new
    writes nothing.
    """
    report = LandingReport(source=source_uri)
    known = {row[0]: row[1:] for row in landed_index(warehouse, fresh=fresh).iter_rows()}
    contents = earlier_contents(warehouse, fresh=fresh)
    # The failure that stands for each URI: a failure seen again unchanged is not recorded again.
    standing = latest_failures(warehouse, fresh=fresh)
    rows: list[dict] = []
    failures: list[dict] = []
    part = failure_part = 0
    fetched_at = utc_now()
    flushed_at = time.monotonic()

    def record(uri: str, reason: str | None, *, every_time: bool = False) -> None:
        """Write a failure of ``uri`` (None: its last one no longer stands), unless it stands already."""
        if not every_time and standing.get(uri) == reason:
            return
        standing[uri] = reason
        failures.append(
            {
                "source_uri": uri,
                "source": report.source,
                "reason": reason,
                "fetched_at": fetched_at,
                "run_id": run_id,
            }
        )

    def refuse(uri: str, size: int) -> None:
        """A page over the size cap: not read, recorded as a failure (a ``reject`` row, nothing lost)."""
        report.too_large += 1
        record(uri, f"too large: {size:,} bytes, over the {MAX_PAGE_BYTES // 2**20} MB page limit (not read)")

    def flush() -> None:
        nonlocal part, rows, failure_part, failures, flushed_at
        flushed_at = time.monotonic()
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
        if flush_seconds is not None and time.monotonic() - flushed_at >= flush_seconds:
            flush()
        if entry.whole:
            if standing.get(entry.uri) is not None:
                record(entry.uri, None)
            continue
        report.files_seen += 1
        if entry.error is not None:
            setattr(report, entry.counter, getattr(report, entry.counter) + 1)
            record(entry.uri, entry.error, every_time=entry.counter == "fetch_failed")
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
        try:
            content = entry.read()
        except UnreadableEntry as exc:
            setattr(report, exc.counter, getattr(report, exc.counter) + 1)
            record(exc.uri or entry.uri, exc.reason)
            continue
        if len(content) > MAX_PAGE_BYTES:
            refuse(entry.uri, len(content))
            continue
        sha = entry.sha256 or hashlib.sha256(content).hexdigest()
        if previous is not None and (previous[0] == sha or sha in contents.get(entry.uri, ())):
            report.same_content += 1
            continue
        if previous is None:
            report.landed_new += 1
        else:
            report.landed_changed += 1
            contents.setdefault(entry.uri, {previous[0]}).add(sha)
        # Seen again in this run (a second member of the same name): compared with this landing.
        known[entry.uri] = (sha, entry.size, entry.mtime_ns)
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
