"""Searching the sample warehouse: known answers on real pages for words, phrases, boolean
queries, prefixes, spelling variants, filters, snippets and output formats."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from itertools import pairwise

import duckdb
import pytest

from cables.search import (
    MARK_START,
    SNIPPET_CHARS,
    Filters,
    Hit,
    SearchError,
    format_hits,
    hits_csv,
    hits_json,
    search,
    write_hits_parquet,
)
from flows.layout import Warehouse
from flows.search_index import index_path


@pytest.fixture(scope="module")
def index(sample_warehouse):
    wh = Warehouse.at(sample_warehouse)
    return index_path(wh, wh.current_snapshot())


@pytest.fixture(scope="module")
def con(sample_warehouse):
    con = duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def texts(con) -> dict[tuple[str, int], str]:
    """Every document's text, lower case: (reference_id, position) -> text; position 0 the subject."""
    rows = con.execute(
        "select reference_id, position, text_joined from paragraph union all "
        "select reference_id, 0, subject from cable where subject <> ''"
    ).fetchall()
    return {(r, p): t.lower() for r, p, t in rows}


def ids(hits: list[Hit]) -> list[str]:
    return [h.reference_id for h in hits]


def marked(snippet: str) -> list[str]:
    """The words a snippet marks as matches."""
    return re.findall(r"\*\*(.+?)\*\*", snippet)


# ---------------------------------------------------------------------------- known answers


@pytest.mark.parametrize(
    ("query", "reference_id", "position", "number", "word"),
    [
        ("Inverclyde Royal Hospital", "08LONDON2673", 3, 3, "Inverclyde"),
        ("Nilmario Miranda", "05BRASILIA369", 7, 6, "Nilmario"),
        ("inverclyde", "08LONDON2673", 3, 3, "Inverclyde"),
    ],
)
def test_distinctive_words_find_their_paragraph_first(index, query, reference_id, position, number, word):
    best = search(index, query)[0]
    assert (best.kind, best.reference_id, best.position, best.number) == ("paragraph", reference_id, position, number)
    assert best.rank == 1 and best.score > 0
    assert word in marked(best.snippet)


def test_a_hit_carries_its_cable(index, con):
    best = search(index, "Inverclyde Royal Hospital", limit=1)[0]
    want = con.execute(
        "select subject, created_at, origin, classification, tags, url from cable where reference_id = '08LONDON2673'"
    ).fetchone()
    assert (best.subject, best.created_at, best.origin, best.classification, best.tags, best.url) == want


def test_one_hit_per_cable_with_its_best_passages(index):
    hits = search(index, "Trident", limit=20)
    assert len(ids(hits)) == len(set(ids(hits)))
    london = next(h for h in hits if h.reference_id == "09LONDON1707")
    assert 1 < len(london.passages) <= 3
    assert [p.score for p in london.passages] == sorted((p.score for p in london.passages), reverse=True)
    assert london.score == london.passages[0].score


def test_a_subject_match_ranks_above_body_matches(index):
    best = search(index, "Trident nuclear deterrent", limit=5)[0]
    assert (best.reference_id, best.kind, best.position) == ("09LONDON1707", "subject", 0)
    assert best.snippet.startswith("DOUBTS -- AND REASSURANCES") and "**TRIDENT**" in best.snippet


def test_in_subject_or_paragraph_only(index):
    subjects = search(index, "Tucano", kind="subject", limit=50)
    assert ids(subjects) == ["06CARACAS1276"] and {h.kind for h in subjects} == {"subject"}
    paragraphs = search(index, "Tucano", kind="paragraph", limit=50)
    assert paragraphs and all(p.kind == "paragraph" for h in paragraphs for p in h.passages)


def test_stemming_finds_other_forms_of_a_word(index, texts):
    # No sample paragraph says "assurance(s)"; "assured" shares its stem.
    hits = search(index, "assurances", kind="paragraph", limit=50)
    islamabad = next(h for h in hits if h.reference_id == "09ISLAMABAD284")
    assert "assured" in marked(islamabad.snippet)


def test_short_words_are_not_dropped(index, texts):
    """``US`` and ``UN`` are words here, not stopwords."""
    hits = search(index, "UN", kind="paragraph", limit=50)
    assert hits
    for hit in hits:
        assert re.search(r"\bun\b", texts[hit.reference_id, hit.position])


# ---------------------------------------------------------------------------- the query language


def test_every_word_must_match(index, texts):
    hits = search(index, "Megrahi cancer", kind="paragraph", limit=100)
    assert hits
    for hit in hits:
        for passage in hit.passages:
            text = texts[hit.reference_id, passage.position]
            assert "megrahi" in text and "cancer" in text
    either = search(index, "Megrahi cancer", kind="paragraph", limit=100, any_word=True)
    assert set(ids(hits)) < set(ids(either))


