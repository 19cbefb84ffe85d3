"""Load the reference data shipped in ``data/reference/`` for the transforms."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

from cables.settings import PROJECT_ROOT
from transforms.lookups import Lookups

REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"


@cache
def load_lookups(folder: Path = REFERENCE_DIR) -> Lookups:
    """The release ids (cablemap's ``cable2month.csv.gz``) and routing names (``route2name.csv``)."""
    release_ids = pl.read_csv(
        folder / "cable2month.csv.gz",
        has_header=False,
        new_columns=["reference_id", "month"],
        schema_overrides={"reference_id": pl.String, "month": pl.Int8},
        glob=False,
    )
    routes = pl.read_csv(
        folder / "route2name.csv",
        has_header=False,
        new_columns=["routing_indicator", "name"],
        schema_overrides={"routing_indicator": pl.String, "name": pl.String},
        glob=False,
    ).unique("routing_indicator", keep="first", maintain_order=True)
    return Lookups(release_ids=release_ids, routes=routes)
