"""Extract from an HTTP(S) mirror: cable pages fetched politely, conditionally, and every failure kept.

A source URL is one cable page (``/cable/YYYY/MM/ID.html``), a viewer index page (``/date/``,
``/tag/``, ``/origin/``, ... or any HTML page linking to cable pages: crawled, following index
links below its folder, on the mirror's host only), or a ``text/plain`` list of page URLs (one a
line, on the list's own host unless ``CABLES_ALLOWED_HOSTS`` names more; blank lines and ``#``
comments skipped). Pages are fetched by one ``httpx`` client, ``concurrency`` requests in flight at
most, ``rate`` requests per second across all of them, each request held to ``TIMEOUT`` seconds in
all (connect, headers and body), retried with backoff on 429, 5xx, timeouts and broken connections,
and its body capped at ``flows.landing.MAX_PAGE_BYTES`` while it streams, decompressed included. A
crawl stops at ``CABLES_MAX_CRAWL_PAGES`` pages and ``CABLES_MAX_INDEX_PAGES`` index pages, and
says so. Each page's ``ETag`` and ``Last-Modified`` are kept in
``<warehouse>/http_cache/validators.parquet``: the next run asks with ``If-None-Match`` /
``If-Modified-Since``, and a ``304`` lands nothing and reads no body. A page that cannot be fetched
becomes an :class:`~flows.landing.Entry` with an ``error``.
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import logging
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import TypeVar
from urllib.parse import urldefrag, urljoin, urlsplit

import httpcore
import httpx
import polars as pl

from cables.settings import settings
from flows import landing
from flows.landing import Entry, landed_index
from flows.layout import Warehouse, utc_now, write_parquet_atomic
from transforms.cable import reference_year

# Seconds one request may take in all: connect, send, headers and body (so also the most a connect
# or a read may wait). httpx's own timeouts are per operation: a server sending a byte a second,
# or a header line every half second, would hold a request for hours (see _DeadlineBackend).
TIMEOUT = 30.0
# Attempts per URL (the first and the retries) on 429, 5xx, timeouts and connection errors.
MAX_ATTEMPTS = 4
# Backoff before retry n: BACKOFF_SECONDS * 2 ** (n - 1), unless the server sent Retry-After.
BACKOFF_SECONDS = 1.0
# A Retry-After longer than this is cut to it (a mirror asking for an hour does not stall the run).
MAX_RETRY_AFTER = 60.0
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
# The content codings asked for and undone (zlib window bits of each), chunk by chunk: a body is
# never inflated past the page cap (and one chunk), whatever its ratio (a gzip bomb: 272 bytes
# of ``gzip, gzip, gzip`` make 6 GB). No server stacks codings on purpose; a misconfigured proxy
# may double one, more than that is refused unread.
CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
MAX_CODINGS = 2
# While fetching, the landing writes what it holds at least this often (a killed build then loses
# at most these seconds of fetching, not a chunk of 1,000 pages). A file of raw_page holds about
# rate x FLUSH_SECONDS pages.
FLUSH_SECONDS = 5.0
# Validators are saved every this many pages delivered (and at the end): an interrupted run keeps them.
SAVE_EVERY = 200
CACHE_DIR = "http_cache"
VALIDATORS_FILE = "validators.parquet"
VALIDATOR_SCHEMA = {
    "url": pl.String,
    "etag": pl.String,
    "last_modified": pl.String,
    "sha256": pl.String,
    "bytes": pl.Int64,
    "checked_at": pl.Datetime("us"),
}
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
CABLE_PATH = re.compile(r"/cable/\d{4}/\d{2}/[^/]+\.html?$")
HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)


def _user_agent() -> str:
    """``cables-warehouse/<version>``, with the project's URL when the package declares one."""
    try:
        version = metadata.version("cables-warehouse")
        urls = metadata.metadata("cables-warehouse").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        version, urls = "dev", []
    site = next((u.split(",", 1)[1].strip() for u in urls if "," in u), None)
    return f"cables-warehouse/{version} (+{site})" if site else f"cables-warehouse/{version}"


USER_AGENT = _user_agent()


