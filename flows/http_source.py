"""Extract from an HTTP(S) mirror: cable pages fetched politely, conditionally, and every failure kept.

A source URL is one cable page (``/cable/YYYY/MM/ID.html``), a viewer index page (``/date/``,
``/tag/``, ``/origin/``, ... or any HTML page linking to cable pages: crawled, following index
links below its folder, on the mirror's host only), or a ``text/plain`` list of page URLs (one a
line, any host; blank lines and ``#`` comments skipped). Pages are fetched by one ``httpx`` client,
``concurrency`` requests in flight at most, ``rate`` requests per second across all of them, each
request timed out, retried with backoff on 429, 5xx, timeouts and broken connections, and its
body capped at ``flows.landing.MAX_PAGE_BYTES`` while it streams. Each page's ``ETag`` and
``Last-Modified`` are kept in ``<warehouse>/http_cache/validators.parquet``: the next run asks
with ``If-None-Match`` / ``If-Modified-Since``, and a ``304`` lands nothing and reads no body.
A page that cannot be fetched becomes an :class:`~flows.landing.Entry` with an ``error``.
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import polars as pl

from flows import landing
from flows.landing import Entry, landed_index
from flows.layout import Warehouse, utc_now, write_parquet_atomic
from transforms.cable import reference_year

# Seconds to connect, and between two reads of a response; also the most one attempt may take.
TIMEOUT = 30.0
# Attempts per URL (the first and the retries) on 429, 5xx, timeouts and connection errors.
MAX_ATTEMPTS = 4
# Backoff before retry n: BACKOFF_SECONDS * 2 ** (n - 1), unless the server sent Retry-After.
BACKOFF_SECONDS = 1.0
# A Retry-After longer than this is cut to it (a mirror asking for an hour does not stall the run).
MAX_RETRY_AFTER = 60.0
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
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
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(TIMEOUT),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
        )

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
                with self._slot(), self.client.stream("GET", current, headers=headers) as response:
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
                        return self._body(url, current, response)
            except httpx.TimeoutException as exc:
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

    def _body(self, url: str, current: str, response: httpx.Response) -> Fetched | _Retry:
        """Read a 200's body in chunks, refusing it once past the size cap or the time limit."""
        cap = landing.MAX_PAGE_BYTES
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return Fetched(url, 200, error=f"too large: {int(declared):,} bytes declared, the limit is {cap:,}")
        deadline = time.monotonic() + TIMEOUT
        chunks, total = [], 0
        for chunk in response.iter_bytes(CHUNK_BYTES):
            total += len(chunk)
            if total > cap:
                return Fetched(url, 200, error=f"too large: more than {cap:,} bytes (stopped reading)")
            if time.monotonic() > deadline:
                return _Retry(f"timeout (body not read within {TIMEOUT:g} s)")
            chunks.append(chunk)
        encoded = "content-encoding" in response.headers
        if declared.isdigit() and not encoded and response.num_bytes_downloaded != int(declared):
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
            self.rows = {row["url"]: row for row in pl.read_parquet(self.path).iter_rows(named=True)}
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


def _failure(url: str, reason: str) -> Entry:
    def read() -> bytes:
        raise OSError(f"{url}: {reason}")

    return Entry(url, 0, 0, read, error=reason)


def _body_entry(fetched: Fetched) -> tuple[Entry, str]:
    body = fetched.body
    sha = hashlib.sha256(body).hexdigest()
    return Entry(fetched.url, len(body), _http_date_ns(fetched.last_modified), lambda: body, sha256=sha), sha


def _page_urls(start: str, fetcher: Fetcher) -> Iterator[str | Entry]:
    """The page URLs a start point leads to (cable links of crawled index pages, a list's lines).

    Index pages that cannot be fetched, and list lines that are no URL, come out as failed entries.
    A start page that leads to no cable page is itself the one page.
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
            for number, line, url in lines:
                if url is None:
                    reason = f"line {number} of the list is not an http(s) URL: {line[:200]}"
                    yield _failure(f"{start}#line={number}", reason)
                else:
                    yield url
            return
        yield _body_entry(first)[0]  # no URL in it: a page saved as text
        return
    in_scope = index_scope(start)
    queue: deque[str] = deque()
    seen_index, seen_cables = {start}, set()
    fetched: Fetched | None = first
    while fetched is not None:
        for link in links(fetched.body, fetched.final_url):
            if not same_host(start, link):
                continue
            if is_cable_url(link):
                if link not in seen_cables:
                    seen_cables.add(link)
                    yield link
            elif link not in seen_index and in_scope(link):
                seen_index.add(link)
                queue.append(link)
        fetched = None
        while queue and fetched is None:
            url = queue.popleft()
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
    url: str, warehouse: Warehouse, *, rate: float = 2.0, concurrency: int = 4, fresh: bool = False
) -> Iterator[Entry]:
    """The pages of an HTTP(S) source, fetched ``concurrency`` at a time, in discovery order.

    A page answered ``304 Not Modified`` comes with the size and mtime it was landed with (the
    landing counts it unchanged, no body read); a 200 with its body and hash; a page that could not
    be fetched with its ``error``. Validators are saved as pages are delivered, and when the
    consumer stops early.
    """
    start = urldefrag(url).url
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
        for item in _page_urls(start, fetcher):
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
    finally:
        fetcher.stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        fetcher.close()
        validators.save()
