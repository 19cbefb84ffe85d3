"""Data tests declared in ``sql/schema.yml``: unique, not null, accepted values, relationships,
expressions, each with a severity as in dbt.

``error`` tests hold invariants of our own making (keys, codes we assign, relationships, the
reconciliation): when one fails nothing is published. ``warn`` tests are plausibility rules on
what pages say (date ranges, free-text formats): a real page may break them (a DECL date typed
2116 in the original), so the warehouse is published and the offending rows are listed, in the
run record, in ``cables check`` and in the ``data_issue`` table.

In the file, a model's tests are errors; those under its ``warn:`` key are warnings, each
expression written as ``{expression: ..., why: ..., column: ...}`` (``column`` names the value
shown for an offending row). A model's key, for the listing, is its first ``unique`` entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from cables.sqlquote import sql_identifier, sql_literal

SEVERITIES = ("error", "warn")
# A test condition naming these reads other rows than the one it tests.
_READS_ROWS = re.compile(r"\b(select|from)\b", re.IGNORECASE)
# Offending rows listed per failed warning (the count is always whole).
LISTED_ROWS = 1000


@dataclass(frozen=True)
class Check:
    """One data test: its model, kind, subject, severity, and the SQL counting the rows that break it.

    ``rows_sql``, when set, lists offending rows as (key, value) for the ``data_issue`` table.
    ``where``, for a test of each row on its own, is the condition an offending row meets: such
    tests of one model are counted together, in one pass over its rows. ``parent``, for a
    relationship (``column -> table.column`` as (column, table, column)): such tests of one parent
    key are counted together, the parent's keys read once.
    """

    model: str
    kind: str
    subject: str
    sql: str
    severity: str = "error"
    why: str = ""
    rows_sql: str | None = None
    where: str | None = None
    parent: tuple[str, str, str] | None = None

    @property
    def name(self) -> str:
        return f"{self.model}: {self.kind} {self.subject}"


def _key_sql(key: list[str]) -> str:
    """The key columns of a row as one text: ``08TRIPOLI220`` or ``08TRIPOLI220 / 3``."""
    if not key:
        return "null"
    parts = [f"coalesce(cast({sql_identifier(c)} as varchar), '')" for c in key]
    return parts[0] if len(parts) == 1 else "concat_ws(' / ', " + ", ".join(parts) + ")"


def _tests(model: str, tests: dict, key: list[str], severity: str) -> list[Check]:
    m = sql_identifier(model)
    checks: list[Check] = []

    def rows(where: str, value: str = "null") -> str:
        return f"select {_key_sql(key)} as key, cast({value} as varchar) as value from {m} where {where}"

    for cols in tests.get("unique", []):
        cols = [cols] if isinstance(cols, str) else cols
        group = ", ".join(sql_identifier(c) for c in cols)
        sql = f"select count(*) from (select {group} from {m} group by all having count(*) > 1)"
        listed = (
            f"select {_key_sql(cols)} as key, cast(count(*) as varchar) as value from {m} "
            "group by all having count(*) > 1"
        )
        checks.append(Check(model, "unique", "(" + ", ".join(cols) + ")", sql, severity, rows_sql=listed))
    for col in tests.get("not_null", []):
        where = f"{sql_identifier(col)} is null"
        checks.append(
            Check(
                model,
                "not_null",
                col,
                f"select count(*) from {m} where {where}",
                severity,
                rows_sql=rows(where),
                where=where,
            )
        )
    for col, values in (tests.get("accepted_values") or {}).items():
        c = sql_identifier(col)
        allowed = ", ".join(sql_literal(v) for v in values)
        where = f"{c} is not null and {c} not in ({allowed})"
        checks.append(
            Check(
                model,
                "accepted_values",
                col,
                f"select count(*) from {m} where {where}",
                severity,
                rows_sql=rows(where, c),
                where=where,
            )
        )
    for col, target in (tests.get("relationships") or {}).items():
        table, column = target.split(".")
        c = sql_identifier(col)
        where = (
            f"{c} is not null and not exists (select 1 from {sql_identifier(table)} as parent "
            f"where parent.{sql_identifier(column)} = {m}.{c})"
        )
        checks.append(
            Check(
                model,
                "relationships",
                f"{col} -> {target}",
                f"select count(*) from {m} where {where}",
                severity,
                rows_sql=rows(where, c),
                parent=(col, table, column),
            )
        )
    for entry in tests.get("expression_is_true", []):
        spec = entry if isinstance(entry, dict) else {"expression": entry}
        expression = spec["expression"]
        where = f"not coalesce(({expression}), false)"
        value = sql_identifier(spec["column"]) if spec.get("column") else "null"
        checks.append(
            Check(
                model,
                "expression_is_true",
                expression,
                f"select count(*) from {m} where {where}",
                severity,
                spec.get("why", ""),
                rows(where, value),
                where,
            )
        )
    return checks


def declared_checks(schema_file: Path) -> list[Check]:
    """Every data test of the schema file, as SQL returning the count of failing rows."""
    spec = yaml.safe_load(schema_file.read_text()) or {}
    checks: list[Check] = []
    for model, tests in spec.items():
        unique = tests.get("unique") or []
        key = ([unique[0]] if isinstance(unique[0], str) else list(unique[0])) if unique else []
        checks += _tests(model, tests, key, "error")
        checks += _tests(model, tests.get("warn") or {}, key, "warn")
    return checks


def failed_checks(
    con: duckdb.DuckDBPyConnection, checks: list[Check], changed: dict[str, str] | None = None
) -> list[tuple[Check, int]]:
    """The checks that fail on this connection, with their count of failing rows (in the order of
    ``checks``). The tests of single rows of one model are counted in one query over its rows.

    ``changed`` maps a model to a query of its rows a build writes (new or rewritten files): its
    error-level tests of single rows are counted over those rows only, the others having passed
    the same tests when they were published (warnings are counted over every row: their rows are
    listed whole in ``data_issue``)."""
    changed = changed or {}
    counts: dict[int, int] = {}
    # Row tests grouped by the rows they read: a model's, or those of it the build writes.
    by_rows: dict[str, list[int]] = {}
    by_parent: dict[tuple[str, str], list[int]] = {}
    for i, check in enumerate(checks):
        if check.where is not None:
            model = sql_identifier(check.model)
            # A test reading other rows (a subquery, also written from-first) is not a test of the
            # row alone ("extract(year from x)" is then left unscoped too: slower, never wrong).
            scoped = check.severity == "error" and check.model in changed and not _READS_ROWS.search(check.where)
            rows = f"({changed[check.model]}) as {model}" if scoped else model
            by_rows.setdefault(rows, []).append(i)
        elif check.parent is not None:
            by_parent.setdefault(check.parent[1:], []).append(i)
        else:
            counts[i] = con.execute(check.sql).fetchone()[0]
    for rows, indexes in by_rows.items():
        filters = ", ".join(f"count(*) filter (where {checks[i].where})" for i in indexes)
        found = con.execute(f"select {filters} from {rows}").fetchone()
        counts |= dict(zip(indexes, found, strict=True))
    for (table, column), indexes in by_parent.items():
        orphans = []
        for i in indexes:
            child, c = sql_identifier(checks[i].model), sql_identifier(checks[i].parent[0])
            orphans.append(
                f"(select count(*) from {child} anti join parent on {child}.{c} = parent.key "
                f"where {child}.{c} is not null)"
            )
        keys = f"select distinct {sql_identifier(column)} as key from {sql_identifier(table)}"
        found = con.execute(f"with parent as materialized ({keys}) select {', '.join(orphans)}").fetchone()
        counts |= dict(zip(indexes, found, strict=True))
    return [(check, counts[i]) for i, check in enumerate(checks) if counts[i]]


def issue_rows(con: duckdb.DuckDBPyConnection, failures: list[tuple[Check, int]]) -> list[dict]:
    """The offending rows of failed checks (at most ``LISTED_ROWS`` each): the rows of ``data_issue``."""
    rows = []
    for check, _ in failures:
        if check.rows_sql is None:
            continue
        for key, value in con.execute(f"{check.rows_sql} limit {LISTED_ROWS}").fetchall():
            rows.append(
                {
                    "check": check.name,
                    "severity": check.severity,
                    "table": check.model,
                    "key": key,
                    "value": value,
                    "why": check.why,
                }
            )
    return rows
