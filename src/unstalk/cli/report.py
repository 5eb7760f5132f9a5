"""``unstalk report RESULT.json --format html|pdf|json|text --lang CODE -o FILE``.

``report`` is a group: its first argument is a subcommand's name (the evidence
commands add ``verify``, ``manifest`` ... to it) or, when it is not one, the
result to render (the ``render`` subcommand). RESULT is a report written by
this command (``--format json``) or the JSON a check wrote
(``unstalk check android|pcap --format json``, ``unstalk scan apk --format json``).

Exit codes follow the report's outcome: 0 nothing found, 1 something found,
3 incomplete; 2 for a usage error.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console

from unstalk.cli.report_evidence import EVIDENCE_COMMANDS
from unstalk.errors import ReportError, UsageError
from unstalk.report.convert import report_from_bytes
from unstalk.report.html import render_html
from unstalk.report.i18n import LANGUAGES, normalise
from unstalk.report.model import CaseInfo, Outcome, Report, report_json
from unstalk.report.text import print_summary

MAX_RESULT_BYTES = 512 * 1024 * 1024
"""Larger inputs are refused: no check writes a result anywhere near this size."""
EXIT_CODES = {Outcome.NOTHING_FOUND: 0, Outcome.FOUND: 1, Outcome.INCOMPLETE: 3}
FORMATS = ("html", "pdf", "json", "text")


class ReportGroup(click.Group):
    """A group whose first argument, when it names no subcommand, is a result to render."""

    default_command = "render"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = args[0] if args else None
        if first is not None and first not in self.commands and first not in ("-h", "--help"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=ReportGroup)
def report() -> None:
    """Write a report of a check's result, or work with evidence files.

    \b
    unstalk report RESULT.json --format html --lang fr -o report.html
    unstalk report RESULT.json                      # a summary in the terminal
    """


@report.command("render")
@click.argument("result", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="html, pdf or json for a file; text for the terminal (the default without -o).",
)
@click.option(
    "--lang",
    default="en",
    show_default=True,
    help=f"Language of the report: {', '.join(LANGUAGES)}.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write it here."
)
@click.option("--case-id", help="A case or exhibit reference to print on the report.")
@click.option("--examiner", help="Who made the report.")
def render(
    result: Path,
    fmt: str | None,
    lang: str,
    output: Path | None,
    case_id: str | None,
    examiner: str | None,
) -> None:
    """Render RESULT (a report, or the JSON a check wrote) as HTML, PDF, JSON or text."""
    code = normalise(lang)
    chosen = fmt or ("html" if output else "text")
    made = read_result(result)
    if case_id or examiner:
        made = made.model_copy(update={"case": CaseInfo(id=case_id, examiner=examiner)})
    if chosen == "text":
        console = Console(highlight=False, soft_wrap=True, record=output is not None)
        print_summary(made, console, code)
        if output is not None:
            _write(output, console.export_text().encode())
    else:
        data = _rendered(made, chosen, code)
        if output is None:
            if chosen == "pdf":
                raise UsageError("A PDF report needs a file: add -o FILE.")
            sys.stdout.write(data.decode())
        else:
            _write(output, data)
    sys.exit(EXIT_CODES[made.outcome])


def read_result(path: Path) -> Report:
    """The report in ``path``: a report file, or a check's JSON converted now."""
    try:
        size = path.stat().st_size
        if size > MAX_RESULT_BYTES:
            raise ReportError(f"{path} is {size} bytes, too large to be a check's result.")
        data = path.read_bytes()
    except OSError as e:
        raise ReportError(f"Cannot read {path} ({e.strerror or e}).") from e
    return report_from_bytes(data, source=str(path), created_at=datetime.now(UTC))


def _rendered(made: Report, fmt: str, lang: str) -> bytes:
    if fmt == "json":
        return report_json(made).encode()
    if fmt == "html":
        return render_html(made, lang).encode()
    # reportlab takes a while to import: only when a PDF is asked for.
    from unstalk.report.pdf import render_pdf

    return render_pdf(made, lang)


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as e:
        raise ReportError(
            f"Cannot write {path} ({e.strerror or e}).",
            advice="Choose a folder you can write to.",
        ) from e


for _command in EVIDENCE_COMMANDS:
    report.add_command(_command)
