"""How varied the text of a corpus of Cable Viewer pages is: vocabulary growth, duplicates, compression.

Run from the project root::

    python bench/vocabulary.py DIR [DIR ...] [--pages N] [--at N,N,...] [--seed S] [--json]

For each folder of saved pages (searched recursively, ``.html`` and ``.txt``), the pages are taken
in a seeded shuffle (``--seed``, default 0; the same for every folder, so the order does not
favour one corpus's years or stations), at most ``--pages`` of them, and read one by one:

``distinct words``
    The number of distinct words seen after the first N pages, for every N of ``--at`` (default
    500, 1,000, 2,000, 5,000, 10,000, 20,000, 50,000, 100,000, 251,287, those up to the pages
    read, and the pages read), with the number of words read so far in brackets (in millions:
    Heaps' law's own unit, fairer than pages between corpora of longer or shorter cables). A
    word is a lower-cased run of ASCII letters of the cable's body: the last ``<pre>`` block of a
    page (a page saved as text: the whole file), with the markup (``<a ...>``, ``</a>``) and
    character references (``&#x000A;``, ``&amp;``) taken out. Real text
    follows Heaps' law (distinct words ~ K * N^beta, beta below 1); a corpus that repeats its
    texts stops growing.
``Heaps beta``
    The slope of log(distinct words) against log(pages) between the first checkpoint from 100
    pages on and the last.
``duplicate paragraphs``
    The share of the paragraphs (blocks of the body between blank lines, blanks normalised, of
    40 characters and 5 words or more: not a line of dashes) whose text an earlier page (or the
    same page) already had.
``zstd pages``
    The pages' bytes over their bytes compressed one by one (zstd level 3): what a store of
    single pages gains.
``zstd bodies``
    The bodies, in the order read, cut into blocks of 1 MB and each compressed (zstd level 3):
    what a columnar store of the bodies (a Parquet page is about 1 MB) gains.
``zstd long``
    All the bodies read as one stream, compressed by the ``zstd`` command (level 3, a 128 MB
    window: ``--long=27``) when it is installed (else ``-``): what a compressor that sees the
    whole corpus, or a store that keeps one copy of a repeated text, gains. A corpus that
    repeats its texts further apart than a Parquet page compresses far better here.

``--json`` prints one JSON object per folder as the last lines of stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

RELEASE_PAGES = 251_287
CHECKPOINTS = (500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, RELEASE_PAGES)
BLOCK_BYTES = 1_000_000
MIN_PARAGRAPH = 40

_PRE = re.compile(rb"<pre>(.*?)</pre>", re.S)
_MARKUP = re.compile(rb"<[^>]*>|&#?[0-9A-Za-z]+;")
_NEWLINE = re.compile(rb"&#x0*[aA];|&#0*10;")
_WORD = re.compile(rb"[a-z]+")
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n\s*")
_BLANKS = re.compile(rb"\s+")


def body_of(page: bytes) -> bytes:
    """The text of a page's cable body: its last ``<pre>`` block (a text page: all of it), markup out."""
    blocks = _PRE.findall(page)
    body = blocks[-1] if blocks else page
    return _MARKUP.sub(b" ", _NEWLINE.sub(b"\n", body))


def words_of(body: bytes) -> list[bytes]:
    """The lower-cased words of a body, in order."""
    return _WORD.findall(body.lower())


def paragraphs_of(body: bytes) -> list[bytes]:
    """The paragraphs of a body: blocks between blank lines, blanks normalised, of 40 characters and 5 words or more."""
    blocks = (_BLANKS.sub(b" ", block).strip() for block in _BLANK_LINE.split(body))
    return [block for block in blocks if len(block) >= MIN_PARAGRAPH and len(_WORD.findall(block.lower())) >= 5]


def page_files(folder: Path, seed: int) -> list[Path]:
    """The page files under ``folder`` in a seeded shuffle of their path order."""
    files = sorted(
        (p for p in folder.rglob("*") if p.is_file() and p.suffix in (".html", ".txt")),
        key=lambda p: p.relative_to(folder).as_posix(),
    )
    random.Random(seed).shuffle(files)
    return files


@dataclass
class Growth:
    """What ``measure`` reports for one folder."""

    folder: str
    pages: int = 0
    page_bytes: int = 0
    distinct_words: dict[int, int] = field(default_factory=dict)
    words_read: dict[int, int] = field(default_factory=dict)  # the words (tokens) of the first N pages
    paragraphs: int = 0
    distinct_paragraphs: int = 0
    zstd_pages: float = 0.0
    zstd_bodies: float = 0.0
    zstd_long: float | None = None
    seconds: float = 0.0

    @property
    def duplicate_paragraphs(self) -> float:
        return 1 - self.distinct_paragraphs / self.paragraphs if self.paragraphs else 0.0

    @property
    def heaps_beta(self) -> float | None:
        points = sorted((n, v) for n, v in self.distinct_words.items() if n >= 100 and v > 0)
        if len(points) < 2 or points[0][0] == points[-1][0]:
            return None
        (n0, v0), (n1, v1) = points[0], points[-1]
        return math.log(v1 / v0) / math.log(n1 / n0)

    def as_dict(self) -> dict:
        return {
            "folder": self.folder,
            "pages": self.pages,
            "page_bytes": self.page_bytes,
            "distinct_words": {str(n): v for n, v in sorted(self.distinct_words.items())},
            "words_read": {str(n): v for n, v in sorted(self.words_read.items())},
            "heaps_beta": self.heaps_beta,
            "paragraphs": self.paragraphs,
            "duplicate_paragraphs": self.duplicate_paragraphs,
            "zstd_pages": self.zstd_pages,
            "zstd_bodies": self.zstd_bodies,
            "zstd_long": self.zstd_long,
            "seconds": self.seconds,
        }


