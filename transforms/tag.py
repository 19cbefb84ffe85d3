"""Tags of a cable, in the order the page prints them."""

from __future__ import annotations

import polars as pl


def tag(versions: pl.LazyFrame) -> pl.LazyFrame:
    """One row per tag per cable page, with its 1-based position."""
    return (
        versions.select("sha256", "reference_id", pl.col("tags").alias("tag"))
        .explode("tag")
        .filter(pl.col("tag").is_not_null())
        .with_columns((pl.int_range(pl.len()).over("sha256") + 1).cast(pl.Int32).alias("position"))
        .select("sha256", "reference_id", "position", "tag")
    )
