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


def fetch_reject(failures: pl.LazyFrame, landed: pl.LazyFrame) -> pl.LazyFrame:
    """One row per ``source_uri`` that failed to fetch and has never landed (no content of it is kept).

    ``failures`` holds the ``fetch_failure`` rows (``source_uri``, ``reason``, ``fetched_at``),
    ``landed`` the landed pages (``source_uri``). The columns are those of :func:`reject`:
    ``sha256`` and ``bytes`` are null, ``fetched_at`` is the latest failure and the reason reads
    ``fetch failed: <why>`` (the latest). A page that landed once and failed later keeps its
    landed content in the tables; its failures stay in ``fetch_failure``.
    """
    latest_failure = (
        failures.select("source_uri", "fetched_at", "reason")
        .sort("source_uri", "fetched_at", "reason")
        .group_by("source_uri")
        .last()
    )
    return (
        latest_failure.join(landed.select("source_uri").unique(), on="source_uri", how="anti")
        .select(
            "source_uri",
            pl.lit(None, pl.String).alias("sha256"),
            pl.lit(None, pl.Int64).alias("bytes"),
            "fetched_at",
            pl.concat_str(pl.lit("fetch failed: "), pl.col("reason")).alias("reason"),
        )
        .sort("source_uri")
    )
