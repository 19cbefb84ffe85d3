"""The search index of a snapshot: its documents, built with the build, updated per cable,
left alone when nothing is new, versioned with the snapshot."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
import tantivy

from cables.search import INDEX_DIR, INDEX_VERSION, VERSION_FILE, is_index, open_index, search
from flows.build import build_warehouse
from flows.layout import Warehouse
from flows.search_index import add_documents, index_path, reader_index, update_search_index
from transforms.search_document import COLUMNS, search_document


def documents(path: Path) -> pl.DataFrame:
    """Every document of the index at ``path``: reference id, kind, position."""
    index = open_index(path)
    searcher = index.searcher()
    hits = searcher.search(tantivy.Query.all_query(), 1_000_000, count=False).hits
    rows = []
    for _, address in hits:
        doc = searcher.doc(address)
        rows.append((doc["reference_id"][0], doc["kind"][0], doc["position"][0]))
    return pl.DataFrame(rows, schema=["reference_id", "kind", "position"], orient="row").sort(pl.all())


def expected_documents(warehouse: Path) -> pl.DataFrame:
    with duckdb.connect(str(warehouse / "cables.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select reference_id, 'subject', 0 from cable where trim(subject) <> '' union all "
            "select reference_id, 'paragraph', position from paragraph where trim(text_joined) <> ''"
        ).fetchall()
    return pl.DataFrame(rows, schema=["reference_id", "kind", "position"], orient="row").sort(pl.all())


def files_of(path: Path) -> dict[str, tuple[int, int]]:
    """Each file of a folder -> (inode, modification time in ns): what a writer would change."""
    return {f.name: (f.stat().st_ino, f.stat().st_mtime_ns) for f in sorted(path.iterdir()) if f.is_file()}


# ---------------------------------------------------------------------------- the documents


def test_search_document_holds_subjects_and_paragraphs_with_the_cable_fields():
    cables = pl.LazyFrame(
        {
            "reference_id": ["01A1", "01A2", "01A3"],
            "subject": ["SECURITY ASSURANCES FOR UKRAINE", "   ", None],
            "origin": ["Embassy Kyiv"] * 3,
            "classification": ["SECRET"] * 3,
            "tags": [["PREL", "UP"], [], None],
            "created_at": [datetime(2009, 1, 2, 3, 4)] * 3,
            "url": ["/cable/2009/01/01A1.html", None, None],
        }
    )
    paragraphs = pl.LazyFrame(
        {
            "reference_id": ["01A1", "01A1", "01A2", "01A2", "01A9"],
            "position": [2, 1, 1, 2, 1],
            "number": [1, None, 1, 2, 1],
            "text_joined": ["Ukraine asked for assurances.", "PASS TO EUR", "Erdoğan met the minister.", " ", "x"],
        },
        schema_overrides={"position": pl.Int32, "number": pl.Int32},
    )
    got = search_document(cables, paragraphs).collect()
    assert got.columns == list(COLUMNS)
    assert got.select("reference_id", "kind", "position").rows() == [
        ("01A1", "subject", 0),
        ("01A1", "paragraph", 1),
        ("01A1", "paragraph", 2),
        ("01A2", "paragraph", 1),
    ]  # no empty subject or paragraph, no paragraph of an unknown cable, in order
    first = got.row(0, named=True)
    assert first["text"] == first["subject"] == "SECURITY ASSURANCES FOR UKRAINE"
    assert (first["year"], first["tags"], first["origin"]) == (2009, ["PREL", "UP"], "Embassy Kyiv")
    assert got.row(3, named=True)["tags"] == []


def test_accents_and_case_fold_and_every_field_is_searchable(tmp_path):
    from cables.search import register_analyzers, schema

    index = register_analyzers(tantivy.Index(schema(), path=str(tmp_path)))
    writer = index.writer(15_000_000, 1)
    frame = pl.DataFrame(
        {
            "reference_id": ["01A2"],
            "kind": ["paragraph"],
            "position": [1],
            "number": [None],
            "text": ["Erdoğan met the minister at the CAFÉ."],
            "subject": [""],
            "origin": ["Embassy Ankara"],
            "classification": ["SECRET//NOFORN"],
            "tags": [["PREL"]],
            "created_at": [datetime(2009, 1, 2)],
            "year": [2009],
            "url": [None],
        },
        schema_overrides={"number": pl.Int64, "position": pl.Int64, "year": pl.Int64},
    )
    assert add_documents(writer, frame) == 1
    writer.commit()
    (tmp_path / VERSION_FILE).write_text(json.dumps({"version": INDEX_VERSION}))
    hits = search(tmp_path, "erdogan cafe")
    assert [h.reference_id for h in hits] == ["01A2"]
    assert hits[0].number is None and hits[0].tags == ["PREL"] and hits[0].url is None
    assert hits[0].snippet == "**Erdoğan** met the minister at the **CAFÉ**"


# ---------------------------------------------------------------------------- built with the build


def test_the_build_indexes_every_subject_and_paragraph(sample_build, sample_warehouse):
    wh = Warehouse.at(sample_warehouse)
    path = index_path(wh, wh.current_snapshot())
    assert is_index(path) and path.parent == wh.snapshot_dir(wh.current_snapshot())
    got, want = documents(path), expected_documents(sample_warehouse)
    assert got.height == want.height > 32 and got.equals(want)
    run = json.loads(sorted((sample_warehouse / "runs").glob("*.json"))[-1].read_text())
    assert run["parse"]["search_index"]["mode"] == "full"
    assert run["parse"]["search_index"]["documents_added"] == want.height
    assert run["seconds"]["search"] > 0


@pytest.fixture(scope="module")
def incremental(prefect_harness, sample_dir, tmp_path_factory) -> dict:
    """A warehouse built from a folder of the sample less one cable, then from the same folder
    with that cable's pages back, then once more with nothing new."""
    root = tmp_path_factory.mktemp("incremental")
    source, aside = root / "source", root / "aside"
    shutil.copytree(sample_dir, source)
    held = {}
    for page in source.rglob("09LONDON1707*"):
        held[page] = aside / page.relative_to(source)
        held[page].parent.mkdir(parents=True, exist_ok=True)
        shutil.move(page, held[page])
    assert held
    warehouse = root / "wh"
    build_warehouse(source=str(source), warehouse=str(warehouse))
    wh = Warehouse.at(warehouse)
    first = wh.current_snapshot()
    first_docs = documents(index_path(wh, first))
    for page, kept in held.items():
        shutil.move(kept, page)
    build_warehouse(source=str(source), warehouse=str(warehouse))
    second = wh.current_snapshot()
    second_files = files_of(index_path(wh, second))
    build_warehouse(source=str(source), warehouse=str(warehouse))
    runs = [json.loads(p.read_text()) for p in sorted((warehouse / "runs").glob("*.json"))]
    return {
        "warehouse": warehouse,
        "first": first,
        "first_docs": first_docs,
        "second": second,
        "second_files": second_files,
        "runs": runs,
    }


