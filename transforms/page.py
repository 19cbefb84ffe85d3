"""Split a Cable Viewer page into the viewer's meta table, the header and the body text."""

from __future__ import annotations

import hashlib
import re

import polars as pl

from transforms.csv_record import CSV_RECORD_PAGE, UNREADABLE_CSV_RECORD

# The viewer's entities: newlines are written ``&#x000A;``; the rest are the usual five.
_ENTITIES = ["&#x000A;", "&#x000a;", "&#10;", "&lt;", "&gt;", "&quot;", "&#39;", "&apos;", "&nbsp;", "&amp;"]
_ENTITY_TEXT = ["\n", "\n", "\n", "<", ">", '"', "'", "'", " ", "&"]
# Numeric entities that pasted text carries: quotes, dashes, ellipsis.
_ENTITIES += ["&#8216;", "&#8217;", "&#8220;", "&#8221;", "&#8211;", "&#8212;", "&#8230;", "&#160;"]
_ENTITY_TEXT += ["‘", "’", "“", "”", "–", "—", "…", " "]

# Each part is found by a regex that opens with a literal (a fast substring search), so a
# ~60 KB page is scanned a few times at memory speed, never copied whole.
TITLE = r"<h3>\s*Viewing cable\s*([^<]*?)\s*</h3>"
# Where the cable starts on a viewer page (every build writes it so).
CABLE_START = "<h3>Viewing cable"
# The viewer's meta table: Reference ID | Created | Released | Classification | Origin.
_CELL = r"<td>\s*(?:<a[^>]*>)?\s*(?P<{name}>[^<]*?)\s*(?:</a>)?\s*</td>\s*"
META_TABLE = r"<table class=.cable.>\s*<tr>\s*(?:<th>[^<]*</th>\s*)*</tr>\s*<tr>\s*" + "".join(
    _CELL.format(name=n) for n in ("reference_id", "created", "released", "classification", "origin")
)
# "Appears in these articles:" links that later builds print in the meta table.
MEDIA_LINKS = r"(?s)Appears in these articles:(.*?)</td>"

# The viewer links each numbered paragraph with an anchor holding a pilcrow; it is not cable text.
_PARAGRAPH_ANCHOR = r"<a id=.par\d+.[^>]*>\s*¶\s*</a>"


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def decoded_text(content: pl.Series) -> pl.Series:
    """One string per page: UTF-8; UTF-16 where a page opens with its byte-order mark (a page saved
    by some editors); Windows-1252 where a page is neither."""
    utf16 = content.bin.starts_with(_UTF16_MARKS[0]) | content.bin.starts_with(_UTF16_MARKS[1])
    if not utf16.any():
        try:
            return content.cast(pl.String)
        except pl.exceptions.PolarsError:
            pass
    return content.map_elements(_decode_one, return_dtype=pl.String)


def _decode_one(raw: bytes) -> str:
    if raw.startswith(_UTF16_MARKS):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def html_to_text(html: pl.Expr) -> pl.Expr:
    """Text of a viewer ``<pre>`` block: viewer anchors and tags removed, entities decoded."""
    return (
        html.str.replace_all(_PARAGRAPH_ANCHOR, "")
        .str.replace_all(r"</?[A-Za-z][^<>]*>", "")
        .str.replace_many(_ENTITIES, _ENTITY_TEXT)
        .str.replace_all(r"\r\n?", "\n")
    )


def viewer_timestamp(cell: pl.Expr) -> pl.Expr:
    """A viewer date cell (``2008-03-13 15:03``) as a naive timestamp; null when unreadable."""
    return cell.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us")


