"""A record of the release's CSV dump (``cables.csv``) read as the viewer page it stands for.

A landed record holds eight double-quoted fields: id, date (``12/28/1966 18:48``), refid, origin,
classification, references, header, body. It is rendered as the text of a Cable Viewer page (the
meta table, then the header and the body HTML-escaped in two ``<pre>`` blocks), so the page parse
reads it like any other page. What the dump does not hold stays empty: the Released cell (the
release date is unknown), the article links, the viewer's tag links. The record's references
column is not rendered: references are read from the body's REF lines, as for every page.
"""

from __future__ import annotations

import polars as pl

COLUMNS = ("id", "date", "refid", "origin", "classification", "references", "header", "body")
# What makes a page text a CSV record: it opens with a quoted id (a byte-order mark allowed).
RECORD = r'^\x{FEFF}?"\d+",'
# A quoted field: the dump escapes a quote or a backslash with a backslash; RFC 4180 doubles a
# quote (and a backslash is text). A record is read the dump's way when it shows a backslash escape
# (``\"``, ``\\`` or ``\'``) or reads no other way, else the RFC way: both agree when it holds no
# backslash. Fields are found by whole-match extraction (no capture groups: the fast engine).
_ESCAPED = r'"(?:[^"\\]|\\.|"")*"'
_DOUBLED = r'"(?:[^"]|"")*"'
FIELD_ESCAPED = "(?s)" + _ESCAPED
FIELD_DOUBLED = "(?s)" + _DOUBLED
# A whole record: quoted fields separated by commas, then the line end.
FIELDS_ESCAPED = rf"(?s)^\x{{FEFF}}?{_ESCAPED}(?:,{_ESCAPED})*\r?\n?$"
FIELDS_DOUBLED = rf"(?s)^\x{{FEFF}}?{_DOUBLED}(?:,{_DOUBLED})*\r?\n?$"
BACKSLASH_ESCAPE = r"""\\["\\']"""
# A record whose last field opens and never closes.
UNTERMINATED = rf'(?s)^\x{{FEFF}}?(?:{_ESCAPED},)*"(?:[^"\\]|\\.|"")*\\?$'
DATE = r"^\s*(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})\s+(?P<hour>\d{1,2}):(?P<minute>\d\d)\s*$"

# The comment a rendered record opens with (the viewer never writes one); for a record that
# cannot be read, a second comment says why, and ``parsed_page`` rejects the page with that reason.
CSV_RECORD_PAGE = "<!-- cables.csv record -->"
UNREADABLE_CSV_RECORD = r"^<!-- cables\.csv record -->\n<!-- (unreadable CSV record: [^\n]*?) -->"

_HTML = ["&", "<", ">"]
_HTML_ESCAPED = ["&amp;", "&lt;", "&gt;"]
_PAGE = (
    CSV_RECORD_PAGE + "\n<html><body>\n<h3>Viewing cable {}</h3>\n<table class='cable'>\n<tr>\n"
    "<th>Reference ID</th>\n<th>Created</th>\n<th>Released</th>\n<th>Classification</th>\n<th>Origin</th>\n"
    "</tr>\n<tr>\n<td>{}</td>\n<td>{}</td>\n<td></td>\n<td>{}</td>\n<td>{}</td>\n</tr>\n</table>\n"
    "<code><pre>{}</pre></code>\n<code><pre>{}</pre></code>\n</body></html>\n"
)


def unescaped(field: pl.Expr, escaped: pl.Expr) -> pl.Expr:
    """A quoted field's text: backslash escapes and doubled quotes undone when ``escaped``, doubled
    quotes only otherwise."""
    return (
        pl.when(escaped)
        .then(field.str.replace_all(r'(?s)\\(.)|"(")', "${1}${2}"))
        .otherwise(field.str.replace_all('""', '"', literal=True))
    )


def csv_record_fields(records: pl.LazyFrame) -> pl.LazyFrame:
    """One row per CSV record (``sha256``, ``text``): its eight fields as text (null when the record
    cannot be read) and ``reason``, null for a readable record."""
    text = pl.col("text")
    escaped = text.str.contains(FIELDS_ESCAPED)
    doubled = text.str.contains(FIELDS_DOUBLED)
    is_escaped = escaped & (text.str.contains(BACKSLASH_ESCAPE) | ~doubled)
    quoted = (
        pl.when(is_escaped)
        .then(text.str.extract_all(FIELD_ESCAPED))
        .when(doubled)
        .then(text.str.extract_all(FIELD_DOUBLED))
    )
    count = quoted.list.len()
    readable = count == len(COLUMNS)
    fields = [
        pl.when(readable)
        .then(unescaped(quoted.list.get(i, null_on_oob=True).str.slice(1).str.strip_suffix('"'), is_escaped))
        .alias(name)
        for i, name in enumerate(COLUMNS)
    ]
    why = (
        pl.when(count.is_not_null())
        .then(pl.format("{} fields, {} expected", count, pl.lit(len(COLUMNS))))
        .when(text.str.contains(UNTERMINATED))
        .then(pl.lit("a quoted field is not closed"))
        .otherwise(pl.lit("text outside the quoted fields"))
    )
    reason = pl.when(~readable.fill_null(False)).then(pl.concat_str(pl.lit("unreadable CSV record: "), why))
    return records.select("sha256", *fields, reason.alias("reason"))


def viewer_created(date: pl.Expr) -> pl.Expr:
    """The dump's date (``2/25/1972 9:30``) as the viewer prints Created (``1972-02-25 09:30``);
    unchanged when it is not such a date, so the page parse finds it unreadable."""
    g = date.str.extract_groups(DATE).struct.field
    stamp = pl.format(
        "{}-{}-{} {}:{}",
        g("year"),
        g("month").str.zfill(2),
        g("day").str.zfill(2),
        g("hour").str.zfill(2),
        g("minute"),
    )
    return pl.coalesce(stamp, date)


def csv_record_page(records: pl.LazyFrame) -> pl.LazyFrame:
    """One row per CSV record (``sha256``, ``text``): the text of the viewer page it stands for, or
    of the reason it cannot be read."""
    cells = [pl.col("refid"), pl.col("refid"), viewer_created(pl.col("date")), pl.col("classification")]
    cells += [pl.col("origin"), pl.col("header"), pl.col("body")]
    page = pl.format(_PAGE, *(cell.str.replace_many(_HTML, _HTML_ESCAPED) for cell in cells))
    unreadable = pl.format(CSV_RECORD_PAGE + "\n<!-- {} -->\n", pl.col("reason"))
    return csv_record_fields(records).select(
        "sha256", pl.when(pl.col("reason").is_null()).then(page).otherwise(unreadable).alias("text")
    )


def rendered_csv_records(pages: pl.LazyFrame) -> pl.LazyFrame:
    """One row per page (``sha256``, ``text``): the text of each CSV record replaced by its viewer
    page (see :func:`csv_record_page`), every other page unchanged."""
    records = pages.filter(pl.col("text").str.contains(RECORD))
    return pages.update(csv_record_page(records), on="sha256", how="left")
