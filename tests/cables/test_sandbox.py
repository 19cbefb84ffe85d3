"""The sandbox of SQL from users: no statement writes a file, and a query stays within its budget.

Each attack of the security review is here as it was typed, against a real warehouse; every file of
the warehouse and of ``data/reference/`` is hashed before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cables.sandbox import SandboxError, read_only_statement, sql_error
from flows.lookups import REFERENCE_DIR
from tests.cables.test_cli_errors import cables_error

CLI = [sys.executable, "-m", "cables.cli"]
PROJECT = Path(__file__).resolve().parents[2]


def cables(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(PROJECT), **(env or {})}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=environment, timeout=timeout)


def fingerprint(*folders: Path) -> dict[str, str]:
    """Every file under ``folders``: path -> SHA-256 (and the set of paths, so a new file shows)."""
    prints = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.endswith(".wal"):
                prints[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def attacks(w: Path) -> list[str]:
    """Statements that would write, replace or delete files (the review's three first)."""
    part = next((w / "current" / "cable").rglob("*.parquet"))
    reference = REFERENCE_DIR / "origin_group.csv"
    return [
        f"explain analyze copy (select 'PWNED' as reference_id) to '{part}' (format parquet)",
        f"explain analyze copy (select 1 a, 2 b) to '{w}/raw_page' (format parquet, partition_by (a), overwrite true)",
        f"explain analyze copy (select 'garbage' x) to '{w}/warehouse.json' (format csv)",
        f"EXPLAIN ANALYZE COPY (SELECT 1) TO '{reference}' (FORMAT csv)",
        f"explain (analyze) copy (select 1) to '{w}/x.csv'",
        f"explain (format json, analyze true) copy (select 1) to '{w}/x.csv'",
        f"explain copy (select 1) to '{w}/x.csv'",
        f"  /* a comment first */ explain analyze copy (select 1) to '{w}/x.csv'",
        f"copy (select 1) to '{w}/x.csv'",
        f"copy cable to '{w}/x.parquet'",
        f"export database '{w}/dump'",
        f"explain analyze export database '{w}/dump'",
        f"with t as (select 1) copy t to '{w}/x.csv'",
        f"select 1; copy (select 1) to '{w}/x.csv'",
        f"attach '{w}/other.duckdb' as o",
        f"explain analyze attach '{w}/other.duckdb' as o",
        "create table t as select 1",
        "explain analyze create table t as select 1",
        "insert into cable select * from cable",
        "explain analyze insert into cable select * from cable",
        "set enable_external_access = true",
        "pragma enable_profiling",
        f"set profiling_output = '{w}/warehouse.json'",
        "call pragma_version()",
        "install httpfs",
        "load httpfs",
    ]


def test_no_sandboxed_statement_writes_a_file(sample_warehouse, tmp_path):
    w = sample_warehouse
    before = fingerprint(w, REFERENCE_DIR)
    for statement in attacks(w):
        out = cables("sql", "-w", str(w), statement)
        assert out.returncode == 1, (statement, out.stdout)
        cables_error(out)  # one line, or with DuckDB's parser hints (LINE 1 and a caret) under it
        exported = cables(
            "export", "-w", str(w), "--query", statement, "--format", "csv", "-o", str(tmp_path / "x.csv")
        )
        assert exported.returncode == 1 and exported.stderr.startswith("cables: "), (statement, exported.stderr)
    assert fingerprint(w, REFERENCE_DIR) == before
    assert not (tmp_path / "x.csv").exists()
    # The warehouse still answers.
    out = cables("sql", "-w", str(w), "--format", "csv", "select count(*) from cable")
    assert out.returncode == 0 and int(out.stdout.split()[-1]) > 0


@pytest.mark.parametrize(
    "statement",
    [
        "explain analyze copy (select 1) to 'x.csv'",
        "EXPLAIN (ANALYZE) COPY (SELECT 1) TO 'x.csv'",
        "explain export database 'x'",
        "explain analyze insert into t values (1)",
        "explain analyze attach 'x.duckdb'",
        "explain",
    ],
)
def test_explain_is_allowed_of_queries_only(statement):
    with pytest.raises(SandboxError):
        read_only_statement(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "explain select 1",
        "explain analyze select count(*) from range(10)",
        "EXPLAIN (FORMAT json) SELECT 1",
        "explain analyze with t as (select 1 x) select * from t",
        "describe select 1",
        "summarize select 1",
        "from range(3)",
        "with t as (select 1 x) select * from t",
    ],
)
def test_queries_and_their_explain_are_allowed(statement):
    assert read_only_statement(statement) == statement


