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
    r"(?is)CLASSIFIED\s+BY(?:\s*:\s*|\s+)(?P<who>.*?)\s*[,.;:]?\s*"
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
    """The person who classified the cable, from the text after ``Classified By``; None when it
    names no person (``Derived from Multiple Sources``)."""
    if not who or re.search(r"(?i)multiple\s+sources|derived\s+from", who):
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


# Where the reasons are given: the Classified By line (its first 400 characters), else a REASON label.
_REASONS_AT = r"(?i)CLASSIFIED\s+BY(?:\s*:|\s)"
_REASON_LABEL_AT = r"(?i)(?-u:\b)R\s?E\s?A\s?S\s?O\s?N\s?S?(?-u:\b)"


def window_at(text: pl.Expr, pattern: str, chars: int) -> pl.Expr:
    """The ``chars`` characters of ``text`` from the first match of ``pattern`` (null when none).

    Found by a search without captures and cut by position: many times as fast as extracting
    ``pattern.{0,chars}`` (``str.find`` gives a byte offset, so the cut is made on the bytes,
    at the match: a character boundary)."""
    start = text.str.find(pattern)
    return text.cast(pl.Binary).bin.slice(start).cast(pl.String).str.slice(0, chars)


_REASONS_END = re.compile(r"\n[ \t]*\n|\n[ \t]*¶?\d{1,2}[ \t]*\.[ \t]*[(A-Z]|[ \t]¶?\d{1,2}\.[ \t]*\([A-Za-z]|¶")
_SECTION = re.compile(r"(?<![\d.])1[ \t]*\.\s*([45])(?!\d)")
_REASON_WORD = re.compile(r"(?i)R\s?E\s?A\s?S\s?O\s?N\s?S?\b|REA\s+SONS?\b")
# The letters after the section: ``(b), (d)``, ``(B,D)``, ``B/D``, ``b and d``, ``(b/ d)``, ``(B) AND (D)``.
_LETTERS_RUN = re.compile(
    r"(?i)^[\s:,(]*((?:\(?[a-h](?![a-z])\)?(?:[\s,/&]|a[ \t]?n[ \t]?d(?=[\s(])|$|\.(?=\s|$)|\)|\()*)+)"
)
_LETTER = re.compile(r"(?i)(?<![a-z])([a-h])(?![a-z])")


def reasons_of(window: str | None) -> str | None:
    """``1.4 (b), (d)`` from the text of a Classified By line (or what follows a REASON label);
    ``(b), (d)`` when letters are given without a section; None when neither is."""
    if not window:
        return None
    end = _REASONS_END.search(window, 1)
    text = window[: end.start()] if end else window
    section = _SECTION.search(text)
    if section:
        tail, label = text[section.end() :], f"1.{section.group(1)}"
    else:
        word = _REASON_WORD.search(text)
        if not word:
            return None
        tail, label = text[word.end() :], ""
    run = _LETTERS_RUN.match(tail)
    letters: list[str] = []
    for letter in _LETTER.findall(run.group(1) if run else ""):
        if letter.lower() not in letters:
            letters.append(letter.lower())
    if not label and not letters:
        return None
    return " ".join(part for part in (label, ", ".join(f"({x})" for x in letters)) if part)


def classification_reasons(body: pl.Expr) -> pl.Expr:
    """The E.O. sections given as reasons, as ``1.4 (b), (d)``; null when none is printed."""
    # The Classified By line first; a REASON label on a line of its own when that line gives none.
    windows = pl.struct(
        window_at(body, _REASONS_AT, 420).alias("line"), window_at(body, _REASON_LABEL_AT, 220).alias("label")
    )
    return windows.map_batches(_reasons_of_windows, return_dtype=pl.String)


def _reasons_of_windows(windows: pl.Series) -> pl.Series:
    return pl.Series([reasons_of(w["line"]) or reasons_of(w["label"]) for w in windows.to_list()], dtype=pl.String)


DECLASSIFY = (
    r"(?i)(?:(?-u:\b)DECL(?:ASSIFY)?(?:\s+ON)?\s*:?|(?-u:\b)E\.?[ \t]?O\.?[ \t]*1[23]\d{3}[ \t]*:)"
    r"\s*(\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4})"
)


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


