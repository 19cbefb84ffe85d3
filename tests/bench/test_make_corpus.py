"""``bench/make_corpus.py``: a synthetic corpus made from real pages parses as the new cables, its text varied.

Most tests use the bundled sample as templates; those marked ``corpus`` use the shared corpus and
skip when it is absent (see ``corpus_dir`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from cables.settings import PROJECT_ROOT, SAMPLE_DIR
from flows.lookups import load_lookups
from transforms.parse import parsed_tables

SCRIPT = PROJECT_ROOT / "bench" / "make_corpus.py"
TEXT_RENDERINGS = PROJECT_ROOT / "tests" / "data" / "text-rendering"
PAGES = 300
PAGE_PATH = re.compile(r"^cable/(\d{4})/(\d\d)/([0-9A-Z]+)\.(html|txt)$")


def _module(name: str = "make_corpus") -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPT.with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


make_corpus = _module()
vocabulary = _module("vocabulary")


def generate(*args: str) -> subprocess.CompletedProcess:
    """Run the script as a user does (its writer processes are spawned)."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )


def generate_here(*args: str) -> None:
    """Run the script's ``main`` in this process, writing in this process (faster than a new Python)."""
    assert make_corpus.main([*args, "--processes", "1"]) == 0


@pytest.fixture(scope="module")
def sample_templates() -> tuple[list, list]:
    return make_corpus.load_templates(SAMPLE_DIR)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def parsed_paragraphs(files: dict[str, bytes]) -> pl.DataFrame:
    """The paragraph table of some pages (``sha256`` of the page's content, ``number``, ``text``)."""
    raw = pl.DataFrame({"sha256": [hashlib.sha256(c).hexdigest() for c in files.values()]})
    raw = raw.with_columns(pl.Series("content", list(files.values()), dtype=pl.Binary))
    tables = parsed_tables(raw, load_lookups())
    return tables["paragraph"].rename({"content_sha256": "sha256"})


