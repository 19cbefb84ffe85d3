"""The search index of a snapshot: built whole, or updated for the cables a build touched.

The index lives in the snapshot's folder (``tables/<snapshot>/search/``), so it is published
with the tables by the same commit, kept with them while readers may use them, and deleted with
them by garbage collection. An update starts from the previous snapshot's index, hard-linked
file by file (tantivy never rewrites a file: it writes new segment and delete files and swaps
its ``meta.json`` by rename), deletes the documents of the touched cables and adds theirs again.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import polars as pl
import tantivy

from cables.search import INDEX_DIR, INDEX_VERSION, VERSION_FILE, is_index, register_analyzers, schema, utc
from flows.layout import Warehouse, crash_point, table_files
from transforms.search_document import search_document

# The writer's memory, split between its threads (tantivy needs at least 15 MB per thread). A
# thread writes its documents out as a segment when its share is full: 1 GB (against 256 MB)
# means fewer, larger segments and less merging (the index of 60,000 pages: 39.9 and 35.7 s
# with 256 MB, 30.7 and 33.2 s with 1 GB, alternated).
WRITER_HEAP = 1_000_000_000


def index_path(warehouse: Warehouse, snapshot: str) -> Path:
    """Where the index of ``snapshot`` is."""
    return warehouse.snapshot_dir(snapshot) / INDEX_DIR


def update_search_index(
    warehouse: Warehouse,
    snapshot: str,
    previous: str | None,
    cables: pl.DataFrame | None,
    *,
    threads: int = 2,
) -> dict:
    """Write the index of the staged ``snapshot``: the ``previous`` snapshot's index with the
    documents of ``cables`` (``reference_id``; a build's touched cables) replaced, or, when
    ``cables`` is None or the previous snapshot has no index of this version, a new index of
    every cable. Returns what it did: mode, cables, documents added, seconds."""
    start = time.perf_counter()
    target = index_path(warehouse, snapshot)
    old = index_path(warehouse, previous) if previous and previous != snapshot else None
    incremental = cables is not None and old is not None and is_index(old)
    work = target.parent / f".{INDEX_DIR}.{uuid.uuid4().hex[:8]}.tmp"
    shutil.rmtree(target, ignore_errors=True)
    try:
        if incremental:
            _link_tree(old, work)
        else:
            work.mkdir(parents=True)
        index = register_analyzers(tantivy.Index(schema(), path=str(work), reuse=incremental))
        writer = index.writer(WRITER_HEAP, threads)
        ids = cables["reference_id"].to_list() if incremental else None
        for reference_id in ids or []:
            writer.delete_documents_by_term("reference_id", reference_id)
        added = 0
        for frame in _documents(warehouse, snapshot, ids):
            added += add_documents(writer, frame)
        crash_point("search")
        writer.commit()
        writer.wait_merging_threads()
        (work / VERSION_FILE).write_text(json.dumps({"version": INDEX_VERSION, "snapshot": snapshot}))
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "mode": "incremental" if incremental else "full",
        "cables": len(ids) if incremental else None,
        "documents_added": added,
        "seconds": round(time.perf_counter() - start, 3),
    }


def _link_tree(source: Path, target: Path) -> None:
    """``source``'s files hard-linked into ``target`` (copied where links are not possible); the
    writer's lock files are left behind."""
    target.mkdir(parents=True)
    for file in source.iterdir():
        if file.name.startswith(".tantivy-") or file.name == VERSION_FILE or not file.is_file():
            continue
        try:
            os.link(file, target / file.name)
        except OSError:
            shutil.copy2(file, target / file.name)


def _documents(warehouse: Warehouse, snapshot: str, ids: list[str] | None):
    """The search documents of the snapshot's cables (of ``ids`` only, when given), a table file
    at a time: ``cable`` and ``paragraph`` are cut into the same files (year, part)."""
    root = warehouse.snapshot_dir(snapshot)
    cable_files = table_files(root / "cable", "cable")
    if ids is not None:
        from flows.publish import table_file

        frame = pl.DataFrame({"reference_id": ids}, schema={"reference_id": pl.String})
        wanted = set(frame.select(table_file(pl.col("reference_id"))).to_series())
        cable_files = [f for f in cable_files if f.relative_to(root / "cable").as_posix() in wanted]
    for cable_file in cable_files:
        relative = cable_file.relative_to(root / "cable")
        paragraph_file = root / "paragraph" / relative
        cables = pl.scan_parquet(cable_file, hive_partitioning=False, glob=False)
        paragraphs = (
            pl.scan_parquet(paragraph_file, hive_partitioning=False, glob=False)
            if paragraph_file.exists()
            else pl.LazyFrame(
                schema={"reference_id": pl.String, "position": pl.Int32, "number": pl.Int32, "text_joined": pl.String}
            )
        )
        if ids is not None:
            keep = pl.col("reference_id").is_in(ids)
            cables, paragraphs = cables.filter(keep), paragraphs.filter(keep)
        yield search_document(cables, paragraphs).collect()


def add_documents(writer: tantivy.IndexWriter, documents: pl.DataFrame) -> int:
    """Add the rows of ``documents`` (``search_document``'s columns) to the index; returns how many."""
    for row in documents.iter_rows(named=True):
        doc = tantivy.Document(
            reference_id=row["reference_id"],
            kind=row["kind"],
            position=row["position"],
        )
        doc.add_bytes("subject", row["subject"].encode())
        if row["url"]:
            doc.add_bytes("url", row["url"].encode())
        # A subject is in ``text`` too: scored like a (short) paragraph, plus its ``title`` match.
        doc.add_text("text", row["text"])
        if row["kind"] == "subject":
            doc.add_text("title", row["text"])
        if row["number"] is not None:
            doc.add_integer("number", row["number"])
        for name in ("origin", "classification"):
            if row[name]:
                doc.add_text(name, row[name])
        for tag in row["tags"]:
            doc.add_text("tag", tag)
        if row["created_at"] is not None:
            doc.add_date("date", utc(row["created_at"]))
            doc.add_integer("year", row["year"])
        writer.add_document(doc)
    return documents.height


def reader_index(warehouse: Warehouse) -> Path:
    """The index a reader searches: the published snapshot's (for a warehouse on object storage,
    its files brought into the local work folder first, once per snapshot)."""
    from flows.serve import ServeError, follow_store

    if warehouse.remote:
        follow_store(warehouse)
    snapshot = warehouse.current_snapshot()
    if snapshot is None:
        where = warehouse.location
        raise ServeError(f"no warehouse at {where} (run `cables build --warehouse {where}` first)")
    path = index_path(warehouse, snapshot)
    if warehouse.remote and not is_index(path):
        from flows.object_store import pull_index

        try:
            pull_index(warehouse, snapshot)
        except Exception as exc:  # s3fs and botocore raise their own kinds
            raise ServeError(
                f"cannot read the search index at {warehouse.location}: {type(exc).__name__}: {exc}"
            ) from exc
    return path
