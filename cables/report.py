"""The report: one self-contained HTML page of charts (inline SVG, inline CSS) over the warehouse views.

The page needs nothing but a browser: no script, no external style sheet, font or image. It reads
the base views (``cable``, ``tag``, ``reference``, ``page_version``, ``reject``, ``media_link``),
the release's list of cables (``release_cable``), ``embassy_volume_by_month``,
``tag_cooccurrence`` and ``tag_glossary``; every text taken from the data is escaped, since
subjects, tags and origins come from untrusted pages. Every volume chart sets the warehouse's
cables beside the release's: a warehouse holds a sample of the release, and its counts over time
say which cables it holds as much as what embassies wrote. Given the address of a ``cables serve``
site, cables of the page link to their pages there (``<url>/cable/<reference_id>``).
"""

from __future__ import annotations

import html
import math
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import duckdb

TOP_ORIGINS = 8
TOP_TAGS = 15
TOP_CITED = 15
# The dense span starts in the year of this quantile of cable dates: it is drawn in detail under
# the whole period, the per-origin panels start there and earlier years share one classification
# bar, so a handful of old cables does not squeeze decades of dense traffic into a few pixels.
FOCUS_QUANTILE = 0.02

WIDTH = 1040
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
AREA = "#3d6fb6"
AREA_FILL = "#c5d6ef"
FOCUS = "#fdf3d8"
RELEASE = "#c8641e"
SHARE = "#7b3f99"

# Classification levels, lowest first, and their colours (plain, NOFORN).
LEVELS = ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "OTHER")
LEVEL_LABELS = {"OTHER": "not stated"}
LEVEL_COLOURS = {
    "UNCLASSIFIED": ("#9cc49a", "#5e8f5c"),
    "CONFIDENTIAL": ("#7fa7d9", "#2f5f9e"),
    "SECRET": ("#e8867f", "#b0332b"),
    "OTHER": ("#cbd2d9", "#7b8794"),
}
CITED_STATUS = (
    ("warehouse", "in this warehouse", "#2f5f9e"),
    ("release", "in the release, not in this warehouse", "#9dbde6"),
    ("outside", "not in the release", "#c3c9d0"),
)
HEAT_LOW = (0xEE, 0xF3, 0xFB)
HEAT_HIGH = (0x0B, 0x30, 0x6B)


# --------------------------------------------------------------------------- data


@dataclass
class Totals:
    """The header figures."""

    cables: int = 0
    first: datetime | None = None
    last: datetime | None = None
    origins: int = 0
    pages: int = 0
    other_versions: int = 0
    rejects: int = 0
    tags: int = 0
    cited: int = 0
    media_links: int = 0
    built_at: datetime | None = None
    # Cables of the full release, and of them the cables this warehouse holds.
    release: int = 0
    release_held: int = 0


@dataclass
class ReportData:
    """Everything the page shows, as plain Python values (the only input of ``render_html``)."""

    totals: Totals = field(default_factory=Totals)
    # (year, month, cables) for every month with cables.
    months: list[tuple[int, int, int]] = field(default_factory=list)
    # (year, month, release cables, of them held here) for every month of the full release (the
    # year of the id, the month of release_cable).
    release_months: list[tuple[int, int, int, int]] = field(default_factory=list)
    # First year of the dense span (see FOCUS_QUANTILE); None without dated cables.
    focus_year: int | None = None
    # (origin, cables) of the top origins, most cables first.
    origins: list[tuple[str, int]] = field(default_factory=list)
    # (origin, year, month, cables) for the top origins.
    origin_months: list[tuple[str, int, int, int]] = field(default_factory=list)
    # (origin, year, month, release cables, of them held here) for the top origins, from
    # embassy_volume_by_month (the release's cables of the origin's stations).
    origin_release: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    # (year, level, noforn, cables); level one of LEVELS.
    classification: list[tuple[int, str, bool, int]] = field(default_factory=list)
    # (tag, cables) of the most frequent canonical tags, most frequent first.
    tags: list[tuple[str, int]] = field(default_factory=list)
    # (tag_a, tag_b, cables, lift, jaccard) among those tags.
    pairs: list[tuple[str, str, int, float, float]] = field(default_factory=list)
    # What those tags stand for, where tag_glossary knows (SP -> Spain).
    tag_meanings: dict[str, str] = field(default_factory=dict)
    # (referenced_id, citing cables, status, subject or None, reference_id of the cable held here or
    # None); status a key of CITED_STATUS.
    cited: list[tuple[str, int, str, str | None, str | None]] = field(default_factory=list)
    # (distinct cited ids, of them in the release, of them in this warehouse).
    cited_summary: tuple[int, int, int] = (0, 0, 0)
    # The address of a ``cables serve`` site whose /cable/<reference_id> pages the report links to.
    serve_url: str | None = None


SQL_TOTALS = """
select
    (select count(*) from cable) as cables,
    (select min(created_at) from cable) as first,
    (select max(created_at) from cable) as last,
    (select count(distinct origin) from cable) as origins,
    (select count(*) from page_version) + (select count(*) from reject where sha256 is not null) as pages,
    (select count(*) from page_version where status <> 'current') as other_versions,
    (select count(*) from reject) as rejects,
    (select count(distinct canonical_tag) from tag) as tags,
    (select count(*) from reference where kind = 'cable') as cited,
    (select count(*) from media_link) as media_links
"""

SQL_MONTHS = """
select year(created_at) as year, month(created_at) as month, count(*) as cables
from cable
where created_at is not null
group by all
order by all
"""

SQL_RELEASE_MONTHS = """
with

held as (
    select reference_id as id from cable
    union
    select canonical_id as id from cable
),

released as (
    select
        left(release_cable.reference_id, 2)::int as yy,
        release_cable.month,
        held.id is not null as held,
    from release_cable
    left join held on release_cable.reference_id = held.id
    where regexp_matches(release_cable.reference_id, '^[0-9]{2}')
)

select
    case when yy < 50 then 2000 + yy else 1900 + yy end as year,
    month,
    count(*) as cables,
    count(*) filter (where held) as held,
from released
group by all
order by all
"""

SQL_ORIGIN_RELEASE = """
select origin, year(month) as year, month(month) as month, release_cables, release_held_cables
from embassy_volume_by_month
where list_contains(?, origin) and level = 'UNCLASSIFIED' and release_cables is not null
order by all
"""

SQL_FOCUS_YEAR = """
select year(created_at)
from cable
where created_at is not null
order by created_at
limit 1 offset ?
"""

SQL_TOP_ORIGINS = """
select origin, count(*) as cables
from cable
where origin is not null
group by origin
order by cables desc, origin
limit ?
"""

SQL_ORIGIN_MONTHS = """
select origin, year(created_at) as year, month(created_at) as month, count(*) as cables
from cable
where created_at is not null and list_contains(?, origin)
group by all
order by all
"""

SQL_CLASSIFICATION = """
with levels as (
    select
        year(created_at) as year,
        case
            when upper(classification) like 'UNCLASSIFIED%' then 'UNCLASSIFIED'
            when upper(classification) like 'CONFIDENTIAL%' then 'CONFIDENTIAL'
            when upper(classification) like 'SECRET%' then 'SECRET'
            else 'OTHER'
        end as level,
        coalesce(upper(classification) like '%NOFORN%', false) as noforn,
    from cable
    where created_at is not null
)

select year, level, noforn, count(*) as cables
from levels
group by all
order by all
"""

