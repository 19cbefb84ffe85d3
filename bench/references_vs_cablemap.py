"""Cited cable ids: ours (``transforms.reference``) against cablemap's on the same pages.

Run from the project root::

    python bench/references_vs_cablemap.py --corpus DIR --anchor FILE.jsonl.gz [--examples N] [--json]

``DIR`` is a folder of saved Cable Viewer pages (searched recursively; for a page name found
several times, the copy outside ``_history`` folders is read), ``FILE`` cablemap's output on
them, one JSON object per cable with ``reference_id`` and ``references`` (as in
``shared/cablemap-anchor/anchor-output/chillicoder-1295_fix-created.jsonl.gz``, run with the
created date re-read correctly). The pages are parsed with ``transforms.parse.parsed_tables``
(no Prefect), with the release's ids from ``data/reference`` so that each disagreement can be
judged by which id exists in the 251,287-cable release.

Prints how many of cablemap's cited ids (distinct per cable) we also give for that cable, the
target being 95 %, how many ids we give that cablemap does not, and the disagreement classes
with counts and examples. ``--json`` also prints every figure as one JSON object, the last line.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import polars as pl  # noqa: E402

from transforms.lookups import Lookups  # noqa: E402
from transforms.parse import parsed_tables  # noqa: E402

ID = re.compile(r"^(\d{2})([A-Z]+?)(\d+)$")

# Why one side has an id the other lacks, tried in this order. ``who`` says which side we judge
# right: ``ours`` (cablemap wrong), ``cablemap`` (we miss), ``?`` (neither id is in the release).
CLASSES = {
    "year": "same origin and serial, another year",
    "origin": "same year and serial, another origin (cablemap turns BRUSSELS into USEUBRUSSELS)",
    "serial": "same year and origin, a serial one digit apart",
    "unmatched": "no id of ours like it",
    "page not parsed": "the page gave no cable row",
}


def read_pages(corpus: Path, names: set[str]) -> pl.DataFrame:
    """``sha256`` and ``content`` of the pages named in ``names``, one file per name."""
    chosen: dict[str, Path] = {}
    for path in sorted(corpus.rglob("*.html")):
        if path.name not in names:
            continue
        old = chosen.get(path.name)
        if old is None or ("_history" in old.parts and "_history" not in path.parts):
            chosen[path.name] = path
    contents = [p.read_bytes() for p in chosen.values()]
    return pl.DataFrame(
        {"sha256": [hashlib.sha256(c).hexdigest() for c in contents], "content": contents},
        schema={"sha256": pl.String, "content": pl.Binary},
    )


def read_anchor(anchor: Path) -> dict[str, list[str]]:
    """cablemap's cited cable ids (kind 1) per cable, distinct, in its order."""
    out: dict[str, list[str]] = {}
    with gzip.open(anchor, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            refs = row.get("references") or []
            if isinstance(refs, dict):  # an error cablemap raised
                refs = []
            ids = [r["value"] for r in refs if isinstance(r, dict) and r.get("kind") == 1 and r.get("value")]
            out[row["reference_id"]] = list(dict.fromkeys(ids))
    return out


def release_ids() -> set[str]:
    from flows.lookups import load_lookups

    return set(load_lookups().release_ids["reference_id"].to_list())


def classify(theirs: str, ours: list[str], in_release: set[str]) -> tuple[str, str, str | None]:
    """The class of a cablemap id we lack, who is right, and our nearest id."""
    m = ID.match(theirs)
    if not m:
        return "malformed", "ours", None
    for cls, same in (("year", (1, 2)), ("origin", (0, 2)), ("serial", (0, 1))):
        for mine in ours:
            n = ID.match(mine)
            if not n or not all(n.group(i + 1) == m.group(i + 1) for i in same):
                continue
            if cls == "serial" and not _near(m.group(3), n.group(3)):
                continue
            return cls, _judge(theirs, mine, in_release), mine
    return "unmatched", ("cablemap" if theirs in in_release else "?"), None


def _near(a: str, b: str) -> bool:
    """Serials that differ by one digit, or one a prefix or suffix of the other."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    return a.startswith(b) or b.startswith(a) or a.endswith(b) or b.endswith(a)


def _judge(theirs: str, mine: str, in_release: set[str]) -> str:
    a, b = theirs in in_release, mine in in_release
    if b and not a:
        return "ours"
    if a and not b:
        return "cablemap"
    return "both" if a else "?"


def compare(corpus: Path, anchor: Path, examples: int = 3) -> dict:
    """Every figure of the comparison; ``examples`` examples per disagreement class."""
    started = time.perf_counter()
    expected = read_anchor(anchor)
    names = {f"{rid}.html" for rid in expected}
    pages = read_pages(corpus, names)
    known = release_ids()
    lookups = Lookups(
        release_ids=pl.DataFrame(
            {"reference_id": sorted(known), "month": [None] * len(known)},
            schema={"reference_id": pl.String, "month": pl.Int8},
        )
    )
    parse_started = time.perf_counter()
    tables = parsed_tables(pages, lookups)
    parse_seconds = time.perf_counter() - parse_started
    refs = tables["reference"]
    ours: dict[str, list[str]] = defaultdict(list)
    raws: dict[tuple[str, str], str] = {}
    for rid, ref, raw in refs.select("reference_id", "referenced_id", "raw").iter_rows():
        if ref is not None and ref not in ours[rid]:
            ours[rid].append(ref)
            raws[(rid, ref)] = raw
    parsed = set(tables["cable_version"]["reference_id"].to_list())

    theirs_total = found = 0
    classes: Counter = Counter()
    shown: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rid, ids in expected.items():
        mine = ours.get(rid, [])
        for theirs in ids:
            theirs_total += 1
            if theirs in mine:
                found += 1
                continue
            if rid not in parsed:
                cls, who, near = "page not parsed", "?", None
            else:
                cls, who, near = classify(theirs, mine, known)
            classes[(cls, who)] += 1
            if len(shown[(cls, who)]) < examples:
                shown[(cls, who)].append(
                    f"{rid}: cablemap {theirs} ({'in' if theirs in known else 'not in'} "
                    f"release), ours {near or '-'}"
                    + (f" ({'in' if near in known else 'not in'} release)" if near else "")
                )
    extra = Counter()
    extra_shown: dict[str, list[str]] = defaultdict(list)
    for rid, mine in ours.items():
        theirs = set(expected.get(rid, []))
        if rid not in expected:
            continue
        for ref in mine:
            if ref in theirs:
                continue
            cls = "in release" if ref in known else "not in release"
            extra[cls] += 1
            if len(extra_shown[cls]) < examples:
                extra_shown[cls].append(f"{rid}: {ref} from {raws[(rid, ref)]!r}")
    ours_total = sum(len(v) for k, v in ours.items() if k in expected)
    ours_in_release = sum(r in known for k, v in ours.items() if k in expected for r in v)
    theirs_in_release = sum(r in known for v in expected.values() for r in v)
    return {
        "pages": pages.height,
        "cables_in_anchor": len(expected),
        "cablemap_ids": theirs_total,
        "found": found,
        "found_pct": round(100 * found / theirs_total, 2) if theirs_total else 100.0,
        "cablemap_ids_in_release": theirs_in_release,
        "our_ids": ours_total,
        "our_ids_in_release": ours_in_release,
        "our_rows": refs.height,
        "kinds": dict(Counter(refs["kind"].to_list())),
        "missed": {f"{c} [{w}]": n for (c, w), n in classes.most_common()},
        "missed_examples": {f"{c} [{w}]": v for (c, w), v in shown.items()},
        "extra": dict(extra),
        "extra_examples": dict(extra_shown),
        "parse_seconds": round(parse_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def report(figures: dict) -> str:
    lines = [
        f"pages read {figures['pages']}, cables in cablemap's output {figures['cables_in_anchor']}"
        f" (parse {figures['parse_seconds']} s, all {figures['seconds']} s)",
        f"cablemap's cited ids: {figures['cablemap_ids']} ({figures['cablemap_ids_in_release']} in the release)",
        f"found with the same id: {figures['found']} = {figures['found_pct']} % (target 95 %)",
        f"our cited ids: {figures['our_ids']} ({figures['our_ids_in_release']} in the release), "
        f"reference rows {figures['our_rows']}, kinds {figures['kinds']}",
        "",
        "cablemap ids we do not give, by class [who is right: ours = cablemap wrong, cablemap = we",
        "miss it, both/? = both or neither id in the release]:",
    ]
    for cls, n in figures["missed"].items():
        lines.append(f"  {n:5d}  {cls}: {CLASSES.get(cls.split(' [')[0], '')}")
        lines.extend(f"         {e}" for e in figures["missed_examples"][cls])
    lines.append("ids we give that cablemap does not (later blocks, blocks after 'Classified By', multi-id items):")
    for cls, n in figures["extra"].items():
        lines.append(f"  {n:5d}  {cls}")
        lines.extend(f"         {e}" for e in figures["extra_examples"][cls])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="folder of saved Cable Viewer pages")
    parser.add_argument("--anchor", type=Path, required=True, help="cablemap's output, .jsonl.gz")
    parser.add_argument("--examples", type=int, default=3, help="examples per disagreement class")
    parser.add_argument("--json", action="store_true", help="also print every figure as one JSON object")
    args = parser.parse_args(argv)
    figures = compare(args.corpus, args.anchor, args.examples)
    print(report(figures))
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
