"""Generate a deterministic SYNTHETIC corpus of Cable Viewer pages at the release's full scale.

Run from the project root::

    python bench/make_corpus.py --out DIR [--pages N] [--templates DIR] [--seed S] [--tar FILE]
                                [--versions FRACTION] [--text varied|copied] [--processes N]

The real release is 251,287 cables (about 70 KB per viewer page, about 17 GB of HTML); the
project ships 57 real pages (``data/sample``) and the shared corpus holds 9,518. To measure a build
at 10k, 50k or 251k pages this script writes one page per real reference id, made from the real
pages ("templates"): each page is a template re-keyed to the new id, and (``--text varied``, the
default) with a new cable text composed from the templates' cables, so that 251,287 pages are
not a few thousand texts repeated (which flatters a search index, compression and deduplication).

How a page is made
    * The ids and months are the release's own: ``data/reference/cable2month.csv.gz`` (reference
      id, month of creation); the year is the id's first two digits (``66``-``99`` are the 1900s,
      the rest the 2000s), as ``transforms.cable.two_digit_year`` reads it. The ids are taken in a
      seeded order: first one id of every year of the release (32 years, 1966-2010), then all
      the others in a seeded shuffle. Any ``--pages`` of 32 or more therefore spans every year,
      and beyond that the years and stations come in the release's proportions; the first N ids
      of a seed are a prefix of the first M > N, so a 10k corpus is a subset of the 50k one.
    * Page ``i`` is made from a template, in turn among those whose id is of the cable's year
      or earlier (so no page cites a later cable, as in the release): the templates are the files under
      ``--templates`` that the project's own parse (``transforms.page.parsed_page``) reads as
      cables (``reject_reason`` null), in path order; non-cable files (the sample's two ``.txt``
      fixtures) are skipped and counted. Every viewer build in the templates (chillicoder,
      anarchivist and avilaroman current and ``_history`` builds, gabrielduque's relative links,
      MarkChips' 2011 build, pages saved as text) is thus in the output, in the templates' mix.
    * Re-keying changes these bytes of the template, found once per template (not per page) and
      replaced by slicing: every occurrence of the template's reference id (title, ``<h3>``, meta
      table, ``/cable/YYYY/MM/ID.html`` links with their year and month, the URL-encoded share
      links ``cable%2FYYYY%2FMM%2FID``, hashtags, gabrielduque's ``ID.html#parN`` anchors); the
      Created cell (a date in the new id's year and month: day, hour and minute from a hash of
      the seed and the id) and its ``/date/YYYY-MM`` link; the Origin cell (the station of the
      id: ``10TRIPOLI95`` -> ``Embassy Tripoli``, ``09STATE1234`` -> ``Secretary of State``, see
      ``origin_name``); and the first date-time group of the header (``O 021408Z FEB 10``), set
      to the same day and time. Created is printed as the template prints it: the cablegate
      builds print the hour twice (``14:02`` for 14:08, the 12-hour hour as minutes) and
      MarkChips' build the real minutes; the DTG keeps the template's month case and 2- or
      4-digit year. Each template is checked once: rebuilt with its own values it must equal its
      file.
    * The cable's text (the body block) is the template's own with ``--text copied`` (the
      corpus of earlier versions of this script, byte for byte). With ``--text varied`` it is a
      new cable (``Texts``): the template's layout (its opening lines, blank lines, paragraph
      anchors, signature and closing lines) with as many paragraphs as it has, taken in runs of
      2 to 6 consecutive paragraphs of source cables drawn among the templates' cables (one page
      per cable) of the page's year or earlier and of its classification level (more widely when
      fewer than 200 qualify; a later cable's paragraph never brings a REF block), the first run
      from the first source's opening (its summary); in capitals when the template is; numbered
      and anchored as the template numbers its own. The subject, tags, REF list and
      "Classified By" line are the first source's (the REF list only when that cable is not
      later than the page). The station and serial in the opening line and in page markers are
      the new id's (``TRIPOLI 000220`` -> ``RIYADH 001234``). Then the words vary: in each block
      (between blank lines) a sentence may be swapped for one of another paragraph of its source
      (50 %) and one word for a word of the corpus with the same last three letters, a name for
      a name (90 %: no new word); 2.5 % of the words that may vary (4 letters or more, not among
      the corpus' 200 most frequent words or the words the parse reads, such as ``SUMMARY`` or
      ``SIPDIS``), 25 % in the subject and the "Classified By" line, become a spelling variant
      (``spelling_variant``: transliterations such as ``dh`` -> ``d``, doubled, dropped, swapped
      or added letters, names spliced), variant ``k`` of a word drawn with P(k) ~ k^-1.8, so a
      few variants of a word are frequent and new ones keep coming, as misspellings,
      transliterations and names do in the release: the vocabulary grows with the pages as real
      text does (Heaps' law; ``bench/vocabulary.py`` measures it); 30 % of the numbers of 3 to 6
      digits that are not years, dates, decimals or list items get other digits (every number of
      the REF list). A template without numbered paragraphs (186 of the shared corpus' 9,490: a
      partial extract, a page saved as text) keeps its text, varied in place after its opening
      lines. Every choice is drawn from a generator seeded by the seed and the page's id: a page
      is the same whatever the processes, the chunks and the pages made before it.
    * A page is written to ``DIR/cable/YYYY/MM/<ID><ext>`` (the viewer's layout; ``<ext>`` is the
      template's: ``.html``, or ``.txt`` for a page saved as text), in one write.

What it preserves: real ids (malformed ones included), months, years and stations in the
release's proportions; the templates' page structure (every viewer build, header block, the
cable's opening lines, markings, anchors, signatures) and real text (real paragraphs, subjects,
tags, REF lists, in new combinations and with varied words), so the parse does the same work.

What it does not: the header block (routing lines, sender and addressees, ``DE RUEHTRO #0095/01
0331408``), the declassification dates, the Released cell, the Origin cell's link
(``/origin/14_0.html``) and the sidebar stay the template's; a page's paragraphs come from
several real cables (of other stations and subjects), its tags and subject from the first of them;
a varied word is often not a real one (that is the point: it stands for the names, spellings and
typos of 251,287 cables). Pages without a date-time group in their header (the "partial extract"
pages) get a new Created date only. With the 57 sample pages there are 32 source cables, so texts
repeat far more than from the shared corpus (``--templates /tmp/corpus``, 9,490 cable pages of
1,897 cables). By default there is exactly one page per cable: no duplicates across mirrors and
no older builds. With ``--versions FRACTION`` a seeded FRACTION of the cables also gets a second
page, an older viewer build under ``DIR/_history/<stamp>/cable/YYYY/MM/<ID><ext>`` as the real
mirrors keep them: the next template of the same template cable (another build of it), printing
the same new cable text in its own layout (its own text varied, when one of the two has no
numbered paragraphs), or the same template when the templates hold one build only (an exact
copy); ``<stamp>`` is that template's own ``_history`` stamp, else ``20101130-0000_synthetic``.

``--tar FILE`` writes the same files (the same relative paths, fixed owner and time) as one
uncompressed tar, streamed through ``tarfile`` in one process; ``--out`` and ``--tar`` may be
given together (the folder is written first, then the tar) or alone; one of them is required.
``--out`` must be absent or empty. The same arguments give byte-identical files and tar.

The folder is written by ``--processes`` processes (default 2), each handed chunks of 500 pages;
progress is printed every 10,000 pages and the last line gives pages, bytes and seconds. Each
process first reads the templates and sorts their texts into the material of new ones (a few
seconds for the shared corpus).
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import collections
import functools
import gzip
import hashlib
import io
import itertools
import math
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
ID, YM_SLASH, YM_ENCODED, CREATED, CREATED_YM, ORIGIN, DTG_DHM, DTG_MONTH, DTG_YEAR, BODY, TITLE = range(11)
SLOT_NAMES = (
    "id",
    "year/month",
    "year%2Fmonth",
    "created",
    "created link",
    "origin",
    "dtg",
    "dtg month",
    "dtg year",
    "body",
    "title subject",
)

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
    level: str = ""  # the classification's level (``CONFIDENTIAL`` of ``CONFIDENTIAL//NOFORN``)
    year_month: tuple[int, int] = (0, 0)  # the year and month of its Created date

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
    level: str
    year_month: tuple[int, int]


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
        text = (body.start() + 1, len(content)) if body else None
    else:
        pres = list(_PRE.finditer(content, meta.end()))
        header = pres[0].span(1) if pres else (0, 0)
        text = pres[-1].span(1) if len(pres) >= 2 else None
    if text is not None and text[1] > text[0]:
        # The cable's text is one part (a page's own, varied or not, is made by ``Texts``): the
        # id's occurrences inside it are its own business.
        spans = [span for span in spans if not (text[0] <= span[0] and span[1] <= text[1])]
        spans.append((*text, BODY))
        title = _title_subject(content, needle, text_page)
        if title is not None:
            spans.append((*title, TITLE))
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
    level = meta.group("classification").strip().decode("ascii", errors="replace").split("//")[0]
    year_month = (int(year), int(month))
    return _Found(reference_id, spans, minute == hour12(hour), month_case, year_digits, level, year_month)


def _title_subject(content: bytes, reference_id: bytes, text_page: bool) -> tuple[int, int] | None:
    """The span of the subject in the viewer's title (``Viewing cable ID, SUBJECT``), if it has one."""
    if text_page:
        pattern = rb"(?m)^Viewing cable[ \t]+" + re.escape(reference_id) + rb",[ \t]*([^\n]*?)[ \t]*$"
    else:
        pattern = rb"<h3>\s*Viewing cable\s*" + re.escape(reference_id) + rb",[ \t]*([^<]*?)\s*</h3>"
    match = re.search(pattern, content)
    return match.span(1) if match and match.end(1) > match.start(1) else None


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
                level=found.level,
                year_month=found.year_month,
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


