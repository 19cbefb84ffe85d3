"""Pages of the later viewer build (``tests/data/pages-2011/``, real pages of the 2011 corpus): a
preview followed by the full record (as bare lines, as fields, with the header again), paragraphs
inline on one long line, a DECL date typed 2116 in the original."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from transforms.parse import parsed_tables

PAGES = Path(__file__).resolve().parents[1] / "data" / "pages-2011"


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    contents = [p.read_bytes() for p in sorted(PAGES.glob("*.html"))]
    raw = pl.DataFrame(
        {"sha256": [hashlib.sha256(c).hexdigest() for c in contents], "content": contents},
        schema={"sha256": pl.String, "content": pl.Binary},
    )
    return parsed_tables(raw)


def cable(tables, reference_id: str) -> dict:
    return tables["cable_version"].filter(pl.col("reference_id") == reference_id).row(0, named=True)


def numbers(tables, reference_id: str) -> list[tuple[int, str | None]]:
    rows = tables["paragraph"].join(
        tables["cable_version"].select("content_sha256", "reference_id"), on="content_sha256"
    )
    rows = rows.filter(pl.col("reference_id") == reference_id, pl.col("number").is_not_null()).sort("position")
    return list(zip(rows["number"], rows["marking"], strict=True))


def tags(tables, reference_id: str) -> list[str]:
    return cable(tables, reference_id)["tags"]


def test_a_preview_then_the_record_as_bare_lines(tables):
    row = cable(tables, "00THEHAGUE1695")
    assert row["subject"] == "PEACEKEEPING REMAINS SENSITIVE ISSUE IN THE NETHERLANDS"
    assert row["is_partial"] is False
    assert row["tags"] == ["PREL", "KPKO", "MARR", "NL", "MPOS", "NATO", "EUN"]
    assert row["signer"] == "FENDRICK"
    assert [n for n, _ in numbers(tables, "00THEHAGUE1695")] == [1, 2, 3, 4, 5, 6, 7]
    assert not row["body"].lstrip().startswith("1113")


def test_a_preview_then_the_record_as_fields(tables):
    row = cable(tables, "06LIMA4516")
    assert row["subject"] == "AYACUCHO CONTACTS TALK OF NARCO-ECONOMY, NARCO-CULTURE"
    assert row["tags"] == ["PGOV", "PINR", "PHUM", "SNAR", "PE"]
    assert "header ends" not in row["body"] and "refid:" not in row["body"]
    first = [n for n, _ in numbers(tables, "06LIMA4516")]
    assert first == sorted(set(first)), first  # each paragraph once, not the preview's copy too


def test_the_record_repeats_the_header_and_its_tags_field(tables):
    row = cable(tables, "06MEXICO1476")
    assert row["tags"] == ["ECON", "EFIN", "EINV", "PGOV", "PINR", "MX"]
    assert not row["body"].lstrip().startswith(("57136", "VZCZC"))
    assert row["header"].startswith("VZCZC")


def test_paragraphs_printed_inline_on_one_line(tables):
    assert numbers(tables, "08TRIPOLI494") == [(n, "C") for n in range(1, 8)]
    assert cable(tables, "08TRIPOLI494")["signer"] == "STEVENS"
    assert [n for n, _ in numbers(tables, "09BUENOSAIRES1147")] == list(range(1, 12))


def test_a_declassification_typo_is_kept_as_printed(tables):
    assert cable(tables, "06SANJOSE156")["declassify_on"] == date(2116, 1, 18)
