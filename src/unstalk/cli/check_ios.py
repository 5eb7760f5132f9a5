"""``unstalk check ios``: check an iPhone over USB, or a backup of one.

The lead adds the command to the ``check`` group (``check.add_command(ios)``).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from unstalk.apk.result_json import JsonValue
from unstalk.errors import UsageError
from unstalk.feed.index import FeedIndex
from unstalk.feed.io import load_feed_path
from unstalk.feed.model import Feed, provenance_summary
from unstalk.ios.backup import read_backup
from unstalk.ios.check import IosCheckResult, check_acquisition, result_dict
from unstalk.ios.detect import IosFinding
from unstalk.ios.device import Idevice
from unstalk.ios.device.acquire import read_phone
from unstalk.ios.model import IosAcquisition

from . import settings
from ._common import SEVERITY_STYLE, check_output_options

NO_PASSWORD = (
    "the phone's backup is encrypted: run again with --password-prompt (add --keep-backup "
    "FOLDER to keep the backup, then check it with --backup)"
)
EXIT_NOTHING_FOUND = 0
EXIT_FOUND = 1
EXIT_INCOMPLETE = 3


@click.command("ios")
@click.option(
    "--backup",
    "backup",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Check this backup folder (made by Finder, iTunes or idevicebackup2) instead of a phone.",
)
@click.option(
    "--password-prompt",
    is_flag=True,
    help="Ask for the backup password (typed hidden; never stored). Needed for an encrypted "
    "backup.",
)
@click.option("--udid", metavar="UDID", help="The iPhone to use when several are plugged in.")
@click.option(
    "--keep-backup",
    type=click.Path(path_type=Path, file_okay=False),
    help="Make the phone's backup in this folder and keep it as evidence (by default it goes "
    "to a temporary folder, deleted after the check; a backup can take many gigabytes).",
)
@check_output_options
def ios(
    backup: Path | None,
    password_prompt: bool,
    udid: str | None,
    keep_backup: Path | None,
    fmt: str,
    output: TextIO | None,
    feed_path: Path | None,
) -> None:
    """Check an iPhone (over USB, read-only) or an iPhone backup for stalkerware.

    Apps are matched against the indicator feed; apps installed outside the App
    Store, configuration profiles (root certificates, VPNs, proxies, device
    management), Wi-Fi sync and jailbreak traces are reported with their
    evidence, followed by a checklist of what no tool can see from the phone.
    Without --backup, the phone is read over USB (libimobiledevice) and backed
    up, and the backup is read too. Nothing is changed on the phone and nothing
    is sent anywhere.

    Exit codes: 0 no known stalkerware found by these checks (never a statement
    that the phone is safe), 1 stalkerware or a critical or high finding, 2 usage
    error, 3 part of the phone's data could not be read (and nothing found).
    """
    if backup is not None and (udid or keep_backup):
        raise UsageError(
            "--backup checks a backup made earlier; --udid and --keep-backup are for checking "
            "a phone.",
            advice="Leave out --backup to check the iPhone plugged in now.",
        )
    password = _ask_password() if password_prompt else None
    feed = load_feed_path(feed_path) if feed_path else settings.feed_store().load()
    if backup is not None:
        _progress(f"Reading the backup in {backup}")
        acquisition = read_backup(backup, password=password)
    else:
        acquisition = _from_phone(udid=udid, keep=keep_backup, password=password)
    result = check_acquisition(acquisition, FeedIndex.build(feed))
    document = _document(result, feed)
    if fmt == "json":
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        print_report(result, Console(file=sys.stdout, highlight=False))
    if output is not None:
        json.dump(document, output, indent=2)
        output.write("\n")
    sys.exit(exit_code(result))


def exit_code(result: IosCheckResult) -> int:
    """1 when something was found, else 3 when a part could not be read, else 0."""
    if result.found:
        return EXIT_FOUND
    if result.incomplete:
        return EXIT_INCOMPLETE
    return EXIT_NOTHING_FOUND


def _ask_password() -> str:
    return str(click.prompt("Backup password", hide_input=True, err=True))


def _progress(text: str) -> None:
    click.echo(text, err=True)


def _percent(percent: int) -> None:
    click.echo(f"\rMaking the backup: {percent:3d}%", err=True, nl=percent >= 100)


def _from_phone(*, udid: str | None, keep: Path | None, password: str | None) -> IosAcquisition:
    idevice = Idevice()
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return read_phone(
            idevice,
            udid=udid,
            folder=keep,
            password=password,
            on_step=_progress,
            on_progress=_percent,
            no_password=NO_PASSWORD,
        )
    with tempfile.TemporaryDirectory(prefix="unstalk-ios-") as temporary:
        return read_phone(
            idevice,
            udid=udid,
            folder=Path(temporary),
            password=password,
            on_step=_progress,
            on_progress=_percent,
            no_password=NO_PASSWORD,
        )


def _document(result: IosCheckResult, feed: Feed) -> dict[str, JsonValue]:
    provenance = feed.provenance
    document = result_dict(result)
    document["feed"] = provenance_summary(provenance)
    return document


def print_report(result: IosCheckResult, console: Console) -> None:
    """The summary for people: headline, findings, what was not checked, the checklist."""
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
            table.add_row(
                f"[{SEVERITY_STYLE[severity]}]{severity.value}[/]",
                escape(finding.app or "(the phone)"),
                escape(finding.title),
            )
        console.print(table)
        _print_meanings(findings, console)
    _print_limits(result, console)
    _print_checklist(result, console)
    if result.found:
        console.print(
            "\nBefore removing anything, talk with an advocate about safety: removing an app "
            "or a profile can alert whoever installed it and destroys evidence."
        )


def _phone_line(result: IosCheckResult) -> str:
    device = result.device
    apps = f"{len(result.apps)} apps checked"
    if device is None:
        return f"iPhone: unknown model; {apps}."
    model = device.product_type or "unknown model"
    version = f"iOS {device.ios_version}" if device.ios_version else "iOS version unknown"
    name = f" '{device.name}'" if device.name else ""
    return f"iPhone{name}: {model}, {version}; {apps}."


def _print_meanings(findings: tuple[IosFinding, ...], console: Console) -> None:
    console.print("\n[bold]What the findings mean[/]")
    for finding in findings:
        severity = finding.severity
        console.print(f"[{SEVERITY_STYLE[severity]}]{severity.value}[/] {escape(finding.title)}")
        console.print(f"  {escape(finding.explanation)}")


def _print_limits(result: IosCheckResult, console: Console) -> None:
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


def _print_checklist(result: IosCheckResult, console: Console) -> None:
    console.print("\n[bold]Check by hand: what no tool can see from the phone[/]")
    for item in result.checklist:
        console.print(f"- [bold]{escape(item.title)}[/]: {escape(item.how)}")
