"""Generate a deterministic SYNTHETIC corpus of Cable Viewer pages at the release's full scale.

Run from the project root::

    python bench/make_corpus.py --out DIR [--pages N] [--templates DIR] [--seed S] [--tar FILE]
                                [--versions FRACTION] [--processes N]

The real release is 251,287 cables (about 70 KB per viewer page, about 17 GB of HTML); the
project ships 57 real pages (``data/sample``) and the shared corpus holds 9,518. To measure a build
at 10k, 50k or 251k pages this script writes one page per real reference id, made from the real
pages ("templates") by re-keying them.

How a page is made
    * The ids and months are the release's own: ``data/reference/cable2month.csv.gz`` (reference
      id, month of creation); the year is the id's first two digits (``66``-``99`` are the 1900s,
      the rest the 2000s), as ``transforms.cable.two_digit_year`` reads it. The ids are taken in a
      seeded order: first one id of every year of the release (32 years, 1966-2010), then all
      the others in a seeded shuffle. Any ``--pages`` of 32 or more therefore spans every year,
      and beyond that the years and stations come in the release's proportions; the first N ids
      of a seed are a prefix of the first M > N, so a 10k corpus is a subset of the 50k one.
    * Page ``i`` is re-keyed from a template, in turn among those whose id is of the cable's year
      or earlier (so no page cites a later cable, as in the release): the templates are the files under
      ``--templates`` that the project's own parse (``transforms.page.parsed_page``) reads as
      cables (``reject_reason`` null), in path order; non-cable files (the sample's two ``.txt``
      fixtures) are skipped and counted. Every viewer build in the templates (chillicoder,
      anarchivist and avilaroman current and ``_history`` builds, gabrielduque's relative links,
      MarkChips' 2011 build, pages saved as text) is thus in the output, in the templates' mix.
    * Re-keying changes only these bytes of the template, found once per template (not per
      page) and replaced by slicing: every occurrence of the template's reference id (title,
      ``<h3>``, meta table, ``/cable/YYYY/MM/ID.html`` links with their year and month, the
      URL-encoded share links ``cable%2FYYYY%2FMM%2FID``, hashtags, gabrielduque's
      ``ID.html#parN`` anchors); the Created cell (a date in the new id's year and month: day,
      hour and minute from a hash of the seed and the id) and its ``/date/YYYY-MM`` link; the
      Origin cell (the station of the id: ``10TRIPOLI95`` -> ``Embassy Tripoli``, ``09STATE1234``
      -> ``Secretary of State``, see ``origin_name``); and the first date-time group of the
      header (``O 021408Z FEB 10``), set to the same day and time. Created is printed as the
      template prints it: the cablegate builds print the hour twice (``14:02`` for 14:08, the
      12-hour hour as minutes) and MarkChips' build the real minutes; the DTG keeps the
      template's month case and 2- or 4-digit year. Everything else is the template's bytes.
      Each template is checked once: rebuilt with its own values it must equal its file.
    * A page is written to ``DIR/cable/YYYY/MM/<ID><ext>`` (the viewer's layout; ``<ext>`` is the
      template's: ``.html``, or ``.txt`` for a page saved as text), in one write.

What it preserves: real ids (malformed ones included), months, years and stations in the
release's proportions; real cable texts (header and body are a real cable's, so text lengths,
paragraphs, tags, REF blocks, markings and all the messy cases of the templates are real); every
viewer build of the templates.

What it does not: a body is the template's cable, so its subject, tags, classification, REF
items (the ids it cites still point to the template's cited cables), paragraph texts, the
station and serial written in the body (``TRIPOLI 000095``, page markers
``TRIPOLI 00000095 001.2 OF 002``), the routing lines, sender and addressees of the header
(``FM AMEMBASSY TRIPOLI``, ``DE RUEHTRO #0095/01 0331408`` with its Julian date), datelines
pasted into bodies (``Sunday, 22 March 2009``), the declassification dates and the Released cell
all stay the template's; the Origin cell's link (``/origin/14_0.html``) and the sidebar are the
template's. Pages without a date-time group in their header (the "partial extract" pages) get a
new Created date only. With the 57 sample pages the bodies repeat every 55 pages (15 of them are
versions of 09RIYADH447); pass the shared corpus (``--templates /tmp/corpus``, 9,490 cable pages)
for more distinct texts. By default there is exactly one page per cable: no duplicates across
mirrors and no older builds. With ``--versions FRACTION`` a seeded FRACTION of the cables also
gets a second page, an older viewer build under ``DIR/_history/<stamp>/cable/YYYY/MM/<ID><ext>``
as the real mirrors keep them: the next template of the same template cable (another build of it,
so another version or a copy of the same text), or the same template when the templates hold one
build only (an exact copy); ``<stamp>`` is that template's own ``_history`` stamp, else
``20101130-0000_synthetic``.

``--tar FILE`` writes the same files (the same relative paths, fixed owner and time) as one
uncompressed tar, streamed through ``tarfile`` in one process; ``--out`` and ``--tar`` may be
given together (the folder is written first, then the tar) or alone; one of them is required.
``--out`` must be absent or empty. The same arguments give byte-identical files and tar.

The folder is written by ``--processes`` processes (default 2), each handed chunks of 500 pages;
progress is printed every 10,000 pages and the last line gives pages, bytes and seconds.
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import functools
import gzip
import hashlib
import io
import itertools
import multiprocessing
import os
import random
import re
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

# Only the standard library at module level: the writer processes are started with ``spawn``
# and import this file again; they must not pay for Polars (only the template check uses it).

RELEASE_PAGES = 251_287
RELEASE_FILE = PROJECT_ROOT / "data" / "reference" / "cable2month.csv.gz"
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
MB = 1_000_000
CHUNK_PAGES = 500
PROGRESS_EVERY = 10_000
# The stamp of an older build made from a template that has none of its own.
SYNTHETIC_STAMP = "20101130-0000_synthetic"
# Tar members: fixed owner and time (2010-11-28 00:00 UTC, the release's first day).
TAR_MTIME = 1_290_902_400

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

# The parts of a template that a page replaces (indexes into a page's values).
ID, YM_SLASH, YM_ENCODED, CREATED, CREATED_YM, ORIGIN, DTG_DHM, DTG_MONTH, DTG_YEAR = range(9)
SLOT_NAMES = ("id", "year/month", "year%2Fmonth", "created", "created link", "origin", "dtg", "dtg month", "dtg year")

# The station of an id: the letters before its serial (``10TRIPOLI95`` -> ``TRIPOLI``).
_STATION = re.compile(r"([A-Z]+)\d*$")
_CREATED = re.compile(rb"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d)$")
# A date-time group ``021408Z FEB 10`` (the viewer writes newlines as ``&#x000A;``: no ``^``).
_DTG = re.compile(rb"(?<![0-9])(\d{6})Z([ \t]+)([A-Za-z]{3})([ \t]+)(\d{4}|\d{2})(?![0-9])")
_PRE = re.compile(rb"<pre>(.*?)</pre>", re.S)
# The year and month right before an id in a link: ``2010/02/`` or, URL-encoded, ``2010%2F02%2F``.
_YM_BEFORE = re.compile(rb"(\d{4})(/|%2F)(\d\d)\2\Z")
_HISTORY = re.compile(r"(?:^|/)_history/(\d{8}-\d{4}_[^/]+)/")

# Origin cells that are not ``Embassy <Station>``: as the real pages print them (the shared
# corpus and the viewer's own origin list in tests/data/text-rendering), plus a few frequent
# stations of the release whose names are spelled out by hand. Any other station is
# ``Embassy `` + the station in title case (``ADDISABABA`` would be ``Embassy Addisababa``).
ORIGIN_NAMES = {
    "ABUDHABI": "Embassy Abu Dhabi",
    "ADDISABABA": "Embassy Addis Ababa",
    "AITTAIPEI": "American Institute Taiwan, Taipei",
    "AMSTERDAM": "Consulate Amsterdam",
    "BANDARSERIBEGAWAN": "Embassy Bandar Seri Begawan",
    "BARCELONA": "Consulate Barcelona",
    "BASRAH": "REO Basrah",
    "BUENOSAIRES": "Embassy Buenos Aires",
    "CAPETOWN": "Consulate Cape Town",
    "CASABLANCA": "Consulate Casablanca",
    "CHIANGMAI": "Consulate Chiang Mai",
    "CURACAO": "Consulate Curacao",
    "DARESSALAAM": "Embassy Dar Es Salaam",
    "DUBAI": "Consulate Dubai",
    "GENEVA": "US Mission Geneva",
    "HAMBURG": "Consulate Hamburg",
    "HAVANA": "US Interests Section Havana",
    "HOCHIMINHCITY": "Consulate Ho Chi Minh City",
    "HONGKONG": "Consulate Hong Kong",
    "IRANRPODUBAI": "Iran RPO Dubai",
    "ISTANBUL": "Consulate Istanbul",
    "JEDDAH": "Consulate Jeddah",
    "JERUSALEM": "Consulate Jerusalem",
    "KIEV": "Embassy Kyiv",
    "KUALALUMPUR": "Embassy Kuala Lumpur",
    "LAGOS": "Consulate Lagos",
    "LAPAZ": "Embassy La Paz",
    "MONTERREY": "Consulate Monterrey",
    "MONTREAL": "Consulate Montreal",
    "MUNICH": "Consulate Munich",
    "NDJAMENA": "Embassy Ndjamena",
    "NEWDELHI": "Embassy New Delhi",
    "PESHAWAR": "Consulate Peshawar",
    "PHNOMPENH": "Embassy Phnom Penh",
    "PORTAUPRINCE": "Embassy Port Au Prince",
    "PORTLOUIS": "Embassy Port Louis",
    "PORTMORESBY": "Embassy Port Moresby",
    "PORTOFSPAIN": "Embassy Port Of Spain",
    "RECIFE": "Consulate Recife",
    "RIODEJANEIRO": "Consulate Rio De Janeiro",
    "RPODUBAI": "Iran RPO Dubai",
    "SANJOSE": "Embassy San Jose",
    "SANSALVADOR": "Embassy San Salvador",
    "SANTODOMINGO": "Embassy Santo Domingo",
    "SAOPAULO": "Consulate Sao Paulo",
    "SHANGHAI": "Consulate Shanghai",
    "SHENYANG": "Consulate Shenyang",
    "STATE": "Secretary of State",
    "STRASBOURG": "Consulate Strasbourg",
    "TELAVIV": "Embassy Tel Aviv",
    "THEHAGUE": "Embassy The Hague",
    "UNVIEVIENNA": "UNVIE",
    "USEUBRUSSELS": "USEU Brussels",
    "USNATO": "Mission USNATO",
    "USOSCE": "Mission USOSCE",
    "USUNNEWYORK": "USUN New York",
    "VLADIVOSTOK": "Consulate Vladivostok",
}


# --- ids, dates and stations ------------------------------------------------------------------


def id_year(reference_id: str) -> int:
    """The year of a reference id: its first two digits, ``66``-``99`` in the 1900s, else the 2000s."""
    yy = int(reference_id[:2])
    return 1900 + yy if yy >= 50 else 2000 + yy


def station(reference_id: str) -> str:
    """The station of an id: the letters before its serial (``7575LIBREVILLE1895`` -> ``LIBREVILLE``)."""
    match = _STATION.search(reference_id)
    return match.group(1) if match else reference_id


def origin_name(reference_id: str) -> str:
    """The Origin cell for an id: ``10TRIPOLI95`` -> ``Embassy Tripoli``, ``09STATE1`` -> ``Secretary of State``."""
    name = station(reference_id)
    return ORIGIN_NAMES.get(name) or f"Embassy {name.title()}"


def hour12(hour: int) -> int:
    """The 12-hour clock hour (``0`` -> 12, ``14`` -> 2): the cablegate builds print it as the minutes."""
    return (hour + 11) % 12 + 1


def read_release(path: Path = RELEASE_FILE) -> list[tuple[str, int]]:
    """The release's ids and months of creation, in the file's order."""
    release = []
    with gzip.open(path, "rt", encoding="ascii") as lines:
        for line in lines:
            reference_id, _, month = line.strip().partition(",")
            if not reference_id:
                continue
            if not (reference_id[:2].isdigit() and month.isdigit() and 1 <= int(month) <= 12):
                raise ValueError(f"{path}: unreadable line {line.strip()!r}")
            release.append((reference_id, int(month)))
    return release


def cable_order(release: list[tuple[str, int]], seed: int) -> list[tuple[str, int]]:
    """The release in the corpus' order: one id of every year (oldest year first), then the rest shuffled.

    Both parts follow one seeded shuffle of the whole release, so the first N ids of a seed are
    always a prefix of the first M > N.
    """
    shuffled = list(release)
    random.Random(seed).shuffle(shuffled)
    first_of_year: dict[int, int] = {}
    for i, (reference_id, _month) in enumerate(shuffled):
        first_of_year.setdefault(id_year(reference_id), i)
    front = [first_of_year[year] for year in sorted(first_of_year)]
    taken = set(front)
    return [shuffled[i] for i in front] + [c for i, c in enumerate(shuffled) if i not in taken]


@dataclass(frozen=True)
class Cable:
    """One generated cable: its id and the created date and time its pages print."""

    reference_id: str
    year: int
    month: int
    day: int
    hour: int
    minute: int
    draw: float  # in [0, 1): decides whether the cable gets an older build (--versions)

    @classmethod
    def of(cls, reference_id: str, month: int, seed: int) -> Cable:
        """The cable of an id: day, hour and minute from a hash of the seed and the id."""
        year = id_year(reference_id)
        digest = hashlib.blake2b(f"{seed}:{reference_id}".encode(), digest_size=16).digest()
        days = calendar.monthrange(year, month)[1]
        day = 1 + int.from_bytes(digest[0:4], "big") % days
        draw = int.from_bytes(digest[8:16], "big") / 2**64
        return cls(reference_id, year, month, day, digest[4] % 24, digest[5] % 60, draw)

    def path(self, suffix: str) -> str:
        """The page's path in the viewer's layout, relative to the output folder."""
        return f"cable/{self.year:04d}/{self.month:02d}/{self.reference_id}{suffix}"


# --- templates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A real cable page and where its re-keyed parts are (byte spans, found once)."""

    path: str  # the file, absolute
    name: str  # its path relative to the templates folder (posix)
    suffix: str
    reference_id: str
    spans: tuple[tuple[int, int, int], ...]  # (start, end, slot), sorted, not overlapping
    hour12_minutes: bool  # Created prints the 12-hour hour as the minutes (cablegate builds)
    month_case: str  # the DTG month: "upper", "title" or "lower"
    year_digits: int  # the DTG year: 2 or 4 digits
    stamp: str | None  # the ``_history/<stamp>/`` folder of the template's path

    def slots(self) -> set[str]:
        """Names of the parts this template has."""
        return {SLOT_NAMES[slot] for _s, _e, slot in self.spans}


