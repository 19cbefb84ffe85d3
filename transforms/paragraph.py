"""Body paragraphs of a cable: numbered ones and the unnumbered prose around them.

Where a numbered paragraph starts (``N.`` at the start of a line, N of 1-3 digits):

* after a blank line (``1.``, ``¶1.``);
* on any line when a portion marking follows the number (``1. (C)``, ``1.(C)``, ``2. (c)``):
  newspaper extracts of cables have no blank lines;
* after a heading underline (``-------``), whatever follows the number;
* on any other line, when the number is followed by a space and a capital, a bracket, a quote or
  a redaction (``16. Radio, especially FM, ...``, ``7. XXXXXXXXXXXX``), if it continues the
  numbering: its number is one more than the number before it, in a run of consecutive numbers
  that one of the sure starts above (or the first ``1.``) began. So a list inside a paragraph
  (``The measures:\n1. No new tax benefits.\n2. ...``) is not split, nor is a date or a year at
  the start of a line (``on Monday, October\n22. The ...``, ``in\n2008. The ...``);
* the first ``1.`` line followed by a space and a capital or bracket, wherever it is (paragraph 1
  right under the ``SUBJECT:`` line);
* glued to the end of the classification reasons: ``REASON: 1.4 (b), (d) 1. (C/NF) Summary``.

The text before the first numbered paragraph splits at blank lines, header matter (classification
line, ``E.O.``, ``TAGS``, ``SUBJECT``, ``REF``...) dropped. Page markers (``TRIPOLI 00000095
001.2 OF 002``) and lines that are just ``SIPDIS`` (with the blank lines before them) are removed
from the text; redactions (``XXXXXXXXXXXX``) are kept as printed and counted in ``redactions``.

Portion marking: ``marking`` is the printed marking with its blanks normalised (``S//NF``,
``C/REL UK, CANADA``, ``c``); a note after a dash is dropped (``(C - ENTIRE TEXT)`` -> ``C``); a
marking without its opening bracket is read after a number (``6. C) Two``). ``level`` and
``caveats`` are parsed from it, case-insensitively:

========================================  =====================================================
printed                                   ``level`` / ``caveats``
========================================  =====================================================
``U``, ``UNCLASSIFIED``                   ``U``
``C``, ``CONFIDENTIAL``                   ``C``
``S``, ``SECRET``                         ``S``
``TS``, ``TOP SECRET``                    ``TS``
``SBU`` (sensitive but unclassified)      ``SBU``
``LOU`` (limited official use)            ``LOU``
``SNF``, ``CNF`` (level glued to ``NF``)  ``S`` / ``C`` and ``NOFORN``
after the level, split at ``/``, ``//``:
``NF``, ``NOFORN`` (also ``C NF``,        caveat ``NOFORN``
``S-NF``)
``FOUO`` (``U//FOUO``, ``FOUO``)         caveat ``FOUO`` (for official use only), level ``U``
``REL X``, ``REL TO X, Y``, ``Rel X``     caveat ``REL TO X, Y`` (upper case, one blank)
``OC``, ``ORCON``                         caveat ``ORCON``
``PR``, ``PROPIN``                        caveat ``PROPIN``
anything else (``FGI``, ``SBU``, ``N``)   caveat as printed, upper case
========================================  =====================================================

A first token that is no level (``N/SF``) gives a null ``level``; its other tokens are caveats.
``level`` and ``caveats`` are null when the paragraph has no marking; ``caveats`` is an empty list
for a marking without caveats (``C``).
"""

from __future__ import annotations

import polars as pl

