"""The release's CSV dump as a source: records streamed and landed unchanged, then parsed as pages."""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import io
import lzma
import os
import shutil
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cables.settings import PROJECT_ROOT
from flows import landing
from flows.csv_source import csv_entries, csv_records, format_record
from flows.landing import CSV_SUFFIXES, land_source
from flows.layout import LANDING_TABLE, Warehouse
from transforms.csv_record import COLUMNS, csv_record_fields
from transforms.page import parsed_page
from transforms.parse import page_text

SAMPLE_CSV = PROJECT_ROOT / "tests" / "data" / "cables-sample.csv"
RECORDS = 33  # 32 cables of data/sample, then one malformed record
MALFORMED_URI = "#33-10NOWHERE1"
MALFORMED_REASON = "unreadable CSV record: a quoted field is not closed"


def entries(path: Path) -> list[tuple[str, int, int, bytes]]:
    return [(e.uri, e.size, e.mtime_ns, e.read()) for e in csv_entries(path)]


def parsed(records: list[bytes]) -> pl.DataFrame:
    """``parsed_page`` of raw records, in the order given."""
    raw = pl.DataFrame({"sha256": [hashlib.sha256(r).hexdigest() for r in records], "content": records})
    out = parsed_page(page_text(raw)).collect()
    return raw.select("sha256").join(out, on="sha256", how="left", maintain_order="left")


def record(*fields: str) -> bytes:
    return format_record(fields)


GOOD = record("7", "3/9/2009 7:05", "09TRIPOLI1", "Embassy Tripoli", "SECRET", "", "O 090705Z MAR 09", "SUBJECT: X\n")


# --- the stream of records ---------------------------------------------------------------------


def test_entries_stream_one_per_record_with_its_bytes():
    found = entries(SAMPLE_CSV)
    data = SAMPLE_CSV.read_bytes()
    assert len(found) == RECORDS
    base = SAMPLE_CSV.resolve().as_uri() + "#"
    assert found[0][0] == base + "1-66BUENOSAIRES2481" and found[-1][0] == base + MALFORMED_URI[1:]
    assert len({uri for uri, *_ in found}) == RECORDS
    # Each record is its slice of the file, line end included: together they are the file.
    offset = 0
    for _, size, mtime_ns, content in found:
        assert size == len(content) and content == data[offset : offset + size]
        assert mtime_ns == SAMPLE_CSV.stat().st_mtime_ns
        offset += size
    assert offset == len(data)
    # Another read gives the same entries; so does a tiny read block (records cut anywhere).
    assert entries(SAMPLE_CSV) == found
    assert [r for r, _ in csv_records(io.BytesIO(data), 1 << 20, block=3)] == [c for *_, c in found]


def test_the_sample_is_written_as_the_dump_is_read_by_csv_readers():
    # cablemap reads cables.csv with Python's csv module and a backslash escape character.
    text = SAMPLE_CSV.read_text()
    good = text[: text.rindex('\n"33","')]
    rows = list(csv.reader(io.StringIO(good), escapechar="\\", strict=True))
    assert len(rows) == RECORDS - 1 and {len(row) for row in rows} == {8}
    assert rows[0][:6] == [
        "1",
        "12/28/1966 18:48",
        "66BUENOSAIRES2481",
        "Embassy Buenos Aires",
        "UNCLASSIFIED",
        "66STATE106206",
    ]
    assert sum('"' in row[7] and "," in row[7] and "\n" in row[7] for row in rows) >= 10
    # Our reading of each record gives the same fields.
    records = pl.LazyFrame(
        {"sha256": [str(i) for i in range(len(rows))], "text": [c.decode() for *_, c in entries(SAMPLE_CSV)][:-1]}
    )
    ours = csv_record_fields(records).collect()
    assert ours.select(COLUMNS).rows() == [tuple(row) for row in rows] and ours["reason"].null_count() == len(rows)