@functools.cache
def _page_patterns() -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    """The project's own patterns of a page (``transforms.page``) on bytes: meta table, text meta, text body."""
    from transforms.page import META_TABLE, TEXT_BODY_START, TEXT_META

    return re.compile(META_TABLE.encode()), re.compile(TEXT_META.encode()), re.compile(b"\n" + TEXT_BODY_START.encode())


@dataclass(frozen=True)
class _Found:
    """What ``_spans`` finds in a page: its id, the spans to replace and how it prints dates."""

    reference_id: str
    spans: list[tuple[int, int, int]]
    hour12_minutes: bool
    month_case: str
    year_digits: int


def _spans(content: bytes) -> _Found | str:
    """The reference id, the spans to replace and the print styles of a page; a reason when unusable."""
    meta_table, text_meta, text_body_start = _page_patterns()
    meta = meta_table.search(content)
    text_page = meta is None
    if text_page:
        meta = text_meta.search(content)
    if meta is None:
        return "no meta table found in the bytes"
    reference_id = meta.group("reference_id").strip().decode("ascii", errors="replace")
    created = _CREATED.match(meta.group("created").strip())
    if not reference_id or created is None:
        return "no reference id or Created date in the meta table"
    year, month = created.group(1), created.group(2)
    spans: list[tuple[int, int, int]] = []
    needle = reference_id.encode()
    found = content.find(needle)
    while found >= 0:
        end = found + len(needle)
        if not content[end : end + 1].isdigit():
            prefix = _YM_BEFORE.search(content, max(0, found - 12), found)
            if prefix and prefix.group(1) == year and prefix.group(3) == month:
                spans.append((prefix.start(), found, YM_SLASH if prefix.group(2) == b"/" else YM_ENCODED))
            spans.append((found, end, ID))
        found = content.find(needle, end)
    spans.append((*meta.span("created"), CREATED))
    spans.append((*meta.span("origin"), ORIGIN))
    link = content.find(year + b"-" + month, meta.end("reference_id"), meta.start("created"))
    if link >= 0:
        spans.append((link, link + 7, CREATED_YM))
    if text_page:
        rest = meta.start("rest")
        body = text_body_start.search(content, rest)
        header = (rest, body.start()) if body else (rest, rest)
    else:
        pre = _PRE.search(content, meta.end())
        header = pre.span(1) if pre else (0, 0)
    month_case, year_digits = "upper", 2
    dtg = _DTG.search(content, *header) if header[1] > header[0] else None
    if dtg is not None and dtg.group(3).upper().decode() in MONTH_NAMES:
        spans += [(*dtg.span(1), DTG_DHM), (*dtg.span(3), DTG_MONTH), (*dtg.span(5), DTG_YEAR)]
        printed = dtg.group(3)
        month_case = "upper" if printed.isupper() else "title" if printed.istitle() else "lower"
        year_digits = len(dtg.group(5))
    hour, minute = int(created.group(4)), int(created.group(5))
    spans.sort()
    for (_s0, end0, _k0), (start1, _e1, _k1) in itertools.pairwise(spans):
        if start1 < end0:
            return "parts to replace overlap"
    return _Found(reference_id, spans, minute == hour12(hour), month_case, year_digits)


