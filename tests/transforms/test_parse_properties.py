"""Property tests: no input makes the parse raise, and every page is a cable or a reject."""

from __future__ import annotations

import hashlib

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cables.settings import SAMPLE_DIR
from transforms.parse import parsed_tables

REAL_PAGE = (SAMPLE_DIR / "chillicoder__cablegate/public/cable/2009/01/09TRIPOLI65.html").read_bytes()
HTML_BITS = st.sampled_from(
    ["<h3>Viewing cable ", "</h3>", "<table class='cable'>", "<tr>", "<td>", "</td>", "<code><pre>", "</pre></code>",
     "&#x000A;", "TAGS: ", "SUBJECT: ", "REF: A) STATE 1 B) ", "1. (C) ", "Classified By: ", "END SUMMARY", "¶", "\n",
     "<a href='/tag/X_0.html'>X</a>", "SECTION 01 OF 03", "xxxxxxxxxxxx", "\x00", "\xb6"]
)  # fmt: skip


def check(contents: list[bytes]) -> None:
    raw = pl.DataFrame(
        {"sha256": [hashlib.sha256(c).hexdigest() for c in contents], "content": contents},
        schema={"sha256": pl.String, "content": pl.Binary},
    )
    tables = parsed_tables(raw)
    pages = tables["page"]
    assert set(pages["sha256"]) == set(raw["sha256"])  # nothing lost
    rejects = pages.filter(pl.col("reject_reason").is_not_null())
    cables = pages.filter(pl.col("reject_reason").is_null())
    # Every other page is a version of a cable: read once per distinct content.
    assert cables["content_sha256"].null_count() == 0
    assert set(cables["content_sha256"]) == set(tables["cable_version"]["content_sha256"])
    assert tables["cable_version"]["content_sha256"].is_unique().all()
    assert rejects["reject_reason"].str.len_chars().min() or rejects.height == 0


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=2000), min_size=1, max_size=5))
def test_binary_junk_never_raises(contents):
    check(contents)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.one_of(HTML_BITS, st.text(max_size=40)), max_size=40), min_size=1, max_size=4))
def test_html_like_text_never_raises(pieces):
    check(["".join(p).encode("utf-8", errors="surrogatepass") for p in pieces])


@settings(max_examples=25)
@given(st.integers(min_value=0, max_value=len(REAL_PAGE)))
def test_truncated_real_pages_are_cables_or_rejects(cut):
    check([REAL_PAGE[:cut]])


def test_latin1_page_is_read():
    page = REAL_PAGE.decode("utf-8").replace("’", "'").encode("utf-8").replace(b"\xc2\xb6", b"\xb6")
    tables = parsed_tables(
        pl.DataFrame({"sha256": ["x"], "content": [page]}, schema={"sha256": pl.String, "content": pl.Binary})
    )
    assert tables["cable_version"]["reference_id"].to_list() == ["09TRIPOLI65"]


PAGES = [
    p.read_bytes()
    for p in sorted(SAMPLE_DIR.rglob("*"))
    if p.is_file() and p.name.endswith((".html", ".txt")) and p.stat().st_size < 200_000
][:12]


@st.composite
def mutated_page(draw) -> bytes:
    """A real page of the sample with a few byte-level mutations: slices cut out, repeated or
    moved, random bytes spliced in, a tag or an entity left unclosed."""
    page = bytearray(draw(st.sampled_from(PAGES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(page)))
        end = draw(st.integers(min_value=at, max_value=min(len(page), at + 4000)))
        kind = draw(st.sampled_from(["cut", "repeat", "splice", "junk"]))
        if kind == "cut":
            del page[at:end]
        elif kind == "repeat":
            page[at:at] = page[at:end] * draw(st.integers(min_value=2, max_value=5))
        elif kind == "splice":
            page[at:at] = draw(st.sampled_from(["<pre>", "</pre>", "<td>", "&#x000A;", "<a id='par3'>", "¶"])).encode()
        else:
            page[at:at] = draw(st.binary(min_size=1, max_size=64))
    return bytes(page)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(mutated_page(), min_size=1, max_size=6))
def test_mutated_real_pages_are_cables_or_rejects(contents):
    check(contents)
