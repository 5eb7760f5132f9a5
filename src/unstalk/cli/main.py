"""The ``unstalk`` command and its exit codes.

Exit codes (the same for every command):

0  finished, and nothing was found (this is never a statement that a device is safe)
1  finished, and something was found (an indicator match, a lint error, ...)
2  the command was used wrongly (unknown option, missing file, ...)
3  could not finish: part of the work failed, so the result is incomplete
"""

from __future__ import annotations

import importlib
import sys

import click
from rich.console import Console

from unstalk import __version__
from unstalk.errors import Error, UsageError

EXIT_NOTHING_FOUND = 0
EXIT_FOUND = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3

EXIT_CODES_HELP = (
    "Exit codes: 0 nothing found, 1 something found, 2 usage error, "
    "3 could not finish (the result is incomplete)."
)


class _Group(click.Group):
    """Renders every unstalk error from its diagnostics, without a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UsageError as e:
            _print_error(e)
            ctx.exit(EXIT_USAGE)
        except Error as e:
            _print_error(e)
            ctx.exit(EXIT_INCOMPLETE)


COMMANDS: dict[str, tuple[str, str]] = {
    "check": (
        "unstalk.cli.check",
        "Check a phone (Android, iPhone) or network captures for stalkerware.",
    ),
    "scan": ("unstalk.cli.scan", "Analyse files for stalkerware without running them."),
    "serve": ("unstalk.cli.serve", "Start the app for advocates, on this computer only."),
    "report": ("unstalk.cli.report", "Write a report of a check's result, or work with evidence."),
    "feed": (
        "unstalk.cli.feed",
        "Indicator feeds: what is known about stalkerware and its servers.",
    ),
    "android": ("unstalk.cli.android", "Android phones: read-only acquisition over USB, removal."),
    "capture": (
        "unstalk.cli.capture",
        "Record the traffic on a network interface to a pcapng file.",
    ),
    "hub": (
        "unstalk.cli.hub",
        "Run the coalition hub: share indicators and samples, vote, publish.",
    ),
}
"""Each command group's module (it defines a click command of the same name) and its one-line
help: groups are imported only when used, so 'unstalk --help' and 'unstalk serve' start fast."""


class _LazyGroup(_Group):
    """Imports a command's module the first time the command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in super().list_commands(ctx) if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module = importlib.import_module(COMMANDS[cmd_name][0])
            command = getattr(module, cmd_name)
            if not isinstance(command, click.Command):
                raise TypeError(f"{COMMANDS[cmd_name][0]}.{cmd_name} is not a click command")
            self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _print_error(error: Error) -> None:
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    message, _, advice = error.diagnostics().partition("\n")
    console.print(f"[bold red]Error:[/] {message}", markup=True)
    if advice:
        console.print(advice, markup=False)


@click.group(
    cls=_LazyGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, "--version", "-V", prog_name="unstalk")
def cli() -> None:
    """unstalk: find stalkerware on phones, in APKs and in network captures.

    Everything runs on this computer. Nothing is sent anywhere unless you ask
    for it (for example with 'unstalk feed update').
    """


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="unstalk", standalone_mode=True))
