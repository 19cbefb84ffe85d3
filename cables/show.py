"""One cable as a reader wants it: its fields, addressees, paragraphs, references, citing cables,
versions and news articles gathered from the warehouse's views, rendered as text, Markdown, JSON or
a self-contained HTML page; and the stored original page of any of its versions, as landed.

``cable_view(con, reference_id)`` gathers (a dict of plain values, the JSON of ``cables show
--format json``); ``render_text``, ``render_markdown``, ``render_json`` and ``render_html`` render
it; ``find_cable`` reads an id as users copy it (``08 tripoli 505``); ``stored_page`` returns a
version's page bytes with the hash recorded when it was landed.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import textwrap
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote, urlsplit

import duckdb
import polars as pl

from transforms.cable_fields import canonical_id

FORMATS = ("text", "markdown", "json", "html")
# Where the HTML page links another cable: ``<prefix><reference_id>``.
LINK_PREFIX = "/cable/"
TEXT_WIDTH = 80
_LABEL = 16  # width of the label column of the text rendering
_ID_PARTS = r"^([0-9]{2})([A-Z]+?)0*([0-9]+)$"


class ShowError(RuntimeError):
    """The cable or the version asked for is not in the warehouse; the message is one line."""


# --- reading ids -------------------------------------------------------------------------------


def typed_id(text: str) -> str:
    """An id as typed, without its spaces and in upper case (``08 tripoli 505`` -> ``08TRIPOLI505``)."""
    return re.sub(r"\s+", "", text).upper()


def canonical_of(text: str) -> str:
    """The valid id a typed id stands for, by the parser's own rules (``transforms.cable_fields.canonical_id``):
    leading zeros of the serial dropped, known misspellings and malformed ids fixed."""
    return pl.select(canonical_id(pl.lit(typed_id(text), pl.String))).item()


def find_cable(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """The reference id (as printed) of the cable an id as typed names; ``ShowError`` naming close
    ids of the warehouse (same station, or same serial) when there is none."""
    typed, canonical = typed_id(text), canonical_of(text)
    if not typed:
        raise ShowError("give a cable's reference id, e.g. 08TRIPOLI220")
    found = con.execute(
        """
        select reference_id from cable
        where reference_id = $typed or canonical_id = $canonical
        order by reference_id = $typed desc, reference_id = $canonical desc, reference_id
        limit 1
        """,
        {"typed": typed, "canonical": canonical},
    ).fetchone()
    if found:
        return found[0]
    released = con.execute("select count(*) from release_cable where reference_id = ?", [canonical]).fetchone()[0]
    close = close_ids(con, canonical)
    hints = (["it is in the release"] if released else []) + ([f"close: {', '.join(close)}"] if close else [])
    raise ShowError(f"no cable {canonical} in the warehouse" + (f" ({'; '.join(hints)})" if hints else ""))


def close_ids(con: duckdb.DuckDBPyConnection, canonical: str, limit: int = 3) -> list[str]:
    """Reference ids of the warehouse near an id it lacks: the same station (nearest year first,
    then nearest serial), then the same serial at another station."""
    parts = re.match(_ID_PARTS, canonical)
    if not parts:
        return []
    year, station, serial = int(parts.group(1)), parts.group(2), int(parts.group(3))
    year += 2000 if year < 50 else 1900  # as citation_edge reads a 2-digit year
    rows = con.execute(
        f"""
        with ids as (
            select
                reference_id,
                regexp_extract(canonical_id, '{_ID_PARTS}', ['year', 'station', 'serial']) as id,
            from cable
        )
        select reference_id from ids
        where id.station = $station or try_cast(id.serial as bigint) = $serial
        order by
            id.station = $station desc,
            abs(if(id.year::int < 50, 2000, 1900) + id.year::int - $year),
            abs(coalesce(try_cast(id.serial as bigint), 0) - $serial),
            reference_id
        limit {int(limit)}
        """,
        {"station": station, "serial": serial, "year": year},
    ).fetchall()
    return [r[0] for r in rows]


# --- gathering ---------------------------------------------------------------------------------


def _plain(value):
    """A value as JSON holds it: timestamps and dates as ISO text, lists and structs element-wise."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _records(con: duckdb.DuckDBPyConnection, query: str, reference_id: str) -> list[dict]:
    """The rows of a query on one cable (``$id``) as dicts of plain values."""
    cursor = con.execute(query, {"id": reference_id})
    columns = [d[0] for d in cursor.description]
    return [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in cursor.fetchall()]


