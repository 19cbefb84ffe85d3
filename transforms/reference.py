"""Items of a cable's REF blocks and the ids of the cables they cite.

Grain: one row per cited cable id per item of every REF block of a cable page; an item that cites
no cable (an e-mail, a telcon, a report, ...) is one row with a null ``referenced_id``.

Conventions (see the README's ``reference`` table):

- ``position`` numbers the items of the page from 1, continuing across its REF blocks (``REF:``,
  ``REFS:``, ``REFTEL:``, ``Ref(s):``, ``REFERENCE:``; several blocks occur when the page holds a
  second copy of the header). An item repeating, letter and text, an item of an earlier block of
  the same page is kept once.
- Items are the lettered entries (``A.``, ``A)``, ``(A)``, ``[A]``, ``A:``, ``A -``, ``(1)``; the
  letters must run in order, so initials such as ``J. SMITH`` do not split an item); the text
  before the first letter, or a block without letters, is split at ``;``.
- ``part`` numbers the cable ids of one item from 1 (``STATE 123 AND 456``, ``KABUL 936/935``,
  ``PARIS 1 (NOTAL) PARIS 2`` give parts 1 and 2, each row repeating ``letter``, ``kind`` and
  ``raw``); an item without a cable id has the single part 1. ``(sha256, position, part)`` is
  unique, so ``(reference_id, position, part)`` is unique in the published table.
- ``kind``: ``cable`` exactly when the item yields a cable id; else, from its words, ``e-mail``,
  ``telcon`` (telcon, phone call, DVC, SVTC), ``letter`` (letter, diplomatic note, fax), ``memo``
  (memo, memorandum, memcon, non-paper), or ``other`` (reports, meetings, web pages, books such as the
  FAM, messages known only by their date-time group, ...). cablemap's kinds map as CABLE -> cable,
  EMAIL -> e-mail, TEL -> telcon, FAX -> letter, MEMO -> memo, BOOK/REPORT/MEETING/WEB -> other.
- ``referenced_id`` is ``YY`` + origin + serial: the year is a 2- or 4-digit year written in the
  item (``06 TRIPOLI 55``, ``2006 TRIPOLI 55``, ``'06``, ``(06)``, ``TRIPOLI 55/06``,
  ``QUITO 4525-91``, ``ASUNCION 701 (08)``), else the year of the citing cable's ``created_at``
  (never its release); a year written after the serial that is later than the citing cable's is
  no year. The origin is canonicalised (``SECSTATE`` -> ``STATE``, ``0TTAWA`` -> ``OTTAWA``,
  ``HCMC`` -> ``HOCHIMINHCITY``; a valid station such as ``BRUSSELS`` or ``PARISFR`` is kept as
  written; see ``transforms.vocabulary``) and must be a known station; the serial loses its
  leading zeros. A bare serial (``B. 2962``) takes the origin of the page's previous cited cable,
  else the citing cable's own station; a lone year (``B. 2008``) is no serial. Page headers in a
  block (``TRIPOLI 00000402 001.2 OF 003``, ``PAGE 02 ROME 01196 ...``) and the citing cable's
  own id are not references.
"""

from __future__ import annotations

import polars as pl

from transforms import BATCH_ENGINE
from transforms.cable import two_digit_year
from transforms.spans import between
from transforms.vocabulary import ORIGIN_FIXES, STATIONS

_BLOCK = "\x1e"  # splits a body into REF blocks
_SEP = "\x1f"  # splits a block around item letters
_HIDE = "\x01"  # hides a ``REF`` word that opens no block
_KEEP = "\x02"  # hides the dot of an abbreviation from the item letters

