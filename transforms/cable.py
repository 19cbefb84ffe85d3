"""Cable-level fields read from the header and body, and the choice of the current version."""

from __future__ import annotations

import polars as pl

from transforms import cable_fields as fields
from transforms.spans import between

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {m: str(i) for i, m in enumerate(_MONTH_NAMES, start=1)}

TRANSMISSION_ID = r"^\s*(VZCZC[A-Z0-9]*)"
# Precedence prosign(s) and date-time group: ``O 131503Z MAR 08``.
DTG = (
    r"(?m)^[ \t]*(?P<precedence>[ZOPR](?:[ \t]?[ZOPR])?)[ \t]+(?P<day>\d{2})(?P<hour>\d{2})(?P<minute>\d{2})Z"
    r"[ \t]+(?P<month>[A-Z]{3})[ \t]+(?P<year>\d{2}|\d{4})(?-u:\b)"
)
SENDER = r"(?m)^[ \t]*FM[ \t]+(.+?)[ \t]*$"
# The subject runs from ``SUBJECT:`` (``SUBJ:``, a missing colon or first letter) to a blank line
# or to whatever the viewer or the typist glued after it: REF lines, the classification
# authority, page markers and headers, handling notes.
_SUBJECT_END = (
    r"(?:\n[ \t]*\n|\n[ \t]*(?:REFS?(?-u:\b)|REFTEL|¶?\d{1,2}\.|SENSITIVE BUT|THIS IS AN ACTION|C O N F|S E C R E T"
    r"|UNCLAS(?-u:\b)|PAGE \d|-{3,}|[A-Z][A-Z ]* 0{3,}\d+ +\d{3})"
    r"|REF(?:S|TELS?|\(S\))?[ \t]*:|(?:^|[ \t])REFS?[ \t]*\(?[A-Z]\)"
    r"|CLASSIFIED[ \t]+BY|\z)"
)
# The subject is what lies between a label and the first end after it.
SUBJECT_LABEL = r"(?ims)^[ \t]*S?UBJ(?:ECT)?(?:[ \t]*:[ \t]*(?:\n[ \t]*)?|[ \t]+)"
SUBJECT_INLINE_LABEL = r"(?is)(?-u:\b)SUBJ(?:ECT)?[ \t]*:[ \t]*"
SUBJECT_END = r"[ \t]*" + _SUBJECT_END
# The typists' variants of the TAGS label (``TAGS;``, ``TAS:``, ``TABS:``, ``TGS:``, ``AGS:``).
_TAGS_LABEL = r"(?:TAGS?|TAGES|TAS|TABS|TGS|AGS)"
# The TAGS label: at a line start (any case, colon optional), or inside a line with a colon or in
# capitals ("DECL: 03/20/2019 TAG PTER, PGOV"), with the typists' variants.
_TAGS_AT = (
    rf"(?:^[ \t]*{_TAGS_LABEL}(?:[ \t]*[:;,]|[ \t]+)|(?-u:\b){_TAGS_LABEL}[ \t]*[:;]"
    r"|[ \t](?-i:TAGS?)[ \t]+)[ \t]*"
)
# A TAGS block closed by a blank line, a SUBJECT / E.O. / REF / CLASSIFIED BY line, a section header
# (BAKU 00000478 001.2 OF 003) or SUBJECT: runs over all its lines, with or without commas
# ("...IR RS\nNATO, UK, CN\nSUBJECT:").
TAGS_BLOCK = (
    rf"(?ims){_TAGS_AT}(.*?)(?:[ \t]*\n[ \t]*\n|[ \t]*\n[ \t]*(?:SUBJ|E\.?[ \t]?O\.?[ \t]*\d|REFS?(?-u:\b)"
    r"|REFTEL|CLASSIFIED[ \t]+BY|[A-Z][A-Z ]*[ \t]0{3,}\d+[ \t]+\d{3})|[ \t]+SUBJ(?:ECT)?[ \t]*:)"
)
# Otherwise: the label's line, and the next ones after a line ending with a comma.
TAGS_LINE = rf"(?im){_TAGS_AT}((?:[^\n]*,[ \t]*\n)*[^\n]*)"
# What follows the tags on the same line: a page header, column padding, SUBJECT, E.O., REF.
TAGS_TAIL = (
    r"(?is)(?:[ \t]+(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET)[ \t]+PAGE(?-u:\b)|[ \t]{5,}"
    r"|(?-u:\b)SUBJ(?:ECT)?(?-u:\b)|(?-u:\b)E\.[ \t]?O\.|(?-u:\b)REFS?[ \t]*:|(?-u:\b)PAGE[ \t]+\d).*$"
)
TAG_TOKEN = r"[A-Z0-9][A-Z0-9_\-\./]*(?:[ \t]*\([^)\n]*\))?"
PARTIAL = r"(?i)partial extract of the original cable"


