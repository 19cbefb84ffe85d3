"""Splitting a viewer page: meta table, header, body, and the reasons a page is rejected."""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl
import pytest

from transforms.page import decoded_text, html_to_text, parsed_page

PAGE = (
    "<html><body><div id='browse'><h3>Browse</h3></div>"
    "<h3>Viewing cable 08TRIPOLI220, SUBJECT HERE</h3>"
    "<table class='cable'>\n<tr>\n<th>Reference ID</th><th>Created</th><th>Released</th>"
    "<th>Classification</th><th>Origin</th>\n</tr>\n<tr>\n"
    "<td>\n<a href='/cable/2008/03/08TRIPOLI220.html'>08TRIPOLI220</a>\n</td>\n"
    "<td>\n<a href='/date/2008-03_0.html'>2008-03-13 15:03</a>\n</td>\n"
    "<td>\n<a href='/reldate/2011-01-31_0.html'>2011-01-31 21:09</a>\n</td>\n"
    "<td>\n<a href='/classification/1_0.html' title='unclassified'>CONFIDENTIAL</a>\n</td>\n"
    "<td>\n<a href='/origin/22_0.html'>Embassy Tripoli</a>\n</td>\n</tr>\n</table>\n"
    "<code><pre>O 131503Z MAR 08&#x000A;FM AMEMBASSY TRIPOLI</pre></code>\n"
    "<code><pre>TAGS: <a href='/tag/PGOV_0.html'>PGOV</a> <a href='/tag/LY_0.html'>LY</a>&#x000A;"
    "&#x000A;<a id='par1' href='#par1'>¶</a>1. (C) A &amp; B &lt;x&gt;</pre></code></body></html>"
)


def parse(*texts: str) -> pl.DataFrame:
    frame = pl.DataFrame({"sha256": [hashlib.sha256(t.encode()).hexdigest() for t in texts], "text": list(texts)})
    return parsed_page(frame.lazy()).collect()


def test_reads_the_meta_table_header_and_body():
    row = parse(PAGE).row(0, named=True)
    assert row["reject_reason"] is None
    assert row["reference_id"] == "08TRIPOLI220"
    assert row["created_at"] == datetime(2008, 3, 13, 15, 3)
    assert row["released_at"] == datetime(2011, 1, 31, 21, 9)
    assert row["classification"] == "CONFIDENTIAL"
    assert row["origin"] == "Embassy Tripoli"
    assert row["viewer_title"] == "08TRIPOLI220, SUBJECT HERE"
    assert row["header"] == "O 131503Z MAR 08\nFM AMEMBASSY TRIPOLI"
    # The viewer's pilcrow anchor is not cable text; entities are decoded once.
    assert row["body"] == "TAGS: PGOV LY\n\n1. (C) A & B <x>"
    assert row["tag_links"] == ["PGOV", "LY"]


def test_relative_links_of_the_mirror_builds():
    page = PAGE.replace("href='/", "href='../../../")
    row = parse(page).row(0, named=True)
    assert row["tag_links"] == ["PGOV", "LY"]
    assert row["reference_id"] == "08TRIPOLI220"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        ("<html><h3>Browse latest releases</h3></html>", "not a cable page"),
        ("plain text, not html", "not a cable page"),
        (PAGE.replace("<table class='cable'>", "<table>"), "cable page without a readable meta table"),
        (PAGE.replace("2008-03-13 15:03", "sometime in 2008"), "unreadable Created date"),
        (PAGE.replace("2011-01-31 21:09", "?"), "unreadable Released date"),
        (PAGE.split("<code>")[0], "cable page without its header and body blocks"),
        (PAGE.replace(">08TRIPOLI220</a>", "> </a>"), "cable page without a reference id"),
    ],
)
def test_reject_reasons(text, reason):
    assert parse(text)["reject_reason"].to_list() == [reason]


def test_one_row_per_page_and_no_page_lost():
    texts = [PAGE, "", "junk", PAGE.replace("08TRIPOLI220", "09TRIPOLI1")]
    out = parse(*texts)
    assert out.height == len(texts)
    assert out["reject_reason"].is_null().sum() == 2


def test_decoded_text_falls_back_for_non_utf8_pages():
    series = pl.Series([b"ok", "caf\xe9 \xb61.".encode("latin-1")], dtype=pl.Binary)
    assert decoded_text(series).to_list() == ["ok", "café ¶1."]


def test_html_to_text_keeps_unknown_entities():
    out = pl.select(html_to_text(pl.lit("R&D; a&#x000A;b &amp;lt;")).alias("t"))["t"][0]
    assert out == "R&D; a\nb &lt;"


def test_pages_saved_as_text_are_read_like_html_pages():
    """Both browser text renderings in the corpus: plain lines, and a ``|`` table."""
    from cables.settings import PROJECT_ROOT

    folder = PROJECT_ROOT / "tests" / "data" / "text-rendering"
    texts = [p.read_text() for p in sorted(folder.glob("*.txt"))]
    rows = {r["reference_id"]: r for r in parse(*texts).to_dicts()}
    assert set(rows) == {"08TRIPOLI505", "09TRIPOLI748"}
    tripoli = rows["09TRIPOLI748"]
    assert tripoli["reject_reason"] is None
    assert (tripoli["created_at"], tripoli["released_at"]) == (
        datetime(2009, 9, 17, 10, 10),
        datetime(2011, 1, 31, 21, 9),
    )
    assert (tripoli["classification"], tripoli["origin"]) == ("CONFIDENTIAL", "Embassy Tripoli")
    assert tripoli["header"].startswith("VZCZCXRO7857\nOO RUEHBC") and tripoli["header"].endswith(
        "AMEMBASSY TRIPOLI 5816"
    )
    assert tripoli["body"].startswith("C O N F I D E N T I A L SECTION 01 OF 05 TRIPOLI 000748")
    assert rows["08TRIPOLI505"]["media_urls"] == ["http://www.telegraph.co.uk/news/wikileaks-files/libya-wikileaks/"]


def test_a_stray_angle_bracket_in_the_text_is_kept():
    out = pl.select(html_to_text(pl.lit("A. 2009 MADRID 59 <B. STATE 12 <a href='x'>link</a> 3 > 2")).alias("t"))["t"][
        0
    ]
    assert out == "A. 2009 MADRID 59 <B. STATE 12 link 3 > 2"


def test_media_links_that_are_no_urls_are_left_out():
    from transforms.media_link import media_link

    parsed = pl.DataFrame(
        {
            "sha256": ["p"],
            "reference_id": ["05TELAVIV1593"],
            "reject_reason": [None],
            "media_urls": [["http://Yedioth", "http://in", "http://http://www.spiegel.de/a.html", "elpais.com/x"]],
        },
        schema_overrides={"reject_reason": pl.String},
    )
    out = media_link(parsed.lazy()).collect()
    assert out["url"].to_list() == ["http://www.spiegel.de/a.html", "http://elpais.com/x"]
    assert out["host"].to_list() == ["www.spiegel.de", "elpais.com"]


def test_entities_of_the_meta_cells_are_decoded():
    """The origin and classification cells are HTML: their entities are text, as the subject's are."""
    page = PAGE.replace(">Embassy Tripoli<", ">Embassy Port&amp;Spain &lt;b&gt;&#39;x&#39;<").replace(
        ">CONFIDENTIAL<", ">SECRET&#x2F;&#x2F;NOFORN<".replace("&#x2F;", "/")
    )
    row = parse(page).row(0, named=True)
    assert row["origin"] == "Embassy Port&Spain <b>'x'"
    assert row["classification"] == "SECRET//NOFORN"
