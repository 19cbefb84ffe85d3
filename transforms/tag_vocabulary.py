"""Tag vocabulary: typo and glued-tag fixes, multi-word tags and the word lists behind ``tag_kind``.

The data is in ``data/reference/`` (see its README for the provenance of each file, cablemap's
tables and this project's additions, and cablemap's BSD licence):

- ``CABLEMAP_TAG_FIXES`` and ``PROJECT_TAG_FIXES``: the ``cablemap`` and ``project`` rows of
  ``tag_fixes.csv``, printed tag -> canonical tag(s);
- ``MULTI_WORD_TAGS``: ``multi_word_tags.csv``, tags of several words, which the viewer links
  word by word, so they are printed as consecutive tags;
- ``SUBJECT_TAGS`` and ``ORGANISATION_TAGS``: ``subject_tags.csv`` and ``organisation_tags.csv``,
  cablemap's subject-tags.txt and organization-tags.txt (upper-cased);
- ``PROJECT_TAG_KINDS``: ``tag_kinds.csv``, kinds for tags cablemap's rules leave unknown (or, for
  EU and UN, call geographic).
"""

from transforms.lookups import tag_fixes, vocabulary_map, vocabulary_set

CABLEMAP_TAG_FIXES: dict[str, tuple[str, ...]] = tag_fixes("cablemap")

PROJECT_TAG_FIXES: dict[str, tuple[str, ...]] = tag_fixes("project")

MULTI_WORD_TAGS: frozenset[str] = vocabulary_set("multi_word_tags.csv")

SUBJECT_TAGS: frozenset[str] = vocabulary_set("subject_tags.csv")

ORGANISATION_TAGS: frozenset[str] = vocabulary_set("organisation_tags.csv")

PROJECT_TAG_KINDS: dict[str, str] = vocabulary_map("tag_kinds.csv")
