"""Serve: the DuckDB file of views over the Parquet tables, rebuilt and swapped in whole."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import duckdb

from cables.sqlquote import sql_literal
from flows.layout import LANDING_TABLE, SCHEMA_VERSION, TABLES, Warehouse, utc_now

TABLE_COMMENTS = {
    "raw_page": "one row per landed page: source, hash, fetch time and the unchanged content",
    "cable": "one row per cable: the fields of its current version",
    "recipient": "one row per addressee (TO and INFO) or XMT exclusion per cable",
    "tag": "one row per canonical tag per printed tag per cable, in page order",
    "reference": "one row per item of the REF block per cable",
    "paragraph": "one row per body paragraph per cable",
    "cable_version": "one row per distinct version (cable content) of each cable, the current one first",
    "page_version": "one row per landed cable page: current version, duplicate or older version",
    "media_link": "one row per news article that cites a cable (the viewer's Appears in these articles links)",
    "reject": "one row per landed page that did not become a cable, with the reason",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ServeError(RuntimeError):
    """The warehouse cannot be opened for queries; the message says what to do."""


def sql_views(sql_dir: Path) -> list[tuple[str, str, str]]:
    """Each ``.sql`` file under ``sql_dir``: view name (file name), grain comment, query."""
    views = []
    for path in sorted(sql_dir.rglob("*.sql")):
        name = path.stem
        if not _NAME.match(name):
            raise ValueError(f"view file name is not a plain identifier: {path.name}")
        query = path.read_text()
        first = query.lstrip().splitlines()[0] if query.strip() else ""
        grain = first[2:].strip() if first.startswith("--") else ""
        views.append((name, grain, query.strip().rstrip(";")))
    return views


def build_database(warehouse: Warehouse, sql_dir: Path) -> Path:
    """Write ``cables.duckdb``: a view per table (absolute Parquet paths) and per ``.sql`` file.

    Built in a new file and renamed over the old one, so readers see the old or the new file.
    """
    tmp = warehouse.root / f".{warehouse.database.name}.{uuid.uuid4().hex[:8]}.tmp"
    con = duckdb.connect(str(tmp))
    try:
        for table in (LANDING_TABLE, *TABLES):
            con.execute(
                f"create view {table} as select * from read_parquet({sql_literal(warehouse.table_glob(table))})"
            )
            con.execute(f"comment on view {table} is {sql_literal(TABLE_COMMENTS[table])}")
        pending = sql_views(sql_dir)
        # Views may build on each other: create in passes until none is left or none succeeds.
        while pending:
            failed = []
            for name, grain, query in pending:
                try:
                    con.execute(f"create view {name} as {query}")
                    con.execute(f"comment on view {name} is {sql_literal(grain)}")
                except duckdb.CatalogException:
                    failed.append((name, grain, query))
            if len(failed) == len(pending):
                name, _, query = failed[0]
                con.execute(f"create view {name} as {query}")  # raises the real error
            pending = failed
        con.execute(
            "create table _warehouse as select ? as schema_version, ? as root, ? as built_at",
            [SCHEMA_VERSION, str(warehouse.root), utc_now()],
        )
        con.close()
        os.replace(tmp, warehouse.database)
    finally:
        con.close()
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return warehouse.database


def connect_read_only(warehouse: Warehouse, sql_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse, re-pointing the views first if the folder moved."""
    if not warehouse.database.exists():
        raise ServeError(f"no warehouse at {warehouse.root} (run `cables build --warehouse {warehouse.root}` first)")
    con = duckdb.connect(str(warehouse.database), read_only=True)
    try:
        version, root = con.execute("select schema_version, root from _warehouse").fetchone()
    except duckdb.Error:
        version, root = None, None
    if version != SCHEMA_VERSION:
        con.close()
        raise ServeError(
            f"the warehouse at {warehouse.root} has schema version {version}, this version of cables "
            f"reads {SCHEMA_VERSION}: run `cables build --warehouse {warehouse.root}` to rebuild it "
            "from its landed pages"
        )
    if root != str(warehouse.root):
        con.close()
        build_database(warehouse, sql_dir)
        con = duckdb.connect(str(warehouse.database), read_only=True)
    return con
