"""The ``cables`` command: build the warehouse, query it, export from it."""

from __future__ import annotations

import csv
import itertools
import json
import os
import shutil
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import click

from cables.settings import settings
from cables.sqlquote import sql_identifier
from flows.layout import TABLES

# Prefect must not phone home (no network here) and its temporary server needs time to start.
for _key, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}.items():
    os.environ.setdefault(_key, _value)

WAREHOUSE_HELP = "Warehouse folder, or object-store URL s3://bucket/prefix (default: warehouse/, or CABLES_WAREHOUSE)."


def _warehouse_location(ctx, param, value: str | None) -> str | None:
    """A folder, or an s3://bucket/prefix URL (any other URL is refused here, with the reason)."""
    from flows.layout import BuildError, Warehouse

    try:
        Warehouse.at(value or settings().warehouse)
    except BuildError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _warehouse_option(func):
    return click.option(
        "--warehouse",
        "-w",
        type=click.Path(file_okay=False),
        default=None,
        callback=_warehouse_location,
        help=WAREHOUSE_HELP,
    )(func)


def _format_option(choices: list[str], help_text: str):
    """The option ``--format`` of a command: one of ``choices``, the first by default."""
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True, help=help_text
    )


def _output_options(help_text: str):
    """The options ``--out`` (described by ``help_text``) and ``--overwrite`` of a command."""

    def decorate(func):
        func = click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")(func)
        return click.option(
            "--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help=help_text
        )(func)

    return decorate


def _fail(message: str) -> None:
    click.echo(f"cables: {message}", err=True)
    sys.exit(1)


def _open(warehouse: str | None):
    from flows.layout import BuildError, Warehouse
    from flows.serve import ServeError, connect_read_only

    cfg = settings()
    try:
        return connect_read_only(Warehouse.at(warehouse or cfg.warehouse), cfg.sql_dir)
    except (ServeError, BuildError) as exc:
        _fail(str(exc))


def one_line(exc: BaseException) -> str:
    """An unexpected error as one line for the user: what failed and on which file, if any."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    module = type(exc).__module__
    kind = "database error" if module.startswith(("duckdb", "_duckdb")) else type(exc).__name__
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return f"{kind}: {lines[0]}" if lines else kind


class Commands(click.Group):
    """The command group: an error no command foresaw (a full disk, a damaged file) is one line on
    stderr and exit 1, not a traceback; ``CABLES_DEBUG=1`` shows the traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if os.environ.get("CABLES_DEBUG"):
                raise
            _fail(one_line(exc))


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cables-warehouse")
def main() -> None:
    """A warehouse of the WikiLeaks diplomatic cables: Parquet tables and DuckDB views."""


def _source(ctx, param, value: str | None) -> str | None:
    """A source is an http(s):// URL or an existing path (folder, archive, CSV dump)."""
    if value is None or value.startswith(("http://", "https://")):
        return value
    if not Path(value).expanduser().exists():
        raise click.BadParameter(f"{value!r} is no http(s):// URL and no such file or folder exists")
    return value