_MARK = r"(?:\([A-Za-z/ ,]{1,30}\)[ \t]*)"
_NUMBER = r"(?:¶?\d{1,2}\.[ \t]*)"


def _marked_section(body: pl.Expr, word: str) -> pl.Expr:
    """Text after a ``WORD`` heading up to ``END WORD``, else to the next blank line.

    The heading may be ``1. (C) Summary:``, ``SUMMARY AND COMMENT:``, ``------- SUMMARY -------``
    or ``Summary =======``; without one, text from paragraph 1 to an ``END SUMMARY`` counts.
    Paragraph numbers and portion markings inside are dropped, blank lines become line breaks.
    """
    joined = rf"(?:[ \t]*(?:AND|&|/)[ \t]*(?:COMMENT|ACTION REQUEST|INTRODUCTION|TABLE OF CONTENTS|{word}))?"
    heading = (
        rf"(?is)(?:(?:^|\n)[ \t\-=]*{_NUMBER}?{_MARK}?|[ \t]{_NUMBER}{_MARK}?)(?:BEGIN[ \t]+)?{word}(?-u:\b){joined}"
        r"[ \t]*[.:\-=‐]*[ \t\-=‐]*"
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
        text.str.replace(rf"^[\s\-=‐]*{_NUMBER}?{_MARK}?(?i:(?:BEGIN[ \t]+)?{word}[ \t]*[.:]+[ \t]*)?{_MARK}?", "")
        .str.replace_all(rf"\n[ \t]*\n\s*{_NUMBER}?{_MARK}?", "\n")
        .str.strip_chars()
    )
    return text.replace("", None)


def summary(body: pl.Expr) -> pl.Expr:
    """The cable's summary: SUMMARY .. END SUMMARY, else the summary paragraph."""
    return _marked_section(body, "SUMMARY")


# A comment heading: at a line start, after a sentence end or two blanks (paragraphs printed
# inline), maybe under a banner of dashes, after a paragraph number and marking, with a qualifier
# (``Embassy Comment``, ``Ambassador's Comment``); ``Comment`` capitalised, so a wrapped
# "... declined to\ncomment." is none, and never inside brackets: "(Comment: ...)" is an aside.
_COMMENT_HEADING = (
    r"(?s)(?:^|\n|[.!?\"”:][ \t]+|[^\s(][ \t]{2,})[ \t]*(?:-{3,}[ \t]*)?(?:¶?[ \t]*\d{1,3}[ \t]*\.[ \t]*)?"
    r"(?:\([A-Za-z/ ,]{1,30}\)[ \t]*)?(?:(?i:Embassy|Ambassador'?s|Post|Mission|Begin|Septel)[ \t]+)?"
    r"(?:COMMENTS?|Comments?)(?:[ \t]+AND[ \t]+ACTION[ \t]+REQUEST)?(?:[ \t]*[:.\-=]|[ \t]*\n|[ \t]{2})"
)
# The same heading, found word first (the regex above scans every position of a window): the
# word, then what must stand before it (up to the line or sentence start) and after it.
_HEAD_WORD = re.compile(r"COMMENTS?|Comments?")
_HEAD_BEFORE = re.compile(
    r"(?:^|\n|[.!?\"”:][ \t]+|[^\s(][ \t]{2,})[ \t]*(?:-{3,}[ \t]*)?(?:¶?[ \t]*\d{1,3}[ \t]*\.[ \t]*)?"
    r"(?:\([A-Za-z/ ,]{1,30}\)[ \t]*)?(?:(?i:Embassy|Ambassador'?s|Post|Mission|Begin|Septel)[ \t]+)?$"
)
_HEAD_AFTER = re.compile(r"(?:[ \t]+AND[ \t]+ACTION[ \t]+REQUEST)?(?:[ \t]*[:.\-=]|[ \t]*\n|[ \t]{2})")


def _headings(window: str):
    """(start, end) of each comment heading of ``window``, in order."""
    for word in _HEAD_WORD.finditer(window):
        before = _HEAD_BEFORE.search(window, max(0, word.start() - 80), word.start())
        after = _HEAD_AFTER.match(window, word.end())
        if before and after:
            yield before.start(), after.end()