# ---- the body, before blocks are cut ------------------------------------------------------------
# Page headers of a printed cable, which interrupt a block: ``PAGE 02 ROME 01196 01 OF 02 082030Z``
# and ``TRIPOLI 00000402 001.2 OF 003``.
PAGE_HEADER = (
    r"(?:(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\s+)?PAGE[ \t]+\d{1,3}[ \t]+[A-Z][A-Z \t]*?"
    r"[ \t]+\d{3,8}[ \t]+(?:\d{1,2}[ \t]+OF[ \t]+\d{1,2}[ \t]+)?\d{6}Z"
)
CONTINUATION_HEADER = (
    r"(?-u:\b)[A-Z]{2,}(?:[ \t][A-Z]+){0,3}[ \t]+0{2,}\d{1,6}\s+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}(?-u:\b)"
)
# ``SEE REFTEL:`` in prose, and ``REF:`` repeated after an item letter (``A. REF: KATHMANDU 2282``).
HIDE_SEE = r"(?i)((?-u:\b)see[ \t]+(?:the[ \t]+)?R)(EF)"
HIDE_AFTER_LETTER = r"(?i)(\S[ \t]+(?:\(?[A-Z][\.\):]|\[[A-Z]\])[ \t]*R)(EF(?:S|TELS?|ERENCES?)?[ \t]*:)"
# Where a block opens: at a line start, ``REF``/``REFS``/``REFTEL`` (upper case) then ``.`` or a
# space, or any spelling then ``:``, maybe after ``PROGRAM`` or an item letter ``A.`` (kept);
# anywhere else (subject lines that lost their line breaks), any spelling then ``:``. Without a
# colon the word is kept (``bare``) and the block must look like a list, not prose: no lower-case
# letter on its first line (``REF A nonpaper``), no ``REF A).`` (``... GROUP - REF A).  AT THE``).
START = (
    r"(?m)^[ \t¶]*(?:PROGRAM[ \t]+)?(?P<lead>\(?[Aa][\.\)][ \t]*)?"
    r"(?:(?i:REF(?:S|TELS?|ERENCES?|\(S\))?)[ \t]*:|(?P<bare>REF(?:S|TELS?)?(?:[ \t]*\.[ \t]*|[ \t]+)))"
    r"|(?i:REF(?:S|TELS?|\(S\))?)[ \t]*:"
)
# Where a block surely ends (from its start).
BLOCK_END = (
    r"(?:"
    r"(?i:classi\w{0,4}[ \t]+by(?-u:\b))"
    r"|\n[ \t¶]*\d{1,2}[ \t]*\.(?:[ \t(]|[A-Z])"
    r"|[ \t]\d{1,2}\.[ \t]*\((?:U|C|S|SBU|LOU|TS|S/NF|C/NF|S//NF|C//NF)\)"
    r"|[ \t][1-9]\d?\.[ \t]+[A-Z][a-z]"
    r"|(?i:\n[ \t]*(?:begin[ \t]+)?summary(?-u:\b))"
    r"|(?i:(?-u:\b)summary[ \t]*:)"
    r"|(?i:sensitive[ \t]+but[ \t]+unclassified)"
    r"|(?i:(?-u:\b)this[ \t]+(?:message|cable)[ \t]+(?:is|has)(?-u:\b))"
    r"|\n[ \t]*(?:[A-Za-z][ \t]){4,}"
    r"|(?i:\n[ \t]*(?:sipdis|noforn|e\.o\.|tags[ \t]*:|subject[ \t]*:|dept[ \t]+for|department[ \t]+for))"
    r"|\n[ \t]*-{3,}"
    r"|\z)"
)
# A blank line ends a block unless the next line goes on with it: an item letter, a number, or
# a few capitalised words and a number (``RIO \n\nDE JANEIRO 1291``).
CONTINUED = (
    r"\n(?:[ \t]*\n)+([ \t¶]*(?:-[ \t]*)?(?:[\(\[]?[A-Za-z][\.\):\]]|\(\d\)|\d"
    r"|[A-Z][A-Za-z'\-\.]*(?:[ \t]+[A-Z][A-Za-z'\-\.]*){0,3}[ \t]+\d))"
)
PARAGRAPH_END = r"(?:\n[ \t]*\n|\z)"