def cable_urls(base_url: str, ids: Iterable[str]) -> list[str]:
    """The page URLs (``<base>/cable/<year>/<month>/<id>.html``) of the cables ``ids`` on a mirror,
    in the order given; the month comes from the release (``cable2month.csv.gz``), the year from the id.

    Ids that are not in the release (no month known) are left out. Write the result one a line to
    a text file served as ``text/plain`` to land exactly these cables.
    """
    from flows.lookups import load_lookups

    wanted = pl.DataFrame({"reference_id": list(dict.fromkeys(ids))}, schema={"reference_id": pl.String})
    found = wanted.join(load_lookups().release_ids, on="reference_id", how="inner", maintain_order="left")
    url = pl.format(
        "{}/cable/{}/{}/{}.html",
        pl.lit(base_url.rstrip("/")),
        reference_year(pl.col("reference_id")),
        pl.col("month").cast(pl.String).str.zfill(2),
        pl.col("reference_id"),
    )
    return found.select(url).to_series().to_list()


def _site(url: str) -> tuple[str, int | None]:
    """Host and port of a URL (the port the scheme implies when none is written)."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:
        port = None
    return (parts.hostname or "", port)


def same_host(a: str, b: str) -> bool:
    """Whether two URLs are on the same host (and port; ``http`` -> ``https`` on default ports allowed)."""
    (host_a, port_a), (host_b, port_b) = _site(a), _site(b)
    if host_a != host_b:
        return False
    return port_a == port_b or {port_a, port_b} == {80, 443}


def _origin(url: str) -> str:
    """``scheme://host:port`` of a URL, as a reason names it."""
    parts = urlsplit(url)
    host, port = _site(url)
    return f"{parts.scheme}://{host}:{port}" if port else f"{parts.scheme}://{host}"


def allowed_sites(text: str) -> frozenset[tuple[str, int | None]]:
    """The sites (host, port) of ``CABLES_ALLOWED_HOSTS``: comma separated ``host``, ``host:port``
    or URLs. A host without a port allows the default ports (80, 443) only, not every service
    the host runs."""
    sites = set()
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        parts = urlsplit(item if "://" in item else f"//{item}")
        try:
            port = parts.port
        except ValueError:
            port = -1
        if not parts.hostname or port == -1:
            raise ValueError(f"CABLES_ALLOWED_HOSTS: not a host, host:port or URL: {item!r}")
        if port is not None:
            sites.add((parts.hostname, port))
        elif parts.scheme in ("http", "https"):
            sites.add((parts.hostname, 80 if parts.scheme == "http" else 443))
        else:
            sites |= {(parts.hostname, 80), (parts.hostname, 443)}
    return frozenset(sites)


def is_cable_url(url: str) -> bool:
    return bool(CABLE_PATH.search(urlsplit(url).path))


def links(body: bytes, base: str) -> list[str]:
    """The ``href`` targets of an HTML page, absolute, without fragments, in page order, once each."""
    found = []
    for match in HREF.finditer(body.decode("utf-8", "replace")):
        target = html.unescape(next(g for g in match.groups() if g is not None)).strip()
        if not target or target.startswith(("mailto:", "javascript:", "#")):
            continue
        url = urldefrag(urljoin(base, target)).url
        if url.startswith(("http://", "https://")):
            found.append(url)
    return list(dict.fromkeys(found))


def _http_date_ns(value: str | None) -> int:
    """An HTTP date as nanoseconds since the epoch (0 when absent or unreadable)."""
    if not value:
        return 0
    try:
        return int(email.utils.parsedate_to_datetime(value).timestamp()) * 1_000_000_000
    except (TypeError, ValueError, OverflowError):
        return 0


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


# The message of a timeout raised because a request ran past its deadline (not one operation's).
OVERDUE = "the request ran past its deadline"
# The deadline of the request this thread is making (time.monotonic()), None between requests;
# httpx's sync client does every read and write of a request on the thread that makes it.
_request = threading.local()
T = TypeVar("T")


@contextmanager
def _deadline(seconds: float) -> Iterator[float]:
    """Hold the socket operations of this thread's request to ``seconds`` from now, in all."""
    _request.deadline = time.monotonic() + seconds
    try:
        yield _request.deadline
    finally:
        _request.deadline = None


