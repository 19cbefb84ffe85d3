"""The analytics views of sql/marts/ on the sample warehouse: known answers checked by hand or recounted."""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter
from datetime import date
from itertools import combinations

import pytest

from cables.settings import SQL_DIR
from flows.layout import TABLES, Warehouse
from flows.lookups import REFERENCE_DIR
from flows.serve import connect_read_only, sql_views

MARTS = sorted(SQL_DIR.glob("marts/*.sql"))
LEVELS = ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET")
ID = re.compile(r"^([0-9]{2})([A-Z]+)[0-9]+$")


@pytest.fixture(scope="module")
def con(sample_warehouse):
    connection = connect_read_only(Warehouse.at(sample_warehouse), SQL_DIR)
    yield connection
    connection.close()


def rows(con, query: str, *params) -> list[dict]:
    """The rows of a query as dicts, column name -> value."""
    cursor = con.execute(query, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def documented_columns(path) -> list[str]:
    """The ``-- column: description`` lines after the grain line of a view file, in order."""
    names = []
    for line in path.read_text().splitlines()[1:]:
        if not line.startswith("-- "):
            break
        name, sep, description = line[3:].partition(": ")
        assert sep and description.strip(), f"{path.name}: not a column comment: {line!r}"
        names.append(name)
    return names


@pytest.fixture(scope="module")
def release_months() -> dict[str, int]:
    """The reference ids of the full release with their month of creation, read straight from the shipped file."""
    with gzip.open(REFERENCE_DIR / "cable2month.csv.gz", "rt") as f:
        return {ref: int(month) for ref, month in csv.reader(f)}


@pytest.fixture(scope="module")
def release_ids(release_months) -> set[str]:
    """The reference ids of the full release."""
    return set(release_months)


def station(ref: str) -> str | None:
    """The station of a well-formed id (08TRIPOLI220 -> TRIPOLI), else None."""
    match = ID.match(ref)
    return match.group(2) if match else None


def release_month(ref: str, month: int) -> date:
    """The month of a release id: its two-digit year (00-49: 20xx) and its month in the list."""
    yy = int(ref[:2])
    return date(2000 + yy if yy < 50 else 1900 + yy, month, 1)


# ---------------------------------------------------------------- every view


@pytest.mark.parametrize("path", MARTS, ids=lambda p: p.stem)
def test_view_answers_with_documented_columns(con, path):
    assert path.read_text().startswith("-- one row per ")
    described = con.execute(f"describe {path.stem}").fetchall()
    assert [c[0] for c in described] == documented_columns(path)
    assert con.execute(f"select count(*) from {path.stem}").fetchone()[0] > 0


def test_every_mart_is_a_view_with_its_grain_as_comment(con):
    comments = dict(con.execute("select view_name, comment from duckdb_views() where not internal").fetchall())
    for name, grain, _ in sql_views(SQL_DIR):
        assert comments[name] == grain


def test_every_mart_answers_from_rows_stored_at_build_equal_to_its_query(sample_warehouse):
    import duckdb

    from flows.serve import MART_SCHEMA, create_views

    wh = Warehouse.at(sample_warehouse)
    stored = duckdb.connect(str(wh.database), read_only=True)
    live = duckdb.connect()
    try:
        create_views(live, {t: wh.table_glob(t) for t in ("raw_page", *TABLES)}, SQL_DIR)
        for name, _, _ in sql_views(SQL_DIR):
            definition = stored.execute("select sql from duckdb_views() where view_name = ?", [name]).fetchone()[0]
            assert f"{MART_SCHEMA}.{name}" in definition, definition
            assert (
                stored.execute(f"select * from {name}").fetchall() == live.execute(f"select * from {name}").fetchall()
            )
    finally:
        stored.close()
        live.close()


def test_reference_data_is_stored_once_with_the_rows_of_its_file(sample_warehouse, release_months):
    import duckdb

    from flows.serve import MART_SCHEMA, reference_views

    stored = duckdb.connect(str(Warehouse.at(sample_warehouse).database), read_only=True)
    try:
        assert "release_cable" in reference_views()
        for name in reference_views():
            definition = stored.execute("select sql from duckdb_views() where view_name = ?", [name]).fetchone()[0]
            assert f"{MART_SCHEMA}.{name}" in definition, definition
        held = dict(stored.execute("select reference_id, month from release_cable").fetchall())
        assert held == release_months
    finally:
        stored.close()


def test_a_view_reading_another_is_stored_after_it_from_its_stored_rows(tmp_path):
    import duckdb

    from flows.serve import MART_SCHEMA, materialise_views, view_reads

    con = duckdb.connect(str(tmp_path / "views.duckdb"))
    con.execute("create table numbers as select range as n from range(10)")
    # random(): a view computed again gives other values than its stored rows.
    con.execute("create view evens as select n, random() as r from numbers where n % 2 = 0")
    # Names another view in a comment only: no reason to wait for it.
    con.execute("create view total as select sum(r) as r from evens -- odds are left to odd_total")
    con.execute("create view odd_total as select sum(n) as n, random() as r from numbers where n % 2 = 1")
    con.execute("create view both_totals as select total.r + odd_total.r as r from total, odd_total")
    names = ["both_totals", "total", "odd_total", "evens"]
    assert view_reads(con, names) == {
        "both_totals": {"total", "odd_total"},
        "total": {"evens"},
        "odd_total": set(),
        "evens": set(),
    }
    materialise_views(con, names)
    for name in names:
        definition = con.execute("select sql from duckdb_views() where view_name = ?", [name]).fetchone()[0]
        assert f"{MART_SCHEMA}.{name}" in definition
    # Each view was computed from the stored rows of those it reads, once.
    assert con.execute("select r from total").fetchone()[0] == con.execute("select sum(r) from evens").fetchone()[0]
    assert (
        con.execute("select r from both_totals").fetchone()[0]
        == con.execute("select total.r + odd_total.r from total, odd_total").fetchone()[0]
    )
    # Views that name each other (here in text only: no order exists) are computed from their queries.
    con.execute("create view left_side as select 'right_side' as n")
    con.execute("create view right_side as select 'left_side' as n")
    assert view_reads(con, ["left_side", "right_side"]) == {"left_side": {"right_side"}, "right_side": {"left_side"}}
    materialise_views(con, ["left_side", "right_side"])
    assert con.execute("select n from left_side union all select n from right_side").fetchall() == [
        ("right_side",),
        ("left_side",),
    ]
    # A view that fails stops the others: the error is raised, nothing half-stored is served.
    con.execute("create view broken as select cast('x' as integer) as n")
    con.execute("create view fine as select 1 as n")
    with pytest.raises(duckdb.ConversionException):
        materialise_views(con, ["broken", "fine"])
    assert MART_SCHEMA not in con.execute("select sql from duckdb_views() where view_name = 'broken'").fetchone()[0]
    con.close()


# ---------------------------------------------------------------- tags


def test_tag_cooccurrence_counts_pairs_like_the_tag_table(con):
    tags: dict[str, set[str]] = {}
    for ref, tag in con.execute(
        "select reference_id, canonical_tag from tag where canonical_tag is not null"
    ).fetchall():
        tags.setdefault(ref, set()).add(tag)
    pairs = Counter(pair for found in tags.values() for pair in combinations(sorted(found), 2))
    view = {(r["tag_a"], r["tag_b"]): r["cables"] for r in rows(con, "select * from tag_cooccurrence")}
    assert view == dict(pairs)
    # README's first answer: PGOV and PREL travel together on 17 of the 32 sample cables.
    (top,) = rows(con, "select * from tag_cooccurrence where tag_a = 'PGOV' and tag_b = 'PREL'")
    assert top["cables"] == 17
    assert top["support"] == pytest.approx(17 / 32)
    assert top["lift"] == pytest.approx(17 * 32 / (top["tag_a_cables"] * top["tag_b_cables"]))


def test_tag_cooccurrence_by_year_recounts_and_adds_up(con):
    years = dict(con.execute("select reference_id, year(created_at) from cable").fetchall())
    tags: dict[str, set[str]] = {}
    for ref, tag in con.execute(
        "select reference_id, canonical_tag from tag where canonical_tag is not null"
    ).fetchall():
        tags.setdefault(ref, set()).add(tag)
    pairs = Counter((*pair, years[ref]) for ref, found in tags.items() for pair in combinations(sorted(found), 2))
    view = {
        (r["tag_a"], r["tag_b"], r["year"]): r["cables"] for r in rows(con, "select * from tag_cooccurrence_by_year")
    }
    assert view == dict(pairs)
    totals = con.execute(
        "select count(*) from (select tag_a, tag_b, sum(cables) as n from tag_cooccurrence_by_year group by all) "
        "full join tag_cooccurrence using (tag_a, tag_b) where n is distinct from cables"
    ).fetchone()[0]
    assert totals == 0
    (pgov_prel_2009,) = rows(
        con, "select * from tag_cooccurrence_by_year where tag_a = 'PGOV' and tag_b = 'PREL' and year = 2009"
    )
    assert pgov_prel_2009["cables"] == pairs[("PGOV", "PREL", 2009)]
    assert pgov_prel_2009["year_cables"] == 15


def test_tag_trend_by_year(con):
    prel = {r["year"]: r for r in rows(con, "select * from tag_trend_by_year where tag = 'PREL'")}
    recount = dict(
        con.execute(
            "select year(c.created_at), count(distinct c.reference_id) from cable c "
            "join tag t using (reference_id) where t.canonical_tag = 'PREL' group by 1"
        ).fetchall()
    )
    assert {y: r["cables"] for y, r in prel.items()} == recount
    assert prel[2009]["year_cables"] == 15 and prel[2009]["share"] == pytest.approx(recount[2009] / 15)
    assert prel[2009]["tag_kind"] == "subject"
    # LY (Libya) tags the five Tripoli cables, 08LONDON2673 and 86MADRID5480.
    ly = dict(con.execute("select year, cables from tag_trend_by_year where tag = 'LY'").fetchall())
    assert ly == {1986: 1, 2007: 1, 2008: 2, 2009: 2, 2010: 1}


# ---------------------------------------------------------------- volume and classification

# Embassy Tripoli in the sample (cable pages): 07TRIPOLI943 SECRET (2007-11), 08TRIPOLI220 CONFIDENTIAL
# (2008-03), 09TRIPOLI65 CONFIDENTIAL//NOFORN (2009-01), 09TRIPOLI663 CONFIDENTIAL (2009-08),
# 10TRIPOLI95 SECRET//NOFORN (2010-02).
TRIPOLI_MONTHS = {
    (date(2007, 11, 1), "SECRET"): (1, 0),
    (date(2008, 3, 1), "CONFIDENTIAL"): (1, 0),
    (date(2009, 1, 1), "CONFIDENTIAL"): (1, 1),
    (date(2009, 8, 1), "CONFIDENTIAL"): (1, 0),
    (date(2010, 2, 1), "SECRET"): (1, 1),
}


def test_embassy_volume_by_month_fills_the_months_of_tripoli(con, release_months):
    tripoli = rows(con, "select * from embassy_volume_by_month where origin = 'Embassy Tripoli'")
    months = sorted({r["month"] for r in tripoli})
    # The sample holds Tripoli's cables of Nov 2007 .. Feb 2010; the release's TRIPOLI cables start
    # earlier, and those months are rows too, with no cable here.
    released = Counter(release_month(ref, m) for ref, m in release_months.items() if station(ref) == "TRIPOLI")
    first = min(min(released), date(2007, 11, 1))
    assert months[0] == first < date(2007, 11, 1) and months[-1] == date(2010, 2, 1)
    expected = (2010 - first.year) * 12 + 2 - first.month + 1
    assert len(months) == expected  # every month present
    assert len(tripoli) == expected * 3
    assert {r["level"] for r in tripoli} == set(LEVELS)
    found = {(r["month"], r["level"]): (r["cables"], r["noforn_cables"]) for r in tripoli if r["cables"]}
    assert found == TRIPOLI_MONTHS
    # The release's figures: the same on the three level rows of a month, recounted from the list.
    assert {r["stations"] == ["TRIPOLI"] for r in tripoli} == {True}
    by_month = {(r["month"], r["release_cables"], r["release_held_cables"]) for r in tripoli}
    assert len(by_month) == expected
    assert {m: n for m, n, _ in by_month if n} == dict(released)
    assert sum(held for *_, held in by_month) == 5  # the sample's five Tripoli cables


def test_embassy_volume_keeps_every_cable(con):
    assert con.execute("select sum(cables) from embassy_volume_by_month").fetchone()[0] == 32
    assert con.execute("select sum(cables) from embassy_volume_by_year").fetchone()[0] == 32
    noforn = con.execute("select count(*) from cable where classification like '%NOFORN%'").fetchone()[0]
    assert con.execute("select sum(noforn_cables) from embassy_volume_by_month").fetchone()[0] == noforn == 9
    # One cable only: a single month with a cable; the other rows are the release's months of MANAMA.
    manama = rows(con, "select * from embassy_volume_by_month where origin = 'Embassy Manama'")
    assert len({r["month"] for r in manama if r["cables"]}) == 1 and sum(r["cables"] for r in manama) == 1
    assert len(manama) == 3 * len({r["month"] for r in manama})


def test_embassy_volume_by_year_of_tripoli(con, release_months):
    tripoli = rows(con, "select * from embassy_volume_by_year where origin = 'Embassy Tripoli'")
    released = Counter(release_month(ref, m).year for ref, m in release_months.items() if station(ref) == "TRIPOLI")
    years = range(min(min(released), 2007), 2011)
    assert len(tripoli) == len(years) * 3
    assert {r["year"]: r["release_cables"] for r in tripoli} == {year: released.get(year, 0) for year in years}
    assert {r["year"]: r["release_share"] for r in tripoli if r["year"] == 2010} == {2010: 1 / released[2010]}
    found = {(r["year"], r["level"]): (r["cables"], r["noforn_cables"]) for r in tripoli if r["cables"]}
    assert found == {
        (2007, "SECRET"): (1, 0),
        (2008, "CONFIDENTIAL"): (1, 0),
        (2009, "CONFIDENTIAL"): (2, 1),
        (2010, "SECRET"): (1, 1),
    }


def test_embassy_volume_release_figures_recount_from_the_release_list(con, release_months):
    """Every origin-month's release figures equal a recount: the list's ids of the origin's stations, and the
    sample's cables among them (stations read here from the canonical ids with a regular expression)."""
    cables = con.execute("select origin, reference_id, canonical_id from cable").fetchall()
    stations: dict[str, set[str]] = {}
    for origin, _, canonical in cables:
        if match := ID.match(canonical):
            stations.setdefault(origin, set()).add(match.group(2))
    # A release id held here is read through the cable's canonical id (7575LIBREVILLE1895 -> 75LIBREVILLE1895).
    canonical_of = {ref: canonical for _, printed, canonical in cables for ref in (printed, canonical)}
    expected: Counter = Counter()
    expected_held: Counter = Counter()
    for ref, month in release_months.items():
        read = canonical_of.get(ref, ref)
        match = ID.match(read)
        if not match:
            continue
        for origin, names in stations.items():
            if match.group(2) in names:
                expected[(origin, release_month(read, month))] += 1
                expected_held[(origin, release_month(read, month))] += ref in canonical_of
    view = rows(
        con,
        "select origin, month, stations, release_cables, release_held_cables, release_share "
        "from embassy_volume_by_month where level = 'CONFIDENTIAL'",
    )
    assert {(r["origin"], r["month"]): r["release_cables"] for r in view if r["release_cables"]} == dict(expected)
    assert {(r["origin"], r["month"]): r["release_held_cables"] for r in view if r["release_held_cables"]} == {
        k: n for k, n in expected_held.items() if n
    }
    assert {r["origin"]: set(r["stations"]) for r in view} == stations
    for r in view:
        assert r["release_share"] == (r["release_held_cables"] / r["release_cables"] if r["release_cables"] else None)
    # Each of the 32 sample cables is in the release and counted once under its origin (no station is shared).
    assert sum(expected_held.values()) == 32
    years = rows(
        con, "select origin, year, sum(cables) as c, max(release_cables) as r from embassy_volume_by_year group by all"
    )
    assert sum(r["c"] for r in years) == 32
    yearly: Counter = Counter()
    for (origin, month), n in expected.items():
        yearly[(origin, month.year)] += n
    assert {(r["origin"], r["year"]): r["r"] for r in years if r["r"]} == dict(yearly)


def test_classification_trend_of_2009(con):
    # 2009 in the sample: 15 cables, 6 SECRET, 8 CONFIDENTIAL, 1 UNCLASSIFIED//FOUO (San Jose), 6 NOFORN.
    (all_2009,) = rows(con, "select * from classification_trend where origin is null and year = 2009")
    assert (all_2009["cables"], all_2009["secret_cables"], all_2009["confidential_cables"]) == (15, 6, 8)
    assert (all_2009["unclassified_cables"], all_2009["noforn_cables"]) == (1, 6)
    assert all_2009["secret_share"] == pytest.approx(6 / 15)
    assert all_2009["noforn_share"] == pytest.approx(6 / 15)
    (tripoli,) = rows(con, "select * from classification_trend where origin = 'Embassy Tripoli' and year = 2009")
    assert (tripoli["cables"], tripoli["confidential_share"], tripoli["noforn_share"]) == (2, 1.0, 0.5)
    by_year = dict(con.execute("select year(created_at), count(*) from cable group by 1").fetchall())
    totals = dict(con.execute("select year, cables from classification_trend where origin is null").fetchall())
    assert totals == by_year
    per_origin = dict(
        con.execute("select year, sum(cables) from classification_trend where origin is not null group by 1").fetchall()
    )
    assert per_origin == by_year


def test_paragraph_classification_mix_of_10tripoli95(con):
    # The current page of 10TRIPOLI95 marks paragraphs 1-4 and 6 (S/NF), paragraph 5 (C).
    (mix,) = rows(con, "select * from paragraph_classification_mix where reference_id = '10TRIPOLI95'")
    assert mix["paragraphs"] == 6
    assert (mix["secret_paragraphs"], mix["confidential_paragraphs"], mix["noforn_paragraphs"]) == (5, 1, 5)
    assert mix["unclassified_paragraphs"] == mix["other_paragraphs"] == mix["unmarked_paragraphs"] == 0
    lengths = con.execute(
        "select level, length(text) from paragraph where reference_id = '10TRIPOLI95' order by position"
    ).fetchall()
    assert mix["characters"] == sum(n for _, n in lengths)
    assert mix["confidential_characters"] == lengths[4][1]
    assert mix["secret_character_share"] == pytest.approx(sum(n for lv, n in lengths if lv == "S") / mix["characters"])
    assert mix["secret_paragraph_share"] == pytest.approx(5 / 6)


def test_paragraph_classification_mix_counts_other_and_unmarked(con):
    # 09SECTION01OF03SANJOSE525 is UNCLASSIFIED//FOUO: its paragraphs are marked (SBU), level "other".
    levels = Counter(
        lv
        for (lv,) in con.execute(
            "select level from paragraph where reference_id = '09SECTION01OF03SANJOSE525'"
        ).fetchall()
    )
    (mix,) = rows(con, "select * from paragraph_classification_mix where reference_id = '09SECTION01OF03SANJOSE525'")
    assert levels["SBU"] > 0
    assert mix["other_paragraphs"] == sum(n for lv, n in levels.items() if lv not in ("S", "C", "U", None))
    assert mix["unmarked_paragraphs"] == levels[None]
    assert con.execute("select count(*) from paragraph_classification_mix").fetchone()[0] == 32
    assert con.execute("select sum(paragraphs) from paragraph_classification_mix").fetchone()[0] == 267


# ---------------------------------------------------------------- citations


def test_citation_edge_from_a_ref_line(con, release_ids):
    # 10COLOMBO50 prints "REF: A. 09 COLOMBO 1176 B. 10 COLOMBO 32 C. 10 COLOMBO 8".
    colombo = rows(con, "select * from citation_edge where citing_id = '10COLOMBO50' order by cited_id")
    assert [(r["cited_id"], r["letters"]) for r in colombo] == [
        ("09COLOMBO1176", ["A"]),
        ("10COLOMBO32", ["B"]),
        ("10COLOMBO8", ["C"]),
    ]
    first = colombo[0]
    assert (first["citing_year"], first["cited_year"], first["cited_station"]) == (2010, 2009, "COLOMBO")
    assert [r["cited_in_release"] for r in colombo] == [r["cited_id"] in release_ids for r in colombo]
    assert not any(r["cited_in_warehouse"] for r in colombo)


def test_citation_edge_matches_the_reference_table(con):
    refs = {
        (ref, cited)
        for ref, cited, canonical in con.execute(
            "select r.reference_id, r.referenced_id, c.canonical_id from reference r join cable c using (reference_id) "
            "where r.referenced_id is not null"
        ).fetchall()
        if cited != canonical
    }
    edges = set(con.execute("select citing_id, cited_id from citation_edge").fetchall())
    assert edges == refs and len(edges) == 36
    # The page marker "SAN JOSE 00000525 001.1 OF 003" read into REF G is not a citation of itself.
    assert ("09SECTION01OF03SANJOSE525", "09SANJOSE525") not in edges


def test_most_cited_cables(con):
    counts = Counter(cited for _, cited in con.execute("select citing_id, cited_id from citation_edge").fetchall())
    view = {r["cited_id"]: r for r in rows(con, "select * from most_cited_cables")}
    assert {k: r["citing_cables"] for k, r in view.items()} == dict(counts)
    assert {r["citation_rank"] for r in view.values()} == {1}  # every cited id is cited once in the sample
    assert view["08TRIPOLI994"]["cited_station"] == "TRIPOLI" and view["08TRIPOLI994"]["first_citing_year"] == 2009


def test_unresolved_references(con, release_ids):
    refs = rows(con, "select * from reference")
    expected = {
        (r["reference_id"], r["position"], r["part"]): ("no_id" if r["referenced_id"] is None else "not_in_release")
        for r in refs
        if r["referenced_id"] is None or r["referenced_id"] not in release_ids
    }
    view = {
        (r["reference_id"], r["position"], r["part"]): r["reason"]
        for r in rows(con, "select * from unresolved_references")
    }
    assert view == expected
    # REF A of 09SECTION01OF03SANJOSE525 reads "2008 SAN JOSE 00": no cable id.
    assert view[("09SECTION01OF03SANJOSE525", 1, 1)] == "no_id"
    assert view[("10COLOMBO50", 1, 1)] == "not_in_release"  # 09 COLOMBO 1176 is not in the release


# ---------------------------------------------------------------- places, recipients, coverage, media


def test_origin_country(con):
    places = {r["reference_id"]: r for r in rows(con, "select * from origin_country")}
    assert len(places) == 32
    assert (places["08TRIPOLI220"]["station"], places["08TRIPOLI220"]["country"]) == ("TRIPOLI", "libya")
    assert places["08TRIPOLI220"]["regions"] == ["north_africa"]
    assert places["04ANKARA348"]["regions"] == ["europe", "west_asia"]
    assert (places["10COLOMBO50"]["country"], places["10COLOMBO50"]["regions"]) == ("sri_lanka", [])
    assert (places["09STATE37566"]["station"], places["09STATE37566"]["country"]) == ("STATE", None)
    assert places["09SECTION01OF03SANJOSE525"]["station"] == "SANJOSE"
    assert places["7575LIBREVILLE1895"]["country"] == "gabon"


def test_recipient_volume_of_secstate(con):
    recount = Counter(
        (kind, precedence)
        for _, kind, precedence in con.execute(
            "select distinct reference_id, kind, precedence from recipient where name = 'SECSTATE WASHDC'"
        ).fetchall()
        if kind != "xmt"
    )
    secstate = rows(con, "select * from recipient_volume where name = 'SECSTATE WASHDC'")
    assert {(r["kind"], r["precedence"]): r["cables"] for r in secstate} == dict(recount)
    assert {r["name_rank"] for r in secstate} == {1}
    # 10TRIPOLI95 goes TO SECSTATE WASHDC IMMEDIATE.
    assert ("to", "IMMEDIATE") in recount
    assert con.execute("select count(*) from recipient_volume where kind = 'xmt'").fetchone()[0] == 0


def test_release_coverage(con, release_ids):
    tripoli_2010 = sum(1 for ref in release_ids if (m := ID.match(ref)) and m.groups() == ("10", "TRIPOLI"))
    (row,) = rows(con, "select * from release_coverage where station = 'TRIPOLI' and year = 2010")
    assert (row["release_cables"], row["warehouse_cables"], row["warehouse_release_cables"]) == (tripoli_2010, 1, 1)
    assert row["coverage"] == pytest.approx(1 / tripoli_2010) and row["country"] == "libya"
    totals = con.execute(
        "select sum(release_cables), sum(warehouse_cables), sum(warehouse_release_cables) from release_coverage"
    ).fetchone()
    assert totals == (len(release_ids), 32, 32) == (251_287, 32, 32)
    # 7575LIBREVILLE1895 (printed with its year twice) counts under LIBREVILLE 1975.
    (libreville,) = rows(con, "select * from release_coverage where station = 'LIBREVILLE' and year = 1975")
    assert libreville["warehouse_release_cables"] == 1


def test_media_coverage(con):
    # News links of the sample pages: Der Spiegel cites 09ISLAMABAD284 (released 2010-11-30),
    # 09STATE83026 (2010-12-05) and 10TRIPOLI95 (2011-01-28).
    spiegel = rows(con, "select * from media_coverage where host = 'www.spiegel.de' order by release_month")
    assert [(r["release_month"], r["reference_ids"]) for r in spiegel] == [
        (date(2010, 11, 1), ["09ISLAMABAD284"]),
        (date(2010, 12, 1), ["09STATE83026"]),
        (date(2011, 1, 1), ["10TRIPOLI95"]),
    ]
    assert {r["outlet"] for r in spiegel} == {"spiegel.de"}
    assert con.execute("select sum(links) from media_coverage").fetchone()[0] == 6


# ---------------------------------------------------------------- overview


def test_cable_overview_of_10tripoli95(con):
    (row,) = rows(con, "select * from cable_overview where reference_id = '10TRIPOLI95'")
    assert (row["level"], row["noforn"], row["station"], row["country"]) == ("SECRET", True, "TRIPOLI", "libya")
    assert row["tags"] == ["PREL", "PGOV", "PINR", "PHUM", "LY"]
    # TO SECSTATE WASHDC; INFO six addressees (Arab League, European Political, NSC, CIA, AFRICOM, Tripoli).
    assert (row["to_count"], row["info_count"], row["recipient_count"]) == (1, 6, 7)
    assert (row["paragraph_count"], row["media_link_count"], row["reference_count"]) == (6, 1, 0)
    versions = con.execute("select count(*) from cable_version where reference_id = '10TRIPOLI95'").fetchone()[0]
    assert row["version_count"] == versions >= 2


def test_cable_overview_counts_match_the_tables(con):
    assert con.execute("select count(*) from cable_overview").fetchone()[0] == 32
    sums = con.execute(
        "select sum(recipient_count), sum(reference_count), sum(paragraph_count), sum(media_link_count), "
        "sum(version_count), sum(cited_by_count) from cable_overview"
    ).fetchone()
    tables = con.execute(
        "select (select count(*) from recipient where kind <> 'xmt'), (select count(*) from reference), "
        "(select count(*) from paragraph), (select count(*) from media_link), (select count(*) from cable_version), "
        "(select count(*) from citation_edge where cited_in_warehouse)"
    ).fetchone()
    assert sums == tables


# ---------------------------------------------------------------- cable_changes


def test_cable_changes_follow_the_versions_of_a_cable(con):
    # 09RIYADH447 is in the sample in 7 distinct versions (viewer builds of Nov 2010 - Mar 2011).
    changes = rows(con, "select * from cable_changes where reference_id = '09RIYADH447'")
    versions = rows(con, "select * from cable_version where reference_id = '09RIYADH447' order by version_rank")
    assert len(versions) == 7 and [c["to_version_rank"] for c in changes] == [6, 5, 4, 3, 2, 1]
    # Each pair links version rank k+1 to k, and the last one ends at the current version.
    by_rank = {v["version_rank"]: v["content_sha256"] for v in versions}
    assert all(c["from_content_sha256"] == by_rank[c["to_version_rank"] + 1] for c in changes)
    assert changes[-1]["to_content_sha256"] == by_rank[1]
    # The oldest pair changed the subject and body; the newest one only the Released date.
    assert changes[0]["changed"] == ["subject", "body"] and changes[0]["from_subject"] != changes[0]["to_subject"]
    assert changes[-1]["changed"] == ["released_at"] and not changes[-1]["text_changed"]
    assert changes[-1]["body_diff"] is None and changes[0]["body_diff"].startswith("--- older\n+++ newer\n@@")


# ---------------------------------------------------------------- tag glossary

MEANINGS_HEADER = ["tag", "kind", "meaning", "source", "note"]


def test_tag_meanings_file_is_a_sorted_vocabulary_whose_kinds_the_parser_agrees_with():
    import polars as pl

    from transforms.tag import tag_kind

    text = (REFERENCE_DIR / "tag_meanings.csv").read_text(encoding="utf-8")
    assert text.split("\n", 1)[0] == ",".join(MEANINGS_HEADER) and text.endswith("\n") and "\r" not in text
    with (REFERENCE_DIR / "tag_meanings.csv").open(encoding="utf-8", newline="") as f:
        entries = list(csv.DictReader(f, strict=True))
    tags = [row["tag"] for row in entries]
    assert tags == sorted(set(tags)) and len(tags) > 200
    assert all(row["meaning"] and row["meaning"] == row["meaning"].strip() for row in entries)
    # Each kind is the one the parser's own rules give the tag (transforms.tag.tag_kind).
    kinds = pl.DataFrame({"tag": tags}).select(tag_kind(pl.col("tag")).alias("kind"))["kind"].to_list()
    assert kinds == [row["kind"] for row in entries]


def test_common_tags_of_the_sample_resolve_in_the_glossary(con):
    glossary = {r["tag"]: r for r in rows(con, "select * from tag_glossary")}
    carried = Counter(
        tag for _, tag in con.execute("select distinct reference_id, canonical_tag from tag").fetchall() if tag
    )
    # Every tag the sample's cables carry is in the glossary once, with its cable count and a kind.
    assert {tag: glossary[tag]["cables"] for tag in carried} == dict(carried)
    kinds = dict(con.execute("select canonical_tag, any_value(tag_kind) from tag group by 1").fetchall())
    assert {tag: glossary[tag]["kind"] for tag in carried} == {tag: kinds[tag] for tag in carried}
    # The common ones have a meaning, from the shipped file.
    common = [tag for tag, n in carried.most_common() if n >= 3]
    assert len(common) >= 15
    assert [tag for tag in common if not glossary[tag]["meaning"]] == []
    assert {tag: glossary[tag]["meaning"] for tag in ("SP", "MOPS", "PGOV", "PREL", "LY", "KNNP")} == {
        "SP": "Spain",
        "MOPS": "Military operations",
        "PGOV": "Internal governmental affairs",
        "PREL": "External political relations",
        "LY": "Libya",
        "KNNP": "Nuclear non-proliferation",
    }
    assert glossary["PGOV"]["vocabulary"] == ["subject_tags", "tag_meanings"] and glossary["PGOV"]["kind"] == "subject"
    nato = glossary["NATO"]
    assert (nato["kind"], nato["meaning"]) == ("organisation", "North Atlantic Treaty Organization")
    # The shipped lists are all there, carried or not: 96 subject and 590 organisation tags.
    listed = [r for r in glossary.values() if r["vocabulary"]]
    assert sum("subject_tags" in r["vocabulary"] for r in listed) == 96
    assert sum("organisation_tags" in r["vocabulary"] for r in listed) == 590
    assert all(r["cables"] == carried.get(r["tag"], 0) for r in listed)