_NUMBER = r"¶?[ \t]*\d{1,3}[ \t]*\."
# A numbered paragraph starts a line after a blank line (``1.``, ``¶1.``).
NUMBERED_START = r"(\n[ \t]*\n[ \t]*)(" + _NUMBER + ")"
# Lower-case portion markings the cables use: ``(c)``, ``(s/nf)``, ``(sbu)``.
_LOWER_LEVEL = r"(?:ts|sbu|lou|c|s|u)[/)]"
# Any line when a portion marking follows the number (newspaper extracts have no blank lines).
MARKED_START = r"(\n[ \t]*)(" + _NUMBER + r"[ \t]*\((?:[A-Z]|" + _LOWER_LEVEL + "))"
# After a heading underline (``-------``), whatever follows the number.
HEADING_START = r"(\n[ \t]*-[- \t]*\n[ \t]*)(" + _NUMBER + r"[ \t]*[^\d\s.])"
# Any other line starting with a number, a space and a capital, a bracket, a quote or a redaction:
# a paragraph only when it continues the numbering (see ``paragraph``).
WEAK_START = r"(\n[ \t]*)(" + _NUMBER + r"[ \t]+(?:[A-Z(\[\"“‘']|[xX]{4}))"
# A paragraph printed inline, after the end of a sentence (or a heading and two blanks) on the same
# line (bodies printed as one long line): ``... End Summary.  2. (C) The ...`` is a sure start;
# ``... nationwide. 10. In addition`` a weak one (a paragraph only when it continues the numbering).
_SENTENCE_END = r"([.!?:;\"”’')\]][ \t]+)"
INLINE_MARKED_START = (
    r"([.!?:;\"”’')\]\-][ \t]+|[.!?][\"”’')]?|[^\s][ \t]{2,})"
    + r"(\d{1,2}[ \t]*\.[ \t]*\((?:[A-Z]{1,3}(?:[ \t]*/{1,2}[ \t]*[A-Za-z]{1,6})*[ \t]*\)|"
    + _LOWER_LEVEL
    + "))"
)
INLINE_WEAK_START = _SENTENCE_END + r"(\d{1,2}\.[ \t]+(?:[A-Z][a-z]|[A-Z]{2,}[ \t]|[xX]{4}))"
# The first ``1.`` line of the body (paragraph 1 right under the SUBJECT line).
FIRST_START = r"(\n[ \t]*)(¶?[ \t]*1[ \t]*\.(?:[ \t]+[A-Z(\[]|[A-Z]{2}))"
# Paragraph 1 glued to the end of the classification reasons: ``REASON: 1.4 (b), (d) 1. (C/NF)``.
GLUED_FIRST = r"(\d\.\d[ \t]*\([a-hA-H]\)(?:[ \t]*(?:,|AND|and)?[ \t]*\([a-hA-H]\))*[ \t]*\.?[ \t]+)(1\.[ \t]*\([A-Z])"
# Page markers the system printed between the sections of a long cable: ``TRIPOLI 00000095  001.2 OF 002``.
PAGE_MARKER = r"(?m)^[ \t]*[A-Z][A-Z \t]*[ \t]0{2,}\d+[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{2,3}[ \t]*(?:\n|$)"
# A line that is just SIPDIS, with the blank lines before it.
SIPDIS_LINE = r"(?m)(?:\n[ \t]*)*\n[ \t]*SIPDIS[ \t]*$"
# A redaction: a run of 4 or more x standing alone as a word.
REDACTION = r"(?-u:\b)[xX]{4,}(?-u:\b)"

