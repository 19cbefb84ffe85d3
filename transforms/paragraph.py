"""Body paragraphs of a cable: numbered ones and the unnumbered prose around them."""

from __future__ import annotations

import polars as pl

# A numbered paragraph starts a line after a blank line (``1.``, ``¶1.``), or any line when a
# portion marking follows the number (``1. (C)``, ``1.(C)``: newspaper extracts have no blank lines).
NUMBERED_START = r"(\n[ \t]*\n[ \t]*)(¶?[ \t]*\d{1,3}[ \t]*\.)"
MARKED_START = r"(\n[ \t]*)(¶?[ \t]*\d{1,3}[ \t]*\.[ \t]*\([A-Z])"
# Paragraph 1 glued to the end of the classification reasons: ``REASON: 1.4 (b), (d) 1. (C/NF)``.
GLUED_FIRST = r"(\d\.\d[ \t]*\([a-hA-H]\)(?:[ \t]*(?:,|AND|and)?[ \t]*\([a-hA-H]\))*[ \t]*\.?[ \t]+)(1\.[ \t]*\([A-Z])"
# Page markers the system printed between the sections of a long cable: ``TRIPOLI 00000095  001.2 OF 002``.
PAGE_MARKER = r"(?m)^[ \t]*[A-Z][A-Z \t]*[ \t]0{2,}\d+[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}[ \t]*(?:\n|$)"
# Number and portion marking at the start of a paragraph: ``12. (S//NF)``, ``(SBU)``.
PREFIX = (
    r"^[ \t]*(?:¶?[ \t]*(?P<number>\d{1,3})[ \t]*\.)?[ \t]*"
    r"(?:\((?P<marking>[A-Z]{1,6}(?:[ \t]*/{1,2}[ \t]*[A-Z]{1,6})*)(?:[ \t]*-[^)\n]{0,30})?\)[ \t]*[\.:]?)?"
)
# Blocks of the opening lines that are header matter, not prose.
PREAMBLE = (
    r"(?i)^\s*(?:C O N F|S E C R E T|UNCLAS|CONFIDENTIAL\b|SECRET\b|LIMITED OFFICIAL USE|"
    r"SENSITIVE BUT UNCLASSIFIED|FOR OFFICIAL USE ONLY|NOFORN\b|SIPDIS|E\.?[ \t]?O\.?[ \t]|DECL|"
    r"TAGS?[ \t]*:|SUBJ(?:ECT)?[ \t]*:|REFS?\b|REFTEL|CLASSIFIED BY|THIS RECORD IS A PARTIAL EXTRACT|"
    r"PASS TO|DEPT FOR|STATE FOR|EXDIS|NODIS|LIMDIS|"
    r"(?:MON|TUES|WEDNES|THURS|FRI|SATUR|SUN)DAY,)"
)
_SPLIT = "\x1f"


def paragraph(versions: pl.LazyFrame) -> pl.LazyFrame:
    """One row per body paragraph per cable page, in order, with number and marking as printed."""
    chunks = (
        ("\n\n" + pl.col("body"))
        .str.replace_all(PAGE_MARKER, "")
        .str.replace_all(GLUED_FIRST, "${1}" + _SPLIT + "${2}")
        .str.replace_all(NUMBERED_START, "${1}" + _SPLIT + "${2}")
        .str.replace_all(MARKED_START, "${1}" + _SPLIT + "${2}")
        .str.split(_SPLIT)
    )
    rows = (
        versions.select("sha256", "reference_id", chunks.alias("chunk"))
        .with_columns(pl.col("chunk").list.first().alias("_lead"), pl.col("chunk").list.slice(1))
        .with_columns(
            # The lead (text before the first numbered paragraph) splits at blank lines.
            pl.col("_lead").str.replace_all(r"\n[ \t]*\n", _SPLIT).str.split(_SPLIT).alias("_lead")
        )
        .with_columns(
            pl.col("_lead")
            .list.eval(
                pl.element().filter(~pl.element().str.contains(PREAMBLE) & (pl.element().str.strip_chars() != ""))
            )
            .list.concat(pl.col("chunk"))
            .alias("chunk")
        )
        .select("sha256", "reference_id", "chunk")
        .explode("chunk")
        .filter(pl.col("chunk").is_not_null() & (pl.col("chunk").str.strip_chars() != ""))
    )
    prefix = pl.col("chunk").str.extract_groups(PREFIX)
    text = pl.col("chunk").str.replace(PREFIX, "").str.strip_chars()
    return rows.select(
        "sha256",
        "reference_id",
        (pl.int_range(pl.len()).over("sha256") + 1).cast(pl.Int32).alias("position"),
        prefix.struct.field("number").cast(pl.Int32).alias("number"),
        prefix.struct.field("marking").str.replace_all(r"[ \t]", "").alias("marking"),
        text.alias("text"),
    )
