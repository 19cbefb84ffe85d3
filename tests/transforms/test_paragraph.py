"""Body paragraphs: numbering forms, markings and unnumbered prose."""

from __future__ import annotations

import pytest

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


def rows(body: str, *columns: str) -> list[tuple]:
    return paragraph(versions(body=body)).collect().select(columns).rows()


@pytest.mark.parametrize(
    ("marking", "level", "caveats"),
    [
        ("C", "C", []),
        ("S//NF", "S", ["NOFORN"]),
        ("S/NF", "S", ["NOFORN"]),
        ("C/NOFORN", "C", ["NOFORN"]),
        ("C NF", "C", ["NOFORN"]),
        ("S-NF", "S", ["NOFORN"]),
        ("SNF", "S", ["NOFORN"]),
        ("SBU", "SBU", []),
        ("SBU/NF", "SBU", ["NOFORN"]),
        ("U", "U", []),
        ("U//FOUO", "U", ["FOUO"]),
        ("TS", "TS", []),
        ("LOU", "LOU", []),
        ("S//FGI//NF", "S", ["FGI", "NOFORN"]),
        ("S//OC/NF", "S", ["ORCON", "NOFORN"]),
        ("S/REL NATO", "S", ["REL TO NATO"]),
        ("S//REL TO USA, FVEY", "S", ["REL TO USA, FVEY"]),
        ("C/REL UK, CANADA, AUSTRALIA", "C", ["REL TO UK, CANADA, AUSTRALIA"]),
        ("S/Rel to Pakistan", "S", ["REL TO PAKISTAN"]),
        ("Secret/Rel Armenia", "S", ["REL TO ARMENIA"]),
        ("c", "C", []),
        ("s/nf", "S", ["NOFORN"]),
        ("N/SF", None, ["N", "SF"]),
    ],
)
def test_level_and_caveats_from_the_printed_marking(marking, level, caveats):
    body = PREAMBLE + f"1. ({marking}) Text."
    assert rows(body, "number", "marking", "level", "caveats") == [(1, marking, level, caveats)]


def test_no_marking_no_level_nor_caveats():
    assert rows(PREAMBLE + "1. Text.", "marking", "level", "caveats") == [(None, None, None)]


def test_sipdis_lines_are_not_text_but_sipdis_in_prose_is():
    # cablemap tests-data/data-clean sipdis.txt and sipdis2.txt: the SIPDIS line goes with the
    # blank line before it.
    assert paras("1. (C) DCM \n[...]\n\nSIPDIS\nAfter Sipdis content") == [
        (1, 1, "C", "DCM \n[...]\nAfter Sipdis content")
    ]
    assert paras("1. (C) DCM \n[...]\n\nSIPDIS\nNot SIPDIS") == [(1, 1, "C", "DCM \n[...]\nNot SIPDIS")]
    body = "SECRET HAGUE 000174\nSIPDIS\nSIPDIS\nSUBJECT: X\n\n1. (C) One.\n\nSIPDIS\n\n2. (C) Two\nSIPDIS\ncontinued."
    assert paras(body) == [(1, 1, "C", "One."), (2, 2, "C", "Two\ncontinued.")]


def test_redactions_kept_as_printed_and_counted():
    body = (
        PREAMBLE + "1. (S) XXXXXXXXXXXX told us (xxxxxxxxxxxx) that XXXXXXXXXXXX's plan\nfailed.\n\n2. (C) Boxxx XXX."
    )
    assert rows(body, "number", "text", "redactions") == [
        (1, "XXXXXXXXXXXX told us (xxxxxxxxxxxx) that XXXXXXXXXXXX's plan\nfailed.", 3),
        (2, "Boxxx XXX.", 0),
    ]