# Portion markings: a level, then caveats after ``/`` or ``//`` (``S//NF``, ``C/REL UK, CANADA``).
_CAVEAT = r"(?:(?i:REL)(?:[ \t]+(?i:TO))?[ \t]+[A-Za-z][A-Za-z \t,]*|[A-Za-z]{1,8})"
_MARKING = (
    r"(?:(?i:TOP[ \t]+SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|SBU|LOU|TS|C|S|U)|[A-Z]{1,6})"
    r"(?:[ \t]*/{1,2}[ \t]*" + _CAVEAT + r"|-(?:NF|NOFORN)|[ \t]+(?:NF|NOFORN))*"
)
# Number and portion marking at the start of a paragraph: ``12. (S//NF)``, ``(SBU)``, ``6. C)``.
PREFIX = (
    r"^[ \t]*(?:¶?[ \t]*(?P<number>\d{1,3})[ \t]*\."
    r"(?:[ \t]*(?P<bare>(?:SBU|LOU|TS|C|S|U)(?:/{1,2}[A-Z]{1,6})*)\))?)?[ \t]*"
    r"(?:\([ \t]*(?P<marking>" + _MARKING + r")(?:[ \t]*-[^)\n]{0,30})?[ \t]*\)[ \t]*[\.:]?)?"
)
# Blocks of the opening lines that are header matter, not prose.
PREAMBLE = (
    r"(?i)^\s*(?:C O N F|S E C R E T|UNCLAS|CONFIDENTIAL(?-u:\b)|SECRET(?-u:\b)|LIMITED OFFICIAL USE|"
    r"SENSITIVE BUT UNCLASSIFIED|FOR OFFICIAL USE ONLY|NOFORN(?-u:\b)|SIPDIS|E\.?[ \t]?O\.?[ \t]|DECL|"
    r"TAGS?[ \t]*:|SUBJ(?:ECT)?[ \t]*:|REFS?(?-u:\b)|REFTEL|CLASSIFIED BY|THIS RECORD IS A PARTIAL EXTRACT|"
    r"PASS TO|DEPT FOR|STATE FOR|EXDIS|NODIS|LIMDIS|DEPARTMENT[ \t]+(?:FOR|PASS)|[A-Z/]{2,12}[ \t]+(?:FOR|PASS)[ \t]+[A-Z0-9]|"  # noqa: E501
    r"[A-Z/]{2,12}:[ \t]*PLEASE PASS|FROM[ \t]+(?:USMISSION|EMBASSY|AMEMBASSY|USDEL|USEU|USNATO)|C O R R E C T E D|"
    r"CABLE DATED:|SENSITIVE(?:[ \t]+SIPDIS)?[ \t]*$|PAGE[ \t]+\d{2}[ \t]|[A-Z][A-Z \t]*[ \t]0{2,}\d+[ \t]+\d{3}(?-u:\b)|"  # noqa: E501
    # a REF item the viewer marked with a pilcrow (``¶B. STATE 250490``), a year or day alone
    r"¶?[ \t]*[A-H][.)][ \t]+(?:\d{2,4}[ \t]+)?[A-Z][A-Z \t]*[ \t]\d+|\d{1,7}[ \t]*$|"
    r"(?:MON|TUES|WEDNES|THURS|FRI|SATUR|SUN)DAY,)"
)
# A heading alone before the first paragraph (``-------\nSummary\n-------``): no paragraph.
HEADING_ONLY = r"^[\s\-=]*[^\n]{1,60}\n[ \t]*[-=]{3,}[ \t\-=]*\s*$"
LEVELS = {
    "U": "U",
    "UNCLASSIFIED": "U",
    "C": "C",
    "CONFIDENTIAL": "C",
    "S": "S",
    "SECRET": "S",
    "TS": "TS",
    "TOP SECRET": "TS",
    "SBU": "SBU",
    "LOU": "LOU",
}
CAVEATS = {"NF": "NOFORN", "NOFORN": "NOFORN", "FOUO": "FOUO", "OC": "ORCON", "ORCON": "ORCON", "PR": "PROPIN"}
_LEVEL_WORDS = "TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|TS|SBU|LOU|C|S|U"
# A level and NOFORN without a slash: ``SNF``, ``C NF``, ``S-NF``, ``SECRET NOFORN``.
_GLUED_NOFORN = r"^(" + _LEVEL_WORDS + r")(?: |-)?(?:NF|NOFORN)(?-u:\b)"
_SPLIT = "\x1f"
_WEAK = "\x1e"


def marking_level(marking: pl.Expr) -> pl.Expr:
    """The classification level of a printed portion marking (``S//NF`` -> ``S``), see the table above."""
    first = _normalised(marking).str.split("/").list.first()
    return first.replace_strict({**LEVELS, "FOUO": "U"}, default=None, return_dtype=pl.String)


def marking_caveats(marking: pl.Expr) -> pl.Expr:
    """The caveats of a printed portion marking (``S//NF`` -> ``["NOFORN"]``), see the table above."""
    tokens = _normalised(marking).str.split("/")
    rest = pl.when(tokens.list.first().is_in(list(LEVELS))).then(tokens.list.slice(1)).otherwise(tokens)
    return rest.list.eval(
        pl.element().str.replace(r"^REL(?: TO)? ", "REL TO ").replace(CAVEATS).filter(pl.element() != "")
    )


def _normalised(marking: pl.Expr) -> pl.Expr:
    """Upper case, one ``/`` between tokens, one blank inside them; ``SNF``, ``C NF``, ``S-NF`` -> ``S/NF``."""
    return (
        marking.str.to_uppercase()
        .str.replace_all(r"[ \t]*/+[ \t]*", "/")
        .str.replace_all(r"[ \t]+", " ")
        .str.replace(_GLUED_NOFORN, "${1}/NOFORN")
    )


