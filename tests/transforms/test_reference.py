"""REF blocks: items, letters, and the ids of cited cables."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.transforms.helpers import versions
from transforms.reference import reference
from transforms.vocabulary import ORIGIN_FIXES, STATIONS


def refs(block: str, created: str = "2008-03-13 15:03") -> list[tuple]:
    body = f"UNCLAS\nSUBJECT: X\n\n{block}\n\n1. (U) Text."
    rows = reference(versions(body=body, created=created)).collect()
    return [(r["position"], r["letter"], r["raw"], r["referenced_id"]) for r in rows.to_dicts()]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            "REF: A) STATE 12345 B) 08 TRIPOLI 481",
            [(1, "A", "STATE 12345", "08STATE12345"), (2, "B", "08 TRIPOLI 481", "08TRIPOLI481")],
        ),
        ("REF: (A) ISLAMABAD 267", [(1, "A", "ISLAMABAD 267", "08ISLAMABAD267")]),
        ("REF: A. 07 STATE 124337", [(1, "A", "07 STATE 124337", "07STATE124337")]),
        (
            "REF: CARACAS 1374; CARACAS 1256",
            [(1, None, "CARACAS 1374", "08CARACAS1374"), (2, None, "CARACAS 1256", "08CARACAS1256")],
        ),
        ("REF: BRASILIA 882 AND PREVIOUS", [(1, None, "BRASILIA 882 AND PREVIOUS", "08BRASILIA882")]),
        ("REFTEL: SECSTATE 0043420", [(1, None, "SECSTATE 0043420", "08STATE43420")]),
        ("REF: 2006 ADDIS ABABA 12", [(1, None, "2006 ADDIS ABABA 12", "06ADDISABABA12")]),
        (
            "REF: A. EMAIL FROM POLOFF 3/12/08\n     B. TELCON WITH DRL",
            [(1, "A", "EMAIL FROM POLOFF 3/12/08", None), (2, "B", "TELCON WITH DRL", None)],
        ),
    ],
)
def test_ref_items(block, expected):
    assert refs(block) == expected


def test_year_comes_from_the_citing_cables_created_date():
    assert refs("REF: TRIPOLI 481", created="2009-01-02 10:00")[0][3] == "09TRIPOLI481"
    assert refs("REF: TRIPOLI 481", created="1989-12-30 10:00")[0][3] == "89TRIPOLI481"


def test_no_ref_block_no_rows():
    assert refs("Classified By: someone") == []
    assert refs("") == []


def test_the_block_stops_at_classified_by():
    assert refs("REF: STATE 14467\nClassified By: Economic Officer Peter Haas for reasons 1.4 b") == [
        (1, None, "STATE 14467", "08STATE14467")
    ]


@given(
    station=st.sampled_from(sorted(s for s in STATIONS if s.isalpha())),
    serial=st.integers(min_value=1, max_value=999999),
    year=st.one_of(st.none(), st.integers(min_value=66, max_value=99), st.integers(min_value=0, max_value=10)),
)
def test_any_station_and_serial_resolve(station, serial, year):
    prefix = "" if year is None else f"{year:02d} "
    got = refs(f"REF: A) {prefix}{station} {serial:06d}")
    yy = "08" if year is None else f"{year:02d}"
    canonical = ORIGIN_FIXES.get(station, station)
    assert got == [(1, "A", f"{prefix}{station} {serial:06d}", f"{yy}{canonical}{serial}")]


def test_in_release_against_the_known_ids():
    body = "UNCLAS\nSUBJECT: X\n\nREF: A) STATE 12345 B) 08 TRIPOLI 481 C) EMAIL OF 3/3\n\n1. (U) Text."
    known = pl.LazyFrame({"reference_id": ["08TRIPOLI481"]})
    rows = reference(versions(body=body), known).collect()
    assert rows.select("referenced_id", "in_release").rows() == [
        ("08STATE12345", False),
        ("08TRIPOLI481", True),
        (None, None),
    ]
