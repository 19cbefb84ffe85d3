"""Landing from an HTTP(S) mirror: a real server on 127.0.0.1 serving the sample, with faults injected."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter, defaultdict
from contextlib import closing
from datetime import datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import polars as pl
import pytest

from cables.settings import PROJECT_ROOT, SAMPLE_DIR
from flows import http_source, landing
from flows.http_source import cable_urls, index_scope, links, same_host
from flows.landing import fetch_failures, land_source
from flows.layout import FETCH_FAILURE_TABLE, LANDING_TABLE, Warehouse
from transforms.reject import fetch_reject, reject

LAST_MODIFIED = "Wed, 01 Dec 2010 12:00:00 GMT"
PAGE_SIZE = 5  # cables per index page
SLOW_SECONDS = 2.0
HUGE_BYTES = 50 * 1024 * 1024
DRIP_SECONDS = 0.2  # between two bytes of a dripping body (well inside the read timeout)
DRIP_BYTES = 40
ENDLESS_PAGES = 500  # the "endless" pagination ends here, so the code before the caps fails, not hangs


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
        self.drip_sent = 0
        self.listing = b""
        # /fault/<name>.html -> (Content-Encoding, body as sent)
        self.encoded: dict[str, tuple[str, bytes]] = {}
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
                elif (m := re.fullmatch(r"/fault/([\w-]+)\.html", path)) and m[1] in mirror.encoded:
                    encoding, body = mirror.encoded[m[1]]
                    self.send(200, body, Content_Encoding=encoding)
                elif path == "/fault/drip-body.html":
                    self.drip()
                elif (m := re.fullmatch(r"/endless/page_(\d+)\.html", path)) and int(m[1]) < ENDLESS_PAGES:
                    # Every index page links one cable page and the next index page, without end.
                    n = int(m[1])
                    cable = mirror.cables()[n % len(mirror.cables())]
                    self.send(200, mirror.index_html([cable], [f"page_{n + 1}.html"]))
                elif path == "/secret":
                    self.send(200, b"an internal service's answer", "text/plain")
                else:
                    self.send(404, b"not found")

            def drip(self) -> None:
                """A body of DRIP_BYTES declared, sent a byte every DRIP_SECONDS (each read is quick)."""
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(DRIP_BYTES))
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                for _ in range(DRIP_BYTES):
                    self.wfile.write(b"z")
                    self.wfile.flush()
                    with mirror.lock:
                        mirror.drip_sent += 1
                    time.sleep(DRIP_SECONDS)

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


class HeaderDrip:
    """A raw socket server on a free loopback port answering every request with a header line
    every ``interval`` seconds (``lines`` of them, then an empty body): each read is quick."""

    def __init__(self, interval: float = 0.25, lines: int = 40) -> None:
        self.interval, self.lines = interval, lines
        self.sent = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.closed = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/cable/2009/01/09DRIP1.html"

    def serve(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096) or b"\r\n\r\n"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
                for n in range(self.lines):
                    if self.closed.is_set():
                        return
                    conn.sendall(f"X-Drip-{n}: {n}\r\n".encode())
                    self.sent += 1
                    time.sleep(self.interval)
                conn.sendall(b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:  # the client gave up: what this server is for
                pass

    def close(self) -> None:
        self.closed.set()
        self.listener.close()


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


def test_a_url_list_lands_its_pages_on_its_own_host_and_the_hosts_allowed(mirror, sample_dir, tmp_path, monkeypatch):
    # The attack: a list from a mirror names another port of the machine (an internal service).
    other = Mirror(mirror_pages(sample_dir))
    try:
        mine, theirs = mirror.cables()[:3], other.cables()[-2:]
        lines = ["# pages to land", "", *(mirror.url(c) for c in mine), *(other.url(c) for c in theirs)]
        lines += [mirror.url(mine[0]), "  ", "not a url", f"{mirror.url(mine[1])}#fragment", other.url("/secret")]
        mirror.listing = "\n".join(lines).encode()
        wh = Warehouse.at(tmp_path / "wh")
        report = land(mirror.url("/list.txt"), wh, "r1")
        assert sum(other.requests.values()) == 0  # nothing was asked of the other port
        assert report.landed_new == 3 and report.fetch_failed == 4
        assert landed_uris(wh) == sorted(mirror.url(c) for c in mine)
        refused = {uri: reason for uri, reason in failures(wh).items() if uri.startswith(other.base)}
        assert sorted(refused) == sorted([*(other.url(c) for c in theirs), other.url("/secret")])
        assert set(refused.values()) == {
            f"not on the list's host ({mirror.base}): not fetched; CABLES_ALLOWED_HOSTS may allow {other.base}"
        }
        assert failures(wh)[mirror.url("/list.txt#line=10")] == "line 10 of the list is not an http(s) URL: not a url"

        # Allowed by the user: the other host's pages land too.
        monkeypatch.setenv("CABLES_ALLOWED_HOSTS", f"mirror.example, 127.0.0.1:{other.server.server_address[1]}")
        wh = Warehouse.at(tmp_path / "wh-allowed")
        report = land(mirror.url("/list.txt"), wh, "r1")
    finally:
        other.close()
    assert report.landed_new == 6 and report.fetch_failed == 1
    assert landed_uris(wh) == sorted(
        [*(mirror.url(c) for c in mine), *(other.url(c) for c in theirs), other.url("/secret")]
    )


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


@cache
def gzip_bomb(layers: int, inflated: int) -> bytes:
    """``inflated`` zero bytes, gzip-compressed ``layers`` times (a few KB for 512 MB)."""
    zeros, packer = bytes(2**20), zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    body = b"".join(packer.compress(zeros) for _ in range(inflated // len(zeros))) + packer.flush()
    for _ in range(layers - 1):
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        body = packer.compress(body) + packer.flush()
    return body


# Fetches each URL in a fresh process, with the real page cap, and says how much its peak memory
# grew. VmHWM, not ru_maxrss: ru_maxrss keeps the peak of the process before its exec (pytest's).
FETCH_IN_A_CHILD = """
import json, resource, sys
from flows import http_source

