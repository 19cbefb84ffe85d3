"""``between`` equals the capture-group extraction it replaces, on the patterns the parse uses."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms import cable_fields, reference
from transforms.cable import SUBJECT_END, SUBJECT_INLINE_LABEL, SUBJECT_LABEL
from transforms.spans import between

_SUMMARY_HEADING = (
    r"(?is)(?:^|\n)[ \t\-=]*" + cable_fields._NUMBER + "?" + cable_fields._MARK + r"?SUMMARY(?-u:\b)[ \t]*[.:\-=]*"
    r"[ \t\-=]*(?:\n[ \t\-=]*(?:\n|$))*[ \t]*"
)
PATTERNS = [
    (SUBJECT_LABEL, SUBJECT_END),
    (SUBJECT_INLINE_LABEL, SUBJECT_END),
    (_SUMMARY_HEADING, r"[ \t]*(?-u:\b)END[ \t\n]+(?:OF[ \t]+)?SUMMARY(?-u:\b)"),
    (_SUMMARY_HEADING, r"(?:\n[ \t]*\n|\z)"),
    (r"\A", reference.BLOCK_END),
    (r"\A", reference.PARAGRAPH_END),
]
PIECES = st.sampled_from(
    ["SUBJECT: ", "SUBJ ", "subject:", "SUMMARY", "Summary:", "END SUMMARY", "END\nOF SUMMARY", "1. ", "(C) ", "\n",
     "\n\n", " ", "\t", "---", "===", "REF: ", "REFTEL", "CLASSIFIED BY", "Classified by", "text", "A. STATE 1",
     "2. (S) ", "PAGE 02 ", "SENSITIVE BUT UNCLASSIFIED", "x", "é", "¶"]
)  # fmt: skip


def _captured(start: str, stop: str) -> str:
    flags = start[: start.index(")") + 1] if start.startswith("(?") else ""
    return flags + "(?:" + start[len(flags) :] + r")((?s:.*?))" + stop


@settings(max_examples=300)
@given(st.lists(st.lists(PIECES, max_size=25).map("".join), min_size=1, max_size=8))
def test_between_equals_the_capture_group(texts):
    frame = pl.DataFrame({"t": texts})
    for start, stop in PATTERNS:
        out = frame.select(
            between(pl.col("t"), start, stop).alias("fast"), pl.col("t").str.extract(_captured(start, stop), 1)
        )
        assert out["fast"].to_list() == out["t"].to_list(), (start, stop)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UNCLAS\nSUBJECT: LIBYA: A VISIT\n\n1. Text", "LIBYA: A VISIT"),
        ("SUBJECT: A\nB REF: STATE 1", "A\nB"),
        ("no label here", None),
    ],
)
def test_between_cuts_the_span(text, expected):
    got = pl.select(between(pl.lit(text), SUBJECT_LABEL, SUBJECT_END)).item()
    assert got == expected