def test_a_phrase_needs_its_words_together(index, texts):
    phrase = search(index, '"human rights"', limit=100)
    assert phrase
    for hit in phrase:
        for passage in hit.passages:
            assert re.search(r"human\W+rights", texts[hit.reference_id, passage.position])
    assert set(ids(phrase)) <= set(ids(search(index, "human rights", limit=100)))
    # The words the other way round are no phrase of the sample, though they are its words.
    assert search(index, '"rights human"') == [] and search(index, "rights human")
    assert ids(search(index, '"Trident nuclear deterrent"', limit=3))[0] == "09LONDON1707"


def test_or_and_not(index, texts):
    megrahi = set(ids(search(index, "Megrahi", limit=100)))
    tucano = set(ids(search(index, "Tucano", limit=100)))
    assert set(ids(search(index, "Megrahi OR Tucano", limit=100))) == megrahi | tucano
    libya = search(index, "Libya", limit=100)
    without = search(index, "Libya NOT Megrahi", limit=100)
    assert without and set(ids(without)) < set(ids(libya))
    for hit in without:
        for passage in hit.passages:
            assert "megrahi" not in texts[hit.reference_id, passage.position]
    assert ids(search(index, "Libya -Megrahi", limit=100)) == ids(without)
    assert ids(search(index, "Libya AND NOT Megrahi", limit=100)) == ids(without)


def test_spelling_variants_with_a_fuzzy_word(index, texts):
    """``qaddafi~2`` finds the sample's Qadhafi (one edit) and marks it; plain ``qaddafi`` does not."""
    assert all("qadhafi" not in marked(h.snippet.lower()) for h in search(index, "qaddafi", limit=50))
    hits = search(index, "qaddafi~2", limit=50)
    assert "10TRIPOLI95" in ids(hits)
    words = {w.lower() for h in hits for p in h.passages for w in marked(p.snippet)}
    assert "qadhafi" in words
    assert search(index, "qaddafi~", limit=50) == hits  # one edit is enough for Qadhafi


def test_a_prefix_word(index):
    hits = search(index, "reassur*", limit=50)
    assert {"09LONDON1707", "09ISLAMABAD284"} <= set(ids(hits))
    words = {w.lower() for h in hits for p in h.passages for w in marked(p.snippet)}
    assert {"reassurances", "reassured"} <= words
    # Required beside an operator, excluded after NOT.
    assert set(ids(search(index, "reassur* AND Khan", limit=50))) == set(ids(search(index, "reassur* Khan", limit=50)))
    for hit in search(index, "Khan NOT reassur*", limit=50):  # per document: no passage says reassur...
        assert not any("reassur" in p.snippet.lower() for p in hit.passages)


def test_field_filters_inside_the_query(index):
    london = search(index, 'origin:"Embassy London" Trident', limit=50)
    assert london and {h.origin for h in london} == {"Embassy London"}
    assert search(index, 'origin:"embassy london" Trident', limit=50) == london  # any case
    tagged = search(index, "tag:PGOV Libya", limit=50)
    assert tagged and all("PGOV" in h.tags for h in tagged)
    in_2009 = search(index, "year:2009 Libya", limit=50)
    assert in_2009 and {h.created_at.year for h in in_2009} == {2009}
    spring = search(index, "date:[2009-01-01 TO 2009-06-30] Libya", limit=50)
    assert spring and all(date(2009, 1, 1) <= h.created_at.date() <= date(2009, 6, 30) for h in spring)
    secret = search(index, "classification:SECRET//NOFORN Libya", limit=50)
    assert secret and {h.classification for h in secret} == {"SECRET//NOFORN"}
    assert ids(search(index, "id:08LONDON2673 hospital")) == ["08LONDON2673"]
    assert {h.kind for h in search(index, "subject:Tucano")} == {"subject"}


def test_filters_given_apart_from_the_query(index):
    assert ids(search(index, "Trident", limit=50, filters=Filters(origin="embassy london"))) == ids(
        search(index, 'origin:"Embassy London" Trident', limit=50)
    )
    hits = search(index, "Libya", limit=50, filters=Filters(since=date(2009, 1, 1), until=date(2009, 12, 31)))
    assert hits and {h.created_at.year for h in hits} == {2009}
    assert search(index, "Libya", filters=Filters(tag="NOSUCHTAG")) == []


def test_a_filter_alone_lists_its_cables(index, con):
    london = search(index, 'origin:"Embassy London"', limit=100)
    want = con.execute("select count(*) from cable where origin = 'Embassy London'").fetchone()[0]
    assert len(london) == want > 0


