"""Score the parser against the gold set: cables read by hand, field by field (``tests/gold/``).

Run from the project root::

    python bench/gold.py [--corpus-dir DIR] [--corpus-2011-dir DIR] [--show-misses] [--json]
    python bench/gold.py --draw        # the seeded random draw the gold set was read from

Prints, per field, the cables right and, for list fields, precision and recall over their items,
then the share of cables with every field right. Pages are read from the shared corpora (the
archives in ``../shared/corpus/``, or folders they were unpacked to). ``--show-misses`` prints
each wrong field: the gold value and ours. The conventions are in ``tests/gold/README.md``;
``tests/test_gold.py`` holds the floor reached.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

GOLD_DIR = PROJECT_ROOT / "tests" / "gold"
SHARED = PROJECT_ROOT.parent / "shared" / "corpus"
ARCHIVES = {
    "cablegate-pages": SHARED / "cablegate-pages.tar.xz",
    "cablegate-pages-2011": SHARED / "cablegate-pages-2011.tar.xz",
}
# The draw: this many cables from each corpus, with this seed (python bench/gold.py --draw).
DRAW = {"cablegate-pages": 62, "cablegate-pages-2011": 66}
SEED = 20261203
# The held-out set (tests/gold/holdout/): this many per corpus, another seed.
HOLDOUT_DRAW = 16
HOLDOUT_SEED = 20261204

FIELDS = (
    "subject",
    "to",
    "info",
    "tags",
    "references",
    "paragraphs",
    "signer",
    "classified_by",
    "reasons",
    "declassify_on",
    "summary_start",
    "comment_start",
    "is_partial",
)
LIST_FIELDS = {"to", "info", "tags", "references", "paragraphs"}


# ---- the draw -----------------------------------------------------------------------------------


def archive_pages(archive: Path) -> list[str]:
    """The current cable pages of an archive (not the ``_history/`` builds), by member name."""
    with tarfile.open(archive) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile() and m.name.endswith(".html")]
    return [n for n in names if "/_history/" not in n and "/cable/" in n]


def draw(archive: Path, count: int, seed: int = SEED) -> list[tuple[str, str]]:
    """``count`` cables drawn at random (seeded) from an archive, each with one of its pages."""
    by_id: dict[str, list[str]] = {}
    for name in sorted(archive_pages(archive)):
        by_id.setdefault(PurePosixPath(name).stem, []).append(name)
    rng = random.Random(seed)
    ids = rng.sample(sorted(by_id), count)
    return [(cable, rng.choice(by_id[cable])) for cable in ids]


# ---- reading pages and our fields ---------------------------------------------------------------


def load_gold(gold_dir: Path = GOLD_DIR) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(gold_dir.glob("*.json"))]


def page_bytes(gold: list[dict], folders: dict[str, Path | None]) -> dict[str, bytes]:
    """The page of each gold cable, from an unpacked folder of its corpus or from the archive."""
    pages: dict[str, bytes] = {}
    for corpus in {g["corpus"] for g in gold}:
        wanted = {g["page"]: g["reference_id"] for g in gold if g["corpus"] == corpus}
        folder = folders.get(corpus)
        if folder is not None:
            for name, cable in wanted.items():
                pages[cable] = (folder / name).read_bytes()
            continue
        with tarfile.open(ARCHIVES[corpus]) as tar:
            for member in tar:
                if member.name in wanted:
                    pages[wanted[member.name]] = tar.extractfile(member).read()
    return pages


def our_fields(pages: dict[str, bytes]) -> dict[str, dict]:
    """The parser's value of every gold field, per cable, from the pages alone."""
    import polars as pl

    from transforms.parse import parsed_tables

    ids = list(pages)
    raw = pl.DataFrame(
        {"sha256": [hashlib.sha256(pages[i]).hexdigest() for i in ids], "content": [pages[i] for i in ids]},
        schema={"sha256": pl.String, "content": pl.Binary},
    )
    tables = parsed_tables(raw)
    by_page = dict(zip(raw["sha256"], ids, strict=True))
    content_of = {
        by_page[row["sha256"]]: row["content_sha256"]
        for row in tables["page"].iter_rows(named=True)
        if row["content_sha256"]
    }
    versions = {row["content_sha256"]: row for row in tables["cable_version"].iter_rows(named=True)}

    def rows(table: str, content: str, sort: list[str]) -> list[dict]:
        frame = tables[table].filter(pl.col("content_sha256") == content).sort(sort)
        return list(frame.iter_rows(named=True))

    out = {}
    for cable in ids:
        content = content_of.get(cable)
        version = versions.get(content)
        if version is None:
            out[cable] = {"rejected": True}
            continue
        recipients = rows("recipient", content, ["position"])
        tags: list[str] = []
        for row in rows("tag", content, ["position", "part"]):
            if row["tag"] not in tags:
                tags.append(row["tag"])
        references: list[str] = []
        for row in rows("reference", content, ["position", "part"]):
            if row["referenced_id"] and row["referenced_id"] not in references:
                references.append(row["referenced_id"])
        paragraphs = [[r["number"], r["marking"]] for r in rows("paragraph", content, ["position"]) if r["number"]]
        declassify = version["declassify_on"]
        out[cable] = {
            "subject": version["subject"],
            "to": [r["name"] for r in recipients if r["kind"] == "to"],
            "info": [r["name"] for r in recipients if r["kind"] == "info"],
            "tags": tags,
            "references": references,
            "paragraphs": paragraphs,
            "signer": version["signer"],
            "classified_by": version["classified_by"],
            "reasons": version["classification_reasons"],
            "declassify_on": declassify.isoformat() if declassify else None,
            "summary_start": version["summary"],
            "comment_start": version["comment"],
            "is_partial": version["is_partial"],
        }
    return out