@pytest.mark.parametrize(("suffix", "opener"), [(".gz", gzip.open), (".xz", lzma.open), (".bz2", bz2.open)])
def test_a_compressed_dump_gives_the_same_records(tmp_path, suffix, opener):
    assert f".csv{suffix}" in CSV_SUFFIXES
    packed = tmp_path / f"cables.csv{suffix}"
    with opener(packed, "wb") as f:
        f.write(SAMPLE_CSV.read_bytes())
    plain, compressed = entries(SAMPLE_CSV), entries(packed)
    assert [(u.split("#")[1], s, c) for u, s, _, c in compressed] == [(u.split("#")[1], s, c) for u, s, _, c in plain]
    assert all(
        u.startswith(packed.resolve().as_uri() + "#") and m == packed.stat().st_mtime_ns for u, _, m, _ in compressed
    )


def test_repeated_ids_get_distinct_uris_stable_across_runs(tmp_path):
    dump = tmp_path / "cables.csv"
    no_refid = record("8", "3/9/2009 7:05", "", "Embassy Tripoli", "SECRET", "", "H", "B")
    dump.write_bytes(GOOD + GOOD.replace(b"SUBJECT: X", b"SUBJECT: Y") + no_refid + b'"x","y"\n' + GOOD)
    keys = [uri.split("#")[1] for uri, *_ in entries(dump)]
    assert keys == ["7-09TRIPOLI1", "7-09TRIPOLI1~2", "8", "record-4", "7-09TRIPOLI1~3"]
    assert [uri for uri, *_ in entries(dump)] == [uri for uri, *_ in entries(dump)]


def test_malformed_records_are_entries_and_the_stream_goes_on(tmp_path):
    unclosed = b'"2","3/9/2009 7:05","09TRIPOLI2","Embassy Tripoli","SECRET","","H","body never closed\nline\n'
    seven = b'"3","3/9/2009 7:05","09TRIPOLI3","Embassy Tripoli","SECRET","","only seven"\r\n'
    stray = b'"4","3/9/2009 7:05","09TRIPOLI4","Embassy Tripoli","SECRET","","H","B" and more\n'
    dump = tmp_path / "cables.csv"
    # Blank lines between records are skipped; an unclosed field ends where the next record starts.
    dump.write_bytes(GOOD + b"\n\r\n" + unclosed + seven + stray + GOOD.replace(b'"7"', b'"9"') + unclosed)
    found = [content for *_, content in entries(dump)]
    assert found == [GOOD, unclosed, seven, stray, GOOD.replace(b'"7"', b'"9"'), unclosed]
    out = parsed([GOOD, unclosed, seven, stray, unclosed.rstrip(b"\n")])
    assert out["reject_reason"].to_list() == [
        None,
        MALFORMED_REASON,
        "unreadable CSV record: 7 fields, 8 expected",
        "unreadable CSV record: text outside the quoted fields",
        MALFORMED_REASON,
    ]


def test_a_record_larger_than_a_page_may_be_is_counted_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(landing, "MAX_PAGE_BYTES", 100)
    big = record("5", "3/9/2009 7:05", "09TRIPOLI5", "Embassy Tripoli", "SECRET", "", "H", "x" * 5000)
    dump = tmp_path / "cables.csv"
    dump.write_bytes(big + GOOD)
    report = land_source(dump, Warehouse.at(tmp_path / "wh"), "r1")
    assert (report.files_seen, report.too_large, report.landed_new) == (2, 1, 1)
    # Read in small blocks, the record is dropped as it grows: only its size is kept.
    assert list(csv_records(io.BytesIO(big + GOOD), 100, block=16)) == [(b"", len(big)), (GOOD, len(GOOD))]


# --- landing ------------------------------------------------------------------------------------


