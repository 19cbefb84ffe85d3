"""Tags of a cable, in the order the page prints them, with their canonical form and kind.

``tag`` is the tag as printed (upper case). ``canonical_tag`` is what it means:

* typos and glued tags are fixed from constant tables (cablemap's ``_TAG_FIXES`` plus a few more,
  see ``tag_vocabulary``); a glued tag yields several canonical tags, numbered by ``part``
  (``AMEDCASCKFLO`` -> ``AMED``, ``CASC``, ``KFLO``);
* a multi-word tag printed as consecutive words (the viewer links each word on its own:
  ``CLINTON`` ``HILLARY``, ``HUMAN`` ``RIGHTS``) becomes one canonical tag on the row of its first
  word; the rows of the other words have a null ``canonical_tag``;
* a person is ``SURNAME, GIVEN NAMES`` in upper case, as the cables print it in ``OVIP (...)`` and
  as cablemap writes it: ``OVIP (CLINTON, HILLARY)`` -> ``OVIP`` and ``CLINTON, HILLARY``;
  ``CLINTON HILLARY`` -> ``CLINTON, HILLARY``; the period of a closing initial stays
  (``STEINBERG, JAMES B.``);
* spaces are collapsed and leading and trailing punctuation dropped (``PREL.`` -> ``PREL``);
* tokens that are not tags get a null ``canonical_tag``: ``SIPDIS``, classification words and the
  page-break or section-header residue printed among the tags (``BAKU 00000478 001.2 OF 003``,
  ``UNCLASSIFIED PAGE 02``).

``tag_kind`` follows cablemap's ``utils.tag_kind`` (two letters: geographic; a comma: person;
``K`` + three letters: program; its subject and organisation word lists), with these changes: a name
in ``OVIP (...)`` is a person even without a comma; ``EU`` and ``UN`` are organisations; the list
entries win over the ``K`` rule (``KANU`` is an organisation); other four-letter codes opening with
a subject letter (``A B C E M O P S T``, the letters of the subject list) are subjects; a small
hand table (``PROJECT_TAG_KINDS``) covers multi-word tags, place names and a few codes no list has.
Null when no rule applies (and when ``canonical_tag`` is null).
"""

from __future__ import annotations

import polars as pl

from transforms.tag_vocabulary import (
    CABLEMAP_TAG_FIXES,
    MULTI_WORD_TAGS,
    ORGANISATION_TAGS,
    PROJECT_TAG_FIXES,
    PROJECT_TAG_KINDS,
    SUBJECT_TAGS,
)

TAG_KINDS = ("geographic", "subject", "program", "organisation", "person")

# Canonical tags of a fix joined by a separator no tag contains (control characters are removed).
_SEP = "\x1f"
_FIXES = {raw: _SEP.join(fixed) for raw, fixed in {**CABLEMAP_TAG_FIXES, **PROJECT_TAG_FIXES}.items()}
_MAX_WORDS = max(len(t.split()) for t in MULTI_WORD_TAGS)
_SUBJECT_LETTERS = "".join(sorted({t[0] for t in SUBJECT_TAGS}))
_CLASSIFICATIONS = ["UNCLASSIFIED", "UNCLAS", "CONFIDENTIAL", "SECRET"]


def normalised(text: pl.Expr) -> pl.Expr:
    """Upper case, one space between words, ``, `` after a surname, no leading or trailing punctuation.

    A closing initial keeps its period when the text is a person (``STEINBERG, JAMES B.``).
    """
    s = (
        text.str.to_uppercase()
        .str.replace_all(r"[\p{Cc}\s]+", " ")
        .str.replace_all(r" ?, ?", ", ")
        .str.replace(r"^[^\p{L}\p{N}]+", "")
        .str.replace(r"[^\p{L}\p{N}.]+$", "")
    )
    keeps_period = s.str.contains(r"^[^,]+, (?:.* )?\p{L}\.$")
    s = pl.when(keeps_period).then(s).otherwise(s.str.replace(r"[^\p{L}\p{N}]+$", ""))
    return pl.when(s != "").then(s)


def tag_kind(canonical: pl.Expr) -> pl.Expr:
    """Kind of a canonical tag: one of ``TAG_KINDS``, null when unknown.

    (``tag`` also calls a name printed in the parentheses of ``OVIP (...)`` a person.)
    """
    c = canonical
    return (
        pl.when(c.is_null())
        .then(None)
        .when(c.str.contains(",", literal=True))
        .then(pl.lit("person"))
        .when(c.is_in(list(PROJECT_TAG_KINDS)))
        .then(c.replace_strict(PROJECT_TAG_KINDS, default=None, return_dtype=pl.String))
        .when(c.str.contains(r"^\p{L}{2}$"))
        .then(pl.lit("geographic"))
        .when(c.is_in(list(SUBJECT_TAGS)))
        .then(pl.lit("subject"))
        .when(c.is_in(list(ORGANISATION_TAGS)))
        .then(pl.lit("organisation"))
        .when(c.str.contains(r"^K\p{L}{3}$"))
        .then(pl.lit("program"))
        .when(c.str.contains(rf"^[{_SUBJECT_LETTERS}]\p{{L}}{{3}}$"))
        .then(pl.lit("subject"))
        .otherwise(None)
        .cast(pl.String)
    )


