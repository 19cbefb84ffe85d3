"""``cables serve`` following citations, in a real headless Chromium: the bundled sample holds no
cable that cites another of its cables, so this module serves a warehouse of two real pages of
the shared corpus, a cable and one it cites (skipped when ../shared is absent)."""

from __future__ import annotations

from pathlib import Path

import libarchive
import pytest

from tests.cables.serving import chromium, new_page, running_server
from tests.conftest import CORPUS_ARCHIVE

pytestmark = pytest.mark.corpus

# 04BRASILIA1748 cites 04BRASILIA1291 in its REF block; both are in the corpus.
MIRROR = "anarchivist__cablegate-data/"
PAGES = {"04BRASILIA1748.html", "04BRASILIA1291.html"}


@pytest.fixture(scope="module")
def warehouse(prefect_harness, tmp_path_factory) -> Path:
    """A warehouse built by a real flow run from the two pages, read out of the corpus archive."""
    if not CORPUS_ARCHIVE.exists():
        pytest.skip(f"shared corpus not found ({CORPUS_ARCHIVE.name} beside the project); skipping")
    from flows.build import build_warehouse

    pages = tmp_path_factory.mktemp("citing-pages")
    wanted = set(PAGES)
    with libarchive.file_reader(str(CORPUS_ARCHIVE)) as archive:
        for entry in archive:
            name = entry.pathname.rsplit("/", 1)[-1]
            if entry.pathname.startswith(MIRROR) and name in wanted:
                (pages / name).write_bytes(b"".join(entry.get_blocks()))
                wanted.discard(name)
                if not wanted:
                    break
    assert not wanted, f"pages missing from the corpus: {sorted(wanted)}"
    result = build_warehouse(source=str(pages), warehouse=str(tmp_path_factory.mktemp("citing-wh") / "warehouse"))
    return Path(result["warehouse"])


@pytest.fixture(scope="module")
def server(warehouse, tmp_path_factory):
    folder = tmp_path_factory.mktemp("citing-serve")
    with running_server(warehouse, folder / "cache", folder / "stderr.txt") as url:
        yield url


@pytest.fixture(scope="module")
def edges(warehouse) -> list[tuple[str, str, str]]:
    import duckdb

    with duckdb.connect(str(warehouse / "cables.duckdb"), read_only=True) as con:
        return con.execute(
            "select e.citing_id, e.cited_reference_id, c.subject from citation_edge e "
            "join cable c on c.reference_id = e.cited_reference_id order by all"
        ).fetchall()


def test_browser_follows_a_citation_and_back(server, edges):
    assert edges, "the two pages give no citation between cables of the warehouse"
    citing, cited, cited_subject = edges[0]
    with chromium() as browser, new_page(browser) as page:
        page.goto(server + f"cable/{citing}")
        page.locator("a.cited-cable", has_text=cited).first.click()
        page.wait_for_url(f"**/cable/{cited}")
        assert page.locator(".cable-subject").inner_text() == cited_subject
        # The cited cable's page lists the cable citing it, as a link back.
        page.locator("a.citing-cable", has_text=citing).first.click()
        page.wait_for_url(f"**/cable/{citing}")
        assert page.locator("h1.cable-id").inner_text() == citing


def test_the_served_report_links_a_cited_cable_to_its_page(server, edges):
    """The report inside ``cables serve`` links the most cited cables held here to their pages on
    the same site; the link answers with that cable's page."""
    import urllib.request

    site = server.rstrip("/")
    with urllib.request.urlopen(f"{site}/report", timeout=30) as answer:
        report = answer.read().decode()
    cited = {cited for _, cited, _ in edges}
    linked = [ref for ref in cited if f'href="/cable/{ref}"' in report]
    assert linked, f"no link to {sorted(cited)} in the served report"
    with urllib.request.urlopen(f"{site}/cable/{linked[0]}", timeout=30) as answer:
        assert answer.status == 200 and linked[0] in answer.read().decode()