def two_digit_year(year: pl.Expr) -> pl.Expr:
    """A 2- or 4-digit year as a full year: cables run 1966-2010, so ``66``-``99`` are the 1900s."""
    y = year.cast(pl.Int32, strict=False)
    return pl.when(y >= 100).then(y).when(y >= 50).then(y + 1900).otherwise(y + 2000)


def reference_year(reference_id: pl.Expr) -> pl.Expr:
    """The year a reference id starts with (``10TRIPOLI95`` -> 2010); null when it starts with no year."""
    return pl.when(reference_id.str.contains(r"^\d\d")).then(two_digit_year(reference_id.str.slice(0, 2)))


def dtg_timestamp(groups: pl.Expr) -> pl.Expr:
    """The date-time group of the header as a naive UTC timestamp; null when it is impossible."""
    f = groups.struct.field
    month = f("month").replace_strict(_MONTHS, default=None, return_dtype=pl.String).str.zfill(2)
    text = pl.format("{}-{}-{} {}:{}", two_digit_year(f("year")), month, f("day"), f("hour"), f("minute"))
    return text.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us")


def tag_list(tag_links: pl.Expr, body: pl.Expr) -> pl.Expr:
    """Tags in page order: the viewer's tag links, else the tokens of the ``TAGS:`` block.

    The viewer links only the first line of a TAGS block: when the block's tokens extend the links,
    they win.
    """
    block = pl.coalesce(body.str.extract(TAGS_BLOCK, 1), body.str.extract(TAGS_LINE, 1))
    from_line = block.str.replace(TAGS_TAIL, "").str.to_uppercase().str.extract_all(TAG_TOKEN).fill_null([])
    links = tag_links.list.eval(pl.element().str.to_uppercase().str.strip_chars(" ,"))
    n = links.list.len()
    extends = (from_line.list.len() > n) & (from_line.list.head(n) == links)
    return (
        pl.when((n > 0) & ~extends).then(links).otherwise(from_line).list.eval(pl.element().filter(pl.element() != ""))
    )


def tags_read_once(tags: pl.Expr) -> pl.Expr:
    """A tag list printed twice in a row, read once: a page that prints a preview then the start of
    the text again (cut short) lists its tags twice. ``tags`` should be a column, not an expression
    to evaluate again for each of its uses."""
    half = tags.list.len() // 2
    twice = (tags.list.len() > 0) & (tags.list.len() % 2 == 0) & (tags.list.head(half) == tags.list.tail(half))
    return pl.when(twice).then(tags.list.head(half)).otherwise(tags)


