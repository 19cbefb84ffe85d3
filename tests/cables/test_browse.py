"""``cables serve`` on the sample warehouse: one real server on 127.0.0.1 for the module, read over
HTTP, attacked as a stranger would, and driven in a real headless Chromium."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import socket
from pathlib import Path
from urllib.parse import quote

import duckdb
import httpx
import pytest

from cables.search import search
from flows.layout import Warehouse
from flows.search_index import index_path
from tests.cables.serving import chromium, new_page, running_server

SHOTS = os.environ.get("CABLES_SERVE_SHOTS")


def files_of(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder``: relative path -> (SHA-256, mtime in ns)."""
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("serve-cache")


@pytest.fixture(scope="module")
def server(sample_warehouse, cache, tmp_path_factory):
    """A server on the sample warehouse, for the whole module."""
    with running_server(sample_warehouse, cache, tmp_path_factory.mktemp("serve-log") / "stderr.txt") as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def con(sample_warehouse):
    con = duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True)
    yield con
    con.close()


def test_start_page_says_what_is_here_and_links_the_rest(client, con):
    page = client.get("/")
    assert page.status_code == 200
    cables, origins = con.execute("select count(*), count(distinct origin) from cable").fetchone()
    assert f"{cables} cables from {origins} posts" in page.text
    for link in ('href="/cables/cable?_col=', 'href="/search"', 'href="/report"', 'href="/cables/release_coverage"'):
        assert link in page.text


def test_cable_page_shows_meta_text_references_versions_and_news(client, con):
    reference_id, subject, origin = con.execute(
        "select reference_id, subject, origin from cable where reference_id in "
        "(select reference_id from media_link) and reference_id in (select reference_id from reference) "
        "order by reference_id limit 1"
    ).fetchone()
    page = client.get(f"/cable/{quote(reference_id)}")
    assert page.status_code == 200
    text = page.text
    assert subject in text and origin in text
    for (name,) in con.execute("select name from recipient where reference_id = ?", [reference_id]).fetchall():
        assert name in text
    paragraph = con.execute(
        "select text_joined from paragraph where reference_id = ? order by position limit 1", [reference_id]
    ).fetchone()[0]
    assert paragraph.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")[:60] in text.replace("&#39;", "'")
    for (url,) in con.execute("select url from media_link where reference_id = ?", [reference_id]).fetchall():
        assert f'href="{url}"' in text.replace("&amp;", "&")
    for referenced_id, in_release, held in con.execute(
        "select r.referenced_id, r.in_release, c.reference_id is not null from reference r "
        "left join cable c on c.reference_id = r.referenced_id "
        "where r.reference_id = ? and r.referenced_id is not null",
        [reference_id],
    ).fetchall():
        assert referenced_id in text
        if in_release and not held:
            assert f'{referenced_id} <span class="cable-note">is in the release but not in this warehouse' in text
    versions = con.execute("select count(*) from cable_version where reference_id = ?", [reference_id]).fetchone()[0]
    assert text.count("<tr><td>") == versions
    # Its row page in the cable table links to it.
    row = client.get(f"/cables/cable/{reference_id}")
    assert f'href="/cable/{quote(reference_id, safe="")}"' in row.text


def test_cable_page_lists_versions_and_what_changed(client, con):
    reference_id, changed = con.execute(
        "select reference_id, changed from cable_change where body_diff is not null order by reference_id limit 1"
    ).fetchone()
    text = client.get(f"/cable/{reference_id}").text
    assert f"{', '.join(changed)} changed" in text
    assert "Diff of the body" in text


def test_missing_cable_is_a_404_that_says_whether_the_release_has_it(client, con):
    released = con.execute(
        "select reference_id from release_cable where reference_id not in (select reference_id from cable) limit 1"
    ).fetchone()[0]
    page = client.get(f"/cable/{released}")
    assert page.status_code == 404 and "is in the release but not in this warehouse" in page.text
    page = client.get("/cable/99NOWHERE1")
    assert page.status_code == 404 and "nor among the release's cables" in page.text