def status(field):
    line = next(line for line in open("/proc/self/status") if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024

# A guard for the machine, not the measure: the code before the fix went to 6 GB on such a body.
limit = status("VmSize") + 2**30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
fetcher = http_source.Fetcher(1000.0, 1)
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as reset:  # the peak so far (the imports) is not the fetch's
    reset.write("5")
errors = {url: fetcher.get(url).error for url in sys.argv[1:]}
print(json.dumps({"errors": errors, "grown": status("VmHWM") - before}))
"""


def test_a_gzip_bomb_is_refused_in_bounded_memory(mirror):
    inflated = 512 * 2**20  # 8 times the page cap
    mirror.encoded["bomb-2"] = "gzip, gzip", gzip_bomb(2, inflated)
    mirror.encoded["bomb-3"] = "gzip, gzip, gzip", gzip_bomb(3, inflated)
    assert len(mirror.encoded["bomb-3"][1]) < 1024
    urls = [mirror.url("/fault/bomb-2.html"), mirror.url("/fault/bomb-3.html")]
    child = subprocess.run(
        [sys.executable, "-c", FETCH_IN_A_CHILD, *urls],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert child.returncode == 0, child.stderr[-2000:]
    got = json.loads(child.stdout)
    cap = 64 * 2**20
    assert got["errors"] == {
        urls[0]: f"too large: more than {cap:,} bytes once decompressed (gzip, gzip; stopped reading)",
        urls[1]: "3 content codings stacked (gzip, gzip, gzip), at most 2 (not read)",
    }
    # What was kept (the cap) and a chunk or so at each layer: never the bomb's 512 MB.
    assert got["grown"] < cap + 48 * 2**20


def test_compressed_pages_are_decoded(mirror, tmp_path):
    page = mirror.pages[mirror.cables()[0]]

    def packed(wbits: int, data: bytes) -> bytes:
        packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
        return packer.compress(data) + packer.flush()

    gz = 16 + zlib.MAX_WBITS
    mirror.encoded |= {
        "gzip": ("gzip", packed(gz, page)),
        "deflate": ("deflate", packed(zlib.MAX_WBITS, page)),
        "raw-deflate": ("Deflate", packed(-zlib.MAX_WBITS, page)),
        "twice": ("gzip, identity, gzip", packed(gz, packed(gz, page))),
        "brotli": ("br", b"\x0b\x02\x80hello\x03"),
        "cut": ("gzip", packed(gz, page)[:-100]),
        "junk": ("gzip", b"this is no gzip stream"),
    }
    mirror.listing = "\n".join(mirror.url(f"/fault/{name}.html") for name in mirror.encoded).encode()
    wh = Warehouse.at(tmp_path / "wh")
    report = land(mirror.url("/list.txt"), wh, "r1")
    assert (report.landed_new, report.fetch_failed) == (4, 3)
    assert set(pl.read_parquet(wh.landed_files())["content"]) == {page}
    reasons = {uri.rsplit("/", 1)[1].removesuffix(".html"): reason for uri, reason in failures(wh).items()}
    assert reasons["brotli"] == "Content-Encoding br not supported (gzip and deflate are)"
    assert reasons["cut"] == "truncated body: the gzip stream does not end after 4 attempts"
    assert reasons["junk"] == (
        "undecodable body (Content-Encoding gzip: Error -3 while decompressing data: incorrect header check)"
    )
    assert mirror.headers[-1]["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize("drips", ["body", "headers"])
def test_a_dripping_server_is_cut_at_the_request_deadline(drips, mirror, monkeypatch):
    # httpx's timeouts are per read: a byte every 0.2 s, or a header line every 0.25 s, held a
    # request for as long as the server liked (minutes, past the 30 s limit).
    monkeypatch.setattr(http_source, "TIMEOUT", 1.0)
    monkeypatch.setattr(http_source, "MAX_ATTEMPTS", 2)
    headers = HeaderDrip()
    url = mirror.url("/fault/drip-body.html") if drips == "body" else headers.url
    fetcher = http_source.Fetcher(1000.0, 2)
    try:
        started = time.monotonic()
        got = fetcher.get(url)
        took = time.monotonic() - started
    finally:
        fetcher.close()
        headers.close()
    assert took < 2 * 1.0 + 1.0  # two attempts of 1 s, the backoff, some slack
    assert got.error == "timeout (ReadTimeout: the request took over 1 s in all) after 2 attempts"
    sent, whole = (mirror.drip_sent, DRIP_BYTES) if drips == "body" else (headers.sent, headers.lines)
    assert sent < whole / 2


def test_an_endless_pagination_stops_at_the_caps(mirror, tmp_path, monkeypatch):
    # Index pages linking to ever new index pages: 3,913 pages in 85 s and on, before the caps.
    start = mirror.url("/endless/page_0.html")
    monkeypatch.setenv("CABLES_MAX_INDEX_PAGES", "12")
    report = land(start, Warehouse.at(tmp_path / "wh-index"), "r1")
    visited = sum(n for path, n in mirror.requests.items() if path.startswith("/endless/"))
    assert visited == 12 and report.landed_new == 12
    assert report.crawl_stopped == (
        "the crawl stopped at 12 index pages (CABLES_MAX_INDEX_PAGES), 1 more found and not visited, 12 pages found"
    )

    mirror.requests.clear()
    monkeypatch.setenv("CABLES_MAX_INDEX_PAGES", "1000")
    monkeypatch.setenv("CABLES_MAX_CRAWL_PAGES", "20")
    report = land(start, Warehouse.at(tmp_path / "wh-pages"), "r1")
    visited = sum(n for path, n in mirror.requests.items() if path.startswith("/endless/"))
    assert report.landed_new == 20 and visited == 21  # the 21st index page named the 21st page
    assert report.crawl_stopped == (
        "the crawl stopped at 20 pages (CABLES_MAX_CRAWL_PAGES), 21 index pages visited: the rest was not fetched"
    )

    mirror.listing = "\n".join(mirror.url(c) for c in mirror.cables()[:25]).encode()
    report = land(mirror.url("/list.txt"), Warehouse.at(tmp_path / "wh-list"), "r1")
    assert report.landed_new == 20 and report.crawl_stopped == (
        "the list names more than 20 pages (CABLES_MAX_CRAWL_PAGES): the first 20 were fetched, from line 21 on none"
    )
    uncapped = land(mirror.url(mirror.cables()[0]), Warehouse.at(tmp_path / "wh-one"), "r1")
    assert uncapped.crawl_stopped is None


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
    monkeypatch.setattr(http_source, "FLUSH_SECONDS", 3600.0)  # chunks only (the clock is the next test's)
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


def test_a_killed_crawl_loses_only_its_last_seconds_of_fetching(mirror, tmp_path, monkeypatch):
    # Pages were written by 1,000: a crawl killed after 999 pages (8 minutes at 2 pages/s) lost them all.
    class Killed(Exception):
        pass

    real = http_source.http_entries

    def killed(*args, **kw):
        with closing(real(*args, **kw)) as entries:
            for i, entry in enumerate(entries):
                if i == 12:
                    raise Killed
                yield entry

    mirror.delay = 0.1  # a page every 0.1 s at least
    monkeypatch.setattr(http_source, "FLUSH_SECONDS", 0.3, raising=False)
    monkeypatch.setattr(http_source, "http_entries", killed)
    wh = Warehouse.at(tmp_path / "wh")
    with pytest.raises(Killed):
        land(mirror.url("/date/index.html"), wh, "r1", concurrency=1)  # chunk_pages: 1,000
    # 12 pages were delivered over 1.2 s or more: all but the last 0.3 s or so (and one page) are written.
    assert 6 <= len(landed_uris(wh)) < 12


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


def test_a_capped_crawl_publishes_what_it_landed_and_says_so(prefect_harness, mirror, tmp_path, monkeypatch):
    from flows.build import build_warehouse

    monkeypatch.setenv("CABLES_MAX_INDEX_PAGES", "8")
    wh = tmp_path / "wh"
    result = build_warehouse(source=mirror.url("/endless/page_0.html"), warehouse=str(wh), rate=50.0)
    stopped = "the crawl stopped at 8 index pages (CABLES_MAX_INDEX_PAGES), 1 more found and not visited, 8 pages found"
    assert result["landing"]["crawl_stopped"] == stopped
    run = json.loads((Warehouse.at(wh).runs_dir / f"{result['run_id']}.json").read_text())
    assert run["landing"]["crawl_stopped"] == stopped
    con = duckdb.connect(str(wh / "cables.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from cable").fetchone()[0] == 8
    finally:
        con.close()


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


def test_sigterm_stops_a_build_promptly_and_keeps_the_previous_warehouse(prefect_harness, mirror, tmp_path):
    # The first SIGTERM waited for the task in flight (here a landing of a minute) before it acted.
    import signal

    from prefect.settings import PREFECT_API_URL

    from flows.build import build_warehouse

    wh = tmp_path / "wh"
    build_warehouse(source=mirror.url(mirror.cables()[0]), warehouse=str(wh))
    published = (wh / "warehouse.json").read_text()
    mirror.listing = "\n".join(mirror.url(c) for c in mirror.cables()).encode()
    command = [sys.executable, "-m", "cables.cli", "build", "--source", mirror.url("/list.txt")]
    command += ["--warehouse", str(wh), "--rate", "0.5"]  # 32 pages: a landing of a minute
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(PROJECT_ROOT)}
    child = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        waited = time.monotonic() + 120
        while sum(mirror.bodies.values()) < 3 and time.monotonic() < waited and child.poll() is None:
            time.sleep(0.1)
        assert sum(mirror.bodies.values()) >= 3, "the build did not start landing"
        child.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        child.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode != 0 and took < 10, (child.returncode, took)
    assert sum(mirror.bodies.values()) < 20  # the landing did not go on to its end
    assert (wh / "warehouse.json").read_text() == published  # the previous warehouse stays published