# ---- items --------------------------------------------------------------------------------------
REF_WORD = r"^(?:(?i:REF(?:S|TELS?|ERENCES?)?(?-u:\b)|REF\(S\))[ \t]*:?[ \t]*)+"
# Item letters: ``(A)``, ``(1)``, ``[A]``, ``A.)``, ``A.``, ``A)``, ``A:`` after a start, space, ``;``
# or ``,``; ``A -`` at the start of a block. Without punctuation (``A MONTREAL 365, B OTTAWA 406``,
# ``REF A ... REF B ...``) only in a block that starts so and has no other letters.
MARK = (
    r"(?:^|[\s;,])(?:\((?:[A-Za-z]|[1-9])\)|\[[A-Za-z]\]|[A-Za-z](?:\.\)|[\.\):]))"
    r"|^[A-Z][ \t]+-[ \t]"
)
WEAK_MARK = r"(?:^|[\s,;])[A-Z][ \t]"
# ``U.S.``, ``E.O.``: no item letter (marked with ``_KEEP`` while letters are found).
ABBREVIATION = r"(?-u:\b)([A-Za-z])\.([A-Za-z])\."
_ORDINAL = {chr(65 + i): i for i in range(26)} | {str(i + 1): i for i in range(9)}

# ---- cited cables -------------------------------------------------------------------------------
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
DATE = r"(?-u:\b)" + _DAY + "/" + _DAY + r"(?:/\d{2,4})?(?-u:\b)"  # 3/12/08, 10/9; not TRIPOLI 55/06
MARKING = r"\((?:NOTAL|EXDIS|NODIS|LIMDIS|SBU|U|C|S|S/NF|C/NF|S//NF|C//NF|NF)\)"
NOISE = r"(?-u:\b)(?:CABLES?|TELEGRAMS?|REFTELS?|MSG|NUMBERS?)(?-u:\b)|(?-u:\b)NOS?\."
_WORDS = r"[A-Z][A-Z'\.\-]+(?:[ \t]+[A-Z][A-Z'\.\-]*){0,4}"  # the first word has 2+ letters: ``C 05 OTTAWA 1``
# A year after a serial: ``/08``, ``-91``, ``(08)``, ``(2002)``, `` 99,``.
TRAIL = r"(?:[/\-]\d{2}(?-u:\b)|[ \t]*\((?:\d{2}|\d{4})\)|[ \t]+\d{2}[ \t]*(?:[,;]|$))?"
# A run of cited cables of one origin: optional year, origin words, serial(s).
CHAIN = (
    r"(?:(?-u:\b)(?:\d{4}|0?\d{2})\)?[ \t\-]*|(?-u:\b))"
    + _WORDS
    + r"[ \t]*(?:\(\d{2}\)[ \t]*)?[ \t:#,\-]*\d{1,8}(?-u:\b)"
    + TRAIL
    + r"(?:[ \t]*(?:,|/|&|(?-u:\b)AND(?-u:\b))[ \t]*\d{3,8}(?-u:\b)"
    + TRAIL
    + r")*"
)
HEAD = (
    r"^(?:(?P<y>\d{4}|0?\d{2})\)?[ \t\-]*)?(?P<o>" + _WORDS + r")[ \t]*(?:\((?P<ym>\d{2})\)[ \t]*)?"
    r"[ \t:#,\-]*(?P<tail>.*)$"
)
TOKEN = r"\d{1,8}(?-u:\b)" + TRAIL
TOKEN_GROUPS = r"^(?P<digits>\d{1,8})(?:[/\-](?P<t1>\d{2})|[ \t]*\((?P<t2>\d{2}|\d{4})\)|[ \t]+(?P<t3>\d{2}))?"
# Serial before the origin (``870 ULAANBAATAR``) and a bare serial (``B. 2962 AND PREVIOUS``).
REVERSED = r"^0*(?P<s>\d{1,7})[ \t]+(?P<o>[A-Z][A-Z'\.\-]+(?:[ \t]+[A-Z][A-Z'\.\-]+){0,3})$"
BARE = r"^(?:(?P<y>\d{4}|0?\d{2})[ \t]+)?0*(?P<s>\d{1,7})(?:[/\-](?P<t>\d{2}))?$"
REPORT_WORDS = r"(?-u:\b)(?:INCSR|REPORTS?|HRR)(?-u:\b)"

