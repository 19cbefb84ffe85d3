"""Acronyms kept upper case when a subject is title-cased (``subject_title``).

The data is ``data/reference/acronyms.csv`` (cablemap's acronyms.txt; see the folder's README).
"""

from transforms.lookups import vocabulary_set

ACRONYMS: frozenset[str] = vocabulary_set("acronyms.csv")