_TITLE_UNDER = re.compile(r"^[ \t]*([^\n]{0,120})\n[ \t]*[-=]{3,}[- \t=]*(?:\n|$)")
_DASHES = re.compile(r"^[\s\-=]*")
# Searched in the upper-cased text, so the regex opens with a literal (a fast scan); the ``(`` or
# dashes before it are taken back by hand (``_end_comment``).
_END_COMMENT = re.compile(r"END[ \t\n]+(?:OF[ \t]+)?COMMENT\b")
_BEFORE_END = re.compile(r"\(?(?:-{2,}[ \t]*)?$")


def _end_comment(text: str) -> int | None:
    """Where ``END COMMENT`` (any case, maybe ``(End comment`` or ``-- END COMMENT``) starts."""
    upper = text.upper()
    if len(upper) != len(text):  # a character that upper-cases to two (ß): positions would shift
        found = re.compile(_END_COMMENT.pattern, re.I).search(text)
    else:
        found = _END_COMMENT.search(upper)
    if found is None:
        return None
    before = _BEFORE_END.search(text, max(0, found.start() - 12), found.start())
    return before.start() if before else found.start()


_NEXT_PART = re.compile(r"\n[ \t]*\n|\n[ \t]*¶?\d{1,3}[ \t]*\.[ \t]|[ \t]{2}¶?\d{1,3}\.[ \t]*\(")
_PAGE_MARKER_LINE = re.compile(
    r"^\s*[A-Z][A-Z \t]*[ \t]0{2,}\d+[ \t]+\d{3}(?:\.\d)?(?:[ \t]+OF[ \t]+\d{3})?[ \t]*\n\s*"
)
_REPEATED = re.compile(r"^(?:COMMENTS?|Comments?)[ \t]*[:.\-][ \t]*")
_LEAD = re.compile(r"^[ \t]*(?:¶?\d{1,3}\.[ \t]*)?(?:\([A-Za-z/ ,]{1,30}\)[ \t]*)?")


def comment_of(window: str | None) -> str | None:
    """The comment's text from the window that starts at its first heading: a title under the
    heading (``COMMENT: NEED TO SAVE FACE`` underlined) and banners dropped, up to ``END COMMENT``,
    else to the next blank line or numbered paragraph. A comment opened inside a paragraph and
    closed by ``End Comment`` (``... said. Comment: ... End Comment.``) is an aside: a later
    comment heading wins over it."""
    aside = None
    for head_start, head_end in _headings(window or ""):
        if re.search(r"(?i)end[ \t\n]*$", window[max(0, head_start - 8) : head_start + 1]):
            continue  # ``End\nComment.``
        text = window[head_end:]
        titled = _TITLE_UNDER.match(text)
        if titled:
            text = text[titled.end() :]
        text = _DASHES.sub("", text) if text.lstrip().startswith(("-", "=")) else text.lstrip(" \t\n:.-=")
        text = _REPEATED.sub("", _LEAD.sub("", _PAGE_MARKER_LINE.sub("", text)))
        end = _end_comment(text)
        stop = _NEXT_PART.search(text)
        closed = end is not None and (stop is None or end < stop.start())
        text = (text[:end] if closed else text[: stop.start()] if stop else text).strip(" \t\n(")
        if not text or text.startswith(")"):
            continue
        inline = re.match(r"[.!?\"”:][ \t]|[^\s(][ \t]{2}", window[head_start : head_start + 3]) is not None
        if inline and closed:
            aside = aside or text
            continue
        return text
    return aside


def comment(body: pl.Expr) -> pl.Expr:
    """The cable's comment: the first comment heading's text (not an aside in brackets) to END COMMENT,
    else to the next blank line or numbered paragraph."""
    window = window_at(body, _COMMENT_HEADING, 8000)
    return window.map_elements(comment_of, return_dtype=pl.String, skip_nulls=True)


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