SQL_TOP_TAGS = """
select canonical_tag as tag, count(distinct reference_id) as cables
from tag
where canonical_tag is not null
group by canonical_tag
order by cables desc, tag
limit ?
"""

SQL_PAIRS = """
select tag_a, tag_b, cables, lift, jaccard
from tag_cooccurrence
where list_contains(?, tag_a) and list_contains(?, tag_b) and cables > 0
order by tag_a, tag_b
"""

SQL_TAG_MEANINGS = """
select tag, meaning
from tag_glossary
where list_contains(?, tag) and meaning is not null
"""

SQL_CITED = """
with cited as (
    select
        referenced_id,
        count(distinct reference_id) as citing,
        coalesce(bool_or(in_release), false) as in_release,
    from reference
    where kind = 'cable' and referenced_id is not null
    group by referenced_id
),

held as (
    select id, min(subject) as subject, min(reference_id) as reference_id
    from (
        select reference_id as id, coalesce(subject_title, subject) as subject, reference_id from cable
        union all
        select canonical_id as id, coalesce(subject_title, subject) as subject, reference_id from cable
        where canonical_id is not null
    )
    group by id
),

final as (
    select
        cited.referenced_id,
        cited.citing,
        cited.in_release,
        held.id is not null as held,
        held.subject,
        held.reference_id as held_id,
    from cited
    left join held on cited.referenced_id = held.id
)
"""


def serve_address(url: str | None) -> str | None:
    """``url`` without its trailing slash, or None when not given; ValueError unless an http(s) address."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"the serve URL must be an http:// or https:// address such as http://127.0.0.1:8000, not {url!r}"
        )
    return url.rstrip("/")


def cable_link(serve_url: str | None, reference_id: str | None) -> str | None:
    """The address of a cable's page on the ``cables serve`` site (``""``: the site serving the
    report itself), or None without a site or a cable."""
    if serve_url is None or not reference_id:
        return None
    return f"{serve_url}/cable/{quote(reference_id, safe='')}"


def fetch(con: duckdb.DuckDBPyConnection, serve_url: str | None = None, *, same_site: bool = False) -> ReportData:
    """Read everything the report shows from the warehouse views, with one query per chart
    (``same_site``: the page is served by ``cables serve`` itself, its links start at ``/cable/``)."""
    data = ReportData(serve_url="" if same_site else serve_address(serve_url))
    row = con.execute(SQL_TOTALS).fetchone()
    data.totals = Totals(*row)
    try:
        built = con.execute("select max(built_at) from _warehouse").fetchone()
        data.totals.built_at = built[0] if built else None
    except duckdb.CatalogException:
        data.totals.built_at = None

    data.months = [tuple(r) for r in con.execute(SQL_MONTHS).fetchall()]
    data.release_months = [tuple(r) for r in con.execute(SQL_RELEASE_MONTHS).fetchall()]
    data.totals.release = sum(n for _, _, n, _ in data.release_months)
    data.totals.release_held = sum(held for *_, held in data.release_months)
    dated = sum(n for _, _, n in data.months)
    if dated:
        offset = min(int(FOCUS_QUANTILE * dated), dated - 1)
        data.focus_year = con.execute(SQL_FOCUS_YEAR, [offset]).fetchone()[0]

    data.origins = [tuple(r) for r in con.execute(SQL_TOP_ORIGINS, [TOP_ORIGINS]).fetchall()]
    names = [name for name, _ in data.origins]
    data.origin_months = [tuple(r) for r in con.execute(SQL_ORIGIN_MONTHS, [names]).fetchall()]
    data.origin_release = [tuple(r) for r in con.execute(SQL_ORIGIN_RELEASE, [names]).fetchall()]

    data.classification = [tuple(r) for r in con.execute(SQL_CLASSIFICATION).fetchall()]

    data.tags = [tuple(r) for r in con.execute(SQL_TOP_TAGS, [TOP_TAGS]).fetchall()]
    tags = [tag for tag, _ in data.tags]
    data.pairs = [tuple(r) for r in con.execute(SQL_PAIRS, [tags, tags]).fetchall()]
    try:
        data.tag_meanings = dict(con.execute(SQL_TAG_MEANINGS, [tags]).fetchall())
    except duckdb.CatalogException:  # a database without the glossary
        data.tag_meanings = {}

    rows = con.execute(
        SQL_CITED + "select referenced_id, citing, in_release, held, subject, held_id from final "
        "order by citing desc, referenced_id limit ?",
        [TOP_CITED],
    ).fetchall()
    data.cited = [
        (ref, citing, "warehouse" if held else "release" if in_release else "outside", subject, held_id)
        for ref, citing, in_release, held, subject, held_id in rows
    ]
    summary = con.execute(
        SQL_CITED + "select count(*), count(*) filter (where in_release), count(*) filter (where held) from final"
    ).fetchone()
    data.cited_summary = tuple(summary)
    return data


# --------------------------------------------------------------------------- SVG helpers


def esc(value: object) -> str:
    """HTML-escaped text (quotes included), for element content and attribute values alike."""
    return html.escape(str(value), quote=True)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return str(value)


def el(tag: str, body: str | None = None, **attrs: object) -> str:
    """One element; ``class_`` stands for ``class``, ``data_x`` for ``data-x``; body is raw markup."""
    parts = [tag]
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(f'{name}="{esc(_fmt(value))}"')
    opening = "<" + " ".join(parts)
    if body is None:
        return opening + "/>"
    return f"{opening}>{body}</{tag}>"


def text(x: float, y: float, content: str, **attrs: object) -> str:
    """A text element; ``content`` is plain text and is escaped here."""
    return el("text", esc(content), x=x, y=y, **attrs)


def clip(value: str, max_chars: int) -> str:
    """``value`` cut to ``max_chars`` characters, with an ellipsis when cut."""
    value = " ".join(str(value).split())
    return value if len(value) <= max_chars else value[: max(max_chars - 1, 1)].rstrip() + "…"


def text_width(value: str, size: float) -> float:
    """Approximate width in pixels of ``value`` in the page's sans-serif font at ``size`` px."""
    return sum(size * (0.68 if ch.isupper() or ch.isdigit() else 0.55) for ch in value)


def svg(width: float, height: float, body: Iterable[str], chart: str, label: str, **attrs: object) -> str:
    """A responsive SVG figure (scales down to the page width), named by ``chart`` (``data-chart``)."""
    return el(
        "svg",
        el("title", esc(label)) + "".join(body),
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {_fmt(float(width))} {_fmt(float(height))}",
        width=width,
        height=height,
        role="img",
        class_="chart",
        data_chart=chart,
        aria_label=label,
        **attrs,
    )


def no_data(chart: str, label: str, note: str = "No data for this chart in this warehouse.") -> str:
    """The figure of a chart without data: a framed note, same markup shape as a chart."""
    body = [
        el("rect", x=0.5, y=0.5, width=WIDTH - 1, height=79, rx=6, fill="#f8f9fa", stroke=GRID),
        text(WIDTH / 2, 45, note, text_anchor="middle", class_="no-data", fill=MUTED, font_size=14),
    ]
    return svg(WIDTH, 80, body, chart, label)


def nice_ticks(maximum: float, count: int = 4) -> list[int]:
    """Round tick values from 0 to at least ``maximum`` (integers: the charts count cables)."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, round(step))
    top = math.ceil(maximum / step) * step
    return list(range(0, top + 1, step))


def mix(low: tuple[int, int, int], high: tuple[int, int, int], t: float) -> str:
    """The colour at ``t`` (0-1) between two RGB colours, as ``#rrggbb``."""
    t = min(max(t, 0.0), 1.0)
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(low, high, strict=True))


