"""cable_change: consecutive versions of a cable compared, older to newer."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from transforms.cable_change import cable_change


def versions(*rows: dict) -> pl.LazyFrame:
    base = {
        "reference_id": "08TRIPOLI1",
        "build_stamp": None,
        "created_at": datetime(2008, 1, 1),
        "classification": "SECRET",
        "origin": "Embassy Tripoli",
        "subject": "A",
        "tags": ["PGOV"],
        "header": "H",
        "body": "one\ntwo\nthree",
    }
    return pl.DataFrame([{**base, **r} for r in rows]).lazy()


def test_one_row_per_consecutive_pair_older_to_newer():
    frame = versions(
        {"content_sha256": "c3", "version_rank": 1, "released_at": datetime(2011, 8, 30), "subject": "B"},
        {"content_sha256": "c1", "version_rank": 3, "released_at": datetime(2010, 11, 28)},
        {"content_sha256": "c2", "version_rank": 2, "released_at": datetime(2011, 1, 5), "tags": ["PGOV", "LY"]},
        {"reference_id": "09X1", "content_sha256": "only", "version_rank": 1, "released_at": datetime(2011, 1, 1)},
    )
    out = cable_change(frame).collect()
    assert out.select("from_content_sha256", "to_content_sha256").rows() == [("c1", "c2"), ("c2", "c3")]
    first, second = out.to_dicts()
    assert first["changed"] == ["released_at", "tags"] and first["tags_added"] == ["LY"] and first["body_diff"] is None
    assert second["changed"] == ["released_at", "subject", "tags"] and second["tags_removed"] == ["LY"]
    assert (second["from_subject"], second["to_subject"]) == ("A", "B")


def test_body_diff_is_a_unified_diff_by_line():
    frame = versions(
        {"content_sha256": "new", "version_rank": 1, "released_at": datetime(2011, 1, 1), "body": "one\n2\nthree"},
        {"content_sha256": "old", "version_rank": 2, "released_at": datetime(2011, 1, 1)},
    )
    row = cable_change(frame).collect().row(0, named=True)
    assert row["changed"] == ["body"] and (row["from_body_chars"], row["to_body_chars"]) == (13, 11)
    assert row["body_diff"].splitlines() == [
        "--- older",
        "+++ newer",
        "@@ -1,3 +1,3 @@",
        " one",
        "-two",
        "+2",
        " three",
    ]


def test_a_single_version_gives_no_row():
    frame = versions({"content_sha256": "c", "version_rank": 1, "released_at": datetime(2011, 1, 1)})
    assert cable_change(frame).collect().height == 0