class LongCompressor:
    """The ``zstd`` command compressing one stream with a 128 MB window; counts the bytes it writes."""

    def __init__(self) -> None:
        command = shutil.which("zstd")
        self.process = (
            subprocess.Popen([command, "-3", "--long=27", "-q", "-c"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            if command
            else None
        )
        self.written = self.compressed = 0
        if self.process is not None:
            self.reader = threading.Thread(target=self._count, daemon=True)
            self.reader.start()

    def _count(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while chunk := self.process.stdout.read(1 << 20):
            self.compressed += len(chunk)

    def write(self, data: bytes) -> None:
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.write(data)
            self.written += len(data)

    def ratio(self) -> float | None:
        """Bytes in over bytes out, once the stream is closed (None without the command)."""
        if self.process is None or self.process.stdin is None:
            return None
        self.process.stdin.close()
        self.reader.join()
        self.process.wait()
        return self.written / self.compressed if self.compressed else None


def measure(folder: Path, pages: int | None = None, at: tuple[int, ...] = CHECKPOINTS, seed: int = 0) -> Growth:
    """Vocabulary growth, duplicate paragraphs and compression of (at most ``pages`` of) a folder."""
    import pyarrow as pa

    codec = pa.Codec("zstd", compression_level=3)
    start = time.perf_counter()
    files = page_files(folder, seed)[:pages]
    marks = {n for n in at if n <= len(files)} | {len(files)}
    growth = Growth(str(folder))
    vocabulary: set[bytes] = set()
    tokens = 0
    seen: set[bytes] = set()
    compressed_pages = body_bytes = compressed_bodies = 0
    block: list[bytes] = []
    block_size = 0
    long = LongCompressor()
    for n, path in enumerate(files, 1):
        page = path.read_bytes()
        growth.page_bytes += len(page)
        compressed_pages += codec.compress(page, asbytes=True).__len__()
        body = body_of(page)
        words = words_of(body)
        tokens += len(words)
        vocabulary.update(words)
        for paragraph in paragraphs_of(body):
            growth.paragraphs += 1
            seen.add(hashlib.blake2b(paragraph, digest_size=16).digest())
        block.append(body)
        block_size += len(body)
        long.write(body)
        if block_size >= BLOCK_BYTES or n == len(files):
            data = b"".join(block)
            body_bytes += len(data)
            compressed_bodies += len(codec.compress(data, asbytes=True))
            block, block_size = [], 0
        if n in marks:
            growth.distinct_words[n] = len(vocabulary)
            growth.words_read[n] = tokens
    growth.pages = len(files)
    growth.distinct_paragraphs = len(seen)
    growth.zstd_pages = growth.page_bytes / compressed_pages if compressed_pages else 0.0
    growth.zstd_bodies = body_bytes / compressed_bodies if compressed_bodies else 0.0
    growth.zstd_long = long.ratio()
    growth.seconds = time.perf_counter() - start
    return growth


def table(growths: list[Growth]) -> str:
    """The figures of every folder side by side, one row per checkpoint: distinct words (words read)."""
    names = [Path(g.folder).name or g.folder for g in growths]
    marks = sorted({n for g in growths for n in g.distinct_words})
    width = max(20, *(len(name) for name in names))

    def cell(g: Growth, n: int) -> str:
        if n not in g.distinct_words:
            return f"{'':>{width}}"
        return f"{f'{g.distinct_words[n]:,} ({g.words_read[n] / 1e6:.2f}M)':>{width}}"

    lines = [f"{'pages':>11}  " + "  ".join(f"{name:>{width}}" for name in names)]
    for n in marks:
        lines.append(f"{n:>11,}  " + "  ".join(cell(g, n) for g in growths))
    rows = (
        ("Heaps beta", lambda g: "-" if g.heaps_beta is None else f"{g.heaps_beta:.2f}"),
        ("dup. paras", lambda g: f"{100 * g.duplicate_paragraphs:.1f} %"),
        ("zstd pages", lambda g: f"{g.zstd_pages:.2f}"),
        ("zstd bodies", lambda g: f"{g.zstd_bodies:.2f}"),
        ("zstd long", lambda g: "-" if g.zstd_long is None else f"{g.zstd_long:.2f}"),
        ("MB read", lambda g: f"{g.page_bytes / 1e6:,.0f}"),
        ("seconds", lambda g: f"{g.seconds:.1f}"),
    )
    for label, figure in rows:
        lines.append(f"{label:>11}  " + "  ".join(f"{figure(g):>{width}}" for g in growths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/vocabulary.py",
        description="Distinct words of the cable bodies as pages are added (Heaps' law), duplicate paragraphs "
        "and zstd ratios of one or more folders of saved pages.",
    )
    parser.add_argument("folders", type=Path, nargs="+", metavar="DIR", help="folders of saved pages")
    parser.add_argument("--pages", type=int, metavar="N", help="read at most N pages of each folder (default all)")
    parser.add_argument(
        "--at",
        metavar="N,N,...",
        default=",".join(str(n) for n in CHECKPOINTS),
        help="page counts to report the distinct words at (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the page order (default 0)")
    parser.add_argument("--json", action="store_true", help="also print one JSON object per folder")
    args = parser.parse_args(argv)
    try:
        at = tuple(int(n.replace("_", "")) for n in args.at.split(",") if n.strip())
    except ValueError:
        parser.error(f"--at: not a list of page counts: {args.at!r}")
    for folder in args.folders:
        if not folder.is_dir():
            parser.error(f"{folder} is not a folder")
    growths = [measure(folder, args.pages, at, args.seed) for folder in args.folders]
    print(table(growths))
    if args.json:
        for growth in growths:
            print(json.dumps(growth.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
