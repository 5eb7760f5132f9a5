"""``unstalk check android``: check a phone over USB, or an acquisition made earlier.

The lead adds the command to the ``check`` group (``check.add_command(android)``).
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from unstalk.android.acquire.adb import DeviceLostError
from unstalk.android.check import AndroidCheckResult, check_acquisition, result_dict
from unstalk.android.detect import AndroidFinding
from unstalk.android.importers import load_acquisition
from unstalk.android.model import Acquisition
from unstalk.apk.analyse import Analyser
from unstalk.apk.result_json import JsonValue
from unstalk.criteria.model import VerdictKind
from unstalk.errors import DeviceError, UsageError
from unstalk.feed.index import FeedIndex
from unstalk.feed.io import load_feed_path
from unstalk.feed.model import Feed, provenance_summary
from unstalk.models import Severity

from . import settings
from ._common import SEVERITY_STYLE, check_output_options
from .android import run_acquisition

EXIT_NOTHING_FOUND = 0
EXIT_FOUND = 1
EXIT_INCOMPLETE = 3

_VERDICT_WORDS = {
    VerdictKind.STALKERWARE: "stalkerware",
    VerdictKind.WATCHWARE: "watchware (meant to be visible)",
    VerdictKind.SUSPICIOUS: "needs a closer look",
}


@click.command("android")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, path_type=Path),
    help="Check this acquisition instead of a phone: a folder or zip made by 'unstalk android "
    "acquire', an AndroidQF folder or zip, or a bugreport zip.",
)
@click.option(
    "--serial", "-s", metavar="SERIAL", help="The phone to use when several are plugged in."
)
@click.option("--pull-apks", is_flag=True, help="Also copy and analyse every third-party APK.")
@click.option(
    "--keep",
    type=click.Path(path_type=Path, file_okay=False),
    help="Acquire into this new folder and keep it as evidence (by default the acquisition "
    "goes to a temporary folder, deleted after the check).",
)
@check_output_options
def android(
    source: Path | None,
    serial: str | None,
    pull_apks: bool,
    keep: Path | None,
    fmt: str,
    output: TextIO | None,
    feed_path: Path | None,
) -> None:
    """Check an Android phone (over USB, read-only) or an acquisition for stalkerware.

    Every app is matched against the indicator feed and judged against the
    coalition's criteria; privileges that monitoring apps rely on (accessibility,
    device administration, notification access), hidden icons, system-like names
    and risky settings are reported with their evidence. Nothing on the phone is
    changed and nothing is sent anywhere.

    Exit codes: 0 no known stalkerware found by these checks (never a statement
    that the phone is safe), 1 stalkerware or a critical or high finding, 2 usage
    error, 3 part of the phone's data could not be read (and nothing found).
    """
    if source is not None and (serial or pull_apks or keep):
        raise UsageError(
            "--from checks an acquisition made earlier; --serial, --pull-apks and --keep "
            "are for checking a phone.",
            advice="Leave out --from to check the phone plugged in now.",
        )
    feed = load_feed_path(feed_path) if feed_path else settings.feed_store().load()
    index = FeedIndex.build(feed)
    if source is not None:
        result = _check(load_acquisition(source), feed, index, None)
    else:
        result = _check_phone(feed, index, serial=serial, pull_apks=pull_apks, keep=keep)
    document = _document(result, feed)
    if fmt == "json":
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        print_report(result, Console(file=sys.stdout, highlight=False))
    if output is not None:
        json.dump(document, output, indent=2)
        output.write("\n")
    sys.exit(exit_code(result))


def exit_code(result: AndroidCheckResult) -> int:
    """1 when something was found, else 3 when a part could not be read, else 0."""
    if result.found:
        return EXIT_FOUND
    if result.incomplete:
        return EXIT_INCOMPLETE
    return EXIT_NOTHING_FOUND


def _check(
    acquisition: Acquisition, feed: Feed, index: FeedIndex, at: datetime | None
) -> AndroidCheckResult:
    analyser = Analyser(feed, index=index) if acquisition.apk_files else None
    return check_acquisition(acquisition, index, analyser=analyser, at=at)


def _check_phone(
    feed: Feed, index: FeedIndex, *, serial: str | None, pull_apks: bool, keep: Path | None
) -> AndroidCheckResult:
    started = datetime.now(UTC)
    if keep is not None:
        run_acquisition(keep, serial=serial, pull_apks=pull_apks, feed=feed.provenance)
        return _check(load_acquisition(keep), feed, index, started)
    with tempfile.TemporaryDirectory(prefix="unstalk-android-") as temporary:
        folder = Path(temporary) / "acquisition"
        try:
            run_acquisition(folder, serial=serial, pull_apks=pull_apks, feed=feed.provenance)
        except DeviceLostError as e:
            # The temporary folder goes away with this error: say so, not that it was kept.
            raise DeviceError(
                e.message,
                advice="Check the cable and unlock the phone, then run the check again. To keep "
                "what is collected even when the phone goes away, add --keep FOLDER.",
            ) from e
        return _check(load_acquisition(folder), feed, index, started)


def _document(result: AndroidCheckResult, feed: Feed) -> dict[str, JsonValue]:
    provenance = feed.provenance
    document = result_dict(result)
    document["feed"] = provenance_summary(provenance)
    return document


def print_report(result: AndroidCheckResult, console: Console) -> None:
    """The summary for people: headline, findings by severity, verdicts, what was not checked."""
    style = "bold red" if result.found else "bold"
    console.print(f"[{style}]{escape(result.headline)}[/]")
    console.print(escape(_phone_line(result)))
    findings = result.findings
    if findings:
        table = Table(title="Findings, most urgent first", title_justify="left")
        table.add_column("Severity", no_wrap=True)
        table.add_column("App", overflow="fold")
        table.add_column("Finding")
        for finding in findings:
            severity = finding.severity
            title = finding.title.removesuffix(f": {finding.package}")
            table.add_row(
                f"[{SEVERITY_STYLE[severity]}]{severity.value}[/]",
                escape(finding.package or "(the phone)"),
                escape(title),
            )
        console.print(table)
        _print_meanings(findings, console)
    _print_verdicts(result, console)
    _print_limits(result, console)
    if result.found:
        console.print(
            "\nBefore removing anything, talk with an advocate about safety: removing an app "
            "can alert whoever installed it and destroys evidence ('unstalk android remove "
            "--help' explains more)."
        )


def _print_meanings(findings: tuple[AndroidFinding, ...], console: Console) -> None:
    explained = [f for f in findings if f.severity is not Severity.INFO]
    if not explained:
        return
    console.print("\n[bold]What the findings mean[/]")
    for finding in explained:
        severity = finding.severity
        console.print(f"[{SEVERITY_STYLE[severity]}]{severity.value}[/] {escape(finding.title)}")
        console.print(f"  {escape(finding.explanation)}")
    console.print("[dim]Findings marked info are context; the JSON report (-o FILE) has all.[/]")


def _phone_line(result: AndroidCheckResult) -> str:
    device = result.device
    apps = f"{len(result.apps)} apps checked"
    if device is None:
        return f"Phone: unknown model; {apps}."
    name = " ".join(p for p in (device.manufacturer, device.model) if p) or "unknown model"
    patch = f", security patch {device.security_patch}" if device.security_patch else ""
    return f"Phone: {name}, Android {device.android_version or 'version unknown'}{patch}; {apps}."


def _print_verdicts(result: AndroidCheckResult, console: Console) -> None:
    judged = [a for a in result.apps if a.verdict.verdict in _VERDICT_WORDS]
    if not judged:
        return
    console.print("\n[bold]Apps judged against the coalition's criteria[/]")
    for app in judged:
        words = _VERDICT_WORDS[app.verdict.verdict]
        console.print(f"- {escape(app.facts.name)}: {words}. {escape(app.verdict.summary)}")


def _print_limits(result: AndroidCheckResult, console: Console) -> None:
    if result.not_checked:
        console.print("\n[bold]What could not be checked in full[/]")
        for part in result.not_checked:
            reasons = "; ".join(part.reasons) or part.status
            console.print(
                f"- {escape(part.part)} ({escape(part.source)}, {part.status}): {escape(reasons)}"
            )
    console.print("\n[bold]What these checks cannot see[/]")
    for limit in result.limits:
        console.print(f"- {escape(limit)}")
