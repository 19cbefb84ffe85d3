"""Extract: land the pages of a source (folder, archive, CSV dump, HTTP mirror), unchanged, in ``raw_page``."""

from __future__ import annotations

import functools
import hashlib
import os
import stat
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
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
    return pl.scan_parquet(files, glob=False)


def landed_index(warehouse: Warehouse, *, fresh: bool = False) -> pl.DataFrame:
    """The latest landed version of each ``source_uri``: size, mtime and hash (none when ``fresh``).

    Latest: the last landed, by landing time and then landing order (two members of one name in
    one archive land in the same run)."""
    files = [] if fresh else warehouse.landed_files()
    if not files:
        return pl.DataFrame(schema={k: RAW_PAGE_SCHEMA[k] for k in ("source_uri", "sha256", "bytes", "mtime_ns")})
    return (
        pl.scan_parquet(files, glob=False)
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
        pl.scan_parquet(files, glob=False)
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
# Reads in flight at once (threads): small files come off the disk faster with several reads
# queued, and SHA-256 (hashlib) releases the GIL, so the threads also hash on every core.
READ_THREADS = 8
# A folder's files go to the read threads in batches (fewer hand-overs between threads, which
# hold the GIL): at most this many pages or bytes (listed sizes) a batch.
READ_BATCH_PAGES = 16
READ_BATCH_BYTES = 4 * 2**20
# Pages read ahead of the one being landed: at most this many bytes (by their listed sizes) and
# pages, and at least one page.
READ_AHEAD_BYTES = 64 * 2**20
READ_AHEAD_PAGES = 1024
# A raw_page file is handed to the writer at ``chunk_pages`` pages or this many bytes, whichever
# comes first; at most this many handed files wait for the writer, so a writer slower than the
# reads holds back the reads instead of memory filling up.
CHUNK_BYTES = 256 * 2**20
# Threads that compress and write raw_page files, one file each (zstd, as ``write_parquet_atomic``).
WRITE_THREADS = 2
LANDING_COMPRESSION = "zstd"
# What a killed landing of a local source may lose, at most: the pages read since this many seconds.
FLUSH_SECONDS = 5.0


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
    ``parallel``: ``read`` may run in a worker thread, beside the reads of other entries and after
    later entries were listed (a file of a folder). Otherwise it runs in the landing's thread, in
    order, before the next entry is asked for (an archive's member, streamed; an HTTP page).
    """

    uri: str
    size: int
    mtime_ns: int
    read: Callable[[], bytes]
    sha256: str | None = None
    error: str | None = None
    counter: str = "fetch_failed"
    whole: bool = False
    parallel: bool = False


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
        yield Entry(path.as_uri(), size, mtime_ns, functools.partial(read_file, path), parallel=True)


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
    Pages land at least every ``FLUSH_SECONDS`` (an HTTP mirror: its own ``FLUSH_SECONDS``).
    """
    text = str(source)
    if text.startswith(("http://", "https://")):
        from flows.http_source import FLUSH_SECONDS as HTTP_FLUSH_SECONDS
        from flows.http_source import CrawlLimits, http_entries

        limits = CrawlLimits.configured()
        entries = http_entries(text, warehouse, rate=rate, concurrency=concurrency, fresh=fresh, limits=limits)
        report = land_entries(
            text, entries, warehouse, run_id, chunk_pages, fresh=fresh, flush_seconds=HTTP_FLUSH_SECONDS
        )
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
    elif is_archive(path):
        entries = archive_entries(path)
    elif path.is_file() and path.name.lower().endswith(CSV_SUFFIXES):
        from flows.csv_source import csv_entries

        entries = csv_entries(path)
    elif path.exists():
        raise FileNotFoundError(
            f"source is neither a folder, an archive ({', '.join(ARCHIVE_SUFFIXES)}), a cables.csv dump "
            f"nor an http(s):// URL: {path}"
        )
    else:
        raise FileNotFoundError(f"source not found: {path}")
    return land_entries(
        path.as_uri(), entries, warehouse, run_id, chunk_pages, fresh=fresh, flush_seconds=FLUSH_SECONDS
    )


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
    """Land new and changed pages into ``raw_page``, ``chunk_pages`` per Parquet file (fewer when
    they pass ``CHUNK_BYTES``), and at least every ``flush_seconds`` when given (a killed landing
    then loses only that much reading).

    A page whose URI, size and mtime match its last landing is not read again; a page read again
    whose content hash is one it was landed with is not landed twice (changed back, or a second
    member of one name in an archive). An entry the source could not deliver (``error``, or a read
    that fails: see ``UnreadableEntry``) is counted in the report (``fetch_failed``,
    ``not_regular``, ``unreadable``, ``truncated``) and written to ``fetch_failure`` with its
    reason, in the same flushes as the pages; so is a page over ``MAX_PAGE_BYTES`` (counted
    ``too_large``). Each is then a ``reject`` row. A failure other than a fetch is recorded once
    while it stays the same (a FIFO seen at every build is one row), so a build with nothing new
    writes nothing.

    In parallel, one pass over each page: ``READ_THREADS`` threads read and hash the pages of
    ``parallel`` entries (a folder's files, in batches of ``READ_BATCH_PAGES``; others are read in
    this thread, in order, and only hashed in the threads), at most ``READ_AHEAD_BYTES`` and
    ``READ_AHEAD_PAGES`` ahead of the page being landed, while ``WRITE_THREADS`` threads compress
    and write the chunks before (one file each; at most that many chunks wait for them). Every
    decision and every row is still taken in the entries' order: the files, their rows, the
    report and the failures are those of a landing one page at a time (an entry whose URI is
    still being read waits for it, as a second member of one name in an archive is compared with
    the first), and each file is moved into place after the one before it, so a killed landing
    leaves its first files whole and none after a gap.
    """
    report = LandingReport(source=source_uri)
    known = {row[0]: row[1:] for row in landed_index(warehouse, fresh=fresh).iter_rows()}
    contents = earlier_contents(warehouse, fresh=fresh)
    # The failure that stands for each URI: a failure seen again unchanged is not recorded again.
    standing = latest_failures(warehouse, fresh=fresh)
    pages = _Chunk()
    failures: list[dict] = []
    part = failure_part = 0
    fetched_at = utc_now()
    flushed_at = time.monotonic()
    reads = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="landing-read")
    writes = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="landing-write")
    # Entries taken from the source and not yet landed, in order, with their read (None: no read).
    queue: deque[tuple[Entry, Future | _BatchRead | None]] = deque()
    batch: _Batch | None = None  # the reads of parallel entries being gathered for one read thread
    queued_bytes = 0
    queued_uris: Counter[str] = Counter()
    written: deque[Future] = deque()

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
        """Hand the chunk and the failures to the writer (files numbered in order, written in order)."""
        nonlocal part, pages, failure_part, failures, flushed_at
        flushed_at = time.monotonic()
        if not pages.uris and not failures:
            return
        page_path = failure_path = None
        if pages.uris:
            page_path = warehouse.table_dir(LANDING_TABLE) / f"part-{run_id}-{part:05d}.parquet"
            part += 1
        if failures:
            failure_path = warehouse.table_dir(FETCH_FAILURE_TABLE) / f"part-{run_id}-{failure_part:05d}.parquet"
            failure_part += 1
        before = written[-1] if written else None
        written.append(
            writes.submit(
                _write_chunk, pages, page_path, failures, failure_path, report.source, fetched_at, run_id, before
            )
        )
        pages, failures = _Chunk(), []
        while len(written) > WRITE_THREADS:  # memory stays bounded when the writers are the slower
            written.popleft().result()

    def land(entry: Entry, read: Future | _BatchRead | None) -> None:
        """Land one entry taken from the source, in the source's order: ``read`` is its pages' read."""
        if entry.whole:
            if standing.get(entry.uri) is not None:
                record(entry.uri, None)
            return
        if entry.error is not None:
            setattr(report, entry.counter, getattr(report, entry.counter) + 1)
            record(entry.uri, entry.error, every_time=entry.counter == "fetch_failed")
            if len(failures) >= chunk_pages:
                flush()
            return
        if read is None:  # decided when it was taken: unchanged, or too large to read
            if entry.size > MAX_PAGE_BYTES:
                refuse(entry.uri, entry.size)
            else:
                report.unchanged += 1
            return
        try:
            content, size, sha = read.result()
        except UnreadableEntry as exc:
            setattr(report, exc.counter, getattr(report, exc.counter) + 1)
            record(exc.uri or entry.uri, exc.reason)
            return
        if content is None:
            refuse(entry.uri, size)
            return
        sha = entry.sha256 or sha
        previous = known.get(entry.uri)
        if previous is not None and (previous[0] == sha or sha in contents.get(entry.uri, ())):
            report.same_content += 1
            return
        if previous is None:
            report.landed_new += 1
        else:
            report.landed_changed += 1
            contents.setdefault(entry.uri, {previous[0]}).add(sha)
        # Seen again in this run (a second member of the same name): compared with this landing.
        known[entry.uri] = (sha, entry.size, entry.mtime_ns)
        report.bytes_landed += size
        pages.add(entry.uri, sha, size, entry.mtime_ns, content)
        if len(pages.uris) >= chunk_pages or pages.bytes >= CHUNK_BYTES:
            flush()

    def land_next() -> None:
        """Land the oldest entry in the queue, waiting for its read."""
        nonlocal queued_bytes
        entry, read = queue.popleft()
        queued_uris[entry.uri] -= 1
        if not queued_uris[entry.uri]:
            del queued_uris[entry.uri]
        if read is not None:
            queued_bytes -= entry.size
        land(entry, read)

    def land_all() -> None:
        while queue:
            land_next()

    def take(entry: Entry) -> None:
        """Start the read an entry needs (or none), and queue it behind the entries taken before."""
        nonlocal queued_bytes, batch
        read: Future | _BatchRead | None = None
        if not entry.whole and entry.error is None:
            previous = known.get(entry.uri)
            unchanged = (
                previous is not None
                and entry.sha256 is None
                and previous[1] == entry.size
                and previous[2] == entry.mtime_ns
            )
            if not unchanged and entry.size <= MAX_PAGE_BYTES:
                if not entry.parallel:
                    read = _read_here(entry, reads)
                else:
                    if batch is None or batch.future is not None:  # none, or sent while being gathered
                        batch = _Batch(reads)
                    read = batch.add(entry)
                    if len(batch.entries) >= READ_BATCH_PAGES or batch.bytes >= READ_BATCH_BYTES:
                        batch.send()
                        batch = None
        if read is None and not queue:
            land(entry, None)  # nothing in flight before it: landed at once (a re-run's unchanged files)
            return
        queue.append((entry, read))
        queued_uris[entry.uri] += 1
        if read is not None:
            queued_bytes += entry.size
            if not entry.parallel and read.done() and read.exception() is not None:
                land_all()  # a read of this thread that failed: reported now, as before any next entry
        # Land what is ready in order, and wait for the oldest read while too much is read ahead.
        while queue and (
            queue[0][1] is None
            or queue[0][1].done()
            or queued_bytes > READ_AHEAD_BYTES
            or len(queue) > READ_AHEAD_PAGES
        ):
            land_next()

    try:
        for entry in entries:
            if flush_seconds is not None and time.monotonic() - flushed_at >= flush_seconds:
                land_all()
                flush()
            if entry.whole or entry.uri in queued_uris:
                land_all()  # compared with what the earlier entry of its URI landed
            if not entry.whole:
                report.files_seen += 1
            take(entry)
        land_all()
        flush()
        while written:
            written.popleft().result()
    finally:
        reads.shutdown(wait=True, cancel_futures=True)
        writes.shutdown(wait=True)  # files handed over are written whole, or not at all
    return report