# The cable's own fields: identity, header lines, authority lines.
_ID_AND_DATES = ("reference_id", "canonical_id", "created_at", "released_at", "classification", "origin")
_SUBJECT_AND_PAGE = ("subject", "subject_title", "url", "source_uri", "sha256", "content_sha256")
IDENTITY = (*_ID_AND_DATES, *_SUBJECT_AND_PAGE)
HEADER = ("transmission_id", "precedence", "dtg", "sender", "section_count", "sipdis", "is_partial", "header")
_SUMMARY = ("summary", "comment", "signer")
AUTHORITY = (*_SUMMARY, "classified_by", "classified_by_text", "classification_reasons", "declassify_on")
PLACE = ("station", "country", "regions")
# The lists of a cable, each from one query on the cable ``$id``.
LISTS = {
    "tags": "select tag, canonical_tag, tag_kind as kind from tag where reference_id = $id order by position, part",
    "addressees": """
        select kind, position, routing_indicator, name, routing_name, precedence, serial
        from recipient where reference_id = $id order by position
    """,
    "paragraphs": """
        select position, number, marking, level, caveats, redactions, text, text_joined
        from paragraph where reference_id = $id order by position
    """,
    # A cited id is in this warehouse when a cable has it as its canonical id (citation_edge).
    "references": """
        select
            r.position, r.part, r.letter, r.kind, r.raw, r.referenced_id, r.in_release,
            coalesce(e.cited_in_warehouse, false) as in_warehouse,
            e.cited_reference_id as warehouse_id,
        from reference as r
        left join citation_edge as e on e.citing_id = r.reference_id and e.cited_id = r.referenced_id
        where r.reference_id = $id
        order by r.position, r.part
    """,
    "cited_by": """
        select e.citing_id as reference_id, c.created_at, c.origin, c.subject, e.letters
        from citation_edge as e
        join cable as c on c.reference_id = e.citing_id
        where e.cited_id = (select canonical_id from cable where reference_id = $id)
        order by c.created_at, e.citing_id
    """,
    "versions": """
        select version_rank, is_current, released_at, build_stamp, pages, content_sha256, source_uri
        from cable_version where reference_id = $id order by version_rank
    """,
    "changes": """
        select
            from_version_rank, to_version_rank, from_released_at, to_released_at, changed,
            from_classification, to_classification, from_subject, to_subject, tags_added, tags_removed,
            from_body_chars, to_body_chars, body_diff,
        from cable_change where reference_id = $id order by to_version_rank desc
    """,
    "media_links": "select url, host from media_link where reference_id = $id order by url",
}
# The keys of a view, in order (docs/cli.md documents each).
KEYS = (
    *IDENTITY,
    *PLACE,
    "tags",
    *HEADER,
    "addressees",
    "paragraphs",
    *AUTHORITY,
    "references",
    "cited_by",
    "versions",
    "changes",
    "media_links",
    "body",
)


def cable_view(con: duckdb.DuckDBPyConnection, reference_id: str) -> dict:
    """Everything the warehouse holds on one cable (its reference id as printed), as plain values
    (timestamps as ``YYYY-MM-DD HH:MM:SS`` text), keyed by ``KEYS``."""
    fields = ", ".join((*IDENTITY, *HEADER, *AUTHORITY, "body"))
    found = _records(con, f"select {fields} from cable where reference_id = $id", reference_id)
    if not found:
        raise ShowError(f"no cable {reference_id} in the warehouse")
    place = _records(con, f"select {', '.join(PLACE)} from origin_country where reference_id = $id", reference_id)
    view = {
        **found[0],
        **(place[0] if place else {"station": None, "country": None, "regions": []}),
        **{key: _records(con, query, reference_id) for key, query in LISTS.items()},
    }
    return {key: view[key] for key in KEYS}


# --- the stored page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredPage:
    """A version's page as landed: its bytes and the SHA-256 recorded when it was landed."""

    reference_id: str
    version_rank: int
    versions: int
    source_uri: str
    recorded_sha256: str
    content: bytes

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bytes read back."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def intact(self) -> bool:
        """Whether the bytes read back hash to the recorded SHA-256."""
        return self.sha256 == self.recorded_sha256


