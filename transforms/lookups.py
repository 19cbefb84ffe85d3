"""Reference data the transforms join against, passed in by the flow (transforms read no files)."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


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