# ---- comparing ----------------------------------------------------------------------------------


def _spaces(text: str | None) -> str:
    return " ".join((text or "").split())


def _words(text: str | None) -> list[str]:
    return re.sub(r"[^\w]+", " ", (text or "").casefold()).split()


def _name(value: str | None) -> str:
    return _spaces(value).upper()


def _marking(value: str | None) -> str | None:
    return re.sub(r"\s+", "", value).upper() if value else None


def same_person(gold: str | None, ours: str | None) -> bool:
    """Names match when equal, or when one drops a first name or an initial of the other."""
    if not gold or not ours:
        return not gold and not ours
    a, b = _words(gold), _words(ours)
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return bool(short) and short[-1] == long_[-1] and set(short) <= set(long_)


def starts_alike(gold: str | None, ours: str | None) -> bool:
    """The gold's first words begin our text (case, punctuation and spacing aside)."""
    if gold is None or ours is None:
        return gold is None and ours is None
    want = _words(gold)
    return _words(ours)[: len(want)] == want


COMPARE: dict[str, Callable] = {
    "subject": lambda g, o: _spaces(g) == _spaces(o),
    "signer": lambda g, o: _words(g) == _words(o),
    "classified_by": same_person,
    "reasons": lambda g, o: _spaces(g).lower() == _spaces(o).lower(),
    "declassify_on": lambda g, o: g == o,
    "summary_start": starts_alike,
    "comment_start": starts_alike,
    "is_partial": lambda g, o: bool(g) == bool(o),
}


def list_items(name: str, value: list) -> list:
    """A list field's items, normalised for comparison."""
    if name in ("to", "info"):
        return [_name(v) for v in value]
    if name == "tags":
        return [_name(v) for v in value]
    if name == "paragraphs":
        return [(str(n).strip(), _marking(m)) for n, m in value]
    return [_name(v) for v in value]


@dataclass
class FieldScore:
    right: int = 0
    cables: int = 0
    gold_items: int = 0
    our_items: int = 0
    common_items: int = 0
    misses: list = field(default_factory=list)

    def precision(self) -> float:
        return self.common_items / self.our_items if self.our_items else 1.0

    def recall(self) -> float:
        return self.common_items / self.gold_items if self.gold_items else 1.0


