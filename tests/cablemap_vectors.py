"""Run our transforms on cablemap's test vectors and compare with what cablemap's tests expect.

cablemap (Lars Heuer, BSD licence, see ``tests/data/README.md``) is the most complete public
parser of these cables. ``tests/data/cablemap_vectors.jsonl`` holds the 916 (input, expected)
pairs of its test suite that need no whole cable (``input_kind`` ``inline``, ``html_file``,
``text_file``, ``id-table``); cablemap itself passes 654 of them (``cablemap_head_pass``).

For each vector an adapter builds the smallest input our transforms take, runs them, and turns
our output into a value comparable with ``expected``:

- inline snippets become one parsed cable page (the frame ``transforms.page.parsed_page``
  returns, built directly): ``content`` is the body, ``header`` the header; the ``year`` of a
  references vector is the citing cable's creation year. Every such page of a run goes through
  ``cable_version`` and the child tables of ``transforms.parse`` in one batch (each page has its
  own ``sha256``; all our transforms work per page);
- ``html_file`` vectors run ``transforms.parse.parsed_tables`` on the bytes of the saved page;
- ``canonical_id`` runs ``transforms.cable.canonical_id`` (an expression over a reference id
  column) or, without it, reads ``cable_version.canonical_id``.

Columns and functions are looked up when the vectors run, so columns added to the transforms
later are picked up; a field whose column does not exist is "not supported" and counts as a miss.
Every miss gets a difference class (:func:`classify`); classes starting ``convention:`` are
deliberate differences of ours from cablemap (they still count as misses).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

DATA_DIR = Path(__file__).resolve().parent / "data"
VECTORS_PATH = DATA_DIR / "cablemap_vectors.jsonl"
# cablemap's fixture files, as its vectors name them (``tests/data-subject/in/X.html``) minus ``tests/``.
FIXTURES_DIR = DATA_DIR / "cablemap"
TOTAL_VECTORS = 916
CABLEMAP_PASSED = 654

FIELDS = (
    "canonical_id",
    "tags",
    "tags_raw",
    "tag_kind",
    "subject",
    "subject_titlefied",
    "summary",
    "signed_by",
    "classified_by",
    "nondisclosure_deadline",
    "references(cable ids)",
    "references(full)",
    "recipients",
    "info_recipients",
    "clean_content",
)

# cablemap's codes for tag kinds and reference kinds, from our names.
TAG_KIND_CODES = {
    "unknown": 0,
    "subject": 1,
    "person": 2,
    "program": 3,
    "geographic": 4,
    "geo": 4,
    "organisation": 5,
    "organization": 5,
    "org": 5,
}
REFERENCE_KIND_CODES = {
    "other": 0,
    "cable": 1,
    "e-mail": 2,
    "email": 2,
    "book": 3,
    "telcon": 4,
    "report": 5,
    "fax": 6,
    "memo": 7,
    "meeting": 8,
    "web": 9,
}
# Columns that would hold a feature we do not have (yet); the first that exists is used.
TITLEFIED_COLUMNS = ("subject_titlefied", "titlefied_subject", "subject_title")
CLEAN_CONTENT_COLUMNS = ("clean_content", "clean_body", "clean_text")
STRING_FIELDS = {"subject", "summary", "subject_titlefied", "clean_content", "canonical_id"}

DEFAULT_CREATED = datetime(2008, 3, 13, 15, 3)


class Unsupported(Exception):
    """Our transforms have no output for this field (a missing function or column)."""


@dataclass
class Outcome:
    """One vector run through our transforms."""

    line: int  # 1-based line of the vector in the jsonl file
    vector: dict
    got: Any = None
    passed: bool = False
    reason: str | None = None  # difference class of a miss

    @property
    def field(self) -> str:
        return self.vector["field"]

    @property
    def cablemap_passed(self) -> bool:
        return bool(self.vector["cablemap_head_pass"])


def load_vectors(path: Path = VECTORS_PATH) -> list[dict]:
    """The vectors, in file order."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def fixture_path(name: str) -> Path:
    """A fixture named as cablemap names it (``tests/data-subject/in/X.html``), copied under tests/data."""
    return FIXTURES_DIR / name.removeprefix("tests/")


# --------------------------------------------------------------------------- inputs


def _year_of_id(cable_id: str | None) -> int | None:
    m = re.match(r"(\d{2})", cable_id or "")
    if not m:
        return None
    yy = int(m.group(1))
    return 1900 + yy if yy >= 50 else 2000 + yy


def page_input(vector: dict, index: int) -> dict:
    """The parsed-page row (header, body, created date, reference id) for an inline vector."""
    field, inp = vector["field"], vector["input"]
    header, body, tag_links = "", "", []
    if field == "tag_kind":
        body, tag_links = f"TAGS: {inp['tag']}\n", [inp["tag"]]
    elif field in ("recipients", "info_recipients"):
        header = inp["header"]
    elif field == "subject_titlefied":
        body = f"SUBJECT: {inp['subject']}\n\n"
    elif field == "clean_content" and "text_file" in inp:
        body = fixture_path(inp["text_file"]).read_text(encoding="utf-8")
    elif field == "canonical_id":
        pass
    else:
        body = inp["content"]
    own_id = inp.get("reference_id") or inp.get("cable_id")
    if "year" in inp:  # references: the citing cable's creation year
        created = datetime(int(inp["year"]), 7, 1, 12, 0)
    elif _year_of_id(own_id):
        created = DEFAULT_CREATED.replace(year=_year_of_id(own_id))
    else:
        created = DEFAULT_CREATED
    reference_id = own_id or f"{created.year % 100:02d}VECTOR{index}"
    return {
        "sha256": hashlib.sha256(f"cablemap-vector-{index}".encode()).hexdigest(),
        "reference_id": reference_id,
        "created_at": created,
        "released_at": datetime(2011, 8, 30, 1, 44),
        "classification": "UNCLASSIFIED",
        "origin": "Embassy Vector",
        "viewer_title": f"{reference_id}, VECTOR",
        "tag_links": tag_links,
        # parsed_page strips the header and turns CRLF into LF in both blocks.
        "header": header.replace("\r\n", "\n").strip(),
        "body": body.replace("\r\n", "\n"),
        "reject_reason": None,
    }