def test_ranks_are_in_order_limited_and_repeatable(index):
    hits = search(index, "Qadhafi OR Libya OR Megrahi", limit=7)
    assert len(hits) == 7
    assert [h.rank for h in hits] == list(range(1, 8))
    assert all(a.score >= b.score for a, b in pairwise(hits))
    assert search(index, "Qadhafi OR Libya OR Megrahi", limit=7) == hits


# ---------------------------------------------------------------------------- no match, bad input


@pytest.mark.parametrize("query", ["zyxwvutsrq", "xylophone quixotic", "zyxw~1", "zyxwv*"])
def test_no_match_is_an_empty_list(index, query):
    assert search(index, query) == []


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_an_empty_query_is_refused(index, query):
    with pytest.raises(ValueError, match="query is empty"):
        search(index, query)


def test_bad_kind_and_limit_are_refused(index):
    with pytest.raises(ValueError, match="unknown search kind"):
        search(index, "Tucano", kind="cable")
    with pytest.raises(ValueError, match="at least 1"):
        search(index, "Tucano", limit=0)


@pytest.mark.parametrize("query", ['"unclosed phrase', "origin:", "(Libya", "year:[2008 TO"])
def test_a_query_the_parser_cannot_read_is_one_clear_error(index, query):
    with pytest.raises(SearchError, match="cannot read the query"):
        search(index, query)


@pytest.mark.parametrize(
    "query", ["'; drop table cable; --", "Tucano') or 1=1 --", "$query ? $1 %s {query}", "Qadhafi's", "`x`"]
)
def test_sql_or_stray_marks_in_a_query_are_words_or_one_clear_error(index, query):
    try:
        hits = search(index, query)
    except SearchError as exc:
        assert str(exc).startswith("cannot read the query") and "\n" not in str(exc)
    else:
        assert all(isinstance(h, Hit) for h in hits)


def test_an_apostrophe_is_read(index):
    assert "10TRIPOLI95" in ids(search(index, "Qadhafi's children", limit=20))


def test_a_folder_without_index_says_to_rebuild(tmp_path):
    with pytest.raises(SearchError, match=r"no search index.*CABLES_SEARCH_INDEX"):
        search(tmp_path, "Tucano")


# ---------------------------------------------------------------------------- snippets and output


def test_snippets_are_one_line_and_mark_the_query_words(index):
    hits = search(index, "Trident", kind="paragraph", limit=20)
    assert hits
    for passage in (p for h in hits for p in h.passages):
        plain = passage.snippet.replace(MARK_START, "")
        assert len(plain) <= SNIPPET_CHARS + 2
        assert "\n" not in passage.snippet and "  " not in passage.snippet
        assert [w.lower() for w in marked(passage.snippet)] and {w.lower() for w in marked(passage.snippet)} == {
            "trident"
        }


def test_csv_is_one_row_per_cable(index):
    hits = search(index, "Libya", limit=5)
    rows = list(csv.DictReader(io.StringIO(hits_csv(hits))))
    assert [r["reference_id"] for r in rows] == ids(hits)
    assert {"reference_id", "position", "score", "snippet"} <= set(rows[0])
    assert rows[0]["position"] == str(hits[0].position) and float(rows[0]["score"]) == hits[0].score


def test_json_has_the_passages(index):
    hits = search(index, "Libya", limit=3)
    data = json.loads(hits_json(hits))
    assert [d["reference_id"] for d in data] == ids(hits)
    assert data[0]["passages"][0]["snippet"] == hits[0].passages[0].snippet
    assert data[0]["created_at"] == hits[0].created_at.isoformat()


def test_parquet_hits_join_the_cable_table_in_sql(index, con, tmp_path):
    hits = search(index, "Libya", limit=5)
    path = tmp_path / "hits.parquet"
    write_hits_parquet(hits, path)
    joined = con.execute(
        f"select h.reference_id, c.signer from read_parquet('{path}') as h join cable as c using (reference_id) "
        "order by h.rank"
    ).fetchall()
    assert [r[0] for r in joined] == ids(hits)


def test_format_hits_shows_each_cable(index):
    hits = search(index, "Trident nuclear deterrent", limit=2)
    text = format_hits(hits)
    lines = text.splitlines()
    assert lines[0].startswith(" 1.") and "09LONDON1707" in lines[0] and "2009-07-24" in lines[0]
    assert "Embassy London" in lines[0] and "REASSURANCES" in lines[1]
    assert any(line.strip().startswith("para ") and "**" in line for line in lines)
    assert all(len(line) <= 100 for line in lines)
    assert format_hits([]) == ""
