"""Searching the sample warehouse: known answers on real pages, stemming, safety, output."""

from __future__ import annotations

from itertools import pairwise

import duckdb
import pytest

from cables.search import SNIPPET_CHARS, Hit, SearchError, format_hits, search, snippet


@pytest.fixture(scope="module")
def con(sample_warehouse):
    con = duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True)
    yield con
    con.close()


def where(hits: list[Hit]) -> list[tuple[str, str, int | None]]:
    return [(h.kind, h.reference_id, h.position) for h in hits]


# ---------------------------------------------------------------------------- known answers


@pytest.mark.parametrize(
    ("query", "reference_id", "position", "number", "word"),
    [
        ("Inverclyde Royal Hospital", "08LONDON2673", 3, 3, "Inverclyde"),
        ("Nilmario Miranda", "05BRASILIA369", 7, 6, "Nilmario"),
        ("inverclyde", "08LONDON2673", 3, 3, "Inverclyde"),
    ],
)
def test_a_distinctive_phrase_finds_its_paragraph_first(con, query, reference_id, position, number, word):
    best = search(con, query)[0]
    assert (best.kind, best.reference_id, best.position, best.number) == ("paragraph", reference_id, position, number)
    assert best.rank == 1 and best.score > 0
    assert word in best.snippet


def test_a_hit_carries_its_cable(con):
    best = search(con, "Inverclyde Royal Hospital", limit=1)[0]
    want = con.execute(
        "select subject, created_at, origin, classification, url from cable where reference_id = '08LONDON2673'"
    ).fetchone()
    assert (best.subject, best.created_at, best.origin, best.classification, best.url) == want
    assert best.origin == "Embassy London" and best.url.endswith("08LONDON2673.html")


def test_subject_words_find_the_subject(con):
    hits = search(con, "Tucano sales", kind="subject")
    assert where(hits)[0] == ("subject", "06CARACAS1276", None)
    best = hits[0]
    assert (
        best.number is None
        and best.snippet == best.subject == "BRAZIL STILL INTERESTED IN TUCANO SALES, PROPOSES TRADE"
    )
    assert {h.kind for h in hits} == {"subject"}


def test_all_kinds_rank_subjects_and_paragraphs_together(con):
    hits = search(con, "Trident nuclear deterrent", limit=5)
    assert where(hits)[:2] == [("subject", "09LONDON1707", None), ("paragraph", "09LONDON1707", 1)]
    assert {h.reference_id for h in hits} == {"09LONDON1707"}


def test_kind_paragraph_leaves_subjects_out(con):
    assert search(con, "Tucano", kind="paragraph")
    assert {h.kind for h in search(con, "Tucano", kind="paragraph", limit=50)} == {"paragraph"}
    assert "subject" in {h.kind for h in search(con, "Tucano", limit=50)}


def test_stemming_finds_other_forms_of_a_word(con):
    # No sample paragraph says "assurance(s)"; "assured" shares its stem.
    hits = search(con, "assurances", kind="paragraph", limit=50)
    assert ("paragraph", "09ISLAMABAD284", 1) in where(hits)
    best = next(h for h in hits if (h.reference_id, h.position) == ("09ISLAMABAD284", 1))
    assert "assured" in best.snippet and "assurance" not in best.snippet.lower()
    # "reassurance" finds the subject's REASSURANCES and the paragraphs' "reassured".
    reassured = where(search(con, "reassurance", limit=50))
    assert reassured[0] == ("subject", "09LONDON1707", None)
    assert ("paragraph", "09LONDON1707", 6) in reassured


def test_ranks_are_in_order_and_limited(con):
    hits = search(con, "Qadhafi Libya Megrahi", limit=7)
    assert len(hits) == 7
    assert [h.rank for h in hits] == list(range(1, 8))
    assert all(a.score >= b.score for a, b in pairwise(hits))
    assert search(con, "Qadhafi Libya Megrahi", limit=7) == hits  # deterministic, ties included


def test_all_terms_keeps_documents_holding_every_word(con):
    any_word = search(con, "Megrahi cancer", kind="paragraph", limit=100)
    every_word = search(con, "Megrahi cancer", kind="paragraph", limit=100, all_terms=True)
    assert 0 < len(every_word) < len(any_word)
    texts = dict(
        ((r, p), t.lower()) for r, p, t in con.execute("select reference_id, position, text from paragraph").fetchall()
    )
    for hit in every_word:
        assert "megrahi" in texts[hit.reference_id, hit.position] and "cancer" in texts[hit.reference_id, hit.position]
    # Stopwords and punctuation in the query do not make every document fail.
    assert search(con, "Megrahi's cancer, of the", kind="paragraph", limit=100, all_terms=True) == every_word


# ---------------------------------------------------------------------------- no match, bad input