def _in_time(kind: type[httpcore.TimeoutException], timeout: float | None, call: Callable[[float | None], T]) -> T:
    """``call(timeout)``, the timeout cut to what is left of the request's deadline; ``kind`` with
    ``OVERDUE`` when the deadline, not the operation's own timeout, ran out."""
    deadline = getattr(_request, "deadline", None)
    left = None if deadline is None else deadline - time.monotonic()
    if left is None or (timeout is not None and timeout <= left):
        return call(timeout)
    if left <= 0:
        raise kind(OVERDUE)
    try:
        return call(left)
    except httpcore.TimeoutException:
        raise kind(OVERDUE) from None


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake waits no longer than the request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self.stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _in_time(httpcore.ReadTimeout, timeout, lambda t: self.stream.read(max_bytes, t))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _in_time(httpcore.WriteTimeout, timeout, lambda t: self.stream.write(buffer, t))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        return _DeadlineStream(
            _in_time(httpcore.ConnectTimeout, timeout, lambda t: self.stream.start_tls(ssl_context, server_hostname, t))
        )

    def get_extra_info(self, info: str):
        return self.stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend, its connections held to the request's deadline (``_DeadlineStream``).

    httpx's timeouts bound each operation: a server dripping a byte (or a header line) just
    inside the read timeout holds a request for ever. Every blocking socket call goes through here,
    so a request ends at its deadline however the server drips, headers included.
    """

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self.backend = backend

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        connect = lambda t: self.backend.connect_tcp(host, port, t, local_address, socket_options)  # noqa: E731
        return _DeadlineStream(_in_time(httpcore.ConnectTimeout, timeout, connect))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        connect = lambda t: self.backend.connect_unix_socket(path, t, socket_options)  # noqa: E731
        return _DeadlineStream(_in_time(httpcore.ConnectTimeout, timeout, connect))

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


def _hold_to_deadlines(client: httpx.Client) -> None:
    """Put ``_DeadlineBackend`` under every connection pool of ``client`` (proxies from the
    environment included). httpx has no public hook for a network backend: this sets httpcore's
    pool attribute, and refuses to build a client it cannot hold to deadlines."""
    for transport in [client._transport, *client._mounts.values()]:
        if transport is None:
            continue
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if not isinstance(backend, httpcore.NetworkBackend):
            raise RuntimeError(f"cannot hold the requests of {type(transport).__name__} to a deadline (httpx changed?)")
        pool._network_backend = _DeadlineBackend(backend)


class _Refused(Exception):
    """A body not read on; its message is the page's fetch failure (not retried)."""


class _CutShort(Exception):
    """A compressed body that ends before its stream does; its message is the reason to retry."""


def _undo(chunks: Iterable[bytes], coding: str) -> Iterator[bytes]:
    """``chunks`` with one content coding undone, at most ``CHUNK_BYTES`` out per step.

    Nothing is inflated before the consumer asks for it (``max_length``; what zlib holds back is
    drained the same way), so a bomb costs what the consumer takes, not its ratio. What follows
    the end of the compressed stream is ignored, as httpx does; a body that ends before it is cut short.
    """
    inflater = zlib.decompressobj(CODINGS[coding])
    fresh = True
    for data in chunks:
        while not inflater.eof:
            try:
                out = inflater.decompress(data, CHUNK_BYTES)
            except zlib.error as exc:
                if coding == "deflate" and fresh:  # a raw deflate stream (no zlib header), as some servers send
                    inflater, fresh = zlib.decompressobj(-zlib.MAX_WBITS), False
                    continue
                raise _Refused(f"undecodable body (Content-Encoding {coding}: {exc})") from None
            fresh = False
            if out:
                yield out
            data = inflater.unconsumed_tail
            if not data and len(out) < CHUNK_BYTES:
                break  # this chunk is used up and zlib holds nothing back
    if not inflater.eof:
        raise _CutShort(f"truncated body: the {coding} stream does not end")


@dataclass(frozen=True)
class Fetched:
    """The outcome of fetching one URL: a body (200), not modified (304), or an error."""

    url: str
    status: int | None = None
    body: bytes = b""
    content_type: str = ""
    final_url: str = ""
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Retry:
    """A failed attempt worth repeating: why, and how long the server asked to wait."""

    reason: str
    wait: float | None = None


