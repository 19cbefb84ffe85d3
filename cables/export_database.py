"""One DuckDB file of the whole warehouse, to hand on: it opens with nothing but DuckDB, anywhere.

The warehouse's own ``cables.duckdb`` is views over its Parquet files, named by absolute path
(or ``s3://`` URL), so it answers only beside them. The file written here holds the rows: every
table and reference table stored in it (``CREATE TABLE ... AS``), the views of ``sql/`` created
again over those tables and their rows stored as the warehouse stores them, the data issues,
every comment on a table, view and column, and a one-row ``about`` table saying where it comes
from. Nothing in its catalog names a file.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from cables import __version__
from cables.exporting import ExportError, check_target, replace_path, upload
from cables.sqlquote import sql_identifier, sql_literal
from flows.layout import LANDING_TABLE, SCHEMA_VERSION, TABLES, BuildError, Warehouse, is_remote, utc_now
from flows.object_store import enable_s3
from flows.serve import (
    MART_SCHEMA,
    REFERENCE_VIEWS,
    close_whole,
    create_sql_views,
    database_connection,
    document,
    materialise_views,
    reader_database,
    sql_views,
    view_docs,
)

# The name the warehouse's database is attached under while its rows are copied.
SOURCE = "warehouse"
ABOUT = "about"
ABOUT_DOCS = (
    "one row: where the rows of this file come from (the warehouse's snapshot and sources) and how many each "
    "table and view holds",
    {
        "snapshot": "the warehouse's snapshot whose tables were copied (the run id of the build that published it)",
        "built_at": "when that snapshot was built (UTC)",
        "exported_at": "when this file was written (UTC), by `cables export --database`",
        "exported_by": "the version of cables-warehouse that wrote it",
        "schema_version": "the version of the warehouse's table schema",
        "sources": "the sources of pages built into the warehouse (folders, archives, dumps, mirrors)",
        "row_counts": "rows of each table and view of this file, by name: row_counts['cable']",
    },
)


def export_database(
    warehouse: Warehouse, sql_dir: Path, out: Path | str, *, overwrite: bool = False, with_pages: bool = False
) -> dict[str, int]:
    """Write the warehouse as one self-contained DuckDB file at ``out``; returns the rows of each
    table and view it holds.

    ``with_pages`` stores the landed pages too (``raw_page``, their bytes: several times the
    rest). Written to a temporary name beside ``out`` and renamed into place; never inside the
    warehouse (nor its local work folder), over a folder, or over a file without ``overwrite``.
    ``out`` may be an ``s3://`` URL: the file is written locally, then uploaded.
    """
    protected = warehouse.location if is_remote(out) else warehouse.root
    out = check_target(out, protected=protected, overwrite=overwrite)
    database = reader_database(warehouse, sql_dir)
    if database != warehouse.database:  # a stand-in of plain views: a build holds the moved warehouse
        raise ExportError(f"a build is running on the warehouse {warehouse.location}: export it when the build is done")
    if is_remote(out):
        with tempfile.TemporaryDirectory(prefix="cables-export-") as local:
            staged = Path(local) / str(out).rstrip("/").rsplit("/", 1)[-1]
            rows = _write(warehouse, database, sql_dir, staged, name=staged.name, with_pages=with_pages)
            upload(staged, str(out))
            return rows
    if "?" in str(out):  # what follows it in a database file's path is read as options
        raise ExportError(f"a DuckDB file's path cannot hold '?': {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        rows = _write(warehouse, database, sql_dir, tmp, name=out.name, with_pages=with_pages)
        replace_path(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return rows


def _write(
    warehouse: Warehouse, database: Path, sql_dir: Path, path: Path, *, name: str, with_pages: bool
) -> dict[str, int]:
    """Fill the new database file ``path`` (to become ``name``) from the warehouse's ``database``;
    returns its row counts."""
    spill = Path(tempfile.mkdtemp(prefix="cables-export-spill-"))
    con = database_connection(path, spill)
    try:
        if warehouse.remote:  # the warehouse's views read its tables by URL
            enable_s3(con)
        con.execute(f"attach {sql_literal(str(database))} as {SOURCE} (read_only)")
        served = {
            name
            for (name,) in con.execute(
                "select view_name from duckdb_views() where database_name = ? and schema_name = 'main'", [SOURCE]
            ).fetchall()
        }
        wanted = [LANDING_TABLE] if with_pages else []
        tables = [name for name in (*wanted, *TABLES, *REFERENCE_VIEWS) if name in served]
        for name in tables:
            con.execute(f"create table main.{name} as select * from {SOURCE}.main.{name}")
        con.execute(f"create schema {MART_SCHEMA}")
        con.execute(f"create table {MART_SCHEMA}.data_issue as select * from {SOURCE}.main.data_issue")
        snapshot, built_at = con.execute(f"select snapshot, built_at from {SOURCE}.main._warehouse").fetchone()
        con.execute(f"detach {SOURCE}")
        # From here on only the rows stored in this file can be read.
        con.execute(f"create view data_issue as select * from {MART_SCHEMA}.data_issue")
        create_sql_views(con, sql_dir)
        marts = [name for name, _, _ in sql_views(sql_dir)]
        materialise_views(con, marts)
        stored = [*marts, "data_issue"]
        document(con, view_docs(sql_dir), views=stored, tables=tables, stored=stored)
        rows = {
            name: con.execute(f"select count(*) from {sql_identifier(name)}").fetchone()[0]
            for name in [*tables, *sorted([*marts, "data_issue"])]
        }
        manifest = warehouse.manifest() or {}
        if manifest.get("snapshot") == snapshot and manifest.get("built_at"):
            built_at = manifest["built_at"]
        con.execute(
            f"create table {ABOUT} as select ?::varchar as snapshot, ?::timestamp as built_at, "
            "?::timestamp as exported_at, ?::varchar as exported_by, ?::integer as schema_version, "
            "?::varchar[] as sources, map(?::varchar[], ?::bigint[]) as row_counts",
            [
                snapshot,
                built_at,
                utc_now(),
                f"cables-warehouse {__version__}",
                SCHEMA_VERSION,
                manifest.get("sources", []),
                list(rows),
                list(rows.values()),
            ],
        )
        document(con, {ABOUT: ABOUT_DOCS}, tables=[ABOUT])
        try:
            close_whole(con, path, name)
        except BuildError as exc:
            raise ExportError(str(exc)) from None
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return rows
