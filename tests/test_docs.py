"""The docs cannot drift: every command has help, a section in docs/cli.md, and its options there."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from cables.cli import main
from cables.settings import PROJECT_ROOT

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
    block = re.search(r"## Quick start\n.*?```(?:sh|bash)\n(.*?)```", README, flags=re.S)
    assert block, "README has no Quick start code block"
    commands = [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert commands == ["make run", "make test"]
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "\nrun:" in makefile and "\ntest:" in makefile
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
