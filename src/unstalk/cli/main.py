"""The ``unstalk`` command and its exit codes.

Exit codes (the same for every command):

0  finished, and nothing was found (this is never a statement that a device is safe)
1  finished, and something was found (an indicator match, a lint error, ...)
2  the command was used wrongly (unknown option, missing file, ...)
3  could not finish: part of the work failed, so the result is incomplete
"""

from __future__ import annotations

import sys

import click
from rich.console import Console

from unstalk import __version__
from unstalk.cli.android import android
from unstalk.cli.capture import capture
from unstalk.cli.check import check
from unstalk.cli.feed import feed
from unstalk.cli.hub import hub
from unstalk.cli.report import report
from unstalk.cli.scan import scan
from unstalk.cli.serve import serve
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


def _print_error(error: Error) -> None:
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    message, _, advice = error.diagnostics().partition("\n")
    console.print(f"[bold red]Error:[/] {message}", markup=True)
    if advice:
        console.print(advice, markup=False)


@click.group(
    cls=_Group, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, "--version", "-V", prog_name="unstalk")
def cli() -> None:
    """unstalk: find stalkerware on phones, in APKs and in network captures.

    Everything runs on this computer. Nothing is sent anywhere unless you ask
    for it (for example with 'unstalk feed update').
    """


cli.add_command(feed)
cli.add_command(check)
cli.add_command(capture)
cli.add_command(android)
cli.add_command(scan)
cli.add_command(serve)
cli.add_command(report)
cli.add_command(hub)


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="unstalk", standalone_mode=True))
