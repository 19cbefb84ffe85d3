"""Search index: cable subjects and paragraphs as one table of documents, with a BM25 (fts) index."""

from __future__ import annotations

import duckdb

from cables.search import INDEX_SCHEMA, SEARCH_TABLE, load_fts
from cables.sqlquote import sql_identifier, sql_literal

SEARCH_COMMENT = (
    "one row per searchable document: a cable's subject (position null) or one of its paragraphs; "
    f"full-text index in schema {INDEX_SCHEMA} (cables.search)"
)

# One document per non-empty subject and per non-empty paragraph, the subject first in each cable.
# The documents are numbered on their keys alone (the text is not read into the sort), then the
# text is joined to the numbers: sorting it with the text needed more than 2 GB at the release's
# scale. The text is only needed to build the index: it stays in a temporary table, outside the file.
_DOCUMENT_TEXT = """
select 'subject' as kind, reference_id, null::integer as position, null::integer as number, subject as text
from cable
where nullif(trim(subject), '') is not null
union all
select 'paragraph' as kind, reference_id, position, number, text
from paragraph
where nullif(trim(text), '') is not null
"""

_KEYS_TEMP_SQL = f"""
create or replace temp table {SEARCH_TABLE}_keys as
select
    (row_number() over (order by reference_id, position nulls first))::integer as doc_id,
    kind,
    reference_id,
    position,
    number,
from ({_DOCUMENT_TEXT})
"""

_DOCUMENTS_SQL = f"""
create or replace temp table {SEARCH_TABLE} as
select k.doc_id, d.text
from ({_DOCUMENT_TEXT}) as d
inner join temp.{SEARCH_TABLE}_keys as k
    on d.reference_id = k.reference_id and coalesce(d.position, 0) = coalesce(k.position, 0)
"""

SEARCH_COLUMNS = {
    "doc_id": "document key of the full-text index (fts_main_search_document.match_bm25(doc_id, query))",
    "kind": "subject or paragraph",
    "reference_id": "the cable (cable.reference_id)",
    "position": "the paragraph's position in the cable (paragraph.position); null for the subject",
    "number": "the paragraph's printed number (paragraph.number); null for the subject or an unnumbered paragraph",
}

# English stemmer and stopwords; case and accents folded; letters and digits kept ("UNSCR 1737").
_INDEX_SQL = f"""
pragma create_fts_index(
    {sql_literal(SEARCH_TABLE)}, 'doc_id', 'text',
    stemmer = 'english',
    stopwords = 'english',
    ignore = '[^a-z0-9]+',
    strip_accents = 1,
    lower = 1,
    overwrite = 1
)
"""


# What the database keeps of each document: its key and where it is, not its text.
_KEYS_SQL = """
create table {table} as
select doc_id, kind, reference_id, position, number
from temp.{temp}_keys
order by doc_id
"""


def build_search_index(con: duckdb.DuckDBPyConnection) -> None:
    """Index the subjects and paragraphs of ``con``'s ``cable`` and ``paragraph`` views for search.

    Writes the table ``search_document`` (one row per document, without its text) and the BM25
    index in schema ``fts_main_search_document``; any earlier index is replaced.

    Args:
        con: A read-write connection to the database being built, its views already created.
    """
    load_fts(con)
    # Fully qualified: while the temporary table lives, `main.search_document` would name it.
    table = f"{sql_identifier(con.execute('select current_database()').fetchone()[0])}.main.{SEARCH_TABLE}"
    progress_bar = con.execute("select current_setting('enable_progress_bar')").fetchone()[0]
    con.execute("set enable_progress_bar = false")
    try:
        con.execute(f"drop table if exists {table}")
        con.execute(_KEYS_TEMP_SQL)
        con.execute(_DOCUMENTS_SQL)
        con.execute(_INDEX_SQL)
        con.execute(_KEYS_SQL.format(table=table, temp=SEARCH_TABLE))
    finally:
        con.execute(f"drop table if exists temp.{SEARCH_TABLE}")
        con.execute(f"drop table if exists temp.{SEARCH_TABLE}_keys")
        con.execute(f"set enable_progress_bar = {str(bool(progress_bar)).lower()}")
    con.execute(f"comment on table {table} is {sql_literal(SEARCH_COMMENT)}")
    for column, text in SEARCH_COLUMNS.items():
        con.execute(f"comment on column {table}.{column} is {sql_literal(text)}")
