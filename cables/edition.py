"""The Datasette edition of a warehouse: one SQLite file of its tables and main views, for browsing.

``cables serve`` shows a warehouse with Datasette, which reads SQLite. The edition is that file:
the cable tables and a few views (their rows stored) copied from ``cables.duckdb`` as Arrow
batches, with primary keys, foreign keys to ``cable`` (Datasette turns them into links and
labels), indexes on the columns a reader facets or joins on, a full-text index of subjects and
bodies (Datasette's table search), and two tables of its own: ``edition`` (what it was built
from) and ``edition_report`` (the page of ``cables report``). :func:`edition_metadata` gives
Datasette the titles, descriptions and default facets, read from the warehouse's own comments.

An edition is built once per published snapshot and kept in a cache folder outside the
warehouse (``CABLES_SERVE_CACHE``, by default ``~/.cache/cables``), so a warehouse that cannot
be written to is served all the same and no reader of the warehouse ever sees it. It is written
to a temporary folder and renamed into place whole; editions of snapshots the warehouse no
longer keeps are deleted when a new one is built.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cables.sqlquote import sql_identifier
from flows.layout import Warehouse

# Bump when the edition's tables, keys or indexes change: editions of other versions are rebuilt.
EDITION_VERSION = 2
DATABASE_NAME = "cables"
EDITION_FILE = f"{DATABASE_NAME}.db"
BATCH_ROWS = 10_000


@dataclass(frozen=True)
class Table:
    """A table of the edition: the warehouse table or view it copies, its key and its links."""

    name: str
    primary_key: tuple[str, ...] = ()
    # column -> (table, column) of the edition
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    # the SQL (on cables.duckdb) that gives its rows; None: ``select *`` of the table or view
    query: str | None = None


def _to_cable(*columns: str) -> tuple[tuple[str, str, str], ...]:
    return tuple((column, "cable", "reference_id") for column in columns)


TABLES = (
    Table(
        "cable",
        ("reference_id",),
        indexes=(("origin",), ("year",), ("classification",), ("created_at",)),
        # The year of creation, to facet on (Datasette facets on a column's values).
        query="select *, year(created_at) as year from cable",
    ),
    Table("recipient", ("reference_id", "position"), _to_cable("reference_id"), (("name",),)),
    Table("tag", ("reference_id", "position", "part"), _to_cable("reference_id"), (("canonical_tag",),)),
    Table(
        "reference",
        ("reference_id", "position", "part"),
        _to_cable("reference_id", "cited_reference_id"),
        (("referenced_id",), ("cited_reference_id",)),
        # The cable of this warehouse each cited id stands for, as citation_edge resolves it.
        query="""
            select r.*, e.cited_reference_id
            from reference r
            left join citation_edge e on e.citing_id = r.reference_id and e.cited_id = r.referenced_id
        """,
    ),
    Table("paragraph", ("reference_id", "position"), _to_cable("reference_id")),
    Table("cable_version", ("reference_id", "content_sha256"), _to_cable("reference_id")),
    Table("cable_change", ("reference_id", "from_content_sha256"), _to_cable("reference_id")),
    Table("media_link", ("reference_id", "url"), _to_cable("reference_id"), (("host",),)),
    Table(
        "cable_overview",
        ("reference_id",),
        _to_cable("reference_id"),
        (("origin",), ("year",), ("classification",), ("country",)),
        query="select *, year(created_at) as year from cable_overview",
    ),
    Table(
        "citation_edge",
        ("citing_id", "cited_id"),
        _to_cable("citing_id", "cited_reference_id"),
        (("cited_id",), ("cited_reference_id",)),
    ),
    Table("most_cited_cables", ("cited_id",)),
    Table("release_cable", ("reference_id",)),
    Table("release_coverage", indexes=(("station",), ("year",))),
    Table("embassy_volume_by_year", ("origin", "year", "level")),
    Table("tag_cooccurrence", ("tag_a", "tag_b")),
    Table("media_coverage", ("host", "release_month")),
)
# Columns the edition adds to a warehouse table or view, with their description.
ADDED_COLUMNS = {
    ("cable", "year"): "the year of creation (created_at), to facet on",
    ("cable_overview", "year"): "the year of creation (created_at), to facet on",
    ("reference", "cited_reference_id"): (
        "the cable of this warehouse the cited id stands for (citation_edge.cited_reference_id); "
        "null when the cited cable is not in the warehouse"
    ),
}
# Datasette's table search: a full-text index of these columns of the cable table.
SEARCHED_COLUMNS = ("subject", "summary", "body")
# The listings open with these facets (``tags`` holds a JSON array: an array facet).
CABLE_FACETS = ["origin", {"array": "tags"}, "year", "classification"]


class EditionError(RuntimeError):
    """The edition cannot be built or found; the message says what to do."""


@dataclass(frozen=True)
class Edition:
    """A built edition: its SQLite file, the snapshot it holds and whether this call built it."""

    path: Path
    snapshot: str
    built: bool
    seconds: float


def cache_root() -> Path:
    """The folder of every warehouse's editions: ``CABLES_SERVE_CACHE``, else ``~/.cache/cables``."""
    configured = os.environ.get("CABLES_SERVE_CACHE")
    if configured:
        return Path(configured).expanduser().absolute()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cables"