def template_parts(content: bytes, spans: tuple[tuple[int, int, int], ...]) -> list[bytes | int]:
    """The template as literal bytes and slot numbers, in order (what ``render`` joins)."""
    parts: list[bytes | int] = []
    position = 0
    for start, end, slot in spans:
        if start > position:
            parts.append(content[position:start])
        parts.append(slot)
        position = end
    if position < len(content):
        parts.append(content[position:])
    return parts


def render(parts: list[bytes | int], values: tuple[bytes, ...]) -> bytes:
    """A page: the template's literal bytes with the values in its slots."""
    return b"".join([values[p] if isinstance(p, int) else p for p in parts])


def load_templates(folder: Path) -> tuple[list[Template], list[tuple[str, str]]]:
    """The cable pages under ``folder`` usable as templates, in path order, and the skipped files with why."""
    import polars as pl

    from transforms.page import parsed_page
    from transforms.parse import page_text

    files = sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.relative_to(folder).as_posix())
    contents = [p.read_bytes() for p in files]
    hashes = [hashlib.sha256(c).hexdigest() for c in contents]
    raw = pl.DataFrame({"sha256": hashes, "content": contents}, schema={"sha256": pl.String, "content": pl.Binary})
    parsed = parsed_page(page_text(raw)).select("sha256", "reference_id", "reject_reason").collect()
    verdict = {row["sha256"]: row for row in parsed.iter_rows(named=True)}
    templates: list[Template] = []
    skipped: list[tuple[str, str]] = []
    for path, content, sha in zip(files, contents, hashes, strict=True):
        name = path.relative_to(folder).as_posix()
        row = verdict.get(sha)
        if row is None or row["reject_reason"] is not None:
            skipped.append((name, row["reject_reason"] if row else "not parsed"))
            continue
        found = _spans(content)
        if isinstance(found, str):
            skipped.append((name, found))
            continue
        if found.reference_id != row["reference_id"]:
            skipped.append((name, f"the parse reads id {row['reference_id']!r}, the bytes {found.reference_id!r}"))
            continue
        # Rebuilt with its own values, the template must be its file again.
        own = {slot: content[s:e] for s, e, slot in found.spans}
        values = tuple(own.get(slot, b"") for slot in range(len(SLOT_NAMES)))
        if render(template_parts(content, tuple(found.spans)), values) != content:
            skipped.append((name, "not rebuilt byte for byte from its parts"))
            continue
        stamp = _HISTORY.search(name)
        templates.append(
            Template(
                path=str(path),
                name=name,
                suffix=path.suffix or ".html",
                reference_id=found.reference_id,
                spans=tuple(found.spans),
                hour12_minutes=found.hour12_minutes,
                month_case=found.month_case,
                year_digits=found.year_digits,
                stamp=stamp.group(1) if stamp else None,
            )
        )
    return templates, skipped