KINDS = ("cable", "e-mail", "telcon", "letter", "memo", "other")
_KIND_WORDS = (
    ("e-mail", r"(?i)\be-?mails?\b|\bemail"),
    (
        "telcon",
        r"(?i)\btele?cons?\b|\btelecon|\b(?:tele)?phone[ \t]?(?:call|con)|\bphonecon|\bdvcs?\b|\bs?vtcs?\b",
    ),
    (
        "letter",
        r"(?i)\bletters?\b|\bdip(?:lomatic)?[ \t]?notes?\b|\bnote[ \t]+verbale|\bfax(?:es)?\b|\bfacsimile",
    ),
    ("memo", r"(?i)\bmemo|\bmemcons?\b|\bnon[- ]?papers?\b|\baide[- ]m[eé]moire"),
)

_STATION_LIST = sorted(STATIONS)


def _station(name: pl.Expr) -> pl.Expr:
    """An origin as written (words joined), canonicalised; null when it is no known station."""
    joined = name.str.replace_all(r"[ \t\.'\-]", "")
    fixed = joined.replace(ORIGIN_FIXES)
    return pl.when(fixed.is_in(_STATION_LIST)).then(fixed)


def _origin(words: pl.Expr) -> pl.Expr:
    """The station named by the last 1-5 of the words before a serial, the longest that is one."""
    split = words.str.split(" ")
    n = split.list.len()
    return pl.coalesce([pl.when(n >= k).then(_station(split.list.slice(-k, k).list.join(""))) for k in range(5, 0, -1)])


def _year(text: pl.Expr) -> pl.Expr:
    """A written year (``06``, ``094``, ``2006``) as a full year."""
    return two_digit_year(text.cast(pl.Int32, strict=False) % 100).cast(pl.Int32)


def _blocks(pages: pl.LazyFrame) -> pl.LazyFrame:
    """One row per REF block of a page: its text up to where the block surely ends."""
    body = (
        pl.col("body")
        .fill_null("")
        .str.replace_all("\r", "", literal=True)
        .str.replace_all(r"\\[ \t]*\n", "\n")
        .str.replace_all(r"\\n", "\n", literal=True)
        .str.replace_all(PAGE_HEADER, " ")
        .str.replace_all(CONTINUATION_HEADER, " ")
        .str.replace_all(HIDE_SEE, "${1}" + _HIDE + "${2}")
        .str.replace_all(HIDE_AFTER_LETTER, "${1}" + _HIDE + "${2}")
        .str.replace_all(START, _BLOCK + "${lead}${bare}")
    )
    block = between(
        between(pl.col("block"), r"\A", BLOCK_END).str.replace_all(CONTINUED, "\n${1}"), r"\A", PARAGRAPH_END
    )
    raw_block = pl.col("block").str.replace(r"^\(?[Aa][\.\)][ \t]*", "")
    prose = raw_block.str.starts_with("REF") & (
        raw_block.str.extract(r"^([^\n]*)", 1).str.contains(r"[a-z]")
        | raw_block.str.contains(r"^REF(?:S|TELS?)?[ \t]+[A-Z]\)[\.,]")
    )
    # Bodies without a block are not worked on (null costs nothing).
    body = pl.when(pl.col("body").str.contains(START)).then(body)
    return (
        pages.with_columns(body.str.split(_BLOCK).list.slice(1).alias("block"))
        .drop("body")
        .explode("block")
        .filter(pl.col("block").is_not_null() & ~prose)
        .with_columns(
            pl.int_range(pl.len()).over("sha256").alias("block_no"),
            block.str.replace_all(_HIDE, "", literal=True)
            .str.replace_all(r"[\s¶]+", " ")
            .str.strip_chars()
            .str.replace(REF_WORD, ""),
        )
    )


