"""The warehouse folder: table folders, manifest, lock, and atomic Parquet writes."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

# Bump when a published table changes shape: tables are then re-parsed from the landed pages.
SCHEMA_VERSION = 5
# Bump when ``raw_page`` changes shape: older landings then need a full rebuild from sources.
LANDING_VERSION = 1

LANDING_TABLE = "raw_page"
# Pages a source could not deliver (HTTP fetch failures), beside the landing: source_uri, reason.
FETCH_FAILURE_TABLE = "fetch_failure"
TABLES = (
    "cable",
    "recipient",
    "tag",
    "reference",
    "paragraph",
    "cable_version",
    "cable_change",
    "page_version",
    "media_link",
    "reject",
)
# Tables of cable rows are cut into one folder per year of the reference id (``year=2009/``), and
# a year into files of about 10,000 of the release's cables (``part-00003.parquet``), so a build
# that touches a few cables rewrites only their files, and is published a file group at a time
# (memory bounded). ``reject`` is one file.
PARTITIONED = tuple(t for t in TABLES if t != "reject")
DATABASE_FILE = "cables.duckdb"
MANIFEST_FILE = "warehouse.json"
# Published tables live in snapshots, ``tables/<run id>/<table>/...``, never changed once written:
# a build writes a new snapshot (its new files, and hard links to the unchanged files of the one
# before) and publishes it by writing the manifest, which names it. Readers follow the manifest
# (or ``cables.duckdb``, whose views name the snapshot's files), so they see one snapshot whole.
SNAPSHOTS_DIR = "tables"
# A symbolic link to the current snapshot, for reading the Parquet files directly.
CURRENT_LINK = "current"


# Fault injection for the crash tests: with CABLES_CRASH_AT=<point> a build kills itself (SIGKILL,
# as a power cut or the OOM killer would) when it reaches that point. Points: land, parse,
# publish, snapshot, commit, database, garbage (see tests/flows/test_crash_safety.py), and for a
# warehouse on object storage push (files sent, manifest not yet; tests/flows/test_object_store.py).
CRASH_ENV = "CABLES_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here, at once and without cleaning up, when the crash tests ask for it."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class BuildError(RuntimeError):
    """A build that cannot publish a warehouse; the message is one line for the user."""


def utc_now() -> datetime:
    """The current time as a naive UTC timestamp, as the warehouse stores times."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def new_run_id() -> str:
    """A sortable, unique id for one build."""
    return utc_now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def is_remote(location: str | os.PathLike[str]) -> bool:
    """Whether a warehouse location is an object-store URL (``s3://bucket/prefix``), not a folder."""
    return "://" in str(location)