def cable_version(parsed: pl.LazyFrame) -> pl.LazyFrame:
    """One row per readable cable page given: every cable-level field of that version.

    ``parsed`` is ``parsed_page`` output; the parse gives one page per distinct cable content.
    """
    dtg = pl.col("header").str.extract_groups(DTG)
    signer = fields.signer(pl.col("body"))
    subject = (
        pl.coalesce(
            between(pl.col("body"), SUBJECT_LABEL, SUBJECT_END),
            between(pl.col("body"), SUBJECT_INLINE_LABEL, SUBJECT_END),
        )
        .str.replace_all(r"[ \t]*\\[ \t]*(?:\n|$)", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.replace(r"^\([A-Z/ ]{1,10}\)[ \t]*", "")
    )
    subject = fields.subject_without_markers(subject, pl.col("reference_id").str.strip_chars())
    return (
        parsed.filter(pl.col("reject_reason").is_null())
        .with_columns(dtg.alias("_dtg"), pl.col("body").str.extract(fields.CLASSIFIED_BY, 1).alias("_who"))
        .select(
            "sha256",
            "reference_id",
            "content_sha256",
            "created_at",
            "released_at",
            "classification",
            "origin",
            subject.fill_null("").alias("subject"),
            fields.subject_title(subject).fill_null("").alias("subject_title"),
            pl.col("header").str.extract(TRANSMISSION_ID, 1).alias("transmission_id"),
            pl.col("_dtg").struct.field("precedence").alias("precedence"),
            dtg_timestamp(pl.col("_dtg")).alias("dtg"),
            pl.col("header").str.extract(SENDER, 1).alias("sender"),
            signer.alias("signer"),
            # The viewer prints the notice in the header block or at the top of the body.
            (pl.col("body").str.contains(PARTIAL) | pl.col("header").str.contains(PARTIAL).fill_null(False)).alias(
                "is_partial"
            ),
            fields.canonical_id(pl.col("reference_id")).alias("canonical_id"),
            fields.classifier_name(pl.col("_who")).alias("classified_by"),
            pl.col("_who").str.replace_all(r"\s+", " ").str.strip_chars(" .,").alias("classified_by_text"),
            fields.classification_reasons(pl.col("body")).alias("classification_reasons"),
            fields.declassify_on(pl.col("body")).alias("declassify_on"),
            fields.summary(pl.col("body")).alias("summary"),
            fields.comment(pl.col("body")).alias("comment"),
            fields.section_count(pl.col("body")).alias("section_count"),
            pl.col("body").str.contains(r"(?-u:\b)SIPDIS(?-u:\b)").alias("sipdis"),
            tag_list(pl.col("tag_links"), pl.col("body")).alias("tags"),
            "viewer_title",
            "header",
            "body",
        )
        .with_columns(tags_read_once(pl.col("tags")))
    )


# Older viewer builds kept by a mirror: ``_history/<YYYYMMDD-HHMM>_<commit>/``.
BUILD_STAMP = r"/_history/(\d{8}-\d{4})_"
_NEWEST_BUILD = "99999999-9999"


def current_version(versions: pl.LazyFrame, landed: pl.LazyFrame) -> pl.LazyFrame:
    """One row per landed cable page (``source_uri``, ``sha256``) with its status among the cable's versions.

    A page landed again with new content has a row per content. The current version of a cable
    is the page released last; ties go to the newest viewer build (older builds kept under
    ``_history/<stamp>/`` rank by their stamp, below the mirror's own pages), then to the first
    ``source_uri``, then to the latest landing of that page. ``status`` is ``current``,
    ``duplicate`` (the same cable content as the current page: meta cells, header and body) or
    ``older_version``.
    """
    pages = landed.select("source_uri", "sha256", "fetched_at").join(
        versions.select("sha256", "reference_id", "released_at", "content_sha256"),
        on="sha256",
        how="inner",
    )
    build = pl.col("source_uri").str.extract(BUILD_STAMP, 1).fill_null(_NEWEST_BUILD)
    pages = (
        pages.with_columns(build.alias("build_stamp"))
        .sort(
            ["reference_id", "released_at", "build_stamp", "source_uri", "fetched_at"],
            descending=[False, True, True, False, True],
            nulls_last=True,
        )
        .with_columns((pl.int_range(pl.len()).over("reference_id") + 1).alias("_rank"))
    )
    current_content = pl.col("content_sha256").filter(pl.col("_rank") == 1).first().over("reference_id")
    status = (
        pl.when(pl.col("_rank") == 1)
        .then(pl.lit("current"))
        .when(pl.col("content_sha256") == current_content)
        .then(pl.lit("duplicate"))
        .otherwise(pl.lit("older_version"))
    )
    return pages.select(
        "reference_id",
        "source_uri",
        "sha256",
        "content_sha256",
        "released_at",
        pl.when(pl.col("build_stamp") != _NEWEST_BUILD).then(pl.col("build_stamp")).alias("build_stamp"),
        "fetched_at",
        pl.col("_rank").cast(pl.Int32).alias("rank"),
        status.alias("status"),
    ).sort("reference_id", "rank")


def distinct_versions(page_versions: pl.LazyFrame) -> pl.LazyFrame:
    """One row per distinct version (content) of each cable, the current one first."""
    return (
        page_versions.sort("reference_id", "rank")
        .group_by("reference_id", "content_sha256", maintain_order=True)
        .agg(
            pl.col("source_uri").first(),
            pl.col("released_at").max(),
            pl.col("build_stamp").max(),
            pl.len().cast(pl.Int32).alias("pages"),
            (pl.col("status") == "current").any().alias("is_current"),
        )
        .with_columns((pl.int_range(pl.len()).over("reference_id") + 1).cast(pl.Int32).alias("version_rank"))
    )


def cable(versions: pl.LazyFrame, page_versions: pl.LazyFrame) -> pl.LazyFrame:
    """One row per cable: the fields of its current version and the page they were read from.

    ``versions`` holds the fields per cable content (``content_sha256``); the current page of each
    cable (``page_versions``) says which content, and gives ``sha256`` and ``source_uri``.
    """
    current = page_versions.filter(pl.col("status") == "current").select(
        "reference_id", "content_sha256", "sha256", "source_uri"
    )
    created = pl.col("created_at")
    url = pl.format(
        "/cable/{}/{}/{}.html",
        created.dt.year(),
        created.dt.month().cast(pl.String).str.zfill(2),
        pl.col("reference_id"),
    )
    return (
        versions.drop("sha256", "source_uri", strict=False)
        .join(current, on=["reference_id", "content_sha256"], how="inner")
        .unique(["reference_id"], keep="first")
        .with_columns(url.alias("url"))
        .select(
            "reference_id",
            "canonical_id",
            "created_at",
            "released_at",
            "classification",
            "origin",
            "subject",
            "subject_title",
            "transmission_id",
            "precedence",
            "dtg",
            "sender",
            "signer",
            "classified_by",
            "classified_by_text",
            "classification_reasons",
            "declassify_on",
            "summary",
            "comment",
            "section_count",
            "sipdis",
            "is_partial",
            "tags",
            "url",
            "viewer_title",
            "header",
            "body",
            "source_uri",
            "sha256",
            "content_sha256",
        )
        .sort("reference_id")
    )