def _items(blocks: pl.LazyFrame) -> pl.LazyFrame:
    """One row per item of the blocks, numbered by ``position`` within the page."""
    text = pl.col("block").str.replace_all(ABBREVIATION, "${1}" + _KEEP + ".${2}.")
    strong = text.str.contains(MARK)
    marked = (
        pl.when(strong)
        .then(text.str.replace_all(MARK, _SEP + "${0}" + _SEP))
        .when(text.str.contains(r"^[A-Z][ \t]"))
        .then(text.str.replace_all(WEAK_MARK, _SEP + "${0}" + _SEP))
        .otherwise(text)
    )
    piece = pl.col("piece")
    is_mark = pl.int_range(pl.len()).over("sha256", "block_no") % 2 == 1
    letter = piece.str.extract(r"([A-Za-z1-9])", 1).str.to_uppercase()
    ordinal = pl.when(pl.col("_mark")).then(letter.replace_strict(_ORDINAL, default=None, return_dtype=pl.Int32))
    # Letters must run in order: one is taken when it is at most one past the highest letter seen
    # before it, counting only letters that pass the same test against all earlier letters.
    seen = pl.col("_o").fill_null(-1).cum_max().shift(1).over("sha256").fill_null(-1)
    prelim = pl.when(pl.col("_o") <= pl.col("_seen") + 1).then(pl.col("_o"))
    seen_taken = pl.col("_pre").fill_null(-1).cum_max().shift(1).over("sha256").fill_null(-1)
    taken = (pl.col("_o") <= seen_taken + 1).fill_null(False)
    pieces = (
        blocks.with_columns(marked.str.split(_SEP).alias("piece"))
        .drop("block")
        .explode("piece")
        .with_columns(is_mark.alias("_mark"))
        .with_columns(ordinal.alias("_o"))
        .with_columns(seen.alias("_seen"))
        .with_columns(prelim.alias("_pre"))
        .with_columns(taken.alias("_taken"))
        .with_columns(
            pl.col("_taken").cum_sum().over("sha256", "block_no").alias("_item"),
            pl.when(pl.col("_taken")).then(letter).alias("letter"),
            pl.when(pl.col("_taken")).then(pl.lit("")).otherwise(piece).alias("piece"),
        )
    )
    items = pieces.group_by("sha256", "block_no", "_item", maintain_order=True).agg(
        pl.col("reference_id", "created_at").first(),
        pl.col("letter").drop_nulls().first(),
        pl.col("piece").str.join("").str.replace_all(_KEEP, "", literal=True),
    )
    # Text before the first letter, or a block without letters, is split at ``;``.
    raw = pl.col("raw").str.strip_chars(" \t;,:.-").str.replace(REF_WORD, "").str.strip_chars(" \t;,:.-")
    same_letter = pl.col("letter").is_not_null() & pl.col("raw").str.starts_with(pl.col("letter") + " ")
    key = pl.format("{}|{}", pl.col("letter").fill_null(""), pl.col("raw").str.to_uppercase())
    return (
        items.with_columns(
            pl.when(pl.col("_item") == 0)
            .then(pl.col("piece").str.split(";"))
            .otherwise(pl.concat_list(pl.col("piece")))
            .alias("raw")
        )
        .explode("raw")
        .with_columns(raw)
        .with_columns(pl.when(same_letter).then(pl.col("raw").str.slice(2)).otherwise(pl.col("raw")).alias("raw"))
        .filter(pl.col("raw").is_not_null() & (pl.col("raw") != ""))
        .with_columns(key.alias("_key"))
        .filter(pl.col("block_no") == pl.col("block_no").min().over("sha256", "_key"))
        .with_columns((pl.int_range(pl.len()).over("sha256") + 1).cast(pl.Int32).alias("position"))
        .select("sha256", "reference_id", "created_at", "position", "letter", "raw")
    )


def _normalised(raw: pl.Expr) -> pl.Expr:
    """An item in upper case without dates, markings and filler words; ``O``/``0`` mix-ups fixed."""
    return (
        raw.str.to_uppercase()
        .str.replace_all(DATE, " ~ ")
        .str.replace_all(MARKING, " ")
        .str.replace_all(NOISE, " ")
        .str.replace_all(r"(?-u:\b)O(\d)", "0${1}")
        .str.replace_all(r"(?-u:\b)0([A-Z]{2,})", "O${1}")
        .str.replace_all(r"([A-Z]{2,})0(?-u:\b)", "${1}O")
        .str.replace_all(r"(?-u:\b)([A-Z]{2,})0([A-Z]+)(?-u:\b)", "${1}O${2}")
        .str.replace_all(r"[ \t]+", " ")
        .str.strip_chars()
    )