class RateLimiter:
    """At most ``rate`` starts per second, shared by every thread (evenly spaced, no bursts)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.lock = threading.Lock()
        self.next_at = 0.0

    def wait(self, stop: threading.Event) -> None:
        with self.lock:
            now = time.monotonic()
            at = max(now, self.next_at)
            self.next_at = at + self.interval
        if at > now:
            stop.wait(at - now)


class Fetcher:
    """One HTTP client: rate-limited, bounded in flight, with retries, redirect checks and a size cap."""

    def __init__(self, rate: float, concurrency: int) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self.limiter = RateLimiter(rate)
        self.slots = threading.BoundedSemaphore(concurrency)
        self.stop = threading.Event()
        self.client = httpx.Client(
            # Only the codings _undo can bound (httpx would add br or zstd when they are installed).
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": ", ".join(c for c in CODINGS if c != "x-gzip")},
            timeout=httpx.Timeout(TIMEOUT),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
        )
        _hold_to_deadlines(self.client)

    def close(self) -> None:
        self.stop.set()
        self.client.close()

    @contextmanager
    def _slot(self) -> Iterator[None]:
        with self.slots:
            self.limiter.wait(self.stop)
            if self.stop.is_set():
                raise httpx.TransportError("interrupted: the landing stopped")
            yield

    def get(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        """GET ``url`` (redirects followed on its host only), retrying what may pass on a later try."""
        outcome: Fetched | _Retry = _Retry("not tried")
        for attempt in range(1, MAX_ATTEMPTS + 1):
            outcome = self._attempt(url, headers or {})
            if isinstance(outcome, Fetched):
                return outcome
            if attempt < MAX_ATTEMPTS:
                delay = outcome.wait if outcome.wait is not None else BACKOFF_SECONDS * 2 ** (attempt - 1)
                if self.stop.wait(delay):
                    break
        return Fetched(url, error=f"{outcome.reason} after {attempt} attempts")

    def _attempt(self, url: str, headers: dict[str, str]) -> Fetched | _Retry:
        chain = [url]
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                # The deadline starts once the rate limiter lets the request go: connect, headers, body.
                with (
                    self._slot(),
                    _deadline(TIMEOUT) as deadline,
                    self.client.stream("GET", current, headers=headers) as response,
                ):
                    status = response.status_code
                    if status in REDIRECT_STATUSES and "location" in response.headers:
                        target = urldefrag(urljoin(current, response.headers["location"])).url
                    elif status == 429 or status >= 500:
                        return _Retry(f"HTTP {status}", _retry_after(response.headers.get("retry-after")))
                    elif status == 304:
                        return Fetched(url, status, final_url=current)
                    elif status != 200:
                        return Fetched(url, status, error=f"HTTP {status}")
                    else:
                        return self._body(url, current, response, deadline)
            except httpx.TimeoutException as exc:
                if str(exc) == OVERDUE:
                    return _Retry(f"timeout ({type(exc).__name__}: the request took over {TIMEOUT:g} s in all)")
                return _Retry(f"timeout ({type(exc).__name__}, limit {TIMEOUT:g} s)")
            except httpx.RemoteProtocolError as exc:
                return _Retry(f"truncated or malformed response ({exc})")
            except httpx.TransportError as exc:
                return _Retry(f"connection error ({type(exc).__name__}: {exc})")
            if not same_host(url, target):
                return Fetched(url, status, error=f"redirect to another host refused: {current} -> {target}")
            if target in chain:
                loop = " -> ".join([*chain[chain.index(target) :], target])
                return Fetched(url, status, error=f"redirect loop: {loop}")
            chain.append(target)
            current = target
        return Fetched(url, error=f"too many redirects (more than {MAX_REDIRECTS}): {' -> '.join(chain)}")

    def _body(self, url: str, current: str, response: httpx.Response, deadline: float) -> Fetched | _Retry:
        """Read a 200's body in chunks, its content codings undone as it streams, refusing it once
        past the size cap (as sent or decompressed) or the request's deadline."""
        cap = landing.MAX_PAGE_BYTES
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return Fetched(url, 200, error=f"too large: {int(declared):,} bytes declared, the limit is {cap:,}")
        encoding = response.headers.get("content-encoding", "")
        codings = [c for c in (t.strip().lower() for t in encoding.split(",")) if c and c != "identity"]
        if any(c not in CODINGS for c in codings):
            return Fetched(url, 200, error=f"Content-Encoding {encoding} not supported (gzip and deflate are)")
        if len(codings) > MAX_CODINGS:
            return Fetched(
                url, 200, error=f"{len(codings)} content codings stacked ({encoding}), at most {MAX_CODINGS} (not read)"
            )

        def raw() -> Iterator[bytes]:
            # The body as sent: httpx's own decoding (iter_bytes) inflates a whole chunk at once.
            sent = 0
            for chunk in response.iter_raw(CHUNK_BYTES):
                sent += len(chunk)
                if sent > cap:
                    raise _Refused(f"too large: more than {cap:,} bytes (stopped reading)")
                yield chunk

        body = raw()
        for coding in reversed(codings):  # the last coding listed was applied last
            body = _undo(body, coding)
        chunks, total = [], 0
        try:
            for chunk in body:
                total += len(chunk)
                if total > cap:
                    return Fetched(
                        url,
                        200,
                        error=f"too large: more than {cap:,} bytes once decompressed ({encoding}; stopped reading)",
                    )
                if time.monotonic() > deadline:  # decompressing is work too
                    return _Retry(f"timeout (the request took over {TIMEOUT:g} s in all)")
                chunks.append(chunk)
        except _Refused as exc:
            return Fetched(url, 200, error=str(exc))
        except _CutShort as exc:
            return _Retry(str(exc))
        if declared.isdigit() and response.num_bytes_downloaded != int(declared):
            return _Retry(f"truncated body: {response.num_bytes_downloaded:,} of {int(declared):,} bytes")
        return Fetched(
            url,
            200,
            body=b"".join(chunks),
            content_type=response.headers.get("content-type", ""),
            final_url=current,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )


