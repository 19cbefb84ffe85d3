"""Full-text search of cable subjects and paragraphs on a search engine (tantivy, BM25).

The index holds one document per cable subject and one per paragraph, with the cable's fields to
filter on. It is built with the tables of a snapshot (``flows/search_index.py``), in the
snapshot's folder ``search/``, and updated per cable by later builds. This module defines the
index (schema, word analysis) and answers queries: one hit per cable, its best paragraphs with
the matching words marked.

Query language (tantivy's, with prefix and fuzzy words added):

- words: every word must match (``security assurances``); ``OR`` for any of them; ``NOT`` or
  ``-`` before a word or phrase leaves those documents out; parentheses group.
- ``"human rights"``: the words next to each other, in that order.
- ``qadhaf*``: any word starting so; ``qaddafi~`` or ``qaddafi~2``: words within 1 (or 2) edits
  (spelling variants: Qadhafi, Qaddafi, Gadhafi). Such a word is required (excluded after ``-``)
  whatever operator stands beside it.
- fields: ``origin:"Embassy Cairo"``, ``tag:PGOV``, ``classification:SECRET``, ``year:2009``,
  ``year:[2008 TO 2010]``, ``date:[2009-01-01 TO 2009-06-30]``, ``id:09CAIRO231``,
  ``subject:word`` (the subject only), ``text:word`` (paragraphs only).

Case, accents and word endings do not matter (English stemmer); no word is ignored (``US`` and
``UN`` are words here).
"""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import tantivy

# Where a snapshot keeps its index: ``tables/<snapshot>/search/``.
INDEX_DIR = "search"
# Bump when the schema or the word analysis changes: the next build then rebuilds the index whole.
INDEX_VERSION = 2
VERSION_FILE = "cables-index.json"
KINDS = ("all", "paragraph", "subject")
FORMATS = ("table", "csv", "json", "parquet")
SNIPPET_CHARS = 200
# A match in a cable's subject weighs this many times a match in a paragraph.
SUBJECT_BOOST = 2.0
# Paragraphs shown per cable.
PASSAGES = 3
# Documents read at most to gather the cables of one page of hits (bounds a query's cost).
MAX_DOCUMENTS = 50_000
MARK_START, MARK_END = "**", "**"

# Analyzers: words (letters and digits), lower case, accents folded, English stems; and whole
# values in lower case for the filter fields (``origin:"embassy cairo"`` = ``"Embassy Cairo"``).
WORDS = "cables_words"
VALUE = "cables_value"

_FUZZY_OR_PREFIX = re.compile(r'(?<![\w:"*~])((?:NOT\s+)|[+-])?([^\W_][\w\'.-]*?)(\*|~([12])?)(?=$|[\s)])')
_DATE_BOUND = re.compile(r"(?<![\dT])(\d{4}-\d\d-\d\d)(?![\dT])")
_AND_NOT = re.compile(r"\bAND\s+NOT\b")
# Shorter names for fields in a query.
_ALIASES = {"id": "reference_id", "subject": "title", "tags": "tag"}
_ALIAS = re.compile(r"(?<![\w.])(" + "|".join(_ALIASES) + r"):")


class SearchError(RuntimeError):
    """Search cannot run here (no index, a query it cannot read); the message says what to do."""


