"""Benchmark: time the landing (extract) alone, and the bounds it works against.

Run from the project root::

    python bench/landing.py --source DIR [--repeat N] [--cold] [--code DIR] [--json]
    python bench/landing.py --source DIR --bounds [--threads 1,8] [--cold] [--sequential FILE]

Landing (the default): ``flows.landing.land_source`` of ``--source`` (a folder or an archive) into
a fresh temporary warehouse, ``--repeat`` times; each run prints pages landed, MB of pages
(10^6 bytes), seconds on the wall clock, MB/s, the CPU seconds of the process (all threads) and
the MB of ``raw_page`` Parquet written.
``--cold`` drops the page cache before each run (``sync; echo 3 > /proc/sys/vm/drop_caches``,
root only), so the pages are read from the disk. ``--code DIR``: import ``flows`` from another
checkout of the project (the code before a change), so both sides run the same script.

Bounds (``--bounds``), each step on its own (cold when ``--cold``):

``walk``
    ``flows.landing.scan_folder``: list the folder and stat every file.
``read xT``
    read every file whole (``open``, ``read``, ``close``) in ``T`` threads, for each ``T`` of
    ``--threads``: what the disk delivers of small files.
``read+sha256 xT``
    the same, each file's SHA-256 computed as it is read.
``sha256 xT``
    SHA-256 of pages already in memory (at most 400 MB of them), in ``T`` threads: the hashing
    bound per core and on all cores.
``zstd parquet``
    ``raw_page``-shaped Parquet files of 1,000 in-memory pages each, written with zstd as the
    landing writes them, one thread.
``sequential``
    with ``--sequential FILE``: one large file read in 8 MB blocks (cold when ``--cold``).

``--json``: the last line of stdout is every figure as one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MB = 1_000_000


def drop_caches() -> bool:
    """Write back and drop the page cache (root only); whether it was dropped."""
    subprocess.run(["sync"], check=False)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def import_project(code: Path | None) -> None:
    """Make ``flows`` importable: from ``code`` when given, else from this checkout."""
    root = code.resolve() if code else Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))


def land_once(source: Path, work: Path, chunk_pages: int) -> dict:
    from flows.landing import land_source
    from flows.layout import LANDING_TABLE, Warehouse, new_run_id

    with tempfile.TemporaryDirectory(prefix="land-bench-", dir=work) as folder:
        wh = Warehouse.at(Path(folder) / "wh")
        cpu = cpu_seconds()
        start = time.perf_counter()
        report = land_source(source, wh, new_run_id(), chunk_pages)
        seconds = time.perf_counter() - start
        cpu = cpu_seconds() - cpu
        parquet = sum(f.stat().st_size for f in (wh.root / LANDING_TABLE).glob("*.parquet"))
    pages = report.landed_new + report.landed_changed
    return {
        "pages": pages,
        "files_seen": report.files_seen,
        "mb": report.bytes_landed / MB,
        "seconds": seconds,
        "mb_per_s": report.bytes_landed / MB / seconds,
        "cpu_seconds": cpu,
        "raw_page_mb": parquet / MB,
    }


def cpu_seconds() -> float:
    """User and system CPU time of this process so far, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def read_whole(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        blocks = []
        while block := os.read(fd, 1 << 20):
            blocks.append(block)
        return b"".join(blocks)
    finally:
        os.close(fd)


def timed(label: str, work, nbytes_of, cold: bool) -> dict:
    if cold:
        drop_caches()
    start = time.perf_counter()
    out = work()
    seconds = time.perf_counter() - start
    nbytes = nbytes_of(out)
    figure = {"step": label, "seconds": seconds, "mb": nbytes / MB, "mb_per_s": nbytes / MB / seconds}
    print(f"{label:<22} {figure['mb']:>9.1f} MB {seconds:>8.2f} s {figure['mb_per_s']:>8.0f} MB/s", flush=True)
    return figure


def bounds(source: Path, threads: list[int], cold: bool, sequential: Path | None) -> list[dict]:
    import polars as pl

    from flows.landing import RAW_PAGE_SCHEMA, scan_folder

    figures = []
    listed: list = []
    figures.append(timed("walk", lambda: listed.extend(scan_folder(source)[0]) or listed, lambda _: 0, cold))
    paths = [str(path) for path, _, _ in listed]
    for count in threads:
        with ThreadPoolExecutor(count) as pool:
            figures.append(
                timed(f"read x{count}", lambda: sum(map(len, pool.map(read_whole, paths))), lambda n: n, cold)
            )
    for count in threads:

        def read_hash(path: str) -> int:
            content = read_whole(path)
            hashlib.sha256(content).hexdigest()
            return len(content)

        with ThreadPoolExecutor(count) as pool:
            figures.append(timed(f"read+sha256 x{count}", lambda: sum(pool.map(read_hash, paths)), lambda n: n, cold))
    pages, held = [], 0
    for path in paths:
        if held > 400 * MB:
            break
        pages.append(read_whole(path))
        held += len(pages[-1])
    for count in sorted({1, *threads}):
        with ThreadPoolExecutor(count) as pool:
            figures.append(
                timed(
                    f"sha256 x{count}",
                    lambda: sum(len(p) for p in pool.map(lambda p: hashlib.sha256(p).hexdigest() and p, pages)),
                    lambda n: n,
                    False,
                )
            )

    def write_parts(folder: Path) -> int:
        for number, first in enumerate(range(0, len(pages), 1000)):
            chunk = pages[first : first + 1000]
            columns = {
                "source_uri": [f"file:///page{first + i}" for i in range(len(chunk))],
                "source": ["file:///"] * len(chunk),
                "sha256": ["0" * 64] * len(chunk),
                "bytes": [len(p) for p in chunk],
                "mtime_ns": [0] * len(chunk),
                "fetched_at": [None] * len(chunk),
                "run_id": ["r"] * len(chunk),
                "content": chunk,
            }
            frame = pl.DataFrame(columns, schema=RAW_PAGE_SCHEMA)
            frame.write_parquet(folder / f"part-{number:05d}.parquet", compression="zstd", statistics=True)
        return held

    with tempfile.TemporaryDirectory(prefix="land-bench-") as folder:
        figures.append(timed("zstd parquet", lambda: write_parts(Path(folder)), lambda n: n, False))
    if sequential is not None:

        def read_sequential() -> int:
            total = 0
            with open(sequential, "rb", buffering=0) as f:
                while block := f.read(8 << 20):
                    total += len(block)
            return total

        figures.append(timed("sequential", read_sequential, lambda n: n, cold))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="folder (or archive) of saved pages")
    parser.add_argument("--repeat", type=int, default=1, help="landing runs (default 1)")
    parser.add_argument("--cold", action="store_true", help="drop the page cache before each run (root)")
    parser.add_argument("--code", type=Path, help="import flows from this checkout of the project")
    parser.add_argument("--chunk-pages", type=int, default=1000, help="pages per raw_page file (default 1000)")
    parser.add_argument("--work", type=Path, help="folder for the temporary warehouses (default: the system's)")
    parser.add_argument("--bounds", action="store_true", help="time the read, hash and write bounds instead")
    parser.add_argument("--threads", default="1,8", help="thread counts of the bounds' reads (default 1,8)")
    parser.add_argument("--sequential", type=Path, help="with --bounds: a large file to time a sequential read")
    parser.add_argument("--json", action="store_true", help="print every figure as one JSON object, last line")
    args = parser.parse_args(argv)
    import_project(args.code)
    source = args.source.resolve()
    if args.cold and not drop_caches():
        print("warning: cannot drop the page cache (not root): reads may come from memory", file=sys.stderr)
    result: dict = {"source": str(source), "cold": args.cold, "code": str(args.code or "")}
    if args.bounds:
        result["bounds"] = bounds(source, [int(t) for t in args.threads.split(",")], args.cold, args.sequential)
    else:
        runs = []
        for _ in range(args.repeat):
            if args.cold:
                drop_caches()
            run = land_once(source, args.work or Path(tempfile.gettempdir()), args.chunk_pages)
            runs.append(run)
            print(
                f"pages {run['pages']:>7,}  {run['mb']:>8.1f} MB  {run['seconds']:>7.2f} s  "
                f"{run['mb_per_s']:>6.0f} MB/s  cpu {run['cpu_seconds']:>6.2f} s  raw_page {run['raw_page_mb']:.1f} MB",
                flush=True,
            )
        result["runs"] = runs
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
