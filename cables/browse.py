"""``cables serve``: the warehouse in a browser, read-only, on Datasette.

Datasette serves the warehouse's edition (``cables.edition``, one SQLite file) in immutable
mode: its listings, facets, filters, row pages, JSON and CSV, and SQL as Datasette allows it
(one SELECT, a time limit, no write, no ATTACH). This module adds what the Cable Viewer taught
readers to expect, as Datasette plugin routes rendered with Datasette's own templates
(``cables/templates/``):

- ``/``: the start page (what the warehouse holds, where to go);
- ``/cable/<reference_id>``: a cable's page: meta, addressees, tags, paragraphs, its references
  (a link when the cited cable is in the warehouse, a note when it is only in the release),
  the cables citing it, its versions and what changed, news articles;
- ``/search?q=...``: the warehouse's search index (``cables.search``, the query language of
  ``cables search``), hits linking to their cable pages, matches highlighted;
- ``/report``: the page of ``cables report``.

The server binds one socket (a free port with ``port=0``), prints its URL and runs until
Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import markupsafe
from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm
from datasette.utils import tilde_decode
from datasette.utils.asgi import Response

from cables.edition import DATABASE_NAME, edition_metadata, ensure_edition
from cables.search import MARK_END, MARK_START, SearchError
from cables.search import search as run_search

TEMPLATES = Path(__file__).with_name("templates")
PLUGIN_NAME = "cables-serve"
SEARCH_LIMIT = 20
SEARCH_MAX = 200
# Datasette's settings: a query runs 5 s at most; long texts are cut in listings.
SETTINGS = {
    "sql_time_limit_ms": 5000,
    "facet_time_limit_ms": 500,
    "truncate_cells_html": 160,
    "default_page_size": 50,
}
# The columns the start page shows in the cable listing (Datasette's ``_col``).
LISTING_COLUMNS = ("created_at", "origin", "classification", "subject_title", "tags")


@dataclass(frozen=True)
class Served:
    """What a server shows: the edition file, its metadata and the search index beside it."""

    edition: Path
    metadata: dict
    index_dir: Path
    snapshot: str


def prepare(warehouse: str, sql_dir: Path) -> tuple[Served, float, bool]:
    """The edition of the warehouse at ``warehouse`` (built now when the cache has none), its
    metadata and search index; also the seconds it took and whether it was built."""
    from flows.layout import Warehouse
    from flows.search_index import index_path
    from flows.serve import connect_read_only

    wh = Warehouse.at(warehouse)
    con = connect_read_only(wh, sql_dir)
    try:
        edition = ensure_edition(wh, con)
        metadata = edition_metadata(con)
    finally:
        con.close()
    served = Served(edition.path, metadata, index_path(wh, edition.snapshot), edition.snapshot)
    return served, edition.seconds, edition.built


def make_datasette(served: Served) -> Datasette:
    """A Datasette serving the edition immutable, with this module's pages and templates."""
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(sys.modules[__name__], name=PLUGIN_NAME)
    # Datasette 0.65's error handler first prints a traceback with ``rich`` (installed here with
    # Prefect), which raises when no exception is in flight (a path no route matches, such as
    # /a/b/c/d): those 404s became 500s. Without ``rich`` it answers them with its error page.
    # (Imported here, after datasette.plugins has registered it whole: imported first, it would be
    # registered half-initialised, with no handler at all.)
    import datasette.handle_exception

    datasette.handle_exception.rich = None
    metadata = {
        **served.metadata,
        "plugins": {PLUGIN_NAME: {"index_dir": str(served.index_dir), "snapshot": served.snapshot}},
    }
    return Datasette(
        immutables=[str(served.edition)],
        metadata=metadata,
        template_dir=str(TEMPLATES),
        settings=SETTINGS,
    )


def bound_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


