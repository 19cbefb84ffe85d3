"""The ``cables`` command: build, sql, export, info and check, as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from cables.cli import main

CLI = [sys.executable, "-m", "cables.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    """Run the command in a child process, stdout and stderr apart, as a shell pipeline sees it."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=120)


def test_sql_csv_is_clean_on_stdout(sample_warehouse):
    out = run(
        "sql",
        "-w",
        str(sample_warehouse),
        "--format",
        "csv",
        "select reference_id, subject from cable order by reference_id limit 3",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("\n") == 4 and out.stdout.endswith("\n") and "\r" not in out.stdout
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["reference_id", "subject"] and len(rows) == 4
    con = duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True)
    expected = con.execute("select reference_id, subject from cable order by reference_id limit 3").fetchall()
    con.close()
    assert [tuple(r) for r in rows[1:]] == expected


def test_sql_json_and_table(sample_warehouse):
    runner = CliRunner()
    query = "select origin, count(*) as cables from cable group by origin order by cables desc, origin limit 2"
    result = runner.invoke(main, ["sql", "-w", str(sample_warehouse), "--format", "json", query])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data[0]["origin"] == "Embassy Tripoli" and data[0]["cables"] >= data[1]["cables"]
    table = runner.invoke(main, ["sql", "-w", str(sample_warehouse), query])
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["origin", "cables"] and set(lines[1]) <= {"-", " "} and lines[-1] == "(2 rows)"


def test_sql_from_file_and_stdin(sample_warehouse, tmp_path):
    query_file = tmp_path / "q.sql"
    query_file.write_text("select count(*) as n from cable")
    runner = CliRunner()
    by_file = runner.invoke(main, ["sql", "-w", str(sample_warehouse), "-f", str(query_file), "--format", "csv"])
    by_stdin = runner.invoke(
        main, ["sql", "-w", str(sample_warehouse), "--format", "csv"], input="select count(*) as n from cable"
    )
    assert by_file.stdout == by_stdin.stdout == "n\n32\n"


def test_sql_is_read_only(sample_warehouse):
    out = run("sql", "-w", str(sample_warehouse), "create table hack as select 1")
    assert out.returncode == 1
    assert out.stderr.startswith("cables: SQL error:") and "Traceback" not in out.stderr


def test_bad_sql_and_missing_warehouse_are_one_line_errors(sample_warehouse, tmp_path):
    bad = run("sql", "-w", str(sample_warehouse), "select * from no_such_table")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
    missing = run("sql", "-w", str(tmp_path / "nowhere"), "select 1")
    assert missing.returncode == 1 and "cables build" in missing.stderr and bad.stdout == ""


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_tables_and_views(sample_warehouse, tmp_path, fmt):
    out = tmp_path / f"pairs.{fmt}"
    runner = CliRunner()
    result = runner.invoke(
        main, ["export", "tag_cooccurrence", "-w", str(sample_warehouse), "--format", fmt, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out) if fmt == "csv" else pl.read_parquet(out)
    con = duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True)
    assert frame.height == con.execute("select count(*) from tag_cooccurrence").fetchone()[0] > 0
    con.close()
    again = runner.invoke(
        main, ["export", "tag_cooccurrence", "-w", str(sample_warehouse), "--format", fmt, "--out", str(out)]
    )
    assert again.exit_code == 1 and "--overwrite" in again.stderr
    forced = runner.invoke(
        main, ["export", "cable", "-w", str(sample_warehouse), "--format", fmt, "--out", str(out), "--overwrite"]
    )
    assert forced.exit_code == 0


def test_export_refuses_unknown_names(sample_warehouse, tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "export",
            'cable"; drop view cable; --',
            "-w",
            str(sample_warehouse),
            "--format",
            "csv",
            "--out",
            str(tmp_path / "x.csv"),
        ],
    )
    assert result.exit_code == 1 and "no table or view named" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_info_and_check(sample_warehouse):
    runner = CliRunner()
    info = runner.invoke(main, ["info", "-w", str(sample_warehouse)])
    assert info.exit_code == 0 and "tag_cooccurrence" in info.stdout and "one row per cable" in info.stdout
    check = runner.invoke(main, ["check", "-w", str(sample_warehouse)])
    assert check.exit_code == 0, check.output
    assert check.stdout.strip().endswith("0 failed")


def test_build_prints_the_summary_and_exits_zero(prefect_harness, sample_dir, tmp_path):
    result = CliRunner().invoke(
        main, ["build", "--source", str(sample_dir / "heuer__cablemap"), "-w", str(tmp_path / "wh")]
    )
    assert result.exit_code == 0, result.output
    assert "pages" in result.stdout and "rejects" in result.stdout and "cables.duckdb" in result.stdout


def test_build_with_nothing_to_publish_exits_one(prefect_harness, tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["build", "--source", str(tmp_path / "empty"), "-w", str(tmp_path / "wh")])
    assert result.exit_code == 1
    assert result.stderr.startswith("cables: no pages found") and result.stderr.count("\n") == 1
