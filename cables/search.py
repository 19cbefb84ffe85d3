"""Full-text search of cable subjects and paragraphs: BM25 ranking by DuckDB's ``fts`` extension."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from cables.duckdb_extensions import extension_file
from cables.sqlquote import sql_literal

SEARCH_TABLE = "search_document"
INDEX_SCHEMA = f"fts_main_{SEARCH_TABLE}"
KINDS = ("all", "paragraph", "subject")
SNIPPET_CHARS = 200

_WORD = re.compile(r"[^\W_]+")

# Query words as the index saw them: tokenised by the index's own macro, stopwords dropped.
_TERMS_SQL = f"""
with token as (
    select unnest({INDEX_SCHEMA}.tokenize($query)) as term,
)
select
    term,
    stem(term, 'english') as stem,
from token
where term <> ''
    and term not in (select sw from {INDEX_SCHEMA}.stopwords)
"""

_SEARCH_SQL = f"""
with scored as (
    -- Rounded: the sum of a document's term scores may differ in its last bits from run to run.
    select
        doc_id,
        round({INDEX_SCHEMA}.match_bm25(doc_id, $query, conjunctive := $all_terms), 6) as score,
    from {SEARCH_TABLE}
    where $kind = 'all' or kind = $kind
),

hit as (
    select *
    from scored
    where score is not null
    order by score desc, doc_id
    limit $limit
)

select
    d.kind,
    d.reference_id,
    c.subject,
    c.created_at,
    c.origin,
    c.classification,
    d.position,
    d.number,
    h.score,
    if(d.kind = 'subject', c.subject, p.text) as text,
    c.url,
from hit as h
inner join {SEARCH_TABLE} as d on h.doc_id = d.doc_id
left join cable as c on d.reference_id = c.reference_id
left join paragraph as p on d.reference_id = p.reference_id and d.position = p.position
order by h.score desc, h.doc_id
"""

# Each distinct word of the hits' text, put through the index's tokeniser and stemmer.
_WORD_STEMS_SQL = f"""
select
    word,
    list_transform(list_filter({INDEX_SCHEMA}.tokenize(word), t -> t <> ''), t -> stem(t, 'english')) as stems,
from (select unnest($words) as word)
"""


class SearchError(RuntimeError):
    """Search cannot run here (extension or index missing); the message says what to do."""


@dataclass(frozen=True)
class Hit:
    """One ranked match: a cable's subject or one of its paragraphs."""

    rank: int
    score: float
    kind: str
    reference_id: str
    subject: str | None
    created_at: datetime | None
    origin: str | None
    classification: str | None
    position: int | None
    number: int | None
    snippet: str
    url: str | None