def stored_page(con: duckdb.DuckDBPyConnection, reference_id: str, version_rank: int = 1) -> StoredPage:
    """The landed page of a cable's version (``version_rank`` 1 = the current version): the first
    page holding that version (``cable_version.source_uri``), read from ``raw_page``."""
    versions = con.execute("select count(*) from cable_version where reference_id = ?", [reference_id]).fetchone()[0]
    if not 1 <= version_rank <= versions:
        raise ShowError(
            f"{reference_id} has {versions} version{'s' if versions != 1 else ''} "
            f"(1 = current{f' to {versions}' if versions > 1 else ''}): no version {version_rank}"
        )
    row = con.execute(
        """
        select v.source_uri, raw.sha256, raw.content
        from cable_version as v
        join page_version as p
            on p.reference_id = v.reference_id
            and p.source_uri = v.source_uri
            and p.content_sha256 = v.content_sha256
        join raw_page as raw on raw.source_uri = p.source_uri and raw.sha256 = p.sha256
        where v.reference_id = ? and v.version_rank = ?
        order by p.rank
        limit 1
        """,
        [reference_id, version_rank],
    ).fetchone()
    if row is None:
        raise ShowError(f"the page of version {version_rank} of {reference_id} is not in the landing")
    return StoredPage(reference_id, version_rank, versions, row[0], row[1], bytes(row[2]))


# --- rendering ---------------------------------------------------------------------------------


def _minute(stamp: str | None) -> str:
    """A timestamp to the minute (``2009-07-08 19:07``); empty when there is none."""
    return stamp[:16] if stamp else ""


def _marking(paragraph: dict) -> str:
    """A paragraph's number and marking as a reader writes them: ``1. (C)``."""
    number = f"{paragraph['number']}." if paragraph["number"] is not None else ""
    marking = f"({paragraph['marking']})" if paragraph["marking"] else ""
    return " ".join(p for p in (number, marking) if p)


def _place(view: dict) -> str:
    """The origin with its station and country: ``Embassy Panama (PANAMA, panama)``."""
    extra = ", ".join(p for p in (view["station"], view["country"]) if p)
    return f"{view['origin']} ({extra})" if extra else view["origin"] or ""


def _tag(tag: dict) -> str:
    """A tag as printed, with its canonical form when it differs and its kind: ``PGOV (subject)``."""
    name = tag["tag"]
    if tag["canonical_tag"] and tag["canonical_tag"] != name:
        name += f" = {tag['canonical_tag']}"
    return f"{name} ({tag['kind']})" if tag["kind"] else name


def _addressee(a: dict) -> str:
    """An addressee: indicator/name, what the indicator stands for, precedence, serial."""
    name = f"{a['routing_indicator']}/{a['name']}" if a["routing_indicator"] else a["name"]
    if a["routing_name"] and a["routing_name"] != a["name"]:
        name += f" ({a['routing_name']})"
    return " ".join(p for p in (name, a["precedence"], a["serial"]) if p)


def _reference_status(r: dict) -> str:
    """Where a cited cable is: in the release or not, in this warehouse (and as which id) or not."""
    if r["referenced_id"] is None:
        return f"{r['kind']}, not a cable id"
    release = "in the release" if r["in_release"] else "not in the release"
    if not r["in_warehouse"]:
        return f"{release}, not in this warehouse"
    held = r["warehouse_id"] if r["warehouse_id"] != r["referenced_id"] else ""
    return f"{release}, in this warehouse{f' as {held}' if held else ''}"


def _version_line(v: dict) -> str:
    """A version: rank, released date, viewer build, pages."""
    parts = [f"{v['version_rank']}{' (current)' if v['is_current'] else ''}", f"released {_minute(v['released_at'])}"]
    if v["build_stamp"]:
        parts.append(f"viewer build {v['build_stamp']}")
    parts.append(f"{v['pages']} page{'s' if v['pages'] != 1 else ''}")
    return ", ".join(parts)


def _change_line(c: dict) -> str:
    """What changed between two versions: fields, tags, body length."""
    parts = [f"version {c['from_version_rank']} -> {c['to_version_rank']}: {', '.join(c['changed']) or 'nothing'}"]
    if c["from_classification"] != c["to_classification"]:
        parts.append(f"classification {c['from_classification']} -> {c['to_classification']}")
    if c["from_subject"] != c["to_subject"]:
        parts.append(f"subject {c['from_subject']!r} -> {c['to_subject']!r}")
    if c["tags_added"]:
        parts.append("tags added " + " ".join(c["tags_added"]))
    if c["tags_removed"]:
        parts.append("tags removed " + " ".join(c["tags_removed"]))
    if c["from_body_chars"] != c["to_body_chars"]:
        parts.append(f"body {c['to_body_chars'] - c['from_body_chars']:+,} characters")
    return "; ".join(parts)