@main.command()
@click.option(
    "--source",
    "-s",
    default=None,
    callback=_source,
    help="Where the pages are: a folder of saved cable pages (searched recursively), an archive of "
    "them (.tar, .tar.gz, .tar.xz, .tar.bz2, .tar.zst, .zip, .7z), the release's cables.csv dump, or "
    "an http(s):// URL of a mirror: a cable page, an index page to crawl, or a text/plain list of "
    "page URLs (default: the bundled sample).",
)
@_warehouse_option
@click.option("--full-rebuild", is_flag=True, help="Start from an empty warehouse instead of adding to it.")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=2.0,
    show_default=True,
    help="HTTP sources: requests per second at most.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="HTTP sources: requests in flight at most.",
)
@click.option(
    "--runner",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where the batch tasks (land, parse, write the tables) run: threads of this process, or "
    "dask.distributed workers (see docs/scaling.md).",
)
@click.option(
    "--dask-address",
    default=None,
    metavar="ADDRESS",
    help="With --runner dask: the scheduler of a running cluster (tcp://host:8786); without it, a "
    "temporary LocalCluster of 2 worker processes is started and stopped with the build.",
)
def build(
    source: str | None,
    warehouse: str | None,
    full_rebuild: bool,
    rate: float,
    concurrency: int,
    runner: str,
    dask_address: str | None,
) -> None:
    """Build or update the warehouse from a source of pages (a Prefect flow run).

    Sources add up: building a second folder into a warehouse keeps the first. Re-running on the
    same source lands nothing new, re-parses nothing and rewrites no table. Exits 0 when a
    warehouse was published (rejected pages are data, listed in the reject table), 1 otherwise.
    """
    from flows.build import PROGRESS_LISTENERS, build_warehouse, direct_runs
    from flows.layout import BuildError, Warehouse

    # Said before a flow run starts (the flow would refuse too, with Prefect's traceback logged).
    target = Warehouse.at(warehouse or settings().warehouse)
    if target.is_locked():
        _fail(f"another build is running on the warehouse {target.location}; try again when it is done")
    bar = ParseProgress() if sys.stderr.isatty() else None
    if bar:
        PROGRESS_LISTENERS.append(bar.update)
    try:
        with direct_runs():
            result = build_warehouse(
                source=source,
                warehouse=str(warehouse) if warehouse else None,
                full_rebuild=full_rebuild,
                rate=rate,
                concurrency=concurrency,
                runner=runner,
                dask_address=dask_address,
            )
    except BuildError as exc:
        _fail(str(exc))
    except Exception as exc:
        _fail(f"build failed: {type(exc).__name__}: {exc}")
    finally:
        if bar:
            PROGRESS_LISTENERS.remove(bar.update)
            bar.close()
    click.echo(format_summary(result))