def warehouse_cache(warehouse: Warehouse) -> Path:
    """The folder of one warehouse's editions, named after its location."""
    key = hashlib.sha256(warehouse.location.encode()).hexdigest()[:16]
    return cache_root() / f"edition-{key}"


def edition_path(warehouse: Warehouse, snapshot: str) -> Path:
    """Where the edition of ``snapshot`` is (or will be)."""
    return warehouse_cache(warehouse) / f"{snapshot}-v{EDITION_VERSION}" / EDITION_FILE


def ensure_edition(warehouse: Warehouse, con: duckdb.DuckDBPyConnection) -> Edition:
    """The edition of the snapshot ``con`` (a read-only connection to the warehouse's database)
    reads: the cached one, else one built now and renamed into the cache whole."""
    start = time.perf_counter()
    snapshot = con.execute("select snapshot from _warehouse").fetchone()[0]
    if not snapshot:
        raise EditionError(f"the warehouse at {warehouse.location} has no published snapshot: run `cables build`")
    target = edition_path(warehouse, snapshot)
    if target.exists():
        return Edition(target, snapshot, False, round(time.perf_counter() - start, 3))
    folder = target.parent
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EditionError(f"cannot write the edition's cache folder {folder.parent}: {exc.strerror}") from None
    work = folder.parent / f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp"
    work.mkdir()
    try:
        write_edition(con, work / EDITION_FILE, warehouse, snapshot)
        try:
            os.replace(work, folder)
        except OSError:
            if not target.exists():  # another process renamed its own copy first: use it
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    prune_editions(warehouse, keep={snapshot, (warehouse.manifest() or {}).get("previous_snapshot")})
    return Edition(target, snapshot, True, round(time.perf_counter() - start, 3))


def prune_editions(warehouse: Warehouse, keep: set[str | None]) -> list[Path]:
    """Delete the warehouse's editions of other snapshots than ``keep`` (and of other versions,
    and unfinished ones); returns what was deleted."""
    wanted = {f"{snapshot}-v{EDITION_VERSION}" for snapshot in keep if snapshot}
    folder = warehouse_cache(warehouse)
    deleted = []
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        if entry.name not in wanted and not (entry.name.startswith(".") and _recent(entry)):
            shutil.rmtree(entry, ignore_errors=True)
            deleted.append(entry)
    return deleted


def _recent(path: Path, seconds: float = 3600) -> bool:
    """Whether ``path`` changed in the last hour (an edition another process is writing now)."""
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return False


def write_edition(con: duckdb.DuckDBPyConnection, path: Path, warehouse: Warehouse, snapshot: str) -> Path:
    """Write the edition of the warehouse behind ``con`` to the new SQLite file ``path``."""
    from cables.report import render_report

    db = sqlite3.connect(path)
    try:
        db.execute("pragma journal_mode = off")
        db.execute("pragma synchronous = off")
        rows = {table.name: copy_table(con, db, table) for table in TABLES}
        _search_index(db)
        db.execute("create table edition (key text primary key, value text)")
        about = {
            "warehouse": warehouse.location,
            "snapshot": snapshot,
            "built_at": datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat(sep=" "),
            "edition_version": str(EDITION_VERSION),
            "rows": json.dumps(rows),
            "first_created": _one(con, "select min(created_at)::varchar from cable"),
            "last_created": _one(con, "select max(created_at)::varchar from cable"),
        }
        db.executemany("insert into edition values (?, ?)", about.items())
        db.execute("create table edition_report (name text primary key, html text not null)")
        db.execute("insert into edition_report values ('report', ?)", (render_report(con, same_site=True),))
        db.commit()
        problems = db.execute("pragma foreign_key_check").fetchall()
        if problems:
            raise EditionError(f"the edition breaks its own foreign keys: {problems[:3]}")
        db.execute("analyze")
        db.commit()
    finally:
        db.close()
    return path


def _one(con: duckdb.DuckDBPyConnection, query: str):
    return con.execute(query).fetchone()[0]


