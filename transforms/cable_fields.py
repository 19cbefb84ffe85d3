"""Expressions for cable-level fields of the body: ids, classification authority, summary, comment."""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl
import titlecase as _tc
from titlecase import titlecase

from transforms.acronym_vocabulary import ACRONYMS
from transforms.id_vocabulary import ID_FIXES, STATION_FIXES
from transforms.spans import between

# ``09SECTION01OF03SANJOSE525``: a section marker glued between the year and the station.
_GLUED_SECTION = r"^(\d{2})[A-Z]{3,8}\d{1,2}OF\d{1,2}([A-Z])"
_ID_PARTS = r"^(?P<yy>\d{2})(?P<station>[A-Z]+?)0*(?P<serial>\d+)$"


def canonical_id(reference_id: pl.Expr) -> pl.Expr:
    """The valid id a printed id stands for: known fixes, glued section markers, station spellings.

    ``09SECTION01OF03SANJOSE525`` -> ``09SANJOSE525``, ``05RIO123`` -> ``05RIODEJANEIRO123``;
    an id that cannot be read is returned as printed.
    """
    cleaned = (
        reference_id.str.to_uppercase()
        .str.replace_all("-", "")
        .str.replace(_GLUED_SECTION, "${1}${2}")
        .str.replace(r"^(\d{2})EMBASSY", "${1}")
    )
    parts = cleaned.str.extract_groups(_ID_PARTS)
    station = parts.struct.field("station")
    rebuilt = pl.concat_str(parts.struct.field("yy"), station.replace(STATION_FIXES), parts.struct.field("serial"))
    return (
        pl.when(reference_id.is_in(list(ID_FIXES)))
        .then(reference_id.replace(ID_FIXES))
        .when(station.is_not_null())
        .then(rebuilt)
        .otherwise(reference_id)
    )


# ``Classified By: <who> for reasons 1.4 (b) and (d)``; who ends at the reasons, a blank line or
# the first paragraph.
CLASSIFIED_BY = (
    r"(?is)CLASSIFIED\s+BY\s*:?\s*(?P<who>.*?)\s*[,.;:]?\s*"
    r"(?:(?-u:\b)(?:FO?R|OR|PER|UNDER)(?-u:\b)\s+(?:R\s*E\s*A|1\.|SECTION|E\.?\s?O)|(?-u:\b)R\s*E\s*A\s*S\s*O\s*N"
    r"|(?-u:\b)E\.?\s?O\.?\s+1|(?-u:\b)1\.\s*\d(?-u:\b)|\n\s*\n|\n\s*\d{1,2}\.|\z)"
)
REASONS = r"(?is)(?-u:\b)REASONS?(?-u:\b)\s*:?\s*(.{0,60})"
# Words of titles, matched on their first five letters so typos (``Ambassaor``) still match.
_TITLE_WORDS = [
    "acting",
    "ambassador",
    "assistant",
    "attache",
    "charge",
    "chief",
    "commercial",
    "consul",
    "consular",
    "counselor",
    "counsellor",
    "deputy",
    "director",
    "division",
    "econ",
    "economic",
    "embassy",
    "envoy",
    "environment",
    "executive",
    "financial",
    "foreign",
    "general",
    "head",
    "interim",
    "internal",
    "labor",
    "labour",
    "management",
    "manager",
    "mission",
    "minister",
    "office",
    "officer",
    "political",
    "principal",
    "public",
    "regional",
    "representative",
    "secretary",
    "section",
    "security",
    "senior",
    "special",
    "advisor",
    "adviser",
    "affairs",
    "unit",
    "institutional",
    "coordinator",
    "leader",
    "econcouns",
    "polcouns",
    "classified",
    "governance",
    "provincial",
    "interagency",
    "ambassadorial",
    "excellency",
    "undersecretary",
    "spokesman",
    "d'affaires",
    "lead",
    "team",
    "permanent",
    "chargé",
    "military",
    "defense",
    "defence",
    "science",
    "health",
    "treasury",
    "agricultural",
    "attaché",
    "information",
    "resident",
    "legal",
    "program",
    "programme",
    "country",
    "desk",
    "a.i.",
    "ai",
    "pol/econ",
]
_TITLE_PREFIXES = sorted({w[:5] for w in _TITLE_WORDS})
_TITLE_ACRONYMS = [
    "DCM",
    "CDA",
    "COM",
    "MC",
    "POL",
    "ECON",
    "POLOFF",
    "ECONOFF",
    "PAO",
    "RSO",
    "DATT",
    "AF",
    "USUN",
    "DAS",
    "PDAS",
    "ARSO",
    "PRT",
    "CG",
    "PO",
    "DPO",
    "NEA",
    "EUR",
    "WHA",
]


