"""Landing from an HTTP(S) mirror: a real server on 127.0.0.1 serving the sample, with faults injected."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import Counter, defaultdict
from contextlib import closing
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import polars as pl
import pytest

from cables.settings import SAMPLE_DIR
from flows import http_source, landing
from flows.http_source import cable_urls, index_scope, links, same_host
from flows.landing import fetch_failures, land_source
from flows.layout import FETCH_FAILURE_TABLE, LANDING_TABLE, Warehouse
from transforms.reject import fetch_reject, reject

LAST_MODIFIED = "Wed, 01 Dec 2010 12:00:00 GMT"
PAGE_SIZE = 5  # cables per index page
SLOW_SECONDS = 2.0
HUGE_BYTES = 50 * 1024 * 1024


def mirror_pages(sample_dir: Path) -> dict[str, Path]:
    """``/cable/YYYY/MM/ID.html`` -> one sample file per cable (current builds first)."""
    pages: dict[str, Path] = {}
    for line in (sample_dir.parent / "sample_manifest.tsv").read_text().splitlines()[1:]:
        path, reference_id = line.split("\t")[:2]
        found = re.search(r"(\d{4})/(\d{2})/([^/]+\.html)$", path)
        if reference_id and found and "_history" not in path:
            pages.setdefault(f"/cable/{found[1]}/{found[2]}/{found[3]}", sample_dir / path)
    return pages


class Mirror:
    """A Cable Viewer mirror on a free loopback port, counting what it is asked."""

    def __init__(self, pages: dict[str, Path]) -> None:
        self.pages = {path: file.read_bytes() for path, file in pages.items()}
        self.requests: Counter[str] = Counter()
        self.bodies: Counter[str] = Counter()  # 200s with a page body
        self.times: dict[str, list[float]] = defaultdict(list)
        self.headers: list[dict[str, str]] = []
        self.ports: set[int] = set()
        self.in_flight = self.max_in_flight = 0
        self.delay = 0.0
        self.broken = True
        self.huge_sent = 0
        self.listing = b""
        self.saved = (SAMPLE_DIR / "heuer__cablemap/cablemap.core/tests/data-clean/in/section.txt").read_bytes()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def cables(self) -> list[str]:
        return sorted(self.pages)

    def index_html(self, paths: list[str], others: list[str]) -> bytes:
        """An index page: cable links (relative, as the viewer writes them) and a side bar."""
        items = "".join(f"<li><a href='..{p}'>{p.rsplit('/', 1)[1]}</a></li>" for p in paths)
        side = "".join(f"<a href='{o}'>{o}</a>" for o in others)
        extra = "<a href='#top'>top</a><a href='http://example.invalid/cable/2009/01/09X1.html'>x</a>"
        return f"<html><body><ul>{items}</ul><div>{side}{extra}</div></body></html>".encode()

    def series(self) -> dict[str, list[list[str]]]:
        """Two paginated index series: ``all`` (all but 4 cables) and ``rest`` (the last 4)."""
        cables, rest = self.cables()[:-4], self.cables()[-4:]
        return {"all": [cables[i : i + PAGE_SIZE] for i in range(0, len(cables), PAGE_SIZE)], "rest": [rest]}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def send(self, status: int, body: bytes = b"", ctype: str = "text/html", **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                with mirror.lock:
                    mirror.requests[path] += 1
                    mirror.times[path].append(time.monotonic())
                    mirror.headers.append(dict(self.headers.items()))
                    mirror.ports.add(self.client_address[1])
                    mirror.in_flight += 1
                    mirror.max_in_flight = max(mirror.max_in_flight, mirror.in_flight)
                    count = mirror.requests[path]
                try:
                    self.route(path, count)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                finally:
                    with mirror.lock:
                        mirror.in_flight -= 1

            def page(self, path: str) -> None:
                body = mirror.pages[path]
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send(304, ETag=etag)
                    return
                time.sleep(mirror.delay)
                with mirror.lock:
                    mirror.bodies[path] += 1
                self.send(200, body, ETag=etag, Last_Modified=LAST_MODIFIED)

            def route(self, path: str, count: int) -> None:
                series = mirror.series()
                first_cable = mirror.cables()[0]
                if path in mirror.pages:
                    self.page(path)
                elif m := re.fullmatch(r"/date/(all|rest)_(\d+)\.html", path):
                    pages = series[m[1]]
                    n = int(m[2])
                    if n >= len(pages):
                        self.send(404, b"no such page")
                        return
                    others = ["/date/all_0.html", "/date/rest_0.html", "/reldate/2010-11-28_0.html", "/index.html"]
                    others += [f"{m[1]}_{k}.html" for k in range(len(pages))]  # pagination, relative
                    self.send(200, mirror.index_html(pages[n], others))
                elif path == "/date/index.html":
                    self.send(200, mirror.index_html([], ["all_0.html", "rest_0.html", "/reldate/2010-11-28_0.html"]))
                elif path == "/saved.txt":
                    self.send(200, mirror.saved, "text/plain")
                elif path == "/about.html":
                    self.send(200, b"<html><a href='/date/index.html'>dates</a> <a href='faq.html'>faq</a></html>")
                elif path == "/list.txt":
                    self.send(200, mirror.listing, "text/plain; charset=utf-8")
                elif path == "/fault/flaky.html":
                    if count <= 2:
                        self.send(500, b"try again")
                    else:
                        self.page(first_cable)
                elif path == "/fault/always500.html":
                    if mirror.broken:
                        self.send(500, b"broken")
                    else:
                        self.page(first_cable)
                elif path == "/fault/429.html":
                    if count == 1:
                        self.send(429, b"slow down", Retry_After="1")
                    else:
                        self.page(first_cable)
                elif path == "/fault/slow.html":
                    time.sleep(SLOW_SECONDS)
                    self.send(200, b"<html>late</html>")
                elif path == "/fault/truncated.html":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.write(b"x" * 100)
                    self.close_connection = True
                elif path in ("/fault/loop-a.html", "/fault/loop-b.html"):
                    target = "/fault/loop-b.html" if path.endswith("a.html") else "/fault/loop-a.html"
                    self.send(302, Location=target)
                elif m := re.fullmatch(r"/fault/chain-(\d+)\.html", path):
                    self.send(302, Location=f"chain-{int(m[1]) + 1}.html")
                elif path == "/fault/offhost.html":
                    self.send(302, Location=f"http://localhost:{self.server.server_address[1]}{first_cable}")
                elif path == "/fault/moved.html":
                    self.send(301, Location=first_cable)
                elif path in ("/fault/huge.html", "/fault/huge-declared.html"):
                    self.huge(declared=path.endswith("declared.html"))
                else:
                    self.send(404, b"not found")

            def huge(self, declared: bool) -> None:
                """50 MB streamed in 64 KB chunks (with or without a Content-Length), counting what went out."""
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                if declared:
                    self.send_header("Content-Length", str(HUGE_BYTES))
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                chunk = b"y" * 65536
                for _ in range(HUGE_BYTES // len(chunk)):
                    self.wfile.write(chunk)
                    with mirror.lock:
                        mirror.huge_sent += len(chunk)

        return Handler


@pytest.fixture
def mirror(sample_dir, monkeypatch):
    monkeypatch.setattr(http_source, "TIMEOUT", 5.0)
    monkeypatch.setattr(http_source, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(landing, "MAX_PAGE_BYTES", 1024 * 1024)
    server = Mirror(mirror_pages(sample_dir))
    yield server
    server.close()


def land(url: str, wh: Warehouse, run_id: str, **kw) -> landing.LandingReport:
    kw.setdefault("rate", 1000.0)
    kw.setdefault("concurrency", 4)
    return land_source(url, wh, run_id, **kw)


def landed_uris(wh: Warehouse) -> list[str]:
    files = wh.landed_files()
    return sorted(pl.read_parquet(files)["source_uri"]) if files else []


def failures(wh: Warehouse) -> dict[str, str]:
    return dict(fetch_failures(wh).select("source_uri", "reason").collect().iter_rows())


def test_the_sample_makes_a_mirror_of_every_cable(sample_dir):
    assert len(mirror_pages(sample_dir)) == 32


def test_cable_urls_come_from_the_release_months():
    urls = cable_urls("http://mirror.example/", ["09RIYADH447", "7575LIBREVILLE1895", "66BUENOSAIRES2481", "NOPE1"])
    assert urls == [
        "http://mirror.example/cable/2009/03/09RIYADH447.html",
        "http://mirror.example/cable/1975/11/7575LIBREVILLE1895.html",
        "http://mirror.example/cable/1966/12/66BUENOSAIRES2481.html",
    ]


def test_links_hosts_and_crawl_scope():
    page = b"<a href='../cable/2009/03/A.html#x'>a</a><a href=\"/tag/X_1.html\">n</a><a href=mailto:x@y>m</a>"
    assert links(page, "http://m/tag/X_0.html") == ["http://m/cable/2009/03/A.html", "http://m/tag/X_1.html"]
    assert same_host("http://m:8000/a", "http://m:8000/b") and not same_host("http://m:8000/a", "http://m:8001/a")
    assert same_host("http://m/a", "https://m/a") and not same_host("http://m/a", "http://n/a")
    page_scope = index_scope("http://m/tag/PGOV_0.html")
    assert page_scope("http://m/tag/PGOV_3.html") and page_scope("http://m/tag/PGOV_0.html?page=2")
    assert not page_scope("http://m/tag/PREL_0.html") and not page_scope("http://m/origin/PGOV_1.html")
    folder_scope = index_scope("http://m/date/index.html")
    assert folder_scope("http://m/date/2009-03_0.html") and folder_scope("http://m/date/2009/")
    assert not folder_scope("http://m/reldate/2010-11-28_0.html") and not folder_scope("http://m/date/x.css")


def test_one_cable_page_lands_and_comes_back_not_modified(mirror, tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    url = mirror.url(mirror.cables()[0])
    first = land(url, wh, "r1")
    assert (first.files_seen, first.landed_new) == (1, 1)
    assert landed_uris(wh) == [url]
    again = land(url, wh, "r2")
    assert (again.unchanged, again.landed_new, again.same_content) == (1, 0, 0)
    assert mirror.bodies[mirror.cables()[0]] == 1  # the second run read no body
    asked = mirror.headers[-1]
    assert asked["If-None-Match"].startswith('"') and asked["If-Modified-Since"] == LAST_MODIFIED
    assert re.fullmatch(r"cables-warehouse/[\w.+-]+( \(\+https?://\S+\))?", asked["User-Agent"])
    assert (wh.root / "http_cache" / "validators.parquet").exists()


def test_an_index_page_is_crawled_with_its_pagination_only(mirror, tmp_path):
    mirror.delay = 0.05
    wh = Warehouse.at(tmp_path / "wh")
    report = land(mirror.url("/date/all_0.html"), wh, "r1", concurrency=3)
    expected = [c for page in mirror.series()["all"] for c in page]
    assert report.landed_new == len(expected) == 28 and report.fetch_failed == 0
    assert landed_uris(wh) == sorted(mirror.url(c) for c in expected)
    assert [p for p in mirror.requests if p.startswith("/date/")] == [f"/date/all_{k}.html" for k in range(6)]
    assert not mirror.requests["/reldate/2010-11-28_0.html"] and not mirror.requests["/index.html"]
    assert 1 < mirror.max_in_flight <= 3  # bounded concurrency
    assert len(mirror.ports) < sum(mirror.requests.values())  # connections reused


def test_a_folder_index_follows_its_sub_indexes(mirror, tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    report = land(mirror.url("/date/index.html"), wh, "r1")
    assert report.landed_new == 32 and report.fetch_failed == 0
    assert landed_uris(wh) == sorted(mirror.url(c) for c in mirror.cables())
    assert mirror.requests["/date/rest_0.html"] == 1 and not mirror.requests["/reldate/2010-11-28_0.html"]


def test_a_url_list_lands_its_pages_on_any_host(mirror, sample_dir, tmp_path):
    other = Mirror(mirror_pages(sample_dir))
    try:
        mine, theirs = mirror.cables()[:3], other.cables()[-2:]
        lines = ["# pages to land", "", *(mirror.url(c) for c in mine), *(other.url(c) for c in theirs)]
        lines += [mirror.url(mine[0]), "  ", "not a url", f"{mirror.url(mine[1])}#fragment"]
        mirror.listing = "\n".join(lines).encode()
        wh = Warehouse.at(tmp_path / "wh")
        report = land(mirror.url("/list.txt"), wh, "r1")
    finally:
        other.close()
    assert report.landed_new == 5 and report.fetch_failed == 1
    assert landed_uris(wh) == sorted([*(mirror.url(c) for c in mine), *(other.url(c) for c in theirs)])
    assert failures(wh) == {mirror.url("/list.txt#line=10"): "line 10 of the list is not an http(s) URL: not a url"}


def test_a_start_page_that_leads_to_no_cable_is_the_page(mirror, tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    for run, path in enumerate(("/saved.txt", "/about.html")):
        report = land(mirror.url(path), wh, f"r{run}")
        assert (report.files_seen, report.landed_new, report.fetch_failed) == (1, 1, 0)
    assert landed_uris(wh) == [mirror.url("/about.html"), mirror.url("/saved.txt")]
    assert not mirror.requests["/date/index.html"] and not mirror.requests["/faq.html"]


def test_rate_limit_holds_across_workers(mirror, tmp_path):
    mirror.listing = "\n".join(mirror.url(c) for c in mirror.cables()[:10]).encode()
    started = time.monotonic()
    report = land(mirror.url("/list.txt"), Warehouse.at(tmp_path / "wh"), "r1", rate=20.0, concurrency=4)
    assert report.landed_new == 10
    assert time.monotonic() - started >= 0.45
    times = sorted(t for ts in mirror.times.values() for t in ts)
    assert len(times) == 11 and times[-1] - times[0] >= 0.45


def test_faults_become_fetch_failures_with_reasons(mirror, tmp_path, monkeypatch):
    monkeypatch.setattr(http_source, "TIMEOUT", 0.5)
    names = ["flaky", "always500", "429", "slow", "truncated", "loop-a", "offhost", "moved", "huge"]
    names += ["huge-declared", "missing", "chain-0"]
    mirror.listing = "\n".join(mirror.url(f"/fault/{n}.html") for n in names).encode()
    wh = Warehouse.at(tmp_path / "wh")
    report = land(mirror.url("/list.txt"), wh, "r1")
    assert (report.files_seen, report.landed_new, report.fetch_failed) == (12, 3, 9)
    assert landed_uris(wh) == sorted(mirror.url(f"/fault/{n}.html") for n in ("flaky", "429", "moved"))
    assert mirror.requests["/fault/flaky.html"] == 3
    first, second = mirror.times["/fault/429.html"]
    assert second - first >= 0.9  # Retry-After: 1 honoured
    reasons = {uri.rsplit("/", 1)[1].removesuffix(".html"): reason for uri, reason in failures(wh).items()}
    assert reasons["always500"] == "HTTP 500 after 4 attempts" and mirror.requests["/fault/always500.html"] == 4
    assert reasons["slow"].startswith("timeout (ReadTimeout") and reasons["slow"].endswith("after 4 attempts")
    assert reasons["truncated"].startswith("truncated") and "after 4 attempts" in reasons["truncated"]
    loop = mirror.url("/fault/loop-a.html"), mirror.url("/fault/loop-b.html")
    assert reasons["loop-a"] == f"redirect loop: {loop[0]} -> {loop[1]} -> {loop[0]}"
    assert reasons["offhost"].startswith("redirect to another host refused") and "localhost" in reasons["offhost"]
    assert reasons["huge"] == "too large: more than 1,048,576 bytes (stopped reading)"
    assert reasons["huge-declared"] == "too large: 52,428,800 bytes declared, the limit is 1,048,576"
    assert mirror.huge_sent < HUGE_BYTES / 4  # the body was not read to its end
    assert reasons["missing"] == "HTTP 404" and mirror.requests["/fault/missing.html"] == 1
    assert (
        reasons["chain-0"].startswith("too many redirects (more than 5)") and not mirror.requests["/fault/chain-6.html"]
    )

    landed = pl.scan_parquet(wh.landed_files()).select("source_uri", "sha256", "bytes", "fetched_at")
    rejected = fetch_reject(fetch_failures(wh), landed).collect()
    assert rejected.height == 9
    assert rejected.filter(pl.col("source_uri").str.ends_with("always500.html"))["reason"].to_list() == [
        "fetch failed: HTTP 500 after 4 attempts"
    ]
    stored = pl.read_parquet(wh.table_dir(FETCH_FAILURE_TABLE) / "*.parquet")
    assert set(stored["run_id"]) == {"r1"} and set(stored["source"]) == {mirror.url("/list.txt")}

    # Fixed on the mirror: the next run lands it, keeps every page landed before, and it is no reject.
    # The slow page is not listed again: its failure of the first run stays a reject.
    mirror.broken = False
    mirror.listing = "\n".join(mirror.url(f"/fault/{n}.html") for n in names if n not in ("slow", "429")).encode()
    time.sleep(1.0)  # fetched_at has a resolution of one second
    again = land(mirror.url("/list.txt"), wh, "r2")
    assert (again.files_seen, again.landed_new, again.fetch_failed) == (10, 1, 7)
    assert again.unchanged + again.same_content == 2
    assert len(landed_uris(wh)) == 4
    landed = pl.scan_parquet(wh.landed_files()).select("source_uri", "sha256", "bytes", "fetched_at")
    rejected = fetch_reject(fetch_failures(wh), landed).collect()
    assert rejected.height == 8 and not rejected["source_uri"].str.ends_with("always500.html").any()
    assert rejected["source_uri"].str.ends_with("slow.html").any()


def test_an_interrupted_run_resumes_without_landing_twice(mirror, tmp_path, monkeypatch):
    class Interrupted(Exception):
        pass

    real = http_source.http_entries

    def interrupted(*args, **kw):
        with closing(real(*args, **kw)) as entries:
            for i, entry in enumerate(entries):
                if i == 12:
                    raise Interrupted
                yield entry

    wh = Warehouse.at(tmp_path / "wh")
    start = mirror.url("/date/index.html")
    monkeypatch.setattr(http_source, "http_entries", interrupted)
    with pytest.raises(Interrupted):
        land(start, wh, "r1", chunk_pages=5)
    monkeypatch.setattr(http_source, "http_entries", real)
    kept = landed_uris(wh)
    assert len(kept) == 10  # two chunks of five were written before the interruption
    bodies_before = sum(mirror.bodies.values())
    report = land(start, wh, "r2", chunk_pages=5)
    assert (report.files_seen, report.unchanged, report.landed_new, report.same_content) == (32, 10, 22, 0)
    assert sum(mirror.bodies.values()) - bodies_before == 22  # landed pages came back 304
    assert landed_uris(wh) == sorted(mirror.url(c) for c in mirror.cables())  # each once


def test_a_changed_page_is_landed_again_and_lost_validators_only_cost_a_download(mirror, sample_dir, tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    start = mirror.url("/date/index.html")
    land(start, wh, "r1")
    page = "/cable/2009/03/09RIYADH447.html"
    mirror.pages[page] = (
        sample_dir / "anarchivist__cablegate-data/_history/20101130-1248_f2eaa7d/cable/2009/03/09RIYADH447.html"
    ).read_bytes()
    changed = land(start, wh, "r2")
    assert (changed.landed_changed, changed.unchanged, changed.landed_new) == (1, 31, 0)
    # Validators kept but the landing gone (a full rebuild sets it aside): plain requests, all land.
    for file in wh.landed_files():
        file.unlink()
    rebuilt = land(start, wh, "r3")
    assert (rebuilt.landed_new, rebuilt.fetch_failed) == (32, 0)


def test_fetch_reject_keeps_only_pages_never_landed():
    t = [datetime(2024, 1, 1, 0, 0, s) for s in range(5)]
    failures = pl.LazyFrame(
        {
            "source_uri": ["a", "b", "c", "d", "d", "e"],
            "source": ["s"] * 6,
            "reason": ["HTTP 500 after 4 attempts", "HTTP 404", "timeout", "HTTP 503", "HTTP 404", "HTTP 500"],
            "fetched_at": [t[1], t[3], t[1], t[1], t[2], t[2]],
            "run_id": ["r"] * 6,
        }
    )
    landed = pl.LazyFrame(
        {
            "source_uri": ["b", "c", "e"],
            "sha256": ["x", "y", "z"],
            "bytes": [1, 2, 3],
            "fetched_at": [t[2], t[2], t[2]],
        }
    )
    rejected = fetch_reject(failures, landed).collect()
    # b failed after it landed: its landed content stays in the tables, its failure in fetch_failure.
    assert rejected.rows() == [
        ("a", None, None, t[1], "fetch failed: HTTP 500 after 4 attempts"),
        ("d", None, None, t[2], "fetch failed: HTTP 404"),
    ]
    pages = pl.LazyFrame({"sha256": ["x"], "reject_reason": ["not a cable page"]})
    assert rejected.schema == reject(landed, pages).collect().schema


def test_the_build_flow_lands_a_mirror(prefect_harness, mirror, tmp_path):
    from flows.build import build_warehouse

    result = build_warehouse(source=mirror.url("/date/index.html"), warehouse=str(tmp_path / "wh"), rate=50.0)
    assert result["landing"]["landed_new"] == 32 and result["landing"]["fetch_failed"] == 0
    ids = {path.rsplit("/", 1)[1].removesuffix(".html") for path in mirror.cables()}
    con = duckdb.connect(str(tmp_path / "wh" / "cables.duckdb"), read_only=True)
    try:
        cables = {row[0] for row in con.execute("select reference_id from cable").fetchall()}
        sources = {row[0] for row in con.execute("select distinct source from raw_page").fetchall()}
    finally:
        con.close()
    assert cables == ids
    assert sources == {mirror.url("/date/index.html")}
    assert Warehouse.at(tmp_path / "wh").table_dir(LANDING_TABLE).is_dir()


def test_pages_never_fetched_are_rejects_until_they_land(prefect_harness, mirror, tmp_path, monkeypatch):
    from flows.build import build_warehouse

    monkeypatch.setattr(http_source, "BACKOFF_SECONDS", 0.01)
    listed = [mirror.url(c) for c in mirror.cables()[:3]] + [mirror.url("/fault/always500.html")]
    mirror.listing = "\n".join([*listed, mirror.url("/fault/missing.html")]).encode()
    wh = tmp_path / "wh"

    def build() -> tuple[dict, pl.DataFrame]:
        result = build_warehouse(source=mirror.url("/list.txt"), warehouse=str(wh), rate=50.0)
        return result, pl.read_parquet(Warehouse.at(wh).table_files("reject")).sort("source_uri")

    first, rejects = build()
    rows = first["rows"]
    assert (first["landing"]["landed_new"], first["landing"]["fetch_failed"], rows["never_fetched"]) == (3, 2, 2)
    assert rejects.select("sha256", "bytes").null_count().row(0) == (2, 2)
    assert rejects["reason"].to_list() == ["fetch failed: HTTP 500 after 4 attempts", "fetch failed: HTTP 404"]
    assert rows["raw_page"] + rows["never_fetched"] == rows["page_version"] + rows["reject"]

    # The mirror is fixed: the page lands, its reject goes; the 404 stays a reject.
    mirror.broken = False
    second, rejects = build()
    assert second["landing"]["landed_new"] == 1 and second["rows"]["never_fetched"] == 1
    assert rejects["reason"].to_list() == ["fetch failed: HTTP 404"]
    run = (Warehouse.at(wh).runs_dir / f"{second['run_id']}.json").read_text()
    assert '"mode": "incremental"' in run