def test_search_page_shows_the_hits_of_cables_search_with_matches_marked(client, sample_warehouse):
    wh = Warehouse.at(sample_warehouse)
    hits = search(index_path(wh, wh.current_snapshot()), 'qadhafi OR "security assurances"', limit=20)
    assert hits
    page = client.get("/search", params={"q": 'qadhafi OR "security assurances"'})
    assert page.status_code == 200
    links = [
        line.split('href="/cable/')[1].split('"')[0] for line in page.text.splitlines() if 'class="hit-link"' in line
    ]
    assert links == [quote(h.reference_id, safe="") for h in hits]
    assert "<mark>" in page.text


def test_search_page_reports_a_query_it_cannot_read(client):
    page = client.get("/search", params={"q": 'origin:"Embassy'})
    assert page.status_code == 400 and "cannot read the query" in page.text


def test_json_and_csv_of_a_listing_hold_its_rows(client, con):
    expected = sorted(
        r for (r,) in con.execute("select reference_id from cable where origin = 'Embassy Tripoli'").fetchall()
    )
    listing = client.get("/cables/cable.json", params={"origin": "Embassy Tripoli", "_shape": "array"})
    assert sorted(row["reference_id"] for row in listing.json()) == expected
    page = client.get("/cables/cable", params={"origin": "Embassy Tripoli"})
    csv_link = page.text.split('href="/cables/cable.csv?')[1].split('"')[0].replace("&amp;", "&")
    rows = list(csv.DictReader(io.StringIO(client.get(f"/cables/cable.csv?{csv_link}").text)))
    assert sorted(row["reference_id"] for row in rows) == expected


@pytest.mark.parametrize("path", ["/a/b/c/d/e/f/g", "/cables/no_such_table", "/cables/cable.json/x/y/z"])
def test_a_page_not_found_is_a_404_not_a_server_error(client, path):
    """Paths no route matches are answered 404 with Datasette's error page (its own handler
    failed on them with a 500, printing a traceback)."""
    page = client.get(path)
    assert page.status_code == 404, (path, page.status_code, page.text[:200])


def test_the_report_is_served(client):
    page = client.get("/report")
    assert page.status_code == 200 and "<svg" in page.text


ATTACKS = {
    "attach": "attach database '{target}' as other",
    "vacuum into": "vacuum into '{target}'",
    "writable schema": "pragma writable_schema = 1",
    "load_extension": "select load_extension('{target}')",
    "cte then write": "with x as (select 1) insert into cable (reference_id) select 'X' from x",
    "pragma function": "select * from pragma_writable_schema",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_sql_that_writes_or_reaches_outside_is_refused_and_writes_nothing(client, cache, tmp_path, attack):
    target = tmp_path / "stolen.db"
    before = files_of(cache)
    sql = ATTACKS[attack].format(target=target)
    response = client.get("/cables.json", params={"sql": sql})
    assert response.status_code >= 400, response.text
    assert response.json()["ok"] is False
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert files_of(cache) == before


def test_writes_through_the_json_api_are_refused(client, cache):
    before = files_of(cache)
    assert [(db["name"], db["is_mutable"]) for db in client.get("/-/databases.json").json()] == [("cables", False)]
    for path in ("/cables/cable/-/insert", "/cables/-/create", "/cables/cable/-/drop", "/cables/cable"):
        response = client.post(path, json={"row": {"reference_id": "X"}})
        assert response.status_code == 405 and response.text == "cables serve is read-only\n", path
    assert client.get("/cables/cable.json", params={"reference_id": "X", "_shape": "array"}).json() == []
    assert files_of(cache) == before


def test_serve_refuses_a_missing_warehouse_and_a_busy_port_in_one_line(tmp_path, sample_warehouse, cache):
    from click.testing import CliRunner

    from cables.cli import main

    env = {"CABLES_SERVE_CACHE": str(cache)}
    result = CliRunner().invoke(main, ["serve", "-w", str(tmp_path / "none")], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("cables: no warehouse at") and result.output.count("\n") == 1
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "-w", str(sample_warehouse), "--port", str(port)], env=env)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"cables: cannot listen on 127.0.0.1:{port}: Address already in use"


