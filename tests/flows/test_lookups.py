"""The reference data the parser reads (``flows/lookups.py``)."""

from __future__ import annotations

import shutil

from flows.lookups import REFERENCE_DIR, load_lookups


def test_reference_data_is_read_from_a_folder_whose_name_holds_glob_characters(tmp_path):
    """A project cloned into ``code [2026]``: its reference files are read as named, not as patterns."""
    folder = tmp_path / "code [2026] *" / "reference"
    shutil.copytree(REFERENCE_DIR, folder)
    lookups = load_lookups(folder)
    assert lookups.release_ids.height == 251_287
    assert lookups.release_ids.columns == ["reference_id", "month"]
    assert lookups.routes.height > 0 and lookups.routes["routing_indicator"].is_unique().all()
    assert lookups.release_ids.equals(load_lookups(REFERENCE_DIR).release_ids)
