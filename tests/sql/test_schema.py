"""Data tests of sql/schema.yml on the sample warehouse, and proof that they catch bad rows."""

from __future__ import annotations

import duckdb
import pytest

from cables.checks import declared_checks, failed_checks
from cables.settings import SQL_DIR
from flows.serve import sql_views

CHECKS = declared_checks(SQL_DIR / "schema.yml")


def test_every_view_and_table_has_data_tests(sample_warehouse):
    tested = {check.model for check in CHECKS}
    views = {name for name, _, _ in sql_views(SQL_DIR)}
    assert views <= tested
    assert {"cable", "recipient", "tag", "reference", "paragraph", "page_version", "reject", "raw_page"} <= tested


def test_data_tests_pass_on_the_sample(sample_warehouse):
    con = duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True)
    try:
        failures = failed_checks(con, CHECKS)
    finally:
        con.close()
    assert [(f.name, n) for f, n in failures] == []


@pytest.mark.parametrize(
    ("broken", "kind"),
    [
        ("select * from cable union all select * from cable limit 40", "unique"),
        ("select * replace (null as origin) from cable", "not_null"),
        ("select * replace ('TOP SECRET' as classification) from cable", "accepted_values"),
        ("select * replace (created_at + interval 30 year as created_at) from cable", "expression_is_true"),
    ],
)
def test_data_tests_catch_broken_cables(sample_warehouse, tmp_path, broken, kind):
    con = duckdb.connect(str(tmp_path / "broken.duckdb"))
    try:
        con.execute(f"attach '{sample_warehouse / 'cables.duckdb'}' as wh (read_only)")
        con.execute("create view cable as " + broken.replace("from cable", "from wh.cable"))
        failures = failed_checks(con, [c for c in CHECKS if c.model == "cable"])
    finally:
        con.close()
    assert kind in {f.kind for f, _ in failures}


def test_relationships_catch_orphans(sample_warehouse, tmp_path):
    con = duckdb.connect(str(tmp_path / "orphan.duckdb"))
    try:
        con.execute(f"attach '{sample_warehouse / 'cables.duckdb'}' as wh (read_only)")
        con.execute("create view cable as select * from wh.cable where reference_id <> '08TRIPOLI220'")
        con.execute("create view tag as select * from wh.tag")
        failures = failed_checks(con, [c for c in CHECKS if c.model == "tag" and c.kind == "relationships"])
    finally:
        con.close()
    assert len(failures) == 1 and failures[0][1] == 5


def test_checks_counted_together_give_each_its_own_count(sample_warehouse, tmp_path):
    """Row tests of one model share one pass and relationships one read of the parent's keys:
    several failing at once, each still has the count its own query gives."""
    con = duckdb.connect(str(tmp_path / "many.duckdb"))
    try:
        con.execute(f"attach '{sample_warehouse / 'cables.duckdb'}' as wh (read_only)")
        con.execute("create view cable as select * from wh.cable where reference_id <> '08TRIPOLI220'")
        con.execute(
            "create view tag as select * replace (case when position = 1 then lower(tag) else tag end as tag, "
            "case when position = 2 then null else tag_kind end as tag_kind) from wh.tag"
        )
        for table in ("recipient", "reference", "paragraph"):
            con.execute(f"create view {table} as select * from wh.{table}")
        checks = [c for c in CHECKS if c.model in {"cable", "tag", "recipient", "reference", "paragraph"}]
        together = [(c.name, n) for c, n in failed_checks(con, checks)]
        alone = [(c.name, n) for c in checks if (n := con.execute(c.sql).fetchone()[0])]
    finally:
        con.close()
    kinds = {name.split(": ")[1].split(" ")[0] for name, _ in together}
    assert {"relationships", "expression_is_true"} <= kinds
    assert len([name for name, _ in together if "relationships" in name]) >= 3  # tag, recipient, paragraph...
    assert together == alone