# ---- the signer: the name the cable ends with ----------------------------------------------------
# Lines after the signature that are not the cable's: end-of-message marks, classification lines,
# release stamps, page markers, a record's footer, the "Visit ... Classified Website" banner and
# its URL, redactions, punctuation left over.
_TRAILER_LINE = re.compile(
    r"(?i)^(?:NNNN|BT|END(?:[ \t]+OF)?[ \t]+CABLE(?:[ \t]+TEXT)?|=+[ \t]*CABLE[ \t]+ENDS[ \t]*=+|UNCLASSIFIED|UNCLAS"
    r"|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE|NOFORN|SIPDIS|NOTE(?:\b|:)[^\n]*|Declassified/Released[^\n]*"
    r"|Review[ \t]+\d{1,2}[ \t]+[A-Z]{3}[ \t]+\d{4}|PAGE[ \t]+\d+[^\n]*|\d{4}[A-Z]{5,}\d+[^\n]*"
    r"|[A-Z][A-Z \t]*[ \t]0{3,}\d+[ \t]+\d{3}(?:\.\d)?(?:[ \t]+OF[ \t]+\d{3})?[ \t]*|-[ \t]*Classification:[^\n]*"
    r"|\"?[ \t]*(?-i:Visit)[ \t][^\n]*(?:Web[ \t]?site|http)[^\n]*|[^\n]*(?:https?://|intelink|Portal:|wiki/)[^\n]*"
    r"|[xX]{4,}|(?-i:[A-Z0-9][A-Z0-9 ,'/\-]*\.\.\.)|[.\->\"'”“#*=_ \t]*)$"
)
_TRAILING_IN_LINE = re.compile(
    r"(?i)(?:[ \t]+(?:\d+[ \t]+)?\d{1,2}/\d{1,2}/\d{2,4}|[ \t]+\d{4}-\d\d-\d\d"
    r"|[ \t]+[A-Z][A-Z \t]*[ \t]0{3,}\d+[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}|[ \t]*[#\"”]+)[ \t]*$"
)
_PARTICLE = r"(?:van|von|de|del|della|da|di|du|la|le|St\.?)"
_NAME_WORD = r"(?:[A-Z][A-Za-z'\-]+|[A-Z]\.)"
# A name alone on the last line: ``FENDRICK``, ``van Voorst``, ``Ricciardone``, ``Mc Cormack``.
_NAME_LINE = re.compile(
    rf"^(?:[xX]{{4,}}[ \t]+)*(?P<name>(?:{_PARTICLE}[ \t]+)?{_NAME_WORD}"
    rf"(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_NAME_WORD}){{0,2}})$"
)
# A name glued to the last sentence: ``... end comment.GODFREY``, ``... End note.) Scobey``,
# ``... upon request. CLINTON``, ``... 2009. XXXXXXXXXXXX  ROEMER``.
_GLUED_CAPS = re.compile(
    r"(?:[.!?”\")\]*]|[xX]{4,}|[ \t]{2,})[ \t]*(?P<name>(?!X{4})[A-Z][A-Z'\-]{2,}(?:[ \t]+(?!X{4})[A-Z][A-Z'\-]{2,})?)$"
)
_GLUED_MIXED = re.compile(
    rf"(?:[.!?”\")\]*]|[xX]{{4,}}|[ \t]{{2}})[ \t]+(?P<name>(?:{_PARTICLE}[ \t]+)?[A-Z][a-z][A-Za-z'\-]+"
    r"(?:[ \t]+[A-Z][a-z][A-Za-z'\-]+)?)$"
)
_PLAIN_NAME = re.compile(r"[A-Z][A-Z'\-]{2,20}")
# Words that end cables without being names.
NOT_SIGNERS = {
    "NNNN", "BT", "SIPDIS", "UNCLASSIFIED", "UNCLAS", "CONFIDENTIAL", "SECRET", "NOFORN", "END", "TEXT", "COMMENT",
    "SUMMARY", "THANKS", "THANK YOU", "REGARDS", "BEST", "NOTE", "CABLE", "ENDS", "SBU", "FOUO", "XXXXXXXXXXXX",
    "EXDIS", "NODIS", "LIMDIS", "DECL", "TAGS", "SUBJECT", "REF", "STATE", "AMEMBASSY",
}  # fmt: skip