class _Chunk:
    """The pages of one ``raw_page`` file being gathered, column by column."""

    def __init__(self) -> None:
        self.uris: list[str] = []
        self.shas: list[str] = []
        self.sizes: list[int] = []
        self.mtimes: list[int] = []
        self.contents: list[bytes] = []
        self.bytes = 0

    def add(self, uri: str, sha: str, size: int, mtime_ns: int, content: bytes) -> None:
        self.uris.append(uri)
        self.shas.append(sha)
        self.sizes.append(size)
        self.mtimes.append(mtime_ns)
        self.contents.append(content)
        self.bytes += size


class _Batch:
    """Reads of ``parallel`` entries handed to one read thread together, once gathered (``send``)."""

    def __init__(self, reads: ThreadPoolExecutor) -> None:
        self.reads = reads
        self.entries: list[Entry] = []
        self.bytes = 0
        self.future: Future | None = None

    def add(self, entry: Entry) -> _BatchRead:
        self.entries.append(entry)
        self.bytes += entry.size
        return _BatchRead(self, len(self.entries) - 1)

    def send(self) -> None:
        if self.future is None:
            self.future = self.reads.submit(_read_pages, self.entries)


class _BatchRead:
    """The read of one entry of a batch, as a future of it (``done``, ``result``)."""

    __slots__ = ("batch", "index")

    def __init__(self, batch: _Batch, index: int) -> None:
        self.batch, self.index = batch, index

    def done(self) -> bool:
        return self.batch.future is not None and self.batch.future.done()

    def result(self) -> tuple[bytes | None, int, str | None]:
        self.batch.send()  # still being gathered: sent as it is, and waited for
        assert self.batch.future is not None
        outcome = self.batch.future.result()[self.index]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def _read_pages(entries: list[Entry]) -> list[tuple[bytes | None, int, str | None] | Exception]:
    """The outcome of ``_read_page`` for each entry, in order: what it returned, or what it raised."""
    outcomes: list[tuple[bytes | None, int, str | None] | Exception] = []
    for entry in entries:
        try:
            outcomes.append(_read_page(entry))
        except Exception as exc:  # UnreadableEntry, or what the landing then raises, in its order
            outcomes.append(exc)
    return outcomes