def schema() -> tantivy.Schema:
    """The index's fields: ``text`` (a paragraph's or a subject's text) and ``title`` (a subject's
    again, so a subject match weighs more), analysed as words and stored for snippets; the
    cable's fields to filter on and show."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("reference_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("kind", stored=True, tokenizer_name="raw")
    builder.add_integer_field("position", stored=True, indexed=True)
    builder.add_integer_field("number", stored=True)
    builder.add_text_field("title", stored=True, tokenizer_name=WORDS)
    builder.add_text_field("text", stored=True, tokenizer_name=WORDS)
    # Shown, never searched (the subject document is): stored as bytes, not indexed.
    builder.add_bytes_field("subject", stored=True, indexed=False)
    builder.add_text_field("origin", stored=True, tokenizer_name=VALUE, index_option="basic")
    builder.add_text_field("classification", stored=True, tokenizer_name=VALUE, index_option="basic")
    builder.add_text_field("tag", stored=True, tokenizer_name=VALUE, index_option="basic")
    builder.add_date_field("date", stored=True, indexed=True)
    builder.add_integer_field("year", stored=True, indexed=True)
    builder.add_bytes_field("url", stored=True, indexed=False)
    return builder.build()


def _words_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(60))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _value_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


# The same analyzers, to read a query's prefix and fuzzy words as the index stores words.
_WORDS = _words_analyzer()
_VALUE = _value_analyzer()


def register_analyzers(index: tantivy.Index) -> tantivy.Index:
    """Give ``index`` the two analyzers its fields name (they are not stored in the index)."""
    index.register_tokenizer(WORDS, _words_analyzer())
    index.register_tokenizer(VALUE, _value_analyzer())
    return index


def is_index(path: Path) -> bool:
    """Whether ``path`` holds an index of this version (else a build rebuilds it whole)."""
    try:
        return json.loads((path / VERSION_FILE).read_text())["version"] == INDEX_VERSION
    except (OSError, ValueError, KeyError, TypeError):
        return False


def open_index(path: Path) -> tantivy.Index:
    """The index in ``path``, ready to search; :class:`SearchError` when there is none."""
    if not is_index(path):
        raise SearchError(
            "this warehouse has no search index: rebuild it with `cables build` (with CABLES_SEARCH_INDEX "
            "unset or true)"
        )
    return register_analyzers(tantivy.Index(schema(), path=str(path), reuse=True))


@dataclass(frozen=True)
class Passage:
    """A matching document of a cable: its subject (position 0) or one of its paragraphs."""

    kind: str
    position: int
    number: int | None
    score: float
    snippet: str


@dataclass(frozen=True)
class Hit:
    """A matching cable: its best document's score, where that document is, the snippet of it,
    and its best passages (the best first)."""

    rank: int
    reference_id: str
    score: float
    kind: str
    position: int
    number: int | None
    snippet: str
    subject: str | None
    created_at: datetime | None
    origin: str | None
    classification: str | None
    tags: list[str]
    url: str | None
    passages: list[Passage] = field(default_factory=list)


@dataclass(frozen=True)
class Filters:
    """Filters given outside the query (the command's options); each may be None."""

    origin: str | None = None
    tag: str | None = None
    classification: str | None = None
    since: date | None = None
    until: date | None = None


def search(
    index_dir: Path,
    query: str,
    limit: int = 10,
    kind: str = "all",
    *,
    filters: Filters | None = None,
    any_word: bool = False,
) -> list[Hit]:
    """The cables matching ``query``, best first, at most ``limit``; one hit per cable.

    A cable's score is its best document's (BM25, a subject match weighing ``SUBJECT_BOOST``
    times a paragraph's). ``kind`` keeps subject or paragraph documents only; ``filters`` add
    conditions on the cable; ``any_word`` makes plain words optional (a document needs one).
    """
    if not isinstance(query, str) or not query.strip():
        raise ValueError("search query is empty: give at least one word to look for")
    if kind not in KINDS:
        raise ValueError(f"unknown search kind {kind!r}: use one of {', '.join(KINDS)}")
    if limit < 1:
        raise ValueError(f"search limit must be at least 1, not {limit}")
    index = open_index(index_dir)
    searcher = index.searcher()
    parsed = parse_query(index, query, kind, filters or Filters(), any_word=any_word, searcher=searcher)
    if parsed is None:
        return []
    cables: dict[str, list[tuple[float, tantivy.DocAddress]]] = {}
    offset, page = 0, max(100, limit * 20)
    while len(cables) < limit and offset < MAX_DOCUMENTS:
        found = searcher.search(parsed, page, count=False, offset=offset).hits
        for score, address in found:
            reference_id = searcher.doc(address)["reference_id"][0]
            passages = cables.setdefault(reference_id, [])
            if len(passages) < PASSAGES:
                passages.append((score, address))
        if len(found) < page:
            break
        offset += page
    best = sorted(cables.items(), key=lambda item: (-item[1][0][0], item[0]))[:limit]
    snippets = {name: _snippet_generator(searcher, parsed, index.schema, name) for name in ("title", "text")}
    return [_hit(rank, searcher, passages, snippets) for rank, (_, passages) in enumerate(best, start=1)]


def parse_query(
    index: tantivy.Index,
    query: str,
    kind: str = "all",
    filters: Filters | None = None,
    *,
    any_word: bool = False,
    searcher: tantivy.Searcher | None = None,
) -> tantivy.Query | None:
    """``query`` as a tantivy query (see the module's doc), with the ``kind`` and ``filters``
    conditions; None when nothing is left to look for. :class:`SearchError` for a query the
    parser cannot read, with its message."""
    filters = filters or Filters()
    text, extra = _words_apart(query)
    text = _ALIAS.sub(lambda m: _ALIASES[m.group(1)] + ":", text)
    text = _AND_NOT.sub("NOT", text)
    text = _DATE_BOUND.sub(r"\1T00:00:00Z", text)
    fields = {"all": ["title", "text"], "subject": ["title"], "paragraph": ["text"]}[kind]
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    if text.strip():
        try:
            main = index.parse_query(
                text, fields, field_boosts={"title": SUBJECT_BOOST}, conjunction_by_default=not any_word
            )
        except ValueError as exc:
            raise SearchError(f"cannot read the query {query!r}: {exc}") from None
        clauses.append((tantivy.Occur.Should if any_word and extra else tantivy.Occur.Must, main))
    sch = index.schema
    searcher = searcher or index.searcher()
    for sign, word, how, distance in extra:
        terms = _expanded(searcher, fields, word, how, int(distance or 1))
        either = tantivy.Query.boolean_query([(tantivy.Occur.Should, _term(sch, name, term)) for name, term in terms])
        occur = tantivy.Occur.MustNot if sign == "-" else tantivy.Occur.Should if any_word else tantivy.Occur.Must
        clauses.append((occur, either))
    if not any(occur != tantivy.Occur.MustNot for occur, _ in clauses):
        return None
    if kind != "all":
        clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(sch, "kind", kind)))
    for name in ("origin", "tag", "classification"):
        value = getattr(filters, name)
        if value:
            term = tantivy.Query.term_query(sch, name, " ".join(value.split()).lower())
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(term, 0.0)))
    if filters.since or filters.until:
        since = datetime.combine(filters.since or date(1900, 1, 1), datetime.min.time())
        until = datetime.combine(filters.until or date(2100, 1, 1), datetime.max.time())
        dates = tantivy.Query.range_query(sch, "date", tantivy.FieldType.Date, since, until)
        clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(dates, 0.0)))
    if len(clauses) == 1 and clauses[0][0] == tantivy.Occur.Must:
        return clauses[0][1]
    return tantivy.Query.boolean_query(clauses)


