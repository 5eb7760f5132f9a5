"""``unstalk android``: read-only acquisition over USB, and removing an app after a warning.

``acquire`` only ever sends the read-only commands of the acquisition plan; the
guard in :mod:`unstalk.android.acquire.plan` refuses anything else. ``remove`` is
the one command that changes a phone. It is a separate, explicit path: it shows
the safety warning, asks the person to type the package name (or takes
``--i-have-a-safety-plan --yes`` in scripts), and then runs exactly one command,
``adb uninstall --user 0 PKG``, without going through that guard (which would
rightly refuse it).
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from unstalk.android.acquire.acquisition import (
    MANIFEST_FILE,
    METADATA_FILE,
    AcquisitionResult,
    ProgressEvent,
    acquire,
)
from unstalk.android.acquire.adb import Adb, DeviceLostError, RunResult, lost_reason
from unstalk.android.acquire.plan import PM_PATH_TIMEOUT, is_package_name
from unstalk.errors import DeviceError, FeedError, UsageError
from unstalk.feed.model import Provenance

from . import settings

UNINSTALL_TIMEOUT = 120.0
"""Seconds allowed for ``adb uninstall``; large apps take a while to remove."""


@click.group()
def android() -> None:
    """Check Android phones: read-only acquisition over USB with adb."""


def _feed_provenance(console: Console) -> Provenance | None:
    try:
        return settings.feed_store().load().provenance
    except FeedError as e:
        # The acquisition does not need the feed; the record just says it is unknown.
        console.print(f"Warning: the feed version cannot be recorded: {e.message}", markup=False)
        return None


def run_acquisition(
    out: Path, *, serial: str | None, pull_apks: bool, feed: Provenance | None
) -> AcquisitionResult:
    """Acquire into the new folder ``out`` with a progress bar on standard error."""
    console = Console(stderr=True, highlight=False)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("connecting", total=None)

        def show(event: ProgressEvent) -> None:
            bar.update(task, completed=event.done, total=event.total, description=event.label)

        return acquire(Adb(), out, serial=serial, pull_apks=pull_apks, feed=feed, progress=show)


def _summary(console: Console, result: AcquisitionResult) -> None:
    version = (
        f"Android {result.android_version}" if result.android_version else "Android version unknown"
    )
    console.print(
        f"Collected {result.outputs} outputs from {result.model or 'the phone'} ({version}, "
        f"serial {result.serial}) into {result.folder}",
        markup=False,
    )
    if result.apks:
        console.print(f"Pulled {result.apks} APK files into {result.folder / 'apks'}", markup=False)
    if result.failed:
        console.print(
            "These commands reported an error on the phone (their output is kept): "
            + ", ".join(result.failed),
            markup=False,
        )
    console.print(
        f"Details in {METADATA_FILE}; every file's SHA-256 in {MANIFEST_FILE} "
        f"(check with: cd {result.folder} && sha256sum -c {MANIFEST_FILE})",
        markup=False,
    )


@android.command("acquire")
@click.option(
    "--serial", "-s", metavar="SERIAL", help="The phone to use when several are plugged in."
)
@click.option("--pull-apks", is_flag=True, help="Also copy the APK files of every third-party app.")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
def acquire_command(serial: str | None, pull_apks: bool, out: Path) -> None:
    """Collect a read-only snapshot of a phone's apps and settings into the new folder OUT.

    Nothing on the phone is changed. USB debugging must be on and this computer
    allowed; unstalk explains what to do when it is not. Every command's output is
    kept untouched, with SHA-256 hashes, for later checks and as evidence.
    """
    feed = _feed_provenance(Console(stderr=True, highlight=False))
    result = run_acquisition(out, serial=serial, pull_apks=pull_apks, feed=feed)
    _summary(Console(highlight=False, soft_wrap=True), result)


SAFETY_WARNING = """\
Before you remove this app, think about safety.

- Removing it can alert the person who installed it. They may notice that it stopped
  reporting, and react; for someone in an abusive relationship that can be dangerous.
- Removing it destroys evidence: the app, its data and its settings are gone from the
  phone. If this may ever go to the police or a court, keep evidence first: run
  'unstalk android acquire --pull-apks FOLDER' and keep the folder and the report.
- Make a safety plan with an advocate before you remove anything. Organisations that
  can help are listed at https://stopstalkerware.org.
