"""The top-level command: every group loads on demand and the help lists them all."""

from __future__ import annotations

import sys

import click
import pytest
from click.testing import CliRunner

from unstalk.cli.main import COMMANDS, cli


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_loads_and_has_help(name: str) -> None:
    with click.Context(cli) as ctx:
        command = cli.get_command(ctx, name)
    assert isinstance(command, click.Command)
    assert command.name == name
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: cli " + name in result.output or f"{name} [OPTIONS]" in result.output


def test_help_lists_every_command_without_importing_them() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, (_, short) in COMMANDS.items():
        assert name in result.output
        assert short.split()[0] in result.output


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["chekc"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_the_command_module_names_the_group_it_defines() -> None:
    for name, (module, _) in COMMANDS.items():
        __import__(module)
        assert isinstance(getattr(sys.modules[module], name), click.Command)
