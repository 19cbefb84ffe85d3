"""Errors no command foresaw are one line: a full disk, damaged files, odd values in exports."""

from __future__ import annotations

import csv
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "cables.cli"]
PROJECT = Path(__file__).resolve().parents[2]


def cables(*args: str, fsize: int | None = None, stdout=None, cwd=None) -> subprocess.CompletedProcess:
    """The command in a child process; ``fsize`` caps the size of any file it writes (a full disk:
    writes past it fail with EFBIG, SIGXFSZ ignored)."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [*CLI, *args],
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        preexec_fn=limit if fsize else None,
        timeout=180,
        cwd=cwd,
    )


def one_line_error(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cables: "), out.stderr
    return lines[0]


def test_a_full_disk_is_one_line_for_sql_and_export(sample_warehouse, tmp_path):
    w = str(sample_warehouse)
    with open(tmp_path / "answer.csv", "w") as handle:
        out = cables("sql", "-w", w, "--format", "csv", "select * from paragraph", fsize=20_000, stdout=handle)
    assert "File too large" in one_line_error(out)
    out = cables("export", "-w", w, "paragraph", "--format", "csv", "-o", str(tmp_path / "p.csv"), fsize=20_000)
    assert "File too large" in one_line_error(out)
    assert not (tmp_path / "p.csv").exists()
    out = cables("report", "-w", w, "--out", str(tmp_path / "r.html"), fsize=20_000)
    one_line_error(out)
    out = cables("export", "-w", w, "--database", str(tmp_path / "shared.duckdb"), fsize=2_000_000)
    assert "File too large" in one_line_error(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answer.csv"]  # no file half written


def test_a_full_disk_while_a_moved_warehouse_is_reopened(sample_warehouse, tmp_path):
    """info and check on a moved warehouse rebuild its database first: a full disk there is one
    line; search reads the snapshot's index and needs no database."""
    moved = tmp_path / "moved"
    shutil.copytree(sample_warehouse, moved, symlinks=True)
    for command in (["info"], ["check"]):
        one_line_error(cables(*command, "-w", str(moved), fsize=50_000))
    found = cables("search", "tripoli", "-w", str(moved), fsize=50_000)
    assert found.returncode == 0 and "10TRIPOLI95" in found.stdout, found.stderr
    out = cables("info", "-w", str(moved))  # and with room, it works
    assert out.returncode == 0, out.stderr


