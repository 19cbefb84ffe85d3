"""Station names that may open a cable reference id, and spelling fixes for cited origins.

The data is in ``data/reference/`` (described, with its cablemap provenance and the rules the fixes
follow, in its README): ``STATIONS`` is ``stations.csv``, ``ORIGIN_FIXES`` is ``origin_fixes.csv``
(keys written as references spell them with spaces, dots, hyphens and apostrophes removed; every
fix lands on a station, and a valid station is never rewritten).
"""

from transforms.lookups import vocabulary_map, vocabulary_set

STATIONS: frozenset[str] = vocabulary_set("stations.csv")

ORIGIN_FIXES: dict[str, str] = vocabulary_map("origin_fixes.csv")