def parsed(files: dict[str, bytes]) -> pl.DataFrame:
    """One row per file: its path, the parsed page and its cable version (as the build parses them)."""
    raw = pl.DataFrame(
        {"path": list(files), "sha256": [hashlib.sha256(c).hexdigest() for c in files.values()]}
    ).with_columns(pl.Series("content", list(files.values()), dtype=pl.Binary))
    tables = parsed_tables(raw.select("sha256", "content"), load_lookups())
    versions = tables["cable_version"].drop("sha256", "reference_id", "released_at")
    return (
        raw.select("path", "sha256")
        .join(tables["page"], on="sha256", how="left")
        .join(versions, on="content_sha256", how="left")
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    """300 pages from the bundled sample, written by 2 processes, with a tar of the same pages."""
    root = tmp_path_factory.mktemp("corpus")
    run = generate("--out", str(root / "out"), "--pages", str(PAGES), "--tar", str(root / "out.tar"))
    files = files_of(root / "out")
    return {"root": root, "stdout": run.stdout, "files": files, "parsed": parsed(files)}


def test_one_page_per_id_in_the_viewer_layout(corpus):
    files = corpus["files"]
    assert len(files) == PAGES
    months = dict(make_corpus.read_release())
    ids = []
    for path in files:
        match = PAGE_PATH.match(path)
        assert match, path
        year, month, reference_id, suffix = match.groups()
        assert suffix == "html"  # the sample's templates are all HTML pages
        assert int(year) == make_corpus.id_year(reference_id)
        assert int(month) == months[reference_id]
        ids.append(reference_id)
    assert len(set(ids)) == PAGES
    expected = [reference_id for reference_id, _month in make_corpus.cable_order(list(months.items()), 0)[:PAGES]]
    assert sorted(ids) == sorted(expected)
    last = corpus["stdout"].strip().splitlines()[-1]
    assert f"{PAGES:,} pages" in last and "bytes" in last and " s:" in last


def test_pages_span_the_years(corpus):
    years = {make_corpus.id_year(PAGE_PATH.match(p).group(3)) for p in corpus["files"]}
    assert len(years) >= 10
    assert min(years) == 1966 and max(years) == 2010


def test_every_page_parses_as_its_new_cable(corpus, sample_templates):
    frame = corpus["parsed"].with_columns(
        pl.col("path").str.extract(PAGE_PATH.pattern, 3).alias("new_id"),
        pl.col("path").str.extract(PAGE_PATH.pattern, 1).cast(pl.Int32).alias("new_year"),
        pl.col("path").str.extract(PAGE_PATH.pattern, 2).cast(pl.Int8).alias("new_month"),
    )
    assert frame["reject_reason"].null_count() == PAGES, frame.filter(pl.col("reject_reason").is_not_null())
    assert (frame["reference_id"] == frame["new_id"]).all()
    assert (frame["created_at"].dt.year() == frame["new_year"]).all()
    assert (frame["created_at"].dt.month() == frame["new_month"]).all()
    assert (frame["body"].str.strip_chars().str.len_chars() > 0).all()
    assert frame["origin"].to_list() == [make_corpus.origin_name(i) for i in frame["new_id"]]
    # The header's date-time group was re-keyed to the same day and hour as Created.
    with_dtg = frame.filter(pl.col("dtg").is_not_null())
    assert with_dtg.height >= PAGES * 0.8
    assert (with_dtg["dtg"].dt.date() == with_dtg["created_at"].dt.date()).all()
    assert (with_dtg["dtg"].dt.hour() == with_dtg["created_at"].dt.hour()).all()
    # No page keeps its template's id anywhere, except where the new id is the template's own.
    templates = {t.reference_id for t in sample_templates[0]}
    for path, content in corpus["files"].items():
        new_id = PAGE_PATH.match(path).group(3)
        kept = [t for t in templates if t != new_id and re.search(re.escape(t).encode() + rb"(?![0-9])", content)]
        assert not kept, (path, kept)


def later_citations(files: dict[str, bytes]) -> tuple[int, int]:
    """(cited cable ids, those of a year after the citing cable's) of some pages, as the parse reads them."""
    raw = pl.DataFrame({"sha256": [hashlib.sha256(c).hexdigest() for c in files.values()]})
    raw = raw.with_columns(pl.Series("content", list(files.values()), dtype=pl.Binary))
    tables = parsed_tables(raw, load_lookups())
    created = tables["cable_version"].select("reference_id", "content_sha256", pl.col("created_at").dt.year())
    cited = tables["reference"].join(created, on=["reference_id", "content_sha256"]).drop_nulls("referenced_id")
    years = cited.select("created_at", pl.col("referenced_id").map_elements(make_corpus.id_year, int))
    return years.height, int((years["referenced_id"] > years["created_at"]).sum())


def test_copied_text_is_the_templates_and_never_cites_a_later_cable(tmp_path, sample_templates):
    # --text copied: 300 pages go round the 55 cable pages of the sample, each page among the
    # templates of its year or earlier: the bodies are the templates' bodies unchanged, nearly all used.
    templates, skipped = sample_templates
    assert len(templates) == 55
    assert sorted(name.rsplit("/", 1)[-1] for name, _reason in skipped) == ["08TRIPOLI220.txt", "section.txt"]
    generate_here("--out", str(tmp_path), "--pages", str(PAGES), "--text", "copied")
    files = files_of(tmp_path)
    template_bodies = set(parsed({t.name: Path(t.path).read_bytes() for t in templates})["body"])
    bodies = set(parsed(files)["body"])
    assert bodies <= template_bodies and len(bodies) >= 0.8 * len(template_bodies)
    cited, later = later_citations(files)
    assert cited > 50 and later == 0


def test_varied_text_is_new_and_never_cites_a_later_cable(corpus, sample_templates):
    # The default: every page a new cable text, made of the templates' paragraphs, their words varied.
    frame = corpus["parsed"]
    template_bodies = set(parsed({t.name: Path(t.path).read_bytes() for t in sample_templates[0]})["body"])
    assert frame["body"].n_unique() == PAGES
    assert frame.filter(pl.col("body").is_in(list(template_bodies))).height <= PAGES // 20
    assert frame["subject"].n_unique() >= 0.6 * PAGES
    assert (frame["subject"].str.len_chars() > 0).mean() >= 0.9
    assert (frame["tags"].list.len() > 0).mean() >= 0.9
    # Every page keeps its template's form: as many paragraphs, numbered 1, 2, ... in order.
    paragraphs = parsed_paragraphs(corpus["files"])
    counts = paragraphs.group_by("sha256").agg(pl.len().alias("n"), pl.col("number").drop_nulls().alias("numbers"))
    assert counts.height >= 0.95 * PAGES and counts["n"].mean() >= 5
    assert (counts["numbers"].list.len() == 0).mean() < 0.1
    # Paragraph texts are rarely the same twice, though 300 pages share 32 source cables.
    assert paragraphs["text"].n_unique() >= 0.7 * paragraphs.height
    cited, later = later_citations(corpus["files"])
    assert cited > 50 and later == 0


def test_same_arguments_give_the_same_bytes(corpus, tmp_path):
    # The fixture's pages were written by 2 processes, these by this one.
    generate_here("--out", str(tmp_path / "again"), "--pages", str(PAGES))
    again = files_of(tmp_path / "again")
    digest = {path: hashlib.sha256(content).hexdigest() for path, content in corpus["files"].items()}
    assert {path: hashlib.sha256(content).hexdigest() for path, content in again.items()} == digest


def test_a_page_is_the_same_whatever_the_pages_made_before_it(sample_templates):
    # The text of a page depends on the seed and its id only: not on the chunk, the process or the
    # variants other pages drew before it (a process keeps the variants it made).
    templates = sample_templates[0]
    plan = make_corpus.Plan(make_corpus.cable_order(make_corpus.read_release(), 3)[:120], 3, 0.2, templates)
    whole = dict(plan.pages(0, 120, make_corpus.read_material(templates)))
    assert len(whole) > 120  # older builds too
    fresh = make_corpus.read_material(templates)
    later = dict(plan.pages(80, 120, fresh))
    assert later | dict(plan.pages(0, 80, fresh)) == whole
    # Another seed, the same ids: other texts.
    other = dict(make_corpus.Plan(plan.cables, 4, 0.2, templates).pages(0, 120, fresh))
    same = [p for p in whole if p in other and vocabulary.body_of(other[p]) == vocabulary.body_of(whole[p])]
    assert len(same) <= 6


def test_vocabulary_grows_with_the_pages(corpus, tmp_path):
    # Copies of 55 templates stop adding words; new texts keep adding them (a Heaps' law slope).
    generate_here("--out", str(tmp_path), "--pages", str(PAGES), "--text", "copied")
    at = (75, 150, 300)
    varied = vocabulary.measure(corpus["root"] / "out", at=at)
    copied = vocabulary.measure(tmp_path, at=at)
    assert varied.pages == copied.pages == PAGES
    assert varied.distinct_words[300] >= 1.1 * varied.distinct_words[150] >= 1.1 * 1.05 * varied.distinct_words[75]
    assert copied.distinct_words[300] <= 1.1 * copied.distinct_words[150]
    assert varied.heaps_beta > 0.18 > 0.12 > copied.heaps_beta
    assert varied.duplicate_paragraphs < 0.3 < 0.8 < copied.duplicate_paragraphs


def test_the_tar_holds_the_same_files(corpus):
    with tarfile.open(corpus["root"] / "out.tar") as tar:
        members = tar.getmembers()
        assert all(m.isfile() and m.mtime == make_corpus.TAR_MTIME and m.uid == 0 for m in members)
        in_tar = {m.name: tar.extractfile(m).read() for m in members}
    assert in_tar == corpus["files"]


def test_older_builds_under_history(tmp_path):
    generate_here("--out", str(tmp_path), "--pages", "60", "--versions", "0.5")
    files = files_of(tmp_path)
    history = {p: c for p, c in files.items() if p.startswith("_history/")}
    current = {p: c for p, c in files.items() if p.startswith("cable/")}
    assert len(current) == 60
    assert 10 <= len(history) <= 50
    frame = parsed(files).with_columns(pl.col("path").str.replace(r"^_history/[^/]+/", "").alias("page"))
    assert frame["reject_reason"].null_count() == frame.height
    pairs = frame.filter(pl.col("path").str.starts_with("_history/")).join(
        frame.filter(pl.col("path").str.starts_with("cable/")), on="page", suffix="_current"
    )
    assert pairs.height == len(history)
    assert (pairs["reference_id"] == pairs["reference_id_current"]).all()
    assert (pairs["created_at"] == pairs["created_at_current"]).all()
    assert all(re.match(r"^_history/\d{8}-\d{4}_[^/]+/cable/\d{4}/\d\d/", p) for p in history)


def test_pages_saved_as_text_keep_their_extension(tmp_path):
    generate_here("--out", str(tmp_path), "--pages", "40", "--templates", str(TEXT_RENDERINGS))
    files = files_of(tmp_path)
    assert len(files) == 40 and all(p.endswith(".txt") for p in files)
    frame = parsed(files)
    assert frame["reject_reason"].null_count() == 40
    assert (frame["reference_id"] == frame["path"].str.extract(PAGE_PATH.pattern, 3)).all()
    assert (frame["created_at"].dt.month() == frame["path"].str.extract(PAGE_PATH.pattern, 2).cast(pl.Int8)).all()
    assert frame["dtg"].null_count() == 0


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--pages", "5"], capture_output=True, text=True
    )
    assert run.returncode == 2 and "not an empty folder" in run.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_ids_stations_and_order():
    assert make_corpus.origin_name("10TRIPOLI95") == "Embassy Tripoli"
    assert make_corpus.origin_name("09STATE1234") == "Secretary of State"
    assert make_corpus.origin_name("7575LIBREVILLE1895") == "Embassy Libreville"
    assert make_corpus.origin_name("09SECTION01OF03SANJOSE525") == "Embassy San Jose"
    assert make_corpus.origin_name("08USUNNEWYORK12") == "USUN New York"
    assert (make_corpus.id_year("66BUENOSAIRES2481"), make_corpus.id_year("03ABUDHABI2641")) == (1966, 2003)
    assert [make_corpus.hour12(h) for h in (0, 10, 12, 14, 23)] == [12, 10, 12, 2, 11]
    release = make_corpus.read_release()
    assert len(release) == make_corpus.RELEASE_PAGES
    order = make_corpus.cable_order(release, 7)
    assert sorted(order) == sorted(release)
    assert order == make_corpus.cable_order(release, 7)
    assert order[:500] != make_corpus.cable_order(release, 8)[:500]
    years = {make_corpus.id_year(i) for i, _m in release}
    assert len(years) == 32
    front = [make_corpus.id_year(i) for i, _m in order[: len(years)]]
    assert front == sorted(years)


