"""The ``cables`` command: build, sql, export, info and check, as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import duckdb
import httpx
import polars as pl
import pytest
from click.testing import CliRunner

from cables.cli import main
from tests.prefect_events import heartbeat_runs, latest_run

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


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("create table hack as select 1", "CREATE statement"),
        ("copy (select 1) to 'inside.csv'", "use `cables export`"),
        ("select 1; select 2", "exactly one SQL statement"),
        ("set enable_external_access = true", "SET statement"),
    ],
)
def test_sql_runs_read_only_statements_only(sample_warehouse, query, message):
    out = run("sql", "-w", str(sample_warehouse), query)
    assert out.returncode == 1 and message in out.stderr and "Traceback" not in out.stderr
    assert not (sample_warehouse / "inside.csv").exists()


@pytest.mark.parametrize(
    "query",
    [
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('{outside}')",
        "select * from read_parquet('{warehouse}/../*/cable/*/*.parquet')",
        "attach '{outside}' as other",
    ],
)
def test_sql_cannot_read_outside_the_warehouse(sample_warehouse, tmp_path, query):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    out = run("sql", "-w", str(sample_warehouse), query.format(outside=outside, warehouse=sample_warehouse))
    assert out.returncode == 1 and "secret" not in out.stdout and "Traceback" not in out.stderr


def test_sql_reads_the_warehouse_and_the_reference_data(sample_warehouse):
    out = run("sql", "-w", str(sample_warehouse), "--format", "json", "select count(*) n from release_cable")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [{"n": 251287}]


def test_bad_sql_and_missing_warehouse_are_one_line_errors(sample_warehouse, tmp_path):
    bad = run("sql", "-w", str(sample_warehouse), "select * from no_such_table")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    first, *hints = bad.stderr.splitlines()
    assert first == "cables: SQL error: Catalog Error: Table with name no_such_table does not exist!"
    assert hints and all(line.startswith("  ") for line in hints), bad.stderr  # DuckDB's LINE 1 and caret
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


def test_export_query_partitioned(sample_warehouse, tmp_path):
    out = tmp_path / "by_origin"
    query = "select c.reference_id, c.origin, c.classification from cable c"
    result = CliRunner().invoke(
        main,
        ["export", "-w", str(sample_warehouse), "--query", query, "--format", "parquet", "--out", str(out),
         "--partition-by", "classification"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # Folder names are URL-encoded: ``SECRET//NOFORN`` is ``classification=SECRET%2F%2FNOFORN``.
    parts = sorted(unquote(p.name) for p in out.iterdir())
    with duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True) as con:
        levels = [r[0] for r in con.execute("select distinct classification from cable order by 1").fetchall()]
        total = con.execute("select count(*) from cable").fetchone()[0]
    assert parts == sorted(f"classification={level}" for level in levels)
    back = pl.read_parquet(out / "**/*.parquet", hive_partitioning=True)
    assert back.height == total and set(back["classification"]) == set(levels)
    again = CliRunner().invoke(
        main, ["export", "-w", str(sample_warehouse), "--query", query, "--format", "csv", "--out", str(out)]
    )
    assert again.exit_code == 1 and "--overwrite" in again.stderr


def test_export_csv_opens_safely_in_a_spreadsheet(sample_warehouse, tmp_path):
    out = tmp_path / "x.csv"
    query = (
        "select '=HYPERLINK(\"http://x\")' as formula, '+1' as plus, '-2' as minus, '@SUM(A1)' as at, "
        "'two\nlines' as text, ['PGOV', 'PREL'] as tags, 42 as n"
    )
    result = CliRunner().invoke(
        main, ["export", "-w", str(sample_warehouse), "-q", query, "--format", "csv", "--excel", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    row = next(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert row == {
        "formula": '\'=HYPERLINK("http://x")',
        "plus": "'+1",
        "minus": "'-2",
        "at": "'@SUM(A1)",
        "text": "two\nlines",
        "tags": "PGOV; PREL",
        "n": "42",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-q", "copy (select 1) to 'x.csv'"], "use `cables export`"),
        (["-q", "select 1", "cable"], "not both"),
        ([], "give a table or view NAME"),
        (["-q", "select 1 as a", "--partition-by", "b"], "no column b"),
    ],
)
def test_export_errors_are_one_line(sample_warehouse, tmp_path, args, message):
    result = CliRunner().invoke(
        main, ["export", "-w", str(sample_warehouse), "--format", "parquet", "--out", str(tmp_path / "o"), *args]
    )
    assert result.exit_code == 1 and message in result.stderr and not (tmp_path / "o").exists()


def test_export_never_writes_into_the_warehouse(sample_warehouse):
    target = sample_warehouse / "current" / "cable" / "year=2010" / "part-00000.parquet"
    before = target.read_bytes()
    result = CliRunner().invoke(
        main, ["export", "tag", "-w", str(sample_warehouse), "--format", "parquet", "--out", str(target), "--overwrite"]
    )
    assert result.exit_code == 1 and "inside the warehouse" in result.stderr
    assert target.read_bytes() == before


def test_sql_writes_parquet_with_out(sample_warehouse, tmp_path):
    out = tmp_path / "o.parquet"
    result = run("sql", "-w", str(sample_warehouse), "--format", "parquet", "--out", str(out), "select 1 as a")
    assert result.returncode == 0, result.stderr
    assert pl.read_parquet(out)["a"].to_list() == [1]
    assert run("sql", "-w", str(sample_warehouse), "--format", "parquet", "select 1").returncode == 1


def test_info_and_check(sample_warehouse):
    runner = CliRunner()
    info = runner.invoke(main, ["info", "-w", str(sample_warehouse)])
    assert info.exit_code == 0 and "tag_cooccurrence" in info.stdout and "one row per cable" in info.stdout
    check = runner.invoke(main, ["check", "-w", str(sample_warehouse)])
    assert check.exit_code == 0, check.output
    assert check.stdout.strip().endswith("0 failed, 0 warned")


def test_build_prints_the_summary_and_exits_zero(prefect_harness, sample_dir, tmp_path):
    result = CliRunner().invoke(
        main, ["build", "--source", str(sample_dir / "heuer__cablemap"), "-w", str(tmp_path / "wh")]
    )
    assert result.exit_code == 0, result.output
    assert "pages" in result.stdout and "rejects" in result.stdout and "cables.duckdb" in result.stdout


def test_build_runs_its_flow_without_heartbeats(prefect_harness, sample_dir, tmp_path):
    """`cables build` runs the flow in its own process without heartbeats, whose thread held each
    run up to a second at its end; a flow run under Prefect's defaults (the deployment's nightly
    runs) sends them, for an automation to mark a stalled run crashed."""
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.build import build_warehouse

    source = str(sample_dir / "heuer__cablemap")
    with httpx.Client(base_url=PREFECT_API_URL.value(), timeout=30) as api:
        # Prefect's defaults around the command (the test session runs its own flows without
        # heartbeats): the command must turn them off itself.
        with temporary_settings(restore_defaults={PREFECT_FLOWS_HEARTBEAT_FREQUENCY}):
            assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value()
            result = CliRunner().invoke(main, ["build", "--source", source, "-w", str(tmp_path / "cli")])
        assert result.exit_code == 0, result.output
        cli_run = latest_run(api)
        with temporary_settings(restore_defaults={PREFECT_FLOWS_HEARTBEAT_FREQUENCY}):
            assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value()
            build_warehouse(source=source, warehouse=str(tmp_path / "default"))
        default_run = latest_run(api)
        assert default_run != cli_run
        assert heartbeat_runs(api, [cli_run, default_run], until=default_run, seconds=60) == {default_run}


def test_build_with_nothing_to_publish_exits_one(prefect_harness, tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["build", "--source", str(tmp_path / "empty"), "-w", str(tmp_path / "wh")])
    assert result.exit_code == 1
    assert result.stderr.startswith("cables: no pages found") and result.stderr.count("\n") == 1


def test_the_standalone_duckdb_cli_reads_the_warehouse(sample_warehouse, tmp_path):
    # The pinned duckdb-cli package installs `duckdb` beside this Python.
    binary = Path(sys.executable).parent / "duckdb"
    assert binary.exists(), "duckdb-cli is a dependency: its `duckdb` command should be installed"
    out = subprocess.run(
        [
            str(binary),
            "-readonly",
            "-csv",
            str(sample_warehouse / "cables.duckdb"),
            "-c",
            "select count(*) n from cable",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # the views hold absolute paths: any working directory will do
    )
    assert out.returncode == 0, out.stderr
    with duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True) as con:
        assert out.stdout.split() == ["n", str(con.execute("select count(*) from cable").fetchone()[0])]


def test_build_progress_bar_draws_each_parse_round():
    import io

    from rich.console import Console

    from cables.cli import ParseProgress

    out = io.StringIO()
    bar = ParseProgress(Console(file=out, force_terminal=True, width=80))
    for done in (2500, 5000):
        bar.update(done, 5000)
    bar.update(3, 3)  # the second round: the earlier pages of the touched cables
    bar.close()
    text = out.getvalue()
    assert "parsing pages" in text and "5000/5000" in text and "3/3" in text


def test_each_parse_batch_reports_progress_to_listeners(prefect_harness, sample_dir, tmp_path, monkeypatch):
    from flows import build as build_module

    monkeypatch.setenv("CABLES_BATCH_PAGES", "10")
    calls = []
    monkeypatch.setattr(build_module, "PROGRESS_LISTENERS", [lambda done, total: calls.append((done, total))])
    build_module.build_warehouse(source=str(sample_dir), warehouse=str(tmp_path / "wh"))
    assert len(calls) >= 6 and calls[-1] == (57, 57)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_report_takes_its_serve_url_from_the_environment(sample_warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("CABLES_SERVE_URL", "http://127.0.0.1:8765/")
    out = run("report", "-w", str(sample_warehouse), "--out", str(tmp_path / "r.html"))
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "r.html").read_text()
    assert "link to their pages on http://127.0.0.1:8765." in page
