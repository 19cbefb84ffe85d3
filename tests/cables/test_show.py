"""``cables show``: one cable read from the warehouse, checked against what its page says.

The expected values below were read off the pages themselves (``data/sample/`` and
``tests/data/show/``), not taken from the command's output.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from cables.cli import main
from cables.settings import PROJECT_ROOT, SQL_DIR
from cables.show import ShowError, cable_view, find_cable, render_html, render_markdown, render_text
from flows.layout import Warehouse
from flows.serve import connect_read_only

SAMPLE = PROJECT_ROOT / "data" / "sample"
REFERENCE = PROJECT_ROOT / "data" / "reference"
PANAMA539 = SAMPLE / "avilaroman__Wikileaks-Mirror/cable/2009/07/09PANAMA539.html"
COLOMBO50 = {  # the four pages of 10COLOMBO50 in the sample, and the Released date each prints
    "avilaroman__Wikileaks-Mirror/cable/2010/01/10COLOMBO50.html": "2011-01-31 21:09",
    "avilaroman__Wikileaks-Mirror/_history/20110119-0010_71cfd64/cable/2010/01/10COLOMBO50.html": "2010-12-16 21:09",
    "anarchivist__cablegate-data/cable/2010/01/10COLOMBO50.html": "2010-12-16 21:09",
    "gabrielduque__wikileaks-mirror-jp.github.com/cable/2010/01/10COLOMBO50.html": "2010-12-16 21:09",
}
# Pages of two cables the sample cites (10COLOMBO50 cites 10COLOMBO32, 09PANAMA539 cites 09PANAMA519).
CITED_PAGES = PROJECT_ROOT / "tests" / "data" / "show"


def show(warehouse: Path, *args: str):
    """``cables show ARGS -w WAREHOUSE`` run as a user runs it (stdout and stderr apart)."""
    return CliRunner().invoke(main, ["show", "-w", str(warehouse), *args])


@pytest.fixture(scope="module")
def con(sample_warehouse):
    """A read-only connection to the sample's warehouse, as ``cables show`` opens it."""
    connection = connect_read_only(Warehouse.at(sample_warehouse), SQL_DIR)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def cited_warehouse(prefect_harness, tmp_path_factory) -> Path:
    """A warehouse built by a real flow run from 09PANAMA539 and the pages of 10COLOMBO50 (from the
    sample) with the pages of the cables they cite, 09PANAMA519 and 10COLOMBO32."""
    from flows.build import build_warehouse

    source = tmp_path_factory.mktemp("show-pages")
    for page in [PANAMA539, *(SAMPLE / p for p in COLOMBO50)]:
        target = source / page.relative_to(SAMPLE)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, target)
    shutil.copytree(CITED_PAGES, source, dirs_exist_ok=True)
    result = build_warehouse(source=str(source), warehouse=str(tmp_path_factory.mktemp("show-wh") / "warehouse"))
    return Path(result["warehouse"])


def release_ids() -> set[str]:
    """The release's reference ids (data/reference/cable2month.csv.gz), read here on their own."""
    with gzip.open(REFERENCE / "cable2month.csv.gz", "rt") as f:
        return {row[0] for row in csv.reader(f)}


def routing_names() -> dict[str, set[str]]:
    """Routing indicator -> names (data/reference/route2name.csv)."""
    names: dict[str, set[str]] = {}
    with open(REFERENCE / "route2name.csv") as f:
        for indicator, name in csv.reader(f):
            names.setdefault(indicator, set()).add(name)
    return names


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("09PANAMA539", "09PANAMA539"),
        ("09panama539", "09PANAMA539"),
        ("09 PANAMA 539", "09PANAMA539"),
        (" 09 Panama 000539 ", "09PANAMA539"),
        ("10COLOMBO050", "10COLOMBO50"),
        ("09SANJOSE525", "09SECTION01OF03SANJOSE525"),  # the page prints a malformed id
        ("09section01of03sanjose525", "09SECTION01OF03SANJOSE525"),
        ("7575LIBREVILLE1895", "7575LIBREVILLE1895"),
        ("09 SECSTATE 37566", "09STATE37566"),  # as a REF line may write it
    ],
)
def test_ids_are_read_as_users_copy_them(con, typed, found):
    assert find_cable(con, typed) == found