def older_builds(templates: list[Template]) -> list[int]:
    """For each template, the template of its older build: the next one of the same cable (itself if alone)."""
    groups: dict[str, list[int]] = {}
    for i, template in enumerate(templates):
        groups.setdefault(template.reference_id, []).append(i)
    sibling = list(range(len(templates)))
    for members in groups.values():
        for k, i in enumerate(members):
            sibling[i] = members[(k + 1) % len(members)]
    return sibling


def values_for(cable: Cable, template: Template) -> tuple[bytes, ...]:
    """The bytes of each slot for one cable printed as one template prints it."""
    year, month, day, hour, minute = cable.year, cable.month, cable.day, cable.hour, cable.minute
    shown_minute = hour12(hour) if template.hour12_minutes else minute
    month_name = MONTH_NAMES[month - 1]
    if template.month_case == "title":
        month_name = month_name.title()
    elif template.month_case == "lower":
        month_name = month_name.lower()
    dtg_year = f"{year:04d}" if template.year_digits == 4 else f"{year % 100:02d}"
    return (
        cable.reference_id.encode(),
        f"{year:04d}/{month:02d}/".encode(),
        f"{year:04d}%2F{month:02d}%2F".encode(),
        f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{shown_minute:02d}".encode(),
        f"{year:04d}-{month:02d}".encode(),
        origin_name(cable.reference_id).encode(),
        f"{day:02d}{hour:02d}{minute:02d}".encode(),
        month_name.encode(),
        dtg_year.encode(),
    )