# A page saved by a browser as text: the meta table is a line (``|``-separated in some
# renderings) under its header line, followed by the article links, header and body.
_STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d"
_LEVEL = r"(?:UNCLASSIFIED|CONFIDENTIAL|SECRET)(?://(?:NOFORN|FOR OFFICIAL USE ONLY))?"
TEXT_META = (
    r"(?m)^Reference ID[ \t|]+Created[ \t|]+Released[ \t|]+Classification[ \t|]+Origin[ \t|]*\n(?:[-| \t]+\n)?"
    rf"(?P<reference_id>[A-Z0-9]+)[ \t|]+(?P<created>{_STAMP})[ \t|]+(?P<released>{_STAMP})[ \t|]+"
    rf"(?P<classification>{_LEVEL})[ \t|]+(?P<origin>[^|\n]+?)[ \t|]*\n(?P<rest>(?s:.*))"
)
TEXT_TITLE = r"(?m)^Viewing cable[ \t]+([^\n]*?)[ \t]*$"
TEXT_LINKS = r"^Appears in these articles:[ \t]*\n((?:https?://[^\n]*\n)*)"
# The body starts at its classification banner; what is above it is the header.
TEXT_BODY_START = r"(?:C O N F|S E C R E T|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL|This record)"


# ---- a preview followed by the full record (a later viewer build) ---------------------------------
# Some pages print a cut-off preview of the cable ("This record is a partial extract ...", a
# SUBJECT ending in "...") and then the full record of a cables database, either as fields
# (``id:``, ``date:``, ``refid:``, ``origin:``, ``classification:``, ``destination:``, ``header:``
# ... ``----- header ends -----``) or as bare lines (id, date, reference id, origin,
# classification, maybe the header again and the TAGS field). The full record is the cable: the
# preview and the record's own fields are dropped, its header is the header when the page's
# header block holds none. Matched on the blocks' HTML, where a newline is ``&#x000A;``.
_NL = r"(?:&#x000A;|&#x000a;|&#10;|\r?\n)"
# Cheap tests in Polars of which form a page may hold; only those pages go through Python.
_FIELDS_HINT = "header ends"
_CSV_HINT = r"\d{1,7},\d{1,2}/\d{1,2}/\d{4}[ \t]+[\d:]+,\d\d[A-Z]"
_DATE_HINT = r"[0-9]{4}-[0-9][0-9]-[0-9][0-9]"
_BARE_HINT = r"(?:^|&#x000A;|\n)[ \t]*\d{1,7}[ \t]*(?:(?:&#x000A;|\n)[ \t]*)+\d{4}-\d\d-\d\d"
_FIELDS_RECORD = re.compile(
    rf"(?s)(?:^|{_NL})[ \t]*id:[ \t]*\d+[ \t]*{_NL}[ \t]*date:[^\n]*?{_NL}[ \t]*refid:[ \t]*(?P<refid>[0-9A-Z]+)"
    rf"[ \t]*{_NL}.*?{_NL}[ \t]*header:[ \t]*{_NL}(?P<header>.*?){_NL}?[ \t]*-{{5,}}[ \t]*header ends[ \t]*-{{5,}}"
    rf"[ \t]*(?:{_NL}|$)"
)
_BARE_RECORD = re.compile(
    rf"(?:^|{_NL})[ \t]*\d{{1,7}}[ \t]*{_NL}(?:[ \t]*{_NL})*[ \t]*\d{{4}}-\d\d-\d\d(?:[ \t]+[\d:]+)?[ \t]*{_NL}(?:[ \t]*{_NL})*"  # noqa: E501
    rf"[ \t]*(?P<refid>\d\d[A-Z0-9]{{3,}})[ \t]*{_NL}(?:[ \t]*{_NL})*[^&<\n]{{2,80}}?[ \t]*{_NL}(?:[ \t]*{_NL})*"
    rf"[ \t]*(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)[^&<\n]*?[ \t]*(?:{_NL}|$)"
)
# Or as a row of the release's CSV dump: ``114457,7/5/2007 16:17,07THEHAGUE1295,"Embassy The
# Hague",SECRET//NOFORN,"<destination>","<header>","<text>"``, quotes doubled inside fields.
_CSV_RECORD = re.compile(
    rf"(?:^|{_NL})\"?[ \t]*(?:{_NL})?[ \t]*\d{{1,7}},\d{{1,2}}/\d{{1,2}}/\d{{4}}[ \t]+[\d:]+,(?P<refid>\d\d[A-Z0-9]+),"
)
# Where the cable's text starts after a record's fields: its classification banner.
_TEXT_START = re.compile(
    rf"(?:^|{_NL})(?=[ \t]*(?:UNCLAS|C O N F|S E C R E T|CONFIDENTIAL|SECRET|LIMITED OFFICIAL|E\.[ \t]?O\.)"
    r"(?:[\s/]|&#|$))"
)
_LEADING_BLANKS = re.compile(rf"^(?:[ \t]*{_NL})+")
_RECORD_TAGS = re.compile(rf"(?:^|{_NL})[ \t]*TAGS?:[^\n]*?$")
_PARTIAL_NOTICE = re.compile(r"(?i)partial extract of the original cable")