def fts_extension_path() -> Path:
    """The ``fts`` extension file shipped by the ``duckdb-extension-fts`` package for this DuckDB."""
    return extension_file("fts", SearchError)


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load the ``fts`` extension on ``con`` from its file (no download); a no-op when loaded."""
    # The extension's `stem` function tells it is loaded (duckdb_extensions() would list the
    # extension folder, which a sandboxed connection may not read).
    if con.execute("select count(*) from duckdb_functions() where function_name = 'stem'").fetchone()[0]:
        return
    con.execute(f"load {sql_literal(fts_extension_path())}")


def query_terms(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[str, str]]:
    """The searchable words of ``query`` (lower case, accents stripped, no stopwords) and their stems."""
    seen, terms = set(), []
    for term, stem in con.execute(_TERMS_SQL, {"query": query}).fetchall():
        if term not in seen:
            seen.add(term)
            terms.append((term, stem))
    return terms


def search(
    con: duckdb.DuckDBPyConnection,
    query: str,
    limit: int = 20,
    kind: str = "all",
    *,
    all_terms: bool = False,
) -> list[Hit]:
    """Subjects and paragraphs matching ``query``, best BM25 score first.

    Args:
        con: A connection to ``cables.duckdb`` (read-only is enough).
        query: Words to look for; case, accents, punctuation and word endings do not matter
            ("assurance" finds "ASSURANCES"), stopwords ("the", "of") are ignored.
        limit: At most this many hits.
        kind: ``"all"``, ``"paragraph"`` (paragraph text only) or ``"subject"`` (cable subjects only).
        all_terms: Only documents holding every searchable word of the query (default: any word).

    Returns:
        The hits, rank 1 first; empty when nothing matches.
    """
    if not isinstance(query, str) or not query.strip():
        raise ValueError("search query is empty: give at least one word to look for")
    if kind not in KINDS:
        raise ValueError(f"unknown search kind {kind!r}: use one of {', '.join(KINDS)}")
    if limit < 1:
        raise ValueError(f"search limit must be at least 1, not {limit}")
    load_fts(con)
    try:
        terms = query_terms(con, query)
    except duckdb.CatalogException:
        raise SearchError(
            "this warehouse has no search index: rebuild its database with `cables build` "
            "(with CABLES_SEARCH_INDEX unset or true)"
        ) from None
    if not terms:
        return []
    cleaned = " ".join(term for term, _ in terms)
    rows = con.execute(
        _SEARCH_SQL, {"query": cleaned, "all_terms": int(all_terms), "kind": kind, "limit": limit}
    ).fetchall()
    texts = [" ".join((row[9] or "").split()) for row in rows]
    stems = {stem for _, stem in terms}
    word_stems = _word_stems(con, texts)
    return [
        Hit(
            rank=rank,
            score=score,
            kind=kind_,
            reference_id=reference_id,
            subject=subject,
            created_at=created_at,
            origin=origin,
            classification=classification,
            position=position,
            number=number,
            snippet=snippet(text, _first_match(text, stems, word_stems)),
            url=url,
        )
        for rank, (
            (kind_, reference_id, subject, created_at, origin, classification, position, number, score, _, url),
            text,
        ) in enumerate(zip(rows, texts, strict=True), start=1)
    ]


def _word_stems(con: duckdb.DuckDBPyConnection, texts: list[str]) -> dict[str, set[str]]:
    """Each distinct word of ``texts`` -> the stems the index made of it."""
    words = sorted({m.group() for text in texts for m in _WORD.finditer(text)})
    if not words:
        return {}
    return {word: set(stems) for word, stems in con.execute(_WORD_STEMS_SQL, {"words": words}).fetchall()}


def _first_match(text: str, stems: set[str], word_stems: dict[str, set[str]]) -> tuple[int, int] | None:
    """Where the first word of ``text`` matching a query stem starts and ends, if any."""
    for m in _WORD.finditer(text):
        if word_stems.get(m.group(), set()) & stems:
            return m.start(), m.end()
    return None


def snippet(text: str, match: tuple[int, int] | None, width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters of ``text`` around ``match`` (start, end), cut at spaces, … where cut."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    start = match[0] if match else 0
    lo = max(0, start - width // 4)
    hi = min(len(text), lo + width)
    lo = max(0, hi - width)
    if lo > 0 and text[lo - 1] != " ":
        space = text.find(" ", lo, start)
        lo = space + 1 if space >= 0 else lo
    if hi < len(text) and text[hi] != " ":
        space = text.rfind(" ", max(lo, start), hi)
        hi = space if space > lo else hi
    return ("…" if lo > 0 else "") + text[lo:hi].strip() + ("…" if hi < len(text) else "")


def format_hits(hits: list[Hit], width: int = 100) -> str:
    """The hits as text for a terminal: a header line per hit, then its subject and snippet.

    Returns an empty string when there are no hits (the caller says "no match").
    """
    blocks = []
    indent = " " * 4
    for hit in hits:
        if hit.kind == "subject":
            where = "subject"
        else:
            where = f"para {hit.number}" if hit.number is not None else f"position {hit.position} (unnumbered)"
        date = hit.created_at.date().isoformat() if hit.created_at else "----------"
        lines = [
            f"{hit.rank:>2}. {hit.score:6.2f}  {hit.reference_id}  {date}  {hit.origin or '-'}  {where}",
            indent + textwrap.shorten(hit.subject or "(no subject)", width - len(indent), placeholder=" …"),
        ]
        if hit.kind != "subject":
            lines += textwrap.wrap(hit.snippet, width, initial_indent=indent, subsequent_indent=indent)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