class ParseProgress:
    """A progress bar of the pages parsed, on stderr (a terminal): one bar per parse round."""

    def __init__(self, console=None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("parsing pages"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
        )
        self.task = None
        self.total = None

    def update(self, done: int, total: int) -> None:
        if self.task is None or total != self.total or done < self.progress.tasks[self.task].completed:
            if self.task is None:
                self.progress.start()
            self.task, self.total = self.progress.add_task("parse", total=total), total
        self.progress.update(self.task, completed=done)

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()


def format_summary(result: dict) -> str:
    """The build summary a person reads: pages, reconciliation and rows per table."""
    landing, rows = result["landing"], result["rows"]
    versions = rows["page_version"] - rows["cable"]
    lines = [
        f"warehouse   {result['warehouse']}",
        f"source      {landing['source']}",
        f"files seen  {landing['files_seen']:>7,}  (new {landing['landed_new']:,}, changed "
        f"{landing['landed_changed']:,}, unchanged {landing['unchanged'] + landing['same_content']:,}"
        + (f", failed to fetch {landing['fetch_failed']:,}" if landing.get("fetch_failed") else "")
        + "".join(
            f", {label} {landing[key]:,}"
            for key, label in (
                ("too_large", "too large"),
                ("not_regular", "not regular files"),
                ("unreadable", "unreadable"),
                ("truncated", "truncated archives"),
            )
            if landing.get(key)
        )
        + ")",
        f"pages       {rows['raw_page'] + rows.get('never_fetched', 0):>7,}  = {rows['cable']:,} cables + "
        f"{versions:,} other versions + {rows['reject']:,} rejects"
        + (f" + {rows['replaced_rejects']:,} replaced rejects" if rows.get("replaced_rejects") else ""),
        "rows",
    ]
    lines += [f"  {name:<14}{rows[name]:>9,}" for name in TABLES]
    if landing.get("crawl_stopped"):
        lines.append(f"crawl       stopped early: {landing['crawl_stopped']}")
    lines.append(f"database    {result['database']}")
    for warning in result.get("data_warnings") or []:
        shown = ", ".join(f"{e['key']} ({e['value']})" for e in warning["examples"][:3])
        more = ", ..." if warning["rows"] > 3 else ""
        lines.append(f"warning     {warning['check']}: {warning['rows']:,} rows: {shown}{more}")
    if result.get("data_warnings"):
        lines.append('            (published all the same; all rows: cables sql "select * from data_issue")')
    return "\n".join(lines)


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        # A sum of integers is a HUGEINT, which Arrow carries as a decimal of scale 0: an integer.
        return int(value) if value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


@main.command()
@click.argument("query", required=False)
@click.option(
    "--file", "-f", "query_file", type=click.File("r"), default=None, help="Read the query from a file ('-' for stdin)."
)
@_format_option(["table", "csv", "json", "parquet"], "Output format (parquet needs --out).")
@click.option(
    "--max-rows", type=int, default=50, show_default=True, help="Rows shown in table format (all rows in csv/json)."
)
@_output_options("Write the result to this file instead of stdout (csv or parquet).")
@_warehouse_option
def sql(
    query: str | None,
    query_file,
    fmt: str,
    max_rows: int,
    out: Path | None,
    overwrite: bool,
    warehouse: str | None,
) -> None:
    """Run one read-only SQL statement against the warehouse and print the result.

    CSV output is a header line and one line per row, nothing else on stdout; JSON is an array of
    objects. Only SELECT-like statements run (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN),
    and the query cannot read files outside the warehouse. Example:
    cables sql "select origin, count(*) n from cable group by 1 order by n desc"
    """
    if query_file is not None:
        query = query_file.read()
    if not query:
        if sys.stdin.isatty():
            _fail("give a query, -f FILE, or a query on stdin")
        query = sys.stdin.read()
    if fmt == "parquet" and out is None:
        _fail("--format parquet writes a file: give --out FILE")
    if out is not None:
        if fmt not in ("csv", "parquet"):
            _fail("--out writes csv or parquet: give --format csv or --format parquet")
        _export(warehouse, query, fmt, out, overwrite=overwrite)
        return
    from cables.sandbox import SandboxError

    try:
        with _sandboxed_query(warehouse, query) as result:
            columns = result.reader.schema.names
            rows = _rows(result.batches())
            if fmt == "csv":
                writer = csv.writer(sys.stdout, lineterminator="\n")
                writer.writerow(columns)
                for row in rows:
                    writer.writerow([_jsonable(v) if v is not None else "" for v in row])
            elif fmt == "json":
                sys.stdout.write("[")
                for i, row in enumerate(rows):
                    record = {c: _jsonable(v) for c, v in zip(columns, row, strict=True)}
                    sys.stdout.write((", " if i else "") + json.dumps(record, default=str))
                sys.stdout.write("]\n")
            else:
                # Only the rows shown are read: the query process is stopped after one more.
                shown = list(itertools.islice(rows, max_rows + 1))
                click.echo(format_table(columns, shown[:max_rows], max_rows, more=len(shown) > max_rows))
    except SandboxError as exc:
        _fail(str(exc))
    except OSError as exc:  # stdout closed or its disk full
        _fail(f"cannot write the result: {exc.strerror or exc}")


def _rows(batches):
    """The rows of Arrow record batches, as tuples, one batch in memory at a time."""
    for batch in batches:
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


def _sandboxed_query(warehouse: str | None, query: str):
    """``query`` started in the sandboxed query process (``cables.sandbox``) on the warehouse's
    database; the database is brought up to date first, as for any reader."""
    from cables.sandbox import read_only_statement, run_query
    from flows.layout import BuildError, Warehouse
    from flows.serve import ServeError, readable_locations, readable_paths, reader_database, snapshot_of

    read_only_statement(query)  # refused before the warehouse is opened
    location = Warehouse.at(warehouse or settings().warehouse)
    try:
        database = reader_database(location, settings().sql_dir)
    except (ServeError, BuildError) as exc:
        _fail(str(exc))
    snapshot = snapshot_of(database)
    readable = readable_locations(location, snapshot)
    return run_query(database, readable, query, paths=readable_paths(location, snapshot), remote=bool(location.remote))


def format_table(columns: list[str], rows: list[tuple], max_rows: int, width: int = 48, more: bool = False) -> str:
    """A plain text table: one header line, a rule, one line per row (cells cut at ``width``).

    ``more`` says the result has rows beyond ``rows`` (which were not read)."""

    def cell(value) -> str:
        text = "" if value is None else str(_jsonable(value))
        text = text.replace("\n", " ")
        return text if len(text) <= width else text[: width - 1] + "…"

    shown = [[cell(v) for v in row] for row in rows[:max_rows]]
    widths = [max([len(c), *(len(r[i]) for r in shown)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in shown]
    if more:
        lines.append(f"(more than {max_rows} rows, {max_rows} shown: --max-rows N shows more)")
    else:
        more = f", {max_rows} shown" if len(rows) > max_rows else ""
        lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{more})")
    return "\n".join(lines)


def _export(
    warehouse: str | None,
    query: str | None,
    fmt: str,
    out: str,
    *,
    name: str | None = None,
    overwrite: bool = False,
    partition_by: list[str] | None = None,
    excel: bool = False,
) -> None:
    """Export ``query``, or the table or view ``name``, on one sandboxed connection."""
    from cables.exporting import ExportError, export_query, view_query
    from flows.layout import Warehouse

    location = Warehouse.at(warehouse or settings().warehouse)
    con = _open(warehouse)
    try:
        query = view_query(con, name) if name is not None else query
    except ExportError as exc:
        _fail(str(exc))
    finally:
        con.close()
    try:
        rows = export_query(
            lambda q: _sandboxed_query(warehouse, q),
            query,
            fmt,
            out,
            overwrite=overwrite,
            partition_by=partition_by,
            excel=excel,
            protected=location.location,
        )
    except ExportError as exc:
        _fail(str(exc))
    except OSError as exc:  # a full disk, a folder that cannot be written
        _fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"wrote {rows:,} rows of {name or 'the query'} to {out}", err=True)


@main.command()
@click.argument("name", required=False)
@click.option("--query", "-q", default=None, help="Export the result of this read-only SQL query instead of NAME.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default=None,
    help="File format (needed with NAME or --query).",
)
@click.option(
    "--out",
    "-o",
    "out",
    default=None,
    help="File to write, needed with NAME or --query (a folder with --partition-by); an s3://bucket/key URL is "
    "uploaded there.",
)
@click.option(
    "--database",
    "database",
    default=None,
    metavar="PATH",
    help="Instead of NAME or --query: write the whole warehouse as one self-contained DuckDB file (every "
    "table's rows, the views, their descriptions) that opens anywhere with DuckDB alone.",
)
@click.option("--with-pages", is_flag=True, help="With --database: store the landed pages (raw_page) too.")
@click.option(
    "--partition-by",
    "partition_by",
    multiple=True,
    help="Write a folder of hive-style partitions by this column (repeat for several).",
)
@click.option("--excel", is_flag=True, help="CSV for spreadsheets: start the file with a UTF-8 byte order mark.")
@click.option("--overwrite", is_flag=True, help="Replace OUT (or the --database file) if it exists.")
@_warehouse_option
def export(
    name: str | None,
    query: str | None,
    fmt: str | None,
    out: str | None,
    database: str | None,
    with_pages: bool,
    partition_by: tuple[str, ...],
    excel: bool,
    overwrite: bool,
    warehouse: str | None,
) -> None:
    """Write a table or view NAME, or a --query result, to CSV or Parquet; or, with --database
    PATH, the whole warehouse to one DuckDB file to hand on.

    NAME must be a table or view of the warehouse (see `cables info`). CSV is UTF-8 with every
    text quoted (multi-line text stays in one cell), lists joined with "; ", and text cells that
    start with = + - @ (which a spreadsheet would run as a formula) prefixed with a quote.
    The --database file holds the rows themselves (no path to the warehouse's files): moved or
    sent elsewhere, it opens with DuckDB alone.
    """
    if database is not None:
        given = {"NAME": name, "--query": query, "--format": fmt, "--out": out, "--partition-by": partition_by}
        mixed = [option for option, value in {**given, "--excel": excel}.items() if value]
        if mixed:
            _fail(f"--database writes the whole warehouse to one DuckDB file: give it without {', '.join(mixed)}")
        _export_database(warehouse, database, overwrite=overwrite, with_pages=with_pages)
        return
    if with_pages:
        _fail("--with-pages goes with --database PATH")
    if fmt is None or out is None:
        _fail("give --format csv|parquet and --out PATH (or --database PATH for a DuckDB file of the whole warehouse)")
    if (name is None) == (query is None):
        _fail("give a table or view NAME, or --query SQL (not both)")
    _export(
        warehouse,
        query,
        fmt,
        out,
        name=name,
        overwrite=overwrite,
        partition_by=list(partition_by) or None,
        excel=excel,
    )


def _export_database(warehouse: str | None, out: str, *, overwrite: bool, with_pages: bool) -> None:
    """Write the warehouse to the DuckDB file ``out`` and say what it holds."""
    from cables.export_database import export_database
    from cables.exporting import ExportError
    from flows.layout import BuildError, Warehouse
    from flows.serve import ServeError

    location = Warehouse.at(warehouse or settings().warehouse)
    try:
        rows = export_database(location, settings().sql_dir, out, overwrite=overwrite, with_pages=with_pages)
    except (ExportError, ServeError, BuildError) as exc:
        _fail(str(exc))
    except OSError as exc:  # a full disk, a folder that cannot be written
        _fail(f"cannot write {out}: {exc.strerror or exc}")
    size = "" if "://" in out else f", {Path(out).expanduser().stat().st_size / 1e6:,.1f} MB"
    click.echo(f"wrote {out}: {len(rows)} tables and views, {rows.get('cable', 0):,} cables{size}", err=True)


@main.command()
@click.argument("query")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=10, show_default=True, help="Cables shown at most.")
@click.option(
    "--in",
    "kind",
    type=click.Choice(["all", "paragraph", "subject"]),
    default="all",
    show_default=True,
    help="Search paragraphs, subjects, or both.",
)
@click.option("--any-word", is_flag=True, help="A document needs one word of QUERY, not all (OR instead of AND).")
@click.option("--origin", default=None, help='Only cables from this post, e.g. "Embassy Cairo" (any case).')
@click.option("--tag", default=None, help="Only cables with this tag, e.g. PGOV.")
@click.option("--classification", default=None, help="Only cables of this classification, e.g. SECRET//NOFORN.")
@click.option(
    "--from",
    "since",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Only cables written on or after this day (YYYY-MM-DD).",
)
@click.option(
    "--to", "until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Only cables written on or before this day."
)
@_format_option(
    ["table", "csv", "json", "parquet"],
    "table: for reading; csv, parquet: one row per cable; json: with its best paragraphs.",
)
@_output_options("Write to this file (needed for parquet).")
@_warehouse_option
def search(
    query: str,
    limit: int,
    kind: str,
    any_word: bool,
    origin: str | None,
    tag: str | None,
    classification: str | None,
    since,
    until,
    fmt: str,
    out: Path | None,
    overwrite: bool,
    warehouse: str | None,
) -> None:
    """Full-text search of cable subjects and paragraphs: one hit per cable, best first (BM25, a
    subject match weighing twice a paragraph's), with its best paragraphs and the matching words
    between ** marks.

    \b
    QUERY words must all match; OR, NOT (or -word), parentheses as usual;
    "human rights" for a phrase; qadhaf* for a prefix; qaddafi~ (or ~2) for spelling variants;
    filters inside QUERY: origin:"Embassy Cairo" tag:PGOV classification:SECRET year:2009
    year:[2008 TO 2010] date:[2009-01-01 TO 2009-06-30] id:09CAIRO231 subject:word.
    Case, accents and word endings do not matter. Exits 0 with a message when nothing matches.
    """
    from cables.exporting import ExportError, check_output
    from cables.search import Filters, SearchError, format_hits, hits_csv, hits_json, write_hits_parquet
    from cables.search import search as run_search
    from flows.layout import Warehouse
    from flows.search_index import reader_index
    from flows.serve import ServeError

    if fmt == "parquet" and out is None:
        _fail("--format parquet writes a file: give --out FILE")
    wh = Warehouse.at(warehouse or settings().warehouse)
    if out is not None:
        try:
            check_output(out, protected=wh.location, overwrite=overwrite)
        except ExportError as exc:
            _fail(str(exc))
    filters = Filters(
        origin=origin,
        tag=tag,
        classification=classification,
        since=since.date() if since else None,
        until=until.date() if until else None,
    )
    try:
        hits = run_search(reader_index(wh), query, limit=limit, kind=kind, filters=filters, any_word=any_word)
    except (ValueError, SearchError, ServeError) as exc:
        _fail(str(exc))
    if fmt == "parquet":
        write_hits_parquet(hits, out)
        click.echo(f"wrote {len(hits)} hits to {out}")
        return
    if fmt == "csv":
        text = hits_csv(hits)
    elif fmt == "json":
        text = hits_json(hits) + "\n"
    else:
        text = (format_hits(hits) if hits else f"no match for {query!r}") + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(hits)} hits to {out}")


