"""Cable-level fields of the body: canonical id, classification authority, dates, summary."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from titlecase import titlecase

from tests.transforms.helpers import versions
from transforms import cable_fields
from transforms.cable_fields import canonical_id


def one(body: str) -> dict:
    return versions(body=body).collect().row(0, named=True)


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [
        ("09SECTION01OF03SANJOSE525", "09SANJOSE525"),
        ("08ECTION01OF02MANAMA492", "08MANAMA492"),
        ("05RIO123", "05RIODEJANEIRO123"),
        ("06SECSTATE123", "06STATE123"),
        ("06PORT-OF-SPAIN123", "06PORTOFSPAIN123"),
        ("05EMBASSYVIENNA1", "05VIENNA1"),
        ("06AITTAIPIE2654", "06TAIPEI2654"),
        ("08TRIPOLI220", "08TRIPOLI220"),
        ("7575LIBREVILLE1895", "75LIBREVILLE1895"),  # cablemap INVALID_CABLE_IDS
    ],
)
def test_canonical_id(printed, canonical):
    assert pl.select(canonical_id(pl.lit(printed)).alias("c"))["c"][0] == canonical


@pytest.mark.parametrize(
    ("line", "name", "reasons"),
    [
        (
            "Classified By: Acting Deputy Chief of Mission Marc Wall for Reasons 1.4\n (b) and (d)",
            "Marc Wall",
            "1.4 (b), (d)",
        ),
        (
            "CLASSIFIED BY: Chris Stevens, CDA, Embassy Tripoli, Dept of State. REASON: 1.4 (b), (d)",
            "Chris Stevens",
            "1.4 (b), (d)",
        ),
        (
            "Classified By: AF SPECIAL ADVISOR BRUCE EHRNMAN FOR REASONS 1.5 (B) AND \n (D)",
            "BRUCE EHRNMAN",
            "1.5 (b), (d)",
        ),
        ("Classified By: Ambassaor Joseph LeBaron for reasons 1.4 (b and d).", "Joseph LeBaron", "1.4 (b), (d)"),
        ("Classified By: ISN/MTR Direcotr Pam Durham. \nReason:  1.4 (B), (D).", "Pam Durham", "1.4 (b), (d)"),
        (
            "Classified By: AMBASSADOR JOHN L. WITHERS II FR REASONS 1.4 (b) AND (d \n).",
            "JOHN L. WITHERS II",
            "1.4 (b), (d)",
        ),
    ],
)
def test_classified_by_and_reasons(line, name, reasons):
    row = one(f"SUBJECT: X\n\n{line}\n\n1. (C) Text.")
    assert (row["classified_by"], row["classification_reasons"]) == (name, reasons)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DEPT FOR WHA/BSC E.O. 12958: DECL: 11/22/2012 ", date(2012, 11, 22)),
        ("EO 12958 DECL: 2020/02/23", date(2020, 2, 23)),
        ("E.O. 12958: DECL: 13/45/2015", None),
        ("E.O. 12958: DECL: OADR", None),
        ("E.O. 12958: DECL: 09/21/10", date(2010, 9, 21)),
    ],
)
def test_declassify_on(text, expected):
    assert one(text)["declassify_on"] == expected


def test_summary_comment_sections_sipdis():
    body = (
        "C O N F I D E N T I A L SECTION 01 OF 03 TRIPOLI 000220\n\nSIPDIS\n\nSUBJECT: X\n\n"
        "1. (C) Summary: Reports are premature.\nEnd Summary.\n\n2. (C) Text.\n\n"
        "3. (C) Comment: We doubt it. End Comment.\n\nSTEVENS"
    )
    row = one(body)
    assert row["summary"] == "Reports are premature."
    assert row["comment"] == "We doubt it."
    assert (row["section_count"], row["sipdis"]) == (3, True)
    assert one("UNCLAS\n\n1. Text")["summary"] is None
    assert one("UNCLAS\n\n1. Text")["section_count"] == 1


def test_signer_before_trailers():
    body = (
        "4. AMBASSADOR WILL CALL.\nSTEIGMAN\nCONFIDENTIAL\n\n"
        "Declassified/Released US Department of State EO Systematic\nReview 30 JUN 2006\n"
    )
    assert one(body)["signer"] == "STEIGMAN"


_SUBJECT_WORDS = st.sampled_from(
    ["THE", "the", "OF", "A", "a", "US", "U.S.", "NATO", "nato", "IN", "MTCR", "(MTCR):", "DUAL-USE", "US-EU",
     "DROC--VATICAN", "EX-IM", "GOL'S", "D'IVOIRE", "MCDONALD", "Mr", "DR", "XXXXXXXXXXXX", "-", ":", "TO:", "AND",
     "VS.", "CHAVEZ'S", "PNG'ING", "BRZ", "ST", "IRAN/SYRIA", "ON?", "Libya", "libya", "E.O.", "1.4", "'06", "ÉTAT",
     "", "via", "V.", "QADHAFI", "SOCIO-ECONOMIC", "\"BROKERING", "STATES\""]
)  # fmt: skip


@settings(max_examples=400)
@given(st.lists(_SUBJECT_WORDS, min_size=1, max_size=12).map(" ".join))
def test_title_of_equals_titlecase_on_the_whole_subject(subject):
    assert cable_fields.title_of(subject) == titlecase(subject, callback=cable_fields._keep_acronym)