def test_a_build_that_adds_a_cable_updates_the_index_for_it_alone(incremental):
    wh = Warehouse.at(incremental["warehouse"])
    done = incremental["runs"][1]["parse"]["search_index"]
    assert done["mode"] == "incremental" and done["cables"] >= 1
    got = documents(index_path(wh, incremental["second"]))
    assert got.equals(expected_documents(incremental["warehouse"]))
    added = got.join(incremental["first_docs"], on=list(got.columns), how="anti")
    assert set(added["reference_id"]) == {"09LONDON1707"}
    assert done["documents_added"] < got.height / 4
    hits = search(index_path(wh, incremental["second"]), "Trident nuclear deterrent")
    assert hits[0].reference_id == "09LONDON1707"


def test_the_previous_snapshot_keeps_its_own_index(incremental):
    """Readers of the previous snapshot (kept until the next build) search what they read."""
    wh = Warehouse.at(incremental["warehouse"])
    previous = wh.snapshot_dir(incremental["first"])
    if previous.exists():  # garbage collected after the third build
        assert documents(previous / INDEX_DIR).equals(incremental["first_docs"])
    assert search(index_path(wh, incremental["second"]), "Trident")


def test_a_build_with_nothing_new_does_not_touch_the_index(incremental):
    wh = Warehouse.at(incremental["warehouse"])
    third = incremental["runs"][2]
    assert third["parse"]["mode"] == "none" and third["parse"]["search_index"] is None
    assert wh.current_snapshot() == incremental["second"]
    assert files_of(index_path(wh, incremental["second"])) == incremental["second_files"]


def test_an_index_of_another_version_is_rebuilt_whole(sample_warehouse, tmp_path):
    copy = tmp_path / "wh"
    shutil.copytree(sample_warehouse, copy, symlinks=True)
    wh = Warehouse.at(copy)
    current = wh.current_snapshot()
    (index_path(wh, current) / VERSION_FILE).write_text(json.dumps({"version": 0}))
    shutil.copytree(wh.snapshot_dir(current), wh.snapshot_dir("next"), ignore=shutil.ignore_patterns(INDEX_DIR))
    cables = pl.DataFrame({"reference_id": ["08LONDON2673"]})
    done = update_search_index(wh, "next", current, cables)
    assert done["mode"] == "full"  # the previous index could not be updated
    assert documents(index_path(wh, "next")).equals(documents_from_sample(sample_warehouse))


def documents_from_sample(sample_warehouse: Path) -> pl.DataFrame:
    wh = Warehouse.at(sample_warehouse)
    return documents(index_path(wh, wh.current_snapshot()))


def test_a_warehouse_built_without_the_index_gets_it_from_the_next_build(
    prefect_harness, sample_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("CABLES_SEARCH_INDEX", "false")
    warehouse = tmp_path / "wh"
    build_warehouse(source=str(sample_dir), warehouse=str(warehouse))
    wh = Warehouse.at(warehouse)
    assert not is_index(index_path(wh, wh.current_snapshot()))
    with pytest.raises(Exception, match="no search index"):
        search(reader_index(wh), "Trident")
    monkeypatch.setenv("CABLES_SEARCH_INDEX", "true")
    snapshot = wh.current_snapshot()
    build_warehouse(source=str(sample_dir), warehouse=str(warehouse))
    assert wh.current_snapshot() == snapshot  # nothing new: the index was added to the snapshot
    assert documents(reader_index(wh)).equals(expected_documents(warehouse))
