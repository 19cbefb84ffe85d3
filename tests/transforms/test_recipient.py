"""TO, INFO and XMT addressees read from cable headers."""

from __future__ import annotations

import polars as pl
import pytest
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


# cablemap's own test vectors for ``reader.parse_recipients`` (field ``to``) and
# ``reader.parse_info_recipients`` (``info``), copied from cablemap_test_vectors.jsonl: header,
# then (route, name, precedence, mcn, excluded) per addressee. ``route`` is our
# ``routing_indicator``, ``mcn`` our ``serial``; an excluded station is our ``xmt`` row printed
# after it. The two XMT vectors fail in cablemap itself (``cablemap_head_pass: false``).
CABLEMAP_VECTORS = [
    (
        "to",
        "P 182318Z FEB 09\nFM SECSTATE WASHDC\nTO PAGE 02        STATE   015113  182333Z \n"
        "ALL DIPLOMATIC POSTS COLLECTIVE PRIORITY\nAMEMBASSY TRIPOLI PRIORITY",
        [
            (None, "ALL DIPLOMATIC POSTS COLLECTIVE", "PRIORITY", None, ()),
            (None, "AMEMBASSY TRIPOLI", "PRIORITY", None, ()),
        ],
    ),
    (
        "to",
        "O 201405Z DEC 89\nFM SECSTATE WASHDC\nTO SPECIAL EMBASSY PROGRAM NIACT IMMEDIATE\n"
        "AMCONSUL LENINGARD NIACT IMMEDIATE",
        [
            (None, "SPECIAL EMBASSY PROGRAM", "NIACT IMMEDIATE", None, ()),
            (None, "AMCONSUL LENINGARD", "NIACT IMMEDIATE", None, ()),
        ],
    ),
    (
        "to",
        "P 061232Z MAR 09\nFM AMEMBASSY BAKU\nTO SECSTATE WASHDC PRIORITY 0872",
        [(None, "SECSTATE WASHDC", "PRIORITY", "0872", ())],
    ),
    (
        "to",
        "FM AMEMBASSY BEIJING\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 4696\nINFO RUEHOO/CHINA POSTS COLLECTIVE",
        [("RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "4696", ())],
    ),
    (
        "to",
        "FM SECSTATE WASHDC\nTO PAGE 02        STATE   023763  071504Z\nAMEMBASSY NEW DELHI PRIORITY\n"
        "INFO MISSILE TECHNOLOGY CONTROL REGIME COLLECTIVE PRIORITY",
        [(None, "AMEMBASSY NEW DELHI", "PRIORITY", None, ())],
    ),
    (
        "to",
        "FM AMEMBASSY FOOBAR\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 3355\nRUEHX/EUROPEAN POLITICAL COLLECTIVE\n"
        "XMT/AMEMBASSY SOFIA\nAMEMBASSY BUCHAREST",
        [
            ("RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "3355", ()),
            ("RUEHX", "EUROPEAN POLITICAL COLLECTIVE", None, None, ("AMEMBASSY SOFIA", "AMEMBASSY BUCHAREST")),
        ],
    ),
    (
        "to",
        "FM AMEMBASSY FOOBAR\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 3355\nRUEHX/EUROPEAN POLITICAL COLLECTIVE\n"
        "XMT AMEMBASSY SOFIA\nAMEMBASSY BUCHAREST",
        [
            ("RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "3355", ()),
            ("RUEHX", "EUROPEAN POLITICAL COLLECTIVE", None, None, ("AMEMBASSY SOFIA", "AMEMBASSY BUCHAREST")),
        ],
    ),
    (
        "info",
        "FM SECSTATE WASHDC\nTO PAGE 02        STATE   023763  071504Z\nAMEMBASSY NEW DELHI PRIORITY\n"
        "INFO MISSILE TECHNOLOGY CONTROL REGIME COLLECTIVE PRIORITY",
        [(None, "MISSILE TECHNOLOGY CONTROL REGIME COLLECTIVE", "PRIORITY", None, ())],
    ),
    (
        "info",
        "TO AMEMBASSY NEW DELHI PRIORITY\nINFO RUEHTH/AMEMBASSY ATHENS 0121\nRUEUITH/DET 1 39LG ANKARA TU",
        [("RUEHTH", "AMEMBASSY ATHENS", None, "0121", ()), ("RUEUITH", "DET 1 39LG ANKARA TU", None, None, ())],
    ),
    (
        "info",
        "R 270230Z NOV 08\nFM SECSTATE WASHDC\nINFO AMEMBASSY PANAMA",
        [(None, "AMEMBASSY PANAMA", None, None, ())],
    ),
    ("info", "INFO AMEMBASSY PANAMA", [(None, "AMEMBASSY PANAMA", None, None, ())]),
    (
        "info",
        "INFO RUEHTH/AMEMBASSY ATHENS 0121\nRHMFIUU/39OS INCIRLIK AB TU",
        [("RUEHTH", "AMEMBASSY ATHENS", None, "0121", ()), ("RHMFIUU", "39OS INCIRLIK AB TU", None, None, ())],
    ),
    ("info", "INFO XMT FOOBAR", []),
    (
        "info",
        "TO AMEMBASSY BEIJING IMMEDIATE\nINFO PAGE 02        STATE   050524  131535Z\nAMEMBASSY BAGHDAD PRIORITY",
        [(None, "AMEMBASSY BAGHDAD", "PRIORITY", None, ())],
    ),
    (
        "info",
        "O P 190243Z DEC 89\nFM SECSTATE WASHDC\nTO ALL AMERICAN REPUBLIC DIPLOMATIC POSTS IMMEDIATE\n"
        "ALL OECD CAPITALS\nAMEMBASSY MOSCOW IMMEDIATE\nAMEMBASSY TOKYO IMMEDIATE\nAMEMBASSY MANAGUA\n"
        "INFO ALL DIPLOMATIC AND CONSULAR POSTS PRIORITY\nXMT USINT HAVANA",
        [(None, "ALL DIPLOMATIC AND CONSULAR POSTS", "PRIORITY", None, ("USINT HAVANA",))],
    ),
]


def _in_cablemap_shape(rows: list[dict], kind: str) -> list[tuple]:
    """Our rows of ``kind`` with the ``xmt`` rows printed after them, as (kind, ri, name, precedence, serial)."""
    out, last = [], None
    for r in rows:
        if r["kind"] != "xmt":
            last = r["kind"]
        if r["kind"] == kind or (r["kind"] == "xmt" and last == kind):
            out.append((r["kind"], r["routing_indicator"], r["name"], r["precedence"], r["serial"]))
    return out


@pytest.mark.parametrize(("kind", "header", "expected"), CABLEMAP_VECTORS)
def test_cablemap_vectors(kind, header, expected):
    want = []
    for route, name, precedence, mcn, excluded in expected:
        want.append((kind, route, name, precedence, mcn))
        want.extend(("xmt", None, station, None, None) for station in excluded)
    assert _in_cablemap_shape(recipients(header), kind) == want


def test_xmt_stations_are_rows_of_their_own_kind_never_addressees():
    rows = recipients(
        "P 031812Z NOV 08\nFM SECSTATE WASHDC\nTO SECURITY OFFICER COLLECTIVE PRIORITY\nAMEMBASSY TRIPOLI PRIORITY\n"
        "INFO AMCONSUL CASABLANCA PRIORITY\nXMT AMCONSUL JOHANNESBURG\nAMCONSUL JOHANNESBURG"
    )
    assert [(r["kind"], r["position"], r["name"]) for r in rows] == [
        ("to", 1, "SECURITY OFFICER COLLECTIVE"),
        ("to", 2, "AMEMBASSY TRIPOLI"),
        ("info", 3, "AMCONSUL CASABLANCA"),
        ("xmt", 4, "AMCONSUL JOHANNESBURG"),
        ("xmt", 5, "AMCONSUL JOHANNESBURG"),
    ]
    assert [(r["kind"], r["name"]) for r in recipients("INFO XMT FOOBAR")] == [("xmt", "FOOBAR")]


def test_zen_addressees_and_serial_ranges_of_a_multi_section_cable():
    # 08STATE103511: ZEN/ (delivered by other means) stands in the routing slot; it does not end the list.
    rows = recipients(
        "O 270333Z SEP 08\nFM SECSTATE WASHDC\nTO ZEN/AMEMBASSY BELMOPAN NIACT IMMEDIATE 2276-2279\n"
        "RUEHKV/AMEMBASSY KYIV NIACT IMMEDIATE 7881-7884\nZEN/AMEMBASSY MOSCOW NIACT IMMEDIATE 4778-4781\n"
        "INFO ZEN/AMEMBASSY ADDIS ABABA IMMEDIATE 5844-5847\nZEN/CNO WASHINGTON DC IMMEDIATE"
    )
    assert [(r["kind"], r["routing_indicator"], r["name"], r["precedence"], r["serial"]) for r in rows] == [
        ("to", "ZEN", "AMEMBASSY BELMOPAN", "NIACT IMMEDIATE", "2276-2279"),
        ("to", "RUEHKV", "AMEMBASSY KYIV", "NIACT IMMEDIATE", "7881-7884"),
        ("to", "ZEN", "AMEMBASSY MOSCOW", "NIACT IMMEDIATE", "4778-4781"),
        ("info", "ZEN", "AMEMBASSY ADDIS ABABA", "IMMEDIATE", "5844-5847"),
        ("info", "ZEN", "CNO WASHINGTON DC", "IMMEDIATE", None),
    ]


def test_fragments_of_a_garbled_line_are_not_addressees():
    # 08ASMARA543 prints RUEHDJ/AMEMBASSY DJIBOUTI broken over three lines.
    rows = recipients(
        "P 121055Z NOV 08\nFM AMEMBASSY ASMARA\nTO SECSTATE WASHDC PRIORITY 0005\nINFO AMEMBASSY ADDIS ABABA \n"
        "R\nE\nDJ/AMEMBASSY QJQBOUTI 3104\nAMEMBASSY KHARTOUM "
    )
    assert [(r["routing_indicator"], r["name"], r["serial"]) for r in rows] == [
        (None, "SECSTATE WASHDC", "0005"),
        (None, "AMEMBASSY ADDIS ABABA", None),
        ("DJ", "AMEMBASSY QJQBOUTI", "3104"),
        (None, "AMEMBASSY KHARTOUM", None),
    ]


def test_a_line_with_only_a_routing_indicator_takes_its_name_from_the_lookup():
    header = "O 010101Z JAN 09\nFM AMEMBASSY X\nTO RUEHC/ IMMEDIATE 0001\nINFO RUEHTU\nRUEHZZ/\nROME"
    routes = pl.LazyFrame({"routing_indicator": ["RUEHTU", "RUEHC"], "name": ["AMEMBASSY TUNIS", "SECSTATE WASHDC"]})
    rows = recipient(versions(header=header), routes).collect()
    assert rows.select("routing_indicator", "name", "precedence", "serial", "routing_name").rows() == [
        ("RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "0001", "SECSTATE WASHDC"),
        ("RUEHTU", "AMEMBASSY TUNIS", None, None, "AMEMBASSY TUNIS"),
        # Unknown to the lookup: the routing indicator is all there is to name it.
        ("RUEHZZ", "RUEHZZ", None, None, None),
        # A bare word the lookup does not know is a name, not a routing indicator.
        (None, "ROME", None, None, None),
    ]


def test_distribution_block_of_a_header_without_fm_is_not_an_addressee():
    rows = recipients("INFO  LOG-00   EEB-00   AF-00\n      DODE-00   /002R\n\nTO AMEMBASSY PARIS")
    assert [(r["kind"], r["name"]) for r in rows] == [("to", "AMEMBASSY PARIS")]


def test_two_addressees_glued_by_a_month():
    """Real lines of 06LIMA4516, 09SANTIAGO415 and 08BOGOTA3521 (a garbled date between two posts)."""
    rows = recipients(
        "R 282058Z NOV 06\nFM AMEMBASSY LIMA\nTO RUEHC/SECSTATE WASHDC 3125\n"
        "INFO RUEHLP/AMEMBASSY LA PAZ NOV MONTEVIDEO 9042\nRUEHLP/AMEMBASSY LA PAZ SEP 9670\n"
        "RUEHQT/AMEMBASSY QUITO 0848"
    )
    assert [(r["position"], r["routing_indicator"], r["name"], r["serial"]) for r in rows] == [
        (1, "RUEHC", "SECSTATE WASHDC", "3125"),
        (2, "RUEHLP", "AMEMBASSY LA PAZ", None),
        (3, "RUEHLP", "AMEMBASSY MONTEVIDEO", "9042"),
        (4, "RUEHLP", "AMEMBASSY LA PAZ", "9670"),
        (5, "RUEHQT", "AMEMBASSY QUITO", "0848"),
    ]
    assert rows[1]["raw"] == rows[2]["raw"] == "INFO RUEHLP/AMEMBASSY LA PAZ NOV MONTEVIDEO 9042"