@dataclass(frozen=True)
class Warehouse:
    """Paths of one warehouse folder; nothing is created until a build asks for it.

    ``remote``: for a warehouse on object storage, its ``s3://`` URL; ``root`` is then the local
    work folder that mirrors it (see ``flows.object_store``).
    """

    root: Path
    remote: str | None = None

    @classmethod
    def at(cls, location: str | os.PathLike[str]) -> Warehouse:
        """The warehouse at a folder or at an object-store URL."""
        if is_remote(location):
            from flows.object_store import check_uri, work_folder

            uri = check_uri(str(location))
            return cls(check_folder(work_folder(uri), "a warehouse's work folder"), uri)
        return cls(check_folder(Path(location).expanduser().resolve(), "a warehouse folder"))

    @property
    def location(self) -> str:
        """Where the warehouse is, as a user names it: the folder, or the object-store URL."""
        return self.remote or str(self.root)

    def url(self, path: Path | str) -> str:
        """How readers name a file of the warehouse: its path, or its URL on the object store."""
        if not self.remote:
            return str(path)
        return f"{self.remote}/{Path(path).relative_to(self.root).as_posix()}"

    def table_dir(self, table: str) -> Path:
        """The folder of a table: in the current snapshot, or at the root for the landing tables."""
        if table not in TABLES:
            return self.root / table
        return self.snapshot_dir(self.current_snapshot() or "none") / table

    def snapshot_dir(self, snapshot: str) -> Path:
        return self.root / SNAPSHOTS_DIR / snapshot

    def current_snapshot(self) -> str | None:
        """The snapshot the manifest publishes (None before the first build)."""
        return (self.manifest() or {}).get("snapshot")

    def table_glob(self, table: str, snapshot: str | None = None) -> str:
        """The Parquet files of a table (in ``snapshot``, default the current one) as DuckDB reads
        them: ``<table>/*.parquet``, or ``<table>/*/*.parquet`` per partition; the folder read
        literally (see :func:`literal_glob`), or its URL on the object store."""
        folder = self.table_dir(table) if snapshot is None else self.snapshot_dir(snapshot) / table
        if self.remote:
            return self.url(folder / table_pattern(table))
        return f"{literal_glob(folder)}/{table_pattern(table)}"

    def table_files(self, table: str) -> list[Path]:
        """The Parquet files of a published table, in partition order."""
        return table_files(self.table_dir(table), table)

    @property
    def database(self) -> Path:
        return self.root / DATABASE_FILE

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_FILE

    def staging(self, run_id: str) -> Path:
        return self.root / ".staging" / run_id

    def landed_files(self, run_id: str | None = None) -> list[Path]:
        """The landing's live Parquet files, in landing order; with ``run_id``, those that run wrote.

        Live: every file present but those the last published build dropped (``--full-rebuild``),
        which stay until the next build for readers of the database before it. Files of a build
        that never published (killed) are live: the next build parses them.
        """
        return self._live(LANDING_TABLE, run_id)

    def fetch_failure_files(self, run_id: str | None = None) -> list[Path]:
        """The live files of ``fetch_failure`` (see :meth:`landed_files`)."""
        return self._live(FETCH_FAILURE_TABLE, run_id)

    def published_files(self, table: str) -> list[Path]:
        """The landing files (``raw_page`` or ``fetch_failure``) the manifest publishes."""
        names = (self.manifest() or {}).get("files", {}).get(table)
        if names is None:  # a warehouse from before the manifest listed them: all present
            return self._live(table, None)
        return [self.root / table / name for name in names]

    def _live(self, table: str, run_id: str | None) -> list[Path]:
        folder = self.root / table
        if not folder.is_dir():
            return []
        if run_id:
            return sorted(folder.glob(f"part-{run_id}-*.parquet"))
        retired = set((self.manifest() or {}).get("retired", {}).get(table, []))
        return sorted(f for f in folder.glob("*.parquet") if f.name not in retired)

    def manifest(self) -> dict | None:
        """The manifest of the last published build, or None for a new warehouse."""
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return None

    @property
    def runs_dir(self) -> Path:
        """``runs/``: one JSON manifest per build run, kept (provenance outlives Prefect's history)."""
        return self.root / "runs"

    def write_run(self, run: dict) -> Path:
        """Write ``runs/<run_id>.json`` atomically; returns its path."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        path = self.runs_dir / f"{run['run_id']}.json"
        _write_json(path, run)
        return path

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the warehouse's build lock; a second build fails at once with a clear message."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / ".lock", "w")  # noqa: SIM115 - held for the whole build
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise BuildError(f"another build is running on the warehouse {self.root}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def is_locked(self) -> bool:
        """Whether a build holds the warehouse's lock now (false for a warehouse not made yet)."""
        if not (self.root / ".lock").exists():
            return False
        try:
            with self.lock():
                return False
        except BuildError:
            return True

    def stage_snapshot(self, staged: Path, run_id: str, *, incremental: bool) -> str:
        """Make the staged tables the new snapshot ``tables/<run_id>/`` (not yet published).

        ``incremental``: the staged files replace their counterparts of the current snapshot,
        whose other files are hard-linked into the new one (no copy; they are never written
        again). Otherwise the staged tables are the whole snapshot. Returns the snapshot id.
        """
        work = self.staging(run_id) / "snapshot"
        current = self.current_snapshot()
        for table in TABLES:
            source, target = staged / table, work / table
            new = table_files(source, table)
            old_dir = self.snapshot_dir(current) / table if current else None
            # An unpartitioned table (reject) is staged whole when it changed.
            replaces_all = not incremental or (new and table not in PARTITIONED)
            keep = [] if old_dir is None or replaces_all else table_files(old_dir, table)
            replaced = {f.relative_to(source) for f in new}
            for file in keep:
                relative = file.relative_to(old_dir)
                if relative not in replaced:
                    (target / relative).parent.mkdir(parents=True, exist_ok=True)
                    _link_or_copy(file, target / relative)
            for file in new:
                (target / file.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
                os.replace(file, target / file.relative_to(source))
        crash_point("snapshot")
        snapshot = self.snapshot_dir(run_id)
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        os.replace(work, snapshot)
        return run_id

    def commit(self, manifest: dict, *, snapshot: str | None, run_id: str, fresh: bool) -> dict:
        """Publish: write the manifest naming ``snapshot`` (None: keep the current one) and the live
        landing files. The manifest's rename is the one step that publishes; a build killed
        before it leaves the previous warehouse published, whole.

        ``fresh`` (``--full-rebuild``): only this run's landing files are live; the others are
        retired, kept until the next commit for readers of the database before this one.
        Returns the manifest written.
        """
        previous = self.manifest() or {}
        files, retired = {}, {}
        for table in (LANDING_TABLE, FETCH_FAILURE_TABLE):
            live = self._live(table, run_id if fresh else None)
            files[table] = [f.name for f in live]
            published = previous.get("files", {}).get(table, [])
            retired[table] = sorted(set(published) - set(files[table]))
        manifest = {
            **manifest,
            "snapshot": snapshot or previous.get("snapshot"),
            "previous_snapshot": previous.get("snapshot") if snapshot else previous.get("previous_snapshot"),
            "files": files,
            "retired": retired,
        }
        _write_json(self.manifest_path, manifest)
        crash_point("commit")
        self._point_current_link(manifest["snapshot"])
        return manifest

    def _point_current_link(self, snapshot: str | None) -> None:
        if not snapshot:
            return
        link = self.root / CURRENT_LINK
        tmp = self.root / f".{CURRENT_LINK}.{uuid.uuid4().hex[:8]}.tmp"
        os.symlink(Path(SNAPSHOTS_DIR) / snapshot, tmp)
        os.replace(tmp, link)

    def collect_garbage(self) -> list[Path]:
        """Delete what no reader can reach any more: snapshots other than the current and the one
        before it (open connections to the previous database read that one), landing files neither
        live nor retired by the last commit, and what killed builds left in ``.staging/``.
        Call it holding the build lock. Returns what was deleted."""
        manifest = self.manifest()
        if manifest is None:
            return []
        crash_point("garbage")
        deleted: list[Path] = []
        keep = {manifest.get("snapshot"), manifest.get("previous_snapshot")}
        snapshots = self.root / SNAPSHOTS_DIR
        for folder in sorted(snapshots.iterdir()) if snapshots.is_dir() else []:
            if folder.name not in keep:
                shutil.rmtree(folder, ignore_errors=True)
                deleted.append(folder)
        for table in (LANDING_TABLE, FETCH_FAILURE_TABLE):
            listed = manifest.get("files", {}).get(table)
            if listed is None:
                continue
            wanted = {*listed, *manifest.get("retired", {}).get(table, [])}
            folder = self.root / table
            for file in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
                if file.name not in wanted:
                    file.unlink(missing_ok=True)
                    deleted.append(file)
        # Table folders at the root are from before snapshots (schema version 4 and older).
        legacy = [self.root / table for table in TABLES]
        for leftover in (self.root / ".staging", self.root / ".trash", *legacy):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
                deleted.append(leftover)
        # Temporary files of killed builds: a database being built (and its write-ahead log), links.
        for tmp in [*self.root.glob(".*.tmp"), *self.root.glob(".*.tmp.wal")]:
            tmp.unlink(missing_ok=True)
            deleted.append(tmp)
        return deleted

    def cleanup(self, run_id: str) -> None:
        """Remove what the run staged (its unpublished snapshot included)."""
        shutil.rmtree(self.staging(run_id), ignore_errors=True)
        if self.current_snapshot() != run_id:
            shutil.rmtree(self.snapshot_dir(run_id), ignore_errors=True)


def fingerprint(*paths: Path) -> str:
    """A hash of the names and contents of the files under ``paths`` (folders of code, SQL,
    reference data; or single files, named by their own name)."""
    digest = hashlib.sha256()
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in (p for p in files if "__pycache__" not in p.parts):
            name = path.name if path == root else str(path.relative_to(root))
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def table_pattern(table: str) -> str:
    """The glob of a table's files inside its folder: one level of year folders when partitioned."""
    return "*/*.parquet" if table in PARTITIONED else "*.parquet"


def check_folder(folder: Path, what: str) -> Path:
    """``folder``, unless its path holds what DuckDB cannot read back: a ``?`` (what follows it in a
    database file's path is read as options, so its WAL is written elsewhere) or a backslash (a
    path separator in a pattern, which no escape turns back into a character); else BuildError."""
    for char in "?\\":
        if char in str(folder):
            raise BuildError(f"{what} cannot hold {char!r} in its path (DuckDB cannot keep a database there): {folder}")
    return folder


def reads_as_pattern(url: str) -> bool:
    """Whether DuckDB or the object store's client reads ``url`` as a pattern (it holds ``[``,
    ``*``, ``?`` or a backslash): another prefix's files would be read, or removed."""
    return any(char in url for char in "[*?\\")


def literal_glob(path: str | Path) -> str:
    """A local ``path`` as DuckDB's file readers take it literally: they read a path holding
    ``[``, ``*`` or ``?`` as a pattern (``/data/cables [2011]/*.parquet`` matches nothing, or the
    files of another folder, ``a*b`` those of ``aXb`` too), so each is put in brackets. An
    object-store URL is left as it is (``check_uri`` refuses these characters there)."""
    text = str(path)
    return text if "://" in text else re.sub(r"([\[*?])", r"[\1]", text)


def table_files(folder: Path, table: str) -> list[Path]:
    """The Parquet files of ``table`` under its folder ``folder`` (staged or published)."""
    return sorted(folder.glob(table_pattern(table))) if folder.is_dir() else []


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link to ``source`` (no copy: published files never change), or a copy where the
    file system has no hard links."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _write_json(path: Path, data: dict) -> None:
    """Write ``data`` as JSON through a temporary file and a rename: never a half file."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def write_parquet_atomic(
    frame: pl.DataFrame | pl.LazyFrame, path: Path, compression: str = "zstd", row_group_size: int | None = None
) -> Path:
    """Write a frame to ``path`` through a temporary file and a rename: never a half file.

    zstd for what is kept; files read once and deleted (the parsed batches) take ``lz4``, which
    writes about twice as fast. ``row_group_size`` (rows) lets a reader skip what it filters out.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        if isinstance(frame, pl.LazyFrame):
            frame.sink_parquet(tmp, compression=compression)
        else:
            frame.write_parquet(tmp, compression=compression, statistics=True, row_group_size=row_group_size)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