# --- the plan and the pages --------------------------------------------------------------------


@dataclass
class Plan:
    """What to generate: the cables in order, the template of each page and of its older build."""

    cables: list[tuple[str, int]]  # (reference id, month), in the corpus' order
    seed: int
    versions: float
    templates: list[Template]
    sibling: list[int] = field(init=False)  # the template of each template's older build
    by_year: list[int] = field(init=False)  # template indexes, oldest id year first
    years: list[int] = field(init=False)  # the id year of each of ``by_year``

    def __post_init__(self) -> None:
        self.sibling = older_builds(self.templates)
        self.by_year = sorted(range(len(self.templates)), key=lambda t: (id_year(self.templates[t].reference_id), t))
        self.years = [id_year(self.templates[t].reference_id) for t in self.by_year]

    def template_of(self, i: int, reference_id: str) -> int:
        """The template of page ``i``: in turn among the templates of the cable's year or earlier.

        A template's body cites cables of its year or earlier, so the page cites no cable later
        than itself (as in the real release). Without such a template, any in turn.
        """
        eligible = bisect.bisect_right(self.years, id_year(reference_id))
        return self.by_year[i % eligible] if eligible else i % len(self.templates)

    def pages(self, start: int, stop: int, parts: list[list[bytes | int]]) -> Iterator[tuple[str, bytes]]:
        """(relative path, bytes) of the pages of cables ``start`` to ``stop`` (older build right after)."""
        for i in range(start, stop):
            reference_id, month = self.cables[i]
            cable = Cable.of(reference_id, month, self.seed)
            t = self.template_of(i, reference_id)
            template = self.templates[t]
            yield cable.path(template.suffix), render(parts[t], values_for(cable, template))
            if cable.draw < self.versions:
                o = self.sibling[t]
                older = self.templates[o]
                stamp = older.stamp or SYNTHETIC_STAMP
                yield f"_history/{stamp}/{cable.path(older.suffix)}", render(parts[o], values_for(cable, older))

    def folders(self) -> set[str]:
        """Every folder the pages go to, relative to the output folder."""
        found = set()
        for i, (reference_id, month) in enumerate(self.cables):
            cable = Cable.of(reference_id, month, self.seed)
            found.add(cable.path("").rsplit("/", 1)[0])
            if cable.draw < self.versions:
                stamp = self.templates[self.sibling[self.template_of(i, reference_id)]].stamp or SYNTHETIC_STAMP
                found.add(f"_history/{stamp}/" + cable.path("").rsplit("/", 1)[0])
        return found