# ---- in a real browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    with new_page(browser) as page:
        yield page


def shot(page, name: str) -> None:
    """A screenshot of the page, when CABLES_SERVE_SHOTS names a folder to keep them in."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_browser_facet_to_a_cable(page, server, con):
    page.goto(server)
    page.get_by_role("link", name="Cables", exact=True).first.click()
    origin, count = con.execute(
        "select origin, count(*) from cable group by origin order by count(*) desc, origin limit 1"
    ).fetchone()
    page.locator(".facet-info[data-column=origin] a", has_text=origin).first.click()
    page.wait_for_url(f"**origin={quote(origin).replace('%20', '+')}**")
    assert page.locator("table.rows-and-columns tbody tr").count() == count
    shot(page, "listing")
    first = page.locator("table.rows-and-columns tbody tr a.cable-link").first
    reference_id = first.inner_text()
    first.click()
    page.wait_for_url(f"**/cable/{reference_id}")
    subject = con.execute("select subject from cable where reference_id = ?", [reference_id]).fetchone()[0]
    assert page.locator(".cable-subject").inner_text() == (subject or "(no subject)")
    assert con.execute("select origin from cable where reference_id = ?", [reference_id]).fetchone()[0] == origin


def test_browser_search_to_a_cable_page(page, server, con):
    page.goto(server + "search")
    page.fill("#search-q", "security assurances")
    page.press("#search-q", "Enter")
    page.wait_for_selector(".search-hit")
    marks = page.locator(".search-hit mark").all_inner_texts()
    assert marks and all(m.lower().startswith(("secur", "assur")) for m in marks)
    hit = page.locator("a.hit-link").first
    subject = hit.inner_text()
    hit.click()
    page.wait_for_url("**/cable/**")
    assert page.locator(".cable-subject").inner_text() == subject
    reference_id = page.locator("h1.cable-id").inner_text()
    shot(page, "cable")
    held = con.execute("select count(*) from cable where reference_id = ?", [reference_id]).fetchone()[0]
    assert held == 1


def test_browser_follow_a_reference_to_the_release_and_a_tag_to_its_listing(page, server, con):
    reference_id, referenced_id = con.execute(
        "select reference_id, referenced_id from reference where in_release and referenced_id not in "
        "(select reference_id from cable) order by reference_id, position limit 1"
    ).fetchone()
    page.goto(server + f"cable/{reference_id}")
    item = page.locator(".cable-references li", has_text=referenced_id).first
    assert "is in the release but not in this warehouse" in item.inner_text()
    tag = con.execute("select tags[1] from cable where reference_id = ?", [reference_id]).fetchone()[0]
    page.locator(".cable-tags a", has_text=tag).first.click()
    page.wait_for_url("**tags__arraycontains=**")
    tagged = con.execute("select count(*) from cable where list_contains(tags, ?)", [tag]).fetchone()[0]
    assert page.locator("table.rows-and-columns tbody tr").count() == tagged


def test_browser_downloads_the_csv_of_a_listing(page, server, con, tmp_path):
    year = con.execute("select year(created_at) from cable group by 1 order by count(*) desc, 1 limit 1").fetchone()[0]
    page.goto(server + f"cables/cable?year={year}")
    with page.expect_download() as download:
        page.evaluate(
            "() => { const a = [...document.querySelectorAll('a')].find(a => a.textContent === 'CSV');"
            " a.setAttribute('download', ''); a.click(); }"
        )
    saved = tmp_path / "listing.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(saved.open(encoding="utf-8")))
    expected = {
        r for (r,) in con.execute("select reference_id from cable where year(created_at) = ?", [year]).fetchall()
    }
    assert {row["reference_id"] for row in rows} == expected and len(rows) == len(expected)