def _cited(items: pl.LazyFrame) -> pl.LazyFrame:
    """One row per cited cable id per item (``position``, ``_order``, ``referenced_id``)."""
    created_year = pl.col("created_at").dt.year()
    chains = items.select(
        "sha256", "position", "created_at", "_norm", pl.col("_norm").str.extract_all(CHAIN).alias("_chain")
    ).explode("_chain")
    head = pl.col("_chain").str.extract_groups(HEAD)
    tokens = (
        chains.filter(pl.col("_chain").is_not_null())
        .with_columns(pl.int_range(pl.len()).over("sha256", "position").alias("_c"), head.alias("_h"))
        .unnest("_h")
        .with_columns(_origin(pl.col("o")).alias("_origin"), pl.col("tail").str.extract_all(TOKEN).alias("_tok"))
        .explode("_tok")
        .filter(pl.col("_tok").is_not_null())
        .with_columns(pl.int_range(pl.len()).over("sha256", "position", "_c").alias("_t"))
        .with_columns(pl.col("_tok").str.extract_groups(TOKEN_GROUPS).alias("_g"))
        .unnest("_g")
    )
    trail = _year(pl.coalesce("t1", "t2", "t3"))
    trail = pl.when(created_year.is_null() | (trail <= created_year)).then(trail)
    serial = pl.col("digits").cast(pl.Int64, strict=False)
    year = pl.coalesce(trail, _year(pl.coalesce("ym", "y")))
    report = pl.col("_norm").str.contains(REPORT_WORDS) & serial.is_between(1966, 2011) & year.is_null()
    ok = pl.col("_origin").is_not_null() & serial.is_between(1, 9_999_999) & ~report
    from_chains = tokens.filter(ok).select(
        "sha256",
        "position",
        (pl.col("_c") * 1000 + pl.col("_t")).alias("_order"),
        pl.col("_origin").alias("origin"),
        serial.alias("serial"),
        pl.coalesce(year, created_year).alias("year"),
    )
    # Items without a cited cable of their own: a serial before its origin, or a bare serial.
    found = from_chains.select("sha256", "position").unique()
    rest = items.join(found, on=["sha256", "position"], how="anti")
    plain = pl.col("_norm").str.replace(r"[ \t]*(?:AND PREVIOUS|ET SEQ)\.?$", "").str.strip_chars(" .,;")
    reversed_ = plain.str.extract_groups(REVERSED)
    bare = plain.str.extract_groups(BARE)
    # ``B. 2008``: a lone year, not a serial.
    b_s = pl.col("_b").struct.field("s")
    bare_year = (
        pl.col("_b").struct.field("y").is_null()
        & pl.col("_b").struct.field("t").is_null()
        & b_s.cast(pl.Int64, strict=False).is_between(1966, 2011)
    ).fill_null(False)
    fallback = rest.select(
        "sha256",
        "position",
        "reference_id",
        "created_at",
        reversed_.alias("_r"),
        bare.alias("_b"),
    ).with_columns(
        _station(pl.col("_r").struct.field("o")).alias("_r_origin"),
        pl.when(~bare_year).then(pl.col("_b").struct.field("s").cast(pl.Int64, strict=False)).alias("_b_serial"),
    )
    # A bare serial takes the origin of the page's previous cited cable, else the citing station.
    previous = pl.concat(
        [
            from_chains.group_by("sha256", "position").agg(pl.col("origin").sort_by("_order").last()),
            fallback.filter(pl.col("_r_origin").is_not_null()).select(
                "sha256", "position", pl.col("_r_origin").alias("origin")
            ),
        ]
    ).rename({"origin": "_previous"})
    own = _station(pl.col("reference_id").str.extract(r"^\d{2}([A-Z]+?)\d+$", 1))
    b_trail = _year(pl.col("_b").struct.field("t"))
    b_trail = pl.when(created_year.is_null() | (b_trail <= created_year)).then(b_trail)
    fallback = (
        fallback.join(previous, on=["sha256", "position"], how="full", coalesce=True)
        .sort("sha256", "position")
        .with_columns(pl.col("_previous").forward_fill().over("sha256"))
        .filter(pl.col("_r").is_not_null() | pl.col("_b").is_not_null())
        .filter(pl.col("_r_origin").is_not_null() | pl.col("_b_serial").is_not_null())
    )
    from_fallback = fallback.select(
        "sha256",
        "position",
        pl.lit(0, pl.Int64).alias("_order"),
        pl.coalesce("_r_origin", "_previous", own).alias("origin"),
        pl.coalesce(pl.col("_r").struct.field("s").cast(pl.Int64, strict=False), "_b_serial").alias("serial"),
        pl.coalesce(b_trail, _year(pl.col("_b").struct.field("y")), created_year).alias("year"),
    ).filter(pl.col("origin").is_not_null() & (pl.col("serial") > 0))
    ids = pl.concat([from_chains, from_fallback]).with_columns(
        pl.when(pl.col("year").is_not_null())
        .then(
            pl.format(
                "{}{}{}",
                (pl.col("year") % 100).cast(pl.String).str.zfill(2),
                pl.col("origin"),
                pl.col("serial").cast(pl.String),
            )
        )
        .alias("referenced_id")
    )
    # A cable does not cite itself: its own id in a block is a page header (``TRIPOLI 00000402``).
    citing = items.select("sha256", "position", pl.col("reference_id").alias("_citing"))
    return (
        ids.join(citing, on=["sha256", "position"], how="left")
        .filter(pl.col("referenced_id").is_not_null() & (pl.col("referenced_id") != pl.col("_citing")).fill_null(True))
        .sort("sha256", "position", "_order")
        .unique(["sha256", "position", "referenced_id"], keep="first", maintain_order=True)
        .select(
            "sha256",
            "position",
            (pl.int_range(pl.len()).over("sha256", "position") + 1).cast(pl.Int32).alias("part"),
            "referenced_id",
        )
    )


