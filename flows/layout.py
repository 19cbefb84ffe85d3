"""The warehouse folder: table folders, manifest, lock, and atomic Parquet writes."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

# Bump when a published table changes shape: tables are then re-parsed from the landed pages.
SCHEMA_VERSION = 4
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


class BuildError(RuntimeError):
    """A build that cannot publish a warehouse; the message is one line for the user."""


def utc_now() -> datetime:
    """The current time as a naive UTC timestamp, as the warehouse stores times."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def new_run_id() -> str:
    """A sortable, unique id for one build."""
    return utc_now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Warehouse:
    """Paths of one warehouse folder; nothing is created until a build asks for it."""

    root: Path

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> Warehouse:
        return cls(Path(path).expanduser().resolve())

    def table_dir(self, table: str) -> Path:
        return self.root / table

    def table_glob(self, table: str) -> str:
        """The Parquet files of a table: ``<table>/*.parquet``, or ``<table>/*/*.parquet`` per partition."""
        return str(self.table_dir(table) / table_pattern(table))

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

    def trash(self, run_id: str) -> Path:
        return self.root / ".trash" / run_id

    def landed_files(self, run_id: str | None = None) -> list[Path]:
        """The landing's Parquet files, in landing order; with ``run_id``, those that run wrote."""
        folder = self.table_dir(LANDING_TABLE)
        pattern = f"part-{run_id}-*.parquet" if run_id else "*.parquet"
        return sorted(folder.glob(pattern)) if folder.is_dir() else []

    def manifest(self) -> dict | None:
        """The manifest of the last published build, or None for a new warehouse."""
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return None

    def write_manifest(self, manifest: dict) -> None:
        _write_json(self.manifest_path, manifest)

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

    def set_aside(self, run_id: str) -> None:
        """Move the landing, tables, database and manifest aside (``--full-rebuild``).

        They stay in ``.trash/<run>/previous`` until the build publishes, and come back if it fails.
        """
        previous = self.trash(run_id) / "previous"
        previous.mkdir(parents=True, exist_ok=True)
        for name in (LANDING_TABLE, FETCH_FAILURE_TABLE, *TABLES, DATABASE_FILE, MANIFEST_FILE):
            path = self.root / name
            if path.exists():
                os.replace(path, previous / name)

    def restore(self, run_id: str) -> None:
        """Put back what :meth:`set_aside` moved, dropping whatever the failed build wrote."""
        previous = self.trash(run_id) / "previous"
        if not previous.is_dir():
            return
        for item in previous.iterdir():
            current = self.root / item.name
            if current.is_dir():
                shutil.rmtree(current)
            elif current.exists():
                current.unlink()
            os.replace(item, current)

    def swap_in(self, staged: Path, run_id: str, *, whole: bool = True) -> None:
        """Put the staged tables in place, one rename per table folder (``whole``) or per file.

        With ``whole=False`` only the files of partitioned tables present in ``staged`` replace
        their published counterparts (one rename each), and unpartitioned tables are swapped
        whole; every other file stays where it is, untouched.
        """
        trash = self.trash(run_id)
        trash.mkdir(parents=True, exist_ok=True)
        for table in TABLES:
            source = staged / table
            if not source.is_dir():
                continue
            current = self.table_dir(table)
            if whole or table not in PARTITIONED or not current.is_dir():
                if current.exists():
                    os.replace(current, trash / table)
                os.replace(source, current)
                continue
            for file in table_files(source, table):
                target = current / file.relative_to(source)
                target.parent.mkdir(exist_ok=True)
                os.replace(file, target)
        shutil.rmtree(trash, ignore_errors=True)

    def cleanup(self, run_id: str) -> None:
        shutil.rmtree(self.staging(run_id), ignore_errors=True)
        shutil.rmtree(self.trash(run_id), ignore_errors=True)


def fingerprint(*folders: Path) -> str:
    """A hash of the names and contents of the files under ``folders`` (code, SQL, reference data)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def table_pattern(table: str) -> str:
    """The glob of a table's files inside its folder: one level of year folders when partitioned."""
    return "*/*.parquet" if table in PARTITIONED else "*.parquet"


def table_files(folder: Path, table: str) -> list[Path]:
    """The Parquet files of ``table`` under its folder ``folder`` (staged or published)."""
    return sorted(folder.glob(table_pattern(table))) if folder.is_dir() else []


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