def _fixed(key: pl.Expr) -> pl.Expr:
    """The canonical tags of a normalised printed tag, as a list (the fix tables, else itself)."""
    return key.replace(_FIXES).str.split(_SEP)


def _by_value(frame: pl.LazyFrame, column: str, *exprs: pl.Expr) -> pl.LazyFrame:
    """``frame`` with ``exprs`` computed once per distinct value of ``column`` (tags repeat a lot)."""
    values = frame.select(column).unique().with_columns(*exprs)
    return frame.join(values, on=column, how="left", nulls_equal=True, maintain_order="left")


def tag(versions: pl.LazyFrame) -> pl.LazyFrame:
    """One row per canonical tag per printed tag per cable page: its position, part and kind."""
    word = pl.col("_word")

    def at(k: int, col: str = "_word") -> pl.Expr:
        """The value ``k`` printed tags further on the same page (``k < 0``: before); rows are in page order."""
        same_page = pl.col("position").shift(-k) == pl.col("position") + k
        return pl.when(same_page).then(pl.col(col).shift(-k))

    printed = (
        versions.select("sha256", "reference_id", pl.col("tags").list.drop_nulls().alias("tag"))
        .with_columns(pl.int_ranges(1, pl.col("tag").list.len() + 1, dtype=pl.Int32).alias("position"))
        .explode(["tag", "position"])
        .filter(pl.col("tag").is_not_null())
    )
    printed = _by_value(
        printed,
        "tag",
        normalised(pl.col("tag").str.replace(r"\(.*$", "")).alias("_word"),
        normalised(pl.col("tag").str.extract(r"\(([^()]*)", 1)).alias("_inner"),
        # serials, section numbers, date-time groups: 00000478, 001.2, 241033Z
        pl.col("tag").str.contains(r"^[^\p{L}\p{N}]*\d[\d./\-]*Z?[^\p{L}\p{N}]*$").alias("_number"),
    )

    # Multi-word tags: the longest run of consecutive printed words that is one, from its first word.
    runs = [pl.concat_str([at(k) for k in range(n)], separator=" ") for n in range(1, _MAX_WORDS + 1)]
    length = pl.lit(None, dtype=pl.Int32)
    for n in range(2, _MAX_WORDS + 1):
        length = pl.when(runs[n - 1].is_in(list(MULTI_WORD_TAGS))).then(pl.lit(n, dtype=pl.Int32)).otherwise(length)
    phrase = pl.lit(None, dtype=pl.String)
    for n in range(2, _MAX_WORDS + 1):
        phrase = pl.when(pl.col("_run") == n).then(runs[n - 1]).otherwise(phrase)
    covered = pl.any_horizontal([(at(-k, "_run") > k).fill_null(False) for k in range(1, _MAX_WORDS)])

    # Not tags: SIPDIS, numbers, classification words, and the words of a section header or page
    # break printed among them.
    number = pl.col("_number")
    next_number = at(1, "_number").fill_null(False)
    noise = (
        (word == "SIPDIS")
        | number
        | (next_number & at(2, "_number").fill_null(False))
        | ((word == "OF") & next_number & at(-1, "_number").fill_null(False))
        | ((word == "PAGE") & next_number)
        | word.is_in(_CLASSIFICATIONS)
    ).fill_null(False)

    key = pl.when(pl.col("_covered") | pl.col("_noise")).then(None).when(pl.col("_run").is_not_null())
    key = key.then(phrase).otherwise(word)
    nothing = pl.lit([], dtype=pl.List(pl.String))
    head = _fixed(key).fill_null(nothing)
    inner = pl.when(pl.col("_covered") | pl.col("_noise")).then(nothing).otherwise(_fixed(pl.col("_inner")))
    parts = pl.concat_list(head, inner.fill_null(nothing))
    parts = pl.when(parts.list.len() > 0).then(parts).otherwise(pl.lit([None], dtype=pl.List(pl.String)))

    rows = (
        printed.with_columns(length.alias("_run"), noise.alias("_noise"))
        .with_columns(covered.alias("_covered"))
        .with_columns(parts.alias("canonical_tag"), head.list.len().alias("_head_parts"))
        .with_columns(pl.int_ranges(1, pl.col("canonical_tag").list.len() + 1, dtype=pl.Int32).alias("part"))
        .explode(["canonical_tag", "part"])
    )
    rows = _by_value(rows, "canonical_tag", tag_kind(pl.col("canonical_tag")).alias("_kind"))
    in_visit = (pl.col("part") > pl.col("_head_parts")) & (word == "OVIP") & pl.col("canonical_tag").is_not_null()
    return rows.select(
        "sha256",
        "reference_id",
        "position",
        "part",
        "tag",
        "canonical_tag",
        pl.when(in_visit).then(pl.lit("person")).otherwise(pl.col("_kind")).alias("tag_kind"),
    )
