"""TO and INFO addressees read from cable headers."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from tests.transforms.helpers import versions
from transforms.recipient import PRECEDENCES, recipient


def recipients(header: str) -> list[dict]:
    return recipient(versions(header=header)).collect().drop("sha256").to_dicts()


def test_routed_header():
    rows = recipients(
        "VZCZCXRO4024\nOO RUEHTRO\nDE RUEHTRO #0220/01 0731503\nZNY CCCCC ZZH\nO 131503Z MAR 08\n"
        "FM AMEMBASSY TRIPOLI\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 3217\nINFO RHEHAAA/NSC WASHINGTON DC\n"
        "RUEHTU/AMEMBASSY TUNIS IMMEDIATE 0452\nRUEHIA/USINFO WASHDC\nRUEHEE/ARAB LEAGUE COLLECTIVE\nBT"
    )
    assert [
        (r["kind"], r["position"], r["routing_indicator"], r["name"], r["precedence"], r["serial"]) for r in rows
    ] == [
        ("to", 1, "RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "3217"),
        ("info", 2, "RHEHAAA", "NSC WASHINGTON DC", None, None),
        ("info", 3, "RUEHTU", "AMEMBASSY TUNIS", "IMMEDIATE", "0452"),
        ("info", 4, "RUEHIA", "USINFO WASHDC", None, None),
        ("info", 5, "RUEHEE", "ARAB LEAGUE COLLECTIVE", None, None),
    ]


def test_old_header_without_routing_indicators():
    rows = recipients("R 130458Z AUG 79\nFM AMEMBASSY TEHRAN\nTO SECSTATE WASHDC 3182")
    assert [(r["kind"], r["routing_indicator"], r["name"], r["serial"]) for r in rows] == [
        ("to", None, "SECSTATE WASHDC", "3182")
    ]


def test_distribution_block_before_fm_is_not_an_addressee():
    rows = recipients(
        "ACTION EUR-00\n\nINFO  LOG-00   EEB-00   AF-00\n      DODE-00\n\nO 221014Z MAR 09\n"
        "FM AMEMBASSY MADRID\nTO SECSTATE WASHDC IMMEDIATE 0001\nINFO AMEMBASSY PARIS"
    )
    assert [(r["kind"], r["name"]) for r in rows] == [("to", "SECSTATE WASHDC"), ("info", "AMEMBASSY PARIS")]


def test_no_header_no_recipients():
    assert recipients("null") == []
    assert recipients("This record is a partial extract of the original cable.") == []


@given(
    ri=st.from_regex(r"RUE[A-Z]{2,3}", fullmatch=True),
    place=st.from_regex(r"AMEMBASSY [A-Z]{3,12}( [A-Z]{3,8})?", fullmatch=True),
    precedence=st.sampled_from([None, *PRECEDENCES]),
    serial=st.one_of(st.none(), st.from_regex(r"[0-9]{1,5}", fullmatch=True)),
)
def test_addressee_line_round_trip(ri, place, precedence, serial):
    line = " ".join(p for p in (f"{ri}/{place}", precedence, serial) if p)
    rows = recipients(f"O 010101Z JAN 09\nFM AMEMBASSY X\nTO {line}")
    assert len(rows) == 1
    assert (rows[0]["routing_indicator"], rows[0]["name"], rows[0]["precedence"], rows[0]["serial"]) == (
        ri,
        place,
        precedence,
        serial,
    )
    assert pl.Series([rows[0]["position"]]).to_list() == [1]


def test_routing_names_from_the_lookup_keep_the_order():
    header = (
        "O 010101Z JAN 09\nFM AMEMBASSY X\nTO RUEHC/SECSTATE WASHDC 1\nINFO RUEHTU/AMEMBASSY TUNIS\nRUEHZZ/SOMEWHERE"
    )
    routes = pl.LazyFrame({"routing_indicator": ["RUEHTU", "RUEHC"], "name": ["TUNIS", "SECSTATE"]})
    rows = recipient(versions(header=header), routes).collect()
    assert rows.select("position", "routing_indicator", "routing_name").rows() == [
        (1, "RUEHC", "SECSTATE"),
        (2, "RUEHTU", "TUNIS"),
        (3, "RUEHZZ", None),
    ]