def signer_of(body: str | None) -> str | None:
    """The name a cable body ends with, after its trailers (see ``_TRAILER_LINE``); None when the
    body ends with anything else."""
    if not body:
        return None
    end = body.rstrip()
    plain = _PLAIN_NAME.fullmatch(end[end.rfind("\n") + 1 :].strip())
    if plain and plain.group(0) not in NOT_SIGNERS:  # most cables end with the name alone: ``STEVENS``
        return plain.group(0)
    lines = body[-700:].replace("\r", "").split("\n")
    while lines and _TRAILER_LINE.match(lines[-1].strip()):
        lines.pop()
    if not lines:
        return None
    # Only the end of the last line can hold the name (a one-line body's last line is the body).
    last = lines[-1].strip()[-160:]
    for _ in range(3):  # what trails a name is short: only the line's end is searched
        head, tail = last[:-90], last[-90:]
        shorter = (head + _TRAILING_IN_LINE.sub("", tail)).strip()
        if shorter == last:
            break
        last = shorter
    if last.endswith(".") and last[:-1].isupper():  # ``STEVENS.``; a mixed-case word with a period ends a sentence
        last = last[:-1].strip()
    for pattern in (_NAME_LINE, _GLUED_CAPS, _GLUED_MIXED):
        match = pattern.search(last) if pattern is not _NAME_LINE else pattern.match(last)
        if match:
            name = " ".join(match.group("name").split())
            if name.upper() in NOT_SIGNERS or any(w in NOT_SIGNERS for w in name.upper().split()):
                return None
            return name
    return None


def signer(body: pl.Expr) -> pl.Expr:
    """The signer of each body (``signer_of``), read from its last 700 characters; a body whose last
    line is a name alone (most) is read in Polars, the rest in Python."""
    plain = body.str.extract(r"(?:^|\n)[ \t]*(" + _PLAIN_NAME.pattern + r")\s*$", 1)
    plain = pl.when(plain.is_in(sorted(NOT_SIGNERS)).not_()).then(plain)
    rest = pl.when(plain.is_null()).then(body.str.slice(-700))
    return pl.coalesce(plain, rest.map_elements(signer_of, return_dtype=pl.String, skip_nulls=True))


# ---- a page marker glued to the subject ---------------------------------------------------------
_MARKER_IN_SUBJECT = r"0{3,}\d+[ \t]+\d{3}"
_MARKER_SEEN = re.compile(_MARKER_IN_SUBJECT)


def subject_without_marker(row: dict) -> str | None:
    """The subject with a page marker of its own cable glued to it cut off, and what follows it
    (``... FOR CONGRESS NEW DELHI 00007273 001.2 OF 003`` -> ``... FOR CONGRESS``): the marker is
    the cable's station as printed (spaces anywhere), its serial with leading zeros, a page number."""
    subject, reference_id = row["subject"], row["reference_id"]
    if not subject or not reference_id or not _MARKER_SEEN.search(subject):
        return subject
    match = re.match(r"^\d{2}([A-Z]+?)0*(\d+)$", reference_id)
    if not match:
        return subject
    station = r"[ \t]*".join(re.escape(c) for c in match.group(1))
    marker = rf"[ \t]+{station}[ \t]+0*{match.group(2)}[ \t]+\d{{3}}(?:\.\d)?(?:[ \t]+OF[ \t]+\d{{3}})?.*$"
    return re.sub(marker, "", subject).strip() or subject


def subject_without_markers(subject: pl.Expr, reference_id: pl.Expr) -> pl.Expr:
    """``subject_without_marker`` of the subjects that hold something like a page marker (a few)."""
    return pl.struct(subject.alias("subject"), reference_id.alias("reference_id")).map_batches(
        _subjects_without_markers, return_dtype=pl.String
    )


def _subjects_without_markers(rows: pl.Series) -> pl.Series:
    subjects = rows.struct.field("subject")
    seen = subjects.str.contains(_MARKER_IN_SUBJECT).fill_null(False)
    if not seen.any():
        return subjects
    ids = rows.struct.field("reference_id").to_list()
    fixed = [
        subject_without_marker({"subject": s, "reference_id": i}) if hit else s
        for s, i, hit in zip(subjects.to_list(), ids, seen.to_list(), strict=True)
    ]
    return pl.Series(fixed, dtype=pl.String)