def test_an_unknown_id_is_one_line_naming_close_ids(sample_warehouse):
    result = show(sample_warehouse, "09 panama 538")
    assert result.exit_code == 1
    assert result.stdout == ""
    # The sample holds two cables of the station PANAMA: 09PANAMA539 (same year) and 89PANAMA8545.
    assert result.stderr == "cables: no cable 09PANAMA538 in the warehouse (close: 09PANAMA539, 89PANAMA8545)\n"
    # 08TRIPOLI505 is a cable of the release (data/reference/cable2month.csv.gz) the sample lacks.
    assert "08TRIPOLI505" in release_ids()
    result = show(sample_warehouse, "08 tripoli 505")
    assert result.stderr == (
        "cables: no cable 08TRIPOLI505 in the warehouse (it is in the release; close: 08TRIPOLI220, 09TRIPOLI663, "
        "07TRIPOLI943)\n"
    )
    result = show(sample_warehouse, "08FOO1")
    assert (result.exit_code, result.stderr) == (1, "cables: no cable 08FOO1 in the warehouse\n")
    assert show(sample_warehouse, "  ").stderr == "cables: give a cable's reference id, e.g. 08TRIPOLI220\n"


def test_a_missing_warehouse_is_one_line(tmp_path):
    result = show(tmp_path / "nowhere", "09PANAMA539")
    assert result.exit_code == 1 and result.stderr.startswith("cables: no warehouse at ")
    assert result.stderr.count("\n") == 1


