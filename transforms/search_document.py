"""Documents of the search index: a cable's subject and each of its paragraphs, with its fields."""

from __future__ import annotations

import polars as pl

# The columns of a search document, in order (``cables.search`` indexes them).
COLUMNS = (
    "reference_id",
    "kind",
    "position",
    "number",
    "text",
    "subject",
    "origin",
    "classification",
    "tags",
    "created_at",
    "year",
    "url",
)


def search_document(cables: pl.LazyFrame, paragraphs: pl.LazyFrame) -> pl.LazyFrame:
    """One row per searchable document: a cable's subject (``kind`` subject, position 0) or one
    of its paragraphs (``kind`` paragraph, its position and printed number), each with the
    cable's subject, origin, classification, tags, date, year and
    page path to filter and show hits by.

    ``cables`` has the ``cable`` table's columns, ``paragraphs`` the ``paragraph`` table's; empty
    subjects and paragraphs are no documents. The paragraph text is ``text_joined`` (line
    breaks joined, so a phrase is found across them).
    """
    fields = cables.select(
        "reference_id",
        pl.col("subject").fill_null(""),
        "origin",
        "classification",
        pl.col("tags").fill_null([]),
        "created_at",
        pl.col("created_at").dt.year().cast(pl.Int64).alias("year"),
        "url",
    )
    subjects = fields.filter(pl.col("subject").str.strip_chars() != "").select(
        "reference_id",
        pl.lit("subject").alias("kind"),
        pl.lit(0, pl.Int64).alias("position"),
        pl.lit(None, pl.Int64).alias("number"),
        pl.col("subject").alias("text"),
    )
    body = paragraphs.filter(pl.col("text_joined").str.strip_chars() != "").select(
        "reference_id",
        pl.lit("paragraph").alias("kind"),
        pl.col("position").cast(pl.Int64),
        pl.col("number").cast(pl.Int64),
        pl.col("text_joined").alias("text"),
    )
    return (
        pl.concat([subjects, body])
        .join(fields, on="reference_id", how="inner")
        .sort("reference_id", "position")
        .select(COLUMNS)
    )
