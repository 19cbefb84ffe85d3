"""Small frames for transform tests: a cable page version from an inline header and body."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from transforms.cable import cable_version
from transforms.page import cable_content, content_sha256


def versions(header: str = "", body: str = "", created: str = "2008-03-13 15:03", tag_links=None) -> pl.LazyFrame:
    """One parsed cable page with this header and body, as ``cable_version`` returns it."""
    parsed = pl.DataFrame(
        {
            "sha256": ["x" * 64],
            "reference_id": ["08TRIPOLI220"],
            "created_at": [datetime.strptime(created, "%Y-%m-%d %H:%M")],
            "released_at": [datetime(2011, 1, 31, 21, 9)],
            "classification": ["CONFIDENTIAL"],
            "origin": ["Embassy Tripoli"],
            "viewer_title": ["08TRIPOLI220, TITLE"],
            "tag_links": [tag_links or []],
            "header": [header],
            "body": [body],
            "reject_reason": [None],
        },
        schema_overrides={"tag_links": pl.List(pl.String), "reject_reason": pl.String},
    )
    content = cable_content().map_batches(content_sha256, return_dtype=pl.String).alias("content_sha256")
    return cable_version(parsed.lazy().with_columns(content))