def _term(sch: tantivy.Schema, name: str, term: str) -> tantivy.Query:
    query = tantivy.Query.term_query(sch, name, term)
    return tantivy.Query.boost_query(query, SUBJECT_BOOST) if name == "title" else query


def _words_apart(query: str) -> tuple[str, list[tuple[str, str, str, str | None]]]:
    """The query without its prefix (``word*``) and fuzzy (``word~2``) words, outside quotes and
    fields, and those words: (sign, word, ``*`` or ``~``, distance)."""
    parts = re.split(r'("[^"]*")', query)
    extra: list[tuple[str, str, str, str | None]] = []

    def take(match: re.Match) -> str:
        sign = "-" if (match.group(1) or "").startswith(("NOT", "-")) else ""
        extra.append((sign, match.group(2), match.group(3)[0], match.group(4)))
        return ""

    for i in range(0, len(parts), 2):  # the even parts are outside quotes
        # Apostrophes and braces mean nothing here, and the parser would refuse them (Qadhafi's).
        plain = _POSSESSIVE.sub(r"\1", parts[i]).translate(_NO_MEANING)
        parts[i] = _FUZZY_OR_PREFIX.sub(take, plain)
    rest = "".join(parts)
    if extra:  # an operator left without a word on one side goes too: ``lib* AND megrahi``
        rest = _DANGLING.sub(" ", rest)
    return rest, extra


