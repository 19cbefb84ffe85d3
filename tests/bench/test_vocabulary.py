"""``bench/vocabulary.py``: distinct words of the cable bodies as pages are added, duplicates, compression."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from cables.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "bench" / "vocabulary.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vocabulary", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


vocabulary = _module()


def page(body: str, header: str = "R 130458Z AUG 79&#x000A;FM AMEMBASSY TEHRAN") -> bytes:
    """A viewer page as the cablegate builds print it: a sidebar, the header block, the body block."""
    sidebar = "<div id='browse'><h3>Browse by tag</h3><a href='/tag/PGOV_0.html'>PGOV</a></div>"
    return (
        f"<html><body>{sidebar}<h3>Viewing cable 79TEHRAN8980, NEGOTIATIONS</h3>"
        f"<code><pre>{header}</pre></code><code><pre>{body}</pre></code></body></html>"
    ).encode()


def write_pages(folder: Path, bodies: list[str]) -> None:
    for i, body in enumerate(bodies):
        path = folder / "cable" / "2009" / "01" / f"09TEHRAN{i + 1}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(page(body))


def test_the_body_is_the_last_pre_block_without_markup():
    body = vocabulary.body_of(
        page(
            "C O N F I D E N T I A L&#x000A;TAGS: <a href='/tag/PREL_0.html'>PREL</a>&#x000A;&#x000A;"
            "<a id='par1' href='#par1'>¶</a>1. (C) Qadhafi&amp;sons met the Minister.&#x000A;"
        )
    )
    assert b"<" not in body and b"&" not in body and b"AUG" not in body
    assert vocabulary.words_of(body) == [
        b"c", b"o", b"n", b"f", b"i", b"d", b"e", b"n", b"t", b"i", b"a", b"l",
        b"tags", b"prel", b"c", b"qadhafi", b"sons", b"met", b"the", b"minister",
    ]  # fmt: skip
    # A page saved as text has no <pre> block: all of it is read.
    text = b"Viewing cable 08TRIPOLI505\nSUBJECT: TEST"
    assert vocabulary.body_of(text) == text


def test_paragraphs_are_blocks_of_five_words_or_more():
    body = vocabulary.body_of(
        page(
            "SUBJECT: TALKS&#x000A;&#x000A;1. (C) The talks went on all night, both sides said.&#x000A; &#x000A;"
            "----------------------------------------------&#x000A;&#x000A;2. (C) Short one.&#x000A;&#x000A;"
            "3. (C)   The talks went on all&#x000A;night, both sides said."
        )
    )
    assert vocabulary.paragraphs_of(body) == [
        b"1. (C) The talks went on all night, both sides said.",
        b"3. (C) The talks went on all night, both sides said.",
    ]


def test_measure_counts_words_duplicates_and_compression(tmp_path):
    write_pages(
        tmp_path,
        [
            "1. (C) Alpha bravo charlie delta echo foxtrot golf.",
            "1. (C) Alpha bravo charlie delta echo foxtrot golf.&#x000A;&#x000A;"
            "2. (C) Hotel india juliet kilo lima hotel india.",
            "1. (C) Mike november oscar papa quebec romeo sierra.",
            "1. (C) Tango uniform victor whiskey xray yankee zulu.",
        ],
    )
    (tmp_path / "notes.md").write_text("not a page")
    growth = vocabulary.measure(tmp_path, at=(1, 2, 3, 10))
    assert growth.pages == 4
    assert sorted(growth.distinct_words) == [1, 2, 3, 4]  # 10 is beyond the pages read; 4 is the last
    assert growth.distinct_words[4] == 1 + 26  # the marking's "c" and the 26 words
    assert list(growth.words_read.values()) == sorted(growth.words_read.values())
    assert growth.paragraphs == 5 and growth.distinct_paragraphs == 4
    assert growth.duplicate_paragraphs == pytest.approx(0.2)
    assert growth.zstd_pages > 1 and growth.zstd_bodies > 0
    assert growth.zstd_long is None or growth.zstd_long > 1  # None without the zstd command
    # The same seed reads the pages in the same order; --pages reads the first N of that order.
    assert vocabulary.measure(tmp_path, at=(1, 2, 3, 10)).distinct_words == growth.distinct_words
    assert vocabulary.measure(tmp_path, pages=2, at=(1,)).pages == 2


def test_heaps_beta_is_the_log_log_slope():
    growth = vocabulary.Growth("x", distinct_words={100: 1_000, 400: 2_000, 1_600: 4_000})
    assert growth.heaps_beta == pytest.approx(0.5)
    assert vocabulary.Growth("x", distinct_words={50: 10, 100: 20}).heaps_beta is None


def test_the_command_prints_a_table_and_json(tmp_path, capsys):
    write_pages(tmp_path / "a", ["1. (C) One two three four five six seven eight."] * 3)
    write_pages(tmp_path / "b", ["1. (C) Seven eight nine ten eleven twelve."])
    assert vocabulary.main([str(tmp_path / "a"), str(tmp_path / "b"), "--at", "1,2", "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["pages", "a", "b"]
    assert out[1].split()[:3] == ["1", "9", "(0.00M)"]
    assert any(line.split()[:2] == ["dup.", "paras"] for line in out)
    assert any(line.split()[:2] == ["zstd", "long"] for line in out)
    figures = [json.loads(line) for line in out if line.startswith("{")]
    assert [f["pages"] for f in figures] == [3, 1]
    assert figures[0]["duplicate_paragraphs"] == pytest.approx(2 / 3)
    with pytest.raises(SystemExit):
        vocabulary.main([str(tmp_path / "missing")])
