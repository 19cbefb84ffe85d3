"""The vocabulary files of ``data/reference/``: their format, keys and a few known entries.

The files are read here with ``csv`` on their own, apart from the loader in ``transforms.lookups``;
the last tests check the loader (the constants equal the files, a broken file is refused).
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter
from pathlib import Path

import pytest

from transforms import lookups
from transforms.acronym_vocabulary import ACRONYMS
from transforms.id_vocabulary import ID_FIXES, STATION_FIXES
from transforms.tag import TAG_KINDS
from transforms.tag_vocabulary import (
    CABLEMAP_TAG_FIXES,
    MULTI_WORD_TAGS,
    ORGANISATION_TAGS,
    PROJECT_TAG_FIXES,
    PROJECT_TAG_KINDS,
    SUBJECT_TAGS,
)
from transforms.vocabulary import ORIGIN_FIXES, STATIONS

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"

HEADERS = {
    "acronyms.csv": ["acronym"],
    "stations.csv": ["station"],
    "origin_fixes.csv": ["spelling", "station", "source", "note"],
    "id_fixes.csv": ["printed_id", "reference_id", "source", "note"],
    "station_fixes.csv": ["spelling", "station", "source", "note"],
    "tag_fixes.csv": ["printed_tag", "canonical_tags", "source", "note"],
    "multi_word_tags.csv": ["tag"],
    "subject_tags.csv": ["tag"],
    "organisation_tags.csv": ["tag"],
    "tag_kinds.csv": ["tag", "kind", "note"],
}
SOURCES = {
    "origin_fixes.csv": {"cablemap", "project"},
    "id_fixes.csv": {"cablemap-malformed", "cablemap-invalid", "project"},
    "station_fixes.csv": {"cablemap", "project"},
    "tag_fixes.csv": {"cablemap", "project"},
}


def text(name: str) -> str:
    return (REFERENCE / name).read_bytes().decode("utf-8")


def table(name: str) -> list[dict[str, str]]:
    """The rows of a file as dicts by column (the header checked by ``test_header``)."""
    with (REFERENCE / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, strict=True))


def keyed(name: str) -> dict[str, dict[str, str]]:
    return {row[HEADERS[name][0]]: row for row in table(name)}


def test_loader_declares_every_file():
    assert lookups.REFERENCE_DIR.resolve() == REFERENCE.resolve()
    assert {name: list(header) for name, header in lookups.VOCABULARY_FILES.items()} == HEADERS


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_header(name):
    assert text(name).split("\n", 1)[0] == ",".join(HEADERS[name])


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_plain_lines(name):
    """UTF-8, ``\\n`` line ends, a final newline, no blank line, no tab or control character."""
    content = text(name)
    assert content.endswith("\n") and not content.endswith("\n\n")
    assert "\r" not in content
    assert "\n\n" not in content
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", content)


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_rows_have_every_field_without_stray_spaces(name):
    header = HEADERS[name]
    rows = table(name)
    assert rows
    for row in rows:
        assert None not in row and None not in row.values(), row  # no missing or extra field
        for column, value in row.items():
            assert value == value.strip(), (column, value)
            assert "  " not in value, (column, value)
            assert value or column == "note", (column, row)
        assert row[header[0]] != ""


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_keys_unique_and_sorted(name):
    keys = [row[HEADERS[name][0]] for row in table(name)]
    assert [key for key, n in Counter(keys).items() if n > 1] == []
    assert keys == sorted(keys)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_sources(name):
    assert {row["source"] for row in table(name)} <= SOURCES[name]


def test_known_entries():
    stations = keyed("stations.csv")
    assert {"TRIPOLI", "USUNNEWYORK", "BRUSSELS", "PARISFR"} <= stations.keys()
    assert "SECSTATE" not in stations

    fixes = keyed("tag_fixes.csv")
    assert fixes["AMEDCASCKFLO"]["canonical_tags"] == "AMED|CASC|KFLO"
    assert fixes["CLINTON HILLARY"]["canonical_tags"] == "CLINTON, HILLARY"
    assert fixes["PEL"]["canonical_tags"] == "PREL"
    assert fixes["PEL"]["source"] == "project"
    assert fixes["BUSH, GEORGE"]["note"] != ""

    assert keyed("origin_fixes.csv")["SECSTATE"]["station"] == "STATE"
    assert keyed("origin_fixes.csv")["COLOMOBO"]["source"] == "project"
    assert keyed("id_fixes.csv")["7575LIBREVILLE1895"]["reference_id"] == "75LIBREVILLE1895"
    assert keyed("id_fixes.csv")["06AITTAIPIE2654"]["source"] == "cablemap-malformed"
    assert keyed("station_fixes.csv")["RIO"]["station"] == "RIODEJANEIRO"
    assert {"NATO", "UNHCR", "A/CFE"} <= keyed("acronyms.csv").keys()
    assert "HUMAN RIGHTS" in keyed("multi_word_tags.csv")
    assert "PREL" in keyed("subject_tags.csv")
    assert "BA'ATH" in keyed("organisation_tags.csv")
    assert keyed("tag_kinds.csv")["EU"]["kind"] == "organisation"


def test_fixes_land_on_stations():
    """Every origin or station fix names a station; a station is never rewritten as an origin."""
    stations = set(keyed("stations.csv"))
    origin = table("origin_fixes.csv")
    assert [r["station"] for r in origin if r["station"] not in stations] == []
    assert [r["spelling"] for r in origin if r["spelling"] in stations] == []
    assert [r["station"] for r in table("station_fixes.csv") if r["station"] not in stations] == []
    assert all(r["spelling"] != r["station"] for r in origin + table("station_fixes.csv"))


def test_id_fixes_against_the_release():
    """A malformed id and its twin are both in the release; an invalid id is, its fix is not.

    A fixed id is ``YY`` + a station + a serial, unless its note says why not.
    """
    with gzip.open(REFERENCE / "cable2month.csv.gz", "rt", encoding="utf-8") as f:
        release = {line.split(",", 1)[0] for line in f}
    stations = set(keyed("stations.csv"))
    for row in table("id_fixes.csv"):
        printed, fixed = row["printed_id"], row["reference_id"]
        assert printed != fixed
        if row["source"] == "cablemap-malformed":
            assert printed in release and fixed in release, row
        elif row["source"] == "cablemap-invalid":
            assert printed in release and fixed not in release, row
        parts = re.fullmatch(r"\d{2}([A-Z]+)\d+", fixed)
        assert parts, row
        assert parts.group(1) in stations or row["note"], row


def test_tag_fixes_and_kinds():
    for row in table("tag_fixes.csv"):
        tags = row["canonical_tags"].split("|")
        assert all(t and t == t.strip() for t in tags), row
        assert row["printed_tag"] not in tags, row
    assert {row["kind"] for row in table("tag_kinds.csv")} <= set(TAG_KINDS)
    assert all(" " in tag for tag in keyed("multi_word_tags.csv"))


def test_constants_equal_the_files():
    fixes = table("tag_fixes.csv")
    assert list(CABLEMAP_TAG_FIXES.items()) == [
        (r["printed_tag"], tuple(r["canonical_tags"].split("|"))) for r in fixes if r["source"] == "cablemap"
    ]
    assert list(PROJECT_TAG_FIXES.items()) == [
        (r["printed_tag"], tuple(r["canonical_tags"].split("|"))) for r in fixes if r["source"] == "project"
    ]
    assert list(ORIGIN_FIXES.items()) == [(r["spelling"], r["station"]) for r in table("origin_fixes.csv")]
    assert list(ID_FIXES.items()) == [(r["printed_id"], r["reference_id"]) for r in table("id_fixes.csv")]
    assert list(STATION_FIXES.items()) == [(r["spelling"], r["station"]) for r in table("station_fixes.csv")]
    assert list(PROJECT_TAG_KINDS.items()) == [(r["tag"], r["kind"]) for r in table("tag_kinds.csv")]
    for constant, name in [
        (ACRONYMS, "acronyms.csv"),
        (STATIONS, "stations.csv"),
        (MULTI_WORD_TAGS, "multi_word_tags.csv"),
        (SUBJECT_TAGS, "subject_tags.csv"),
        (ORGANISATION_TAGS, "organisation_tags.csv"),
    ]:
        assert isinstance(constant, frozenset)
        assert constant == frozenset(keyed(name))
    assert len(ACRONYMS) == 3340
    assert len(STATIONS) == 293


def test_read_once():
    assert lookups.vocabulary_rows("stations.csv") is lookups.vocabulary_rows("stations.csv")


def test_readme_documents_every_file():
    readme = text("README.md")
    headings = [line for line in readme.splitlines() if line.startswith("### ")]
    for name in HEADERS:
        assert any(f"`{name}`" in heading for heading in headings), name
        assert f"| `{name}` |" in readme, name


@pytest.fixture
def reference_dir(tmp_path, monkeypatch):
    """``transforms.lookups`` reading ``tmp_path`` instead of ``data/reference/``, with a cold cache."""
    monkeypatch.setattr(lookups, "REFERENCE_DIR", tmp_path)
    lookups.vocabulary_rows.cache_clear()
    yield tmp_path
    lookups.vocabulary_rows.cache_clear()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("spelling,station,source\nSECSTATE,STATE,cablemap\n", "header"),
        ("spelling,station,source,note\nSECSTATE,STATE,cablemap\n", "fields"),
        ("spelling,station,source,note\nSECSTATE,STATE,cablemap,\nSECSTATE,USDOC,project,\n", "repeats"),
    ],
)
def test_loader_refuses_a_broken_file(reference_dir, content, error):
    (reference_dir / "origin_fixes.csv").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        lookups.vocabulary_rows("origin_fixes.csv")


def test_loader_reads_a_correction(reference_dir):
    (reference_dir / "origin_fixes.csv").write_text(
        'spelling,station,source,note\nSECSTATE,STATE,cablemap,\n\nSTATEDEPT,STATE,project,"seen in 09X1, twice"\n',
        encoding="utf-8",
    )
    assert lookups.vocabulary_map("origin_fixes.csv") == {"SECSTATE": "STATE", "STATEDEPT": "STATE"}
    (reference_dir / "tag_fixes.csv").write_text(
        "printed_tag,canonical_tags,source,note\nPRELPK,PREL|PK,cablemap,\nPEL,PREL,elsewhere,\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="unknown source"):
        lookups.tag_fixes("cablemap")