_TITLE_SHORT = {
    "dir",
    "min",
    "coun",
    "pol",
    "econ",
    "a.i",
    "ai",
    "by",
    "to",
    "of",
    "for",
    "and",
    "the",
    "in",
    "on",
    "at",
}
_SUFFIXES = {"JR", "SR", "II", "III", "IV"}


def _is_title_word(token: str) -> bool:
    word = token.strip(".,:;()").lower()
    return (
        not any(c.isalpha() for c in word)
        or word in _TITLE_SHORT
        or (len(word) >= 4 and word[:5] in _TITLE_PREFIXES)
        or token.strip(".,:;()").upper() in _TITLE_ACRONYMS
    )


def _is_initial(token: str) -> bool:
    return len(token) <= 2 and token.endswith(".") and token[0].isalpha()


def _name_in(part: str) -> str | None:
    """The trailing run of name words of one comma-separated part: ``Ambassador Gene A. Cretz``."""
    tokens = part.split()
    suffix = None
    if tokens and tokens[-1].strip(".~").upper() in _SUFFIXES:
        suffix = tokens.pop()
    run: list[str] = []
    for token in reversed(tokens):
        if _is_title_word(token):
            break
        run.insert(0, token.strip(",;:-"))
    run = [t for t in run if t]
    if len(run) >= 3 and not (_is_initial(run[-2]) or _is_initial(run[-3])):
        run = run[-2:]  # ``TO SUDAN TIMOTHY CARNEY``, ``ECONCOUNS STUART DWYER``: keep first and last name
    run = run[-3:]
    if not run or (len(run) == 1 and len(run[0].strip(".")) < 3):
        return None
    name = " ".join(run).strip(" .-")
    if suffix:
        # As printed: ``WITHERS II``; ``SIMONS, JR.`` and ``Baltimore, III`` kept their comma.
        bare = suffix.lstrip("~")
        bare = bare if bare.upper().startswith(("JR", "SR")) else bare.rstrip(".")
        name += (", " if suffix.startswith("~") else " ") + bare
    return name


def classifier_name_of(who: str | None) -> str | None:
    """The person who classified the cable, from the text after ``Classified By``."""
    if not who:
        return None
    text = re.sub(r"\([^)]*\)", " ", who.replace("\\", ""))
    text = re.sub(r"[/:]", " ", text)
    text = re.sub(r",\s*(JR|SR|II|III|IV)\b(\.?)", r" ~\1\2", text, flags=re.I)
    for part in text.split(","):
        name = _name_in(" ".join(part.split()))
        if name:
            return name
    return None


def classifier_name(who: pl.Expr) -> pl.Expr:
    """The person in a ``Classified By`` text: the name after the title (one row at a time)."""
    return who.map_elements(classifier_name_of, return_dtype=pl.String, skip_nulls=True)


def classification_reasons(body: pl.Expr) -> pl.Expr:
    """The E.O. sections given as reasons, as ``1.4 (b), (d)``; null when none is printed."""
    text = body.str.extract(REASONS, 1).str.replace(r"(?s)\n\s*(?:\n|\d{1,2}\.).*$", "")
    section = text.str.extract(r"(1\.\s*[45])", 1).str.replace_all(r"\s", "")
    tail = text.str.replace(r"^.*?1\.\s*[45]", "")
    letters = tail.str.extract_all(r"(?:^|[\s(,/&])\(?[a-hA-H]\)?(?:$|[\s),./&])").list.eval(
        pl.format("({})", pl.element().str.extract(r"([a-hA-H])", 1).str.to_lowercase())
    )
    joined = letters.list.unique(maintain_order=True).list.join(", ")
    return pl.when(section.is_not_null()).then(pl.concat_str(section, pl.lit(" "), joined).str.strip_chars())