_POSSESSIVE = re.compile(r"(\w)['’]s\b")
_NO_MEANING = str.maketrans(dict.fromkeys("'’‘`{}", " "))
_DANGLING = re.compile(
    r"^\s*(?:(?:AND|OR)\b\s*)+|(?:\b(?:AND|OR|NOT)\s*)+$"
    r"|\b(?:AND|OR)\s+(?=(?:AND|OR|NOT)\b|\))|(?<=\()\s*(?:AND|OR)\b"
)


# A prefix or fuzzy word stands for at most this many words of the index (the most frequent).
MAX_EXPANSIONS = 200


def _expanded(
    searcher: tantivy.Searcher, fields: list[str], word: str, how: str, distance: int
) -> list[tuple[str, str]]:
    """The words of the index's ``fields`` that a prefix (``how`` ``*``) or fuzzy (``~``) query
    word stands for, as (field, word): they are then searched as words, so their matches are
    ranked by BM25 and marked in snippets like any other word."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    folded = "".join(_VALUE.analyze(word))
    if not folded:
        return []
    stem = (_WORDS.analyze(word) or [folded])[0]
    found: list[tuple[int, str, str]] = []
    for name in fields:
        if how == "*":
            found += [(-count, name, term) for term, count in searcher.terms_with_prefix(name, folded)]
            continue
        counts = dict(searcher.terms_with_prefix(name, ""))
        near = process.extract(stem, list(counts), scorer=Levenshtein.distance, score_cutoff=distance, limit=None)
        found += [(-counts[term], name, term) for term, _, _ in near]
    return [(name, term) for _, name, term in sorted(found)[:MAX_EXPANSIONS]]


def _snippet_generator(searcher: tantivy.Searcher, query: tantivy.Query, sch: tantivy.Schema, name: str):
    generator = tantivy.SnippetGenerator.create(searcher, query, sch, name)
    generator.set_max_num_chars(SNIPPET_CHARS)
    return generator


def _hit(rank: int, searcher: tantivy.Searcher, passages, snippets) -> Hit:
    shown = []
    first = None
    for score, address in passages:
        doc = searcher.doc(address)
        first = first or doc
        kind = doc["kind"][0]
        name = "title" if kind == "subject" else "text"
        text = (doc[name] or [""])[0]
        shown.append(
            Passage(
                kind=kind,
                position=doc["position"][0],
                number=(doc["number"] or [None])[0],
                score=round(score, 4),
                snippet=marked_snippet(snippets[name].snippet_from_doc(doc), text),
            )
        )
    top = shown[0]
    created = (first["date"] or [None])[0]
    return Hit(
        rank=rank,
        reference_id=first["reference_id"][0],
        score=top.score,
        kind=top.kind,
        position=top.position,
        number=top.number,
        snippet=top.snippet,
        subject=_text(first["subject"]),
        created_at=created.replace(tzinfo=None) if created and created.tzinfo else created,
        origin=(first["origin"] or [None])[0],
        classification=(first["classification"] or [None])[0],
        tags=list(first["tag"] or []),
        url=_text(first["url"]),
        passages=shown,
    )


def _text(values: list) -> str | None:
    """A stored bytes field's value as text (None when the document has none)."""
    return values[0].decode() if values else None