@main.command()
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="HTML file to write.",
)
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@click.option(
    "--serve-url",
    metavar="URL",
    help="Address of a `cables serve` site (default: CABLES_SERVE_URL): cables in the report link to "
    "URL/cable/<reference_id>. Without it, no links.",
)
@_warehouse_option
def report(out: Path, overwrite: bool, serve_url: str | None, warehouse: str | None) -> None:
    """Write a self-contained HTML report with charts: volume over time beside the full release's,
    classification mix, tag pairs, most cited cables. It needs no network to open."""
    from cables.exporting import ExportError, check_output
    from cables.report import serve_address, write_report
    from flows.layout import Warehouse

    try:
        serve_url = serve_address(serve_url or settings().serve_url)
    except ValueError as exc:
        _fail(str(exc))
    location = Warehouse.at(warehouse or settings().warehouse)
    try:
        check_output(out.expanduser().absolute(), protected=location.root, overwrite=overwrite)
    except ExportError as exc:
        _fail(str(exc))
    con = _open(warehouse)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_report(con, out, serve_url)
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}")
    finally:
        con.close()
    click.echo(f"wrote {out}", err=True)


@main.command()
@click.argument("id")
@_format_option(
    ["text", "markdown", "json", "html"],
    "text: wrapped for a terminal; markdown; json: one object, every field; html: a self-contained page.",
)
@click.option(
    "--page", is_flag=True, help="Write the stored original page instead, byte for byte as landed (hash checked)."
)
@click.option(
    "--version",
    "version_rank",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="With --page: the page of version N (1 = the current version, the default; 2 the one before, ...).",
)
@click.option(
    "--link-prefix",
    default="/cable/",
    show_default=True,
    help="HTML: other cables are linked as PREFIX<reference id>.",
)
@_output_options("Write to this file instead of stdout.")
@_warehouse_option
def show(
    id: str,
    fmt: str,
    page: bool,
    version_rank: int | None,
    link_prefix: str,
    out: Path | None,
    overwrite: bool,
    warehouse: str | None,
) -> None:
    """Show one cable: its fields, addressees, paragraphs with their markings, references (in the
    release? in this warehouse?), the cables citing it, its versions and what changed, its news
    articles.

    ID is a reference id as printed or as copied: 08TRIPOLI220, "08 Tripoli 220", 08tripoli0220.
    With --page, the stored original page is written instead, byte for byte as it was landed, after
    its SHA-256 is checked against the hash recorded then.
    """
    from cables.exporting import ExportError, check_output
    from cables.show import ShowError, cable_view, find_cable, render, stored_page
    from flows.layout import Warehouse

    if version_rank is not None and not page:
        _fail("--version chooses the page written by --page: give --page too")
    if page and click.get_current_context().get_parameter_source("fmt") == click.core.ParameterSource.COMMANDLINE:
        _fail("--page writes the page as it was landed, in no --format: give one of them")
    if out is not None:
        try:
            check_output(out, protected=Warehouse.at(warehouse or settings().warehouse).root, overwrite=overwrite)
        except ExportError as exc:
            _fail(str(exc))
    con = _open(warehouse)
    try:
        cable_id = find_cable(con, id)
        if page:
            stored = stored_page(con, cable_id, version_rank or 1)
        else:
            width = max(60, min(shutil.get_terminal_size().columns, 100)) if sys.stdout.isatty() else 80
            text = render(cable_view(con, cable_id), fmt, width=width, link_prefix=link_prefix)
    except ShowError as exc:
        _fail(str(exc))
    finally:
        con.close()
    if not page:
        if out is None:
            click.echo(text, nl=False)
        else:
            _write_file(out, text.encode("utf-8"))
            click.echo(f"wrote {cable_id} ({fmt}) to {out}", err=True)
        return
    if not stored.intact:
        _fail(
            f"the stored page of {cable_id} (version {stored.version_rank}, {stored.source_uri}) does not match "
            f"the SHA-256 recorded when it was landed ({stored.recorded_sha256}; read back: {stored.sha256}): "
            "nothing written"
        )
    if out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(stored.content)
        sys.stdout.buffer.flush()
    else:
        _write_file(out, stored.content)
    click.echo(
        f"{cable_id} version {stored.version_rank} of {stored.versions}: {len(stored.content):,} bytes, "
        f"SHA-256 {stored.sha256} as recorded when landed" + (f", written to {out}" if out is not None else ""),
        err=True,
    )