def url_of(sock: socket.socket) -> str:
    """The http URL of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def run(ds: Datasette, sock: socket.socket, on_ready=None) -> None:
    """Serve ``ds`` on ``sock`` until Ctrl-C or SIGTERM (uvicorn stops cleanly on either);
    ``on_ready()`` is called once the server answers and stops on a signal."""
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, which stops on a signal and returns (uvicorn would raise the signal
        again once stopped, killing the process before it could say it stopped)."""

        def handle_exit(self, sig, frame) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if on_ready is not None and not self.should_exit:
                on_ready()

    asyncio.run(ds.invoke_startup())
    config = uvicorn.Config(ds.app(), log_level="warning", lifespan="on", access_log=False)
    Server(config).run(sockets=[sock])


# ---- plugin hooks ---------------------------------------------------------------------------


@hookimpl
def register_routes(datasette):
    """The cable page, the search page and the report."""
    return [
        (r"^/cable/(?P<reference_id>[^/]+)$", cable_page),
        (r"^/search$", search_page),
        (r"^/report$", report_page),
    ]


@hookimpl
def asgi_wrapper(datasette):
    """Every request that is not a GET or HEAD is refused with 405 before Datasette sees it: the
    server writes nothing, whatever Datasette's own checks would have said."""

    def wrap(app):
        async def read_only(scope, receive, send):
            if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
                more = True
                while more:  # read the body first, so the client gets the answer, not a reset
                    message = await receive()
                    more = message.get("more_body", False) and message["type"] == "http.request"
                refused = Response.text("cables serve is read-only\n", status=405, headers={"Allow": "GET, HEAD"})
                await refused.asgi_send(send)
                return
            await app(scope, receive, send)

        return read_only

    return wrap


@hookimpl
def prepare_jinja2_environment(env, datasette):
    """Filters for the templates: a cable's page path, from its id or a row's primary key path."""
    env.filters["cable_href"] = cable_href
    env.filters["pk_cable_href"] = lambda pk_path: cable_href(tilde_decode(str(pk_path)))
    env.filters["tilde_decode"] = lambda pk_path: tilde_decode(str(pk_path))
    env.filters["marked"] = marked_html
    env.globals["cable_listing"] = "/cables/cable?" + "&".join(f"_col={column}" for column in LISTING_COLUMNS)


@hookimpl
def extra_template_vars(template, datasette):
    """The start page's figures (cables, period, origins, tags, snapshot)."""
    if template != "index.html":
        return {}

    async def figures():
        return {"edition": await edition_figures(datasette)}

    return figures


def cable_href(reference_id: str) -> str:
    """The path of a cable's page."""
    return "/cable/" + quote(reference_id, safe="")


def marked_html(snippet: str) -> markupsafe.Markup:
    """A search snippet as HTML: text escaped, each match (between ``**`` marks) in ``<mark>``."""
    parts = snippet.split(MARK_START) if MARK_START == MARK_END else [snippet]
    out = []
    for i, part in enumerate(parts):
        text = markupsafe.escape(part)
        marked = i % 2 == 1 and i < len(parts) - 1
        out.append(markupsafe.Markup(f"<mark>{text}</mark>") if marked else text)
    return markupsafe.Markup("").join(out)


async def edition_figures(datasette) -> dict:
    """What the edition holds, for the start page."""
    db = datasette.get_database(DATABASE_NAME)
    about = dict((await db.execute("select key, value from edition")).rows)
    counts = (
        await db.execute("select count(*), count(distinct origin), min(created_at), max(created_at) from cable")
    ).rows[0]
    tags = (await db.execute("select count(distinct canonical_tag) from tag")).rows[0][0]
    example = (
        await db.execute("select reference_id from cable_overview order by cited_by_count desc, reference_id limit 1")
    ).rows
    return {
        "cables": counts[0],
        "origins": counts[1],
        "first": (counts[2] or "")[:10],
        "last": (counts[3] or "")[:10],
        "tags": tags,
        "example": example[0][0] if example else None,
        "snapshot": about.get("snapshot"),
        "built_at": about.get("built_at"),
    }