- Removing the app does not undo what it already sent, and does not lock the other
  person out of shared accounts: change passwords from a device they never had.
"""


@android.command("remove")
@click.argument("package")
@click.option(
    "--serial", "-s", metavar="SERIAL", help="The phone to use when several are plugged in."
)
@click.option(
    "--i-have-a-safety-plan",
    "safety_plan",
    is_flag=True,
    help="Say that a safety plan is in place; with --yes, no confirmation is asked.",
)
@click.option("--yes", is_flag=True, help="For scripts: do not ask (needs --i-have-a-safety-plan).")
def remove_command(package: str, serial: str | None, safety_plan: bool, yes: bool) -> None:
    """Uninstall the app PACKAGE from the phone, after a safety warning and a confirmation.

    Removing an app can alert whoever installed it and destroys evidence: keep an
    acquisition first and make a safety plan with an advocate. This is the only
    unstalk command that changes a phone. It runs
    'adb uninstall --user 0 PACKAGE' once the package name has been typed to
    confirm. Exit codes: 0 removed (or nothing done when not confirmed), 2 usage
    error, 3 the phone could not remove it.
    """
    if not is_package_name(package):
        raise UsageError(
            f"'{package}' is not an Android package name.",
            advice="Give the package name as the check reports it, e.g. com.example.app.",
        )
    if yes and not safety_plan:
        raise UsageError(
            "--yes is only accepted together with --i-have-a-safety-plan.",
            advice="Read the safety warning first: run the command without --yes.",
        )
    console = Console(highlight=False, soft_wrap=True)
    console.print(SAFETY_WARNING, markup=False)
    if not yes and not _confirmed(package):
        console.print("Nothing was removed.", markup=False)
        return
    adb = Adb()
    entry = adb.select_device(serial)
    _require_installed(adb, entry.serial, package)
    _uninstall(adb, entry.serial, package)
    console.print(
        f"Removed {package} from {entry.name} (serial {entry.serial}). Check the phone: "
        "Settings > Apps should no longer list it.",
        markup=False,
    )


def _confirmed(package: str) -> bool:
    try:
        typed = click.prompt(
            f"To remove it, type the package name ({package}); anything else cancels",
            default="",
            show_default=False,
        )
    except click.Abort:
        # No answer (input closed, or Ctrl-C) is not a confirmation.
        return False
    return str(typed).strip() == package


def _require_installed(adb: Adb, serial: str, package: str) -> None:
    # 'pm path' is one of the read-only queries, so it goes through the guarded path.
    listing = adb.shell(serial, ("pm", "path", package), PM_PATH_TIMEOUT)
    if b"package:" not in listing.stdout:
        raise DeviceError(
            f"{package} is not installed on this phone for its main user.",
            advice="Check the package name in the report, and that the right phone is plugged in.",
        )


def _uninstall(adb: Adb, serial: str, package: str) -> None:
    """Run ``adb uninstall --user 0 PACKAGE``: deliberately outside the read-only guard."""
    argv = [adb.program, "-s", serial, "uninstall", "--user", "0", package]
    try:
        result = adb.runner.run(argv, UNINSTALL_TIMEOUT)
    except FileNotFoundError as e:
        raise DeviceError("adb is not installed: sudo apt install adb") from e
    reason = lost_reason(result, UNINSTALL_TIMEOUT)
    if reason is not None:
        raise DeviceLostError(
            f"The phone stopped answering while removing {package} ({reason}).",
            reason=reason,
            advice="Check the cable and unlock the phone; then check whether the app is gone.",
        )
    _check_removed(result, package)


def _check_removed(result: RunResult, package: str) -> None:
    said = (result.stdout + result.stderr).decode("utf-8", "replace").strip()
    if result.exit_code == 0 and "Success" in said:
        return
    if "DELETE_FAILED_DEVICE_POLICY_MANAGER" in said:
        raise DeviceError(
            f"The phone refused to remove {package}: it is an active device administrator.",
            advice="On the phone, open Settings > Security > Device admin apps, switch it off, "
            "then run this command again.",
        )
    raise DeviceError(
        f"The phone did not remove {package}: {said or 'adb gave no answer'}.",
        advice="Try removing it on the phone in Settings > Apps.",
    )