def _full_record(
    reference_id: str | None, header: str | None, body: str | None, forms: frozenset[str] = frozenset()
) -> tuple[str | None, str | None]:
    """The header and body blocks of the full record a page holds after a preview; else as given.

    ``forms`` names the forms the page may hold (``fields``, ``csv``, ``bare``, ``again``), as the
    cheap tests in Polars found them; only their regexes run (each costs a pass over the body).
    """
    if not body or not reference_id:
        return header, body
    header_copy = None
    fields = _FIELDS_RECORD.search(body) if "fields" in forms else None
    row = _CSV_RECORD.search(body) if "csv" in forms and not fields else None
    if fields and fields.group("refid") == reference_id:
        header_copy, rest = fields.group("header"), body[fields.end() :]
    elif row and row.group("refid") == reference_id:
        values = _csv_fields(body[row.end() :], 5)  # origin, classification, destination, header, text
        if len(values) < 5:
            return header, body
        header_copy, rest = values[3], values[4]
    else:
        bare = _BARE_RECORD.search(body) if "bare" in forms else None
        if not bare or bare.group("refid") != reference_id:
            return header, _after_preview(reference_id, body) if forms else body
        rest = _LEADING_BLANKS.sub("", body[bare.end() :])
        start = _TEXT_START.search(rest)
        if start and start.start() > 0:  # the record's header (and TAGS field) before the text
            header_copy = _RECORD_TAGS.sub("", rest[: start.start()])
            # The record's own id, or the ids it cites (its destination field), are no header.
            header_copy = re.sub(rf"^(?:[ \t]*(?:\d\d[A-Z]+\d+[|,; \t]*)+(?:{_NL}|$))+", "", header_copy)
            rest = rest[start.start() :]
    if not header or not header.strip() or _PARTIAL_NOTICE.search(header):
        header = header_copy or ""
    return header, rest


# The cable's banner: classification, section, station, serial (``S E C R E T ANKARA 000082``).
_BANNER_TEXT = (
    r"(?:UNCLAS(?:SIFIED)?|C O N F I D E N T I A L|S E C R E T|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)"
    r"[^\n&<]{0,60}?[ \t](\d{3,7})(?:[ \t]|&|\n|$)"
)
_BANNER = re.compile(r"^[ \t]*" + _BANNER_TEXT)
_BANNER_AT = re.compile(_BANNER_TEXT)  # matched at a position (``^`` holds only at the string's start)
# A SUBJECT line (and its continuation), up to a blank line or a preview's cut mark ``...``.
_SUBJECT_LINE = re.compile(rf"(?is)(?:^|{_NL})[ \t]*(SUBJ(?:ECT)?[ \t]*:.*?)(?:(?:\s|{_NL})*\.\.\.|{_NL}[ \t]*{_NL}|$)")
# A cheap test in Polars: the serial as the banner prints it occurs twice in the body.
BANNER_SERIAL = r"^\s*" + _BANNER_TEXT


def _repeats(body: str, words: list[str], start: int):
    """Where the banner ``words`` open the text again after ``start`` (any blanks or encoded line
    breaks between the words), found by the first word, then checked word by word."""
    position = body.find(words[0], start)
    while position >= 0:
        if position == 0 or body[position - 1] in " \t\n;>.":
            found = _BANNER_AT.match(body, position)
            if found and found.group(0).replace("&#x000A;", " ").split() == words:
                yield position
        position = body.find(words[0], position + 1)