class Validators:
    """Each URL's ``ETag``, ``Last-Modified`` and landed hash, kept in the warehouse between runs."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.path = warehouse.root / CACHE_DIR / VALIDATORS_FILE
        self.rows: dict[str, dict] = {}
        if self.path.exists():
            self.rows = {row["url"]: row for row in pl.read_parquet(self.path, glob=False).iter_rows(named=True)}
        self.dirty = 0

    def headers(self, url: str, landed_sha256: str | None) -> dict[str, str]:
        """Conditional headers for ``url``, only when its validators belong to the version landed last."""
        row = self.rows.get(url)
        if row is None or landed_sha256 is None or row["sha256"] != landed_sha256:
            return {}
        headers = {}
        if row["etag"]:
            headers["If-None-Match"] = row["etag"]
        if row["last_modified"]:
            headers["If-Modified-Since"] = row["last_modified"]
        return headers

    def record(self, fetched: Fetched, sha256: str) -> None:
        if not (fetched.etag or fetched.last_modified):
            return
        self.rows[fetched.url] = {
            "url": fetched.url,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "sha256": sha256,
            "bytes": len(fetched.body),
            "checked_at": utc_now(),
        }
        self.dirty += 1
        if self.dirty >= SAVE_EVERY:
            self.save()

    def save(self) -> None:
        """Write the table atomically (temporary file and rename)."""
        if self.dirty:
            write_parquet_atomic(pl.DataFrame(list(self.rows.values()), schema=VALIDATOR_SCHEMA), self.path)
            self.dirty = 0


def _logger() -> logging.Logger | logging.LoggerAdapter:
    """The Prefect run's logger inside a flow or task run (its log shows in the run), else the module's."""
    try:
        from prefect import get_run_logger

        return get_run_logger()
    except Exception:  # MissingContextError: called outside a run
        return logging.getLogger(__name__)


def _failure(url: str, reason: str) -> Entry:
    def read() -> bytes:
        raise OSError(f"{url}: {reason}")

    return Entry(url, 0, 0, read, error=reason)


def _body_entry(fetched: Fetched) -> tuple[Entry, str]:
    body = fetched.body
    sha = hashlib.sha256(body).hexdigest()
    return Entry(fetched.url, len(body), _http_date_ns(fetched.last_modified), lambda: body, sha256=sha), sha


@dataclass
class CrawlLimits:
    """How far one HTTP source may lead: pages fetched (the cable pages of a crawl, the URLs of a
    list), index pages visited, and the hosts a list may name besides its own (``allowed_sites``).
    ``stopped`` says which cap was hit, when one was: the pages found until then still land.
    """

    pages: int
    index_pages: int
    hosts: frozenset[tuple[str, int | None]] = frozenset()
    stopped: str | None = None

    def __post_init__(self) -> None:
        if self.pages < 1 or self.index_pages < 1:
            raise ValueError(f"crawl caps must be at least 1, not {self.pages} pages, {self.index_pages} index pages")

    @classmethod
    def configured(cls) -> CrawlLimits:
        """The caps and hosts of the settings (``CABLES_MAX_CRAWL_PAGES``, ``CABLES_MAX_INDEX_PAGES``,
        ``CABLES_ALLOWED_HOSTS``)."""
        cfg = settings()
        return cls(cfg.max_crawl_pages, cfg.max_index_pages, allowed_sites(cfg.allowed_hosts))


def _page_urls(start: str, fetcher: Fetcher, limits: CrawlLimits) -> Iterator[str | Entry]:
    """The page URLs a start point leads to (cable links of crawled index pages, a list's lines).

    Index pages that cannot be fetched, list lines that are no URL, and listed URLs on a host
    the list may not name come out as failed entries. A start page that leads to no cable page
    is itself the one page. At a cap of ``limits`` the crawl stops and ``limits.stopped`` says so.
    """
    if is_cable_url(start):
        yield start
        return
    first = fetcher.get(start)
    if first.error is not None:
        yield _failure(start, first.error)
        return
    if first.content_type.split(";")[0].strip().lower() == "text/plain":
        lines = listed_lines(first.body)
        if any(url is not None for _, _, url in lines):
            taken = 0
            for number, line, url in lines:
                if url is None:
                    reason = f"line {number} of the list is not an http(s) URL: {line[:200]}"
                    yield _failure(f"{start}#line={number}", reason)
                elif not same_host(start, url) and _site(url) not in limits.hosts:
                    # A list from a mirror must not make the builder fetch any host and port it names
                    # (an internal service, the cloud's metadata address): refused, and said so.
                    reason = (
                        f"not on the list's host ({_origin(start)}): not fetched; "
                        f"CABLES_ALLOWED_HOSTS may allow {_origin(url)}"
                    )
                    yield _failure(url, reason)
                elif taken >= limits.pages:
                    limits.stopped = (
                        f"the list names more than {limits.pages:,} pages (CABLES_MAX_CRAWL_PAGES): "
                        f"the first {limits.pages:,} were fetched, from line {number} on none"
                    )
                    return
                else:
                    taken += 1
                    yield url
            return
        yield _body_entry(first)[0]  # no URL in it: a page saved as text
        return
    in_scope = index_scope(start)
    queue: deque[str] = deque()
    seen_index, seen_cables = {start}, set()
    visited = 1  # index pages fetched, the start page included
    fetched: Fetched | None = first
    while fetched is not None:
        for link in links(fetched.body, fetched.final_url):
            if not same_host(start, link):
                continue
            if is_cable_url(link):
                if link not in seen_cables:
                    if len(seen_cables) >= limits.pages:
                        limits.stopped = (
                            f"the crawl stopped at {limits.pages:,} pages (CABLES_MAX_CRAWL_PAGES), "
                            f"{visited:,} index pages visited: the rest was not fetched"
                        )
                        return
                    seen_cables.add(link)
                    yield link
            elif link not in seen_index and in_scope(link):
                seen_index.add(link)
                queue.append(link)
        fetched = None
        while queue and fetched is None:
            if visited >= limits.index_pages:
                # An endless pagination (index pages linking to ever new ones) ends here.
                limits.stopped = (
                    f"the crawl stopped at {limits.index_pages:,} index pages (CABLES_MAX_INDEX_PAGES), "
                    f"{len(queue):,} more found and not visited, {len(seen_cables):,} pages found"
                )
                return
            url = queue.popleft()
            visited += 1
            result = fetcher.get(url)
            if result.error is not None:
                yield _failure(url, result.error)
            else:
                fetched = result
    if not seen_cables:
        yield _body_entry(first)[0]


def listed_lines(body: bytes) -> list[tuple[int, str, str | None]]:
    """The lines of a URL list: number, text, and the URL (None when the line is none), once each.

    Blank lines and ``#`` comments are skipped; a URL's ``#fragment`` is dropped.
    """
    found, seen = [], set()
    for number, raw in enumerate(body.decode("utf-8", "replace").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        url: str | None = urldefrag(line).url
        if not url.startswith(("http://", "https://")) or not urlsplit(url).hostname or " " in url:
            url = None
        elif url in seen:
            continue
        else:
            seen.add(url)
        found.append((number, line, url))
    return found


def index_scope(start: str) -> Callable[[str], bool]:
    """Which links of a crawled index page are index pages to follow from the start page ``start``.

    A folder (``/date/``, ``/date/index.html``, the mirror's ``/``): every HTML page below it. Any
    other page (``/tag/PGOV_0.html``): its own pages only (``/tag/PGOV_1.html``, ``?page=2``), not
    the viewer's side bar of every other date, tag or origin.
    """
    folder, _, name = (urlsplit(start).path or "/").rpartition("/")
    folder += "/"
    if not name or name.lower() in ("index.html", "index.htm"):

        def below(url: str) -> bool:
            path = urlsplit(url).path or "/"
            last = path.rpartition("/")[2]
            return path.startswith(folder) and (not last or last.lower().endswith((".html", ".htm")) or "." not in last)

        return below
    stem = re.sub(r"_\d+$", "", name.rsplit(".", 1)[0] if "." in name else name)
    own = re.compile(re.escape(folder + stem) + r"(?:_\d+)?(?:\.html?)?")
    return lambda url: own.fullmatch(urlsplit(url).path) is not None


def http_entries(
    url: str,
    warehouse: Warehouse,
    *,
    rate: float = 2.0,
    concurrency: int = 4,
    fresh: bool = False,
    limits: CrawlLimits | None = None,
) -> Iterator[Entry]:
    """The pages of an HTTP(S) source, fetched ``concurrency`` at a time, in discovery order.

    A page answered ``304 Not Modified`` comes with the size and mtime it was landed with (the
    landing counts it unchanged, no body read); a 200 with its body and hash; a page that could not
    be fetched with its ``error``. Validators are saved as pages are delivered, and when the
    consumer stops early. ``limits`` (default: the settings' caps and hosts) bound the crawl; when
    a cap stops it, ``limits.stopped`` says so and a warning is logged.
    """
    start = urldefrag(url).url
    limits = CrawlLimits.configured() if limits is None else limits
    landed = {row[0]: row[1:] for row in landed_index(warehouse, fresh=fresh).iter_rows()}
    validators = Validators(warehouse)
    fetcher = Fetcher(rate, concurrency)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="http-source")

    def fetch_page(page: str) -> tuple[Entry, Fetched | None, str | None]:
        previous = landed.get(page)
        headers = validators.headers(page, previous[0] if previous else None)
        fetched = fetcher.get(page, headers)
        if fetched.error is not None:
            return _failure(page, fetched.error), None, None
        if fetched.status == 304:
            if not headers or previous is None:
                return _failure(page, "HTTP 304 to a request that was not conditional"), None, None

            def read() -> bytes:
                again = fetcher.get(page)
                if again.error is not None:
                    raise OSError(f"{page}: {again.error}")
                return again.body

            return Entry(page, previous[1], previous[2], read), None, None
        entry, sha = _body_entry(fetched)
        return entry, fetched, sha

    pending: deque[Future] = deque()

    def deliver() -> Iterator[Entry]:
        entry, fetched, sha = pending.popleft().result()
        yield entry
        if fetched is not None and sha is not None:
            validators.record(fetched, sha)

    try:
        for item in _page_urls(start, fetcher, limits):
            if isinstance(item, Entry):
                done: Future = Future()
                done.set_result((item, None, None))
                pending.append(done)
            else:
                pending.append(pool.submit(fetch_page, item))
            while len(pending) > 2 * concurrency:
                yield from deliver()
        while pending:
            yield from deliver()
        if limits.stopped:
            _logger().warning("%s: %s", start, limits.stopped)
    finally:
        fetcher.stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        fetcher.close()
        validators.save()
