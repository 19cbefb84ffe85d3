"""Extract from the release's CSV dump (``cables.csv``): one landed page per record, streamed.

The dump has no header row and eight double-quoted fields per record: id, date, refid, origin,
classification, references, header, body. Header and body run over many lines. The original file
escapes a quote inside a field with a backslash (``\\"``, and a backslash as ``\\\\``); a doubled
quote (``""``, RFC 4180) is read as well. A record is landed as its bytes in the file, line end
included: ``transforms.csv_record`` reads it at parse time.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from flows import landing
from flows.landing import Entry

# Bytes read from the file at a time.
BLOCK_BYTES = 1 << 20
# The start of a record: "<id>","<m>/<d>/<yyyy> <h>:<mm>"," (no field of a well-quoted record can
# hold a line starting so: its quotes would be escaped or doubled).
RECORD_START = rb'"\d{1,12}","\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d","'
_RECORD_START = re.compile(RECORD_START)
# Outside a quoted field only a quote (a field opens) and a line end (the record ends) matter;
# inside one, a quote (it closes, is doubled, or starts the next record at a line start: the field
# was never closed) and a backslash (it escapes the next byte).
_OUTSIDE = re.compile(rb'["\n]')
_INSIDE = re.compile(rb'["\\]')
# Bytes a decision may need to look at beyond the byte found: more than a record start.
_LOOKAHEAD = 64
# The id and refid that name a record in its URI (the file may open with a byte-order mark).
_KEY = re.compile(rb'(?:\xef\xbb\xbf)?"(\d{1,12})","[^"\n]*","([A-Za-z0-9]*)"')

_OPENERS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}


def open_dump(path: Path) -> BinaryIO:
    """The dump's bytes, decompressed on the fly for ``.gz``, ``.xz`` and ``.bz2``."""
    opener = _OPENERS.get(path.suffix.lower())
    return opener(path, "rb") if opener else path.open("rb")


def csv_records(stream: BinaryIO, cap: int, block: int = BLOCK_BYTES) -> Iterator[tuple[bytes, int]]:
    """The records of a CSV stream in file order: each record's bytes (line end included) and size.

    A record ends at a line end outside quoted fields, at a line end inside one that is followed
    by the start of a record (an unterminated field), or at the end of the stream. Blank lines
    between records are skipped. Memory holds one record and one block: a record larger than
    ``cap`` bytes is not kept (its bytes are given as ``b""``, its size is right).
    """
    buf = b""
    start = pos = dropped = 0
    inside = eof = False
    while True:
        pattern = _INSIDE if inside else _OUTSIDE
        safe = len(buf) if eof else len(buf) - _LOOKAHEAD
        hit = pattern.search(buf, pos)
        at = hit.start() if hit else len(buf)
        if hit is None or at >= safe:
            if eof:
                record = buf[start:]
                if dropped or record.strip():
                    yield (b"" if dropped else record), dropped + len(record)
                return
            pos = max(pos, min(at, safe))
            if pos - start > cap:  # too large to keep: count its bytes, keep scanning
                dropped += pos - start
                start = pos
            buf = buf[start:]
            pos, start = pos - start, 0
            data = stream.read(block)
            eof = not data
            buf += data
            continue
        byte = buf[at : at + 1]
        restart = inside and byte == b'"' and buf[at - 1 : at] == b"\n" and _RECORD_START.match(buf, at)
        if byte == b"\n" or restart:
            end = at if restart else at + 1
            record = buf[start:end]
            if dropped or record.strip():
                yield (b"" if dropped else record), dropped + len(record)
            start = pos = end
            dropped, inside = 0, False
        elif byte == b"\\":
            pos = at + 2
        elif not inside:
            inside, pos = True, at + 1
        elif buf[at + 1 : at + 2] == b'"':
            pos = at + 2  # a doubled quote
        else:
            inside, pos = False, at + 1


def record_key(record: bytes, ordinal: int) -> str:
    """What names a record in its URI: ``<id>-<refid>`` (``<id>`` without a refid), or
    ``record-<n>`` (its place in the file) when the record has no readable id."""
    match = _KEY.match(record)
    if match is None:
        return f"record-{ordinal}"
    row_id, refid = match.group(1).decode(), match.group(2).decode()
    return f"{row_id}-{refid}" if refid else row_id


def csv_entries(path: Path) -> Iterator[Entry]:
    """One entry per record of a ``cables.csv`` dump (plain, ``.gz``, ``.xz`` or ``.bz2``), streamed.

    URI: the file's URI, ``#`` and the record's key (see :func:`record_key`); a key seen before in
    the file gets ``~2``, ``~3``, ... in file order, so every record of an unchanged file has the same
    URI at every landing. Size: the record's bytes. Mtime: the file's, so an unchanged file is not
    read again record by record. A malformed record is an entry like any other; the parse rejects it.
    """
    base = path.resolve().as_uri()
    mtime_ns = path.stat().st_mtime_ns
    seen: dict[str, int] = {}
    with open_dump(path) as stream:
        for ordinal, (record, size) in enumerate(csv_records(stream, landing.MAX_PAGE_BYTES), start=1):
            key = record_key(record, ordinal)
            count = seen[key] = seen.get(key, 0) + 1
            if count > 1:
                key = f"{key}~{count}"
            uri = f"{base}#{quote(key, safe='-~')}"
            yield Entry(uri, size, mtime_ns, lambda record=record: record)


def format_record(fields: Sequence[str]) -> bytes:
    """One record in the dump's own convention: every field quoted, a backslash before each quote
    and backslash inside, a line end after the last field (the inverse of the reader)."""
    quoted = ('"' + f.replace("\\", "\\\\").replace('"', '\\"') + '"' for f in fields)
    return (",".join(quoted) + "\n").encode()
