"""Known malformed reference ids and station spellings, for ``canonical_id``.

The data is in ``data/reference/`` (see its README): ``ID_FIXES`` is ``id_fixes.csv`` (printed id ->
reference id), ``STATION_FIXES`` is ``station_fixes.csv`` (spelling -> station).
"""

from transforms.lookups import vocabulary_map

ID_FIXES: dict[str, str] = vocabulary_map("id_fixes.csv")

STATION_FIXES: dict[str, str] = vocabulary_map("station_fixes.csv")
