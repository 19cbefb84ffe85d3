"""The YAML files of sql/ say what their authors wrote: no description or reason cut short where
an unquoted `` #`` starts a YAML comment (``append #parN`` read as ``append``)."""

from __future__ import annotations

import pytest
import yaml

from cables.settings import SQL_DIR

YAML_FILES = ["tables.yml", "schema.yml"]


def comments_after_values(text: str) -> list[str]:
    """The lines where a comment follows an unquoted value on the same line, as ``line N: text``.

    A plain (unquoted) scalar ends where `` #`` starts a comment, so whatever follows it on its
    line was meant as part of the value or is a trailing comment, which these files do not use.
    Whole-line comments are fine.
    """
    lines = text.splitlines()
    found = []
    for token in yaml.scan(text):
        if not isinstance(token, yaml.ScalarToken) or not token.plain:
            continue
        end = token.end_mark
        rest = lines[end.line][end.column :] if end.line < len(lines) else ""
        if rest.lstrip().startswith("#"):
            found.append(f"line {end.line + 1}: {lines[end.line].strip()}")
    return found


@pytest.mark.parametrize("name", YAML_FILES)
def test_no_value_is_cut_by_a_comment(name):
    found = comments_after_values((SQL_DIR / name).read_text())
    assert not found, f"sql/{name}: quote these values (an unquoted ' #' starts a YAML comment): {found}"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("cable:\n  columns:\n    url: a path (append #parN for paragraph N)\n", ["line 3"]),
        ("cable:\n  description: one row\n    per cable #1\n", ["line 3"]),
        ("- name: x\n  why: typed by hand # in 2116\n", ["line 2"]),
        ('cable:\n  columns:\n    url: "a path (append #parN for paragraph N)"\n', []),
        ("cable:\n  columns:\n    url: a path (append#parN)\n", []),
        ("# a whole-line comment\ncable:\n  # another\n  description: one row per cable\n", []),
        ("cable:\n  description: >-\n    folded text # kept, as block scalars keep it\n", []),
    ],
)
def test_a_cut_value_is_found(text, found):
    assert [f.split(":")[0] for f in comments_after_values(text)] == found


def test_the_url_description_is_whole():
    """The description that was cut: what the loader reads now ends as written."""
    docs = yaml.safe_load((SQL_DIR / "tables.yml").read_text())
    assert docs["cable"]["columns"]["url"].endswith("append #parN for paragraph N)")