def _restricted(code: str, allowed: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a child that called forbid_writes([allowed]) first (the second wall alone)."""
    prelude = (
        "import sys; from pathlib import Path; from cables.sandbox import forbid_writes\n"
        f"if not forbid_writes([Path({str(allowed)!r})]): sys.exit(77)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        timeout=60,
    )


def test_the_kernel_wall_stops_writes_even_when_duckdb_would_copy(tmp_path):
    """Landlock alone: a DuckDB COPY with no other wall, and Python's own writes, all fail."""
    target, allowed = tmp_path / "warehouse", tmp_path / "spill"
    target.mkdir()
    allowed.mkdir()
    (target / "warehouse.json").write_text("{}")
    code = f"""
import duckdb, os
w = {str(target)!r}
failures = []
for statement in [f"copy (select 1) to '{{w}}/x.csv'", f"copy (select 'x') to '{{w}}/warehouse.json' (format csv)"]:
    try:
        duckdb.connect().execute(statement)
    except duckdb.Error as exc:
        failures.append('duckdb')
for action in (lambda: open(w + '/new.txt', 'w'), lambda: open(w + '/warehouse.json', 'r+'),
               lambda: os.truncate(w + '/warehouse.json', 0), lambda: os.remove(w + '/warehouse.json'),
               lambda: os.mkdir(w + '/d'), lambda: os.rename(w + '/warehouse.json', w + '/moved')):
    try:
        action()
    except PermissionError:
        failures.append('os')
duckdb.connect().execute(f"copy (select 1) to '{allowed}/ok.csv'")
print(len(failures))
"""
    out = _restricted(code, allowed)
    if out.returncode == 77:
        pytest.skip("this kernel has no Landlock: the parser and DuckDB's settings stand alone")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["8"]
    assert sorted(p.name for p in target.iterdir()) == ["warehouse.json"]
    assert (target / "warehouse.json").read_text() == "{}"
    assert (allowed / "ok.csv").exists()


def test_a_runaway_query_ends_at_the_timeout(sample_warehouse):
    start = time.monotonic()
    out = cables(
        "sql",
        "-w",
        str(sample_warehouse),
        "select count(*) from range(1e13::bigint)",
        env={"CABLES_QUERY_TIMEOUT": "3"},
    )
    elapsed = time.monotonic() - start
    assert out.returncode == 1
    assert out.stderr == "cables: the query ran longer than 3 s and was stopped (CABLES_QUERY_TIMEOUT)\n"
    assert elapsed < 3 + 20  # the timeout, plus starting Python twice on a loaded machine


def test_max_rows_streams_instead_of_reading_everything(sample_warehouse):
    """300 million rows, 5 shown: the query process is stopped after the first batch, memory low."""
    code = (
        "import resource, sys\n"
        "from click.testing import CliRunner\n"
        "from cables.cli import main\n"
        f"r = CliRunner().invoke(main, ['sql', '-w', {str(sample_warehouse)!r}, '--max-rows', '5',"
        " 'select * from range(300000000)'])\n"
        "print(r.exit_code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,"
        " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
        "print(r.output)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    status, child_mb, self_mb = (int(x) for x in out.stdout.split("\n", 1)[0].split())
    assert status == 0, out.stdout + out.stderr
    assert "more than 5 rows, 5 shown" in out.stdout
    assert child_mb < 1000 and self_mb < 1000, (child_mb, self_mb)  # was 6 GB


def test_memory_is_capped(sample_warehouse):
    out = cables(
        "sql",
        "-w",
        str(sample_warehouse),
        "select list(i) from range(100000000) t(i)",
        env={"CABLES_QUERY_MAX_RSS_MB": "300", "CABLES_QUERY_MEMORY": "4GB"},
    )
    assert out.returncode == 1
    assert out.stderr.startswith("cables: ") and out.stderr.count("\n") == 1, out.stderr
    assert "memory" in out.stderr.lower()


def test_duckdb_memory_limit_is_a_one_line_error(sample_warehouse):
    out = cables(
        "sql",
        "-w",
        str(sample_warehouse),
        "select list(i) from range(50000000) t(i)",
        env={"CABLES_QUERY_MEMORY": "100MB", "CABLES_QUERY_MAX_RSS_MB": "4000"},
    )
    assert out.returncode == 1
    assert out.stderr.startswith("cables: SQL error: Out of Memory") and out.stderr.count("\n") == 1, out.stderr


def test_spill_folder_is_capped_outside_the_warehouse_and_removed(sample_warehouse, tmp_path):
    before = fingerprint(sample_warehouse)
    query = (
        "select current_setting('temp_directory') t, current_setting('max_temp_directory_size') m, "
        "current_setting('memory_limit') l"
    )
    out = cables(
        "sql",
        "-w",
        str(sample_warehouse),
        "--format",
        "json",
        query,
        env={"CABLES_QUERY_MEMORY": "64MB", "CABLES_QUERY_TEMP_SIZE": "1MB", "TMPDIR": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    assert Path(row["t"]).is_relative_to(tmp_path) and not Path(row["t"]).is_relative_to(sample_warehouse)
    assert row["m"] == "976.5 KiB" and row["l"] == "61.0 MiB"
    assert list(tmp_path.iterdir()) == []  # the query's folder is gone
    assert fingerprint(sample_warehouse) == before


def test_sql_reads_only_published_folders(sample_warehouse):
    """The manifest and the run records are not the tables: the sandbox does not read them."""
    run_record = next((sample_warehouse / "runs").rglob("*.json"))
    for path in (sample_warehouse / "warehouse.json", run_record):
        out = cables("sql", "-w", str(sample_warehouse), f"select * from read_blob('{path}')")
        assert out.returncode == 1 and "Permission Error" in out.stderr, (path, out.stderr)


def test_export_never_replaces_a_users_folder(sample_warehouse, tmp_path):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("years of work")
    w = str(sample_warehouse)
    for args in (
        ["cable", "--format", "csv", "-o", str(thesis), "--overwrite"],
        ["cable", "--format", "parquet", "-o", str(thesis), "--overwrite", "--partition-by", "origin"],
        ["cable", "--format", "csv", "-o", ".", "--overwrite"],
        ["cable", "--format", "csv", "-o", "..", "--overwrite"],
    ):
        out = subprocess.run(
            [*CLI, "export", "-w", w, *args],
            capture_output=True,
            text=True,
            cwd=thesis,
            env={**os.environ, "PYTHONPATH": str(PROJECT)},
            timeout=120,
        )
        assert out.returncode == 1 and out.stderr.startswith("cables: "), (args, out.stderr)
    assert (thesis / "chapter1.tex").read_text() == "years of work"
    assert sorted(p.name for p in thesis.iterdir()) == ["chapter1.tex"]
    # An earlier export of partitions is replaced.
    parts = tmp_path / "parts"
    for _ in range(2):
        out = cables(
            "export",
            "-w",
            w,
            "cable",
            "--format",
            "parquet",
            "-o",
            str(parts),
            "--overwrite",
            "--partition-by",
            "origin",
        )
        assert out.returncode == 0, out.stderr


def test_the_warehouse_check_resolves_dots_and_symlinks(sample_warehouse, tmp_path):
    w = sample_warehouse
    link = tmp_path / "innocent"
    link.symlink_to(w)
    before = fingerprint(w)
    targets = [
        str(tmp_path / ".." / w.parent.name / w.name / "warehouse.json"),
        f"{w}/../{w.name}/x.csv",
        str(link / "warehouse.json"),
        str(link / "x.csv"),
    ]
    for target in targets:
        out = cables("export", "-w", str(w), "cable", "--format", "csv", "-o", target, "--overwrite")
        assert out.returncode == 1 and "inside the warehouse" in out.stderr, (target, out.stderr)
        report = cables("report", "-w", str(w), "--out", target, "--overwrite")
        assert report.returncode == 1 and "inside the warehouse" in report.stderr, (target, report.stderr)
    report = cables("report", "-w", str(w), "--out", str(w / "warehouse.json"), "--overwrite")
    assert report.returncode == 1 and "inside the warehouse" in report.stderr
    assert fingerprint(w) == before
    assert json.loads((w / "warehouse.json").read_text())["snapshot"]


def test_sql_errors_keep_duckdbs_hints_but_not_its_advice_on_settings():
    import duckdb

    con = duckdb.connect(config={"memory_limit": "20MB", "threads": 1})
    con.execute("create table cable (origin varchar, subject varchar)")
    with pytest.raises(duckdb.Error) as misspelt:
        con.execute("select count(*)\nfrom cable\nwhere subjct like '%LIBYA%'")
    first, *hints = sql_error(misspelt.value).splitlines()
    assert first == 'SQL error: Binder Error: Referenced column "subjct" not found in FROM clause!'
    assert hints[0].startswith('  Candidate bindings: "subject"')
    assert hints[1] == "  LINE 3: where subjct like '%LIBYA%'" and hints[2].index("^") == hints[1].index("subjct")
    with pytest.raises(duckdb.Error) as memory:
        con.execute("select list(i) from range(20000000) t(i)").fetchall()
    assert sql_error(memory.value).startswith("SQL error: Out of Memory Error")
    assert "\n" not in sql_error(memory.value)  # no SET advice: the sandbox's settings are locked