def _meta(view: dict) -> list[tuple[str, str]]:
    """The cable's fields as (label, value) pairs, in reading order; empty values left out."""
    flags = [f"{view['section_count']} sections" if (view["section_count"] or 0) > 1 else ""]
    flags += ["SIPDIS" if view["sipdis"] else "", "partial extract" if view["is_partial"] else ""]
    pairs = [
        ("reference id", view["reference_id"]),
        ("canonical id", view["canonical_id"] if view["canonical_id"] != view["reference_id"] else ""),
        ("created", _minute(view["created_at"])),
        ("released", _minute(view["released_at"])),
        ("classification", view["classification"]),
        ("origin", _place(view)),
        ("tags", ", ".join(_tag(t) for t in view["tags"])),
        ("viewer page", view["url"]),
        ("source", view["source_uri"]),
        ("page sha256", view["sha256"]),
        ("transmission", view["transmission_id"]),
        ("precedence", view["precedence"]),
        ("DTG", _minute(view["dtg"])),
        ("from", view["sender"]),
        ("marks", ", ".join(f for f in flags if f)),
        ("classified by", view["classified_by_text"]),
        ("reasons", view["classification_reasons"]),
        ("declassify on", view["declassify_on"]),
        ("signed", view["signer"]),
    ]
    return [(label, str(value)) for label, value in pairs if value not in (None, "")]


def _text_pairs(pairs: list[tuple[str, str]], width: int) -> list[str]:
    """Label and value lines, the value wrapped under itself."""
    lines = []
    for label, value in pairs:
        lines += textwrap.wrap(
            value,
            width,
            initial_indent=f"{label:<{_LABEL}}",
            subsequent_indent=" " * _LABEL,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [label]
    return lines


def _wrapped(text: str, width: int, indent: str) -> list[str]:
    """A paragraph wrapped to ``width`` under ``indent``, its own blank lines kept."""
    lines = []
    for part in text.split("\n"):
        lines += textwrap.wrap(
            part, width, initial_indent=indent, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
        ) or [""]
    return lines


def render_text(view: dict, width: int = TEXT_WIDTH) -> str:
    """The cable for a terminal: fields, header, addressees, every paragraph wrapped to ``width``
    (no text left out), references, citing cables, versions and news articles."""
    width = max(width, _LABEL + 20)
    out = [view["reference_id"], *_wrapped(view["subject"] or "(no subject)", width, ""), ""]
    out += _text_pairs(_meta(view), width)
    for kind, label in (("to", "to"), ("info", "info"), ("xmt", "excluded")):
        rows = [a for a in view["addressees"] if a["kind"] == kind]
        out += _text_pairs([(label if i == 0 else "", _addressee(a)) for i, a in enumerate(rows)], width)
    if view["header"]:
        out += ["", "header", *(f"  {line}" for line in view["header"].splitlines())]
    out.append("")
    if view["paragraphs"]:
        for p in view["paragraphs"]:
            head = _marking(p)
            lines = _wrapped(f"{head} {p['text_joined']}" if head else p["text_joined"], width, "")
            out += [*lines, ""]
    elif view["body"]:
        out += [*view["body"].splitlines(), ""]
    out.append("references" + ("" if view["references"] else "     none"))
    for r in view["references"]:
        letter = f"{r['letter']}. " if r["letter"] else ""
        cited = f" -> {r['referenced_id']}" if r["referenced_id"] else ""
        out += _wrapped(f"{letter}{r['raw']}{cited}: {_reference_status(r)}", width - 2, "  ")
    out.append("cited by" + ("" if view["cited_by"] else "       no cable of this warehouse"))
    for c in view["cited_by"]:
        out += _wrapped(f"{c['reference_id']} ({_minute(c['created_at'])}, {c['origin']}): {c['subject']}", width, "  ")
    out.append("versions")
    out += [f"  {_version_line(v)}" for v in view["versions"]]
    for c in view["changes"]:
        out += _wrapped(_change_line(c), width, "  ")
    out.append("news articles" + ("" if view["media_links"] else "  none linked"))
    out += [f"  {m['url']}" for m in view["media_links"]]
    return "\n".join(out) + "\n"


def render_json(view: dict) -> str:
    """The cable as one JSON object (the keys of ``cable_view``)."""
    return json.dumps(view, ensure_ascii=False, indent=2) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&!])")


