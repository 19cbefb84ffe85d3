"""Quoting of names and values written into SQL text (DuckDB syntax)."""

from __future__ import annotations


def sql_literal(value: object) -> str:
    """A string literal: ``it's`` -> ``'it''s'``."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted identifier: inner double quotes doubled, the whole in double quotes."""
    return '"' + name.replace('"', '""') + '"'