def two_cables_without_origin(sample_warehouse, tmp_path) -> duckdb.DuckDBPyConnection:
    """The sample's cables, 08TRIPOLI220 and 10TRIPOLI95 without their origin and 08TRIPOLI220 with
    a DECL in 2150."""
    con = duckdb.connect(str(tmp_path / "broken.duckdb"))
    con.execute(f"attach '{sample_warehouse / 'cables.duckdb'}' as wh (read_only)")
    con.execute(
        "create view cable as select * replace ("
        "case when reference_id in ('08TRIPOLI220', '10TRIPOLI95') then null else origin end as origin, "
        "case when reference_id = '08TRIPOLI220' then date '2150-01-01' else declassify_on end as declassify_on) "
        "from wh.cable"
    )
    return con


def test_an_incremental_build_tests_single_rows_of_what_it_writes_and_lists_warnings_whole(sample_warehouse, tmp_path):
    """With ``changed`` (the rows a build writes), an error-level test of single rows counts those
    rows only (the published rest passed the same tests); warnings, and tests across rows, count
    every row."""
    # 08TRIPOLI220 as published: no origin (an error) and a DECL in 2150 (a warning);
    # 10TRIPOLI95, written by this build: no origin either.
    con = two_cables_without_origin(sample_warehouse, tmp_path)
    try:
        checks = [c for c in CHECKS if c.model == "cable"]
        whole = {c.name: n for c, n in failed_checks(con, checks)}
        changed = {"cable": "select * from cable where reference_id = '10TRIPOLI95'"}
        scoped = {c.name: n for c, n in failed_checks(con, checks, changed)}
        only_old = {"cable": "select * from cable where reference_id <> '10TRIPOLI95'"}
        unchanged = {c.name: n for c, n in failed_checks(con, checks, {"cable": "select * from cable limit 0"})}
        everything_but_new = {c.name: n for c, n in failed_checks(con, checks, only_old)}
    finally:
        con.close()
    origin = "cable: not_null origin"
    decl = "cable: expression_is_true declassify_on is null or year(declassify_on) between 1970 and 2100"
    assert whole[origin] == 2 and scoped[origin] == 1 and everything_but_new[origin] == 1
    assert origin not in unchanged
    # The warning is counted over every row whichever rows the build writes.
    assert whole[decl] == scoped[decl] == unchanged[decl] == 1


def test_a_test_reading_other_rows_counts_every_row_in_an_incremental_build(sample_warehouse, tmp_path):
    from cables.checks import Check

    con = two_cables_without_origin(sample_warehouse, tmp_path)
    try:
        # Written from-first, as DuckDB allows: a row breaks it when another row has no origin either.
        where = (
            "origin is null and exists "
            "(from cable as other where other.origin is null and other.reference_id <> cable.reference_id)"
        )
        check = Check(
            "cable",
            "expression_is_true",
            "one origin missing at most",
            f"select count(*) from cable where {where}",
            where=where,
        )
        changed = {"cable": "select * from cable where reference_id = '10TRIPOLI95'"}
        assert failed_checks(con, [check], changed) == [(check, 2)]
    finally:
        con.close()


def test_the_views_fingerprint_covers_the_tests_and_the_code_running_them(tmp_path, monkeypatch):
    """A change to the data tests, or to the code that runs them, rebuilds a reader's database and
    makes the next incremental build test every row again."""
    import shutil
    from pathlib import Path

    from flows import serve

    base = serve.views_fingerprint(SQL_DIR)
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    assert serve.views_fingerprint(sql) == base
    (sql / "schema.yml").write_text((sql / "schema.yml").read_text() + "\n")
    assert serve.views_fingerprint(sql) != base
    code = tmp_path / "checks.py"
    code.write_bytes(Path(serve.data_checks.__file__).read_bytes() + b"\n")
    monkeypatch.setattr(serve.data_checks, "__file__", str(code))
    assert serve.views_fingerprint(SQL_DIR) != base
