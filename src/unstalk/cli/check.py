"""``unstalk check pcap``: look for stalkerware traffic in network capture files."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from unstalk.cli.check_android import android
from unstalk.cli.check_ios import ios
from unstalk.errors import CaptureError, FeedFormatError, UsageError
from unstalk.feed.allowlist import AllowList
from unstalk.feed.index import FeedIndex
from unstalk.feed.io import load_feed_path
from unstalk.feed.model import Feed, provenance_summary
from unstalk.models import Severity
from unstalk.netcap.check import (
    JsonValue,
    NetworkCheckResult,
    check_capture,
    default_jobs,
    error_dict,
    flow_text,
    result_dict,
)
from unstalk.netcap.findings import NetworkFinding, Seen

from . import settings
from ._common import SEVERITY_STYLE, format_option

FAIL_ON = ("feed", "medium", "low")
"""``feed``: only indicator matches set exit code 1; ``medium`` and ``low`` add heuristics."""
PROGRESS_FROM_BYTES = 20 * 1024 * 1024
"""Show a progress bar when the files add up to at least this many bytes."""


_Outcome = tuple[Path, NetworkCheckResult | CaptureError]


@click.group()
def check() -> None:
    """Check a phone (Android, iPhone) or network captures for stalkerware."""


@check.command("pcap")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option
@click.option(
    "--allowlist",
    metavar="tinycheck|FILE",
    help="Lower heuristic findings for hosts on this allow-list to 'info': 'tinycheck' for the "
    "bundled TinyCheck list, or a file in TinyCheck's whitelist.json format. It never hides "
    "a match against the indicator feed.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="feed",
    show_default=True,
    help="Exit 1 on indicator matches (feed), or also on heuristic findings of this "
    "severity or above.",
)
@click.option(
    "--feed",
    "feed_path",
    type=click.Path(exists=True, path_type=Path),
    help="Use this feed instead of the one installed.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=default_jobs(),
    show_default="the number of CPUs, at most 4",
    help="Processes that share the reading of each capture of 32 MB or more; the result is "
    "the same with any number.",
)
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), help="Write here.")
def check_pcap(
    files: tuple[Path, ...],
    fmt: str,
    allowlist: str | None,
    fail_on: str,
    feed_path: Path | None,
    jobs: int,
    output: TextIO | None,
) -> None:
    """Look for stalkerware traffic in pcap or pcapng files (plain or gzip).

    Every host name (DNS, TLS and QUIC server names, HTTP Host), address and
    cleartext URL is matched against the indicator feed, then heuristics look
    for things worth a review: cleartext HTTP, unusual ports, encrypted DNS,
    dynamic-DNS names, suspicious top-level domains, addresses without a name
    and regular check-ins. Nothing is sent anywhere.

    Exit codes: 0 no known stalkerware traffic found by these checks (never a
    statement that the phone is safe), 1 found (see --fail-on), 2 usage error,
    3 a file could not be read (and nothing found in the others).
    """
    allow, label = _allowlist(allowlist)
    feed = load_feed_path(feed_path) if feed_path else settings.feed_store().load()
    index = FeedIndex.build(feed)
    outcomes = list(_check_all(files, index, allow, label, jobs))
    out = output or sys.stdout
    if fmt == "json":
        json.dump(_run_dict(feed, label, outcomes), out, indent=2)
        out.write("\n")
    else:
        _print_report(outcomes, Console(file=out, highlight=False, soft_wrap=True))
    sys.exit(exit_code(outcomes, fail_on))


def _allowlist(choice: str | None) -> tuple[AllowList | None, str | None]:
    if choice is None:
        return None, None
    if choice == "tinycheck":
        data = (
            resources.files("unstalk.netcap") / "data" / "tinycheck_whitelist.json"
        ).read_bytes()
        return AllowList.from_tinycheck(data, "bundled TinyCheck whitelist.json"), "tinycheck"
    path = Path(choice)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UsageError(
            f"Cannot read the allow-list {path} ({e.strerror or e}).",
            advice="Give 'tinycheck' or the path of a TinyCheck whitelist.json file.",
        ) from e
    try:
        return AllowList.from_tinycheck(data, str(path)), str(path)
    except FeedFormatError as e:
        raise UsageError(e.message, advice="The allow-list must be in TinyCheck's format.") from e


def _check_all(
    files: tuple[Path, ...],
    index: FeedIndex,
    allow: AllowList | None,
    label: str | None,
    jobs: int,
) -> Iterator[_Outcome]:
    sizes = [_size(path) for path in files]
    # Redrawn on each read rather than by a thread of its own: with no other thread
    # running, the processes that share a big capture can be started by forking.
    progress = Progress(
        TextColumn("Reading {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        auto_refresh=False,
        disable=sum(sizes) < PROGRESS_FROM_BYTES,
    )
    with progress:
        task = progress.add_task("captures", total=sum(sizes))
        for path in files:
            progress.update(task, description=escape(path.name))
            try:
                yield (
                    path,
                    check_capture(
                        path,
                        index,
                        allowlist=allow,
                        allowlist_label=label,
                        progress=lambda n: progress.update(task, advance=n, refresh=True),
                        jobs=jobs,
                    ),
                )
            except CaptureError as e:
                yield path, e


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def exit_code(outcomes: list[_Outcome], fail_on: str) -> int:
    """1 when something at or above ``fail_on`` was found, else 3 when a file failed, else 0."""
    results = [o for _, o in outcomes if isinstance(o, NetworkCheckResult)]
    findings = [f for r in results for f in r.findings]
    if any(f.is_feed_match for f in findings):
        return 1
    if fail_on != "feed":
        worst = Severity(fail_on).rank
        if any(f.severity.rank <= worst for f in findings):
            return 1
    if len(results) < len(outcomes):
        return 3
    return 0


def _run_dict(feed: Feed, label: str | None, outcomes: list[_Outcome]) -> dict[str, JsonValue]:
    provenance = feed.provenance
    return {
        "feed": provenance_summary(provenance),
        "allowlist": label,
        "results": [
            result_dict(o)
            if isinstance(o, NetworkCheckResult)
            else error_dict(str(path), o.message.removeprefix(f"{path}: "))
            for path, o in outcomes
        ],
    }


def _print_report(outcomes: list[_Outcome], console: Console) -> None:
    for path, outcome in outcomes:
        if isinstance(outcome, CaptureError):
            message = outcome.message.removeprefix(f"{path}: ")
            console.print(f"[bold red]Could not check {escape(str(path))}:[/] {escape(message)}")
            if outcome.advice:
                console.print(escape(outcome.advice))
        else:
            _print_result(outcome, console)
        console.print()


def _print_result(result: NetworkCheckResult, console: Console) -> None:
    summary = result.summary
    console.print(
        f"[bold]{escape(result.path)}[/]: {summary.format}, {summary.packets} packet(s), "
        f"{_clock(summary.first_timestamp)} to {_clock(summary.last_timestamp)}; "
        f"{result.flows} connection(s), {result.names} host name(s)"
    )
    style = "bold red" if result.feed_matches else "bold"
    console.print(f"[{style}]{escape(result.headline)}[/]")
    for finding in result.findings:
        console.print()
        _print_finding(finding, console)
    console.print()
    console.print("What these checks could not see:")
    for limit in result.limits:
        console.print(f"  - {escape(limit)}")


_SEEN = {
    Seen.DNS_QUERY: "DNS question",
    Seen.DNS_ANSWER: "DNS answer",
    Seen.TLS_SNI: "TLS server name",
    Seen.QUIC_SNI: "QUIC server name",
    Seen.HTTP_HOST: "HTTP Host",
    Seen.HTTP_URL: "HTTP URL",
    Seen.CONNECTION: "connection",
}
_PAD = " " * 9


def _print_finding(finding: NetworkFinding, console: Console) -> None:
    severity = finding.severity
    console.print(
        f"[{SEVERITY_STYLE[severity]}]{severity.value.upper():<8}[/] {escape(finding.summary)}"
    )
    evidence = finding.evidence
    first = evidence.first
    where = f"frame {first.number}, " if first.number is not None else ""
    seen = ", ".join(_SEEN[s] for s in evidence.seen_as)
    line = f"{where}{_clock(first.timestamp)}, as {seen}"
    if evidence.count > 1:
        line += f" ({evidence.count} times, last {_clock(evidence.last_timestamp)})"
    console.print(f"{_PAD}seen: {escape(line)}")
    if first.flow is not None:
        console.print(f"{_PAD}connection: {escape(flow_text(first.flow))}")
    indicator = finding.indicator
    if indicator is not None:
        role = indicator.role.value if indicator.role else "no role given"
        console.print(
            f"{_PAD}indicator: {indicator.kind.value} {escape(indicator.value)} ({role}) of "
            f"{escape(indicator.family)} ({indicator.family_type.value}), from "
            f"{escape(indicator.source or 'the feed')}"
        )
    elif finding.detail:
        console.print(f"{_PAD}{escape(finding.detail)}")
    if finding.allowlisted:
        console.print(f"{_PAD}lowered to info by the allow-list")


def _clock(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


check.add_command(android)
check.add_command(ios)
