"""All tables of one batch of landed pages, keyed by page content (``sha256``)."""

from __future__ import annotations

import polars as pl

from transforms.cable import cable_version
from transforms.lookups import Lookups
from transforms.media_link import media_link
from transforms.page import decoded_text, parsed_page
from transforms.paragraph import paragraph
from transforms.recipient import recipient
from transforms.reference import reference
from transforms.tag import tag

CHILD_TABLES = ("recipient", "tag", "reference", "paragraph")


def page_text(raw_pages: pl.DataFrame) -> pl.LazyFrame:
    """One row per distinct page content: ``sha256`` and the decoded ``text``."""
    distinct = raw_pages.select("sha256", "content").unique("sha256", keep="first")
    return distinct.lazy().select(
        "sha256", pl.col("content").map_batches(decoded_text, return_dtype=pl.String).alias("text")
    )


def parsed_tables(raw_pages: pl.DataFrame, lookups: Lookups | None = None) -> dict[str, pl.DataFrame]:
    """Every table of a batch of raw pages (``sha256``, ``content``), before version selection.

    ``lookups`` (release ids, routing names) fill ``reference.in_release`` and recipient names;
    without them those columns are null.

    ``page`` holds one row per distinct content with its ``reject_reason`` (null for a cable);
    ``cable_version`` one row per readable cable page; the child tables and ``media_link`` one row
    per item per page.
    """
    lookups = lookups or Lookups()
    parsed = parsed_page(page_text(raw_pages)).collect()
    versions = cable_version(parsed.lazy()).collect()
    lazy = versions.lazy()
    frames = [
        parsed.lazy().select("sha256", "reference_id", "reject_reason"),
        lazy,
        recipient(lazy, lookups.routes.lazy()),
        tag(lazy),
        reference(lazy, lookups.release_ids.lazy()),
        paragraph(lazy),
        media_link(parsed.lazy()),
    ]
    names = ("page", "cable_version", *CHILD_TABLES, "media_link")
    return dict(zip(names, pl.collect_all(frames), strict=True))