def roundish(value: float) -> int:
    """``value`` rounded to a round number (1, 2 or 5 times a power of ten), at least 1."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return int(min((1, 2, 5, 10), key=lambda m: abs(m * magnitude - value)) * magnitude)


def thousands(n: int | None) -> str:
    return "–" if n is None else f"{n:,}"


def year_range(first: datetime | None, last: datetime | None) -> str:
    """``1966–2010``, or one year, or a dash without dates."""
    if first is None or last is None:
        return "–"
    return str(first.year) if first.year == last.year else f"{first.year}–{last.year}"


def day(value: datetime | None) -> str:
    return "–" if value is None else f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def percent(part: int, whole: int) -> str:
    if not whole:
        return "–"
    share = 100 * part / whole
    return f"{share:.0f} %" if share >= 1 or share == 0 else "<1 %"


# --------------------------------------------------------------------------- charts


def year_step(years: int, room: float, per_label: float = 56) -> int:
    """A step between labelled years that leaves ``per_label`` pixels per label."""
    for step in (1, 2, 5, 10, 20, 50, 100):
        if years / step * per_label <= room:
            return step
    return 100


def month_label(index: int) -> str:
    """``Feb 2010`` for a month index (year * 12 + month - 1)."""
    return f"{MONTHS[index % 12]} {index // 12}"


def share_text(part: int, whole: int) -> str:
    """``part`` as a share of ``whole``: one decimal under 10 % (``1.2 %``), none above; a dash without a whole."""
    if not whole:
        return "–"
    share = 100 * part / whole
    if share == 0:
        return "0 %"
    if share < 0.1:
        return "<0.1 %"
    return f"{share:.1f} %" if share < 10 else f"{share:.0f} %"


def of_release(n: int, release: int, held: int | None = None) -> str:
    """``"153 cables; the release has 4,874, 3.1 % of them here"`` (``held`` defaults to ``n``)."""
    if not release:
        return f"{n:,} cables; the release has none"
    return f"{n:,} cables; the release has {release:,}, {share_text(n if held is None else held, release)} of them here"


def area_plot(
    counts: Sequence[int],
    start: int,
    box: tuple[float, float, float, float],
    ticks: int = 4,
    rug: bool = False,
    peak: bool = True,
    release: Sequence[int] | None = None,
    held: Sequence[int] | None = None,
) -> list[str]:
    """One monthly area chart in ``box`` (left, top, width, height): axes, area, line, rug, peak, and
    the release's cables as a line on a right-hand axis of its own.

    ``counts[i]`` is the number of cables of month ``start + i`` (month index year * 12 + month - 1);
    ``start`` is a January. ``release[i]`` and ``held[i]``, when given, are the release's cables of
    that month and how many of them the warehouse holds.
    """
    left, top, plot_w, plot_h = box
    span = len(counts)
    base = top + plot_h
    y_ticks = nice_ticks(max(counts), ticks)
    y_max = y_ticks[-1]

    def x(i: float) -> float:
        return left + i * plot_w / span

    def y(v: float) -> float:
        return base - v * plot_h / y_max

    def tip(i: int) -> str:
        n = counts[i]
        if release is None:
            return f"{month_label(start + i)}: {n:,} cables"
        return f"{month_label(start + i)}: {of_release(n, release[i], held[i] if held else None)}"

    parts = []
    for v in y_ticks:
        parts.append(el("line", x1=left, x2=left + plot_w, y1=y(v), y2=y(v), stroke=GRID))
        parts.append(text(left - 8, y(v) + 4, f"{v:,}", text_anchor="end", fill=AREA, font_size=11))
    first_year, years = start // 12, math.ceil(span / 12)
    step = year_step(years, plot_w)
    for k in range(0, years + 1, step):
        tx = x(min(k * 12, span))
        parts.append(el("line", x1=tx, x2=tx, y1=base, y2=base + (16 if rug else 6), stroke="#9aa5b1"))
        if k == years:
            continue
        if step == 1:  # a label per year, centred on the part of the year drawn
            mid = x((k * 12 + min(k * 12 + 12, span)) / 2)
            parts.append(text(mid, base + 20, str(first_year + k), text_anchor="middle", fill=MUTED, font_size=11))
        elif tx + 34 <= left + plot_w:
            parts.append(text(tx + 3, base + 30, str(first_year + k), fill=MUTED, font_size=11))
    points = [(x(i + 0.5), y(n)) for i, n in enumerate(counts)]
    line = " L".join(f"{_fmt(px)},{_fmt(py)}" for px, py in points)
    area = (
        f"M{_fmt(x(0))},{_fmt(base)} L{_fmt(x(0))},{_fmt(points[0][1])} L{line} "
        f"L{_fmt(x(span))},{_fmt(points[-1][1])} L{_fmt(x(span))},{_fmt(base)} Z"
    )
    parts.append(el("path", d=area, fill=AREA_FILL, class_="mark area"))
    parts.append(el("path", d="M" + line, fill="none", stroke=AREA, stroke_width=1.5, stroke_linejoin="round"))
    parts.append(el("line", x1=left, x2=left + plot_w, y1=base, y2=base, stroke="#9aa5b1"))
    if release is not None and max(release, default=0) > 0:
        r_ticks = nice_ticks(max(release), ticks)
        r_max = r_ticks[-1]
        for v in r_ticks:
            ry = base - v * plot_h / r_max
            parts.append(text(left + plot_w + 8, ry + 4, f"{v:,}", fill=RELEASE, font_size=11))
        release_line = " L".join(f"{_fmt(x(i + 0.5))},{_fmt(base - n * plot_h / r_max)}" for i, n in enumerate(release))
        parts.append(
            el(
                "path",
                el("title", esc("cables of the full release, per month (right axis)")),
                d="M" + release_line,
                fill="none",
                stroke=RELEASE,
                stroke_width=1.6,
                stroke_linejoin="round",
                class_="mark release",
            )
        )
    if rug:
        rug_w = max(plot_w / span, 1.5)
        for i, n in enumerate(counts):
            if n:
                parts.append(
                    el(
                        "rect",
                        el("title", esc(tip(i))),
                        x=x(i + 0.5) - rug_w / 2,
                        y=base + 3,
                        width=rug_w,
                        height=7,
                        fill=AREA,
                        class_="mark rug",
                    )
                )
    if peak:
        i = max(range(span), key=lambda i: (counts[i], i))
        px, py = x(i + 0.5), y(counts[i])
        note = f"peak: {month_label(start + i)}, {counts[i]:,} cables"
        if release is not None and release[i]:
            note += f" ({share_text(held[i] if held else counts[i], release[i])} of the release's {release[i]:,})"
        end = px > left + plot_w / 2
        if py - top > 10:
            parts.append(el("line", x1=px, x2=px, y1=top - 2, y2=py - 5, stroke=MUTED, stroke_dasharray="2 2"))
        parts.append(
            el("circle", el("title", esc(tip(i))), cx=px, cy=py, r=3.5, fill=AREA, stroke="white", stroke_width=1.5)
        )
        parts.append(text(px + (6 if end else -6), top - 6, note, text_anchor="end" if end else "start", font_size=12))
    return parts


def share_plot(
    held: Sequence[int], release: Sequence[int], start: int, box: tuple[float, float, float, float]
) -> list[str]:
    """The share of each month's release held here, as a line in ``box`` (months without release cables skipped)."""
    left, top, plot_w, plot_h = box
    span = len(release)
    base = top + plot_h
    shares = {i: held[i] / release[i] for i in range(span) if release[i]}
    if not shares:
        return []
    peak_share = max(shares.values())
    step = next((s for s in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5) if s * 2 >= peak_share), 0.5)
    y_max = max(step * 2, step * math.ceil(peak_share / step))

    def x(i: float) -> float:
        return left + i * plot_w / span

    def y(v: float) -> float:
        return base - v * plot_h / y_max

    parts = [text(left, top - 8, "share of each month's release held in this warehouse", fill=SHARE, font_size=11)]
    k = 0
    while k * step <= y_max + 1e-12:
        v = k * step
        parts.append(el("line", x1=left, x2=left + plot_w, y1=y(v), y2=y(v), stroke=GRID))
        label = f"{100 * v:.1f} %" if step < 0.01 else f"{100 * v:.0f} %"
        parts.append(text(left - 8, y(v) + 4, label, text_anchor="end", fill=SHARE, font_size=10))
        k += 1
    # One path, broken where the release has no cables (a gap, not a fall to zero).
    runs, run = [], []
    for i in range(span):
        if i in shares:
            run.append(f"{_fmt(x(i + 0.5))},{_fmt(y(shares[i]))}")
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    d = " ".join("M" + " L".join(r) for r in runs)
    parts.append(
        el("path", d=d, fill="none", stroke=SHARE, stroke_width=1.6, stroke_linejoin="round", class_="mark share")
    )
    if len(shares) <= 240:  # a hover point per month when they are far enough apart
        for i, v in shares.items():
            share = share_text(held[i], release[i])
            tip = f"{month_label(start + i)}: {held[i]:,} of the release's {release[i]:,} cables held ({share})"
            parts.append(
                el(
                    "circle",
                    el("title", esc(tip)),
                    cx=x(i + 0.5),
                    cy=y(v),
                    r=2.2,
                    fill=SHARE,
                    class_="mark share-point",
                )
            )
    # The highest share, named at the top right (a point at the top may sit under the strip's title).
    i = max(shares, key=lambda i: (shares[i], i))
    note = f"highest: {month_label(start + i)}, {share_text(held[i], release[i])} ({held[i]:,} of {release[i]:,})"
    parts.append(text(left + plot_w, top - 8, note, text_anchor="end", font_size=11, fill=SHARE))
    parts.append(el("line", x1=left, x2=left + plot_w, y1=base, y2=base, stroke="#9aa5b1"))
    return parts