def _kind(raw: pl.Expr, referenced_id: pl.Expr) -> pl.Expr:
    """``cable`` when an id was read, else the first kind whose words the item has, else ``other``."""
    out = pl.when(referenced_id.is_not_null()).then(pl.lit("cable"))
    for kind, pattern in _KIND_WORDS:
        out = out.when(raw.str.contains(pattern)).then(pl.lit(kind))
    return out.otherwise(pl.lit("other"))


def reference(versions: pl.LazyFrame, release_ids: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per item of the REF block per cable page, with the cited cable's id when it is one.

    Every REF block of the page is read; an item citing several cables gives one row per cited id
    (``part`` 1, 2, ...), so ``(sha256, position, part)`` is unique. ``release_ids``
    (``reference_id`` of every cable of the full release, each once) gives ``in_release``; null when it is
    not given or the item is not a cable.
    """
    pages = versions.select(
        "sha256", "reference_id", "created_at", "body", pl.int_range(pl.len()).alias("_page")
    ).unique("sha256", keep="first", maintain_order=True)
    order = pages.select("sha256", "_page")
    items = _items(_blocks(pages.drop("_page"))).with_columns(_normalised(pl.col("raw")).alias("_norm"))
    # The items feed four branches of the plan below; reading them once halves the cost.
    items = items.collect(engine=BATCH_ENGINE).lazy()
    cited = _cited(items)
    out = (
        items.join(cited, on=["sha256", "position"], how="left")
        .join(order, on="sha256", how="left")
        .sort("_page", "position", "part", nulls_last=False)
        .select(
            "sha256",
            "reference_id",
            "position",
            pl.col("part").fill_null(1).cast(pl.Int32),
            "letter",
            _kind(pl.col("raw"), pl.col("referenced_id")).alias("kind"),
            "raw",
            "referenced_id",
        )
    )
    if release_ids is None:
        return out.with_columns(pl.lit(None, pl.Boolean).alias("in_release"))
    known = release_ids.select(pl.col("reference_id").alias("referenced_id"), pl.lit(True).alias("in_release"))
    in_release = pl.when(pl.col("referenced_id").is_not_null()).then(pl.col("in_release").fill_null(False))
    return out.join(known, on="referenced_id", how="left", maintain_order="left").with_columns(in_release)
