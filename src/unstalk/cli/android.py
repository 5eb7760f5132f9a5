"""``unstalk android``: read-only acquisition from an Android phone over USB."""

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
from unstalk.android.acquire.adb import Adb
from unstalk.errors import FeedError
from unstalk.feed.model import Provenance

from . import settings


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
    console = Console(stderr=True, highlight=False)
    feed = _feed_provenance(console)
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

        result = acquire(Adb(), out, serial=serial, pull_apks=pull_apks, feed=feed, progress=show)
    _summary(Console(highlight=False, soft_wrap=True), result)