DECLASSIFY = r"(?i)(?-u:\b)DECL(?:ASSIFY)?(?:\s+ON)?\s*:?\s*(\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4})"


def declassify_on(body: pl.Expr) -> pl.Expr:
    """The E.O. 12958/13526 declassification date (``DECL: 11/22/2012``); null when not a real date."""
    raw = body.str.extract(DECLASSIFY, 1).str.replace_all(r"[.\-]", "/")
    return (
        pl.when(raw.str.contains(r"^\d{1,2}/\d{1,2}/\d{4}$"))
        .then(raw.str.to_date("%m/%d/%Y", strict=False))
        .when(raw.str.contains(r"^\d{4}/\d{1,2}/\d{1,2}$"))
        .then(raw.str.to_date("%Y/%m/%d", strict=False))
        .when(raw.str.contains(r"^\d{1,2}/\d{1,2}/\d{2}$"))
        .then(raw.str.to_date("%m/%d/%y", strict=False))
    )


_MARK = r"(?:\([A-Z/ ]{1,12}\)[ \t]*)"
_NUMBER = r"(?:¶?\d{1,2}\.[ \t]*)"


def _marked_section(body: pl.Expr, word: str) -> pl.Expr:
    """Text after a ``WORD`` heading up to ``END WORD``, else to the next blank line.

    The heading may be ``1. (C) Summary:``, ``SUMMARY AND COMMENT:``, ``------- SUMMARY -------``
    or ``Summary =======``; without one, text from paragraph 1 to an ``END SUMMARY`` counts.
    Paragraph numbers and portion markings inside are dropped, blank lines become line breaks.
    """
    joined = rf"(?:[ \t]*(?:AND|&|/)[ \t]*(?:COMMENT|ACTION REQUEST|INTRODUCTION|TABLE OF CONTENTS|{word}))?"
    heading = (
        rf"(?is)(?:^|\n)[ \t\-=]*{_NUMBER}?{_MARK}?{word}(?-u:\b){joined}[ \t]*[.:\-=‐]*[ \t\-=‐]*"
        r"(?:\n[ \t\-=‐]*(?:\n|$))*[ \t]*"
    )
    end = rf"[ \t]*(?-u:\b)END[ \t\n]+(?:OF[ \t]+)?{word}(?-u:\b)"
    first = rf"(?is)(?:^|\n)[ \t]*1\.[ \t]*{_MARK}?"
    # Only bodies that hold the word are searched (the others become null, which costs nothing).
    body = pl.when(body.str.contains(rf"(?i){word}")).then(body)
    ended = pl.when(body.str.contains(rf"(?i)END[ \t\n]+(?:OF[ \t]+)?{word}")).then(body)
    to_end = between(ended, heading, end)
    to_blank = between(body, heading, r"(?:\n[ \t]*\n|\z)")
    from_first = between(ended, first, end)
    text = pl.coalesce(to_end, to_blank, from_first)
    text = (
        text.str.replace(rf"^[\s\-=‐]*{_NUMBER}?{_MARK}?(?i:{word}[ \t]*[.:]+[ \t]*)?{_MARK}?", "")
        .str.replace_all(rf"\n[ \t]*\n\s*{_NUMBER}?{_MARK}?", "\n")
        .str.strip_chars()
    )
    return text.replace("", None)


def summary(body: pl.Expr) -> pl.Expr:
    """The cable's summary: SUMMARY .. END SUMMARY, else the summary paragraph."""
    return _marked_section(body, "SUMMARY")


def comment(body: pl.Expr) -> pl.Expr:
    """The cable's comment: COMMENT .. END COMMENT, else the comment paragraph."""
    return _marked_section(body, "COMMENT")


def section_count(body: pl.Expr) -> pl.Expr:
    """How many sections the cable was sent in (``SECTION 01 OF 03`` -> 3); 1 when not split."""
    count = body.str.extract(r"(?i)(?-u:\b)SECTION\s+0*\d{1,2}\s+OF\s+0*(\d{1,2})(?-u:\b)", 1).cast(
        pl.Int16, strict=False
    )
    return count.fill_null(1)