def _read_page(entry: Entry) -> tuple[bytes | None, int, str | None]:
    """A page's bytes, size and SHA-256 (``entry.sha256`` when the source gave it); no bytes and
    no hash when it is over ``MAX_PAGE_BYTES``. Runs in a read thread for a ``parallel`` entry."""
    return _digest(entry, entry.read())


def _digest(entry: Entry, content: bytes) -> tuple[bytes | None, int, str | None]:
    if len(content) > MAX_PAGE_BYTES:
        return None, len(content), None
    return content, len(content), entry.sha256 or hashlib.sha256(content).hexdigest()


def _read_here(entry: Entry, reads: ThreadPoolExecutor) -> Future:
    """Read an entry in this thread, now (an archive member is readable only until the next one is
    asked for), and hash it in a read thread; a failed read is the future's exception."""
    try:
        content = entry.read()
    except Exception as exc:  # UnreadableEntry, or what the landing then raises, in its order
        done: Future = Future()
        done.set_exception(exc)
        return done
    if entry.sha256 is not None or len(content) > MAX_PAGE_BYTES:
        done = Future()
        done.set_result(_digest(entry, content))
        return done
    return reads.submit(_digest, entry, content)


def _write_chunk(
    pages: _Chunk,
    page_path: Path | None,
    failures: list[dict],
    failure_path: Path | None,
    source: str,
    fetched_at: datetime,
    run_id: str,
    before: Future | None,
) -> None:
    """Write one chunk of pages to ``raw_page`` and the failures beside it (a writer thread).

    The chunk is compressed into a temporary file beside its place, beside the chunk before it,
    and moved into place (one rename) once ``before`` (the chunk before's write) is in place: the
    files of a landing appear in their order, whole, and none after one that failed."""
    tmp = None
    try:
        if page_path is not None:
            count = len(pages.uris)
            frame = pl.DataFrame(
                {
                    "source_uri": pages.uris,
                    "source": [source] * count,
                    "sha256": pages.shas,
                    "bytes": pages.sizes,
                    "mtime_ns": pages.mtimes,
                    "fetched_at": [fetched_at] * count,
                    "run_id": [run_id] * count,
                    "content": pages.contents,
                },
                schema=RAW_PAGE_SCHEMA,
            )
            pages.contents.clear()  # the frame holds its own copy
            page_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = page_path.with_name(f".{page_path.name}.{uuid.uuid4().hex[:8]}.tmp")
            frame.write_parquet(tmp, compression=LANDING_COMPRESSION, statistics=True)
            del frame
        if before is not None:
            before.result()  # raises what the write before raised: this one is not moved in after a gap
        if tmp is not None and page_path is not None:
            os.replace(tmp, page_path)
            tmp = None
            crash_point("land")
        if failure_path is not None:
            write_parquet_atomic(pl.DataFrame(failures, schema=FETCH_FAILURE_SCHEMA), failure_path)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
