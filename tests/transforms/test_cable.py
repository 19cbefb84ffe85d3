"""Cable-level fields from header and body, and the choice of the current version."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.transforms.helpers import versions
from transforms.cable import cable, current_version, distinct_versions, two_digit_year

VZCZC_HEADER = (
    "VZCZCXRO4024\nOO RUEHTRO\nDE RUEHTRO #0220/01 0731503\nZNY CCCCC ZZH\nO 131503Z MAR 08\n"
    "FM AMEMBASSY TRIPOLI\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 3217\nINFO RHEHAAA/NSC WASHINGTON DC"
)
BODY = (
    "C O N F I D E N T I A L SECTION 01 OF 03 TRIPOLI 000220\n\nSIPDIS SIPDIS\n\n"
    "E.O. 12958: DECL: 3/13/2018\nTAGS: PGOV, PREL, PHUM\nSUBJECT: LIBYA: EL-JAHMI'S RELEASE\n"
    "  NOT YET CONFIRMED\n\nREF: A) STATE 12345 B) 08 TRIPOLI 481\n\n1.(C) Summary: text.\n\nSTEVENS\n"
)


def one(**kw) -> dict:
    return versions(**kw).collect().row(0, named=True)


def test_header_fields():
    row = one(header=VZCZC_HEADER, body=BODY)
    assert row["transmission_id"] == "VZCZCXRO4024"
    assert row["precedence"] == "O"
    assert row["dtg"] == datetime(2008, 3, 13, 15, 3)
    assert row["sender"] == "AMEMBASSY TRIPOLI"


@pytest.mark.parametrize(
    ("line", "precedence", "dtg"),
    [
        ("R 130458Z AUG 79", "R", datetime(1979, 8, 13, 4, 58)),
        ("O R 230820Z FEB 10", "O R", datetime(2010, 2, 23, 8, 20)),
        ("R 271649Z OCT 09 ZDS", "R", datetime(2009, 10, 27, 16, 49)),
        ("P 041125Z MAR 1975", "P", datetime(1975, 3, 4, 11, 25)),
        ("O 311503Z FEB 08", "O", None),  # no such day: null, not a crash
    ],
)
def test_date_time_group(line, precedence, dtg):
    row = one(header=f"{line}\nFM AMEMBASSY X\nTO SECSTATE WASHDC 1")
    assert (row["precedence"], row["dtg"]) == (precedence, dtg)


def test_body_fields():
    row = one(header=VZCZC_HEADER, body=BODY)
    assert row["subject"] == "LIBYA: EL-JAHMI'S RELEASE NOT YET CONFIRMED"
    assert row["tags"] == ["PGOV", "PREL", "PHUM"]
    assert row["signer"] == "STEVENS"
    assert row["is_partial"] is False


def test_subject_is_empty_when_the_cable_has_none_and_subj_is_read():
    assert one(body="UNCLAS\n\n1. Text.\n")["subject"] == ""
    assert one(body="UNCLAS\nSUBJ: OLD STYLE SUBJECT\n\n1. TEXT")["subject"] == "OLD STYLE SUBJECT"


def test_tags_from_links_win_over_the_tags_line():
    assert one(body="TAGS: PGOV\n", tag_links=["PGOV", "OVIP (CLINTON, HILLARY)"])["tags"] == [
        "PGOV",
        "OVIP (CLINTON, HILLARY)",
    ]


@pytest.mark.parametrize(
    ("line", "tags"),
    [
        ("TAGS: PGOV PREL LY", ["PGOV", "PREL", "LY"]),
        ("TAGS PTER, PREL, PGOV, \nKHIV, IN \nSUBJECT: X", ["PTER", "PREL", "PGOV", "KHIV", "IN"]),
        ("Tags: prel, pgov", ["PREL", "PGOV"]),
        ("TAGS: OVIP (CLINTON, HILLARY) PREL", ["OVIP (CLINTON, HILLARY)", "PREL"]),
    ],
)
def test_tags_line_forms(line, tags):
    assert one(body=f"UNCLAS\n{line}\n\n1. text")["tags"] == tags


def test_partial_extract():
    row = one(body="This record is a partial extract of the original cable. The full text is not available.")
    assert row["is_partial"] is True


@given(st.integers(min_value=0, max_value=99))
def test_two_digit_years_fall_in_the_release(yy):
    year = pl.select(two_digit_year(pl.lit(f"{yy:02d}")).alias("y"))["y"][0]
    assert 1950 <= year <= 2049
    assert year % 100 == yy


def test_current_version_prefers_latest_release_then_newest_build():
    base = versions(body="short").collect()
    rows = pl.concat(
        [
            base.with_columns(sha256=pl.lit("a"), content_sha256=pl.lit("A"), released_at=datetime(2010, 11, 28)),
            base.with_columns(sha256=pl.lit("b"), content_sha256=pl.lit("B"), released_at=datetime(2010, 12, 1)),
            base.with_columns(sha256=pl.lit("c"), content_sha256=pl.lit("C"), released_at=datetime(2010, 12, 1)),
            base.with_columns(sha256=pl.lit("d"), content_sha256=pl.lit("C"), released_at=datetime(2010, 12, 1)),
        ]
    )
    landed = pl.DataFrame(
        {
            "source_uri": [
                "file:///m/_history/20101130-1248_f2eaa7d/cable/a.html",
                "file:///m/_history/20101203-0913_acbff87/cable/b.html",
                "file:///m/cable/c.html",
                "file:///n/cable/d.html",
            ],
            "sha256": ["a", "b", "c", "d"],
            "fetched_at": [datetime(2026, 1, 1)] * 4,
        }
    )
    status = current_version(rows.lazy(), landed.lazy()).collect()
    assert status.select("sha256", "status", "rank", "build_stamp").rows() == [
        ("c", "current", 1, None),  # released last; a mirror's own page is its newest build
        ("d", "duplicate", 2, None),  # same cable content on another page
        ("b", "older_version", 3, "20101203-0913"),
        ("a", "older_version", 4, "20101130-1248"),
    ]
    cables = cable(rows.lazy(), status.lazy()).collect()
    assert cables.height == 1
    assert cables.row(0, named=True)["source_uri"] == "file:///m/cable/c.html"
    assert cables["url"].to_list() == ["/cable/2008/03/08TRIPOLI220.html"]
    distinct = distinct_versions(status.lazy()).collect()
    assert distinct.select("content_sha256", "pages", "is_current", "version_rank").rows() == [
        ("C", 2, True, 1),
        ("B", 1, False, 2),
        ("A", 1, False, 3),
    ]


def test_content_hash_ignores_the_page_around_the_cable():
    links = versions(body="TAGS: PGOV\n\n1. Text", tag_links=["PGOV"]).collect()
    plain = versions(body="TAGS: PGOV\n\n1. Text").collect()
    other = versions(body="TAGS: PGOV\n\n1. Other text").collect()
    assert links["content_sha256"][0] == plain["content_sha256"][0] != other["content_sha256"][0]
    assert len(links["content_sha256"][0]) == 64
