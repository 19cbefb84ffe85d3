"""The docs cannot drift: every command has help, a section in docs/cli.md, and its options there."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from cables.cli import main
from cables.settings import PROJECT_ROOT
from tests.readme import sh_blocks

CLI_DOC = (PROJECT_ROOT / "docs" / "cli.md").read_text()
README = (PROJECT_ROOT / "README.md").read_text()
COMMANDS = sorted(main.commands)


def section(name: str) -> str:
    match = re.search(rf"^## `cables {name}`\n(.*?)(?=^## |\Z)", CLI_DOC, flags=re.M | re.S)
    assert match, f"docs/cli.md has no section for `cables {name}`"
    return match.group(1)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0 and main.commands[name].help, name
    assert "Usage: " in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_and_option_is_documented(name):
    text = section(name)
    for param in main.commands[name].params:
        if isinstance(param, click.Option):
            assert param.opts[-1] in text or param.opts[0] in text, f"{name}: {param.opts} not in docs/cli.md"
        else:
            assert param.name.upper() in text, f"{name}: argument {param.name} not in docs/cli.md"


def test_docs_name_no_command_that_does_not_exist():
    documented = set(re.findall(r"^## `cables (\w+)`", CLI_DOC, flags=re.M))
    assert documented == set(COMMANDS)


def test_readme_quick_start_is_two_commands():
    block, *_ = sh_blocks("Quick start")
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert commands == ["make run", "make test"]
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "\nrun:" in makefile and "\ntest:" in makefile
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_schema_doc_is_the_catalog_of_the_sample_warehouse(sample_warehouse):
    result = CliRunner().invoke(main, ["schema", "-w", str(sample_warehouse)])
    assert result.exit_code == 0, result.output
    written = (PROJECT_ROOT / "docs" / "schema.md").read_text()
    assert written == result.output, "docs/schema.md is stale: cables schema -w <sample warehouse> > docs/schema.md"


def test_every_column_of_every_view_is_described_and_every_description_is_a_column(sample_warehouse):
    import duckdb

    from cables.settings import SQL_DIR
    from flows.serve import view_docs

    with duckdb.connect(str(sample_warehouse / "cables.duckdb"), read_only=True) as con:
        views = {v for (v,) in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
        columns: dict[str, dict[str, str | None]] = {}
        for view, column, comment in con.execute(
            "select table_name, column_name, comment from duckdb_columns() where not internal"
        ).fetchall():
            if view in views:
                columns.setdefault(view, {})[column] = comment
        view_comments = dict(con.execute("select view_name, comment from duckdb_views() where not internal").fetchall())
    undocumented = sorted(f"{v}.{c}" for v, cols in columns.items() for c, text in cols.items() if not text)
    assert not undocumented, f"columns without a description: {undocumented}"
    assert not [v for v in views if not view_comments[v]], "views without a grain/description"
    stale = sorted(
        f"{v}.{c}" for v, (_, cols) in view_docs(SQL_DIR).items() if v in columns for c in cols if c not in columns[v]
    )
    assert not stale, f"descriptions of columns that do not exist: {stale}"


def readme_sessions() -> list[tuple[str, str]]:
    """The README's ``$ cables ...`` sessions: (command, the output it prints)."""
    import shlex

    sessions, command, output = [], None, []
    for block in re.findall(r"```\n(\$ cables .*?)```", README, flags=re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            if lines[i].startswith("$ cables "):
                if command is not None:
                    sessions.append((command, "\n".join(output).strip("\n")))
                command, output = lines[i][2:], []
                while True:  # a command goes on over the lines its quotes span
                    try:
                        shlex.split(command)
                        break
                    except ValueError:
                        i += 1
                        command += "\n" + lines[i]
            else:
                output.append(lines[i])
            i += 1
    if command is not None:
        sessions.append((command, "\n".join(output).strip("\n")))
    return sessions


def test_the_readme_has_sessions():
    assert len(readme_sessions()) >= 4


@pytest.mark.parametrize(("command", "printed"), readme_sessions(), ids=lambda v: v.split("\n")[0][:40])
def test_every_readme_session_prints_what_the_readme_says(command, printed, sample_warehouse, tmp_path, monkeypatch):
    """Each ``$ cables ...`` of the README, run on the bundled sample's warehouse (what ``make
    run`` builds), prints exactly what the README shows."""
    import shlex

    monkeypatch.chdir(tmp_path)
    words = shlex.split(command)[1:]
    result = CliRunner().invoke(main, [words[0], "-w", str(sample_warehouse), *words[1:]])
    assert result.exit_code == 0, result.output
    assert result.output.strip("\n") == printed
