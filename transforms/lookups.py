"""Reference data the transforms join against, and the vocabularies of ``data/reference/``.

Two kinds of reference data:

- ``Lookups``, passed in by the flow (``flows/lookups.py``): the release ids and routing names,
  large tables the flow reads and a transform joins against.
- The vocabularies (acronyms, stations, id, origin and tag fixes, tag kinds): small CSV files of
  ``data/reference/`` read here, each once per process, into the constants of
  ``transforms/*vocabulary.py``. They are data rather than code so that a correction is one line
  of a file (``data/reference/README.md`` describes each file).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

# ``data/reference/`` of the project, beside the package: a checkout or an editable install
# (``pip install -e .``), like ``flows.lookups.REFERENCE_DIR``.
REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"

# Every vocabulary file and its header. The first column is the key: unique, rows sorted by it.
VOCABULARY_FILES: dict[str, tuple[str, ...]] = {
    "acronyms.csv": ("acronym",),
    "stations.csv": ("station",),
    "origin_fixes.csv": ("spelling", "station", "source", "note"),
    "id_fixes.csv": ("printed_id", "reference_id", "source", "note"),
    "station_fixes.csv": ("spelling", "station", "source", "note"),
    "tag_fixes.csv": ("printed_tag", "canonical_tags", "source", "note"),
    "multi_word_tags.csv": ("tag",),
    "subject_tags.csv": ("tag",),
    "organisation_tags.csv": ("tag",),
    "tag_kinds.csv": ("tag", "kind", "note"),
}

# The canonical tags of one ``tag_fixes.csv`` row are joined by this character (no tag holds it).
TAG_SEPARATOR = "|"


def _empty(schema: dict) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


@dataclass(frozen=True)
class Lookups:
    """Known cable ids of the full release and routing-indicator names.

    ``release_ids``: one row per reference id of the 251,287-cable release (``reference_id``,
    ``month`` of creation, 1-12). ``routes``: one row per routing indicator (``routing_indicator``,
    ``name``). Empty frames mean "unknown": the columns that need them come out null.
    """

    release_ids: pl.DataFrame = field(default_factory=lambda: _empty({"reference_id": pl.String, "month": pl.Int8}))
    routes: pl.DataFrame = field(default_factory=lambda: _empty({"routing_indicator": pl.String, "name": pl.String}))


@cache
def vocabulary_rows(file: str) -> tuple[tuple[str, ...], ...]:
    """The rows of a vocabulary file of ``data/reference/`` below its header, read once per process.

    Raises ``ValueError`` when the file's header is not the one ``VOCABULARY_FILES`` declares, a
    row has another number of fields, or a key (the first column) repeats. Blank lines are skipped.
    """
    header = VOCABULARY_FILES[file]
    path = REFERENCE_DIR / file
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        found = tuple(next(reader, ()))
        if found != header:
            raise ValueError(f"{path}: header {','.join(found)!r}, expected {','.join(header)!r}")
        rows = tuple(tuple(row) for row in reader if row)
    keys = set()
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"{path}: {len(row)} fields in row {row}, expected {len(header)}")
        if row[0] in keys:
            raise ValueError(f"{path}: {header[0]} {row[0]!r} repeats")
        keys.add(row[0])
    return rows


def vocabulary_set(file: str) -> frozenset[str]:
    """The keys (first column) of a vocabulary file."""
    return frozenset(row[0] for row in vocabulary_rows(file))


def vocabulary_map(file: str) -> dict[str, str]:
    """Key (first column) -> second column of a vocabulary file, in the file's order."""
    return {row[0]: row[1] for row in vocabulary_rows(file)}


def tag_fixes(source: str) -> dict[str, tuple[str, ...]]:
    """Printed tag -> canonical tags of the ``tag_fixes.csv`` rows of ``source`` (cablemap, project)."""
    rows = vocabulary_rows("tag_fixes.csv")
    unknown = {row[2] for row in rows} - {"cablemap", "project"}
    if unknown:
        raise ValueError(f"{REFERENCE_DIR / 'tag_fixes.csv'}: unknown source {sorted(unknown)}")
    return {row[0]: tuple(row[1].split(TAG_SEPARATOR)) for row in rows if row[2] == source}
