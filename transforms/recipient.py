"""Addressees of a cable from the TO and INFO lines of its header."""

from __future__ import annotations

import polars as pl

PRECEDENCES = ("FLASH", "NIACT IMMEDIATE", "IMMEDIATE", "PRIORITY", "ROUTINE")
# ``RUEHC/SECSTATE WASHDC IMMEDIATE 3217``; routing indicator, precedence and serial are optional.
ADDRESSEE = (
    r"^(?:(?P<routing_indicator>R[A-Z]{3,6})/)?(?P<name>.+?)"
    r"(?:[ \t]+(?P<precedence>" + "|".join(PRECEDENCES) + r"))?"
    r"(?:[ \t]+(?P<serial>\d{1,6}))?[ \t]*$"
)
_SECTION_START = r"^[ \t]*(TO|INFO)[ \t]+"
# Lines after which the addressee list is over (end of header, classification, exclusions).
_SECTION_END = (
    r"^[ \t]*(?:BT\b|ZEN\b|XMT\b|NNNN|UNCLAS|C O N F|S E C R E T|CONFIDENTIAL\b|SECRET\b"
    r"|E\.?\s?O\.?\s|SUBJ|TAGS|SENSITIVE|LIMITED OFFICIAL|$)"
)


def header_lines(versions: pl.LazyFrame) -> pl.LazyFrame:
    """One row per line of a cable page's header, with its 1-based ``line_no``."""
    return (
        versions.select("sha256", "reference_id", pl.col("header").str.split("\n").alias("line"))
        .explode("line")
        .with_columns((pl.int_range(pl.len()).over("sha256") + 1).alias("line_no"))
    )


def recipient(versions: pl.LazyFrame, routes: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per addressee per cable page: TO and INFO lines after the FM line, in order.

    ``routes`` (``routing_indicator``, ``name``) gives ``routing_name``, the station a routing
    indicator stands for.
    """
    line = pl.col("line")
    after_fm = line.str.contains(r"^[ \t]*FM[ \t]").cum_sum().over("sha256") > 0
    opener = line.str.extract(_SECTION_START, 1)
    section = (
        pl.when(after_fm & opener.is_not_null())
        .then(opener.str.to_lowercase())
        .when(line.str.contains(_SECTION_END) | line.str.contains(r"^[ \t]*FM[ \t]"))
        .then(pl.lit("-"))
    )
    entry = line.str.replace(_SECTION_START, "").str.strip_chars()
    rows = (
        header_lines(versions)
        .with_columns(section.alias("_opened"))
        .with_columns(pl.col("_opened").forward_fill().over("sha256").alias("kind"))
        .filter(pl.col("kind").is_in(["to", "info"]) & after_fm & (entry != ""))
        .with_columns(entry.str.extract_groups(ADDRESSEE).alias("a"))
        .unnest("a")
    )
    if routes is None:
        routes = pl.LazyFrame(schema={"routing_indicator": pl.String, "name": pl.String})
    rows = rows.join(
        routes.select("routing_indicator", pl.col("name").alias("routing_name")),
        on="routing_indicator",
        how="left",
        maintain_order="left",
    )
    return rows.select(
        "sha256",
        "reference_id",
        "kind",
        (pl.int_range(pl.len()).over("sha256") + 1).cast(pl.Int32).alias("position"),
        "routing_indicator",
        pl.col("name").str.strip_chars(),
        "precedence",
        "serial",
        "routing_name",
        line.str.strip_chars().alias("raw"),
    )