# --- varied text -------------------------------------------------------------------------------

TEXT_MODES = ("varied", "copied")
NEWLINE = b"&#x000A;"  # how the viewer writes a newline inside its <pre> blocks
# Marks for what a page prints of its own cable inside its text (its id, year/month before it).
ID_MARK, YM_MARK, YM_ENCODED_MARK = b"\x00I\x00", b"\x00Y\x00", b"\x00E\x00"
# The variation (per page, from a generator seeded by the seed and the id):
WORD_RATE = 0.025  # share of the eligible words of a paragraph that become a spelling variant
SUBJECT_RATE = 0.25  # the same for the words of the subject
NUMBER_RATE = 0.3  # share of the eligible numbers (3 to 6 digits) given other digits
VARIANT_ZIPF = 1.8  # variant k of a word is drawn with P(k) ~ k^-VARIANT_ZIPF, k = 1, 2, ...
RUNS = (1, 1, 2, 2, 3)  # consecutive paragraphs taken from one source cable, drawn from these
TAG_CHANGE = 0.3  # chance that one tag is swapped for another of the corpus, and that one is added
SENTENCE_SWAP = 0.5  # chance that a block of 2 sentences or more has one (not its first) replaced
WORD_SWAP = 0.9  # chance that a block has one word replaced by a corpus word of the same ending
COMMON_WORDS = 200  # the corpus' most frequent words are never varied

MIN_SOURCES = 200  # fewer candidate source cables than this: the choice is widened (see ``Texts``)

