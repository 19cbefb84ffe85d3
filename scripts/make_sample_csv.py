"""Write ``tests/data/cables-sample.csv``: the bundled sample's cables in the format of the release's CSV dump.

Run from the project root::

    python scripts/make_sample_csv.py [--out PATH]

The pages of ``data/sample/`` are read with the project's own transforms (the parse, then the
version choice of a build); each cable's current version becomes one record of ``cables.csv``:
id (1, 2, ... in order of creation), date (``12/28/1966 18:48``), refid, origin, classification,
references (the cited ids of its REF blocks, ``|``-separated), header, body, written as the
dump writes them (every field quoted, a backslash before a quote or a backslash). A last record
is malformed on purpose: its body opens a quote that the file never closes. The output depends
on the sample only: the same bytes at every run.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from datetime import datetime
from pathlib import Path

import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from flows.csv_source import format_record  # noqa: E402
from transforms.cable import cable, current_version  # noqa: E402
from transforms.parse import parsed_tables  # noqa: E402

SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
OUT = PROJECT_ROOT / "tests" / "data" / "cables-sample.csv"
# The record that cannot be read: its body field is still open at the end of the file.
MALFORMED = (
    "1/8/2010 11:30",
    "10NOWHERE1",
    "Embassy Nowhere",
    "UNCLASSIFIED",
    "",
    "R 081130Z JAN 10\nFM AMEMBASSY NOWHERE",
    "UNCLAS NOWHERE 000001\n\nSUBJECT: A RECORD WHOSE LAST FIELD IS NEVER CLOSED\n",
)


def dump_date(stamp: datetime) -> str:
    """A timestamp as the dump prints it: ``2/25/1972 9:30`` (month, day and hour unpadded)."""
    return f"{stamp.month}/{stamp.day}/{stamp.year} {stamp.hour}:{stamp.minute:02d}"


def sample_cables(sample_dir: Path) -> pl.DataFrame:
    """One row per cable of the sample (its current version): the columns of the dump, in order of creation."""
    files = sorted(p for p in sample_dir.rglob("*") if p.is_file() and p.name != "sample_manifest.tsv")
    contents = [p.read_bytes() for p in files]
    raw = pl.DataFrame(
        {
            "source_uri": [p.resolve().as_uri() for p in files],
            "sha256": [hashlib.sha256(c).hexdigest() for c in contents],
            "content": contents,
            "fetched_at": [datetime(2011, 1, 1)] * len(files),
        }
    )
    tables = parsed_tables(raw.select("sha256", "content"))
    pages = tables["page"].lazy().filter(pl.col("reject_reason").is_null())
    versions = current_version(pages, raw.lazy().select("source_uri", "sha256", "fetched_at"))
    cables = cable(tables["cable_version"].lazy(), versions).collect()
    references = (
        tables["reference"]
        .sort("content_sha256", "position", "part")
        .filter(pl.col("referenced_id").is_not_null())
        .group_by("content_sha256", maintain_order=True)
        .agg(pl.col("referenced_id").unique(maintain_order=True).str.join("|").alias("references"))
    )
    return (
        cables.join(references, on="content_sha256", how="left")
        .with_columns(pl.col("references").fill_null(""))
        .sort("created_at", "reference_id")
        .select("created_at", "reference_id", "origin", "classification", "references", "header", "body")
    )


def sample_records(sample_dir: Path) -> list[bytes]:
    """The records of the file: one per sample cable, then the malformed one."""
    records = [
        format_record([str(i), dump_date(created), refid, origin, level, refs, header, body])
        for i, (created, refid, origin, level, refs, header, body) in enumerate(
            sample_cables(sample_dir).iter_rows(), start=1
        )
    ]
    broken = format_record([str(len(records) + 1), *MALFORMED])
    records.append(broken[: broken.rindex(b'"')])  # the body's closing quote and the line end cut off
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = OUT.relative_to(PROJECT_ROOT)
    parser.add_argument("--out", type=Path, default=OUT, help=f"file to write (default: {default})")
    args = parser.parse_args()
    records = sample_records(SAMPLE_DIR)
    data = b"".join(records)
    args.out.write_bytes(data)
    print(f"wrote {len(records)} records, {len(data):,} bytes to {args.out}")


if __name__ == "__main__":
    main()