def month_series(
    months: Sequence[tuple[int, int, int]], release_months: Sequence[tuple[int, int, int, int]], start: int, span: int
) -> tuple[list[int], list[int], list[int]]:
    """Cables here, the release's cables and of them held here, per month index from ``start`` (``span`` months)."""
    counts, release, held = [0] * span, [0] * span, [0] * span
    for year, month, n in months:
        counts[year * 12 + month - 1 - start] = n
    for year, month, n, h in release_months:
        i = year * 12 + month - 1 - start
        if 0 <= i < span:
            release[i], held[i] = n, h
    return counts, release, held


def volume_chart(
    months: Sequence[tuple[int, int, int]],
    focus_year: int | None,
    release_months: Sequence[tuple[int, int, int, int]] = (),
) -> str:
    """Cables per month over the whole period (with a rug of months), the dense span in detail, each
    beside the release's cables per month (right axis), and the share of the release held here."""
    label = "Cables per month, in this warehouse and in the full release"
    if not months:
        return no_data("volume", label)
    first_year, last_year = months[0][0], months[-1][0]
    start = first_year * 12
    # Up to the last month with cables (no false drop after it), at least the whole first year.
    span = max(last_year * 12 + months[-1][1] - start, 12)
    counts, release, held = month_series(months, release_months, start, span)
    left, right = 52, 56
    plot_w = WIDTH - left - right
    zoom = focus_year is not None and first_year < focus_year <= last_year
    body = [
        text(left, 14, "cables in this warehouse, per month (left axis)", fill=AREA, font_size=11),
        text(
            left + plot_w + right - 4,
            14,
            "cables of the full release, per month (right axis)",
            text_anchor="end",
            fill=RELEASE,
            font_size=11,
        ),
    ]
    if not zoom:
        parts = area_plot(counts, start, (left, 40, plot_w, 214), rug=True, release=release, held=held)
        parts += share_plot(held, release, start, (left, 310, plot_w, 90))
        return svg(WIDTH, 430, body + parts, "volume", label)
    # Context: the whole period, the dense span shaded; focus: that span in detail.
    top, plot_h = 40, 110
    offset = (focus_year - first_year) * 12
    fx = left + offset * plot_w / len(counts)
    body.append(el("rect", x=fx, y=top - 8, width=left + plot_w - fx, height=plot_h + 8, fill=FOCUS))
    parts = area_plot(
        counts, start, (left, top, plot_w, plot_h), ticks=2, rug=True, peak=False, release=release, held=held
    )
    body += parts
    detail_top = top + plot_h + 100
    body.append(
        el(
            "path",
            d=f"M{_fmt(fx)},{top + plot_h + 38} L{left},{detail_top - 30} "
            f"M{_fmt(left + plot_w)},{top + plot_h + 38} L{_fmt(left + plot_w)},{detail_top - 30}",
            stroke="#d9c27a",
            fill="none",
            stroke_dasharray="4 3",
        )
    )
    body.append(
        text(left, detail_top - 34 + 14, f"{focus_year}–{last_year} in detail, per month", fill=MUTED, font_size=11)
    )
    body += area_plot(
        counts[offset:], start + offset, (left, detail_top, plot_w, 220), release=release[offset:], held=held[offset:]
    )
    share_top = detail_top + 220 + 70
    body += share_plot(held[offset:], release[offset:], start + offset, (left, share_top, plot_w, 100))
    return svg(WIDTH, share_top + 100 + 30, body, "volume", label)


def origin_series(
    origins: Sequence[tuple[str, int]],
    origin_months: Sequence[tuple[str, int, int, int]],
    focus_year: int | None,
) -> tuple[int, int, str, dict[str, dict[int, int]]] | None:
    """The per-origin panels' data: first and last year, bin (``month`` or ``year``), counts per bin.

    Panels start at ``focus_year``; a span over 15 years is binned by year, so thin data stays
    visible. Bins are indexed from the first year (month offset, or year offset).
    """
    if not origins or focus_year is None or not origin_months:
        return None
    last = max(year * 12 + month - 1 for _, year, month, _ in origin_months)
    last_year = last // 12
    first_year = min(focus_year, last_year)
    bin_ = "month" if last_year - first_year < 15 else "year"
    series: dict[str, dict[int, int]] = {name: {} for name, _ in origins}
    for origin, year, month, n in origin_months:
        if year < first_year or origin not in series:
            continue
        i = (year - first_year) * 12 + month - 1 if bin_ == "month" else year - first_year
        series[origin][i] = series[origin].get(i, 0) + n
    return first_year, last_year, bin_, series


def origin_release_bins(
    origin_release: Sequence[tuple[str, int, int, int, int]], first_year: int, last_year: int, bin_: str
) -> dict[str, dict[int, tuple[int, int]]]:
    """The release's cables and of them held here, per origin and bin of ``origin_series`` (same indexing)."""
    bins: dict[str, dict[int, tuple[int, int]]] = {}
    for origin, year, month, n, held in origin_release:
        if not first_year <= year <= last_year:
            continue
        i = (year - first_year) * 12 + month - 1 if bin_ == "month" else year - first_year
        total, kept = bins.setdefault(origin, {}).get(i, (0, 0))
        bins[origin][i] = (total + n, kept + held)
    return bins