def copy_table(con: duckdb.DuckDBPyConnection, db: sqlite3.Connection, table: Table) -> int:
    """Create ``table`` in ``db`` and copy its rows from ``con`` in Arrow batches; returns how many.

    Timestamps and dates become ISO text (``2009-02-09 14:02:00``), lists JSON arrays, booleans 0/1.
    """
    source = table.query or f"select * from {sql_identifier(table.name)}"
    described = con.execute(f"describe ({source})").fetchall()
    columns = [(name, kind) for name, kind, *_ in described]
    selected = ", ".join(_as_sqlite(name, kind) for name, kind in columns)
    definitions = [f"{sql_identifier(name)} {_sqlite_type(kind)}" for name, kind in columns]
    if table.primary_key:
        definitions.append(f"primary key ({', '.join(map(sql_identifier, table.primary_key))})")
    for column, other, other_column in table.foreign_keys:
        target = f"{sql_identifier(other)} ({sql_identifier(other_column)})"
        definitions.append(f"foreign key ({sql_identifier(column)}) references {target}")
    name = sql_identifier(table.name)
    db.execute(f"create table {name} ({', '.join(definitions)})")
    insert = f"insert into {name} values ({', '.join('?' * len(columns))})"
    order = ", ".join(map(sql_identifier, table.primary_key)) or "all"
    reader = con.execute(f"select {selected} from ({source}) order by {order}").to_arrow_reader(BATCH_ROWS)
    count = 0
    for batch in reader:
        values = [column.to_pylist() for column in batch.columns]
        db.executemany(insert, zip(*values, strict=True))
        count += batch.num_rows
    indexed = [*((column,) for column, _, _ in table.foreign_keys), *table.indexes]
    for columns_of_index in dict.fromkeys(indexed):
        if columns_of_index == table.primary_key[: len(columns_of_index)]:
            continue  # the primary key's index serves it
        index = sql_identifier(f"{table.name}_{'_'.join(columns_of_index)}")
        db.execute(f"create index {index} on {name} ({', '.join(map(sql_identifier, columns_of_index))})")
    return count


def _as_sqlite(name: str, kind: str) -> str:
    """The DuckDB expression that reads column ``name`` as SQLite will store it."""
    column = sql_identifier(name)
    if kind.endswith("[]") or kind.startswith(("STRUCT", "MAP")):
        return f"to_json({column})::varchar as {column}"
    if kind.startswith(("TIMESTAMP", "DATE", "TIME", "DECIMAL", "UUID", "INTERVAL")):
        return f"{column}::varchar as {column}"
    return column


def _sqlite_type(kind: str) -> str:
    """The SQLite column type for a DuckDB type (as the edition stores it)."""
    if kind in ("BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"):
        return "integer"
    if kind in ("DOUBLE", "FLOAT", "REAL"):
        return "real"
    if kind == "BLOB":
        return "blob"
    return "text"


def _search_index(db: sqlite3.Connection) -> None:
    """Datasette's table search on ``cable``: an FTS5 index of its subject, summary and body."""
    columns = ", ".join(SEARCHED_COLUMNS)
    db.execute(f"create virtual table cable_fts using fts5({columns}, content='cable', content_rowid='rowid')")
    db.execute(f"insert into cable_fts (rowid, {columns}) select rowid, {columns} from cable")


def edition_metadata(con: duckdb.DuckDBPyConnection) -> dict:
    """Datasette's metadata for the edition: the titles and descriptions of its tables and
    columns (the comments of ``cables.duckdb``), labels, default facets and sort orders."""
    described = dict(con.execute("select view_name, comment from duckdb_views() where not internal").fetchall())
    column_docs: dict[str, dict[str, str]] = {}
    for table, column, comment in con.execute(
        "select table_name, column_name, comment from duckdb_columns() where not internal and comment is not null"
    ).fetchall():
        column_docs.setdefault(table, {})[column] = comment
    tables: dict[str, dict] = {}
    for table in TABLES:
        columns = dict(column_docs.get(table.name, {}))
        columns.update({column: text for (name, column), text in ADDED_COLUMNS.items() if name == table.name})
        tables[table.name] = {
            "title": table.name.replace("_", " "),
            "description": described.get(table.name) or "",
            "columns": columns,
        }
    for name in ("cable", "cable_overview"):
        tables[name].update(facets=CABLE_FACETS, sort_desc="created_at", label_column="subject_title")
    tables["cable"].update(fts_table="cable_fts", fts_pk="rowid", searchmode="raw")
    tables["most_cited_cables"].update(sort="citation_rank")
    tables["edition"] = {"hidden": True}
    tables["edition_report"] = {"hidden": True}
    return {
        "title": "Cables warehouse",
        "description": "The WikiLeaks diplomatic cables of this warehouse: browse, facet, search, download.",
        "databases": {
            DATABASE_NAME: {
                "title": "Cables",
                "description": "The tables and main views of the warehouse, one row per cable, recipient, tag, "
                "reference, paragraph, version and news link.",
                "tables": tables,
            }
        },
    }