def parsed_frame(rows: list[dict]) -> pl.DataFrame:
    """Rows as the frame ``parsed_page`` returns; a column it has gained since is left null (or [])."""
    from transforms.page import parsed_page

    schema = parsed_page(pl.LazyFrame(schema={"sha256": pl.String, "text": pl.String})).collect_schema()

    def default(dtype):
        return [] if isinstance(dtype, pl.List) else None

    return pl.DataFrame(
        {name: [r.get(name, default(dtype)) for r in rows] for name, dtype in schema.items()}, schema=schema
    )


def _lookup_args(fn, lookups) -> list:
    """Lookup frames for the required parameters of a transform after the first (``routes``...)."""
    args = []
    for i, p in enumerate(inspect.signature(fn).parameters.values()):
        if i == 0 or p.default is not inspect.Parameter.empty:
            continue
        if not hasattr(lookups, p.name):
            raise TypeError(f"{fn.__name__}: don't know what to pass as {p.name}")
        args.append(getattr(lookups, p.name).lazy())
    return args


def tables_of_parsed(parsed: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """cable_version and every child table of ``transforms.parse`` for parsed pages."""
    import transforms.parse as parse

    lookups = parse.Lookups()
    versions = parse.cable_version(parsed.lazy(), *_lookup_args(parse.cable_version, lookups)).collect()
    out = {"cable_version": versions}
    for name in parse.CHILD_TABLES:
        fn = getattr(parse, name)
        out[name] = fn(versions.lazy(), *_lookup_args(fn, lookups)).collect()
    return out


def tables_of_html(paths: list[Path]) -> dict[str, pl.DataFrame]:
    """Every table ``parsed_tables`` makes of saved pages (``sha256`` = the file's hash)."""
    from transforms.parse import parsed_tables

    contents = [p.read_bytes() for p in paths]
    raw = pl.DataFrame(
        {"sha256": [hashlib.sha256(c).hexdigest() for c in contents], "content": contents},
        schema={"sha256": pl.String, "content": pl.Binary},
    )
    return parsed_tables(raw)


def _by_page(tables: dict[str, pl.DataFrame]) -> dict[str, dict[str, pl.DataFrame]]:
    """sha256 -> table name -> that page's rows."""
    out: dict[str, dict[str, pl.DataFrame]] = defaultdict(dict)
    for name, df in tables.items():
        if "sha256" not in df.columns or df.height == 0:
            continue
        for (sha,), part in df.partition_by("sha256", as_dict=True, maintain_order=True).items():
            out[sha][name] = part
    return out


# --------------------------------------------------------------------------- our output per field


class Page:
    """The tables of one page, with the empty frames (right columns) of tables it has no rows in."""

    def __init__(self, rows: dict[str, pl.DataFrame], empty: dict[str, pl.DataFrame]):
        self._rows, self._empty = rows, empty

    def table(self, name: str) -> pl.DataFrame:
        if name not in self._empty:
            raise Unsupported(f"not supported: no {name} table")
        return self._rows.get(name, self._empty[name])

    def version(self) -> dict | None:
        v = self.table("cable_version")
        return v.row(0, named=True) if v.height else None

    def value(self, column: str, table: str = "cable_version"):
        df = self.table(table)
        if column not in df.columns:
            raise Unsupported(f"not supported: no {table}.{column} column")
        return df[column][0] if df.height else None

    def ordered(self, name: str) -> pl.DataFrame:
        df = self.table(name)
        keys = [k for k in ("position", "part") if k in df.columns]
        return df.sort(keys, maintain_order=True) if keys else df


def _first_column(page: Page, names: tuple[str, ...], why: str):
    cols = page.table("cable_version").columns
    for name in names:
        if name in cols:
            return page.value(name)
    raise Unsupported(why)


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, pl.Series):
        return value.to_list()
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _tag_kind_code(kind):
    if kind is None:
        return 0
    if isinstance(kind, int):
        return kind
    return TAG_KIND_CODES.get(str(kind).lower(), kind)


def _reference_kind_code(kind):
    if isinstance(kind, int) or kind is None:
        return kind
    return REFERENCE_KIND_CODES.get(str(kind).lower(), kind)