def test_landing_twice_lands_nothing_new(tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    dump = tmp_path / "cables.csv"
    shutil.copy(SAMPLE_CSV, dump)
    first = land_source(dump, wh, "r1")
    assert first.files_seen == first.landed_new == RECORDS and first.bytes_landed == dump.stat().st_size
    again = land_source(dump, wh, "r2")
    assert again.unchanged == RECORDS and again.landed_new == again.landed_changed == 0
    # A touched file is read again, record by record, and lands nothing: the contents are known.
    os.utime(dump, ns=(dump.stat().st_atime_ns, dump.stat().st_mtime_ns + 10**9))
    touched = land_source(dump, wh, "r3")
    assert touched.same_content == RECORDS and touched.landed_new == touched.landed_changed == 0
    landed = pl.read_parquet(wh.table_dir(LANDING_TABLE) / "*.parquet")
    assert landed.height == RECORDS and landed["source_uri"].n_unique() == RECORDS
    contents = {uri: content for uri, _, _, content in entries(dump)}
    assert dict(zip(landed["source_uri"], landed["content"], strict=True)) == contents


# --- reading a record ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "body"),
    [
        (GOOD, "SUBJECT: X\n"),
        # The dump's backslash escapes, RFC 4180's doubled quotes, and a mix of both.
        (GOOD.replace(b"SUBJECT: X", b'SAID \\"NO\\", C:\\\\ OK'), 'SAID "NO", C:\\ OK\n'),
        (GOOD.replace(b"SUBJECT: X", b'SAID ""NO"", C:\\ OK'), 'SAID "NO", C:\\ OK\n'),
        (GOOD.replace(b"SUBJECT: X", b'SAID ""NO"" \\"YES\\"'), 'SAID "NO" "YES"\n'),
        (GOOD.replace(b"\n", b"\r\n"), "SUBJECT: X\n"),
        (b"\xef\xbb\xbf" + GOOD, "SUBJECT: X\n"),
    ],
)
def test_both_quoting_conventions_are_read(raw, body):
    row = parsed([raw]).row(0, named=True)
    assert row["reject_reason"] is None and row["body"] == body
    assert (row["reference_id"], str(row["created_at"]), row["released_at"]) == (
        "09TRIPOLI1",
        "2009-03-09 07:05:00",
        None,
    )


def test_fields_of_a_record():
    frame = pl.LazyFrame({"sha256": ["a"], "text": [GOOD.decode()]})
    row = csv_record_fields(frame).collect().row(0, named=True)
    assert row == {
        "sha256": "a",
        "id": "7",
        "date": "3/9/2009 7:05",
        "refid": "09TRIPOLI1",
        "origin": "Embassy Tripoli",
        "classification": "SECRET",
        "references": "",
        "header": "O 090705Z MAR 09",
        "body": "SUBJECT: X\n",
        "reason": None,
    }


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (GOOD.replace(b'"3/9/2009 7:05"', b'"sometime"'), "unreadable Created date"),
        (GOOD.replace(b'"09TRIPOLI1"', b'""'), "cable page without a reference id"),
        (b'"1","a","b"\n', "unreadable CSV record: 3 fields, 8 expected"),
        (b'"1",no quotes\n', "unreadable CSV record: text outside the quoted fields"),
    ],
)
def test_reasons_a_record_is_rejected(raw, reason):
    assert parsed([raw])["reject_reason"].to_list() == [reason]


def test_pages_that_are_no_records_are_untouched(sample_dir):
    page = next(sample_dir.rglob("09TRIPOLI65.html")).read_bytes()
    raw = pl.DataFrame({"sha256": ["p", "t"], "content": [page, b'"not", a record']})
    assert dict(page_text(raw).collect().iter_rows()) == {"p": page.decode(), "t": '"not", a record'}


