"""Body paragraphs: numbering forms, markings and unnumbered prose."""

from __future__ import annotations

from tests.transforms.helpers import versions
from transforms.paragraph import paragraph


def paras(body: str) -> list[tuple]:
    rows = paragraph(versions(body=body)).collect()
    return [(r["position"], r["number"], r["marking"], r["text"]) for r in rows.to_dicts()]


PREAMBLE = (
    "C O N F I D E N T I A L SECTION 01 OF 03 TRIPOLI 000220\n\nSIPDIS\n\n"
    "E.O. 12958: DECL: 3/13/2018\nTAGS: PGOV, PREL\nSUBJECT: A SUBJECT\n\nREF: STATE 1\n\n"
    "Classified By: Chris Stevens, CDA, for reasons 1.4 (b), (d)\n\n"
)


def test_numbered_paragraphs_with_markings():
    body = PREAMBLE + "1. (C) Summary: one.\nstill one.\n\n2. (S//NF) Two.\n\n3.(SBU) Three.\n\n4. Four.\n\nSTEVENS"
    assert paras(body) == [
        (1, 1, "C", "Summary: one.\nstill one."),
        (2, 2, "S//NF", "Two."),
        (3, 3, "SBU", "Three."),
        (4, 4, None, "Four.\n\nSTEVENS"),
    ]


def test_marking_with_a_note_and_pilcrow_numbering():
    body = PREAMBLE + "¶1. (C - ENTIRE TEXT). Intro.\n\n¶2. (U//FOUO) Two."
    assert paras(body) == [(1, 1, "C", "Intro."), (2, 2, "U//FOUO", "Two.")]


def test_unnumbered_prose_splits_at_blank_lines_without_the_preamble():
    body = PREAMBLE + "First paragraph\nwraps.\n\n(C) Second one.\n\nSTEVENS"
    assert paras(body) == [
        (1, None, None, "First paragraph\nwraps."),
        (2, None, "C", "Second one."),
        (3, None, None, "STEVENS"),
    ]


def test_newspaper_extract_without_blank_lines():
    body = (
        "Thursday, 08 June 2006, 12:05\nC O N F I D E N T I A L SECTION 01 OF 09 NEW DELHI 003997\n"
        "TAGS PTER, PREL\nSUBJECT: INDIA\nClassified By: A/PolCouns for Reasons 1.4 (B, D)\n"
        "1. (C) Summary: one.\n2. (C) Two."
    )
    assert paras(body) == [(1, 1, "C", "Summary: one."), (2, 2, "C", "Two.")]


def test_empty_body_has_no_paragraphs():
    assert paras("") == []


def test_first_paragraph_glued_to_the_classification_reasons():
    body = (
        "SUBJECT: X\n\nREF: A) LONDON 209\n\nCLASSIFIED BY: Gene A. Cretz, Ambassador. "
        "REASON: 1.4 (b), (d) 1. (C/NF) Summary: text.\n\n2. (C/NF) Two."
    )
    assert paras(body) == [(1, 1, "C/NF", "Summary: text."), (2, 2, "C/NF", "Two.")]


def test_page_markers_are_not_paragraphs():
    body = (
        "SUBJECT: X\n\nTRIPOLI 00000095  001.2 OF 002\n \n \nCLASSIFIED BY: Gene A. Cretz,\nDepartment of State.\n"
        "REASON: 1.4 (b), (d)\n1. (S/NF) One\nTRIPOLI 00000095  002 OF 002\ncontinued.\n\n2. (C) Two."
    )
    assert paras(body) == [(1, 1, "S/NF", "One\ncontinued."), (2, 2, "C", "Two.")]
