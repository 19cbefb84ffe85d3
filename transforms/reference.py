"""Items of a cable's REF block and the ids of the cables they cite."""

from __future__ import annotations

import polars as pl

from transforms.cable import two_digit_year
from transforms.vocabulary import ORIGIN_FIXES, STATIONS

# The REF block: from ``REF:``/``REFS:``/``REFTEL:`` at a line start to the next blank line.
REF_BLOCK = (
    r"(?ms)^[ \t]*(?:REFS?|REFTELS?)\b[ \t]*:?[ \t]*(.*?)[ \t]*"
    r"(?:\n[ \t]*\n|\n[ \t]*(?i:CLASSIFIED[ \t]+BY)|\n[ \t]*¶?\d{1,3}[ \t]*\.|\z)"
)
# Item letters: ``A)``, ``(A)``, ``A.`` at the start or after a space or semicolon.
ITEM_START = r"(?:^|[\s;])\(?([A-Z])[\.\)][ \t]"
# A cited cable: optional 2/4-digit year, origin (one or two words), serial number.
CITED = (
    r"(?:\b(?P<year>\d{4}|\d{2})[ \t]+)?\b(?P<w1>[A-Z]{2,})(?:[ \t]+(?P<w2>[A-Z]{2,}))?[ \t]+0*(?P<serial>\d{1,6})\b"
)
_SPLIT = "\x1f"


def _station(word: pl.Expr) -> pl.Expr:
    """An origin as written in a reference, canonicalised; null when it is no known station."""
    fixed = word.replace(ORIGIN_FIXES)
    return pl.when(fixed.is_in(list(STATIONS))).then(fixed)


def reference(versions: pl.LazyFrame, release_ids: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per item of the REF block per cable page, with the cited cable's id when it is one.

    ``release_ids`` (``reference_id`` of every cable of the full release) gives ``in_release``;
    null when it is not given or the item is not a cable.
    """
    block = pl.col("body").str.extract(REF_BLOCK, 1).str.replace_all(r"\s+", " ").str.strip_chars()
    has_letters = block.str.contains(ITEM_START)
    items = (
        pl.when(has_letters)
        .then(block.str.replace_all(ITEM_START, _SPLIT + "${1}" + _SPLIT + " "))
        .otherwise(block.str.replace_all(r";", _SPLIT))
        .str.split(_SPLIT)
    )
    idx = pl.int_range(pl.len()).over("sha256")
    rows = (
        versions.select("sha256", "reference_id", "created_at", has_letters.alias("_l"), items.alias("raw"))
        .explode("raw")
        .with_columns(idx.alias("_i"), pl.col("raw").shift(1).over("sha256").alias("_prev"))
        .with_columns(
            # A lettered block splits into lead text, then letter, text, letter, text, ...
            pl.when(pl.col("_l") & (pl.col("_i") > 0)).then(pl.col("_prev")).alias("letter"),
            (~pl.col("_l") | (pl.col("_i") % 2 == 0)).alias("_is_text"),
        )
        .with_columns(pl.col("raw").str.strip_chars(" ;,.\t"))
        .filter(pl.col("_is_text") & pl.col("raw").is_not_null() & (pl.col("raw") != ""))
    )
    cited = pl.col("raw").str.extract_groups(CITED)
    rows = rows.with_columns(cited.alias("c")).unnest("c")
    two_words = _station(pl.col("w1") + pl.col("w2").fill_null(""))
    origin = pl.coalesce(pl.when(pl.col("w2").is_not_null()).then(two_words), _station(pl.col("w1")))
    year = pl.coalesce(two_digit_year(pl.col("year")), pl.col("created_at").dt.year())
    referenced = pl.when(origin.is_not_null()).then(
        pl.format("{}{}{}", (year % 100).cast(pl.String).str.zfill(2), origin, pl.col("serial"))
    )
    out = rows.select(
        "sha256",
        "reference_id",
        (pl.int_range(pl.len()).over("sha256") + 1).cast(pl.Int32).alias("position"),
        "letter",
        "raw",
        referenced.alias("referenced_id"),
    )
    if release_ids is None:
        return out.with_columns(pl.lit(None, pl.Boolean).alias("in_release"))
    known = release_ids.select(pl.col("reference_id").alias("referenced_id"), pl.lit(True).alias("in_release"))
    in_release = pl.when(pl.col("referenced_id").is_not_null()).then(pl.col("in_release").fill_null(False))
    return out.join(known, on="referenced_id", how="left", maintain_order="left").with_columns(in_release)
