"""Landed pages that did not become a cable, with the reason."""

from __future__ import annotations

import polars as pl


def reject(landed: pl.LazyFrame, pages: pl.LazyFrame) -> pl.LazyFrame:
    """One row per landed page (``source_uri``, ``sha256``) that is not a readable cable page."""
    reasons = pages.filter(pl.col("reject_reason").is_not_null()).select(
        "sha256", pl.col("reject_reason").alias("reason")
    )
    return (
        landed.join(reasons, on="sha256", how="inner")
        .select("source_uri", "sha256", "bytes", "fetched_at", "reason")
        .sort("source_uri", "sha256")
    )
