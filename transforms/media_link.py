"""News articles that cite a cable: the "Appears in these articles" links of later viewer builds."""

from __future__ import annotations

import polars as pl


def media_link(parsed: pl.LazyFrame) -> pl.LazyFrame:
    """One row per article link per cable page, the viewer's doubled ``http://http://`` undone.

    Links whose host is no domain name are left out: some builds turned a note into one link
    per word (``Yedioth Ahronot only goes out in print`` -> ``http://Yedioth``, ``http://in``...).
    """
    url = pl.col("url").str.strip_chars().str.replace(r"^(?:(?i:https?)://)+((?i:https?)://)", "${1}")
    clean = pl.when(url.str.contains(r"(?i)^https?://")).then(url).otherwise(pl.concat_str(pl.lit("http://"), url))
    return (
        parsed.filter(pl.col("reject_reason").is_null())
        .select("sha256", "reference_id", pl.col("media_urls").alias("url"))
        .explode("url")
        .filter(pl.col("url").is_not_null() & (pl.col("url").str.strip_chars() != ""))
        .with_columns(clean.alias("url"))
        .with_columns(pl.col("url").str.extract(r"^https?://([^/:?#]+)", 1).str.to_lowercase().alias("host"))
        .filter(pl.col("host").str.contains(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$"))
        .unique(["sha256", "url"], keep="first", maintain_order=True)
    )