def score(gold: list[dict], ours: dict[str, dict]) -> tuple[dict[str, FieldScore], int, int]:
    """Per-field scores, the cables with every field right, and the cables scored."""
    scores = {name: FieldScore() for name in FIELDS}
    perfect = 0
    for entry in gold:
        cable = entry["reference_id"]
        mine = ours.get(cable, {"rejected": True})
        all_right = True
        for name in FIELDS:
            s = scores[name]
            s.cables += 1
            want, got = entry[name], None if mine.get("rejected") else mine[name]
            if name in LIST_FIELDS:
                g_items, o_items = list_items(name, want), list_items(name, got or [])
                s.gold_items += len(g_items)
                s.our_items += len(o_items)
                remaining = list(o_items)
                for item in g_items:
                    if item in remaining:
                        remaining.remove(item)
                        s.common_items += 1
                ok = (set(g_items) == set(o_items)) if name == "references" else g_items == o_items
            else:
                ok = COMPARE[name](want, got)
            if ok:
                s.right += 1
            else:
                all_right = False
                s.misses.append((cable, want, got))
        perfect += all_right
    return scores, perfect, len(gold)


def report(scores: dict[str, FieldScore], perfect: int, total: int) -> str:
    lines = [f"{'field':<15} {'right':>9} {'share':>7} {'precision':>10} {'recall':>7}"]
    right = cells = 0
    for name in FIELDS:
        s = scores[name]
        right += s.right
        cells += s.cables
        p, r = (f"{s.precision():.3f}", f"{s.recall():.3f}") if name in LIST_FIELDS else ("", "")
        lines.append(f"{name:<15} {s.right:>4}/{s.cables:<4} {s.right / s.cables:>7.1%} {p:>10} {r:>7}")
    lines.append(f"{'all fields':<15} {right:>4}/{cells:<4} {right / cells:>7.1%}")
    lines.append(f"{'cables all right':<15} {perfect:>3}/{total:<4} {perfect / total:>7.1%}")
    return "\n".join(lines)


def evaluate(
    folders: dict[str, Path | None] | None = None, gold_dir: Path = GOLD_DIR
) -> tuple[dict[str, FieldScore], int, int]:
    gold = load_gold(gold_dir)
    return score(gold, our_fields(page_bytes(gold, folders or {})))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus-dir", type=Path, help="cablegate-pages.tar.xz unpacked (default: read the archive)")
    parser.add_argument("--corpus-2011-dir", type=Path, help="cablegate-pages-2011.tar.xz unpacked")
    parser.add_argument("--show-misses", action="store_true", help="print every wrong field, gold and ours")
    parser.add_argument("--field", action="append", help="show misses of this field only (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("--draw", action="store_true", help="print the seeded draw of the gold set and exit")
    parser.add_argument(
        "--holdout",
        action="store_true",
        help="score the held-out set (tests/gold/holdout/: a second draw, read after the parser was tuned)",
    )
    args = parser.parse_args()
    if args.draw:
        taken = set()
        for corpus, count in DRAW.items():
            for cable, page in draw(ARCHIVES[corpus], count):
                taken.add(cable)
                if not args.holdout:
                    print(corpus, cable, page)
        if args.holdout:  # a second draw, other seed, the first draw's cables left out
            for corpus in DRAW:
                fresh = [(c, p) for c, p in draw(ARCHIVES[corpus], 40, seed=HOLDOUT_SEED) if c not in taken]
                for cable, page in fresh[:HOLDOUT_DRAW]:
                    print(corpus, cable, page)
        return
    folders = {"cablegate-pages": args.corpus_dir, "cablegate-pages-2011": args.corpus_2011_dir}
    scores, perfect, total = evaluate(folders, GOLD_DIR / "holdout" if args.holdout else GOLD_DIR)
    if args.json:
        print(
            json.dumps(
                {
                    "fields": {
                        n: {"right": s.right, "cables": s.cables, "precision": s.precision(), "recall": s.recall()}
                        for n, s in scores.items()
                    },
                    "cables_all_right": perfect,
                    "cables": total,
                },
                indent=1,
            )
        )
        return
    print(report(scores, perfect, total))
    if args.show_misses:
        for name in FIELDS:
            if args.field and name not in args.field:
                continue
            for cable, want, got in scores[name].misses:
                print(f"\n{name} {cable}\n  gold: {want!r}\n  ours: {got!r}")


if __name__ == "__main__":
    main()