def origins_chart(
    origins: Sequence[tuple[str, int]],
    origin_months: Sequence[tuple[str, int, int, int]],
    focus_year: int | None,
    origin_release: Sequence[tuple[str, int, int, int, int]] = (),
) -> str:
    """Small multiples: cables per month (or year) of each top origin, on one shared scale, with the
    share of the release's cables of the origin that the warehouse holds."""
    label = f"Cables over time of the {len(origins)} origins with the most cables"
    binned = origin_series(origins, origin_months, focus_year)
    if binned is None:
        return no_data("origins", label)
    first_year, last_year, bin_, series = binned
    released = origin_release_bins(origin_release, first_year, last_year, bin_)
    last_month = max(max(counts, default=0) for counts in series.values())
    bins = max(last_month + 1, 12) if bin_ == "month" else last_year - first_year + 1
    peak = max((n for counts in series.values() for n in counts.values()), default=1)
    ticks = nice_ticks(peak, 2)
    y_max = ticks[-1]
    cols, gap_x, gap_y = 4, 28, 20
    panel_w = (WIDTH - gap_x * (cols - 1)) / cols
    title_h, plot_h, axis_h = 40, 78, 22
    panel_h = title_h + plot_h + axis_h
    rows = math.ceil(len(origins) / cols)
    height = rows * panel_h + (rows - 1) * gap_y
    label_w = 26
    plot_w = panel_w - label_w
    bar_w = max(plot_w / bins * (0.8 if bin_ == "month" else 0.7), 1.5)
    body = []
    for k, (origin, total) in enumerate(origins):
        ox = (k % cols) * (panel_w + gap_x)
        oy = (k // cols) * (panel_h + gap_y)
        base = oy + title_h + plot_h
        px = ox + label_w
        parts = []
        name = clip(origin, max(8, int((panel_w - 50) / 7.5)))
        parts.append(text(ox, oy + 13, name, font_size=13, font_weight=600, fill=INK))
        parts.append(text(ox + panel_w, oy + 13, f"{total:,}", text_anchor="end", font_size=12, fill=MUTED))
        release = released.get(origin, {})
        release_total = sum(n for n, _ in release.values())
        release_held = sum(h for _, h in release.values())
        if release_total:
            note = f"{share_text(release_held, release_total)} of the release's {release_total:,} held here"
        elif release:
            note = "the release has no cable of its stations here"
        else:
            note = "no station: not matched to the release"
        parts.append(text(ox, oy + 29, note, font_size=11, fill=RELEASE, class_="release-note"))
        for v in ticks[1:]:
            ty = base - v * plot_h / y_max
            parts.append(el("line", x1=px, x2=px + plot_w, y1=ty, y2=ty, stroke=GRID, stroke_dasharray="3 3"))
            parts.append(text(px - 5, ty + 4, f"{v:,}", text_anchor="end", font_size=10, fill=MUTED))
        for i, n in sorted(series[origin].items()):
            when = month_label(first_year * 12 + i) if bin_ == "month" else str(first_year + i)
            h = n * plot_h / y_max
            parts.append(
                el(
                    "rect",
                    el("title", esc(f"{origin}, {when}: {of_release(n, *release.get(i, (0, 0)))}")),
                    x=px + (i + 0.5) * plot_w / bins - bar_w / 2,
                    y=base - h,
                    width=bar_w,
                    height=h,
                    fill=AREA,
                    class_="mark bar",
                )
            )
        if release_total:
            # The release's cables of the origin's stations, on the panel's own scale (its peak at the top).
            r_max = max(n for n, _ in release.values())
            line = " L".join(
                f"{_fmt(px + (i + 0.5) * plot_w / bins)},{_fmt(base - release.get(i, (0, 0))[0] * plot_h / r_max)}"
                for i in range(bins)
            )
            tip = f"{origin}: the release's cables of its stations per {bin_} (own scale, at most {r_max:,})"
            parts.append(
                el(
                    "path",
                    el("title", esc(tip)),
                    d="M" + line,
                    fill="none",
                    stroke=RELEASE,
                    stroke_width=1,
                    stroke_opacity=0.65,
                    class_="mark release",
                )
            )
        parts.append(el("line", x1=px, x2=px + plot_w, y1=base, y2=base, stroke="#9aa5b1"))
        parts.append(text(px, base + 15, str(first_year), font_size=10, fill=MUTED))
        if last_year != first_year:
            parts.append(text(px + plot_w, base + 15, str(last_year), text_anchor="end", font_size=10, fill=MUTED))
        body.append(
            el(
                "g",
                "".join(parts),
                class_="panel",
                data_origin=origin,
                data_cables=total,
                data_release_cables=release_total if release else None,
                data_release_held=release_held if release else None,
            )
        )
    return svg(WIDTH, height, body, "origins", label, data_bin=bin_, data_first_year=first_year)


def year_buckets(years: Iterable[int], focus_year: int | None) -> dict[int, str]:
    """The bar of each year: its own, or one bar for all years before ``focus_year`` (when several)."""
    years = sorted(set(years))
    early = [year for year in years if focus_year is not None and year < focus_year]
    merged = f"{early[0]}–{early[-1]}" if len(early) > 1 else None
    return {year: merged if merged and year in early else str(year) for year in years}


def classification_chart(
    rows: Sequence[tuple[int, str, bool, int]],
    focus_year: int | None = None,
    release_years: dict[int, tuple[int, int]] | None = None,
) -> str:
    """100 % stacked bars per year (sparse early years in one bar): plain levels, the NOFORN block on top;
    under the bars, the NOFORN share and the share of the year's release held here.

    ``release_years`` maps a year to the release's cables of that year and how many of them are held here.
    """
    label = "Classification mix by year"
    release_years = release_years or {}
    if not rows:
        return no_data("classification", label)
    order = [(level, False) for level in LEVELS] + [(level, True) for level in reversed(LEVELS)]
    present = {(level, noforn) for _, level, noforn, _ in rows}
    order = [key for key in order if key in present]
    bucket = year_buckets((year for year, _, _, _ in rows), focus_year)
    years = list(dict.fromkeys(bucket[year] for year in sorted(bucket)))
    counts: dict[tuple[str, str, bool], int] = {}
    for year, level, noforn, n in rows:
        key = (bucket[year], level, noforn)
        counts[key] = counts.get(key, 0) + n
    totals = {year: sum(n for (y, _, _), n in counts.items() if y == year) for year in years}

    left, right, top = 52, 12, 58
    plot_h = 250
    plot_w = WIDTH - left - right
    band = plot_w / len(years)
    widest = max(text_width(year, 11) for year in years)
    rotate = band < widest + 8
    base = top + plot_h
    year_y = base + (widest * 0.71 + 18 if rotate else 16)
    nf_y = year_y + 17
    held_y = nf_y + 15
    height = held_y + 12
    release = {}
    for year, (n, held) in release_years.items():
        if year in bucket:
            total, kept = release.get(bucket[year], (0, 0))
            release[bucket[year]] = (total + n, kept + held)
    bar_w = min(44.0, band * 0.72)

    def fill(level: str, noforn: bool) -> str:
        return f"url(#nf-{level.lower()})" if noforn else LEVEL_COLOURS[level][0]

    def name(level: str, noforn: bool) -> str:
        return LEVEL_LABELS.get(level, level) + ("//NOFORN" if noforn else "")

    defs = []
    for level, noforn in order:
        if noforn:
            dark = LEVEL_COLOURS[level][1]
            defs.append(
                el(
                    "pattern",
                    el("rect", width=6, height=6, fill=dark)
                    + el("line", x1=0, y1=0, x2=0, y2=6, stroke="white", stroke_width=1.6, stroke_opacity=0.45),
                    id=f"nf-{level.lower()}",
                    patternUnits="userSpaceOnUse",
                    width=6,
                    height=6,
                    patternTransform="rotate(45)",
                )
            )
    body = [el("defs", "".join(defs))] if defs else []
    # Legend, one row above the plot.
    lx = left
    for level, noforn in order:
        body.append(el("rect", x=lx, y=8, width=14, height=14, fill=fill(level, noforn), rx=2))
        caption = name(level, noforn)
        body.append(text(lx + 20, 19, caption, font_size=12, fill=INK))
        lx += 20 + text_width(caption, 12) + 22
    for pct in (0, 25, 50, 75, 100):
        gy = base - pct * plot_h / 100
        body.append(el("line", x1=left, x2=left + plot_w, y1=gy, y2=gy, stroke=GRID))
        body.append(text(left - 8, gy + 4, f"{pct} %", text_anchor="end", font_size=11, fill=MUTED))
    body.append(text(left - 8, nf_y, "NOFORN", text_anchor="end", font_size=10, fill=LEVEL_COLOURS["SECRET"][1]))
    body.append(text(left - 8, held_y, "of release", text_anchor="end", font_size=10, fill=RELEASE))
    for k, year in enumerate(years):
        total = totals[year]
        cx = left + (k + 0.5) * band
        y0 = base
        for level, noforn in order:
            n = counts.get((year, level, noforn), 0)
            if not n:
                continue
            h = n * plot_h / total
            body.append(
                el(
                    "rect",
                    el("title", esc(f"{year}: {n:,} of {total:,} cables {name(level, noforn)}")),
                    x=cx - bar_w / 2,
                    y=y0 - h,
                    width=bar_w,
                    height=h,
                    fill=fill(level, noforn),
                    class_="mark segment",
                )
            )
            y0 -= h
        body.append(text(cx, top - 6, f"{total:,}", text_anchor="middle", font_size=10, fill=MUTED))
        if rotate:
            body.append(
                text(
                    cx + 4,
                    base + 10,
                    year,
                    text_anchor="end",
                    font_size=11,
                    fill=MUTED,
                    transform=f"rotate(-45 {_fmt(cx + 4)} {_fmt(base + 10)})",
                )
            )
        else:
            body.append(text(cx, year_y, year, text_anchor="middle", font_size=11, fill=MUTED))
        noforn = sum(n for (y, _, nf), n in counts.items() if y == year and nf)
        share = percent(noforn, total) if noforn else "·"
        body.append(
            text(
                cx, nf_y, share.replace(" %", "%"), text_anchor="middle", font_size=10, fill=LEVEL_COLOURS["SECRET"][1]
            )
        )
        released, held = release.get(year, (0, 0))
        body.append(
            el(
                "text",
                el("title", esc(f"{year}: {held:,} of the release's {released:,} cables held here"))
                + esc(share_text(held, released).replace(" %", "%") if released else "·"),
                x=cx,
                y=held_y,
                text_anchor="middle",
                font_size=9 if band < 40 else 10,
                fill=RELEASE,
                class_="release-share",
                data_year=year,
                data_release_cables=released,
                data_release_held=held,
            )
        )
    body.append(text(left - 8, top - 6, "cables", text_anchor="end", font_size=10, fill=MUTED))
    return svg(WIDTH, height, body, "classification", label)


def tag_tip(tag: str, cables: int, meanings: dict[str, str]) -> str:
    """``"SP (Spain): 202 cables"``, or without the meaning when it is not known."""
    meaning = meanings.get(tag)
    return f"{tag} ({meaning}): {cables:,} cables" if meaning else f"{tag}: {cables:,} cables"


def tags_chart(
    tags: Sequence[tuple[str, int]],
    pairs: Sequence[tuple[str, str, int, float, float]],
    meanings: dict[str, str] | None = None,
) -> str:
    """Lower-triangle heat map: cables that carry both tags, for the most frequent tags; a tag's
    tooltip says what it stands for when ``meanings`` knows."""
    meanings = meanings or {}
    label = f"Co-occurrence of the {len(tags)} most frequent tags"
    if len(tags) < 2:
        return no_data("tags", label, "Fewer than two tags in this warehouse: no pairs to show.")
    names = [clip(tag, 20) for tag, _ in tags]
    lookup = {frozenset((a, b)): (n, lift, jaccard) for a, b, n, lift, jaccard in pairs}
    peak = max((n for n, _, _ in lookup.values()), default=1)
    n_tags = len(tags)
    label_w = max(text_width(name, 12) for name in names) + 14
    diag_room = max(text_width(name, 12) for name in names) * 0.72 + 16
    left = 8 + label_w
    cell = min(48.0, max(30.0, (WIDTH - left - 20) / (n_tags - 1)))
    top = diag_room + 4
    grid = (n_tags - 1) * cell
    legend_w = 260
    # The legend sits in the empty upper-right triangle of a large grid, else right of the grid.
    beside = grid < 2 * legend_w
    legend_x = left + grid + label_w * 0.75 + 24 if beside else left + grid - legend_w
    width = max(left + grid + 20, legend_x + legend_w)
    height = top + grid + 16
    body = []
    for r in range(1, n_tags):
        ry = top + (r - 1) * cell
        body.append(
            el(
                "text",
                el("title", esc(tag_tip(tags[r][0], tags[r][1], meanings))) + esc(names[r]),
                x=left - 8,
                y=ry + cell / 2 + 4,
                text_anchor="end",
                font_size=12,
                fill=INK,
            )
        )
        for c in range(r):
            cx = left + c * cell
            a, b = tags[r][0], tags[c][0]
            hit = lookup.get(frozenset((a, b)))
            if hit is None:
                body.append(
                    el(
                        "rect",
                        el("title", esc(f"{b} + {a}: no cable carries both")),
                        x=cx + 1,
                        y=ry + 1,
                        width=cell - 2,
                        height=cell - 2,
                        fill="white",
                        stroke=GRID,
                        class_="empty",
                    )
                )
                continue
            n, lift, jaccard = hit
            t = math.sqrt(n / peak)
            tip = f"{b} + {a}: {n:,} cables together; lift {lift:.2f}; Jaccard {jaccard:.2f}"
            body.append(
                el(
                    "rect",
                    el("title", esc(tip)),
                    x=cx + 1,
                    y=ry + 1,
                    width=cell - 2,
                    height=cell - 2,
                    rx=3,
                    fill=mix(HEAT_LOW, HEAT_HIGH, 0.08 + 0.92 * t),
                    class_="mark cell",
                )
            )
            value = f"{n:,}" if n < 10_000 else f"{n / 1000:.0f}k"
            body.append(
                text(
                    cx + cell / 2,
                    ry + cell / 2 + 4,
                    value,
                    text_anchor="middle",
                    font_size=11 if len(value) < 5 else 9,
                    fill="white" if t > 0.45 else INK,
                )
            )
    # Column labels on the diagonal staircase, above the first cell of each column.
    for c in range(n_tags - 1):
        lx = left + c * cell + cell / 2
        ly = top + c * cell - 6
        body.append(
            el(
                "text",
                el("title", esc(tag_tip(tags[c][0], tags[c][1], meanings))) + esc(names[c]),
                x=lx,
                y=ly,
                font_size=12,
                fill=INK,
                transform=f"rotate(-45 {_fmt(lx)} {_fmt(ly)})",
            )
        )
    ly = top + 8
    body.append(text(legend_x, ly, "cables with both tags", font_size=12, fill=MUTED))
    stops = sorted({roundish(peak * f * f) for f in (0.1, 0.3, 0.55, 0.8)} | {peak})
    for k, v in enumerate(stops):
        t = math.sqrt(v / peak)
        sx = legend_x + k * 48
        body.append(
            el("rect", x=sx, y=ly + 8, width=44, height=16, rx=2, fill=mix(HEAT_LOW, HEAT_HIGH, 0.08 + 0.92 * t))
        )
        body.append(text(sx + 22, ly + 38, f"{v:,}", text_anchor="middle", font_size=10, fill=MUTED))
    return svg(width, height, body, "tags", label)


def cited_chart(cited: Sequence[tuple[str, int, str, str | None, str | None]], serve_url: str | None = None) -> str:
    """Horizontal bars: the most cited cable ids, coloured by where the cited cable is; with a
    ``cables serve`` address, the ids of cables held here link to their pages."""
    label = f"The {len(cited)} most cited cables"
    if not cited:
        return no_data("cited", label)
    status_caption = {key: caption for key, caption, _ in CITED_STATUS}
    colours = {key: colour for key, _, colour in CITED_STATUS}
    present = {status for _, _, status, _, _ in cited}
    row_h, top = 28, 58
    id_w = max(text_width(ref, 12) for ref, *_ in cited) + 16
    bar_max = 300
    left = max(id_w, 90)
    subject_x = left + bar_max + 56
    height = top + len(cited) * row_h + 8
    peak = max(n for _, n, *_ in cited)
    body = []
    lx = left
    for key, caption, colour in CITED_STATUS:
        if key not in present:
            continue
        body.append(el("rect", x=lx, y=8, width=14, height=14, rx=2, fill=colour))
        body.append(text(lx + 20, 19, caption, font_size=12, fill=INK))
        lx += 20 + text_width(caption, 12) + 24
    body.append(text(left - 10, top - 8, "cited id", text_anchor="end", font_size=11, fill=MUTED))
    body.append(text(left, top - 8, "citing cables", font_size=11, fill=MUTED))
    if any(subject for *_, subject, _ in cited):
        body.append(text(subject_x, top - 8, "subject (cables in this warehouse)", font_size=11, fill=MUTED))
    subject_chars = int((WIDTH - subject_x) / 6.6)
    for k, (ref, n, status, subject, held_id) in enumerate(cited):
        ry = top + k * row_h
        w = max(n / peak * bar_max, 2)
        if k % 2 == 0:
            body.append(el("rect", x=0, y=ry, width=WIDTH, height=row_h, fill="#f7f8fa"))
        link = cable_link(serve_url, held_id)
        if link:
            label_el = el(
                "text",
                esc(clip(ref, 24)),
                x=left - 10,
                y=ry + row_h / 2 + 4,
                text_anchor="end",
                font_size=12,
                fill=AREA,
                text_decoration="underline",
            )
            hint = el("title", esc(f"open {held_id} on {serve_url or 'this site'}"))
            body.append(el("a", hint + label_el, href=link, class_="cable-link"))
        else:
            body.append(text(left - 10, ry + row_h / 2 + 4, clip(ref, 24), text_anchor="end", font_size=12, fill=INK))
        body.append(
            el(
                "rect",
                el("title", esc(f"{ref}: cited by {n:,} cables; {status_caption[status]}")),
                x=left,
                y=ry + 5,
                width=w,
                height=row_h - 10,
                rx=2,
                fill=colours[status],
                class_="mark bar",
                data_status=status,
            )
        )
        body.append(text(left + w + 6, ry + row_h / 2 + 4, f"{n:,}", font_size=12, fill=INK, font_weight=600))
        if subject:
            body.append(text(subject_x, ry + row_h / 2 + 4, clip(subject, subject_chars), font_size=12, fill=MUTED))
    return svg(WIDTH, height, body, "cited", label)


# --------------------------------------------------------------------------- page

CSS = f"""
*{{box-sizing:border-box}}
body{{margin:0;background:#f5f7fa;color:{INK};font:15px/1.5 {FONT}}}
main{{max-width:1120px;margin:0 auto;padding:32px 24px 48px}}
h1{{font-size:28px;margin:0 0 4px}}
h2{{font-size:20px;margin:0 0 4px}}
h3{{font-size:15px;margin:20px 0 8px}}
.lede{{color:{MUTED};margin:0 0 20px}}
.stats{{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px;margin:0}}
.stats div{{background:white;border:1px solid {GRID};border-radius:8px;padding:12px 14px}}
.stats dt{{color:{MUTED};font-size:13px}}
.stats dd{{margin:2px 0 0;font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}}
.stats dd small{{display:block;font-size:12px;font-weight:400;color:{MUTED}}}
section{{background:white;border:1px solid {GRID};border-radius:10px;padding:20px 20px 16px;margin:24px 0}}
.caption{{color:{MUTED};margin:0 0 14px;max-width:820px}}
svg.chart{{display:block;max-width:100%;height:auto;font-family:{FONT};overflow:visible}}
footer{{color:{MUTED};font-size:13px;margin-top:24px}}
code{{font-size:13px;background:#eef1f4;padding:1px 4px;border-radius:3px}}
"""


def _stat(name: str, value: str, note: str = "") -> str:
    small = f"<small>{esc(note)}</small>" if note else ""
    return f"<div><dt>{esc(name)}</dt><dd>{esc(value)}{small}</dd></div>"


def _section(anchor: str, title: str, caption: str, *figures: str) -> str:
    head = f'<h2>{esc(title)}</h2><p class="caption">{esc(caption)}</p>'
    return f'<section id="{esc(anchor)}">{head}{"".join(figures)}</section>'


def counted(items: Sequence[object]) -> str:
    """``"8 "`` for eight items, nothing for none (``Top 8 origins``, ``Top origins``)."""
    return f"{len(items)} " if items else ""


def release_years(release_months: Sequence[tuple[int, int, int, int]]) -> dict[int, tuple[int, int]]:
    """The release's cables and of them held here, per year."""
    years: dict[int, tuple[int, int]] = {}
    for year, _, n, held in release_months:
        total, kept = years.get(year, (0, 0))
        years[year] = (total + n, kept + held)
    return years


def volume_text(data: ReportData) -> str:
    """The caption of the cables-per-month chart: what each series is, and what the reader sees."""
    months = data.months
    if not months:
        return "How many cables were written each month, in this warehouse and in the full release."
    dated = sum(n for *_, n in months)
    caption = (
        "Blue (left axis): cables in this warehouse written each month; the ticks under the axis mark every month "
        "with at least one, so isolated old cables stay visible. Orange (right axis, its own scale): cables of the "
        "full WikiLeaks release written that month. The purple line underneath is the share of each month's "
        "release that this warehouse holds: where the blue rises and the orange does not, the rise is in which "
        "cables this warehouse holds, not in how many embassies wrote."
    )
    release = {(y, m): (n, held) for y, m, n, held in data.release_months}
    last = months[-1][0] * 12 + months[-1][1] - 1
    window = [release.get(divmod(i, 12), (0, 0)) for i in range(last - 23, last + 1)]
    window = [(n, held) for n, held in window if n]
    if window:
        low, high = min(n for n, _ in window), max(n for n, _ in window)
        first_label, last_label = month_label(last - 23), month_label(last)
        caption += (
            f" From {first_label} to {last_label} the release has {low:,} to {high:,} cables a month; this warehouse "
            f"holds {share_text(sum(h for _, h in window), sum(n for n, _ in window))} of them."
        )
    year, month, n = max(months, key=lambda r: (r[2], r[0], r[1]))
    if (year, month) in release:
        total, held = release[(year, month)]
        caption += (
            f" Its busiest month, {MONTHS[month - 1]} {year} ({n:,} cables), is {share_text(held, total)} of the "
            f"release's {total:,}."
        )
    zoom = data.focus_year is not None and months[0][0] < data.focus_year <= months[-1][0]
    if zoom:
        before = sum(n for year, _, n in months if year < data.focus_year)
        caption += (
            f" The shaded span, {data.focus_year}–{months[-1][0]}, holds {percent(dated - before, dated)} of the "
            f"cables and is drawn in detail underneath; the per-origin panels and the classification chart "
            f"also start there ({before:,} older cables are left out of the panels)."
        )
    return caption


def render_html(data: ReportData, generated_at: datetime | None = None) -> str:
    """The report page for ``data``: one HTML document with inline CSS and SVG, no script."""
    t = data.totals
    generated_at = generated_at or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    stats = "".join(
        [
            _stat("Cables", thousands(t.cables), f"{t.origins:,} origins"),
            _stat(
                "Share of the release",
                share_text(t.release_held, t.release),
                f"{t.release_held:,} of its {t.release:,} cables held here",
            ),
            _stat("Written", year_range(t.first, t.last), f"{day(t.first)} – {day(t.last)}" if t.first else ""),
            _stat("Pages landed", thousands(t.pages), f"{t.other_versions:,} other versions, {t.rejects:,} rejects"),
            _stat("Canonical tags", thousands(t.tags)),
            _stat("Cable references", thousands(t.cited), f"{data.cited_summary[0]:,} distinct ids cited"),
            _stat("News articles", thousands(t.media_links), "links to articles citing a cable"),
        ]
    )
    built = f"Warehouse built {t.built_at:%Y-%m-%d %H:%M} UTC; report" if t.built_at else "Report"
    lede = f"{built} generated {generated_at:%Y-%m-%d %H:%M} UTC. Cable dates are creation dates."

    months = data.months
    volume_caption = volume_text(data)
    binned = origin_series(data.origins, data.origin_months, data.focus_year)
    if binned:
        first_year, last_year, bin_, series = binned
        peak = max((n for counts in series.values() for n in counts.values()), default=0)
        origins_caption = (
            f"The {len(data.origins)} origins with the most cables (total at the right of each name): "
            f"cables per {bin_}, {first_year}–{last_year}, on one shared scale (at most {peak:,} in a {bin_}), "
            "so the panels compare directly. In orange: the release's cables of the origin's stations per "
            f"{bin_}, on each panel's own scale (its peak at the top), and under each name the share of them in "
            f"{first_year}–{last_year} that this warehouse holds; a bar's tooltip gives the release's cables of "
            f"that {bin_}. A tall bar can mean a busy post or a well covered one."
        )
    else:
        origins_caption = "The origins with the most cables, over time."
    nf = sum(n for _, _, noforn, n in data.classification if noforn)
    classified = sum(n for *_, n in data.classification)
    merged = [
        label for label in year_buckets((y for y, *_ in data.classification), data.focus_year).values() if "–" in label
    ]
    classification_caption = (
        "Share of each classification among the cables of each year (number of cables above each bar"
        + (f"; the few cables of {merged[0]} share one bar" if merged else "")
        + "). UNCLASSIFIED includes FOR OFFICIAL USE ONLY. The hatched blocks on top are NOFORN (not releasable "
        "to foreign nationals)"
        + (f": {percent(nf, classified)} of all cables" if classified else "")
        + "; the red row gives the NOFORN share of each bar. The orange row gives the share of the year's cables "
        "of the full release that this warehouse holds: the mix is that of the cables held here, which need not be "
        "the release's."
    )
    tags_caption = (
        f"How many cables carry both tags, for the {counted(data.tags)}most frequent canonical tags "
        "(most frequent first, from the top left). Darker means more cables; hover a cell for the lift "
        "(how much more often the pair occurs than if tags were independent) and the Jaccard index, a tag for "
        "what it stands for (the tag_glossary view lists them all)."
    )
    total_ids, in_release, held = data.cited_summary
    cited_caption = (
        "Cables cited most often in the REF lines of other cables (number of citing cables). "
        f"Distinct cable ids cited: {total_ids:,}; of them in the WikiLeaks release: {in_release:,}; "
        f"in this warehouse: {held:,}."
        + (
            f" The ids of cables held here link to their pages on {data.serve_url or 'this site'}."
            if data.serve_url is not None
            else ""
        )
    )
    sections = [
        _section(
            "volume",
            "Embassy volume over time",
            volume_caption,
            volume_chart(months, data.focus_year, data.release_months),
            f'<h3>Top {counted(data.origins)}origins</h3><p class="caption">{esc(origins_caption)}</p>',
            origins_chart(data.origins, data.origin_months, data.focus_year, data.origin_release),
        ),
        _section(
            "classification",
            "Classification mix by year",
            classification_caption,
            classification_chart(data.classification, data.focus_year, release_years(data.release_months)),
        ),
        _section(
            "tags", "Tags that travel together", tags_caption, tags_chart(data.tags, data.pairs, data.tag_meanings)
        ),
        _section("cited", "Most cited cables", cited_caption, cited_chart(data.cited, data.serve_url)),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Cables warehouse report</title>"
        f"<style>{CSS}</style></head><body><main>"
        f'<header><h1>The cables warehouse</h1><p class="lede">{esc(lede)}</p><dl class="stats">{stats}</dl></header>'
        + "".join(sections)
        + "<footer>Made by <code>cables report</code> from the warehouse views <code>cable</code>, <code>tag</code>, "
        "<code>reference</code>, <code>page_version</code>, <code>reject</code>, <code>media_link</code>, "
        "<code>embassy_volume_by_month</code>, <code>tag_cooccurrence</code> and <code>tag_glossary</code>, and the "
        "release's list of cables "
        "(<code>release_cable</code>: every cable of the full release with its month of creation, the year read "
        "from its id). Self-contained: no script, no external file.</footer>"
        "</main></body></html>\n"
    )


def render_report(con: duckdb.DuckDBPyConnection, serve_url: str | None = None, *, same_site: bool = False) -> str:
    """The report page for the warehouse behind ``con`` (a read-only connection will do); with
    ``same_site``, the page ``cables serve`` serves, linking cables to its own pages."""
    return render_html(fetch(con, serve_url, same_site=same_site))


def write_report(con: duckdb.DuckDBPyConnection, out: Path, serve_url: str | None = None) -> Path:
    """Write the report page to ``out`` (replaced whole: a reader never sees half a file).

    Args:
        con: a connection to ``cables.duckdb`` (``flows.serve.connect_read_only``).
        out: the HTML file to write; its folder must exist.
        serve_url: the address of a ``cables serve`` site; cables of the page then link to
            ``<serve_url>/cable/<reference_id>``. None: no links.

    Returns:
        ``out``.
    """
    out = Path(out)
    page = render_report(con, serve_url)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
