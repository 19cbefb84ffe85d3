"""Landed pages that did not become a cable, with the reason."""

from __future__ import annotations

import polars as pl


def reject(landed: pl.LazyFrame, pages: pl.LazyFrame) -> pl.LazyFrame:
    """One row per landed file (``source_uri``) whose newest landing is not a readable cable page.

    ``landed`` holds the landed pages (``source_uri``, ``sha256``, ``bytes``, ``fetched_at``) in
    landing order, ``pages`` the parsed pages (``sha256``, ``reject_reason``). A file landed again
    with new content (a notes file, an index page saved anew) is one row, its newest landing: the
    reject table says what each file is now. Its earlier landings are counted by
    :func:`replaced_rejects`. A cable page keeps every version instead (``page_version``).
    """
    reasons = pages.filter(pl.col("reject_reason").is_not_null()).select(
        "sha256", pl.col("reject_reason").alias("reason")
    )
    found = landed.join(reasons, on="sha256", how="inner").select(
        "source_uri", "sha256", "bytes", "fetched_at", "reason"
    )
    return newest_rejects(found, landed)


def newest_landing(landed: pl.LazyFrame) -> pl.LazyFrame:
    """The newest landing of each ``source_uri`` (``source_uri``, ``sha256``): the last by landing
    time, then by landing order (``landed`` in landing order; one run may land a name twice)."""
    return (
        landed.select("source_uri", "sha256", "fetched_at")
        .with_row_index("_order")
        .sort("fetched_at", "_order")
        .group_by("source_uri")
        .last()
        .select("source_uri", "sha256")
    )


def newest_rejects(rejects: pl.LazyFrame, landed: pl.LazyFrame) -> pl.LazyFrame:
    """The rows of ``rejects`` (columns of :func:`reject`) that are the newest landing of their file:
    one per ``source_uri``; a file whose newest landing is a cable page has none."""
    return (
        rejects.join(newest_landing(landed), on=["source_uri", "sha256"], how="semi")
        .sort("source_uri", "fetched_at", descending=[False, True])
        .unique("source_uri", keep="first", maintain_order=True)
        .sort("source_uri", "sha256")
    )


def replaced_rejects(landed: pl.LazyFrame, page_versions: pl.LazyFrame) -> pl.LazyFrame:
    """The landings of a file that are neither a cable page (in ``page_versions``: ``source_uri``,
    ``sha256``) nor its newest landing: a rejected file's earlier contents, replaced by its newest.

    With them the counts reconcile: every landed page is a cable page, a reject, or replaced.
    """
    return landed.join(newest_landing(landed), on=["source_uri", "sha256"], how="anti").join(
        page_versions.select("source_uri", "sha256"), on=["source_uri", "sha256"], how="anti"
    )


def fetch_reject(failures: pl.LazyFrame, landed: pl.LazyFrame) -> pl.LazyFrame:
    """One row per ``source_uri`` that failed to fetch and has never landed (no content of it is kept).

    ``failures`` holds the ``fetch_failure`` rows (``source_uri``, ``reason``, ``fetched_at``) in
    the order of their files, ``landed`` the landed pages (``source_uri``). The columns are those
    of :func:`reject`: ``sha256`` and ``bytes`` are null, ``fetched_at`` is the latest failure and
    the reason reads ``fetch failed: <why>`` (the latest). A page that landed once and failed later keeps its
    landed content in the tables; its failures stay in ``fetch_failure``. A latest failure with
    no reason no longer stands (an archive truncated once, read whole since): no row.
    """
    latest_failure = (
        failures.select("source_uri", "fetched_at", "reason")
        # Latest: by time, then by the order of the files (runs within one second of each other).
        .with_row_index("_order")
        .sort("source_uri", "fetched_at", "_order")
        .group_by("source_uri")
        .last()
        .filter(pl.col("reason").is_not_null())
        .drop("_order")
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