def test_damaged_files_are_one_line(sample_warehouse, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(sample_warehouse, damaged, symlinks=True)
    snapshot = (damaged / "current").resolve()
    for part in snapshot.rglob("*.parquet"):
        data = part.read_bytes()
        part.unlink()  # a hard link to the source warehouse's file: replace, never write through
        part.write_bytes(data[: len(data) // 2])
    for command in (
        ["check"],
        ["sql", "select count(*) from paragraph"],
        ["export", "cable", "--format", "csv", "-o", str(tmp_path / "c.csv")],
    ):
        one_line_error(cables(*command, "-w", str(damaged)))
    (damaged / "cables.duckdb").write_bytes(b"not a database" * 100)
    for command in (["info"], ["sql", "select 1"]):
        out = cables(*command, "-w", str(damaged))
        assert out.returncode in (0, 1) and "Traceback" not in out.stderr, out.stderr


def test_csv_exports_of_lists_structs_and_many_partitions(sample_warehouse, tmp_path):
    w = str(sample_warehouse)
    query = "select [[1, 2], [3]] as nested, ['a', null, 'b'] as holed, {'x': 1, 'y': 'z'} as struct, ['=1+1'] as risky"
    out = cables("export", "-w", w, "--query", query, "--format", "csv", "-o", str(tmp_path / "x.csv"))
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader((tmp_path / "x.csv").read_text(encoding="utf-8").splitlines()))
    assert rows[1] == ["[[1, 2], [3]]", "a; ; b", '{"x": 1, "y": "z"}', "'=1+1"]
    out = cables(
        "export", "-w", w, "--query", "select i, i * 2 as j from range(1500) t(i)", "--format", "parquet",
        "--partition-by", "i", "-o", str(tmp_path / "parts"),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert len(list((tmp_path / "parts").iterdir())) == 1500


def cables_error(out: subprocess.CompletedProcess) -> list[str]:
    """The lines of an error of the command: ``cables: ...``, then DuckDB's hints indented under it."""
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.splitlines()
    assert lines and lines[0].startswith("cables: "), out.stderr
    assert all(line.startswith("  ") for line in lines[1:]), out.stderr
    return lines


def caret_under(lines: list[str], word: str) -> bool:
    """Whether DuckDB's ``LINE n:`` hint is there with its caret under ``word``."""
    for i, line in enumerate(lines[:-1]):
        if line.lstrip().startswith("LINE ") and word in line:
            return lines[i + 1].index("^") == line.index(word)
    return False


@pytest.mark.parametrize(
    ("query", "first", "hint", "word"),
    [
        ("select orign from cable", 'Referenced column "orign" not found', 'Candidate bindings: "origin"', "orign"),
        ("select count(*) from cabel", "Table with name cabel does not exist", 'Did you mean "cable"?', "cabel"),
    ],
)
def test_sql_errors_keep_duckdbs_hints(sample_warehouse, tmp_path, query, first, hint, word):
    """A misspelt column or table: the error says what DuckDB suggests and where, under one
    ``cables:`` line, for ``cables sql`` and ``cables export --query`` alike."""
    from click.testing import CliRunner

    from cables.cli import main

    for command in (
        ["sql", query],
        ["export", "--query", query, "--format", "csv", "-o", str(tmp_path / "x.csv")],
    ):
        result = CliRunner().invoke(main, [*command, "-w", str(sample_warehouse)])
        lines = cables_error(subprocess.CompletedProcess(command, result.exit_code, result.stdout, result.stderr))
        assert lines[0].startswith("cables: SQL error: ") and first in lines[0], lines
        assert any(line.startswith(f"  {hint}") for line in lines[1:]), lines
        assert caret_under(lines, word), lines
    assert not (tmp_path / "x.csv").exists()


def test_an_error_without_hints_stays_one_line(sample_warehouse):
    one_line_error(cables("sql", "-w", str(sample_warehouse), "select 1 +"))


def test_a_moved_warehouse_answers_while_a_build_holds_it(sample_warehouse, tmp_path):
    """The views of a moved warehouse's database name the old folder; while a build holds the lock
    it cannot be rebuilt, so readers get a stand-in database of views over the published files."""
    from flows.layout import Warehouse

    moved = tmp_path / "moved"
    shutil.copytree(sample_warehouse, moved, symlinks=True)
    expected = cables("sql", "-w", str(sample_warehouse), "--format", "csv", "select count(*) from paragraph").stdout
    with Warehouse.at(str(moved)).lock():
        for command in (
            ["sql", "--format", "csv", "select count(*) from paragraph"],
            ["sql", "--format", "csv", "select count(*) from tag_cooccurrence where cables > 0"],
        ):
            out = cables(*command, "-w", str(moved))
            assert out.returncode == 0, out.stderr
        assert cables("sql", "-w", str(moved), "--format", "csv", "select count(*) from paragraph").stdout == expected
        assert cables("info", "-w", str(moved)).returncode == 0


def test_a_serve_url_that_is_no_http_address_is_one_line(sample_warehouse, tmp_path):
    out = cables("report", "-w", str(sample_warehouse), "--out", str(tmp_path / "r.html"), "--serve-url", "ftp://x")
    assert one_line_error(out) == (
        "cables: the serve URL must be an http:// or https:// address such as http://127.0.0.1:8000, not 'ftp://x'"
    )
    assert not (tmp_path / "r.html").exists()
