"""Golden tests: every table read from real pages of the bundled sample, checked by hand."""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl
import pytest

from cables.settings import SAMPLE_DIR
from transforms.parse import parsed_tables

PAGES = {
    "09TRIPOLI65": "chillicoder__cablegate/public/cable/2009/01/09TRIPOLI65.html",
    "79TEHRAN8980": "anarchivist__cablegate-data/cable/1979/08/79TEHRAN8980.html",
    "7575LIBREVILLE1895": "MarkChips__cablegate-search-app/test-set/1975/11/7575LIBREVILLE1895.html",
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    contents = [(SAMPLE_DIR / path).read_bytes() for path in PAGES.values()]
    raw = pl.DataFrame(
        {"sha256": [hashlib.sha256(c).hexdigest() for c in contents], "content": contents},
        schema={"sha256": pl.String, "content": pl.Binary},
    )
    return parsed_tables(raw)


def rows(tables, name: str, reference_id: str, *columns: str) -> list[tuple]:
    frame = tables[name].filter(pl.col("reference_id") == reference_id).sort("position")
    return frame.select(columns).rows()


def test_cable_fields(tables):
    cable = tables["cable_version"].filter(pl.col("reference_id") == "09TRIPOLI65").row(0, named=True)
    assert cable["created_at"] == datetime(2009, 1, 28, 17, 5)
    assert cable["classification"] == "CONFIDENTIAL//NOFORN"
    assert cable["origin"] == "Embassy Tripoli"
    assert cable["subject"] == "PAN AM BOMBER AL-MEGRAHI: THE VIEW FROM TRIPOLI"
    assert (cable["transmission_id"], cable["precedence"], cable["dtg"]) == (
        "VZCZCXRO7211",
        "O",
        datetime(2009, 1, 28, 17, 0),
    )
    assert (cable["sender"], cable["signer"]) == ("AMEMBASSY TRIPOLI", "CRETZ")
    assert cable["tags"] == ["PREL", "PGOV", "PTER", "LY", "UK"]


def test_malformed_id_kept_as_printed(tables):
    cable = tables["cable_version"].filter(pl.col("reference_id") == "7575LIBREVILLE1895").row(0, named=True)
    assert cable["subject"] == "KOREA AT 30TH UNGA: GABON"
    assert (cable["precedence"], cable["dtg"]) == ("O R", datetime(1975, 11, 18, 12, 5))


def test_recipients(tables):
    assert rows(tables, "recipient", "09TRIPOLI65", "kind", "routing_indicator", "name", "precedence", "serial") == [
        ("to", "RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "4377"),
        ("info", "RUEHLO", "AMEMBASSY LONDON", "IMMEDIATE", "0991"),
        ("info", "RUEHSW", "AMEMBASSY BERN", "IMMEDIATE", "0033"),
        ("info", "RUEHFR", "AMEMBASSY PARIS", "IMMEDIATE", "0678"),
        ("info", "RHEHAAA", "NSC WASHINGTON DC", None, None),
        ("info", "RHMFISS", "DEPT OF JUSTICE WASHINGTON DC", None, None),
        ("info", "RUEHTRO", "AMEMBASSY TRIPOLI", None, "4901"),
    ]
    assert rows(tables, "recipient", "7575LIBREVILLE1895", "kind", "name", "precedence", "serial") == [
        ("to", "USMISSION USUN NEWYORK", "NIACT IMMEDIATE", None),
        ("to", "SECSTATE WASHDC", "IMMEDIATE", "7102"),
        ("info", "AMEMBASSY PARIS", None, None),
        ("info", "AMEMBASSY SEOUL", None, None),
    ]
    assert rows(tables, "recipient", "79TEHRAN8980", "kind", "routing_indicator", "name", "serial") == [
        ("to", None, "SECSTATE WASHDC", "3182")
    ]


def test_tags(tables):
    assert rows(tables, "tag", "79TEHRAN8980", "position", "tag") == [(1, "PEPR"), (2, "IR")]


def test_references(tables):
    assert rows(tables, "reference", "09TRIPOLI65", "letter", "raw", "referenced_id") == [
        ("A", "LONDON 209", "09LONDON209"),
        ("B", "06 TRIPOLI 0055", "06TRIPOLI55"),
        ("C", "08 TRIPOLI 994", "08TRIPOLI994"),
    ]
    # The year of an item without one is the citing cable's creation year (1975), not its release.
    assert rows(tables, "reference", "7575LIBREVILLE1895", "letter", "raw", "referenced_id") == [
        (None, "STATE 272523", "75STATE272523"),
        (None, "USUN 6028", "75USUNNEWYORK6028"),
    ]


def test_paragraphs(tables):
    got = rows(tables, "paragraph", "09TRIPOLI65", "number", "marking")
    # "LONDON FOR TSOU, PARIS FOR WALLER" is a routing line, header matter like "DEPT FOR": no paragraph.
    assert got[0] == (1, "C/NF")
    assert [n for n, _ in got if n is not None] == [1, 2, 3, 4, 5, 6]
    assert {m for n, m in got if n is not None} == {"C/NF"}
    first = tables["paragraph"].filter((pl.col("reference_id") == "09TRIPOLI65") & (pl.col("number") == 1))
    assert first["text"][0].startswith("Summary: While Libya has a number of other pressing foreign policy issues")
    tehran = rows(tables, "paragraph", "79TEHRAN8980", "number", "marking")
    assert tehran[:3] == [(1, "C"), (2, None), (3, None)]