# Text of a header or a body: the characters a CSV and HTML escape, and any other but CR (the page
# parse reads CRLF as LF, as for every page) and the separators Python strips as spaces and Polars
# does not.
_NOT_TEXT = "\r\x1c\x1d\x1e\x1f"
TEXT = st.text(
    st.one_of(
        st.sampled_from("\"\\,\n'&<>;#/ -"), st.characters(exclude_characters=_NOT_TEXT, exclude_categories=["Cs"])
    ),
    max_size=60,
)


@given(st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=4))
@example([('"1","1/1/2000 1:00","X"', '\n"12","3/4/2005 10:00","05X1","E","S","","H","B"\n\\')])
@example([("", "\\"), ("\\\\", '\\"')])
def test_header_and_body_round_trip_through_the_dump(blocks):
    records = [
        record(str(i), "3/9/2009 7:05", f"09TEST{i}", "Embassy Test", "SECRET", "", header, body)
        for i, (header, body) in enumerate(blocks, start=1)
    ]
    with tempfile.TemporaryDirectory() as folder:
        dump = Path(folder) / "cables.csv"
        dump.write_bytes(b"".join(records))
        landed = [e.read() for e in csv_entries(dump)]
    assert landed == records
    out = parsed(landed)
    assert out["reject_reason"].to_list() == [None] * len(blocks)
    assert out["header"].to_list() == [h.strip() for h, _ in blocks]
    assert out["body"].to_list() == [b for _, b in blocks]


# --- a build from the dump ----------------------------------------------------------------------


def table(warehouse: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(Warehouse.at(warehouse).table_files(name), hive_partitioning=False)


SAME = ["reference_id", "created_at", "classification", "origin", "subject", "header", "body", "section_count"]


def test_a_build_from_the_dump_gives_the_cables_of_its_pages(prefect_harness, sample_warehouse, sample_dir, tmp_path):
    from flows.build import build_warehouse

    wh = tmp_path / "wh"
    result = build_warehouse(source=str(SAMPLE_CSV), warehouse=str(wh))
    assert result["landing"]["landed_new"] == RECORDS
    assert (result["rows"]["cable"], result["rows"]["reject"], result["rows"]["raw_page"]) == (32, 1, RECORDS)
    from_csv, from_pages = table(wh, "cable"), table(sample_warehouse, "cable")
    assert from_csv.select(SAME).equals(from_pages.select(SAME))
    # Tags in page order, once each: the viewer links every TAGS block of a cable in several
    # sections (90CAPETOWN97 twice), the dump's text is read for its first block.
    distinct = pl.col("tags").list.unique(maintain_order=True)
    assert from_csv.select("reference_id", distinct).equals(from_pages.select("reference_id", distinct))
    for name, key in [("reference", ["reference_id", "position", "part"]), ("paragraph", ["reference_id", "position"])]:
        assert table(wh, name).sort(key).equals(table(sample_warehouse, name).sort(key)), name
    # What the dump does not hold: the release date, older viewer builds, article links.
    assert from_csv["released_at"].null_count() == 32 and (from_csv["viewer_title"] == from_csv["reference_id"]).all()
    assert table(wh, "cable_version")["build_stamp"].null_count() == 32 and table(wh, "media_link").height == 0
    (reject,) = table(wh, "reject").rows(named=True)
    assert reject["source_uri"].endswith(MALFORMED_URI) and reject["reason"] == MALFORMED_REASON

    # The pages of the same cables added to the warehouse: theirs are the current versions (they
    # have a release date), the dump's become older versions, and the data checks still pass.
    mixed = build_warehouse(source=str(sample_dir), warehouse=str(wh))
    assert mixed["rows"]["cable"] == 32
    cables = table(wh, "cable")
    assert cables["released_at"].null_count() == 0 and not cables["source_uri"].str.contains("#").any()
    versions = table(wh, "page_version").filter(pl.col("source_uri").str.contains(".csv#", literal=True))
    assert versions.height == 32 and set(versions["status"]) == {"older_version"}
    assert table(wh, "cable_change")["from_released_at"].null_count() == 32
