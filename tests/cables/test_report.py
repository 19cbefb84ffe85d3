"""The report page: self-contained HTML, one SVG per chart with the marks the data calls for, escaped text."""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from cables.report import (
    TOP_CITED,
    TOP_ORIGINS,
    TOP_TAGS,
    cable_link,
    clip,
    nice_ticks,
    render_report,
    serve_address,
    share_text,
    write_report,
    year_buckets,
)
from cables.settings import PROJECT_ROOT, SQL_DIR
from flows.layout import Warehouse
from flows.lookups import REFERENCE_DIR
from flows.serve import connect_read_only

CHARTS = ("volume", "origins", "classification", "tags", "cited")
SCREENSHOT = PROJECT_ROOT / "scripts" / "screenshot_report.sh"
HOSTILE = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(1)>'
SERVE_URL = "http://127.0.0.1:8765"
# The year of a release id, from its two leading digits.
RELEASE_YEAR = "(case when left(reference_id, 2)::int < 50 then 2000 else 1900 end + left(reference_id, 2)::int)"


class Page(HTMLParser):
    """Every element of a page with its attributes, the SVG each sits in, and the text."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], str | None]] = []
        self.chart: str | None = None
        self.text: list[str] = []
        self.style: list[str] = []
        self._in_style = False
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.chart = attrs.get("data-chart")
        self.elements.append((tag, attrs, self.chart))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), self.chart))

    def handle_endtag(self, tag):
        if tag == "svg":
            self.chart = None
        self._in_style = False

    def handle_data(self, data):
        (self.style if self._in_style else self.text).append(data)

    def svgs(self) -> dict[str, dict[str, str | None]]:
        return {attrs["data-chart"]: attrs for tag, attrs, _ in self.elements if tag == "svg"}

    def marks(self, chart: str, kind: str) -> list[dict[str, str | None]]:
        """Elements of class ``mark <kind>`` inside the SVG of ``chart``."""
        return [
            attrs
            for _, attrs, inside in self.elements
            if inside == chart and (attrs.get("class") or "").split() == ["mark", kind]
        ]


def assert_self_contained(page: str, links_to: str | None = None) -> Page:
    """The page loads nothing: no script, no external file; links (``<a href>``) only to ``links_to``'s cable pages."""
    parsed = Page(page)
    tags = Counter(tag for tag, _, _ in parsed.elements)
    assert page.startswith("<!DOCTYPE html>") and tags["html"] == tags["head"] == tags["body"] == 1
    assert tags["script"] == 0 and tags["link"] == 0 and tags["img"] == 0 and tags["iframe"] == 0
    for tag, attrs, _ in parsed.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if tag == "a" and name == "href" and links_to:
                assert (value or "").startswith(f"{links_to}/cable/"), (tag, name, value)
            elif name in {"src", "href", "xlink:href"}:
                assert not (value or "").lower().startswith(("http:", "https:", "//")), (tag, name, value)
    assert tags["a"] == 0 or links_to, "links without a serve URL"
    assert "url(http" not in page.lower() and "@import" not in "".join(parsed.style)
    return parsed