def test_json_holds_what_the_page_of_09panama539_says(sample_warehouse):
    result = show(sample_warehouse, "09panama539", "--format", "json")
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    # The page's meta table.
    assert view["reference_id"] == "09PANAMA539"
    assert view["created_at"] == "2009-07-08 19:07:00"
    assert view["released_at"] == "2011-04-07 00:12:00"
    assert view["classification"] == "CONFIDENTIAL"
    assert view["origin"] == "Embassy Panama"
    assert view["url"] == "/cable/2009/07/09PANAMA539.html"
    assert view["sha256"] == hashlib.sha256(PANAMA539.read_bytes()).hexdigest()
    # Its header: O 081920Z JUL 09, FM AMEMBASSY PANAMA, one TO and seven INFO addressees.
    assert view["dtg"] == "2009-07-08 19:20:00" and view["sender"] == "AMEMBASSY PANAMA"
    assert view["transmission_id"] == "VZCZCXYZ0000"
    to = [a for a in view["addressees"] if a["kind"] == "to"]
    info = [a for a in view["addressees"] if a["kind"] == "info"]
    assert [(a["routing_indicator"], a["name"], a["precedence"], a["serial"]) for a in to] == [
        ("RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "3561")
    ]
    assert [a["name"] for a in info] == [
        "AMEMBASSY MADRID",
        "DEPT OF COMMERCE WASHDC",
        "DEPT OF TRANSPORTATION WASHDC",
        "DEPT OF TREASURY WASHDC",
        "HQ USSOUTHCOM MIAMI FL",
        "NSC WASHDC",
        "WHITE HOUSE WASHDC",
    ]
    assert info[0]["routing_indicator"] == "RUEHMD" and info[0]["serial"] == "0337"
    names = routing_names()
    for a in view["addressees"]:
        assert a["routing_name"] is None or a["routing_name"] in names[a["routing_indicator"]]
    assert to[0]["routing_name"] in names["RUEHC"] and info[-1]["routing_name"] in names["RHEHAAA"]
    # TAGS: ECON ETRD EWWT PGOV PM PREL; the SUBJECT over two lines.
    assert [t["tag"] for t in view["tags"]] == ["ECON", "ETRD", "EWWT", "PGOV", "PM", "PREL"]
    assert view["subject"] == "SACYR WINS CANAL CONTRACT, SIGNALING BROADER SPANISH INFLUENCE"
    # Classified By: AMBASSADOR BARBARA J. STEPHENSON FOR REASONS 1.4 (b) & (d); DECL: 07/09/2019.
    assert view["classified_by_text"] == "AMBASSADOR BARBARA J. STEPHENSON"
    assert view["classification_reasons"] == "1.4 (b), (d)"
    assert view["declassify_on"] == "2019-07-09"
    assert view["signer"] == "STEPHENSON"
    # Three paragraphs, each marked (C).
    assert [(p["number"], p["marking"]) for p in view["paragraphs"]] == [(1, "C"), (2, "C"), (3, "C")]
    assert view["paragraphs"][0]["text_joined"].startswith("In an elaborate ceremony attended by President Martinelli")
    assert "4089, versus 3790 for Bechtel and 3974 for ACS" in view["paragraphs"][2]["text_joined"]
    # REF: A. PANAMA 508, B. PANAMA 519.
    refs = [(r["letter"], r["raw"], r["referenced_id"]) for r in view["references"]]
    assert refs == [("A", "PANAMA 508", "09PANAMA508"), ("B", "PANAMA 519", "09PANAMA519")]
    released = release_ids()
    assert [r["in_release"] for r in view["references"]] == [i in released for _, _, i in refs] == [False, True]
    assert [r["in_warehouse"] for r in view["references"]] == [False, False]
    assert view["cited_by"] == []
    # Appears in these articles: one link.
    assert view["media_links"] == [
        {
            "url": "http://www.padigital.com.pa/periodico/edicion-actual/wikileaks-panama-interna.php"
            "?story_id=1027140&codeth=1593",
            "host": "www.padigital.com.pa",
        }
    ]
    assert [(v["version_rank"], v["is_current"], v["released_at"]) for v in view["versions"]] == [
        (1, True, "2011-04-07 00:12:00")
    ]
    assert view["changes"] == []


def test_versions_and_what_changed(con):
    view = cable_view(con, "10COLOMBO50")
    # Four pages: one released 2011-01-31 21:09, three 2010-12-16 21:09 with the same text.
    assert [(v["version_rank"], v["released_at"][:16], v["pages"]) for v in view["versions"]] == [
        (1, "2011-01-31 21:09", 1),
        (2, "2010-12-16 21:09", 3),
    ]
    (change,) = view["changes"]
    assert (change["from_version_rank"], change["to_version_rank"]) == (2, 1)
    assert "body" in change["changed"] and "released_at" in change["changed"]
    # The older pages print curly quotes around “benchmarks,”; the newer one straight quotes.
    removed = [line for line in change["body_diff"].splitlines() if line.startswith("-")]
    added = [line for line in change["body_diff"].splitlines() if line.startswith("+")]
    assert any("“benchmarks,”" in line for line in removed)
    assert any('"benchmarks,"' in line for line in added)


def test_text_wraps_and_keeps_every_word(sample_warehouse):
    result = show(sample_warehouse, "09PANAMA539")
    assert result.exit_code == 0, result.output
    text = result.stdout
    lines = text.splitlines()
    assert lines[:2] == ["09PANAMA539", "SACYR WINS CANAL CONTRACT, SIGNALING BROADER SPANISH INFLUENCE"]
    # Lines are at most 80 characters, but for words that cannot be broken (paths, URLs).
    assert all(len(line) <= 80 or " " not in line.strip() or "://" in line for line in lines)
    flat = " ".join(text.split())
    assert "to RUEHC/SECSTATE WASHDC (DEPT OF STATE WASHINGTON DC) IMMEDIATE 3561" in flat
    assert "declassify on 2019-07-09" in flat
    # Paragraph 3 as the page prints it, to its last sentence and the signature.
    assert (
        "3. (C) As expected, Sacyr offered the lowest price, $3.2 billion, versus $4.3 billion for Bechtel and nearly "
        "$6.0 billion for ACS." in flat
    )
    assert "Embassy will consult with Bechtel and further report on the award of this contract and next steps." in flat
    assert "B. PANAMA 519 -> 09PANAMA519: in the release, not in this warehouse" in flat
    assert "A. PANAMA 508 -> 09PANAMA508: not in the release, not in this warehouse" in flat


def test_text_keeps_every_paragraph_of_every_cable_whole(con):
    """No paragraph is cut or has a word broken (``government-based`` wrapped at its hyphen)."""
    cables = [r[0] for r in con.execute("select reference_id from cable").fetchall()]
    assert len(cables) == 32
    for reference_id in cables:
        view = cable_view(con, reference_id)
        flat = " ".join(render_text(view).split())
        for p in view["paragraphs"]:
            assert " ".join(p["text_joined"].split()) in flat, (reference_id, p["position"])
    # 10COLOMBO50: paragraphs 1.(S) to 15.(S); the last one, to its end, as the page prints it.
    view = cable_view(con, "10COLOMBO50")
    assert [(p["number"], p["marking"]) for p in view["paragraphs"]] == [(n, "S") for n in range(1, 16)]
    assert (
        "15. (S) Fonseka Next Steps: -- Begins national dialogue on the war and its human costs. -- Creation of a "
        "serious and credible truth and reconciliation mechanism. -- Considers compensation program. BUTENIS "
        "references A. 09 COLOMBO 1176 -> 09COLOMBO1176: not in the release, not in this warehouse "
        "B. COLOMBO 32 -> 10COLOMBO32: in the release, not in this warehouse "
        "C. COLOMBO 8 -> 10COLOMBO8: in the release, not in this warehouse "
        "cited by no cable of this warehouse "
        "versions 1 (current), released 2011-01-31 21:09, 1 page "
        "2, released 2010-12-16 21:09, viewer build 20110119-0010, 3 pages "
        "version 2 -> 1: released_at, body; body "
    ) in " ".join(render_text(view).split())


def test_markdown(sample_warehouse):
    result = show(sample_warehouse, "09PANAMA539", "--format", "markdown")
    assert result.exit_code == 0, result.output
    md = result.stdout
    assert md.startswith("# 09PANAMA539: SACYR WINS CANAL CONTRACT, SIGNALING BROADER SPANISH INFLUENCE\n")
    assert "| classification | CONFIDENTIAL |" in md
    assert "| to | RUEHC/SECSTATE WASHDC | DEPT OF STATE WASHINGTON DC | IMMEDIATE | 3561 |" in md
    assert "**1. (C)** In an elaborate ceremony" in md
    assert "| B | PANAMA 519 | 09PANAMA519 | in the release, not in this warehouse |" in md
    assert "- <http://www.padigital.com.pa/periodico/edicion-actual/wikileaks-panama-interna.php" in md


class Page(HTMLParser):
    """The elements (tag, attributes) and the text of an HTML page."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def links(self) -> list[str]:
        return [a["href"] for tag, a in self.elements if tag == "a"]


def test_html_is_self_contained_and_links_cables_of_the_warehouse(cited_warehouse):
    result = show(cited_warehouse, "09PANAMA539", "--format", "html")
    assert result.exit_code == 0, result.output
    page = Page(result.stdout)
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not [a for _, a in page.elements if "src" in a]
    csp = [a["content"] for tag, a in page.elements if tag == "meta" and a.get("http-equiv")]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'"]
    # B. PANAMA 519 is in this warehouse: linked; A. PANAMA 508 is not.
    assert "/cable/09PANAMA519" in page.links() and "/cable/09PANAMA508" not in page.links()
    assert (
        "http://www.padigital.com.pa/periodico/edicion-actual/wikileaks-panama-interna.php?story_id=1027140&codeth=1593"
        in (page.links())
    )
    prefixed = Page(show(cited_warehouse, "09PANAMA539", "--format", "html", "--link-prefix", "cables/").stdout)
    assert "cables/09PANAMA519" in prefixed.links()


def test_citing_cables_and_references_in_the_warehouse(cited_warehouse):
    con = connect_read_only(Warehouse.at(cited_warehouse), SQL_DIR)
    try:
        panama519 = cable_view(con, "09PANAMA519")
        colombo32 = cable_view(con, find_cable(con, "10 colombo 32"))
        panama539 = cable_view(con, "09PANAMA539")
    finally:
        con.close()
    # 09PANAMA519's page: Created 2009-06-30 17:05, SUBJECT: PRIMARY PANAMA CANAL CONTRACT TO BE AWARDED.
    assert panama519["created_at"] == "2009-06-30 17:05:00"
    assert panama519["subject"] == "PRIMARY PANAMA CANAL CONTRACT TO BE AWARDED"
    # 09PANAMA539 cites it as REF B; 10COLOMBO50 cites 10COLOMBO32 as REF B (B. COLOMBO 32).
    assert [(c["reference_id"], c["letters"]) for c in panama519["cited_by"]] == [("09PANAMA539", ["B"])]
    assert [(c["reference_id"], c["letters"]) for c in colombo32["cited_by"]] == [("10COLOMBO50", ["B"])]
    assert panama519["cited_by"][0]["subject"] == "SACYR WINS CANAL CONTRACT, SIGNALING BROADER SPANISH INFLUENCE"
    assert [(r["referenced_id"], r["in_warehouse"]) for r in panama539["references"]] == [
        ("09PANAMA508", False),
        ("09PANAMA519", True),
    ]
    text = " ".join(render_text(panama519).split())
    assert "09PANAMA539 (2009-07-08 19:07, Embassy Panama): SACYR WINS CANAL CONTRACT" in text
    assert '<a href="/cable/09PANAMA539">09PANAMA539</a>' in render_html(panama519)


def test_html_and_markdown_escape_what_a_cable_says(con):
    view = cable_view(con, "09PANAMA539")
    hostile = 'TALKS <script>alert(1)</script> & "QUOTES" <b>BOLD</b>'
    view["subject"] = hostile
    view["paragraphs"][0]["text_joined"] = hostile
    view["media_links"] = [{"url": "javascript:alert(1)", "host": None}]
    page = Page(render_html(view))
    assert not {tag for tag, _ in page.elements} & {"script", "b"}
    assert "javascript:alert(1)" not in page.links()
    text = "".join(page.text)
    assert f"09PANAMA539: {hostile}" in text and hostile in text
    md = render_markdown(view)
    assert "<script>" not in md and "<b>" not in md
    assert "\\<script\\>" in md and "\\&" in md


def test_html_renders_in_chromium(cited_warehouse, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium not on PATH (apt-get install -y chromium): the page is not rendered")
    out = tmp_path / "09PANAMA539.html"
    assert show(cited_warehouse, "09PANAMA539", "--format", "html", "--out", str(out)).exit_code == 0
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", out.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    page = Page(dom)
    text = " ".join("".join(page.text).split())
    assert "09PANAMA539: SACYR WINS CANAL CONTRACT, SIGNALING BROADER SPANISH INFLUENCE" in text
    assert "1. (C) In an elaborate ceremony attended by President Martinelli" in text
    assert "/cable/09PANAMA519" in page.links()


def test_page_is_written_byte_for_byte_with_its_hash(sample_warehouse, tmp_path):
    result = show(sample_warehouse, "09 PANAMA 539", "--page")
    assert result.exit_code == 0, result.stderr
    original = PANAMA539.read_bytes()
    assert result.stdout_bytes == original
    digest = hashlib.sha256(original).hexdigest()
    assert result.stderr == (
        f"09PANAMA539 version 1 of 1: {len(original):,} bytes, SHA-256 {digest} as recorded when landed\n"
    )
    out = tmp_path / "page.html"
    assert show(sample_warehouse, "09PANAMA539", "--page", "--out", str(out)).exit_code == 0
    assert out.read_bytes() == original
    again = show(sample_warehouse, "09PANAMA539", "--page", "--out", str(out))
    assert (again.exit_code, again.stderr) == (1, f"cables: {out} exists (use --overwrite to replace it)\n")
    assert show(sample_warehouse, "09PANAMA539", "--page", "--out", str(out), "--overwrite").exit_code == 0


def test_page_of_an_older_version(sample_warehouse):
    current = show(sample_warehouse, "10COLOMBO50", "--page")
    older = show(sample_warehouse, "10COLOMBO50", "--page", "--version", "2")
    assert current.exit_code == older.exit_code == 0
    assert current.stdout_bytes == (SAMPLE / next(iter(COLOMBO50))).read_bytes()
    # Version 2 is the text of the three pages released 2010-12-16 21:09: one of them, unchanged.
    older_pages = [(SAMPLE / p).read_bytes() for p, released in COLOMBO50.items() if released == "2010-12-16 21:09"]
    assert older.stdout_bytes in older_pages
    assert "version 2 of 2" in older.stderr and hashlib.sha256(older.stdout_bytes).hexdigest() in older.stderr
    beyond = show(sample_warehouse, "10COLOMBO50", "--page", "--version", "3")
    assert (beyond.exit_code, beyond.stderr) == (
        1,
        "cables: 10COLOMBO50 has 2 versions (1 = current to 2): no version 3\n",
    )
    both = show(sample_warehouse, "10COLOMBO50", "--page", "--format", "html")
    assert (both.exit_code, both.stdout) == (1, "") and both.stderr.startswith("cables: --page writes the page as")
    alone = show(sample_warehouse, "10COLOMBO50", "--version", "2")
    assert alone.exit_code == 1 and alone.stderr.startswith("cables: --version chooses the page written by --page")


def test_a_page_that_no_longer_matches_its_hash_is_not_written(cited_warehouse, tmp_path):
    files = sorted((cited_warehouse / "raw_page").rglob("*.parquet"))
    (landed,) = [
        f for f in files if pl.read_parquet(f, columns=["source_uri"])["source_uri"].str.contains("09PANAMA519").any()
    ]
    saved = tmp_path / "saved.parquet"
    shutil.copy2(landed, saved)
    try:
        frame = pl.read_parquet(landed)
        hit = frame["source_uri"].str.contains("09PANAMA519")
        frame = frame.with_columns(
            pl.when(hit)
            .then(pl.col("content").bin.encode("hex").str.replace("^3c", "20").str.decode("hex"))
            .otherwise(pl.col("content"))
            .alias("content")
        )
        frame.write_parquet(landed)
        out = tmp_path / "page.html"
        result = show(cited_warehouse, "09PANAMA519", "--page", "--out", str(out))
        assert result.exit_code == 1
        assert "does not match the SHA-256 recorded when it was landed" in result.stderr
        assert result.stderr.count("\n") == 1 and not out.exists()
    finally:
        shutil.copy2(saved, landed)
    assert show(cited_warehouse, "09PANAMA519", "--page").exit_code == 0


def test_show_error_for_a_version_of_a_cable_without_pages(con):
    with pytest.raises(ShowError, match="no cable 99NOWHERE1 in the warehouse"):
        cable_view(con, "99NOWHERE1")


def test_every_key_of_the_json_is_documented_in_its_order():
    from cables.show import KEYS

    doc = (PROJECT_ROOT / "docs" / "cli.md").read_text()
    table = doc[doc.index("The JSON object has these keys") :].split("\n\n")[1]
    documented = [key for row in table.splitlines()[2:] for key in re.findall(r"`(\w+)`", row.split(" | ")[0])]
    assert documented == list(KEYS)
