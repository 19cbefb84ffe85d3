"""Serve: the DuckDB file of views over the Parquet tables, rebuilt and swapped in whole."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

import duckdb
import yaml

from cables import checks as data_checks
from cables.sqlquote import sql_identifier, sql_literal
from flows.layout import (
    LANDING_TABLE,
    SCHEMA_VERSION,
    TABLES,
    BuildError,
    Warehouse,
    crash_point,
    fingerprint,
    literal_glob,
    utc_now,
)
from flows.lookups import REFERENCE_DIR
from flows.object_store import enable_s3

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# The schema of cables.duckdb that holds the rows of the views of sql/ (see materialise_views).
MART_SCHEMA = "mart_rows"
# Views of sql/ computed at once into their tables (each a query on a cursor of its own).
MART_QUERIES = 4

TABLE_DOCS = "tables.yml"
# Reference data shipped in data/reference/, served as views beside the tables:
# view -> (file, columns as name -> DuckDB type, header row present). Described in tables.yml.
REFERENCE_VIEWS = {
    "release_cable": ("cable2month.csv.gz", {"reference_id": "VARCHAR", "month": "TINYINT"}, False),
    "routing_name": ("route2name.csv", {"routing_indicator": "VARCHAR", "name": "VARCHAR"}, False),
    "origin_group": ("origin_group.csv", {"station": "VARCHAR", "country": "VARCHAR", "region": "VARCHAR"}, True),
    "subject_tag": ("subject_tags.csv", {"tag": "VARCHAR"}, True),
    "organisation_tag": ("organisation_tags.csv", {"tag": "VARCHAR"}, True),
    "project_tag_kind": ("tag_kinds.csv", {"tag": "VARCHAR", "kind": "VARCHAR", "note": "VARCHAR"}, True),
    "tag_meaning": (
        "tag_meanings.csv",
        {"tag": "VARCHAR", "kind": "VARCHAR", "meaning": "VARCHAR", "source": "VARCHAR", "note": "VARCHAR"},
        True,
    ),
}
_COLUMN_DOC = re.compile(r"^--\s*([a-z_][a-z0-9_]*)\s*:\s*(.+?)\s*$")


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


def view_docs(sql_dir: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """Description and column descriptions of every table and view: ``tables.yml`` and the
    header comments of each ``.sql`` file (its grain line, then ``-- column: description`` lines)."""
    docs = {
        name: (entry.get("description", ""), dict(entry.get("columns") or {}))
        for name, entry in (yaml.safe_load((sql_dir / TABLE_DOCS).read_text()) or {}).items()
    }
    for name, grain, query in sql_views(sql_dir):
        columns = {}
        for line in query.splitlines()[1:]:
            if not line.startswith("--"):
                break
            match = _COLUMN_DOC.match(line)
            if match:
                columns[match.group(1)] = match.group(2)
        docs[name] = (grain, columns)
    return docs


def document(
    con: duckdb.DuckDBPyConnection,
    docs: dict[str, tuple[str, dict[str, str]]],
    *,
    views: list[str] = (),
    tables: list[str] = (),
    stored: list[str] = (),
) -> None:
    """Comment the ``views``, the ``tables`` and the tables of ``MART_SCHEMA`` holding the rows of
    the views ``stored``, with their columns, from ``docs`` (``view_docs``): one transaction,
    the columns read from the catalog."""
    present: dict[tuple[str, str], set[str]] = {}
    for schema, name, column in con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() where database_name = current_database()"
    ).fetchall():
        present.setdefault((schema, name), set()).add(column)
    statements = []
    for kind, schema, names in (("view", "main", views), ("table", "main", tables), ("table", MART_SCHEMA, stored)):
        for name in names:
            description, columns = docs.get(name, ("", {}))
            target = name if schema == "main" else f"{MART_SCHEMA}.{name}"
            if schema == MART_SCHEMA:
                description = f"the stored rows of view {name}: {description}"
            statements.append(f"comment on {kind} {target} is {sql_literal(description)}")
            for column, text in columns.items():
                if column in present.get((schema, name), ()):
                    statements.append(f"comment on column {target}.{sql_identifier(column)} is {sql_literal(text)}")
    # One call and one commit: hundreds of comments cost a call and a commit each otherwise.
    con.execute("begin;\n" + ";\n".join(statements) + ";\ncommit")


def create_views(
    con: duckdb.DuckDBPyConnection,
    table_globs: dict[str, str | list[str]],
    sql_dir: Path,
    *,
    tables_only: bool = False,
) -> None:
    """On ``con``: a view per table (over its Parquet glob or files), per reference file and per ``.sql`` file.

    A glob is read as a pattern (its folder's own glob characters escaped, see
    ``Warehouse.table_glob``); files are read as named. Partition folders (``year=2010``) are not
    read as columns: a table has the columns its files hold.
    ``tables_only``: the views of the tables alone, replacing those there (re-pointed at other files).
    """
    for table, glob in table_globs.items():
        if isinstance(glob, str):
            files = sql_literal(glob)
        else:
            files = "[" + ", ".join(sql_literal(literal_glob(f)) for f in glob) + "]"
        replace = "or replace " if tables_only else ""
        con.execute(f"create {replace}view {table} as select * from read_parquet({files}, hive_partitioning = false)")
    if tables_only:
        return
    for name in reference_views():
        file, columns, header = REFERENCE_VIEWS[name]
        path = REFERENCE_DIR / file
        types = "{" + ", ".join(f"{sql_literal(c)}: {sql_literal(t)}" for c, t in columns.items()) + "}"
        # The format is known (comma-separated, double quotes): no sniffing, which decompresses and
        # reads part of the file each time a view over it is bound.
        con.execute(
            f"create view {name} as select * from read_csv({sql_literal(literal_glob(path))}, "
            f"header = {str(header).lower()}, columns = {types}, auto_detect = false, delim = ',', quote = '\"')"
        )
    create_sql_views(con, sql_dir)


def create_sql_views(con: duckdb.DuckDBPyConnection, sql_dir: Path) -> None:
    """On ``con``: a view per ``.sql`` file under ``sql_dir``, over the tables and views ``con`` has."""
    pending = sql_views(sql_dir)
    # Views may build on each other: create in passes until none is left or none succeeds.
    while pending:
        failed = []
        for name, grain, query in pending:
            try:
                con.execute(f"create view {name} as {query}")
            except duckdb.CatalogException:
                failed.append((name, grain, query))
        if len(failed) == len(pending):
            name, _, query = failed[0]
            con.execute(f"create view {name} as {query}")  # raises the real error
        pending = failed


def materialise_views(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Store the rows of each view in ``names`` in a table of ``MART_SCHEMA`` and point the view at it.

    The views of ``sql/`` join and aggregate millions of rows: computed once when the database is
    built (it is rebuilt whenever the tables change), each answers from its stored rows, in well
    under a second at the full release's scale. The views keep their names, columns and comments.
    Several are computed at once (``MART_QUERIES``): most are too small to keep DuckDB's threads
    busy on their own. A view that reads another of ``names`` starts once that one is stored and
    reads its stored rows (``embassy_volume_by_year`` does not compute ``embassy_volume_by_month``
    again); views that read each other are computed from their queries.
    """
    con.execute(f"create schema if not exists {MART_SCHEMA}")
    reads = view_reads(con, names)

    def store(name: str, cursor: duckdb.DuckDBPyConnection) -> None:
        with cursor:
            cursor.execute(f"create table {MART_SCHEMA}.{name} as select * from main.{name}")

    stored: set[str] = set()
    waiting = list(names)
    running: dict = {}
    pool = ThreadPoolExecutor(MART_QUERIES)
    try:
        while waiting or running:
            ready = [name for name in waiting if reads[name] <= stored]
            if not ready and not running:
                ready = list(waiting)  # they read each other: no order exists
            for name in ready:
                waiting.remove(name)
                # The cursor is made here: the connection is used from this thread only.
                cursor = con.cursor()
                running[pool.submit(store, name, cursor)] = (name, cursor)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name, _ = running.pop(future)
                future.result()
                con.execute(f"create or replace view main.{name} as select * from {MART_SCHEMA}.{name}")
                stored.add(name)
    except BaseException:
        # Fail fast: the running queries are interrupted, the queued ones dropped.
        for _, cursor in running.values():
            with contextlib.suppress(duckdb.Error):
                cursor.interrupt()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def view_reads(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[str, set[str]]:
    """For each of ``names`` (views of ``con``), the others of ``names`` its definition names.

    DuckDB keeps a view's definition without its comments; a name in a string literal or a column
    of the same name counts too (the view then waits for what it does not need: slower, never wrong)."""
    definitions = dict(
        con.execute(
            "select view_name, sql from duckdb_views() where not internal and schema_name = 'main' "
            "and database_name = current_database()"
        ).fetchall()
    )
    return {
        name: {other for other in names if other != name and re.search(rf"\b{other}\b", definitions.get(name) or "")}
        for name in names
    }


def reference_views() -> list[str]:
    """The views of ``REFERENCE_VIEWS`` whose file is here."""
    return [name for name, (file, _, _) in REFERENCE_VIEWS.items() if (REFERENCE_DIR / file).exists()]


def stored_views(sql_dir: Path) -> list[str]:
    """The views whose rows ``fill_database`` stores: the reference data's and those of ``sql_dir``."""
    return [*reference_views(), *(name for name, _, _ in sql_views(sql_dir))]


def views_fingerprint(sql_dir: Path) -> str:
    """What a database's stored rows were computed from, besides the tables: the views and data
    tests of ``sql_dir``, the reference data and the code that runs the tests (``data_issue``).
    A change to any means rebuilding the database, and testing every row again."""
    return fingerprint(sql_dir, REFERENCE_DIR, Path(data_checks.__file__))


DATA_ISSUE_COLUMNS = {
    "check_name": "VARCHAR",
    "severity": "VARCHAR",
    "model": "VARCHAR",
    "key": "VARCHAR",
    "value": "VARCHAR",
    "why": "VARCHAR",
}


def store_data_issues(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """The table ``data_issue``: ``rows``, the rows that break a warning of ``sql/schema.yml``
    (plausibility rules on what pages say, see ``cables.checks.issue_rows``), to be seen and queried."""
    columns = ", ".join(f"{name} {kind}" for name, kind in DATA_ISSUE_COLUMNS.items())
    con.execute(f"create table {MART_SCHEMA}.data_issue ({columns})")
    if rows:
        con.executemany(
            f"insert into {MART_SCHEMA}.data_issue values (?, ?, ?, ?, ?, ?)",
            [[r["check"], r["severity"], r["table"], r["key"], r["value"], r["why"]] for r in rows],
        )
    con.execute(f"create view data_issue as select * from {MART_SCHEMA}.data_issue")


def fill_database(con: duckdb.DuckDBPyConnection, sources: dict[str, str | list[str]], sql_dir: Path) -> None:
    """On ``con``: a view per table over its files (``sources``), per reference file and per
    ``.sql`` file, with the views of the reference files and of ``sql/`` materialised (see
    ``materialise_views``)."""
    create_views(con, sources, sql_dir)
    # The reference data too: release_cable (251,287 ids, gzipped) is read by several views.
    materialise_views(con, stored_views(sql_dir))


def finish_database(con: duckdb.DuckDBPyConnection, sql_dir: Path, issues: list[dict]) -> None:
    """The data issues (``issues``) stored and every view and stored table commented."""
    store_data_issues(con, issues)
    views = [name for (name,) in con.execute("select view_name from duckdb_views() where not internal").fetchall()]
    document(
        con,
        view_docs(sql_dir),
        views=views,
        stored=[*stored_views(sql_dir), "data_issue"],
    )


def database_connection(path: Path, spill: Path) -> duckdb.DuckDBPyConnection:
    """A connection to a new database file at ``path`` within the build's memory budget, spilling to ``spill``."""
    from cables.settings import settings

    # DuckDB takes 80 % of the machine's memory by default.
    return duckdb.connect(
        str(path), config={"memory_limit": settings().build_memory_limit, "temp_directory": str(spill)}
    )


def published_sources(warehouse: Warehouse) -> dict[str, str | list[str]]:
    """The files of every table as the manifest publishes them: the landing files it lists and the
    current snapshot's folders (whose files never change). Views over these see one build whole."""
    landing = [warehouse.url(f) for f in warehouse.published_files(LANDING_TABLE)]
    return {LANDING_TABLE: landing, **{table: warehouse.table_glob(table) for table in TABLES}}


def database_snapshot(warehouse: Warehouse) -> str | None:
    """The snapshot ``cables.duckdb`` was built over (None when there is no readable file)."""
    if not warehouse.database.exists():
        return None
    try:
        with duckdb.connect(str(warehouse.database), read_only=True) as con:
            return con.execute("select snapshot from _warehouse").fetchone()[0]
    except duckdb.Error:
        return None


def build_database(warehouse: Warehouse, sql_dir: Path, *, seconds: dict | None = None) -> Path:
    """Write ``cables.duckdb``: a view per table (absolute Parquet paths, or ``s3://`` URLs for a
    warehouse on object storage) and per ``.sql`` file, the materialised marts and the data
    issues. (The search index is not here: it is built with each snapshot, see
    ``flows/search_index.py``.) A build that publishes a snapshot does not call this: it
    publishes the database its data checks filled (``publish_database``).

    Built in a new file and renamed over the old one, so readers see the old or the new file.
    ``seconds``, when given, receives the time spent on the views.
    """
    from cables.checks import declared_checks, failed_checks, issue_rows

    tmp = warehouse.root / f".{warehouse.database.name}.{uuid.uuid4().hex[:8]}.tmp"
    with _database_file(tmp, warehouse.root / ".staging" / f"duckdb-{uuid.uuid4().hex[:8]}", warehouse) as con:
        start = time.perf_counter()
        fill_database(con, published_sources(warehouse), sql_dir)
        warnings = [c for c in declared_checks(sql_dir / "schema.yml") if c.severity == "warn"]
        finish_database(con, sql_dir, issue_rows(con, failed_checks(con, warnings)))
        if seconds is not None:
            seconds["views"] = time.perf_counter() - start
        _swap_in(con, tmp, warehouse, sql_dir)
    return warehouse.database


def publish_database(warehouse: Warehouse, staged: Path, sql_dir: Path) -> Path:
    """Make ``staged`` (the database the data checks of this build filled over its staged files,
    see ``flows.publish.check_staged_tables``) ``cables.duckdb``: its table views re-pointed at the
    files the manifest now publishes (their stored marts and data issues stand), then renamed
    over the old file. The staged file is gone afterwards, used or not."""
    with _database_file(staged, staged.with_name(staged.name + ".spill"), warehouse) as con:
        sources = published_sources(warehouse)
        create_views(con, sources, sql_dir, tables_only=True)
        document(con, view_docs(sql_dir), views=list(sources))
        _swap_in(con, staged, warehouse, sql_dir)
    return warehouse.database


@contextlib.contextmanager
def _database_file(path: Path, spill: Path, warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the database file at ``path`` (spilling to ``spill``; reading the object
    store of a remote ``warehouse``); the file, unless renamed away meanwhile, and the spill are
    removed afterwards."""
    con = database_connection(path, spill)
    try:
        if warehouse.remote:
            enable_s3(con)
        yield con
    finally:
        con.close()
        path.unlink(missing_ok=True)
        Path(str(path) + ".wal").unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)


def _swap_in(con: duckdb.DuckDBPyConnection, path: Path, warehouse: Warehouse, sql_dir: Path) -> None:
    """Stamp the database file at ``path`` with the warehouse and snapshot it serves and the
    fingerprint of the views it holds, make sure it was written whole, close it and rename it
    over ``cables.duckdb``."""
    con.execute(
        "create or replace table _warehouse as select ? as schema_version, ? as root, ? as built_at, "
        "? as snapshot, ? as views",
        [SCHEMA_VERSION, warehouse.location, utc_now(), warehouse.current_snapshot(), views_fingerprint(sql_dir)],
    )
    close_whole(con, path, warehouse.database.name)
    crash_point("database")
    os.replace(path, warehouse.database)


def close_whole(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> None:
    """Checkpoint and close ``con``, the database file ``path``; BuildError if the file is short.

    A full disk can leave the file short without DuckDB raising (seen under RLIMIT_FSIZE): the
    file must hold every block DuckDB counts, or it is not swapped in (``name`` is what it is
    for, in the message)."""
    con.execute("checkpoint")
    blocks, block_size = con.execute("select total_blocks, block_size from pragma_database_size()").fetchone()
    con.close()
    written = path.stat().st_size
    if written < blocks * block_size:
        raise BuildError(
            f"{name} was not written whole ({written:,} of {blocks * block_size:,} bytes): "
            f"is the disk full? An earlier {name} is kept"
        )


def connect_read_only(warehouse: Warehouse, sql_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only, sandboxed connection to the warehouse's database (see ``reader_database``)."""
    con = duckdb.connect(str(reader_database(warehouse, sql_dir)), read_only=True)
    return sandboxed(con, warehouse)


def reader_database(warehouse: Warehouse, sql_dir: Path) -> Path:
    """The database file a reader opens: ``cables.duckdb``, re-pointed first if the folder moved.

    A warehouse on object storage is read through its manifest there: ``cables.duckdb`` is
    (re)built in the local work folder whenever it lags the store's snapshot. When the folder
    moved while a build runs (its lock is held, so the file cannot be rebuilt now), the reader
    gets a stand-in: a database of plain views over the published files, in the temporary folder.
    """
    where = warehouse.location
    missing = ServeError(f"no warehouse at {where} (run `cables build --warehouse {where}` first)")
    if warehouse.remote:
        follow_store(warehouse)
        if warehouse.manifest() is None:  # nothing published there (yet)
            raise missing
    if not warehouse.database.exists() and warehouse.manifest() is not None:
        with contextlib.suppress(BuildError), warehouse.lock():
            build_database(warehouse, sql_dir)
    if not warehouse.database.exists():
        raise missing
    try:
        with duckdb.connect(str(warehouse.database), read_only=True) as con:
            cursor = con.execute("select * from _warehouse")
            stamp = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    except duckdb.Error:
        stamp = {}
    version, root, snapshot = stamp.get("schema_version"), stamp.get("root"), stamp.get("snapshot")
    if version != SCHEMA_VERSION:
        raise ServeError(
            f"the warehouse at {warehouse.location} has schema version {version}, this version of cables "
            f"reads {SCHEMA_VERSION}: run `cables build --warehouse {warehouse.location}` to rebuild it "
            "from its landed pages"
        )
    if (
        root == warehouse.location
        and snapshot == warehouse.current_snapshot()
        and stamp.get("views") == views_fingerprint(sql_dir)
    ):
        return warehouse.database
    # The folder moved, a build published and was stopped before its database, or the views of
    # sql/ changed since it was built (a newer version of cables): rebuild it, unless a build is
    # running (its own database is coming; this one is whole meanwhile).
    try:
        with warehouse.lock():
            build_database(warehouse, sql_dir)
    except BuildError:
        if root != warehouse.location:
            return stand_in_database(warehouse, sql_dir)
    return warehouse.database


def stand_in_database(warehouse: Warehouse, sql_dir: Path) -> Path:
    """A database of plain views (no stored rows, no search index) over the files the manifest
    publishes, in the temporary folder, named after the warehouse and its snapshot (so reused
    while both hold); removed when this process ends."""
    import atexit
    import tempfile

    key = hashlib.sha256(f"{warehouse.location}\0{warehouse.current_snapshot()}".encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"cables-stand-in-{key}.duckdb"
    if path.exists():
        return path
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with duckdb.connect(str(tmp)) as con:
        if warehouse.remote:
            enable_s3(con)
        create_views(con, published_sources(warehouse), sql_dir)
        con.execute(
            "create table _warehouse as select ? as schema_version, ? as root, ? as built_at, ? as snapshot",
            [SCHEMA_VERSION, warehouse.location, utc_now(), warehouse.current_snapshot()],
        )
    os.replace(tmp, path)
    atexit.register(path.unlink, missing_ok=True)
    return path


def follow_store(warehouse: Warehouse) -> None:
    """Take the object store's manifest (and build records) into the work folder, unless a build
    on this machine holds it: that build keeps the local manifest current (and publishes it)."""
    from flows.object_store import pull

    try:
        with warehouse.lock():
            pull(warehouse, data=False)
    except BuildError:
        return
    except Exception as exc:  # s3fs and botocore raise their own kinds: no route, no credentials, ...
        raise ServeError(f"cannot read the warehouse at {warehouse.location}: {type(exc).__name__}: {exc}") from exc


def readable_locations(warehouse: Warehouse, snapshot: str | None = None) -> list[str]:
    """What a sandboxed connection may read: the folder of the snapshot its database names
    (``snapshot``) and the published one (a build may publish between the two reads), the landing
    folder, ``data/reference/`` (and the store's URL for a warehouse on object storage). Not the
    manifest, the database, the lock, the run records or the staging folders. (A folder whose path
    holds glob characters is named by the views in another spelling: see ``readable_paths``.)"""
    folders = {str(REFERENCE_DIR.resolve()) + os.sep}
    if warehouse.remote:
        folders.add(warehouse.remote + "/")
        return sorted(folders)
    for name in {snapshot, warehouse.current_snapshot()} - {None}:
        folders.add(str(warehouse.snapshot_dir(name).resolve()) + os.sep)
    folders.add(str((warehouse.root / LANDING_TABLE).resolve()) + os.sep)
    folders |= {str(f.resolve().parent) + os.sep for f in warehouse.published_files(LANDING_TABLE)}
    return sorted(folders)


def readable_paths(warehouse: Warehouse, snapshot: str | None = None) -> list[str]:
    """The paths the views of a database over ``snapshot`` (and over the published one) name in
    another spelling than the file system's: a local path holding glob characters, escaped (see
    ``literal_glob``). DuckDB checks the path a query names, then each file a pattern expands to
    (against ``readable_locations``). Exactly these paths: a folder allowed in the escaped spelling
    would let a query read a folder whose name is that spelling."""
    if warehouse.remote:
        return []
    paths = {literal_glob(REFERENCE_DIR / file) for file, _, _ in REFERENCE_VIEWS.values()}
    for name in {snapshot, warehouse.current_snapshot()} - {None}:
        paths |= {warehouse.table_glob(table, name) for table in TABLES}
    paths |= {literal_glob(f) for f in warehouse.published_files(LANDING_TABLE)}
    return sorted(path for path in paths if "[" in path)


def snapshot_of(database: Path) -> str | None:
    """The snapshot a database file's views read (its ``_warehouse`` row); None when unreadable."""
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            return con.execute("select snapshot from _warehouse").fetchone()[0]
    except duckdb.Error:
        return None


def sandboxed(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    """The connection, unable from now on to touch files outside the warehouse and the reference data.

    Reading is allowed under ``readable_locations`` and of ``readable_paths``; any other path, an
    ``ATTACH``, ``INSTALL`` or ``LOAD`` fails with a permission error, and the settings are locked
    so a query cannot lift them. SQL typed by users never runs on this connection: ``cables.sandbox`` runs it in a
    process that cannot write files.
    """
    # A second connection to the same file in one process shares the first one's database (DuckDB
    # caches it by path), sandbox included: its settings are locked already.
    if con.execute("select current_setting('lock_configuration')").fetchone()[0]:
        return con
    if warehouse.remote:  # its tables are read by URL, through httpfs
        enable_s3(con)
    try:
        snapshot = con.execute("select snapshot from _warehouse").fetchone()[0]
    except duckdb.Error:
        snapshot = None
    folders = readable_locations(warehouse, snapshot)
    con.execute(f"set allowed_directories = [{', '.join(sql_literal(f) for f in folders)}]")
    con.execute(f"set allowed_paths = [{', '.join(sql_literal(p) for p in readable_paths(warehouse, snapshot))}]")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con
