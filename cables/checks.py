"""Data tests declared in ``sql/schema.yml``: unique, not null, accepted values, relationships."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from cables.sqlquote import sql_identifier, sql_literal


@dataclass(frozen=True)
class Check:
    """One data test: its model, kind, subject, and the SQL counting the rows that break it."""

    model: str
    kind: str
    subject: str
    sql: str

    @property
    def name(self) -> str:
        return f"{self.model}: {self.kind} {self.subject}"


def declared_checks(schema_file: Path) -> list[Check]:
    """Every data test of the schema file, as SQL returning the count of failing rows."""
    spec = yaml.safe_load(schema_file.read_text()) or {}
    checks: list[Check] = []
    for model, tests in spec.items():
        m = sql_identifier(model)
        for cols in tests.get("unique", []):
            cols = [cols] if isinstance(cols, str) else cols
            key = ", ".join(sql_identifier(c) for c in cols)
            sql = f"select count(*) from (select {key} from {m} group by all having count(*) > 1)"
            checks.append(Check(model, "unique", "(" + ", ".join(cols) + ")", sql))
        for col in tests.get("not_null", []):
            checks.append(
                Check(model, "not_null", col, f"select count(*) from {m} where {sql_identifier(col)} is null")
            )
        for col, values in (tests.get("accepted_values") or {}).items():
            c = sql_identifier(col)
            allowed = ", ".join(sql_literal(v) for v in values)
            sql = f"select count(*) from {m} where {c} is not null and {c} not in ({allowed})"
            checks.append(Check(model, "accepted_values", col, sql))
        for col, target in (tests.get("relationships") or {}).items():
            table, column = target.split(".")
            c = sql_identifier(col)
            sql = (
                f"select count(*) from {m} as child where child.{c} is not null and not exists "
                f"(select 1 from {sql_identifier(table)} as parent where parent.{sql_identifier(column)} = child.{c})"
            )
            checks.append(Check(model, "relationships", f"{col} -> {target}", sql))
        for expression in tests.get("expression_is_true", []):
            sql = f"select count(*) from {m} where not coalesce(({expression}), false)"
            checks.append(Check(model, "expression_is_true", expression, sql))
    return checks


def failed_checks(con: duckdb.DuckDBPyConnection, checks: list[Check]) -> list[tuple[Check, int]]:
    """The checks that fail on this connection, with their count of failing rows."""
    failures = []
    for check in checks:
        count = con.execute(check.sql).fetchone()[0]
        if count:
            failures.append((check, count))
    return failures
