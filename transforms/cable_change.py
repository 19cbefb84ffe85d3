"""What changed between the versions of a cable, as cablegatesearch.net's release history showed."""

from __future__ import annotations

import difflib

import polars as pl

# Fields compared between two versions, in the order ``changed`` lists them.
COMPARED = ("released_at", "created_at", "classification", "origin", "subject", "tags", "header", "body")
DIFF_CONTEXT = 2  # lines of context around each change in ``body_diff``


def _unified(pair: dict) -> str | None:
    """A unified diff of two bodies (``old``, ``new``), by line; null when they are equal."""
    old, new = pair["old"] or "", pair["new"] or ""
    if old == new:
        return None
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "older", "newer", n=DIFF_CONTEXT, lineterm="")
    return "\n".join(lines)


def cable_change(versions: pl.LazyFrame) -> pl.LazyFrame:
    """One row per pair of consecutive versions of a cable, older to newer: what changed.

    ``versions`` holds one row per distinct version: ``reference_id``, ``content_sha256``,
    ``version_rank`` (1 = current, higher = older), ``released_at``, ``build_stamp`` and the
    compared fields. Cables with a single version give no row. ``body_diff`` is computed in
    Python (difflib) once per pair: there are few pairs (one per extra version).
    """
    keep = ["reference_id", "content_sha256", "version_rank", "build_stamp", *COMPARED]
    older = versions.select(keep)
    newer = versions.select(keep).with_columns((pl.col("version_rank") + 1).alias("version_rank"))
    pairs = older.join(newer, on=["reference_id", "version_rank"], suffix="_new")
    changed = pl.concat_list(
        [pl.when(pl.col(f).ne_missing(pl.col(f"{f}_new"))).then(pl.lit(f)) for f in COMPARED]
    ).list.drop_nulls()
    old_tags, new_tags = pl.col("tags").fill_null([]), pl.col("tags_new").fill_null([])
    return pairs.select(
        "reference_id",
        pl.col("content_sha256").alias("from_content_sha256"),
        pl.col("content_sha256_new").alias("to_content_sha256"),
        pl.col("version_rank").alias("from_version_rank"),
        (pl.col("version_rank") - 1).alias("to_version_rank"),
        pl.col("released_at").alias("from_released_at"),
        pl.col("released_at_new").alias("to_released_at"),
        pl.col("build_stamp").alias("from_build_stamp"),
        pl.col("build_stamp_new").alias("to_build_stamp"),
        changed.alias("changed"),
        pl.col("classification").alias("from_classification"),
        pl.col("classification_new").alias("to_classification"),
        pl.col("subject").alias("from_subject"),
        pl.col("subject_new").alias("to_subject"),
        new_tags.list.set_difference(old_tags).alias("tags_added"),
        old_tags.list.set_difference(new_tags).alias("tags_removed"),
        pl.col("body").str.len_chars().cast(pl.Int32).alias("from_body_chars"),
        pl.col("body_new").str.len_chars().cast(pl.Int32).alias("to_body_chars"),
        pl.struct(old="body", new="body_new").map_elements(_unified, return_dtype=pl.String).alias("body_diff"),
    ).sort("reference_id", "from_version_rank", descending=[False, True])
