"""Accuracy against cablemap: run its 916 applicable test vectors through our transforms.

Run from the project root::

    python bench/accuracy.py [--field F] [--show-misses N] [--full]

Prints, per field, the number of vectors, how many our transforms pass and how many cablemap
passes, then the overall rate, ours against cablemap's 654/916. ``--field`` keeps one field
(repeatable). ``--show-misses N`` also prints the "difference classes" of every field (why we
miss, with counts; ``convention:`` classes are deliberate differences of ours) and up to N
failing vectors per field: line in ``tests/data/cablemap_vectors.jsonl``, class, input, expected
and got. Inputs longer than 700 characters keep their first and last 350 unless ``--full``.

The vectors, the adapters and the difference classes are in ``tests/cablemap_vectors.py``; the
acceptance test ``tests/test_cablemap_vectors.py`` keeps the overall rate from dropping.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.cablemap_vectors import (  # noqa: E402
    CABLEMAP_PASSED,
    FIELDS,
    TOTAL_VECTORS,
    VECTORS_PATH,
    Outcome,
    evaluate,
    load_vectors,
    per_field,
    reasons,
)

INPUT_LIMIT = 700


def _show(value, full: bool) -> str:
    """JSON text of a value; a long one keeps its start and its end (signers are at the end)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if not full and len(text) > INPUT_LIMIT:
        head, tail = INPUT_LIMIT // 2, INPUT_LIMIT // 2
        return f"{text[:head]} ... [{len(text) - head - tail} characters cut, --full] ... {text[-tail:]}"
    return text


def _examples(misses: list[Outcome], n: int) -> list[Outcome]:
    """Up to n misses, taken in turn from each class, the most frequent class first."""
    by_class: dict[str, list[Outcome]] = {}
    for o in misses:
        by_class.setdefault(o.reason or "?", []).append(o)
    queues = sorted(by_class.values(), key=len, reverse=True)
    picked: list[Outcome] = []
    while len(picked) < n and any(queues):
        for q in queues:
            if q and len(picked) < n:
                picked.append(q.pop(0))
    return picked


def print_table(outcomes: list[Outcome], filtered: bool) -> None:
    rows = per_field(outcomes)
    width = max([len("field"), *(len(f) for f in rows)])
    print(f"{'field':<{width}}  {'vectors':>7}  {'ours':>5}  {'cablemap':>8}  {'ours %':>6}  {'cablemap %':>10}")
    for field, (n, ours, cm) in rows.items():
        print(f"{field:<{width}}  {n:>7}  {ours:>5}  {cm:>8}  {100 * ours / n:>6.1f}  {100 * cm / n:>10.1f}")
    n = len(outcomes)
    ours = sum(o.passed for o in outcomes)
    cm = sum(o.cablemap_passed for o in outcomes)
    print(f"{'overall':<{width}}  {n:>7}  {ours:>5}  {cm:>8}  {100 * ours / n:>6.1f}  {100 * cm / n:>10.1f}")
    print()
    if filtered:
        print(f"ours {ours}/{n} against cablemap {cm}/{n} on the selected fields")
    else:
        print(
            f"ours {ours}/{TOTAL_VECTORS} = {100 * ours / TOTAL_VECTORS:.1f} %   "
            f"cablemap {CABLEMAP_PASSED}/{TOTAL_VECTORS} = {100 * CABLEMAP_PASSED / TOTAL_VECTORS:.1f} %"
        )
    both = sum(o.passed and o.cablemap_passed for o in outcomes)
    only_ours = sum(o.passed and not o.cablemap_passed for o in outcomes)
    only_cm = sum(o.cablemap_passed and not o.passed for o in outcomes)
    print(f"both pass {both}, only ours {only_ours}, only cablemap {only_cm}")


def print_classes(outcomes: list[Outcome]) -> None:
    print("\n== difference classes (why we miss; 'convention:' = deliberate, still a miss) ==")
    for field, counter in reasons(outcomes).items():
        print(f"\n{field} ({sum(counter.values())} misses)")
        for reason, count in counter.most_common():
            print(f"  {count:>4}  {reason}")


def print_misses(outcomes: list[Outcome], n: int, full: bool) -> None:
    print(f"\n== misses (up to {n} per field, one class after another) ==")
    for field in per_field(outcomes):
        misses = [o for o in outcomes if o.field == field and not o.passed]
        if not misses:
            continue
        print(f"\n--- {field}: {len(misses)} misses ---")
        for o in _examples(misses, n):
            cm = "cablemap passes" if o.cablemap_passed else "cablemap misses too"
            print(f"[line {o.line}, {o.vector['test']}, {cm}] {o.reason}")
            print(f"  input:    {_show(o.vector['input'], full)}")
            print(f"  expected: {_show(o.vector['expected'], full)}")
            print(f"  got:      {_show(o.got, full)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--field", action="append", choices=FIELDS, help="only this field (repeatable)")
    parser.add_argument("--show-misses", type=int, metavar="N", help="print difference classes and N misses per field")
    parser.add_argument("--full", action="store_true", help="print inputs whole")
    args = parser.parse_args(argv)

    numbered = [(n, v) for n, v in enumerate(load_vectors(), start=1) if not args.field or v["field"] in args.field]
    vectors = [v for _, v in numbered]
    start = time.perf_counter()
    outcomes = evaluate(vectors)
    seconds = time.perf_counter() - start
    for o, (line, _) in zip(outcomes, numbered, strict=True):
        o.line = line  # the line in the file, also when --field keeps only some
    print(f"cablemap test vectors: {len(vectors)} from {VECTORS_PATH.relative_to(PROJECT_ROOT)} ({seconds:.1f} s)\n")
    print_table(outcomes, filtered=bool(args.field))
    errors = Counter(o.field for o in outcomes if (o.reason or "").startswith("error:"))
    if errors:
        print(f"\nWARNING: our transforms raised on {sum(errors.values())} vectors: {dict(errors)}")
    if args.show_misses is not None:
        print_classes(outcomes)
        if args.show_misses > 0:
            print_misses(outcomes, args.show_misses, args.full)
    return 0


if __name__ == "__main__":
    sys.exit(main())
