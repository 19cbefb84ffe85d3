"""The search index written into ``cables.duckdb``: its documents, its index, read-only use."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cables.search import INDEX_SCHEMA, SEARCH_TABLE, fts_extension_path, load_fts
from flows.search_index import build_search_index

CABLES = [
    ("01A1", "SECURITY ASSURANCES FOR UKRAINE"),
    ("01A2", "   "),
    ("01A3", None),
]
PARAGRAPHS = [
    ("01A1", 1, None, "PASS TO EUR"),
    ("01A1", 2, 1, "Ukraine asked for security assurances beyond the Budapest memorandum."),
    ("01A2", 1, 1, "Erdoğan met the minister at the CAFÉ."),
    ("01A2", 2, 2, ""),
    ("01A3", 1, 1, None),
]


def tiny_database(path: Path, cables=CABLES, paragraphs=PARAGRAPHS) -> duckdb.DuckDBPyConnection:
    """A read-write database with ``cable`` and ``paragraph`` as the warehouse serves them."""
    con = duckdb.connect(str(path))
    con.execute(
        "create table cable (reference_id varchar, subject varchar, created_at timestamp, origin varchar, "
        "classification varchar, url varchar)"
    )
    con.execute("create table paragraph (reference_id varchar, position integer, number integer, text varchar)")
    for reference_id, subject in cables:
        con.execute(
            "insert into cable values (?, ?, timestamp '2009-01-02 03:04:05', 'Embassy Kyiv', 'SECRET', ?)",
            [reference_id, subject, f"/cable/2009/01/{reference_id}.html"],
        )
    if paragraphs:
        con.executemany("insert into paragraph values (?, ?, ?, ?)", paragraphs)
    return con


def documents(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        f"select doc_id, kind, reference_id, position, number from {SEARCH_TABLE} order by doc_id"
    ).fetchall()


def test_one_document_per_non_empty_subject_and_paragraph_subject_first(tmp_path):
    con = tiny_database(tmp_path / "db.duckdb")
    build_search_index(con)
    assert documents(con) == [
        (1, "subject", "01A1", None, None),
        (2, "paragraph", "01A1", 1, None),
        (3, "paragraph", "01A1", 2, 1),
        (4, "paragraph", "01A2", 1, 1),
    ]
    columns = [r[0] for r in con.execute(f"describe {SEARCH_TABLE}").fetchall()]
    assert columns == ["doc_id", "kind", "reference_id", "position", "number"]  # no copy of the text
    comments = con.execute(
        f"select count(*) filter (where comment is not null), count(*) from duckdb_columns() "
        f"where table_name = '{SEARCH_TABLE}'"
    ).fetchone()
    assert comments == (5, 5)
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0] == 0


def test_index_folds_case_accents_and_word_endings(tmp_path):
    con = tiny_database(tmp_path / "db.duckdb")
    build_search_index(con)

    def matches(query: str) -> list[int]:
        return [
            r[0]
            for r in con.execute(
                f"select doc_id from (select doc_id, {INDEX_SCHEMA}.match_bm25(doc_id, ?) as score "
                f"from {SEARCH_TABLE}) where score is not null order by doc_id",
                [query],
            ).fetchall()
        ]

    assert matches("erdogan") == [4]
    assert matches("cafe") == [4]
    assert matches("ASSURANCE") == [1, 3]
    assert matches("budapest memorandums") == [3]
    assert matches("the of for") == []  # stopwords only


def test_rebuilding_replaces_the_index(tmp_path):
    con = tiny_database(tmp_path / "db.duckdb")
    build_search_index(con)
    first = documents(con)
    con.execute("insert into paragraph values ('01A2', 3, 3, 'A new paragraph about tucanos.')")
    build_search_index(con)
    assert documents(con)[: len(first)] == first
    assert documents(con)[-1] == (5, "paragraph", "01A2", 3, 3)
    hit = con.execute(
        f"select doc_id from {SEARCH_TABLE} where {INDEX_SCHEMA}.match_bm25(doc_id, 'tucano') is not null"
    ).fetchall()
    assert hit == [(5,)]


def test_empty_tables_give_an_empty_index(tmp_path):
    con = tiny_database(tmp_path / "db.duckdb", cables=[], paragraphs=[])
    build_search_index(con)
    assert documents(con) == []
    assert con.execute(f"select num_docs from {INDEX_SCHEMA}.stats").fetchone()[0] == 0


def test_progress_bar_setting_is_restored(tmp_path):
    con = tiny_database(tmp_path / "db.duckdb")
    con.execute("set enable_progress_bar = true")
    build_search_index(con)
    assert con.execute("select current_setting('enable_progress_bar')").fetchone()[0] is True


def test_extension_file_matches_the_installed_duckdb():
    path = fts_extension_path()
    assert path.is_file() and path.name == "fts.duckdb_extension"
    assert path.parent.name == f"v{duckdb.__version__}"


def test_load_fts_is_idempotent():
    con = duckdb.connect()
    load_fts(con)
    load_fts(con)
    assert con.execute("select stem('assurances', 'english')").fetchone()[0] == "assur"


def test_the_built_warehouse_holds_the_index(sample_warehouse):
    con = duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True)
    try:
        subjects, paragraphs = con.execute(
            "select count(*) filter (where nullif(trim(subject), '') is not null), "
            "(select count(*) from paragraph where nullif(trim(text), '') is not null) from cable"
        ).fetchone()
        counts = dict(con.execute(f"select kind, count(*) from {SEARCH_TABLE} group by kind").fetchall())
        assert counts == {"subject": subjects, "paragraph": paragraphs}
        assert paragraphs > 200
        assert con.execute(
            f"select count(*) = count(distinct doc_id) and count(*) = max(doc_id) from {SEARCH_TABLE}"
        ).fetchone()[0]
        missing = con.execute(
            f"select count(*) from {SEARCH_TABLE} as d anti join paragraph as p using (reference_id, position) "
            "where d.kind = 'paragraph'"
        ).fetchone()[0]
        assert missing == 0
        assert con.execute(f"select num_docs from {INDEX_SCHEMA}.stats").fetchone()[0] == subjects + paragraphs
    finally:
        con.close()


def test_a_read_only_connection_can_query_the_index(sample_warehouse):
    con = duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True)
    try:
        load_fts(con)
        best = con.execute(
            f"select d.reference_id, d.position from (select doc_id, {INDEX_SCHEMA}.match_bm25(doc_id, ?) as score "
            f"from {SEARCH_TABLE}) as s join {SEARCH_TABLE} as d using (doc_id) "
            "where score is not null order by score desc limit 1",
            ["Inverclyde Royal Hospital"],
        ).fetchone()
    finally:
        con.close()
    assert best == ("08LONDON2673", 3)
