"""``unstalk capture``: record a phone's traffic to a file, for ``unstalk check pcap``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from unstalk.errors import UsageError
from unstalk.netcap import acquire

MAX_DURATION = 24 * 3600


@click.command()
@click.option(
    "-i",
    "--interface",
    required=True,
    help="Network interface to capture on: the one the phone's hotspot runs on (often wlan0). "
    "'dumpcap -D' lists them.",
)
@click.option(
    "-d",
    "--duration",
    type=click.IntRange(1, MAX_DURATION),
    required=True,
    help="How many seconds to capture (600 or more recommended, while the phone is in use).",
)
@click.option(
    "-f",
    "--filter",
    "bpf",
    help="Capture filter in tcpdump syntax, e.g. 'host 10.42.0.23' to keep only one phone.",
)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def capture(interface: str, duration: int, bpf: str | None, out: Path) -> None:
    """Record the traffic on a network interface to a pcapng file, with dumpcap or tshark.

    Share this computer's connection as a Wi-Fi hotspot, connect the phone to
    it, then capture on the hotspot's interface while the phone is used as
    usual. Check the file afterwards with 'unstalk check pcap OUT'. The file
    holds everything the phone sent: keep it private and delete it when done.
    See docs/network.md for the whole recipe.
    """
    if out.exists():
        raise UsageError(
            f"{out} already exists.",
            advice="Choose another file name: unstalk never overwrites a capture.",
        )
    console = Console(stderr=True, highlight=False)
    with console.status(f"Capturing on {escape(interface)} for {duration} seconds..."):
        run = acquire.capture(interface, duration, out, bpf=bpf)
    report = Console(highlight=False, soft_wrap=True)
    report.print(
        f"Capture saved to {escape(str(run.path.resolve()))} ({run.size} bytes, {run.tool})."
    )
    report.print(f"Check it with: unstalk check pcap {escape(str(run.path))}")
    report.print(
        "This file holds the phone's traffic: keep it private, and delete it once the "
        "check is done and no longer needed as evidence."
    )