def _after_preview(reference_id: str, body: str) -> str:
    """The text after a preview when the page prints the whole text again, with or without a
    record's fields between (bare lines, tab- or space-separated, a cut mark ``...``): the body
    opens with the cable's banner, and the same banner (its words, any blanks between) opens the
    text again, which is longer than what came before it. A multi-section cable's next banner
    (``SECTION 02 OF 03``) differs from the first, so it is never taken for a repeat."""
    serial = re.search(r"(\d+)$", reference_id)
    start = _LEADING_BLANKS.sub("", body)
    first = _BANNER.match(start)
    if not serial or not first or int(first.group(1)) != int(serial.group(1)):
        return body
    words = first.group(0).split()
    offset = len(body) - len(start)
    for position in _repeats(body, words, offset + first.end()):
        rest, preview = body[position:], body[:position]
        if len(rest) > len(preview) - offset:
            # Some records print the text without its SUBJECT line: the preview's is kept then.
            subject = _SUBJECT_LINE.search(preview)
            if subject and not _SUBJECT_LINE.search(rest[:5000]):
                rest = subject.group(1) + "&#x000A;&#x000A;" + rest
            return rest
        # The page stops soon after the text began again: the preview is the longer text; its
        # subject, cut at ``...``, is the repeat's when that holds one, else loses the cut mark.
        cut, whole = _SUBJECT_LINE.search(preview), _SUBJECT_LINE.search(rest)
        if cut:
            fixed = whole.group(1) if whole else cut.group(1)
            preview = preview[: cut.start(1)] + fixed + "&#x000A;&#x000A;" + preview[cut.end() :]
        return preview
    return body


def _csv_fields(text: str, count: int) -> list[str]:
    """The first ``count`` fields of a CSV row (quoted fields may span lines, ``""`` is a quote)."""
    values: list[str] = []
    i = 0
    while len(values) < count and i <= len(text):
        if text.startswith('"', i):
            j, parts = i + 1, []
            while True:
                k = text.find('"', j)
                if k < 0:  # the last field may run to the end of the block, its quote lost
                    values.append("".join(parts) + text[j:])
                    return values
                parts.append(text[j:k])
                if text.startswith('"', k + 1):
                    parts.append('"')
                    j = k + 2
                    continue
                break
            values.append("".join(parts))
            i = k + 1
        else:
            k = text.find(",", i)
            k = len(text) if k < 0 else k
            values.append(text[i:k])
            i = k
        if text.startswith(",", i):
            i += 1
        elif len(values) < count:
            break
    return values


def full_records(blocks: pl.Series) -> pl.Series:
    """``_full_record`` of each (reference_id, header_html, body_html, and a flag per form) struct;
    null where no form is flagged (only those rows are copied into Python)."""
    dtype = pl.Struct({"header_html": pl.String, "body_html": pl.String})
    flagged = pl.Series([False] * len(blocks), dtype=pl.Boolean)
    for form in _FORMS:
        flagged = flagged | blocks.struct.field(form).cast(pl.Boolean).fill_null(False)
    out: list[dict | None] = [None] * len(blocks)
    for index, row in zip(flagged.arg_true().to_list(), blocks.filter(flagged).to_list(), strict=True):
        forms = frozenset(form for form in _FORMS if row[form])
        header, body = _full_record(row["reference_id"], row["header_html"], row["body_html"], forms)
        out[index] = {"header_html": header, "body_html": body}
    return pl.Series(out, dtype=dtype)


_FORMS = ("fields", "csv", "bare", "again")


def text_rendering(pages: pl.LazyFrame) -> pl.LazyFrame:
    """One row per page saved as text (no HTML): the same columns as the HTML path, or nulls."""
    text = pl.col("text")
    rest = pl.col("rest").str.replace(TEXT_LINKS, "")
    header = rest.str.extract(rf"(?s)^(.*?)\n{TEXT_BODY_START}", 1)
    body = pl.when(header.is_not_null()).then(rest.str.slice(header.str.len_chars() + 1)).otherwise(rest)
    return (
        pages.select(
            "sha256", text.str.extract(TEXT_TITLE, 1).alias("h3"), text.str.extract_groups(TEXT_META).alias("m")
        )
        .unnest("m")
        .select(
            "sha256",
            "h3",
            "reference_id",
            "created",
            "released",
            "classification",
            "origin",
            pl.col("rest").str.extract(TEXT_LINKS, 1).str.extract_all(r"https?://[^\n]+").alias("media_urls"),
            header.fill_null("").alias("header_html"),
            body.alias("body_html"),
        )
    )


