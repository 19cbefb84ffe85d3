"""All tables of one batch of landed pages, keyed by page (``sha256``) or cable content."""

from __future__ import annotations

import polars as pl

from transforms import BATCH_ENGINE
from transforms.cable import cable_version
from transforms.csv_record import rendered_csv_records
from transforms.lookups import Lookups
from transforms.media_link import media_link
from transforms.page import decoded_text, parsed_page
from transforms.paragraph import paragraph
from transforms.recipient import recipient
from transforms.reference import reference
from transforms.tag import tag

CHILD_TABLES = ("recipient", "tag", "reference", "paragraph")


def page_text(raw_pages: pl.DataFrame) -> pl.LazyFrame:
    """One row per distinct page content: ``sha256`` and the decoded ``text`` (a ``cables.csv`` record
    as the viewer page it stands for)."""
    distinct = raw_pages.select("sha256", "content").unique("sha256", keep="first", maintain_order=True)
    text = distinct.lazy().select(
        "sha256", pl.col("content").map_batches(decoded_text, return_dtype=pl.String).alias("text")
    )
    return rendered_csv_records(text)


def parsed_tables(raw_pages: pl.DataFrame, lookups: Lookups | None = None) -> dict[str, pl.DataFrame]:
    """Every table of a batch of raw pages (``sha256``, ``content``), before version selection.

    ``lookups`` (release ids, routing names) fill ``reference.in_release`` and recipient names;
    without them those columns are null.

    ``page`` holds one row per distinct page (``sha256``) with its ``reject_reason`` (null for a
    cable), ``released_at`` and ``content_sha256``. The cable fields and child tables are read once
    per distinct cable content (``content_sha256``): copies of a cable that differ only in the page
    around it are parsed once. ``cable_version`` has one row per content; the child tables one row
    per item per content; ``media_link`` one row per article link per page.
    """
    lookups = lookups or Lookups()
    parsed = parsed_page(page_text(raw_pages)).collect(engine=BATCH_ENGINE)
    contents = (
        parsed.lazy()
        .filter(pl.col("reject_reason").is_null())
        .unique("content_sha256", keep="first", maintain_order=True)
    )
    versions = cable_version(contents).collect(engine=BATCH_ENGINE)
    lazy = versions.lazy()
    children = [
        recipient(lazy, lookups.routes.lazy()),
        tag(lazy),
        reference(lazy, lookups.release_ids.lazy()),
        paragraph(lazy),
    ]
    # Child rows are keyed by content: the page they were read from is one of its copies.
    keys = lazy.select("sha256", "content_sha256")
    children = [child.join(keys, on="sha256").drop("sha256") for child in children]
    frames = [
        parsed.lazy().select("sha256", "reference_id", "released_at", "content_sha256", "reject_reason"),
        lazy,
        *children,
        media_link(parsed.lazy()),
    ]
    names = ("page", "cable_version", *CHILD_TABLES, "media_link")
    return dict(zip(names, pl.collect_all(frames, engine=BATCH_ENGINE), strict=True))