def _recipients(page: Page, kind: str) -> list[dict]:
    df = page.ordered("recipient")
    out: list[dict] = []
    excluded_dtype = df.schema.get("excluded")
    for row in df.iter_rows(named=True):
        if row.get("kind") not in ("to", "info"):
            # An exclusion row (XMT) of its own: it belongs to the previous addressee.
            if excluded_dtype is None and row.get("kind") in ("xmt", "excluded") and out:
                out[-1]["excluded"].append(row.get("name"))
            continue
        if excluded_dtype == pl.Boolean and row.get("excluded"):
            if out and out[-1]["_kind"] == row["kind"]:
                out[-1]["excluded"].append(row.get("name"))
            continue
        excluded = _as_list(row.get("excluded")) if excluded_dtype not in (None, pl.Boolean) else []
        out.append(
            {
                "_kind": row["kind"],
                "excluded": excluded,
                "mcn": row.get("serial"),
                "name": row.get("name"),
                "precedence": row.get("precedence"),
                "route": row.get("routing_indicator"),
            }
        )
    return [{k: v for k, v in r.items() if k != "_kind"} for r in out if r["_kind"] == kind]


def _references_full(page: Page) -> list[dict]:
    df = page.ordered("reference")
    has_kind, has_title = "kind" in df.columns, "title" in df.columns
    out = []
    for row in df.iter_rows(named=True):
        cited = row.get("referenced_id")
        # Without a kind column only a resolved cable id says what the item is.
        kind = _reference_kind_code(row["kind"]) if has_kind else (1 if cited is not None else None)
        out.append(
            {
                "bullet": row.get("letter"),
                "kind": kind,
                "title": row.get("title") if has_title else None,
                "value": cited if (kind == 1 and cited is not None) else row.get("raw"),
            }
        )
    return out


def _tags(page: Page, canonical: bool) -> list:
    if not canonical:
        return _as_list(page.value("tags"))
    df = page.ordered("tag")
    if "canonical_tag" in df.columns:
        # A null canonical tag is a word of the previous tag or no tag at all (SIPDIS, page residue).
        return [c for c in df["canonical_tag"] if c is not None]
    # No canonical form yet: the printed tags stand in (see the class of the miss).
    return _as_list(page.value("tags"))


def _date_text(value):
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def extract(field: str, page: Page):
    """Our value of ``field`` for one page, shaped like cablemap's."""
    if field == "tags":
        return _tags(page, canonical=True)
    if field == "tags_raw":
        return _tags(page, canonical=False)
    if field == "tag_kind":
        df = page.ordered("tag")
        if "tag_kind" not in df.columns:
            raise Unsupported("not supported: no tag.tag_kind column")
        return _tag_kind_code(df["tag_kind"][0]) if df.height else None
    if field == "subject":
        return page.value("subject")
    if field == "summary":
        return page.value("summary")
    if field == "signed_by":
        return _as_list(page.value("signer"))
    if field == "classified_by":
        return _as_list(page.value("classified_by"))
    if field == "nondisclosure_deadline":
        return _date_text(page.value("declassify_on"))
    if field == "references(cable ids)":
        df = page.ordered("reference")
        return [r for r in df["referenced_id"].to_list() if r is not None]
    if field == "references(full)":
        return _references_full(page)
    if field == "recipients":
        return _recipients(page, "to")
    if field == "info_recipients":
        return _recipients(page, "info")
    if field == "subject_titlefied":
        return _first_column(page, TITLEFIED_COLUMNS, "not a feature of ours (no titlefied subject)")
    if field == "clean_content":
        return _first_column(page, CLEAN_CONTENT_COLUMNS, "not a feature of ours (no cleaned content)")
    if field == "canonical_id":
        return page.value("canonical_id")
    raise Unsupported(f"not supported: unknown field {field}")


# --------------------------------------------------------------------------- running


