"""Options and styles the phone checks share, so every check reads the same to its user."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from unstalk.models import Severity

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
"""How each severity is coloured in terminal tables."""

_F = TypeVar("_F", bound=Callable[..., object])

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people; json for tools.",
)
"""``--format table|json``, as every check has it."""


def check_output_options(command: _F) -> _F:
    """``--format table|json``, ``-o FILE`` and ``--feed PATH``, as every phone check has them."""
    decorators = (
        format_option,
        click.option(
            "-o",
            "--output",
            type=click.File("w", encoding="utf-8"),
            help="Also write the findings as JSON here.",
        ),
        click.option(
            "--feed",
            "feed_path",
            type=click.Path(exists=True, path_type=Path),
            help="Use this feed instead of the one installed.",
        ),
    )
    for decorate in reversed(decorators):
        command = decorate(command)
    return command