def paragraph(versions: pl.LazyFrame) -> pl.LazyFrame:
    """One row per body paragraph per cable page, in order, with number and marking as printed.

    ``level`` and ``caveats`` are read from the marking; ``redactions`` counts the redacted words
    (runs of 4 or more x) of the text. See the module docstring for the rules.
    """
    marked = (
        ("\n\n" + pl.col("body"))
        .str.replace_all(PAGE_MARKER, "")
        .str.replace_all(SIPDIS_LINE, "")
        .str.replace(FIRST_START, "${1}" + _SPLIT + "${2}")
        .str.replace_all(GLUED_FIRST, "${1}" + _SPLIT + "${2}")
        .str.replace_all(NUMBERED_START, "${1}" + _SPLIT + "${2}")
        .str.replace_all(MARKED_START, "${1}" + _SPLIT + "${2}")
        .str.replace_all(HEADING_START, "${1}" + _SPLIT + "${2}")
        .str.replace_all(WEAK_START, "${1}" + _SPLIT + _WEAK + "${2}")
        .str.replace_all(INLINE_MARKED_START, "${1}" + _SPLIT + "${2}")
        .str.replace_all(INLINE_WEAK_START, "${1}" + _SPLIT + _WEAK + "${2}")
    )
    chunk = pl.col("chunk")
    number = chunk.str.extract(r"^" + _WEAK + r"?[ \t]*¶?[ \t]*(\d{1,3})[ \t]*\.", 1).cast(pl.Int32)
    weak = chunk.str.starts_with(_WEAK)
    # A weak start is a paragraph when it continues a run of consecutive numbers that a sure start
    # (blank line, marking, heading) began: ``15. (C) ...`` then ``16. Radio ...``; not ``October\n22.``.
    new_run = pl.col("_number").is_null() | (pl.col("_number") != pl.col("_number").shift(1).over("sha256") + 1)
    sure_before = (~pl.col("_weak")).cum_sum().over("sha256", "_run") > 0
    pieces = (
        versions.select("sha256", "reference_id", marked.str.split(_SPLIT).alias("chunk"))
        .explode("chunk")
        .with_columns(number.alias("_number"), weak.alias("_weak"))
        .with_columns(new_run.fill_null(True).cum_sum().over("sha256").alias("_run"))
        .with_columns((~pl.col("_weak") | sure_before).cum_sum().over("sha256").alias("_paragraph"))
        .group_by("sha256", "_paragraph", maintain_order=True)
        .agg(pl.col("reference_id").first(), chunk.str.replace_all(_WEAK, "", literal=True).str.join(""))
        .group_by("sha256", maintain_order=True)
        .agg(pl.col("reference_id").first(), chunk)
    )
    rows = (
        pieces.with_columns(chunk.list.first().alias("_lead"), chunk.list.slice(1))
        .with_columns(
            # The lead (text before the first numbered paragraph) splits at blank lines.
            pl.col("_lead").str.replace_all(r"\n[ \t]*\n", _SPLIT).str.split(_SPLIT).alias("_lead")
        )
        .with_columns(
            pl.col("_lead")
            .list.eval(
                pl.element().filter(
                    ~pl.element().str.contains(PREAMBLE)
                    & ~pl.element().str.contains(HEADING_ONLY)
                    & (pl.element().str.strip_chars() != "")
                )
            )
            .list.concat(chunk)
            .alias("chunk")
        )
        .select("sha256", "reference_id", "chunk")
        .explode("chunk")
        .filter(chunk.is_not_null() & (chunk.str.strip_chars() != ""))
    )
    prefix = chunk.str.extract_groups(PREFIX)
    marking = (
        pl.coalesce(prefix.struct.field("marking"), prefix.struct.field("bare"))
        .str.replace_all(r"[ \t]*(/+)[ \t]*", "${1}")
        .str.replace_all(r"[ \t]+", " ")
    )
    text = chunk.str.replace(PREFIX, "").str.strip_chars()
    return rows.select(
        "sha256",
        "reference_id",
        (pl.int_range(pl.len()).over("sha256") + 1).cast(pl.Int32).alias("position"),
        prefix.struct.field("number").cast(pl.Int32).alias("number"),
        marking.alias("marking"),
        text.alias("text"),
    ).select(
        "sha256",
        "reference_id",
        "position",
        "number",
        "marking",
        marking_level(pl.col("marking")).alias("level"),
        marking_caveats(pl.col("marking")).alias("caveats"),
        "text",
        joined_text(pl.col("text")).alias("text_joined"),
        pl.col("text").str.count_matches(REDACTION).cast(pl.Int32).alias("redactions"),
    )


def joined_text(text: pl.Expr) -> pl.Expr:
    """The text with the cable's hard line breaks joined: a word cut by a hyphen at a line end is
    whole again (``high-\nlevel`` -> ``high-level``), any other break and the blanks around it are
    one space (with the ``\\`` some pages print at line ends), so ``text_joined ilike '%human rights%'``
    finds the phrase across a line break."""
    return (
        text.str.replace_all(r"(\w)-[ \t]*\\?[ \t]*\n[ \t]*([a-z])", "${1}-${2}")
        .str.replace_all(r"[ \t]*(?:\\[ \t]*)?\n\s*", " ")
        .str.strip_chars()
    )