# Short words never taken for acronyms standing alone (``IN``, ``US``): titlecase's small words
# plus common short words that the acronym list also holds.
_SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "en", "for", "if", "in", "of", "on", "or", "the", "to"}
_SMALL_WORDS |= {"v", "via", "vs", "with", "is", "it", "be", "we", "us", "no", "so", "up", "do", "go", "me", "my"}


def _acronym_part(part: str, compound: bool = False) -> str | None:
    """``GOL'S`` -> ``GOL's``, ``PNG'ING`` -> ``PNG'ing``, ``D'IVOIRE`` -> ``D'Ivoire``; None if no rule.

    Inside a compound (``US-EU``) a small word such as ``US`` is an acronym too.
    """
    if re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]?", part):
        return part.upper()
    match = re.fullmatch(r"([A-Za-z]+)(['’][A-Za-z]+)?", part)
    if not match:
        return None
    stem, tail = match.group(1), match.group(2) or ""
    if stem.upper() in ACRONYMS and (compound or stem.lower() not in _SMALL_WORDS):
        return stem.upper() + tail.lower()
    if len(stem) == 1 and len(tail) > 2:
        return stem.upper() + tail[0] + tail[1:].capitalize()
    return None


def _keep_acronym(word: str, **_: object) -> str | None:
    """titlecase callback: keep acronyms upper case, also inside ``DROC--VATICAN`` or ``EX-IM``."""
    return _acronym_word(word)


@lru_cache(maxsize=65536)
def _acronym_word(word: str) -> str | None:
    """``_keep_acronym`` of one word; the same words recur across subjects, so it is cached."""
    core = word.strip("\"'()[]:;,.?!“”‘’")
    pieces = re.split(r"(--|-|/)", core)
    done = [_acronym_part(p, compound=len(pieces) > 1) for p in pieces]
    if not any(done):
        return None
    rebuilt = "".join(d or (p if p in ("--", "-", "/") else p.capitalize()) for p, d in zip(pieces, done, strict=True))
    return word.replace(core, rebuilt)


def title_of(subject: str | None) -> str | None:
    """A subject in title case, acronyms kept: ``MISSILE ... (MTCR)`` -> ``Missile ... (MTCR)``.

    The result of ``titlecase(subject, callback=_keep_acronym)`` on a one-line subject, built word
    by word: titlecase treats each word alone given whether the whole line is in capitals, then
    fixes the first and last word and small words after punctuation. The words are cached, so
    a subject costs a few dictionary lookups and three regex passes instead of titlecase's
    dozen per word.
    """
    if not subject or "\n" in subject or "\r" in subject or "\t" in subject:
        return titlecase(subject, callback=_keep_acronym) if subject else subject
    all_caps = subject.upper() == subject
    words = subject.split(" ")
    line = [_word_title(word, all_caps) for word in words]
    if line:
        if not _acronym_word(words[0]):
            line[0] = _tc.SMALL_FIRST.sub(lambda m: m.group(1) + m.group(2).capitalize(), line[0])
        if not _acronym_word(words[-1]):
            line[-1] = _tc.SMALL_LAST.sub(lambda m: m.group(0).capitalize(), line[-1])
    return _tc.SUBPHRASE.sub(lambda m: m.group(1) + m.group(2).capitalize(), " ".join(line))


@lru_cache(maxsize=262144)
def _word_title(word: str, all_caps: bool) -> str:
    """titlecase's treatment of one word in the middle of a line (in capitals or not)."""
    # Between two acronyms the callback keeps (cached, so cheap) the word is neither first nor
    # last, and the line is in capitals exactly when the subject is.
    anchor = "NATO" if all_caps else "nato"
    return titlecase(f"{anchor} {word} {anchor}", callback=_keep_acronym)[5:-5]


def _titles(subjects: pl.Series) -> pl.Series:
    distinct = subjects.drop_nulls().unique()
    titles = {s: title_of(s) for s in distinct.to_list()}
    return subjects.replace_strict(titles, default=None, return_dtype=pl.String)


def subject_title(subject: pl.Expr) -> pl.Expr:
    """The subject in title case for display (titlecase, with cablemap's acronym list).

    titlecase runs once per distinct subject of a batch: versions of a cable share theirs.
    """
    return subject.map_batches(_titles, return_dtype=pl.String)
