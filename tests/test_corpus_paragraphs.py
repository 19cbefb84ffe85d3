"""Acceptance test of the paragraph table on the shared corpus: the viewer's own paragraph anchors.

The Cable Viewer links numbered paragraphs with ``<a id='parN' href='...#parN'>¶</a>`` in the body
``<pre>``: it anchors any ``N.`` at the start of a line. For at least 99% of the current cable
pages with anchors, every anchored number must be a ``number`` of our paragraph table for that page.

Two kinds of anchor are the viewer's mistakes, not paragraphs, and are left out (and counted):
a number of four digits or more (a year or a time at the start of a line: ``in\\n2008.``,
``at\\n0200.``), and a day after a month name ending the line before, not followed by a portion
marking (``on Monday, October\\n22. The``; ``... IN JANUARY OR FEBRUARY\\n2. (C) ...`` is a paragraph).
A number anchored twice in a page is wanted when one of its anchors is no mistake.

No Prefect: the pages are read with the transforms ``parsed_tables`` chains (``page_text``,
``parsed_page``, ``cable_version``), the current versions chosen with ``current_version`` as the flow
does, and ``paragraph`` run on those (the other child tables are not needed). Skipped without the
corpus.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from pathlib import Path

import polars as pl
import pytest

from transforms.cable import cable_version, current_version
from transforms.page import parsed_page
from transforms.paragraph import paragraph
from transforms.parse import page_text

pytestmark = pytest.mark.corpus

REQUIRED_SHARE = 0.99
SHOW = 25
_MONTHS = "JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER"
# One anchor with what tells a mistake: a month name ending the line before
# (``October&#x000A;<a id='par22' ...>¶</a>22. The``), a portion marking after the number.
ANCHOR = (
    r"(?:(?i:" + _MONTHS + r")[ \t]*(?:&#x000A;|&#10;|\r?\n)[ \t]*)?"
    r"<a id='par\d+'[^>]*>[^<]*</a>[ \t]*\d+[ \t]*\.[ \t]*(?:\([A-Za-z]{1,4}[/)])?"
)


@pytest.fixture(scope="module")
def current_pages(corpus_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The raw current page of every cable (``sha256``, ``reference_id``, ``html``) and its paragraphs."""
    rows = []
    for folder, _dirs, files in os.walk(corpus_dir):
        for name in files:
            path = Path(folder) / name
            content = path.read_bytes()
            rows.append((path.resolve().as_uri(), hashlib.sha256(content).hexdigest(), content))
    raw = pl.DataFrame(rows, schema={"source_uri": pl.String, "sha256": pl.String, "content": pl.Binary}, orient="row")
    versions = cable_version(parsed_page(page_text(raw.select("sha256", "content")))).collect()
    landed = raw.select("source_uri", "sha256", pl.lit(None, pl.Datetime("us")).alias("fetched_at"))
    status = current_version(versions.lazy(), landed.lazy()).collect()
    current = status.filter(pl.col("status") == "current").select("reference_id", "sha256")
    pages = (
        raw.join(current, on="sha256", how="semi")
        .unique("sha256")
        .select("sha256", pl.col("content").cast(pl.String).alias("html"))
        .join(current, on="sha256")
    )
    return pages, paragraph(versions.lazy().join(current.lazy(), on=["reference_id", "sha256"], how="semi")).collect()


def _anchors(pages: pl.DataFrame) -> pl.DataFrame:
    """One row per anchor (``sha256``, ``reference_id``, ``printed`` number, ``kind``).

    ``kind``: ``year`` (4 or more digits), ``date`` (a day after a month name), else ``paragraph``.
    """
    anchor = pl.col("anchor")
    kind = (
        pl.when(pl.col("printed").str.len_chars() >= 4)
        .then(pl.lit("year"))
        .when(~anchor.str.starts_with("<") & ~anchor.str.ends_with(")") & ~anchor.str.ends_with("/"))
        .then(pl.lit("date"))
        .otherwise(pl.lit("paragraph"))
    )
    return (
        pages.select("sha256", "reference_id", pl.col("html").str.extract_all(ANCHOR).alias("anchor"))
        .explode("anchor")
        .drop_nulls("anchor")
        .with_columns(anchor.str.extract(r"<a id='par(\d+)'", 1).alias("printed"))
        .with_columns(kind.alias("kind"))
    )


def _line_before(page_html: str, printed: str) -> str:
    """The end of the line before the anchor ``printed``, as text."""
    at = page_html.find(f"<a id='par{printed}'")
    before = html.unescape(re.sub(r"<[^>]*>", "", page_html[max(0, at - 400) : at].replace("&#x000A;", "\n")))
    lines = before.rstrip(" \t").split("\n")
    return lines[-2].rstrip() if len(lines) > 1 and lines[-1].strip() == "" else lines[-1].rstrip()


def _miss_class(line_before: str) -> str:
    if not line_before.strip():
        return "after a blank line"
    if re.search(r"-{3,}\s*$", line_before):
        return "after a heading underline"
    if line_before.endswith(";"):
        return "list item (line before ends with ;)"
    if re.search(r"[.:?!)\]\"'’”]$", line_before) or re.search(r"[xX]{4,}$", line_before):
        return "after the end of a sentence or a redaction"
    return "mid-sentence (line before does not end a sentence)"


def test_every_anchored_paragraph_number_is_in_the_paragraph_table(current_pages):
    pages, paragraphs = current_pages
    anchors = _anchors(pages)
    years = anchors.filter(pl.col("kind") == "year")
    dates = anchors.filter(pl.col("kind") == "date")
    key = ["sha256", "reference_id", "printed"]
    numbered = (
        anchors.filter(pl.col("kind") != "year")
        .unique(key)
        .select(*key, pl.col("printed").cast(pl.Int32).alias("number"))
    )
    wanted = anchors.filter(pl.col("kind") == "paragraph").unique(key).join(numbered, on=key)
    numbers = paragraphs.filter(pl.col("number").is_not_null()).select("sha256", "number").unique()
    misses = wanted.join(numbers, on=["sha256", "number"], how="anti").sort("reference_id", "number")
    # The same figure without leaving out the day-after-month anchors.
    strict = numbered.join(numbers, on=["sha256", "number"], how="anti")["sha256"].n_unique()

    with_anchors = wanted["sha256"].n_unique()
    failing = misses["sha256"].n_unique()
    share = 1 - failing / with_anchors
    by_html = dict(zip(pages["sha256"], pages["html"], strict=True))
    classes: dict[str, list[str]] = {}
    for row in misses.iter_rows(named=True):
        before = _line_before(by_html[row["sha256"]], row["printed"])
        classes.setdefault(_miss_class(before), []).append(
            f"{row['reference_id']} {row['number']} after {before[-40:]!r}"
        )
    numbered_pages = numbered["sha256"].n_unique()
    print(
        f"\n{with_anchors} current cable pages with paragraph anchors ({anchors.height} anchors); "
        f"left out as viewer mistakes: {years.height} year/time anchors, {dates.height} day-after-month anchors.\n"
        f"{with_anchors - failing} pages ({share:.2%}) have every anchored number; {failing} pages miss "
        f"{misses.height} numbers. Counting the day-after-month anchors too: {numbered_pages - strict} of "
        f"{numbered_pages} pages ({1 - strict / numbered_pages:.2%})."
    )
    for name, items in sorted(classes.items(), key=lambda kv: -len(kv[1])):
        print(f"  {name}: {len(items)}")
        for item in items[:SHOW]:
            print(f"    {item}")
    assert share >= REQUIRED_SHARE, f"only {share:.2%} of the pages with anchors have all their paragraphs"