def _md(text: object) -> str:
    """Text for Markdown: its punctuation escaped (so nothing in a cable becomes markup or HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text)).replace("\n", " ")


def _fence(text: str, info: str = "text") -> list[str]:
    """A fenced code block longer than any run of backticks in ``text``."""
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return [f"{fence}{info}", *text.splitlines(), fence]


def render_markdown(view: dict) -> str:
    """The cable as a Markdown document: fields in a table, addressees, paragraphs, references,
    citing cables, versions with their diffs, news articles."""
    out = [f"# {_md(view['reference_id'])}: {_md(view['subject'] or '(no subject)')}", ""]
    out += ["| field | value |", "|---|---|", *(f"| {label} | {_md(value)} |" for label, value in _meta(view)), ""]
    if view["addressees"]:
        out += ["## Addressees", "", "| kind | addressee | stands for | precedence | serial |", "|---|---|---|---|---|"]
        for a in view["addressees"]:
            name = f"{a['routing_indicator']}/{a['name']}" if a["routing_indicator"] else a["name"]
            cells = (a["kind"], name, a["routing_name"], a["precedence"], a["serial"])
            out.append("| " + " | ".join(_md(c) for c in cells) + " |")
        out.append("")
    if view["header"]:
        out += ["## Header", "", *_fence(view["header"]), ""]
    out += ["## Text", ""]
    if view["paragraphs"]:
        for p in view["paragraphs"]:
            head = _marking(p)
            out += [(f"**{_md(head)}** " if head else "") + _md(p["text_joined"]), ""]
    elif view["body"]:
        out += [*_fence(view["body"]), ""]
    out += ["## References", ""]
    if view["references"]:
        out += ["| item | as written | cable | where |", "|---|---|---|---|"]
        for r in view["references"]:
            cells = (r["letter"] or r["position"], r["raw"], r["referenced_id"], _reference_status(r))
            out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    else:
        out.append("None.")
    out += ["", "## Cited by", ""]
    out += [
        f"- {_md(c['reference_id'])} ({_md(_minute(c['created_at']))}, {_md(c['origin'])}): {_md(c['subject'])}"
        for c in view["cited_by"]
    ] or ["No cable of this warehouse."]
    out += ["", "## Versions", "", *(f"- {_md(_version_line(v))}" for v in view["versions"]), ""]
    for c in view["changes"]:
        out += [f"- {_md(_change_line(c))}", ""]
        if c["body_diff"]:
            out += [*_fence(c["body_diff"], "diff"), ""]
    out += ["## News articles", ""]
    out += [f"- <{m['url']}>" if _is_web_url(m["url"]) else f"- {_md(m['url'])}" for m in view["media_links"]] or [
        "None linked."
    ]
    return "\n".join(out) + "\n"


def _is_web_url(url: str) -> bool:
    """Whether a link is a plain http(s) URL (no spaces, quotes or angle brackets) that may be linked."""
    return urlsplit(url).scheme in ("http", "https") and not re.search(r"[\s<>\"'`]", url)


_STYLE = """
body { font: 15px/1.5 Georgia, serif; max-width: 46em; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.05em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font: 13px/1.4 sans-serif; }
td, th { text-align: left; vertical-align: top; padding: 2px 10px 2px 0; }
th { color: #555; font-weight: normal; white-space: nowrap; }
pre { font-size: 12px; overflow-x: auto; background: #f6f6f6; padding: .5em; }
.mark { font-weight: bold; } .del { color: #a00; } .add { color: #070; }
"""


def _h(text: object) -> str:
    """Text escaped for HTML (quotes too)."""
    return html.escape("" if text is None else str(text), quote=True)


def _pre_diff(diff: str) -> str:
    """A unified diff as a ``<pre>`` block, removed and added lines coloured."""
    lines = []
    for line in diff.splitlines():
        kind = "del" if line.startswith("-") and not line.startswith("---") else ""
        kind = "add" if line.startswith("+") and not line.startswith("+++") else kind
        lines.append(f'<span class="{kind}">{_h(line)}</span>' if kind else _h(line))
    return "<pre>" + "\n".join(lines) + "</pre>"


def render_html(view: dict, link_prefix: str = LINK_PREFIX) -> str:
    """The cable as one self-contained HTML page (inline style, no script, nothing fetched: a
    Content-Security-Policy forbids it), every text escaped; another cable of the warehouse is
    linked as ``<link_prefix><reference_id>``, so pages can be served side by side."""

    def cable_link(reference_id: str) -> str:
        return f'<a href="{_h(link_prefix + quote(reference_id, safe=""))}">{_h(reference_id)}</a>'

    title = f"{view['reference_id']}: {view['subject'] or '(no subject)'}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(title)}</title><style>{_STYLE}</style></head><body>",
        f'<h1 id="cable" data-reference-id="{_h(view["reference_id"])}">{_h(title)}</h1>',
        '<table class="meta">',
        *(f"<tr><th>{_h(label)}</th><td>{_h(value)}</td></tr>" for label, value in _meta(view)),
        "</table>",
    ]
    if view["addressees"]:
        out += ['<h2>Addressees</h2><table class="addressees">']
        out.append("<tr><th>kind</th><th>addressee</th><th>stands for</th><th>precedence</th><th>serial</th></tr>")
        for a in view["addressees"]:
            name = f"{a['routing_indicator']}/{a['name']}" if a["routing_indicator"] else a["name"]
            cells = (a["kind"], name, a["routing_name"], a["precedence"], a["serial"])
            out.append("<tr>" + "".join(f"<td>{_h(c)}</td>" for c in cells) + "</tr>")
        out.append("</table>")
    if view["header"]:
        out.append(f'<h2>Header</h2><pre class="header">{_h(view["header"])}</pre>')
    out.append('<h2>Text</h2><div class="text">')
    if view["paragraphs"]:
        for p in view["paragraphs"]:
            head = _marking(p)
            mark = f'<span class="mark">{_h(head)}</span> ' if head else ""
            anchor = f"par{p['number']}" if p["number"] is not None else f"p{p['position']}"
            out.append(f'<p id="{_h(anchor)}" data-level="{_h(p["level"])}">{mark}{_h(p["text_joined"])}</p>')
    elif view["body"]:
        out.append(f'<pre class="body">{_h(view["body"])}</pre>')
    out.append("</div><h2>References</h2>")
    if view["references"]:
        out.append('<table class="references"><tr><th>item</th><th>as written</th><th>cable</th><th>where</th></tr>')
        for r in view["references"]:
            cited = r["referenced_id"] or ""
            cell = cable_link(r["warehouse_id"]) if r["in_warehouse"] and r["warehouse_id"] else _h(cited)
            out.append(
                f"<tr><td>{_h(r['letter'] or r['position'])}</td><td>{_h(r['raw'])}</td>"
                f"<td>{cell}</td><td>{_h(_reference_status(r))}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>None.</p>")
    out.append('<h2>Cited by</h2><ul class="cited-by">')
    for c in view["cited_by"]:
        when = f"({_h(_minute(c['created_at']))}, {_h(c['origin'])})"
        out.append(f"<li>{cable_link(c['reference_id'])} {when}: {_h(c['subject'])}</li>")
    if not view["cited_by"]:
        out.append("<li>No cable of this warehouse.</li>")
    out += [
        '</ul><h2>Versions</h2><ul class="versions">',
        *(f"<li>{_h(_version_line(v))}</li>" for v in view["versions"]),
    ]
    out.append("</ul>")
    for c in view["changes"]:
        out.append(f"<p>{_h(_change_line(c))}</p>")
        if c["body_diff"]:
            out.append(_pre_diff(c["body_diff"]))
    out.append('<h2>News articles</h2><ul class="media">')
    for m in view["media_links"]:
        url = m["url"]
        linked = f'<a href="{_h(url)}" rel="noreferrer noopener">{_h(url)}</a>' if _is_web_url(url) else _h(url)
        out.append(f"<li>{linked}</li>")
    if not view["media_links"]:
        out.append("<li>None linked.</li>")
    out.append("</ul></body></html>")
    return "\n".join(out) + "\n"


def render(view: dict, fmt: str, *, width: int = TEXT_WIDTH, link_prefix: str = LINK_PREFIX) -> str:
    """The cable rendered in ``fmt`` (one of ``FORMATS``)."""
    if fmt == "text":
        return render_text(view, width)
    if fmt == "markdown":
        return render_markdown(view)
    if fmt == "json":
        return render_json(view)
    if fmt == "html":
        return render_html(view, link_prefix)
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
