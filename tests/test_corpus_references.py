"""Cited cable ids on the 1,295 pages of ``chillicoder__cablegate``, against cablemap's output.

``bench/references_vs_cablemap.py`` parses the pages with ``transforms.parse.parsed_tables`` and
counts how many of cablemap's cited ids (run with the created date re-read correctly) we give for
the same cable. Skipped without ``../shared`` (see ``corpus_dir`` in ``conftest.py``).
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from cables.settings import PROJECT_ROOT
from tests.conftest import SHARED_DIR

pytestmark = pytest.mark.corpus

ANCHOR = SHARED_DIR / "cablemap-anchor" / "anchor-output" / "chillicoder-1295_fix-created.jsonl.gz"
TARGET_PCT = 95.0


def _bench():
    spec = importlib.util.spec_from_file_location(
        "references_vs_cablemap", PROJECT_ROOT / "bench" / "references_vs_cablemap.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_we_find_cablemaps_cited_ids(corpus_dir):
    if not ANCHOR.exists():
        pytest.skip(f"cablemap's output not found ({ANCHOR.name})")
    folders = sorted(corpus_dir.rglob("chillicoder__cablegate"))
    assert folders, "chillicoder__cablegate not in the shared corpus"
    figures = _bench().compare(folders[0], ANCHOR, examples=3)
    assert figures["pages"] == figures["cables_in_anchor"] == 1295
    assert figures["found_pct"] >= TARGET_PCT, _bench().report(figures)
    # Every id we give has the form of an id; most of what we find beyond cablemap is in the release.
    assert figures["our_ids"] >= figures["found"]
    assert figures["our_ids_in_release"] >= figures["cablemap_ids_in_release"]
