"""Cutting the landed pages into parse batches."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from flows.publish import plan_batches, read_pieces


def landed(tmp_path: Path, sizes: list[int]) -> list[Path]:
    files, n = [], 0
    for i, size in enumerate(sizes):
        path = tmp_path / f"part-{i:05d}.parquet"
        pl.DataFrame({"page": list(range(n, n + size))}).write_parquet(path)
        files.append(path)
        n += size
    return files


@pytest.mark.parametrize(
    ("sizes", "workers", "batch_pages"),
    [
        ([1000] * 10, 2, 5000),
        ([1000] * 10, 2, 2500),
        ([1000] * 10, 4, 100_000),
        ([1000, 518], 2, 5000),
        ([3, 1], 8, 5000),
        ([7], 1, 2),
        ([250, 0, 250], 3, 90),
    ],
)
def test_batches_are_equal_ordered_bounded_and_cover_every_page_once(tmp_path, sizes, workers, batch_pages):
    files = landed(tmp_path, sizes)
    batches = plan_batches(files, workers, batch_pages)
    pages = [read_pieces(b, ["page"])["page"].to_list() for b in batches]
    assert [p for batch in pages for p in batch] == list(range(sum(sizes)))  # every page once, in order
    lengths = [len(p) for p in pages]
    assert max(lengths) - min(lengths) <= 1
    assert all(n <= max(batch_pages, 1) or len(batches) == sum(sizes) for n in lengths)
    assert len(batches) % workers == 0 or len(batches) == sum(sizes)


def test_small_landing_still_gives_every_worker_a_batch(tmp_path):
    batches = plan_batches(landed(tmp_path, [1000, 1000]), workers=2, batch_pages=5000)
    assert [sum(length for _, _, length in b) for b in batches] == [1000, 1000]


def test_nothing_landed_gives_no_batch(tmp_path):
    assert plan_batches([], 2, 5000) == []
    assert plan_batches(landed(tmp_path, [0]), 2, 5000) == []