def _write_file(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` through a temporary file and a rename (never half a file)."""
    import uuid

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out)
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}")
    finally:
        tmp.unlink(missing_ok=True)


@main.command()
@click.option(
    "--port",
    "-p",
    type=click.IntRange(min=0, max=65535),
    default=8001,
    show_default=True,
    help="TCP port to listen on; 0 for any free port (the URL printed says which).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; the default answers this machine only.",
)
@_warehouse_option
def serve(port: int, host: str, warehouse: str | None) -> None:
    """Browse the warehouse in a web browser, read-only (Datasette): cable listings with facets by
    origin, tag, year and classification, a page per cable with its cited and citing cables as
    links, search, the report, JSON and CSV of any listing, and SQL as Datasette allows it.

    The first start on a snapshot builds the warehouse's SQLite edition (kept in
    CABLES_SERVE_CACHE, default ~/.cache/cables); later starts reuse it. Prints the URL and runs
    until Ctrl-C or SIGTERM.
    """
    from cables.browse import bound_socket, make_datasette, prepare, run, url_of
    from cables.edition import EditionError
    from flows.layout import BuildError
    from flows.serve import ServeError

    cfg = settings()
    try:
        served, seconds, built = prepare(warehouse or cfg.warehouse, cfg.sql_dir)
    except (ServeError, BuildError, EditionError) as exc:
        _fail(str(exc))
    how = f"built in {seconds:.1f} s" if built else "cached"
    click.echo(f"edition {served.edition} ({how})", err=True)
    try:
        sock = bound_socket(host, port)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    ds = make_datasette(served)
    try:
        run(ds, sock, on_ready=lambda: click.echo(f"serving {url_of(sock)} (Ctrl-C to stop)"))
    finally:
        sock.close()
    click.echo("stopped", err=True)


@main.command()
@_warehouse_option
def schema(warehouse: str | None) -> None:
    """Print every table and view with its grain and documented columns, as Markdown.

    docs/schema.md is this output for the bundled sample's warehouse.
    """
    from cables.schema_doc import schema_markdown

    con = _open(warehouse)
    try:
        click.echo(schema_markdown(con), nl=False)
    finally:
        con.close()


@main.command()
@_warehouse_option
def info(warehouse: str | None) -> None:
    """List the warehouse's tables and views with their row counts and descriptions."""
    con = _open(warehouse)
    try:
        views = con.execute(
            "select view_name, coalesce(comment, '') from duckdb_views() where not internal order by view_name"
        ).fetchall()
        rows = [
            (name, con.execute(f"select count(*) from {sql_identifier(name)}").fetchone()[0], comment)
            for name, comment in views
        ]
        built = con.execute("select built_at, root from _warehouse").fetchone()
    finally:
        con.close()
    click.echo(f"warehouse {built[1]} (views built {built[0]})")
    click.echo(format_table(["name", "rows", "description"], rows, max_rows=len(rows), width=90))


@main.command()
@_warehouse_option
def check(warehouse: str | None) -> None:
    """Run the data tests of sql/schema.yml against the warehouse; exit 1 if an error-level test fails.

    Warnings (plausibility rules on what pages say) are listed with their first offending rows;
    the data_issue table holds them all.
    """
    from cables.checks import declared_checks, failed_checks, issue_rows

    checks = declared_checks(settings().sql_dir / "schema.yml")
    con = _open(warehouse)
    try:
        failures = failed_checks(con, checks)
        rows = issue_rows(con, [(c, n) for c, n in failures if c.severity == "warn"])
    finally:
        con.close()
    errors = [(c, n) for c, n in failures if c.severity == "error"]
    for failed, count in errors:
        click.echo(f"FAIL {failed.name}: {count:,} rows", err=True)
    for failed, count in failures:
        if failed.severity != "warn":
            continue
        click.echo(f"WARN {failed.name}: {count:,} rows ({failed.why})", err=True)
        listed = [r for r in rows if r["check"] == failed.name]
        for row in listed[:5]:
            click.echo(f"  {row['key']}: {row['value']}", err=True)
        if count > 5:
            click.echo('  ... (all in: cables sql "select * from data_issue")', err=True)
    warned = len(failures) - len(errors)
    click.echo(f"{len(checks) - len(failures)} passed, {len(errors)} failed, {warned} warned")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