@pytest.mark.corpus
def test_pages_made_from_the_shared_corpus_parse_as_new_cables(corpus_dir, tmp_path):
    # 600 pages from the 9,490 real pages of the shared corpus: every one a cable of its new id,
    # its text new, its vocabulary growing as real text does (Heaps' law, beta about 0.4).
    pages = 600
    generate_here("--out", str(tmp_path), "--pages", str(pages), "--templates", str(corpus_dir))
    files = files_of(tmp_path)
    frame = parsed(files).with_columns(pl.col("path").str.extract(PAGE_PATH.pattern, 3).alias("new_id"))
    assert frame.height == pages and frame["reject_reason"].null_count() == pages
    assert (frame["reference_id"] == frame["new_id"]).all() and frame["reference_id"].n_unique() == pages
    assert frame["body"].n_unique() == pages
    assert frame["subject"].n_unique() >= 0.9 * pages
    paragraphs = parsed_paragraphs(files)
    assert paragraphs["sha256"].n_unique() >= 0.95 * pages
    assert paragraphs["text"].n_unique() >= 0.95 * paragraphs.height
    cited, later = later_citations(files)
    assert cited > 300 and later == 0
    growth = vocabulary.measure(tmp_path, at=(150, 300, 600))
    assert 0.3 <= growth.heaps_beta <= 0.7
    assert growth.duplicate_paragraphs < 0.08