SUBJECT_HOLE, TAGS_HOLE, REFS_HOLE, CLASSIFIER_HOLE = range(4)
_PILCROW = "¶".encode()
# A numbered paragraph: the viewer's anchor and the printed number (``<a id='par3' href='#par3'>¶</a>3.``).
_UNIT_START = re.compile(rb"<a id='par(\d+)' href='([^']*)#par\1'>" + _PILCROW + rb"</a>([ \t]*)(\d{1,3})[ \t]*\.")
_NUMBER_ANCHOR = re.compile(rb"<a id='par\d+' href='[^']*'>" + _PILCROW + rb"</a>")
_ANCHOR_HREF = re.compile(rb"href='[^'#]*#par")
_BLANK_LINE = re.compile(rb"(\n(?:[ \t]|<br ?/?>)*\n(?:\s|<br ?/?>)*)")
_SUBJECT = re.compile(rb"(?im)^[ \t]*S?UBJ(?:ECT)?[ \t]*:[ \t]*")
_SUBJECT_END = re.compile(
    rb"[ \t]*(?:\n(?:[ \t]|<br ?/?>)*\n|\n[ \t]*(?:REF|" + _PILCROW + rb"|\d{1,2}\.|CLASSIFIED|Classified|-{3,}|<a )"
    rb"|REF(?:S|TELS?)?[ \t]*:|CLASSIFIED[ \t]+BY|Classified[ \t]+[Bb]y|\Z)"
)
_TAGS = re.compile(rb"(?m)^[ \t]*TAGS?[ \t]*:?[ \t]*(?=\S)")
_TAG_LINK = re.compile(rb"<a href='([^']*?)tag/([A-Za-z0-9]+)_0\.html'>\2</a>")
_PLAIN_TAGS = re.compile(rb"[A-Z][A-Z0-9]{1,7}(?:(?:,[ \t]*|[ \t]+)[A-Z][A-Z0-9]{1,7})*")
_REFS = re.compile(rb"(?m)^[ \t]*REF(?:S|TELS?)?[ \t]*:[ \t]*(?=\S)")
_CLASSIFIER = re.compile(rb"(?i)(?<![A-Za-z])CLASSIFIED[ \t]+BY[ \t]*:?[ \t]*(?=\S)")
_CLASSIFIER_END = re.compile(rb"[ \t]*(?:\n(?:[ \t]|<br ?/?>)*\n|\n[ \t]*(?:\d{1,2}\.|<a |REF)|\Z)")
# A REF block inside a paragraph (a second copy of the opening lines): where the parse opens one
# (``transforms.reference.START``): ``REF:`` in any case anywhere, ``REF`` in capitals at a line start.
_CITES = re.compile(
    rb"(?i:REF(?:S|TELS?|ERENCES?|\(S\))?)[ \t]*:"
    rb"|(?m:^)[ \t\xc2\xb6]*(?:PROGRAM[ \t]+)?(?:\(?[Aa][.)][ \t]*)?REF(?:S|TELS?)?(?:[ \t]*\.|[ \t])"
)
# A page marker on its own line: ``TRIPOLI 00000748 002.2 OF 005``.
_PAGE_MARKER = re.compile(
    rb"(?m)^([ \t]*)[A-Z][A-Z \t]*?[ \t]+0{2,}\d+([ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{2,3}[ \t]*)$"
)
_STATION_MARK = re.compile(rb"\x00S(\d)\x00")
_TEXT_OR_MARKUP = re.compile(rb"<[^<>\n]*>|&#?[0-9A-Za-z]+;|[^<&]+|[<&]")
# A signature glued to the last paragraph: a name of 1 to 4 words after the end of its last
# sentence, on the next line or after 2 blanks (``... the meeting.\nSchofer``, ``... Parliament.   BLAKEMAN``),
# or one name after one blank (``... the coming year. GOUGHNOUR``).
_GLUED_SIGNATURE = re.compile(
    rb"(?<=[.!?\"')\]])(?:([ \t]{2,}|[ \t]*\n[ \t]*)([A-Z][A-Za-z'\-]+(?:[ \t]+[A-Z][A-Za-z'\-.]*){0,3})"
    rb"|([ \t])([A-Z][A-Za-z'\-]{3,}))[ \t]*\Z"
)
# A heading at the end of a paragraph (``Comment\n-------``, ``-------``): it belongs to the next one.
_TRAILING_HEADING = re.compile(rb"(?:(?:\n(?:[ \t]|<br ?/?>)*)+[^\n]{0,80})?\n[ \t]*(?:[-=][ \t]?){3,}[ \t\-=]*\Z")
_SENTENCE_ENDS = (b".", b"!", b"?", b'"', b"'", b")", b"]", "”".encode(), "’".encode())
# A REF list ends at a blank line (unless its items go on after it), at ``Classified By`` or at the end.
_REFS_END = re.compile(
    rb"[ \t]*(?:\n(?:[ \t]|<br ?/?>)*\n(?!\s*(?:<a id='par[A-Z]'|\(?[A-Z][.)][ \t]))"
    rb"|CLASSIFIED[ \t]+BY|Classified[ \t]+[Bb]y|\Z)"
)
# Where a sentence ends: after ``.``, ``!`` or ``?`` (and a closing quote or bracket), before a
# blank and a capital, a digit, a quote or a bracket.
_SENTENCE_END = re.compile(rb"(?<=[a-zA-Z0-9)][.!?])[\"')\]]?[ \t\n]+(?=[A-Z0-9\"'(])")
_MARKUP = re.compile(rb"<[^<>\n]*>|&#?[0-9A-Za-z]+;")
# A block of a cable's opening that is header matter (kept as printed), by its first words.
_HEADER_MATTER = re.compile(
    rb"(?i)\s*(?:C O N F|S E C R E T|U N C L|UNCLAS|CONFIDENTIAL|SECRET|LIMITED|SENSITIVE|FOR OFFICIAL|NOFORN|"
    rb"SIPDIS|E\.?[ \t]?O\.?[ \t]|DECL|TAGS?\b|SUBJ|REF|CLASSIFIED|EXDIS|NODIS|LIMDIS|PAGE|<)"
)
# Words and numbers that may vary: a word of 4 letters or more standing alone (not in an id such
# as ``09STATE1234``); a number of 3 to 6 digits not starting with 0, not part of a date, time,
# decimal or id (``1.4``, ``06/17/2008``, ``TRIPOLI 000095`` keep theirs).
_WORD = re.compile(rb"(?<![0-9A-Za-z&#])[A-Za-z]{4,}(?![0-9A-Za-z])")
_NUMBER = re.compile(rb"(?<![0-9A-Za-z./:\-])[1-9][0-9]{2,5}(?![0-9A-Za-z/:]|[.,][0-9])")
_YEAR = re.compile(rb"(?:19|20)\d\d")
# Words the parse reads, or that mark what it reads: never varied.
_KEEP = frozenset(
    (
        "sipdis", "noforn", "nodis", "exdis", "limdis", "fouo", "orcon", "propin", "relto", "confidential",
        "secret", "unclassified", "classified", "sensitive", "limited", "official", "only", "summary", "comment",
        "begin", "text", "note", "subject", "tags", "reftel", "reftels", "septel", "section", "para", "paras",
        "page", "decl", "declassify", "reason", "reasons", "signed", "action", "request", "info", "xxxx",
        "january", "february", "march", "april", "june", "july", "august", "september", "october", "november",
        "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    )
)  # fmt: skip
# Spelling variants: transliterations, British and American spellings, doubled letters.
_RESPELL = (
    ("q", "k"), ("k", "q"), ("dh", "d"), ("d", "dh"), ("ou", "u"), ("u", "ou"), ("y", "i"), ("i", "y"),
    ("ph", "f"), ("f", "ph"), ("sh", "ch"), ("ch", "sh"), ("kh", "h"), ("j", "dj"), ("ee", "i"), ("ai", "ay"),
    ("ei", "ey"), ("ov", "off"), ("ks", "x"), ("x", "ks"), ("c", "k"), ("z", "s"), ("s", "z"), ("w", "v"),
    ("v", "w"), ("ia", "iya"), ("ie", "iye"), ("ll", "l"), ("tt", "t"), ("mm", "m"), ("ss", "s"),
    ("ise", "ize"), ("ize", "ise"), ("our", "or"), ("re", "er"), ("ae", "e"), ("oe", "o"),
)  # fmt: skip
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_CONSONANTS = "bcdfghjklmnprstvz"


def decoded(text: bytes, html: bool) -> bytes:
    """A cable's text with real newlines (the viewer writes them ``&#x000A;`` in HTML pages)."""
    return text.replace(NEWLINE, b"\n") if html else text


def find_subject(text: bytes) -> tuple[int, int, bytes] | None:
    """The span and text of the SUBJECT line's subject in a cable's text (newlines decoded)."""
    label = _SUBJECT.search(text)
    if label is None:
        return None
    end = _SUBJECT_END.search(text, label.end())
    stop = end.start() if end else len(text)
    return (label.end(), stop, text[label.end() : stop]) if stop > label.end() else None


def spelling_variant(word: str, k: int, names: tuple[str, ...] = ()) -> str:
    """The ``k``-th spelling variant of a lower-case word (the same for the same word and ``k``).

    One edit (two from k = 4, three from k = 40): a transliteration or spelling pair (``dh`` ->
    ``d``, ``ou`` -> ``u``, ``ise`` -> ``ize``), a letter doubled, dropped or swapped with the next,
    and, when ``names`` are given (the word is a name), its head spliced to the tail of one of them.
    """
    rng = random.Random(f"{word}:{k}")
    out = word
    edits = 1 + (k >= 4) + (k >= 40)
    for _attempt in range(4 * edits):
        if edits == 0:
            break
        op = rng.randrange(6 if names else 5)
        if op == 0:
            pairs = [(a, b) for a, b in _RESPELL if a in out[1:]]
            if not pairs:
                continue
            a, b = pairs[rng.randrange(len(pairs))]
            at = [i for i in range(1, len(out)) if out.startswith(a, i)]
            i = at[rng.randrange(len(at))]
            new = out[:i] + b + out[i + len(a) :]
        elif op == 1:
            at = [i for i in range(1, len(out)) if out[i] in _CONSONANTS and out[i - 1] != out[i]]
            if not at:
                continue
            i = at[rng.randrange(len(at))]
            new = out[: i + 1] + out[i:]
        elif op == 2 and len(out) > 4:
            i = rng.randrange(1, len(out))
            new = out[:i] + out[i + 1 :]
        elif op == 3 and len(out) > 3:
            i = rng.randrange(1, len(out) - 1)
            new = out[:i] + out[i + 1] + out[i] + out[i + 2 :]
        elif op == 4:
            i = rng.randrange(1, len(out) + 1)
            new = out[:i] + _LETTERS[rng.randrange(26)] + out[i:]
        elif op == 5:
            other = names[rng.randrange(len(names))]
            new = out[: rng.randrange(2, max(3, len(out) - 1))] + other[rng.randrange(1, max(2, len(other) - 2)) :]
        else:
            continue
        if new != out and new != word and 3 <= len(new) <= 24:
            out = new
            edits -= 1
    if out == word:
        out = word + _LETTERS[rng.randrange(26)]
    return out


@dataclass(frozen=True)
class Unit:
    """A piece of cable text (a paragraph without its number, a subject, a REF list) and what may vary in it."""

    text: bytes
    scan: bytes  # the text in lower case, markup blanked out: where words and numbers are looked for
    words: bool  # its words may vary (a REF list: only its numbers)
    cites: bool  # it holds a REF block (only a cable of its year or later may take it)


@dataclass
class Source:
    """A real cable as the material of new ones: its paragraphs, subject, tags and REF list."""

    year: int
    caps: bool  # written in capitals (older cables)
    level: str
    units: list[Unit]
    subject: Unit | None
    tags: list[bytes]
    refs: Unit | None
    classifier: Unit | None


@dataclass
class Layout:
    """How a template prints a cable's text: what comes before, between and after its paragraphs."""

    html: bool
    head: list[bytes | int]  # the text before the first paragraph, with holes (SUBJECT_HOLE...)
    holes: dict[int, bytes]  # the template's own subject, tags and REF list, by hole
    numbered: bool  # paragraphs found (else the text after the head varies in place, as one piece)
    paragraphs: list[bytes]  # the template's own paragraphs (without number), or its text after the head
    anchor_prefix: bytes  # what the viewer writes before ``#parN`` in its anchors (an id, or nothing)
    number_gap: bytes  # between an anchor and its number
    separator: bytes  # between two paragraphs
    gap: bytes  # between the last paragraph and the tail
    tail: bytes  # signature and closing lines
    tag_link: bytes | None  # the tag links' prefix (``/tag/``), None for plain tags
    tag_separator: bytes
    title: bool  # the viewer's title prints a subject (a new subject's first line replaces it)
    caps: bool
    prose: tuple[int, ...] = ()  # the literal pieces of ``head`` with blocks that may vary (see ``head_varied``)


@dataclass
class Composition:
    """A new cable's text: paragraphs (already varied), subject, tags and REF list (None: the template's)."""

    paragraphs: list[bytes]
    subject: bytes | None
    tags: list[bytes] | None
    refs: bytes | None
    classifier: bytes | None
    numbered: bool
    head: dict[int, bytes] = field(default_factory=dict)  # varied literal pieces of the opening, by index


def _marked(text: bytes, reference_id: str, year: int, month: int) -> bytes:
    """A template's text with its own id (and the year/month of a link before it) as marks."""
    needle = reference_id.encode()
    found = text.find(needle)
    if found < 0:
        return text
    before = {f"{year:04d}/{month:02d}/".encode(): YM_MARK, f"{year:04d}%2F{month:02d}%2F".encode(): YM_ENCODED_MARK}
    pieces = []
    position = 0
    while found >= 0:
        end = found + len(needle)
        if not text[end : end + 1].isdigit():
            start = found
            for ym, mark in before.items():
                if text.endswith(ym, position, found):
                    start = found - len(ym)
                    pieces += [text[position:start], mark]
                    break
            else:
                pieces.append(text[position:found])
            pieces.append(ID_MARK)
            position = end
        found = text.find(needle, end)
    pieces.append(text[position:])
    return b"".join(pieces)


def _blanks_at_end(text: bytes) -> int:
    """Where the blanks (and ``<br>`` line breaks) at the end of a text start."""
    end = len(text)
    while True:
        stripped = text[:end].rstrip()
        for br in (b"<br>", b"<br/>", b"<br />"):
            if stripped.endswith(br):
                end = len(stripped) - len(br)
                break
        else:
            return len(stripped)


_LOWER = bytes(range(97, 123))
_UPPER = bytes(range(65, 91))


def _caps(text: bytes) -> bool:
    """Whether a text is written in capitals (fewer than 5 % of its letters in lower case)."""
    lower = len(text) - len(text.translate(None, _LOWER))
    upper = len(text) - len(text.translate(None, _UPPER))
    return upper + lower > 0 and lower < 0.05 * (upper + lower)


def _without_headings(paragraph: bytes) -> bytes:
    """A paragraph without the headings at its end (they announce the next paragraph, not this one's end):
    a line underlined with dashes, a line of dashes, a last block of one short line that ends no sentence."""
    while True:
        heading = _TRAILING_HEADING.search(paragraph, max(0, len(paragraph) - 400))
        if heading is not None and heading.start() > 0:
            paragraph = paragraph[: _blanks_at_end(paragraph[: heading.start()])]
            continue
        parts = _BLANK_LINE.split(paragraph)
        last = parts[-1].strip()
        if len(parts) >= 3 and len(last) <= 80 and b"\n" not in last and not last.endswith(_SENTENCE_ENDS):
            paragraph = b"".join(parts[:-2])
            paragraph = paragraph[: _blanks_at_end(paragraph)]
            continue
        return paragraph


def _tail_line(line: bytes) -> bool:
    """A line of a cable's closing: short (a name, a marking, a closing mark), not a sentence's end."""
    stripped = line.strip()
    return (
        len(stripped) <= 48
        and len(stripped.split()) <= 5
        and not stripped.endswith((b".", b",", b";", b":", b")"))
        and re.match(rb"\d{1,2}\.", stripped) is None
    )


def _split_tail(text: bytes) -> tuple[bytes, bytes, bytes]:
    """The last paragraph, what separates it from its tail, and the tail (signature, closing lines).

    The tail is the short blocks after the last blank line of the paragraph, the short lines at
    its end (a signature on the line after the last sentence) and a name glued after its last
    sentence (``... Parliament.   BLAKEMAN``).
    """
    parts = _BLANK_LINE.split(text)
    blocks = parts[0::2]
    keep = len(blocks)
    while keep > 1:
        block = blocks[keep - 1].strip()
        if len(block) > 80 or block.count(b"\n") > 2:
            break
        keep -= 1
    core = b"".join(parts[: 2 * keep - 1])
    gap, tail = (parts[2 * keep - 1], b"".join(parts[2 * keep :])) if keep < len(blocks) else (b"", b"")
    lines = core.split(b"\n")
    last = len(lines)
    while last > 1 and _tail_line(lines[last - 1]):
        last -= 1
    if last < len(lines) and b"".join(lines[last:]).strip():
        core, gap, tail = b"\n".join(lines[:last]), b"\n", b"\n".join(lines[last:]) + gap + tail
    blanks = _blanks_at_end(core)
    glued = _GLUED_SIGNATURE.search(core, max(0, blanks - 200), blanks)
    if glued is not None:
        name = 2 if glued.group(2) is not None else 4
        return core[: glued.start()], glued.group(name - 1), core[glued.start(name) :] + gap + tail
    return core[:blanks], core[blanks:] + gap, tail


def _holes(head: bytes) -> list[tuple[int, int, int]]:
    """Where the subject, the tag list and the REF list are in a cable's opening lines."""
    found = []
    subject = find_subject(head)
    if subject is not None:
        found.append((subject[0], subject[1], SUBJECT_HOLE))
    tags = _TAGS.search(head)
    if tags is not None:
        line_end = head.find(b"\n", tags.end())
        line_end = len(head) if line_end < 0 else line_end
        items = head[tags.end() : line_end].rstrip()
        links = _TAG_LINK.findall(items)
        plain = _PLAIN_TAGS.fullmatch(items)
        if (links and not _TAG_LINK.sub(b"", items).strip(b" ,\t")) or (plain and not links):
            found.append((tags.end(), tags.end() + len(items), TAGS_HOLE))
    refs = _REFS.search(head, subject[1] if subject else 0)
    if refs is not None:
        end = _REFS_END.search(head, refs.end())
        stop = end.start() if end else len(head)
        if stop > refs.end():
            found.append((refs.end(), stop, REFS_HOLE))
    classifier = _CLASSIFIER.search(head)
    if classifier is not None:
        end = _CLASSIFIER_END.search(head, classifier.end())
        stop = end.start() if end else len(head)
        if stop > classifier.end():
            found.append((classifier.end(), stop, CLASSIFIER_HOLE))
    found.sort()
    kept: list[tuple[int, int, int]] = []
    for hole in found:
        if not kept or hole[0] >= kept[-1][1]:
            kept.append(hole)
    return kept


def _tag_list(items: bytes) -> list[bytes]:
    links = _TAG_LINK.findall(items)
    return [tag for _prefix, tag in links] if links else re.findall(rb"[A-Z][A-Z0-9]+", items)


def layout_of(template: Template, content: bytes) -> Layout | None:
    """How a template prints its cable's text; None when it has no text part to vary."""
    body = next(((s, e) for s, e, slot in template.spans if slot == BODY), None)
    if body is None:
        return None
    html = template.suffix != ".txt"
    raw = content[body[0] : body[1]]
    if html and b"\n" in raw:
        return None
    text = _marked(decoded(raw, html), template.reference_id, *template.year_month)
    starts = [m for m in _UNIT_START.finditer(text) if m.group(1) == m.group(4)] if html else []
    head_end = starts[0].start() if starts else len(text)
    holes = _holes(text[:head_end])
    if not starts:
        # No numbered paragraphs: the text after its opening lines varies in place.
        if not holes:
            return None
        head_end = holes[-1][1]
    head: list[bytes | int] = []
    own: dict[int, bytes] = {}
    position = 0
    for start, end, hole in holes:
        head += [text[position:start], hole]
        own[hole] = text[start:end]
        position = end
    head.append(text[position:head_end])
    head = [_station_marked(p, template.reference_id) if isinstance(p, bytes) else p for p in head]
    prose = tuple(
        i
        for i, piece in enumerate(head)
        if isinstance(piece, bytes)
        and any(
            not _HEADER_MATTER.match(block) and len(_WORD.findall(block)) >= 5
            for block in _BLANK_LINE.split(piece)[0::2]
        )
    )
    tag_link, tag_separator = None, b" "
    if TAGS_HOLE in own:
        links = list(_TAG_LINK.finditer(own[TAGS_HOLE]))
        if links:
            tag_link = links[0].group(1) + b"tag/"
            tag_separator = own[TAGS_HOLE][links[0].end() : links[1].start()] if len(links) > 1 else b" "
        else:
            tag_separator = b", " if b"," in own[TAGS_HOLE] else b" "
    common = {
        "html": html,
        "head": head,
        "holes": own,
        "tag_link": tag_link,
        "tag_separator": tag_separator,
        "title": any(slot == TITLE for _s, _e, slot in template.spans),
        "prose": prose,
    }
    if not starts:
        rest = text[head_end:]
        return Layout(
            numbered=False, paragraphs=[rest], anchor_prefix=b"", number_gap=b"", separator=b"", gap=b"",
            tail=b"", caps=_caps(rest), **common,
        )  # fmt: skip
    paragraphs: list[bytes] = []
    separator = None
    for m, after in zip(starts, [*starts[1:], None], strict=True):
        piece = text[m.end() : after.start() if after else len(text)]
        piece = _ANCHOR_HREF.sub(b"href='#par", _NUMBER_ANCHOR.sub(b"", piece))
        if after is None:
            last, gap, tail = _split_tail(piece)
            paragraphs.append(last)
        else:
            blanks = _blanks_at_end(piece)
            paragraphs.append(_without_headings(piece[:blanks]))
            if separator is None:
                separator = piece[blanks:]
    return Layout(
        numbered=True,
        paragraphs=paragraphs,
        anchor_prefix=starts[0].group(2),
        number_gap=starts[0].group(3),
        separator=b"\n\n" if separator is None else separator,
        gap=gap,
        tail=tail,
        caps=_caps(b"".join(paragraphs)),
        **common,
    )


class Texts:
    """The text of every page: a template's own (``copied``) or a new cable composed from real ones (``varied``).

    ``varied`` (see the module's docstring): a page keeps its template's layout and gets paragraphs
    of source cables (one page per cable of the templates) in runs, the first source's subject,
    tags, REF list and "Classified By" line, and varied words: sentences swapped within a source,
    words swapped for corpus words of the same ending, a share of them made spelling variants
    (the new words that make the vocabulary grow), numbers given other digits. A template without
    numbered paragraphs keeps its text, varied in place. Every choice comes from the generator
    ``rng(seed, id)``; the variants a process keeps depend on the word and ``k`` only, so a page is
    the same whatever was made before it.
    """

    def __init__(self, templates: list[Template], contents: list[bytes], mode: str = "varied") -> None:
        self.mode = mode
        self.templates = templates
        self.own_text: list[bytes | None] = []
        self.own_title: list[bytes | None] = []
        for template, content in zip(templates, contents, strict=True):
            spans = {slot: (s, e) for s, e, slot in template.spans}
            text = content[slice(*spans[BODY])] if BODY in spans else None
            if text is not None:
                text = _marked(text, template.reference_id, *template.year_month)
            self.own_text.append(text)
            self.own_title.append(content[slice(*spans[TITLE])] if TITLE in spans else None)
        self.layouts: list[Layout | None] = []
        if mode == "copied":
            return
        self.layouts = [layout_of(t, c) for t, c in zip(templates, contents, strict=True)]
        # One source per cable (its first numbered template in path order).
        chosen: dict[str, int] = {}
        for t, layout in enumerate(self.layouts):
            if layout is not None and layout.numbered and layout.paragraphs:
                chosen.setdefault(templates[t].reference_id, t)
        counts: collections.Counter[bytes] = collections.Counter()
        for t in chosen.values():
            for paragraph in self.layouts[t].paragraphs:  # type: ignore[union-attr]
                counts.update(_WORD.findall(paragraph.lower()))
        common = sorted(counts, key=lambda w: (-counts[w], w))[:COMMON_WORDS]
        self.keep = frozenset(common) | {w.encode() for w in _KEEP}
        # Words of the corpus by their last three letters (seen twice or more): what a word may be swapped for.
        similar: dict[bytes, list[bytes]] = {}
        for word in sorted(w for w, n in counts.items() if n >= 2 and w not in self.keep and w.strip(b"x")):
            similar.setdefault(word[-3:], []).append(word)
        self.similar = similar
        names: set[str] = set()
        self.sources: list[Source] = []
        tags: list[bytes] = []
        for t in sorted(chosen.values()):
            source = self._source(t)
            self.sources.append(source)
            tags += source.tags
            if not source.caps:
                for paragraph in self.layouts[t].paragraphs:  # type: ignore[union-attr]
                    names.update(w.decode().lower() for w in re.findall(rb"(?<=[a-z,] )[A-Z][a-z]{3,}", paragraph))
        self.names = tuple(sorted(names - {w.decode() for w in self.keep}))
        self.name_set = frozenset(self.names)
        self.name_bytes = [name.encode() for name in self.names] or [b"smith"]
        self.tags = tags or [b"PREL"]
        # Candidate sources, oldest first (the candidates of a year are a prefix), by whether the
        # page is written in capitals (then every source, put in capitals; else those that are
        # not) and by level (None: any level).
        by_year = sorted(self.sources, key=lambda s: s.year)
        self.candidates: dict[tuple[bool, str | None], tuple[list[int], list[Source]]] = {}
        for caps in (True, False):
            for level in {s.level for s in by_year} | {None}:
                members = [s for s in by_year if (caps or not s.caps) and level in (None, s.level)]
                self.candidates[(caps, level)] = ([s.year for s in members], members)
        self.variants: dict[tuple[bytes, int], bytes] = {}
        self.zipf = 1.0 / (VARIANT_ZIPF - 1.0)
        # Bytes of text per eligible word and number, on every 8th source (the rates are per word).
        sample = [unit.scan for source in self.sources[::8] for unit in source.units]
        size = sum(len(scan) for scan in sample)
        words = sum(self.eligible_word(m) for scan in sample for m in _WORD.finditer(scan))
        numbers = sum(self.eligible_number(scan, m) for scan in sample for m in _NUMBER.finditer(scan))
        self.word_bytes = size / words if words else 50.0
        self.number_bytes = size / numbers if numbers else 2000.0

    # -- material ------------------------------------------------------------------------------

    @staticmethod
    def unit(text: bytes, words: bool = True) -> Unit:
        """A piece of text to vary."""
        scan = _MARKUP.sub(lambda m: b" " * len(m.group()), text) if b"<" in text or b"&" in text else text
        return Unit(text, scan.lower(), words, _CITES.search(text) is not None)

    def eligible_word(self, match: re.Match[bytes]) -> bool:
        """Whether a word found by ``_WORD`` may vary."""
        word = match.group()
        return word not in self.keep and bool(word.strip(b"x"))

    @staticmethod
    def eligible_number(scan: bytes, match: re.Match[bytes]) -> bool:
        """Whether a number found by ``_NUMBER`` may vary: not a year, not first on its line (a list item)."""
        start, end = match.span()
        line = scan.rfind(b"\n", 0, start) + 1
        return bool(scan[line:start].strip()) and not (end - start == 4 and _YEAR.fullmatch(match.group()))

    def _source(self, t: int) -> Source:
        layout = self.layouts[t]
        assert layout is not None
        template = self.templates[t]
        holes = layout.holes
        return Source(
            year=id_year(template.reference_id),
            caps=layout.caps,
            level=template.level,
            units=[self.unit(p) for p in layout.paragraphs],
            subject=self.unit(holes[SUBJECT_HOLE]) if SUBJECT_HOLE in holes else None,
            tags=_tag_list(holes[TAGS_HOLE]) if TAGS_HOLE in holes else [],
            refs=self.unit(holes[REFS_HOLE], words=False) if REFS_HOLE in holes else None,
            classifier=self.unit(holes[CLASSIFIER_HOLE]) if CLASSIFIER_HOLE in holes else None,
        )

    def own_source(self, t: int) -> Source:
        """The template's own cable as a source (made when needed, not kept: most pages never need it)."""
        return self._source(t)

    # -- variation -----------------------------------------------------------------------------

    def variant(self, word: bytes, rng: random.Random) -> bytes:
        """A spelling variant of a word (its case kept): variant k with P(k) ~ k^-VARIANT_ZIPF."""
        k = min(int((1.0 - rng.random()) ** -self.zipf), 1_000_000)
        lower = word.lower()
        key = (lower, k)
        found = self.variants.get(key)
        if found is None:
            name = lower.decode()
            found = spelling_variant(name, k, self.names if name in self.name_set else ()).encode()
            self.variants[key] = found
        if word.isupper():
            return found.upper()
        if word[:1].isupper():
            return found[:1].upper() + found[1:]
        return found

    def vary(self, unit: Unit, rng: random.Random, word_rate: float, number_rate: float = NUMBER_RATE) -> bytes:
        """The text of a unit with a share of its words and numbers varied.

        The words (and numbers) to vary are found without listing them: from a byte offset drawn
        with exponential gaps of mean (bytes per eligible word) / rate, the next eligible word.
        """
        edits: list[tuple[int, int, bytes]] = []
        text, scan = unit.text, unit.scan
        size = len(scan)
        if unit.words and word_rate > 0:
            step = self.word_bytes / word_rate
            at = int(-math.log(1.0 - rng.random()) * step)
            while at < size:
                match = _WORD.search(scan, at)
                if match is None:
                    break
                start, end = match.span()
                if self.eligible_word(match):
                    edits.append((start, end, self.variant(text[start:end], rng)))
                at = end + int(-math.log(1.0 - rng.random()) * step)
        if number_rate > 0:
            step = self.number_bytes / number_rate if number_rate < 1 else 0.0
            at = int(-math.log(1.0 - rng.random()) * step)
            while at < size:
                match = _NUMBER.search(scan, at)
                if match is None:
                    break
                start, end = match.span()
                if self.eligible_number(scan, match):
                    edits.append(
                        (start, end, str(rng.randrange(10 ** (end - start - 1), 10 ** (end - start))).encode())
                    )
                at = end + int(-math.log(1.0 - rng.random()) * step)
        if not edits:
            return text
        edits.sort()
        pieces = []
        position = 0
        for start, end, new in edits:
            pieces += [text[position:start], new]
            position = end
        pieces.append(text[position:])
        return b"".join(pieces)

    def swap_word(self, text: bytes, rng: random.Random, lowest: int = 0) -> bytes:
        """A text with one word that may vary (from offset ``lowest``) replaced by a word of the corpus
        of the same last three letters (a name by a name), in the same case; no new word."""
        scan = _MARKUP.sub(lambda m: b" " * len(m.group()), text) if b"<" in text or b"&" in text else text
        scan = scan.lower()
        match = _WORD.search(scan, rng.randrange(lowest, len(scan))) if len(scan) > lowest else None
        if match is None or not self.eligible_word(match):
            match = _WORD.search(scan, lowest)
            if match is None or not self.eligible_word(match):
                return text
        start, end = match.span()
        word = text[start:end]
        name = word[:1].isupper() and not word.isupper() and match.group().decode() in self.name_set
        choices = self.name_bytes if name else self.similar.get(match.group()[-3:])
        if not choices:
            return text
        new = choices[rng.randrange(len(choices))]
        if word.isupper():
            new = new.upper()
        elif word[:1].isupper():
            new = new[:1].upper() + new[1:]
        return text[:start] + new + text[end:]

    def blocks_varied(self, text: bytes, source: Source, rng: random.Random) -> bytes:
        """A text whose blocks (between blank lines) each may have a sentence swapped for one of another
        paragraph of its source cable and a word for a word of the corpus (``SENTENCE_SWAP``, ``WORD_SWAP``)."""
        blocks = _BLANK_LINE.split(text)
        for i in range(0, len(blocks), 2):
            block = blocks[i]
            if len(block) < 20:
                continue
            if rng.random() < SENTENCE_SWAP:
                other = source.units[rng.randrange(len(source.units))]
                if not other.cites:
                    block = swap_sentence(block, other.text, rng)
            if rng.random() < WORD_SWAP:
                block = self.swap_word(block, rng)
            blocks[i] = block
        return b"".join(blocks)

    def head_varied(self, layout: Layout, rng: random.Random) -> dict[int, bytes]:
        """The literal pieces of a template's opening with their prose blocks varied: one word swapped
        (never a block's first word) and numbers, in the blocks of 5 words or more that are not
        header matter (``E.O.``, ``TAGS``, the classification line...), such as routing lines
        (``DEPT FOR EUR/WE, DRL``) or a summary printed before the numbered paragraphs."""
        varied = {}
        for i in layout.prose:
            blocks = _BLANK_LINE.split(layout.head[i])  # type: ignore[arg-type]
            for j in range(0, len(blocks), 2):
                block = blocks[j]
                if _HEADER_MATTER.match(block) or len(_WORD.findall(block)) < 5:
                    continue
                first = _WORD.search(block.lower())
                if rng.random() < WORD_SWAP and first is not None:
                    block = self.swap_word(block, rng, first.end())
                blocks[j] = self.vary(self.unit(block), rng, 0.0)
            varied[i] = b"".join(blocks)
        return varied

    def vary_tags(self, tags: list[bytes], rng: random.Random) -> list[bytes]:
        tags = list(tags)
        if tags and rng.random() < TAG_CHANGE:
            tags[rng.randrange(len(tags))] = self.tags[rng.randrange(len(self.tags))]
        if rng.random() < TAG_CHANGE:
            tags.insert(rng.randrange(len(tags) + 1), self.tags[rng.randrange(len(self.tags))])
        return list(dict.fromkeys(tags))

    # -- pages ---------------------------------------------------------------------------------

    def rng(self, seed: int, reference_id: str) -> random.Random:
        digest = hashlib.blake2b(f"{seed}:{reference_id}:text".encode(), digest_size=8).digest()
        return random.Random(int.from_bytes(digest, "big"))

    def choose(self, caps: bool, level: str, year: int) -> tuple[list[Source], int]:
        """The candidate sources of a page: a list and how many of its first are candidates.

        Sources of the page's level and of its year or earlier; with fewer than ``MIN_SOURCES``
        of them, of any level; then of the level, any year; then any.
        """
        found: tuple[list[Source], int] = ([], 0)
        for level_or_any, up_to_year in ((level, True), (None, True), (level, False), (None, False)):
            years, members = self.candidates.get((caps, level_or_any), ([], []))
            found = (members, bisect.bisect_right(years, year) if up_to_year else len(members))
            if found[1] >= MIN_SOURCES:
                break
        return found

    def compose(self, t: int, year: int, rng: random.Random) -> Composition | None:
        """A new cable's text for a page of template ``t`` and a cable of ``year``; None to copy the template's."""
        layout = self.layouts[t] if self.layouts else None
        if layout is None:
            return None
        members, eligible = self.choose(layout.caps, self.templates[t].level, year)
        if not layout.numbered:
            # The template's own text, varied in place: its words, and a sentence of some blocks.
            own = self.own_source(t)
            text = self.blocks_varied(self.vary(own.units[0], rng, WORD_RATE), own, rng)
            return Composition(
                paragraphs=[text],
                subject=self.vary(own.subject, rng, SUBJECT_RATE) if own.subject else None,
                tags=None,
                refs=self.vary(own.refs, rng, 0.0) if own.refs else None,
                classifier=self.vary(own.classifier, rng, SUBJECT_RATE) if own.classifier else None,
                numbered=False,
            )
        paragraphs: list[bytes] = []
        first: Source | None = None
        own = None if eligible else self.own_source(t)
        for attempt in range(20 * len(layout.paragraphs)):
            if len(paragraphs) >= len(layout.paragraphs):
                break
            source = members[rng.randrange(eligible)] if own is None else own
            first = first or source
            run = min(RUNS[rng.randrange(len(RUNS))], len(layout.paragraphs) - len(paragraphs), len(source.units))
            # The first source opens the cable with its own opening paragraphs (a summary, mostly).
            at = 0 if not paragraphs else rng.randrange(len(source.units) - run + 1)
            for unit in source.units[at : at + run]:
                if unit.cites and source.year > year and attempt < 10 * len(layout.paragraphs):
                    continue
                paragraph = self.blocks_varied(self.vary(unit, rng, WORD_RATE), source, rng)
                paragraphs.append(in_capitals(paragraph) if layout.caps and not source.caps else paragraph)
        assert first is not None
        # A later source gives no citation: not its REF list, nor a subject or line that mentions one.
        later = first.year > year
        refs = (own or self.own_source(t)).refs if later else first.refs
        subject = first.subject if first.subject and not (later and b"REF" in first.subject.text.upper()) else None
        classifier = first.classifier
        if classifier is not None and later and b"REF" in classifier.text.upper():
            classifier = None
        subject = self.vary(subject, rng, SUBJECT_RATE) if subject else None
        classifier = self.vary(classifier, rng, SUBJECT_RATE) if classifier else None
        if classifier is not None and rng.random() < WORD_SWAP:
            classifier = self.swap_word(classifier, rng)
        if subject is not None and rng.random() < WORD_SWAP:
            subject = self.swap_word(subject, rng)
        if layout.caps and not first.caps:
            subject = in_capitals(subject) if subject else None
            classifier = in_capitals(classifier) if classifier else None
        return Composition(
            paragraphs=paragraphs,
            subject=subject,
            tags=self.vary_tags(first.tags, rng) if first.tags else None,
            refs=self.vary(refs, rng, 0.0, 1.0) if refs else None,
            classifier=classifier,
            numbered=True,
            head=self.head_varied(layout, rng),
        )

    def values(self, t: int, composition: Composition | None, cable: Cable) -> tuple[bytes, bytes]:
        """The text part and the title's subject of a page of template ``t`` for ``cable``."""
        layout = self.layouts[t] if self.layouts else None
        own_text, own_title = self.own_text[t], self.own_title[t]
        if layout is None or composition is None or composition.numbered != layout.numbered:
            return _filled(own_text or b"", cable), own_title or b""
        holes = dict(layout.holes)
        if composition.subject is not None and SUBJECT_HOLE in holes:
            holes[SUBJECT_HOLE] = composition.subject
        if composition.refs is not None and REFS_HOLE in holes:
            holes[REFS_HOLE] = composition.refs
        if composition.classifier is not None and CLASSIFIER_HOLE in holes:
            holes[CLASSIFIER_HOLE] = composition.classifier
        if composition.tags and TAGS_HOLE in holes:
            if layout.tag_link is None:
                holes[TAGS_HOLE] = layout.tag_separator.join(composition.tags)
            else:
                holes[TAGS_HOLE] = layout.tag_separator.join(
                    b"<a href='%s%s_0.html'>%s</a>" % (layout.tag_link, tag, tag) for tag in composition.tags
                )
        pieces = [holes[p] if isinstance(p, int) else composition.head.get(i, p) for i, p in enumerate(layout.head)]
        if layout.numbered:
            for j, paragraph in enumerate(composition.paragraphs, 1):
                if j > 1:
                    pieces.append(layout.separator)
                anchor = b"<a id='par%d' href='#par%d'>%s</a>" % (j, j, _PILCROW)
                pieces += [anchor, layout.number_gap, b"%d." % j, paragraph]
            pieces += [layout.gap, layout.tail]
        else:
            pieces += composition.paragraphs
        text = b"".join(pieces)
        serial = _SERIAL.search(cable.reference_id)
        if serial is not None and b" OF " in text:
            marker = printed_station(cable.reference_id).encode() + b" " + serial.group().zfill(8).encode()
            text = _PAGE_MARKER.sub(lambda m: m.group(1) + marker + m.group(2), text)
        if layout.anchor_prefix:
            text = text.replace(b"href='#par", b"href='" + layout.anchor_prefix + b"#par")
        if layout.html:
            text = text.replace(b"\n", NEWLINE)
        title = own_title or b""
        if layout.title and composition.subject is not None and SUBJECT_HOLE in holes:
            first_line = composition.subject.split(b"\n", 1)[0].strip()
            title = first_line if first_line and b"<" not in first_line else title
        return _filled(text, cable), _filled(title, cable)


def _sentence_at(text: bytes, rng: random.Random, lowest: int = 0) -> tuple[int, int] | None:
    """A sentence of a text, not its first: the one starting at the first sentence end after a random
    offset (from ``lowest``); its span with the blanks after it, or None for a text of one sentence."""
    found = _SENTENCE_END.search(text, rng.randrange(lowest, len(text)) if len(text) > lowest else lowest)
    if found is None:
        found = _SENTENCE_END.search(text, lowest)
        if found is None:
            return None
    after = _SENTENCE_END.search(text, found.end())
    return found.end(), after.end() if after else len(text)


def swap_sentence(paragraph: bytes, other: bytes, rng: random.Random) -> bytes:
    """A paragraph with one of its sentences (not the first) replaced by a sentence (not the first) of another."""
    mine, theirs = _sentence_at(paragraph, rng), _sentence_at(other, rng)
    if mine is None or theirs is None:
        return paragraph
    start, end = mine
    sentence = other[theirs[0] : theirs[1]].rstrip()
    if b"<" in sentence or not sentence:
        return paragraph
    trailing = paragraph[len(paragraph[:end].rstrip()) : end]
    return paragraph[:start] + sentence + trailing + paragraph[end:]


def in_capitals(text: bytes) -> bytes:
    """A text in capitals, its markup (anchors, character references) as it is."""
    if b"<" not in text and b"&" not in text:
        return text.upper()
    return _TEXT_OR_MARKUP.sub(lambda m: m.group() if m.group()[:1] in b"<&" else m.group().upper(), text)


_SERIAL = re.compile(r"\d+$")
_STATION_PREFIXES = ("Embassy ", "Consulate ", "US Mission ", "Mission ", "REO ", "US Interests Section ")


def printed_station(reference_id: str) -> str:
    """The station as a cable prints it beside its serial (``TRIPOLI``, ``ADDIS ABABA``, ``STATE``)."""
    name = station(reference_id)
    spelled = origin_name(reference_id)
    for prefix in _STATION_PREFIXES:
        spelled = spelled.removeprefix(prefix)
    spelled = spelled.upper()
    return spelled if spelled.replace(" ", "") == name else name


_STATION_SERIAL = re.compile(rb"(?<![A-Z0-9])([A-Z][A-Z \t]{0,40}?)[ \t]+(0*[1-9]\d{0,6})(?![0-9])")


def _station_marked(text: bytes, reference_id: str) -> bytes:
    """A template's text with its station and serial (``TRIPOLI 000220``) as a mark that keeps the digits' width."""
    serial = _SERIAL.search(reference_id)
    name = station(reference_id).encode()
    if serial is None or not name or serial.group().encode() not in text:
        return text
    number = int(serial.group())
    pieces = []
    position = 0
    for match in _STATION_SERIAL.finditer(text):
        run = match.group(1)
        if int(match.group(2)) != number or not run.replace(b" ", b"").replace(b"\t", b"").endswith(name):
            continue
        # The station's letters may end a longer run of capitals (``C O N F I D E N T I A L TRIPOLI``).
        cut, taken = len(run), 0
        while cut > 0 and taken < len(name):
            cut -= 1
            taken += run[cut] not in b" \t"
        pieces += [text[position : match.start(1) + cut], b"\x00S%d\x00" % min(len(match.group(2)), 9)]
        position = match.end(2)
    pieces.append(text[position:])
    return b"".join(pieces)


def _filled(text: bytes, cable: Cable) -> bytes:
    """A text with the page's own id (and year/month, station and serial) in its marks."""
    if b"\x00" not in text:
        return text
    if b"\x00S" in text:
        serial = _SERIAL.search(cable.reference_id)
        printed = printed_station(cable.reference_id).encode() + b" "
        digits = serial.group().encode() if serial else b"0"
        text = _STATION_MARK.sub(lambda m: printed + digits.zfill(int(m.group(1))), text)
    return (
        text.replace(YM_MARK, f"{cable.year:04d}/{cable.month:02d}/".encode())
        .replace(YM_ENCODED_MARK, f"{cable.year:04d}%2F{cable.month:02d}%2F".encode())
        .replace(ID_MARK, cable.reference_id.encode())
    )


# --- the plan and the pages --------------------------------------------------------------------


@dataclass
class Plan:
    """What to generate: the cables in order, the template of each page and of its older build."""

    cables: list[tuple[str, int]]  # (reference id, month), in the corpus' order
    seed: int
    versions: float
    templates: list[Template]
    text: str = "varied"  # "varied": new cable texts (``Texts``); "copied": the templates' own
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

    def pages(self, start: int, stop: int, material: Material) -> Iterator[tuple[str, bytes]]:
        """(relative path, bytes) of the pages of cables ``start`` to ``stop`` (older build right after).

        The older build prints the same new cable text in its own layout when both builds number
        their paragraphs; otherwise its text is composed for it, from the same seed.
        """
        parts, texts = material
        for i in range(start, stop):
            reference_id, month = self.cables[i]
            cable = Cable.of(reference_id, month, self.seed)
            t = self.template_of(i, reference_id)
            template = self.templates[t]
            composition = texts.compose(t, cable.year, texts.rng(self.seed, reference_id))
            values = values_for(cable, template) + texts.values(t, composition, cable)
            yield cable.path(template.suffix), render(parts[t], values)
            if cable.draw < self.versions:
                o = self.sibling[t]
                older = self.templates[o]
                stamp = older.stamp or SYNTHETIC_STAMP
                layout = texts.layouts[o] if texts.layouts else None
                if composition is None or not composition.numbered or layout is None or not layout.numbered:
                    composition = texts.compose(o, cable.year, texts.rng(self.seed, reference_id))
                values = values_for(cable, older) + texts.values(o, composition, cable)
                yield f"_history/{stamp}/{cable.path(older.suffix)}", render(parts[o], values)

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


# What a process needs to render pages: every template cut into its parts, and the texts.
Material = tuple[list[list[bytes | int]], Texts]


def read_material(templates: list[Template], text: str = "varied") -> Material:
    """Every template read and cut into its parts, and the material of the cable texts."""
    contents = [Path(t.path).read_bytes() for t in templates]
    parts = [template_parts(content, t.spans) for t, content in zip(templates, contents, strict=True)]
    return parts, Texts(templates, contents, text)


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
    _WRITER.update(plan=plan, material=read_material(plan.templates, plan.text), out=out)


def _write_chunk(bounds: tuple[int, int]) -> tuple[int, int]:
    """Write the pages of one chunk of cables; (files, bytes) written."""
    plan: Plan = _WRITER["plan"]  # type: ignore[assignment]
    material: Material = _WRITER["material"]  # type: ignore[assignment]
    out: str = _WRITER["out"]  # type: ignore[assignment]
    files = size = 0
    for relative, data in plan.pages(*bounds, material):
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
    material = read_material(plan.templates, plan.text)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb", buffering=8 * 1024 * 1024) as raw, tarfile.open(fileobj=raw, mode="w|") as tar:
        n = len(plan.cables)
        for start in range(0, n, CHUNK_PAGES):
            stop = min(start + CHUNK_PAGES, n)
            files = size = 0
            for relative, data in plan.pages(start, stop, material):
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
        "--text",
        choices=TEXT_MODES,
        default="varied",
        help="varied (default): every page a new cable text composed from the templates' paragraphs, with "
        "varied words, subjects, tags and REF lists; copied: every page its template's text (re-keyed only)",
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
    plan = Plan(cable_order(read_release(), args.seed)[: args.pages], args.seed, args.versions, templates, args.text)
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