def test_cablemap_clean_vectors_number_and_marking_forms():
    # cablemap tests-data/data-clean: clean-paragraph-class, malformed-paragraph-class,
    # paragraph-without-class, section (page marker between paragraphs).
    assert paras("1. (C) Content 1\n2. (SBU) Content 2\n3. (SBU/N) Content 3\n") == [
        (1, 1, "C", "Content 1"),
        (2, 2, "SBU", "Content 2"),
        (3, 3, "SBU/N", "Content 3"),
    ]
    assert paras("1. C) Content 1\n2. SBU) Content 2\n3. SBU/N) Content 3\n") == [
        (1, 1, "C", "Content 1"),
        (2, 2, "SBU", "Content 2"),
        (3, 3, "SBU/N", "Content 3"),
    ]
    assert paras("1. Content 1\n2. Content 2\n3. Content 3\n") == [
        (1, 1, None, "Content 1"),
        (2, 2, None, "Content 2"),
        (3, 3, None, "Content 3"),
    ]
    assert paras("3. (SBU/N) Content 3\n\nBLA 0000001 003.2 OF 39\n\n4. (U) Below section 4\n") == [
        (1, 3, "SBU/N", "Content 3"),
        (2, 4, "U", "Below section 4"),
    ]


def test_paragraphs_without_blank_lines_continue_the_numbering():
    # 07PARIS306, 09STOCKHOLM355: extracts with one paragraph a line, numbers without markings.
    body = (
        "SUBJECT: AARGH! SWEDISH PIRATES SET SAIL FOR BRUSSELS \n1. Summary and Comment: Sweden's two parties.\n"
        "The Results\n----------- \n2. Sweden's EP election was a bit disappointing.\n"
        "3. The big winner was the Pirate Party.\n4. A side effect of the Pirates' success."
    )
    assert [(n, t[:20]) for _, n, _, t in paras(body)] == [
        (1, "Summary and Comment:"),
        (2, "Sweden's EP election"),
        (3, "The big winner was t"),
        (4, "A side effect of the"),
    ]


def test_a_number_that_does_not_continue_the_numbering_is_not_a_paragraph():
    # A list inside paragraph 2 (10KYIV278) and a date at the start of a line (07ASMARA850).
    body = (
        PREAMBLE + "1. (C) He saw General Wuchu on Monday, October\n22. The stringer shared this.\n\n"
        "2. (C) The measures:\n1. No new tax benefits.\n2. Cancel moratorium on land sales.\n\n3. (C) Three."
    )
    assert [(n, t) for _, n, _, t in paras(body)] == [
        (1, "He saw General Wuchu on Monday, October\n22. The stringer shared this."),
        (2, "The measures:\n1. No new tax benefits.\n2. Cancel moratorium on land sales."),
        (3, "Three."),
    ]


def test_heading_underline_and_lower_case_markings():
    # 07STOCKHOLM506, 07LISBON2605.
    body = (
        PREAMBLE + "Summary\n-------\n1.  (c) The May 15 visit.\n\nSweden as a Partner\n-------------------\n"
        "2.  (u) The new government.\nJustice\n------- \n3. e-Justice Portal: Costa issued a statement."
    )
    # The heading before paragraph 1 ("Summary" underlined) is a heading, not a paragraph.
    assert rows(body, "number", "marking", "level", "text") == [
        (1, "c", "C", "The May 15 visit.\n\nSweden as a Partner\n-------------------"),
        (2, "u", "U", "The new government.\nJustice\n-------"),
        (3, None, None, "e-Justice Portal: Costa issued a statement."),
    ]


def test_redacted_paragraphs_and_paragraph_one_under_the_subject():
    # 09COLOMBO830, 09STATE78274.
    body = (
        "SUBJECT: (U) Secretary Clinton's July 14 conversation\nwith Dutch Foreign Minister Verhagen\n"
        "1. Classified by Bureau Assistant Secretary Philip H. Gordon.\n2. (C) They had not lied.\n"
        "3. XXXXXXXXXXXX.\n4. XXXXXXXXXXXX\n5. (S) Comment: The release."
    )
    assert rows(body, "number", "text", "redactions") == [
        (1, "Classified by Bureau Assistant Secretary Philip H. Gordon.", 0),
        (2, "They had not lied.", 0),
        (3, "XXXXXXXXXXXX.", 1),
        (4, "XXXXXXXXXXXX", 1),
        (5, "Comment: The release.", 0),
    ]


def test_joined_text_finds_a_phrase_across_a_line_break():
    body = PREAMBLE + "1. (C) The Ambassador raised human\nrights and a high-\nlevel visit.\n\n2. (U) Second."
    (first, second) = rows(body, "text", "text_joined")
    assert first == (
        "The Ambassador raised human\nrights and a high-\nlevel visit.",
        "The Ambassador raised human rights and a high-level visit.",
    )
    assert second == ("Second.", "Second.")