def read_parts(templates: list[Template]) -> list[list[bytes | int]]:
    """Every template read and cut into its parts."""
    return [template_parts(Path(t.path).read_bytes(), t.spans) for t in templates]


def write_file(path: str, data: bytes) -> None:
    """Write one file in one (or, if the system cuts it, a few) ``write`` calls."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


# Per writer process: the plan, the template parts, the output folder (set once by _init_writer).
_WRITER: dict[str, object] = {}


def _init_writer(plan: Plan, out: str) -> None:
    _WRITER.update(plan=plan, parts=read_parts(plan.templates), out=out)


def _write_chunk(bounds: tuple[int, int]) -> tuple[int, int]:
    """Write the pages of one chunk of cables; (files, bytes) written."""
    plan: Plan = _WRITER["plan"]  # type: ignore[assignment]
    parts: list[list[bytes | int]] = _WRITER["parts"]  # type: ignore[assignment]
    out: str = _WRITER["out"]  # type: ignore[assignment]
    files = size = 0
    for relative, data in plan.pages(*bounds, parts):
        write_file(f"{out}/{relative}", data)
        files += 1
        size += len(data)
    return files, size


class Progress:
    """Prints a line every 10,000 cables and keeps the totals."""

    def __init__(self, what: str, start: float) -> None:
        self.what, self.start = what, start
        self.cables = self.files = self.bytes = 0

    def add(self, cables: int, files: int, size: int) -> None:
        before = self.cables // PROGRESS_EVERY
        self.cables += cables
        self.files += files
        self.bytes += size
        if self.cables // PROGRESS_EVERY > before:
            print(
                f"  {self.what}: {self.cables:>9,} cables  {self.files:>9,} pages  {self.bytes / MB:>10,.1f} MB"
                f"  {time.perf_counter() - self.start:>7.1f} s",
                flush=True,
            )


def write_folder(plan: Plan, out: Path, processes: int) -> Progress:
    """Write every page under ``out`` in ``processes`` processes."""
    start = time.perf_counter()
    for folder in sorted(plan.folders()):
        (out / folder).mkdir(parents=True, exist_ok=True)
    progress = Progress(str(out), start)
    n = len(plan.cables)
    chunks = [(i, min(i + CHUNK_PAGES, n)) for i in range(0, n, CHUNK_PAGES)]
    if processes <= 1:
        _init_writer(plan, str(out))
        for chunk in chunks:
            progress.add(chunk[1] - chunk[0], *_write_chunk(chunk))
        return progress
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_init_writer, initargs=(plan, str(out))) as pool:
        for chunk, (files, size) in zip(chunks, pool.imap(_write_chunk, chunks), strict=True):
            progress.add(chunk[1] - chunk[0], files, size)
    return progress


def write_tar(plan: Plan, target: Path) -> Progress:
    """Write every page as a member of one uncompressed tar, streamed (fixed owner, mode and time)."""
    progress = Progress(str(target), time.perf_counter())
    parts = read_parts(plan.templates)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb", buffering=8 * 1024 * 1024) as raw, tarfile.open(fileobj=raw, mode="w|") as tar:
        n = len(plan.cables)
        for start in range(0, n, CHUNK_PAGES):
            stop = min(start + CHUNK_PAGES, n)
            files = size = 0
            for relative, data in plan.pages(start, stop, parts):
                info = tarfile.TarInfo(relative)
                info.size, info.mtime, info.mode = len(data), TAR_MTIME, 0o644
                tar.addfile(info, io.BytesIO(data))
                files += 1
                size += len(data)
            progress.add(stop - start, files, size)
    return progress


def _report(progress: Progress, cables: int, seconds: float) -> str:
    return (
        f"wrote {progress.what}: {progress.files:,} pages ({cables:,} cables, "
        f"{progress.files - cables:,} older builds), {progress.bytes:,} bytes ({progress.bytes / MB:,.1f} MB) "
        f"in {seconds:.1f} s: {progress.files / seconds:,.0f} pages/s, {progress.bytes / MB / seconds:,.1f} MB/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/make_corpus.py",
        description="Write a deterministic synthetic corpus of Cable Viewer pages: one page per real reference id "
        "of the release, re-keyed from real pages (see the module docstring for what is kept and what is not).",
    )
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="folder to write DIR/cable/YYYY/MM/<ID>.html to (absent or empty)"
    )
    parser.add_argument(
        "--pages",
        type=int,
        default=RELEASE_PAGES,
        metavar="N",
        help=f"cables to generate (default {RELEASE_PAGES:,}, the release)",
    )
    parser.add_argument(
        "--templates",
        type=Path,
        metavar="DIR",
        default=SAMPLE_DIR,
        help="folder of real pages to re-key, searched recursively (default data/sample; or an unpacked corpus)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="S", help="seed of the id order and the created dates (default 0)"
    )
    parser.add_argument(
        "--tar",
        type=Path,
        metavar="FILE",
        help="also (or, without --out, only) write the pages as one uncompressed tar",
    )
    parser.add_argument(
        "--versions",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="share of the cables that also get an older viewer build under _history/<stamp>/ (default 0)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        metavar="N",
        help="processes writing the folder (default 2; 1 writes in this process)",
    )
    args = parser.parse_args(argv)
    if args.out is None and args.tar is None:
        parser.error("give --out DIR, --tar FILE or both")
    if not 1 <= args.pages <= RELEASE_PAGES:
        parser.error(f"--pages must be between 1 and {RELEASE_PAGES:,}")
    if args.processes < 1:
        parser.error("--processes must be 1 or more")
    if not 0.0 <= args.versions <= 1.0:
        parser.error("--versions must be between 0 and 1")
    if not args.templates.is_dir():
        parser.error(f"--templates {args.templates} is not a folder")
    if args.out is not None and args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        parser.error(f"--out {args.out} exists and is not an empty folder")

    start = time.perf_counter()
    templates, skipped = load_templates(args.templates)
    if not templates:
        sys.exit(f"make_corpus: no cable page usable as a template under {args.templates}")
    missing: dict[str, int] = {}
    for template in templates:
        for name in ("created link", "dtg"):
            if name not in template.slots():
                missing[name] = missing.get(name, 0) + 1
    print(
        f"templates: {len(templates):,} cable pages of {len({t.reference_id for t in templates}):,} cables "
        f"under {args.templates} ({len(skipped):,} files skipped"
        + "".join(f"; {n:,} without a {name}" for name, n in sorted(missing.items()))
        + f") in {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    for name, reason in skipped[:10]:
        print(f"  skipped {name}: {reason}", flush=True)
    plan = Plan(cable_order(read_release(), args.seed)[: args.pages], args.seed, args.versions, templates)
    if args.out is not None:
        t = time.perf_counter()
        args.out.mkdir(parents=True, exist_ok=True)
        progress = write_folder(plan, args.out, args.processes)
        print(_report(progress, args.pages, time.perf_counter() - t), flush=True)
    if args.tar is not None:
        t = time.perf_counter()
        progress = write_tar(plan, args.tar)
        print(_report(progress, args.pages, time.perf_counter() - t), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