def content_sha256(text: pl.Series) -> pl.Series:
    """SHA-256 of each string: a stable id, the same in every Polars version and on every machine."""
    return pl.Series([None if t is None else hashlib.sha256(t.encode()).hexdigest() for t in text], dtype=pl.String)


def cable_content() -> pl.Expr:
    """The content that makes a version: meta cells and header and body text, not the page around."""
    return pl.concat_str(
        pl.col("reference_id"),
        pl.col("created_at").cast(pl.String),
        pl.col("released_at").cast(pl.String),
        pl.col("classification"),
        pl.col("origin"),
        pl.col("header"),
        pl.col("body"),
        separator="\x1f",
        ignore_nulls=True,
    )


def parsed_page(pages: pl.LazyFrame) -> pl.LazyFrame:
    """One row per distinct page content (``sha256``): meta table cells, header and body text.

    ``pages`` needs ``sha256`` and ``text`` (the decoded page). ``reject_reason`` is null for a
    readable cable page and says why otherwise.
    """
    text = pl.col("text")
    # Everything the HTML path reads follows the viewer's title: the navigation above it (half a
    # page or more) is cut off once, by a substring search, and never scanned again.
    start = text.str.find(CABLE_START, literal=True)
    cable = pl.col("_cable")
    out = (
        pages.select(
            "sha256",
            text.str.len_bytes().alias("_len"),
            start.is_not_null().alias("_is_cable"),
            text.str.starts_with(CSV_RECORD_PAGE).alias("_from_csv"),
            text.str.extract(UNREADABLE_CSV_RECORD, 1).alias("_csv_reject"),
            text.cast(pl.Binary).bin.slice(start).cast(pl.String).alias("_cable"),
        )
        .select(
            "sha256",
            "_len",
            "_is_cable",
            "_from_csv",
            "_csv_reject",
            cable.str.extract(TITLE, 1).alias("h3"),
            cable.str.extract_groups(META_TABLE).alias("m"),
            cable.str.extract(MEDIA_LINKS, 1)
            .str.extract_all(r"<a [^>]*>[^<]*</a>")
            .list.eval(pl.element().str.replace(r"^<a [^>]*>([^<]*)</a>$", "${1}").str.strip_chars())
            .alias("media_urls"),
            cable.str.split("</pre>").alias("pre"),
        )
        .unnest("m")
    )
    # The header and body are the first two ``<pre>`` blocks: what lies between the first ``<pre>``
    # of a piece and the ``</pre>`` that closes it (splitting on a literal is 2.5 times as fast
    # as one regex over the blocks).
    closed = pl.col("pre").list.head(pl.col("pre").list.len() - 1)
    pre_html = [
        closed.list.get(i, null_on_oob=True).str.splitn("<pre>", 2).struct.field("field_1").alias(name)
        for i, name in enumerate(("header_html", "body_html"))
    ]
    out = out.with_columns(pre_html).drop("pre")
    # Pages saved as text take the text path; the HTML one finds nothing in them.
    as_text = text_rendering(pages.filter(~pl.col("text").str.contains(CABLE_START, literal=True)))
    own = ("sha256", "_len", "_is_cable", "_from_csv", "_csv_reject")
    html_columns = [c for c in out.collect_schema().names() if c not in own]
    out = out.join(as_text, on="sha256", how="left", suffix="_text").with_columns(
        [pl.coalesce(c, f"{c}_text") if c != "media_urls" else pl.col(c) for c in html_columns]
    )
    out = out.with_columns(
        pl.when(pl.col("_is_cable")).then(pl.col("media_urls")).otherwise(pl.col("media_urls_text")),
        (pl.col("_is_cable") | pl.col("reference_id_text").is_not_null()).alias("_is_cable"),
    )
    reference_id = pl.col("reference_id").str.strip_chars()
    created_at = viewer_timestamp(pl.col("created"))
    released_at = viewer_timestamp(pl.col("released"))
    reason = (
        pl.when(pl.col("_len") == 0)
        .then(pl.lit("empty file"))
        .when(pl.col("_csv_reject").is_not_null())
        .then(pl.col("_csv_reject"))
        .when(~pl.col("_is_cable"))
        .then(pl.lit("not a cable page"))
        .when(pl.col("reference_id").is_null())
        .then(pl.lit("cable page without a readable meta table"))
        .when(pl.col("body_html").is_null())
        .then(pl.lit("cable page without its header and body blocks"))
        .when(reference_id == "")
        .then(pl.lit("cable page without a reference id"))
        .when(created_at.is_null())
        .then(pl.lit("unreadable Created date"))
        # A cables.csv record has no Released date: it is unknown (null), not unreadable.
        .when(released_at.is_null() & ~pl.col("_from_csv"))
        .then(pl.lit("unreadable Released date"))
    )
    out = out.select(
        "sha256",
        reference_id.alias("reference_id"),
        created_at.alias("created_at"),
        released_at.alias("released_at"),
        # The meta cells are HTML like the blocks: ``Embassy Port&amp;Spain`` is ``Port&Spain``.
        pl.col("classification").str.replace_many(_ENTITIES, _ENTITY_TEXT).str.strip_chars().alias("classification"),
        pl.col("origin").str.replace_many(_ENTITIES, _ENTITY_TEXT).str.strip_chars().alias("origin"),
        pl.col("h3").alias("viewer_title"),
        pl.col("media_urls").fill_null([]),
        "header_html",
        "body_html",
        reason.alias("reject_reason"),
    )
    # Copies of a cable in several mirrors differ only around the two blocks: their text, tag
    # links and content hash are computed once per distinct (meta cells, blocks) of the batch.
    key = ["reference_id", "created_at", "released_at", "classification", "origin", "header_html", "body_html"]
    # Only the pages that may hold a preview and a full record (a cheap test here) go through
    # Python: the others keep their blocks as they are, never copied out of Polars.
    body_html = pl.col("body_html")
    banner_serial = pl.concat_str(pl.lit(" "), body_html.str.extract(BANNER_SERIAL, 1))
    forms = [
        body_html.str.contains(_FIELDS_HINT, literal=True).fill_null(False).alias("fields"),
        body_html.str.contains(_CSV_HINT).fill_null(False).alias("csv"),
        # The full test only where a date as the record prints it occurs (a literal-led search).
        pl.when(body_html.str.contains(_DATE_HINT))
        .then(body_html)
        .str.contains(_BARE_HINT)
        .fill_null(False)
        .alias("bare"),
        (body_html.str.count_matches(banner_serial, literal=True) >= 2).fill_null(False).alias("again"),
    ]
    hint = pl.any_horizontal(*[pl.col(f) for f in _FORMS])
    record = (
        pl.when(hint)
        .then(pl.struct(pl.col("reference_id").str.strip_chars(), "header_html", "body_html", *_FORMS))
        .map_batches(full_records, return_dtype=pl.Struct({"header_html": pl.String, "body_html": pl.String}))
    )
    distinct = (
        out.filter(pl.col("reject_reason").is_null())
        .select(key)
        .unique(maintain_order=True)
        .with_columns(forms)
        .with_columns(record.alias("_record"))
        .with_columns(
            pl.coalesce(pl.col("_record").struct.field("header_html"), "header_html").alias("_header_html"),
            pl.coalesce(pl.col("_record").struct.field("body_html"), "body_html").alias("_body_html"),
        )
        .drop("_record", *_FORMS)
    )
    texts = (
        distinct.with_columns(
            pl.col("_body_html")
            .str.extract_all(r"<a href=[^>]*/?tag/[^>]*>[^<]*</a>")
            .list.eval(html_to_text(pl.element()).str.strip_chars())
            .alias("tag_links"),
            html_to_text(pl.col("_header_html")).str.strip_chars().alias("header"),
            html_to_text(pl.col("_body_html")).alias("body"),
        )
        .drop("_header_html", "_body_html")
        .with_columns(cable_content().map_batches(content_sha256, return_dtype=pl.String).alias("content_sha256"))
    )
    return out.join(texts, on=key, how="left", nulls_equal=True, maintain_order="left").select(
        "sha256",
        *key[:5],
        "viewer_title",
        "media_urls",
        "tag_links",
        "header",
        "body",
        "reject_reason",
        "content_sha256",
    )