def _empty_tables(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    return {name: df.clear() for name, df in tables.items()}


def _run_pages(items: list[tuple[int, dict]], outcomes: dict[int, Outcome]) -> None:
    """Inline vectors: one parsed page each, all through the transforms at once."""
    if not items:
        return
    rows = [page_input(v, i) for i, v in items]
    try:
        batches = [(items, rows, tables_of_parsed(parsed_frame(rows)))]
    except Exception:  # one page breaks the batch: run them one by one to find it
        batches = []
        for item, row in zip(items, rows, strict=True):
            try:
                batches.append(([item], [row], tables_of_parsed(parsed_frame([row]))))
            except Exception as e:
                outcomes[item[0]].reason = f"error: {type(e).__name__}: {str(e).splitlines()[0][:120]}"
    for its, rws, tables in batches:
        pages, empty = _by_page(tables), _empty_tables(tables)
        for (i, v), row in zip(its, rws, strict=True):
            _settle(outcomes[i], extract, v["field"], Page(pages.get(row["sha256"], {}), empty))


def _run_html(items: list[tuple[int, dict]], outcomes: dict[int, Outcome]) -> None:
    paths = [fixture_path(v["input"]["html_file"]) for _, v in items]
    if not items:
        return
    try:
        tables = tables_of_html(paths)
    except Exception as e:
        for i, _ in items:
            outcomes[i].reason = f"error: {type(e).__name__}: {str(e).splitlines()[0][:120]}"
        return
    pages, empty = _by_page(tables), _empty_tables(tables)
    for (i, v), path in zip(items, paths, strict=True):
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        _settle(outcomes[i], extract, v["field"], Page(pages.get(sha, {}), empty))


def _canonical_id_expr():
    import transforms.cable as cable

    fn = getattr(cable, "canonical_id", None)
    if not callable(fn):
        return None
    try:
        return fn(pl.col("reference_id"))
    except TypeError:
        return fn("reference_id")


def _run_ids(items: list[tuple[int, dict]], outcomes: dict[int, Outcome]) -> None:
    """canonical_id: ``transforms.cable.canonical_id`` over all ids at once, else the column."""
    if not items:
        return
    try:
        expr = _canonical_id_expr()
    except Exception as e:
        expr, error = None, e
    else:
        error = None
    if expr is None:
        if error is not None:
            for i, _ in items:
                outcomes[i].reason = f"error: {type(error).__name__}: {str(error).splitlines()[0][:120]}"
            return
        _run_pages(items, outcomes)  # cable_version.canonical_id, or "not supported"
        for i, _ in items:
            o = outcomes[i]
            if o.reason and o.reason.startswith("not supported: no cable_version.canonical_id"):
                o.reason = "not supported: no transforms.cable.canonical_id, no cable_version.canonical_id column"
        return
    ids = [v["input"].get("reference_id") or v["input"].get("cable_id") for _, v in items]

    def run(batch: list[str]) -> list:
        return (
            pl.DataFrame({"reference_id": batch}, schema={"reference_id": pl.String}).select(expr).to_series().to_list()
        )

    try:
        got = run(ids)
    except Exception:
        got = []
        for one in ids:
            try:
                got.append(run([one])[0])
            except Exception as e:
                got.append(Unsupported(f"error: {type(e).__name__}: {str(e).splitlines()[0][:120]}"))
    for (i, _), value in zip(items, got, strict=True):
        if isinstance(value, Unsupported):
            outcomes[i].reason = str(value)
        else:
            _settle(outcomes[i], lambda x: x, value)


def _settle(outcome: Outcome, produce, *args) -> None:
    """Our value for the vector (``produce(*args)``), whether it passes, and why not."""
    try:
        outcome.got = produce(*args)
    except Unsupported as e:
        outcome.reason = str(e)
        return
    except Exception as e:
        outcome.reason = f"error: {type(e).__name__}: {str(e).splitlines()[0][:120]}"
        return
    outcome.passed = same(outcome.field, outcome.vector["expected"], outcome.got)
    if not outcome.passed:
        try:
            outcome.reason = classify(outcome.field, outcome.vector, outcome.got)
        except Exception as e:  # a gap in the classifier, not in the transforms
            outcome.reason = f"unclassified ({type(e).__name__} in classify)"


def evaluate(vectors: list[dict] | None = None) -> list[Outcome]:
    """Every vector run through our transforms, in file order."""
    vectors = load_vectors() if vectors is None else vectors
    outcomes = {i: Outcome(line=i + 1, vector=v) for i, v in enumerate(vectors)}
    ids, html, pages = [], [], []
    for i, v in enumerate(vectors):
        if v["field"] == "canonical_id":
            ids.append((i, v))
        elif "html_file" in v["input"]:
            html.append((i, v))
        else:
            pages.append((i, v))
    _run_ids(ids, outcomes)
    _run_html(html, outcomes)
    _run_pages(pages, outcomes)
    return [outcomes[i] for i in range(len(vectors))]


# --------------------------------------------------------------------------- comparison


def _plain(value):
    """Our value as JSON would hold it (dates as ISO text, tuples as lists)."""
    if isinstance(value, (datetime, date)):
        return _date_text(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def same(field: str, expected, got) -> bool:
    """Exact comparison; for text fields an empty string and no value are the same."""
    got = _plain(got)
    if field in STRING_FIELDS and expected in (None, "") and got in (None, ""):
        return True
    return got == expected


# Difference classes. Each field has its own checks, tried in order; the first that explains the
# miss names it. ``convention:`` marks a deliberate difference of ours (still a miss).
CONVENTION = "convention: "


def _squash(text) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def _text_diff(expected, got, what: str = "text") -> str:
    """A generic class for two texts: which end differs, or only spacing/case."""
    e, g = _squash(expected), _squash(got)
    if not g:
        return "none found"
    if not e:
        return f"found {what} where none expected"
    if e == g:
        return "line breaks/spacing differ (cablemap joins lines)"
    if e.replace(" ", "") == g.replace(" ", ""):
        return "a word broken across lines is not rejoined"
    el, gl = e.lower(), g.lower()
    if el == gl:
        return "case differs"
    if gl.startswith(el):
        return f"{what} runs on past its end"
    if el.startswith(gl):
        return f"{what} stops too early"
    if el in gl:
        return f"{what} starts too early (words before it kept)"
    if gl in el:
        return f"{what} starts too late (its first words lost)"
    return f"different {what}"


def _subject_reason(vector: dict, got) -> str:
    inp, e, g = vector["input"], _squash(vector["expected"]), _squash(got)
    content = inp.get("content", "")
    if not g and e:
        if not re.search(r"(?im)^[ \t]*SUBJ(?:ECT)?[ \t]*:", content):
            if re.search(r"(?i)SUBJ(?:ECT)?[ \t]*:", content):
                return "SUBJECT: not at a line start (inline after TAGS) not read"
            return "misspelt or colon-less label ('UBJECT:', 'SUBJECT <text>') not read"
        return "label on a line of its own, text after a blank line, not read"
    if "&#" in g and "&#" not in e:
        return "numeric HTML entities (&#8217;) not decoded"
    if "\\" in g and "\\" not in e:
        return "backslash line ends of the page ('\\') kept"
    if re.match(r"\([A-Z/]{1,6}\)\s*", g) and g[g.index(")") + 1 :].strip().startswith(e[:20]):
        return "portion marking '(C)' at the start kept"
    if g.lower().startswith(e.lower()) and len(g) > len(e):
        rest = g[len(e) :].strip()
        if re.match(r"(?i)(REFS?|REFTELS?|REF\(S\))\b", rest):
            return "runs into the REF line that follows on the same/next line"
        if re.match(r"(?i)CLASSIFIED\s+BY", rest):
            return "runs into 'Classified By' that follows without a blank line"
        if re.search(r"\d{3}(?:\.\d)?\s+OF\s+\d{3}|PAGE \d\d", rest):
            return "runs into a page marker ('PRETORIA 00000954 001.2 OF 004', 'PAGE 02')"
        if re.match(r"-{3,}", rest):
            return "runs into a '-----' heading rule"
        return "runs on into the next line of text (no blank line after the subject)"
    if "REF" in g and "REF" not in e and g.replace(" ", "").startswith(e.replace(" ", "")[:10]):
        return "runs into the REF line that follows on the same/next line"
    if e.replace(" ", "") == g.replace(" ", "").replace("- ", "-"):
        return "hyphenated line break ('US-\\nLATIN') joined with a space"
    return _text_diff(vector["expected"], got, "subject")


def _summary_reason(vector: dict, got) -> str:
    e, g = vector["expected"] or "", got or ""
    if not g:
        if not re.search(
            r"(?i)\bSUMMARY\b\s*[:.\-]", vector["input"]["content"].split("END SUMMARY")[0].split("End Summary")[0]
        ):
            return "no 'Summary:' opener (text up to END SUMMARY is the summary) not found"
        return "none found"
    sg, se = _squash(g), _squash(e)
    if re.match(r"(?i)(and|/)\s*(comment|action request|introduction|table of contents|/comment)", sg) or sg.startswith(
        "/"
    ):
        return "the rest of a 'Summary and Comment:' heading kept ('and Comment:')"
    if re.match(r"(?i)(summary\s*[:.]|=+|-+)", sg):
        return "the 'Summary' heading or its underline kept"
    if re.search(r"(?m)^\s*\d{1,2}\.\s*\(", g) and not re.search(r"(?m)^\s*\d{1,2}\.\s*\(", e):
        return "paragraph numbers/markings inside the summary kept"
    if se.endswith(".") and sg == se[:-1]:
        return "final period before END SUMMARY dropped"
    if re.search(r"(?i)END\s*SUMMARY|-{3,}", sg) and not re.search(r"(?i)END\s*SUMMARY", se):
        return "runs past 'END\\nSUMMARY' split over lines / a '---' heading"
    if sg == se or sg.rstrip(".") == se.rstrip("."):
        return "blank lines kept (cablemap collapses them)" + (" and final period dropped" if sg != se else "")
    return _text_diff(e, g, "summary")


def _signer_reason(vector: dict, got: list) -> str:
    e = vector["expected"]
    if not got and e:
        content = vector["input"]["content"]
        name = re.escape(e[0].upper())
        line = re.search(rf"(?m)^.*\b{name}\b.*$", content.upper())
        if line and re.search(rf"{name}\s*#+", line.group(0)):
            return "signer glued to '##' not read"
        if line and line.group(0).strip() != e[0].upper():
            return "signer on the same line as the last sentence ('... END OF TEXT. BAKER')"
        return "trailer after the signer (classification line, NOTE..., page footer, '.') not skipped"
    if got and not e:
        return "found a signer where none expected"
    return _text_diff(e[0] if e else "", got[0] if got else "", "name")


def _classified_by_reason(vector: dict, got: list) -> str:
    e, normalize = vector["expected"], vector["input"].get("normalize")
    if not got and e:
        return "none found"
    if got and not e:
        return "found a name where none expected"
    if len(got) < len(e):
        return "only the first of several classifiers"
    if len(got) > len(e):
        return "more names than expected"
    reasons = []
    for x, y in zip(e, got, strict=True):
        xs, ys = _squash(x).lower(), _squash(y).lower()
        if xs == ys:
            reasons.append("case differs" + (" (normalize=True: cablemap title-cases names)" if normalize else ""))
        elif re.search(r",\s*(jr|sr|ii|iii|iv)\.?$", xs) and xs.startswith(ys):
            reasons.append("suffix ', Jr.' / ', III' dropped")
        elif xs.replace(" ", "") == ys.replace(" ", ""):
            reasons.append("a name broken across lines is not rejoined ('Hoyt Y\\nee')")
        elif ys.endswith(xs) and not re.search(r"\w", ys[: len(ys) - len(xs)]):
            reasons.append("leading punctuation kept ('RSO - JOHN S. DICARLO' -> '- JOHN S. DICARLO')")
        elif ys.endswith(xs):
            reasons.append("title/role words before the name kept ('TO SUDAN', 'a.i.', 'ECONCOUNS')")
        elif ys.startswith(xs):
            reasons.append("text after the name kept ('for reas\\nons' broken across lines, '-')")
        elif xs.endswith(ys):
            reasons.append("first name lost (name after a '/' or ':')")
        elif normalize and len(xs) == len(ys):
            reasons.append("normalize=True: cablemap also fixes typos/OCR ('RICAHRD', '0.')")
        else:
            reasons.append(_text_diff(x, y, "name"))
    return reasons[0] if len(set(reasons)) == 1 else " + ".join(sorted(set(reasons)))


def _year_swapped(e, g) -> bool:
    return isinstance(e, str) and isinstance(g, str) and e[2:] == g[2:] and e[:2] != g[:2]


_ID = re.compile(r"^(\d{2})([A-Z]+?)(\d+)$")


def _known_stations() -> frozenset[str]:
    try:
        from transforms.vocabulary import STATIONS
    except ImportError:
        return frozenset()
    return frozenset(STATIONS)


def _station_differs(e, g) -> bool:
    """Two cable ids with the same year and serial but another origin."""
    me, mg = _ID.match(e or ""), _ID.match(g or "")
    return bool(me and mg and me.group(1) == mg.group(1) and me.group(3) == mg.group(3) and me.group(2) != mg.group(2))


def _serial(cited: str) -> str:
    """The serial number of a cable id (``09CAIRO491`` -> ``491``)."""
    return re.sub(r"^\d{2}[A-Z]+", "", cited)


def _serial_context(content: str, serial: str) -> str:
    """The text around the first place the serial is printed (leading zeros allowed)."""
    m = re.search(rf"(?<![\d])0*{serial}(?![\d])", content)
    return content[max(0, m.start() - 45) : m.end() + 12] if m else ""


def _missing_cited_reason(content: str, cited: str) -> str:
    """Why one cited cable of the expectation is not among ours, from the text around its serial."""
    m = _ID.match(cited)
    if not m:
        return "other"
    station, serial = m.group(2), m.group(3)
    ctx = _serial_context(content, serial)
    if not ctx:
        return "id not printed as such (cablemap corrects a serial or reads 'O1512')"
    at = ctx.rfind(serial) if serial in ctx else len(ctx)
    before, after = ctx[:at], ctx[at + len(serial) :]
    tail = before.rstrip()
    if re.search(r"\b[A-Z]+0[A-Z]*\b|\bO\d|\d[O]\d|\b[A-Z]*O\d+\b", before[-20:] + serial + after[:3]):
        return "letter O / digit 0 mixed up ('COTON0U 348', 'O4 CHENNAI', 'LAGOS O1512')"
    if re.search(r"\d{2}-[A-Z]+-0*$", tail):
        return "dash-separated id ('10-OTTAWA-57') not read"
    if re.sub(r"\W", "", after.upper()).startswith(station) and not re.sub(r"\W", "", before.upper()).endswith(station):
        return "serial before the origin ('870 Ulaanbaatar') not read"
    if tail.endswith("#"):
        return "'#' before the serial ('BAGHDAD #3565') not read"
    if re.search(r"(?i)\d\s*(AND|&|,|/)\s*0*$|\d/0*$", tail):
        return "several serials after one origin ('BRASILIA 2799 AND 2764', 'KABUL 936/935')"
    if re.search(r"¶[A-Z][.)]", content):
        return "items marked '¶B.' (viewer pilcrow before the letter) not split"
    if re.search(r"[A-Za-z]*[a-z][A-Za-z]*[ \t\n]+0*$", before):
        return "mixed-case origin ('Kabul 28', 'Sao Paulo 526') not read"
    if re.search(r"\b\d{2}[A-Z]{3,}[ \t]*$", tail):
        return "year glued to the origin ('09DHAHRAN 201') not read"
    if re.search(
        r"\[[A-Z]\]|\([A-Z]\)[A-Z]|\b[A-Z]\)[A-Z]|\b[A-Z] - |\b[A-Z]\.\)|\(\d\)|(?:^|[:\s])[A-Z] [A-Z]{3,} \d", content
    ):
        return "item letters '[A]', 'A.)', '(1)', 'B)HK', 'A - ', 'A WELLINGTON' not split"
    if re.search(r"0*" + serial + r"\s*[-/(]\s*\d{2}\b|\(\d{2}\)\s*[A-Z]", ctx):
        return "year written next to the serial ('4525-91', '00789/08', '(99) ROME') not read"
    if re.search(r"\n[ \t]*\n", before[-30:]) and station in re.sub(r"\s", "", before.upper()):
        return "item broken by a blank line ('RIO \\n\\nDE JANEIRO 1291') cut off"
    squashed = re.sub(r"[\s.\-]", "", before.upper())
    if not squashed.endswith(station):
        return "origin written differently (HK, HCMC, HO CHI MINH, ST. PETERSBURG, RIO DE JAN) not resolved"
    if len(re.findall(r"[A-Z]+", before.upper().split("\n")[-1])) >= 3 and station in squashed[-len(station) - 2 :]:
        words = re.search(r"((?:[A-Z]+[ \t]+){2,}[A-Z]+)[ \t\n]*0*$", before.upper())
        if words and len(words.group(1).split()) >= 3 and "".join(words.group(1).split()[-3:]) == station:
            return "three-word origin ('RIO DE JANEIRO 91') not resolved"
    if re.search(r"\d[ \t]*(?::|AND|&|\))?[ \t(]*[^;,\n]*$", tail) and re.search(r"\d", tail):
        return "items not separated by ';' or ',' ('TEHRAN 1091: TEHRAN 263', 'X AND Y', '(note)  HANOI 330') not split"
    return "item not recognised as a cable"


def _references_reason(vector: dict, got: list) -> str:
    inp = vector["input"]
    content = inp["content"]
    full = vector["field"] == "references(full)"
    e_items, g_items = vector["expected"], got
    e = [x["value"] for x in e_items if x["kind"] == 1] if full else list(e_items)
    g = [x["value"] for x in g_items if x["kind"] == 1] if full else list(g_items)
    if not g and e and not re.search(r"(?im)^[ \t]*(?:REFS?|REFTELS?)\b", content):
        if re.search(r"(?i)\bREF(?:S|TELS?|\(S\))?\b\s*:", content):
            return "REF block not at a line start (after the subject on the same line) not read"
        return "REF label not where expected ('A. REF AMMAN', 'PROGRAM REF:') not read"
    if (
        not g
        and e
        and re.search(r"(?m)^[ \t]*(?i:REFS?)\b[^\n]*\b[A-Z][a-z]+[ \t]+0*\d", content)
        and not re.search(r"(?i)REF[^\n]*[A-Z]{3,}\s+\d", content)
    ):
        return "mixed-case origin ('Kabul 28', 'Sao Paulo 526') not read"
    if len(e) == len(g) and e != g and all(x == y or _station_differs(x, y) for x, y in zip(e, g, strict=True)):
        pairs = sorted({(_ID.match(y).group(2), _ID.match(x).group(2)) for x, y in zip(e, g, strict=True) if x != y})
        shown = ", ".join(f"{a}->{b}" for a, b in pairs[:3])
        stations = _known_stations()
        if all(ours in stations and theirs not in stations for ours, theirs in pairs):
            return CONVENTION + "origin resolved to a known station, cablemap keeps it (ours->cablemap): " + shown
        return "origin canonicalised differently (ours->cablemap): " + shown
    if len(e) == len(g) and e != g and all(x == y or _year_swapped(x, y) for x, y in zip(e, g, strict=True)):
        swapped = [(x, y) for x, y in zip(e, g, strict=True) if x != y]
        if all(re.search(rf"(?<!\d)0*{_serial(x)}\s*[-/(]\s*\d{{2}}\b|\(\d{{2}}\)", content) for x, _ in swapped):
            return "year written next to the serial ('4525-91', '00789/08', '(99) ROME') not read"
        return CONVENTION + "year of a cited cable without one is the citing cable's created year"
    extra = [y for y in g if y not in e]
    missing = [x for x in e if x not in g]
    if extra and not missing:
        y = extra[0]
        m = _ID.match(y)
        if m and re.search(rf"0*{m.group(3)}\s+\d{{3}}(\.\d)?\s+OF\s+\d{{3}}", content):
            return "page marker ('MADRID 00000869 001.2 OF 004') read as a cited cable"
        return "a non-cable item read as a cable ('CAIRO IIR 6 899', 'STATE (01) 201265')"
    if missing:
        causes = Counter(_missing_cited_reason(content, x) for x in missing)
        cause = causes.most_common(1)[0][0]
        if extra and cause == "item not recognised as a cable":
            return "wrong id for an item (year/serial/origin read from the wrong place)"
        return cause
    if full:
        if len(e_items) == len(g_items):
            diffs = sorted(
                {
                    k
                    for x, y in zip(e_items, g_items, strict=True)
                    for k in ("bullet", "kind", "title", "value")
                    if x[k] != y[k]
                }
            )
            kinds = sorted(
                {(x["kind"], y["kind"]) for x, y in zip(e_items, g_items, strict=True) if x["kind"] != y["kind"]},
                key=str,
            )
            if diffs == ["kind"] and all(k[1] is None for k in kinds):
                return "not supported: no reference.kind column (kind of e-mails, telcons, reports...)"
            if diffs == ["kind"]:
                return "kind of a non-cable item differs (expected/ours): " + ", ".join(f"{a}/{b}" for a, b in kinds)
            if "bullet" in diffs:
                return "item letters differ (a lead item without a letter, 'A) 6307')"
            return "non-cable item text differs: " + "/".join(diffs)
        if len(g_items) > len(e_items):
            return "a non-cable item split in two ('E-mails J. Speaks' read letter 'J.')"
        return "a non-cable item (e-mail, report, FAM) not read"
    return "cited ids in another order" if sorted(e) == sorted(g) else "other"


def _tags_reason(vector: dict, got: list) -> str:
    e = list(vector["expected"])
    content = vector["input"].get("content", "")
    if not got and e:
        if not re.search(r"(?im)^[ \t]*TAGS?\b", content):
            if re.search(r"(?i)\bTAGS?\b\s*:", content):
                return "TAGS: not at a line start (inline after DECL) not read"
            return "misspelt label ('TAS:', 'TABS:', 'TGS:', 'AGS:', 'TAGES:', 'TAGS;', 'TAGS,') not read"
        return "tags glued without spaces ('KFRDKIRFCVIS...') not split"
    if e == list(dict.fromkeys(got)) or (
        len(got) > len(e)
        and [t for t in dict.fromkeys(got) if t in e] == e
        and all(re.match(r"[A-Z]{2}[A-Z]{4}$", t) or t in e for t in got)
    ):
        return "repeated tags (and 'VTPREL'-style page-break leftovers) kept; cablemap drops them"
    if "PAGE" in got and "PAGE" not in e:
        return "page header of a multi-page cable inside the TAGS line read as tags"
    if any("/" in t for t in e) and not any("/" in t for t in got):
        return "tag with '/' ('UNGA/C-6') split"
    if len(got) > len(e) and got[: len(e)] == e:
        rest = " ".join(got[len(e) :])
        if rest in ("SIPDIS",):
            return "SIPDIS after the tags read as a tag"
        return "TAGS block runs past its end (into the next line: 'E.O.', 'SUBJECT' on the same line, page header)"
    if len(got) < len(e) and got == e[: len(got)]:
        return "continuation line of the TAGS block not read"
    joined_e = "".join(e).replace(" ", "").replace(",", "").replace(".", "")
    joined_g = "".join(got).replace(" ", "").replace(",", "").replace(".", "")
    if any("," in t for t in e) and not any("," in t for t in got):
        return CONVENTION + "person tag printed as tokens ('CLINTON HILLARY'); cablemap writes 'CLINTON, HILLARY'"
    if any(re.search(r"\(.*,.*\)", t) for t in got):
        return "person in parentheses ('OVIP (STEINBERG, JAMES B.)') kept in one tag"
    if joined_e == joined_g:
        if any(" " in t for t in e) and len(got) > len(e):
            return "multi-word subject tag ('COUNTRY CLEARANCE', 'IRAQI FREEDOM') split into words"
        if len(got) < len(e):
            return "tags glued without spaces ('ETRDEINV...', 'PHUMBA') not split"
        return "words of one tag split differently ('COUNTER TERRORISM' = cablemap's 'COUNTERTERRORISM')"
    if len(got) == len(e):
        fixed = [f"{y}->{x}" for x, y in zip(e, got, strict=True) if x != y]
        if all(x.upper() == y.upper() for x, y in zip(e, got, strict=True)):
            return "case differs"
        return "misspelt tag not corrected (cablemap canonicalises: " + ", ".join(fixed[:2]) + ")"
    if any(" " in t for t in e) and len(got) > len(e):
        return "multi-word subject tag ('COUNTRY CLEARANCE', 'IRAQI FREEDOM') split into words"
    return "other"


def _recipients_reason(vector: dict, got: list) -> str:
    e = vector["expected"]
    if len(e) != len(got):
        if any(x["excluded"] for x in e) and len(got) > len(e):
            return "XMT exclusions read as addressees"
        return f"number of addressees differs (expected {len(e)}, ours {len(got)})"
    diffs = sorted({k for x, y in zip(e, got, strict=True) for k in x if x[k] != y.get(k)})
    if diffs == ["excluded"]:
        return "XMT exclusions not attached to the collective they exclude from"
    return "addressee fields differ: " + "/".join(diffs)


def classify(field: str, vector: dict, got) -> str:
    """Why ``got`` is not ``vector['expected']``: one short class per kind of difference."""
    expected, got = vector["expected"], _plain(got)
    if field in ("tags", "tags_raw"):
        return _tags_reason(vector, got)
    if field == "tag_kind":
        return "no tag row" if got is None else f"kind {got} where cablemap says {expected}"
    if field.startswith("references"):
        return _references_reason(vector, got)
    if field in ("recipients", "info_recipients"):
        return _recipients_reason(vector, got)
    if field == "signed_by":
        return _signer_reason(vector, got)
    if field == "classified_by":
        return _classified_by_reason(vector, got)
    if field == "subject":
        return _subject_reason(vector, got)
    if field == "summary":
        return _summary_reason(vector, got)
    if field == "nondisclosure_deadline":
        if got is None:
            return "none found"
        if expected is None:
            return "found a date where none expected"
        if isinstance(got, str) and got[4:] == expected[4:] and got.startswith("00"):
            return "two-digit year ('6/30/08') read as year 0008"
        return "different date"
    if field == "canonical_id":
        if got in (vector["input"].get("reference_id"), vector["input"].get("cable_id")):
            return "id left unchanged"
        return "different id"
    return _text_diff(expected, got)


# --------------------------------------------------------------------------- report


def per_field(outcomes: list[Outcome]) -> dict[str, tuple[int, int, int]]:
    """field -> (vectors, ours passed, cablemap passed), in FIELDS order."""
    counts: dict[str, list[int]] = {}
    for o in outcomes:
        c = counts.setdefault(o.field, [0, 0, 0])
        c[0] += 1
        c[1] += o.passed
        c[2] += o.cablemap_passed
    order = [f for f in FIELDS if f in counts] + sorted(f for f in counts if f not in FIELDS)
    return {f: tuple(counts[f]) for f in order}


def reasons(outcomes: list[Outcome]) -> dict[str, Counter]:
    """field -> Counter of difference classes of its misses."""
    out: dict[str, Counter] = defaultdict(Counter)
    for o in outcomes:
        if not o.passed:
            out[o.field][o.reason or "?"] += 1
    return out


def table(outcomes: list[Outcome]) -> str:
    """The per-field table and the overall line."""
    rows = per_field(outcomes)
    width = max(len(f) for f in rows) if rows else 5
    lines = [f"{'field':<{width}}  vectors  ours  cablemap"]
    for f, (n, ours, cm) in rows.items():
        lines.append(f"{f:<{width}}  {n:>7}  {ours:>4}  {cm:>8}")
    n = len(outcomes)
    ours = sum(o.passed for o in outcomes)
    cm = sum(o.cablemap_passed for o in outcomes)
    lines.append(f"{'overall':<{width}}  {n:>7}  {ours:>4}  {cm:>8}")
    if n:
        lines.append(f"ours {ours}/{n} = {100 * ours / n:.1f} %   cablemap {cm}/{n} = {100 * cm / n:.1f} %")
    return "\n".join(lines)