@pytest.mark.parametrize("query", ["zyxwvutsrq", "the of and", "!!! ---", "xylophone quixotic"])
def test_no_match_is_an_empty_list(con, query):
    assert search(con, query) == []


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_an_empty_query_is_refused(con, query):
    with pytest.raises(ValueError, match="query is empty"):
        search(con, query)


def test_bad_kind_and_limit_are_refused(con):
    with pytest.raises(ValueError, match="unknown search kind"):
        search(con, "Tucano", kind="cable")
    with pytest.raises(ValueError, match="at least 1"):
        search(con, "Tucano", limit=0)


@pytest.mark.parametrize(
    "query",
    [
        "'; drop table cable; --",
        '"; drop view cable; --',
        "Tucano') or 1=1 --",
        "$query ? $1 %s {query}",
        "'security assurances'",
    ],
)
def test_quotes_and_sql_in_a_query_are_just_words(con, query):
    hits = search(con, query)
    assert all(isinstance(h, Hit) for h in hits)
    assert con.execute("select count(*) from cable").fetchone()[0] == 32


def test_search_runs_on_the_commands_sandboxed_connection(sample_warehouse):
    from cables.settings import SQL_DIR
    from flows.layout import Warehouse
    from flows.serve import connect_read_only

    con = connect_read_only(Warehouse.at(sample_warehouse), SQL_DIR, search=True)
    try:
        best = search(con, "Inverclyde Royal Hospital", limit=1)
    finally:
        con.close()
    assert where(best) == [("paragraph", "08LONDON2673", 3)]


def test_a_database_without_index_says_to_rebuild(tmp_path):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("create table cable (reference_id varchar, subject varchar)")
    with pytest.raises(SearchError, match="no search index"):
        search(con, "Tucano")


# ---------------------------------------------------------------------------- snippets and output


def test_snippets_are_short_single_line_and_show_a_query_word(con):
    hits = search(con, "Trident", kind="paragraph", limit=20)
    assert hits
    for hit in hits:
        assert len(hit.snippet) <= SNIPPET_CHARS + 2
        assert "\n" not in hit.snippet and "  " not in hit.snippet
        assert "trident" in hit.snippet.lower()


TEXT = " ".join(f"w{i:03d}" for i in range(100))  # 100 words of 4 characters, 499 characters


@pytest.mark.parametrize(
    ("text", "match", "want"),
    [
        ("short  text\nhere", (0, 5), "short text here"),
        (TEXT, None, TEXT[:199] + "…"),
        (TEXT, (0, 4), TEXT[:199] + "…"),
        (TEXT, (250, 254), "…" + TEXT[200:399] + "…"),
        (TEXT, (495, 499), "…" + TEXT[300:]),
    ],
)
def test_snippet_window(text, match, want):
    assert snippet(text, match) == want


def test_format_hits_shows_each_hit(con):
    hits = search(con, "Trident nuclear deterrent", limit=2)
    text = format_hits(hits)
    lines = text.splitlines()
    assert lines[0].startswith(" 1.") and "09LONDON1707" in lines[0] and "2009-07-24" in lines[0]
    assert "Embassy London" in lines[0] and lines[0].endswith("subject")
    assert "REASSURANCES" in lines[1]
    second = text.split("\n\n")[1]
    assert second.startswith(" 2.") and second.splitlines()[0].endswith("para 1")
    assert f"{hits[1].score:.2f}" in second
    assert "Trident" in second
    assert all(len(line) <= 100 for line in lines)


def test_format_hits_names_unnumbered_paragraphs_by_position(con):
    hits = search(con, "HQOUTHCOM POLAD", kind="paragraph", limit=1)
    assert (hits[0].reference_id, hits[0].position, hits[0].number) == ("06CARACAS1276", 1, None)
    assert format_hits(hits).splitlines()[0].endswith("position 1 (unnumbered)")


def test_format_hits_of_nothing_is_empty():
    assert format_hits([]) == ""


def test_the_index_can_be_left_out_of_the_database(sample_warehouse, tmp_path):
    import shutil

    from cables.settings import SQL_DIR
    from flows.layout import Warehouse
    from flows.serve import build_database, connect_read_only

    copy = tmp_path / "wh"
    shutil.copytree(sample_warehouse, copy)
    seconds: dict[str, float] = {}
    build_database(Warehouse.at(copy), SQL_DIR, search_index=False, seconds=seconds)
    assert seconds["search_index"] < 0.5 and seconds["views"] > 0
    con = connect_read_only(Warehouse.at(copy), SQL_DIR, search=True)
    try:
        assert con.execute("select count(*) from cable").fetchone()[0] == 32
        with pytest.raises(SearchError, match=r"no search index.*CABLES_SEARCH_INDEX"):
            search(con, "Libya")
    finally:
        con.close()