def marked_snippet(snippet: tantivy.Snippet, text: str) -> str:
    """The snippet's fragment on one line with each match between ``**`` marks; the text's
    start (about ``SNIPPET_CHARS`` characters) when no word of the field matched."""
    fragment = snippet.fragment()
    if not fragment or not snippet.highlighted():
        return _start(text)
    raw = fragment.encode()
    out, at = [], 0
    for span in sorted(snippet.highlighted(), key=lambda r: r.start):
        out += [raw[at : span.start].decode(errors="replace"), MARK_START]
        out += [raw[span.start : span.end].decode(errors="replace"), MARK_END]
        at = span.end
    out.append(raw[at:].decode(errors="replace"))
    marked = " ".join("".join(out).split())
    shown = snippet.fragment_range()
    raw_text = text.encode()
    before = "…" if raw_text[: shown.start].strip() else ""
    after = "…" if raw_text[shown.end :].decode(errors="replace").strip(" \t\n.,;:!?\"')”’") else ""
    return before + marked + after


def _start(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text.rfind(" ", 0, SNIPPET_CHARS)
    return text[: cut if cut > 0 else SNIPPET_CHARS] + "…"


# ---- output ---------------------------------------------------------------------------------

ROW_COLUMNS = (
    "rank",
    "reference_id",
    "score",
    "kind",
    "position",
    "number",
    "snippet",
    "subject",
    "created_at",
    "origin",
    "classification",
    "tags",
    "url",
)


def hit_rows(hits: list[Hit]) -> list[dict]:
    """One flat row per hit (its best passage), for CSV and Parquet: ``ROW_COLUMNS``."""
    return [{name: getattr(hit, name) for name in ROW_COLUMNS} for hit in hits]


def hits_csv(hits: list[Hit]) -> str:
    """The hits as CSV, one row per cable (tags joined by ``;``)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ROW_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in hit_rows(hits):
        writer.writerow({**row, "tags": ";".join(row["tags"])})
    return out.getvalue()


def hits_json(hits: list[Hit]) -> str:
    """The hits as a JSON array, each with its passages."""
    return json.dumps([asdict(hit) for hit in hits], default=_json_value, ensure_ascii=False)


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_hits_parquet(hits: list[Hit], path: Path) -> None:
    """The hits as a Parquet file, one row per cable (``ROW_COLUMNS``), to join in SQL."""
    import polars as pl

    frame = pl.DataFrame(
        hit_rows(hits),
        schema={
            "rank": pl.Int32,
            "reference_id": pl.String,
            "score": pl.Float64,
            "kind": pl.String,
            "position": pl.Int32,
            "number": pl.Int32,
            "snippet": pl.String,
            "subject": pl.String,
            "created_at": pl.Datetime("us"),
            "origin": pl.String,
            "classification": pl.String,
            "tags": pl.List(pl.String),
            "url": pl.String,
        },
    )
    frame.write_parquet(path)


def format_hits(hits: list[Hit], width: int = 100) -> str:
    """The hits as text for a terminal: a header line per cable, its subject, then its best
    passages (``para N``, ``subject`` or ``position N`` for an unnumbered paragraph) with the
    matches between ``**``. Empty when there are no hits."""
    blocks = []
    indent = " " * 4
    for hit in hits:
        day = hit.created_at.date().isoformat() if hit.created_at else "----------"
        level = hit.classification or "-"
        lines = [
            f"{hit.rank:>2}. {hit.score:6.2f}  {hit.reference_id}  {day}  {hit.origin or '-'}  {level}",
            indent + textwrap.shorten(hit.subject or "(no subject)", width - len(indent), placeholder=" …"),
        ]
        for passage in hit.passages:
            if passage.kind == "subject":
                continue
            where = f"para {passage.number}" if passage.number is not None else f"position {passage.position}"
            lines += textwrap.wrap(
                f"{where}: {passage.snippet}", width, initial_indent=indent, subsequent_indent=indent + "  "
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def utc(value: datetime) -> datetime:
    """A naive UTC timestamp as an aware one (the index stores dates in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