async def _rows(db, sql: str, params: dict) -> list[dict]:
    return [dict(row) for row in (await db.execute(sql, params)).rows]


CABLE_QUERIES = {
    "recipients": """
        select kind, position, name, routing_indicator, routing_name, precedence
        from recipient where reference_id = :id order by kind = 'xmt', kind = 'info', position
    """,
    "tags": """
        select tag, canonical_tag, tag_kind from tag where reference_id = :id order by position, part
    """,
    "paragraphs": """
        select position, number, marking, text_joined as text from paragraph
        where reference_id = :id order by position
    """,
    "references": """
        select r.position, r.letter, r.kind, r.raw, r.referenced_id, r.cited_reference_id,
               c.subject_title as cited_subject, rc.month as release_month
        from reference r
        left join cable c on c.reference_id = r.cited_reference_id
        left join release_cable rc on rc.reference_id = r.referenced_id
        where r.reference_id = :id order by r.position, r.part
    """,
    "citing": """
        select e.citing_id, c.subject_title, c.created_at, c.origin, c.classification
        from citation_edge e join cable c on c.reference_id = e.citing_id
        where e.cited_reference_id = :id order by c.created_at, e.citing_id
    """,
    "versions": """
        select version_rank, released_at, build_stamp, pages, is_current, source_uri, content_sha256
        from cable_version where reference_id = :id order by version_rank
    """,
    "changes": """
        select from_version_rank, to_version_rank, from_released_at, to_released_at, changed,
               from_classification, to_classification, from_subject, to_subject, tags_added,
               tags_removed, from_body_chars, to_body_chars, body_diff
        from cable_change where reference_id = :id order by from_version_rank desc
    """,
    "media": "select url, host from media_link where reference_id = :id order by host, url",
}


async def cable_page(datasette, request):
    """A cable's page (404 with a note when the id is not in the warehouse)."""
    from urllib.parse import unquote

    reference_id = unquote(request.url_vars["reference_id"])
    db = datasette.get_database(DATABASE_NAME)
    found = await _rows(db, "select * from cable where reference_id = :id", {"id": reference_id})
    if not found:
        released = await _rows(db, "select month from release_cable where reference_id = :id", {"id": reference_id})
        context = {"reference_id": reference_id, "in_release": bool(released)}
        page = await datasette.render_template("cable_missing.html", context, request=request)
        return Response.html(page, status=404)
    context = {"cable": found[0], "reference_id": reference_id}
    for name, sql in CABLE_QUERIES.items():
        context[name] = await _rows(db, sql, {"id": reference_id})
    for change in context["changes"]:
        for column in ("changed", "tags_added", "tags_removed"):
            change[column] = _json_list(change[column])
    context["cable"]["tags"] = _json_list(context["cable"]["tags"])
    page = await datasette.render_template("cable.html", context, request=request)
    return Response.html(page)


def _json_list(value: str | None) -> list:
    import json

    return json.loads(value) if value else []


async def search_page(datasette, request):
    """The search page: a form, and the hits of ``q`` (the query language of ``cables search``)."""
    query = request.args.get("q", "").strip()
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    try:
        limit = min(max(int(request.args.get("n", SEARCH_LIMIT)), 1), SEARCH_MAX)
    except ValueError:
        limit = SEARCH_LIMIT
    context = {"q": query, "hits": [], "error": None, "limit": limit}
    status = 200
    if query:
        try:
            context["hits"] = await asyncio.to_thread(run_search, Path(config["index_dir"]), query, limit)
        except (ValueError, SearchError) as exc:
            context["error"] = str(exc)
            status = 400
    page = await datasette.render_template("search.html", context, request=request)
    return Response.html(page, status=status)


async def report_page(datasette, request):
    """The page of ``cables report``, as the edition stored it."""
    db = datasette.get_database(DATABASE_NAME)
    rows = (await db.execute("select html from edition_report where name = 'report'")).rows
    return Response.html(rows[0][0])