@pytest.fixture(scope="module")
def sample_report(sample_warehouse, tmp_path_factory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    con = connect_read_only(Warehouse.at(sample_warehouse), SQL_DIR)
    out = write_report(con, tmp_path_factory.mktemp("report") / "report.html")
    yield out, con
    con.close()


def test_report_is_written_and_self_contained(sample_report):
    out, _ = sample_report
    assert out.exists() and out.name == "report.html"
    assert not [p for p in out.parent.iterdir() if p.name != "report.html"]  # no temporary file left
    parsed = assert_self_contained(out.read_text(encoding="utf-8"))
    assert set(parsed.svgs()) == set(CHARTS)
    assert "No data" not in " ".join(parsed.text)


def test_header_totals(sample_report):
    out, con = sample_report
    text = " ".join(Page(out.read_text()).text)
    cables, origins, first, last = con.execute(
        "select count(*), count(distinct origin), min(created_at), max(created_at) from cable"
    ).fetchone()
    pages = con.execute("select (select count(*) from page_version) + (select count(*) from reject)").fetchone()[0]
    rejects = con.execute("select count(*) from reject").fetchone()[0]
    assert (cables, pages, rejects) == (32, 57, 2)
    assert f"Cables {cables}" in " ".join(text.split()) and f"{origins} origins" in text
    assert f"Pages landed {pages}" in " ".join(text.split()) and f"{rejects} rejects" in text
    assert f"{first.year}–{last.year}" in text


def test_volume_marks(sample_report):
    out, con = sample_report
    parsed = Page(out.read_text())
    months = con.execute(
        "select count(distinct date_trunc('month', created_at)) from cable where created_at is not null"
    ).fetchone()[0]
    assert len(parsed.marks("volume", "rug")) == months > 0
    # The sample is too thin for a detail span (2 % of 32 cables is the first one): one area only.
    n, first = con.execute("select count(*), min(year(created_at)) from cable").fetchone()
    focus = con.execute(
        "select year(created_at) from cable order by created_at limit 1 offset ?", [int(0.02 * n)]
    ).fetchone()[0]
    assert focus == first
    assert len(parsed.marks("volume", "area")) == 1
    # Beside it, the release's cables per month (one line) and the share held here, a point per month
    # of the span in which the release has cables.
    assert len(parsed.marks("volume", "release")) == len(parsed.marks("volume", "share")) == 1
    first_month, last_month = con.execute(
        "select min(date_trunc('month', created_at)), max(date_trunc('month', created_at)) from cable"
    ).fetchone()
    span = {(y, m) for y in range(first_month.year, last_month.year + 1) for m in range(1, 13)}
    span = {(y, m) for y, m in span if (first_month.year, 1) <= (y, m) <= (last_month.year, last_month.month)}
    released = con.execute(f"select distinct ({RELEASE_YEAR}, month) from release_cable").fetchall()
    months_with_release = len({r[0] for r in released} & span)
    assert months_with_release > 240  # 1966-2010: too dense for a hover point per month
    assert parsed.marks("volume", "share-point") == []


def test_origin_panels(sample_report):
    out, con = sample_report
    parsed = Page(out.read_text())
    top = con.execute(
        "select origin, count(*) from cable group by origin order by 2 desc, origin limit ?", [TOP_ORIGINS]
    ).fetchall()
    panels = [attrs for tag, attrs, chart in parsed.elements if chart == "origins" and attrs.get("class") == "panel"]
    assert [(p["data-origin"], int(p["data-cables"])) for p in panels] == top
    # 1966-2010 is more than 15 years: the panels count cables per year.
    svg = parsed.svgs()["origins"]
    assert svg["data-bin"] == "year" and svg["data-first-year"] == "1966"
    # Each panel carries the release's cables of the origin's stations over the panel's years, as the view counts them.
    for panel in panels:
        release, held = con.execute(
            "select sum(release_cables), sum(release_held_cables) from embassy_volume_by_year "
            "where origin = ? and level = 'SECRET' and year >= 1966",
            [panel["data-origin"]],
        ).fetchone()
        assert (int(panel["data-release-cables"]), int(panel["data-release-held"])) == (release, held)
        assert 0 < held <= int(panel["data-cables"])
    # Each panel draws the release's cables of its stations as a line.
    assert len(parsed.marks("origins", "release")) == len(panels)
    bars = con.execute(
        "select count(distinct (origin, year(created_at))) from cable where list_contains(?, origin)",
        [[name for name, _ in top]],
    ).fetchone()[0]
    assert len(parsed.marks("origins", "bar")) == bars


def test_classification_marks(sample_report):
    out, con = sample_report
    parsed = Page(out.read_text())
    segments = con.execute(
        """
        select count(distinct (
            year(created_at),
            case when classification like 'SECRET%' then 3 when classification like 'CONFIDENTIAL%' then 2
                 when classification like 'UNCLASSIFIED%' then 1 else 0 end,
            classification like '%NOFORN%'
        ))
        from cable
        """
    ).fetchone()[0]
    assert len(parsed.marks("classification", "segment")) == segments
    years = con.execute("select count(distinct year(created_at)) from cable").fetchone()[0]
    titles = " ".join(parsed.text)
    assert all(f"{y}" in titles for (y,) in con.execute("select distinct year(created_at) from cable").fetchall())
    assert years == 14  # one bar per year: no early years merged in the sample


def test_tag_heat_map_marks(sample_report):
    out, con = sample_report
    parsed = Page(out.read_text())
    top = [
        tag
        for (tag,) in con.execute(
            "select canonical_tag from tag where canonical_tag is not null group by 1 "
            "order by count(distinct reference_id) desc, 1 limit ?",
            [TOP_TAGS],
        ).fetchall()
    ]
    assert len(top) == TOP_TAGS
    pairs = con.execute(
        "select count(*) from tag_cooccurrence where list_contains(?, tag_a) and list_contains(?, tag_b)", [top, top]
    ).fetchone()[0]
    cells = parsed.marks("tags", "cell")
    empty = [attrs for tag, attrs, chart in parsed.elements if chart == "tags" and attrs.get("class") == "empty"]
    assert len(cells) == pairs > 0
    assert len(cells) + len(empty) == TOP_TAGS * (TOP_TAGS - 1) // 2
    # A tag's tooltip says what it stands for, from tag_glossary.
    text = " ".join(parsed.text)
    meanings = dict(con.execute("select tag, meaning from tag_glossary where list_contains(?, tag)", [top]).fetchall())
    assert meanings["PGOV"] == "Internal governmental affairs"
    for tag in top:
        assert (f"{tag} ({meanings[tag]}): " if meanings[tag] else f"{tag}: ") in text


def test_cited_bars(sample_report):
    out, con = sample_report
    parsed = Page(out.read_text())
    rows = con.execute(
        """
        select referenced_id, count(distinct reference_id) as n, bool_or(in_release),
               referenced_id in (select reference_id from cable union select canonical_id from cable)
        from reference where kind = 'cable' group by 1 order by n desc, 1 limit ?
        """,
        [TOP_CITED],
    ).fetchall()
    bars = parsed.marks("cited", "bar")
    assert len(bars) == len(rows) == TOP_CITED
    expected = ["warehouse" if held else "release" if in_release else "outside" for _, _, in_release, held in rows]
    assert [b["data-status"] for b in bars] == expected
    text = " ".join(parsed.text)
    assert all(ref in text for ref, *_ in rows)


def test_release_figures_beside_the_warehouse(sample_report):
    out, con = sample_report
    parsed = Page(out.read_text())
    text = " ".join(" ".join(parsed.text).split())
    release = con.execute("select count(*) from release_cable").fetchone()[0]
    held = con.execute(
        "select count(*) from release_cable where reference_id in (select reference_id from cable "
        "union select canonical_id from cable)"
    ).fetchone()[0]
    assert (release, held) == (251_287, 32)
    assert f"Share of the release {share_text(held, release)} {held} of its {release:,} cables held here" in text
    assert share_text(32, 251_287) == "<0.1 %" and share_text(52, 4_320) == "1.2 %" and share_text(3, 20) == "15 %"
    # Under the classification bars, each year's share of the release held here, with its counts.
    shares = [attrs for tag, attrs, chart in parsed.elements if attrs.get("class") == "release-share"]
    years = dict(con.execute(f"select {RELEASE_YEAR} as y, count(*) from release_cable group by y").fetchall())
    assert len(shares) == 14  # one per bar: no early years merged in the sample
    assert {int(a["data-year"]): int(a["data-release-cables"]) for a in shares} == {
        int(a["data-year"]): years.get(int(a["data-year"]), 0) for a in shares
    }
    assert sum(int(a["data-release-held"]) for a in shares) == 32
    assert "Blue (left axis): cables in this warehouse" in text and "Orange (right axis" in text


def test_no_links_without_a_serve_url(sample_report):
    out, _ = sample_report
    page = out.read_text()
    assert "<a " not in page and "/cable/" not in page.replace("cables serve", "")


def test_cited_cables_held_here_link_to_the_serve_site(sample_warehouse, tmp_path):
    # The sample holds none of its 15 most cited cables: no link, even with a serve URL.
    con = connect_read_only(Warehouse.at(sample_warehouse), SQL_DIR)
    try:
        page = write_report(con, tmp_path / "sample.html", serve_url=SERVE_URL).read_text()
    finally:
        con.close()
    parsed = assert_self_contained(page, links_to=SERVE_URL)
    assert [b for b in parsed.marks("cited", "bar") if b["data-status"] == "warehouse"] == []
    assert "<a " not in page
    # 10A1 (printed 10A1X, a malformed id) is cited twice and held: its id links to its page by the id printed.
    cables = [
        ("10A1X", "10A1", "2010-01-05 10:00", "SECRET", "Embassy X", "first", "First"),
        ("10A2", "10A2", "2010-02-05 10:00", "CONFIDENTIAL", "Embassy X", "second", "Second"),
        ("10A3", "10A3", "2010-02-07 10:00", "UNCLASSIFIED", "Embassy Y", "third", "Third"),
    ]
    refs = [("10A2", "cable", "10A1", True), ("10A3", "cable", "10A1", True), ("10A3", "cable", "09B7", True)]
    con = tiny_database(tmp_path / "linked.duckdb", cables, [], refs)
    page = render_report(con, serve_url=SERVE_URL + "/")
    con.close()
    parsed = assert_self_contained(page, links_to=SERVE_URL)
    assert [b["data-status"] for b in parsed.marks("cited", "bar")] == ["warehouse", "release"]
    assert [attrs["href"] for tag, attrs, _ in parsed.elements if tag == "a"] == [f"{SERVE_URL}/cable/10A1X"]
    assert f"link to their pages on {SERVE_URL}" in " ".join(parsed.text)
    assert cable_link(SERVE_URL, HOSTILE) == f"{SERVE_URL}/cable/%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
    assert cable_link(None, "08TRIPOLI481") is None and cable_link(SERVE_URL, None) is None


@pytest.mark.parametrize("url", ["ftp://example.org", "127.0.0.1:8000", "http://", "http://host/?q=1", "javascript:x"])
def test_a_serve_url_must_be_an_http_address(url):
    with pytest.raises(ValueError, match="the serve URL must be an http:// or https:// address"):
        serve_address(url)


def test_serve_address():
    assert serve_address(None) is None and serve_address("") is None
    assert serve_address("https://cables.example.org/newsroom/") == "https://cables.example.org/newsroom"


# ----------------------------------------------------------------------------- tiny warehouses


def tiny_database(path: Path, cables: list[tuple], tags: list[tuple], refs: list[tuple]) -> duckdb.DuckDBPyConnection:
    """A DuckDB file with the views the report reads, over inline rows (empty lists: empty views)."""
    con = duckdb.connect(str(path))
    con.execute(
        "create table cable (reference_id varchar, canonical_id varchar, created_at timestamp, "
        "classification varchar, origin varchar, subject varchar, subject_title varchar)"
    )
    con.execute("create table tag (reference_id varchar, canonical_tag varchar)")
    con.execute(
        "create table reference (reference_id varchar, kind varchar, referenced_id varchar, in_release boolean)"
    )
    con.execute("create table page_version (reference_id varchar, status varchar)")
    con.execute("create table reject (source_uri varchar, sha256 varchar, reason varchar)")
    con.execute("create table media_link (reference_id varchar, url varchar)")
    if cables:
        con.executemany("insert into cable values (?, ?, ?, ?, ?, ?, ?)", cables)
        con.executemany("insert into page_version values (?, 'current')", [(c[0],) for c in cables])
    if tags:
        con.executemany("insert into tag values (?, ?)", tags)
    if refs:
        con.executemany("insert into reference values (?, ?, ?, ?)", refs)
    release = REFERENCE_DIR / "cable2month.csv.gz"
    con.execute(
        f"create view release_cable as select * from read_csv('{release}', header = false, "
        "columns = {'reference_id': 'VARCHAR', 'month': 'TINYINT'})"
    )
    for view in ("tag_cooccurrence", "embassy_volume_by_month"):
        query = (SQL_DIR / "marts" / f"{view}.sql").read_text().strip().rstrip(";")
        con.execute(f"create view {view} as {query}")
    return con


def test_hostile_text_is_escaped(tmp_path):
    cables = [
        ("09A1", "09A1", "2009-01-05 10:00", "SECRET//NOFORN", HOSTILE_ATTR, HOSTILE, HOSTILE),
        ("09A2", "09A2", "2009-02-05 10:00", "CONFIDENTIAL", HOSTILE_ATTR, "second", None),
        ("09A3", "09A3", "2009-02-07 10:00", "UNCLASSIFIED", "Embassy <b>Bold</b>", "third", "Third"),
    ]
    tags = [(ref, tag) for ref, *_ in cables for tag in (HOSTILE, "PREL", HOSTILE_ATTR)]
    refs = [("09A2", "cable", "09A1", True), ("09A3", "cable", "09A1", True), ("09A3", "cable", HOSTILE, False)]
    con = tiny_database(tmp_path / "hostile.duckdb", cables, tags, refs)
    page = render_report(con)
    con.close()
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    parsed = assert_self_contained(page)
    assert set(parsed.svgs()) == set(CHARTS)
    text = " ".join(parsed.text)
    assert HOSTILE in text and HOSTILE_ATTR in text  # shown to the reader as text
    panels = [attrs for _, attrs, chart in parsed.elements if chart == "origins" and attrs.get("class") == "panel"]
    assert panels[0]["data-origin"] == HOSTILE_ATTR and panels[0]["data-cables"] == "2"
    assert len(parsed.marks("tags", "cell")) == 3  # three tags, all on every cable
    assert [b["data-status"] for b in parsed.marks("cited", "bar")] == ["warehouse", "outside"]


def test_empty_warehouse_shows_no_data(tmp_path):
    con = tiny_database(tmp_path / "empty.duckdb", [], [], [])
    page = render_report(con)
    con.close()
    parsed = assert_self_contained(page)
    assert set(parsed.svgs()) == set(CHARTS)
    notes = [
        chart for tag, attrs, chart in parsed.elements if tag == "text" and (attrs.get("class") or "") == "no-data"
    ]
    assert sorted(notes) == sorted(CHARTS)
    assert not [attrs for _, attrs, _ in parsed.elements if (attrs.get("class") or "").startswith("mark")]


def test_single_cable(tmp_path):
    con = tiny_database(
        tmp_path / "one.duckdb", [("10X1", "10X1", "2010-02-02 14:02", "SECRET", "Embassy X", "s", "S")], [], []
    )
    parsed = assert_self_contained(render_report(con))
    con.close()
    assert len(parsed.marks("volume", "rug")) == 1 and len(parsed.marks("volume", "area")) == 1
    assert len(parsed.marks("origins", "bar")) == 1 and len(parsed.marks("classification", "segment")) == 1
    no_data = {chart for tag, attrs, chart in parsed.elements if tag == "text" and attrs.get("class") == "no-data"}
    assert no_data == {"tags", "cited"}


# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("maximum", "count", "ticks"),
    [(0, 4, [0, 1]), (1, 4, [0, 1]), (3, 4, [0, 1, 2, 3]), (153, 4, [0, 50, 100, 150, 200]), (10, 2, [0, 5, 10])],
)
def test_nice_ticks(maximum, count, ticks):
    assert nice_ticks(maximum, count) == ticks


def test_clip_and_year_buckets():
    assert clip("Embassy  Madrid", 20) == "Embassy Madrid" and clip("abcdefghij", 5) == "abcd…"
    assert year_buckets([1966, 1972, 2004, 2005], 2004) == {
        1966: "1966–1972",
        1972: "1966–1972",
        2004: "2004",
        2005: "2005",
    }
    assert year_buckets([1990, 2004], 2004) == {1990: "1990", 2004: "2004"}  # one early year keeps its own bar
    assert year_buckets([2004], None) == {2004: "2004"}


# ----------------------------------------------------------------------------- rendering


def test_screenshot_in_chromium(request, tmp_path):
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        pytest.skip("chromium not on PATH (apt-get install -y chromium): screenshot of the report not checked")
    out, _ = request.getfixturevalue("sample_report")
    png = tmp_path / "report.png"
    result = subprocess.run([str(SCREENSHOT), str(out), str(png)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 4000)
    assert len(data) > 50_000  # a blank page of that size compresses to a few KB
