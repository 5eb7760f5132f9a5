"""``unstalk scan apk``: analyse APK files and folders, in parallel, one bad file never stops it."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TextIO

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from unstalk.apk.analyse import Analyser, error_reason
from unstalk.apk.result_json import analysis_dict, error_dict
from unstalk.errors import ApkError, Error, UsageError
from unstalk.feed.io import load_feed_path
from unstalk.feed.model import Feed

from . import settings

VERDICT_ORDER = ("stalkerware", "watchware", "suspicious", "no_evidence")
"""Most to least serious; ``--fail-on`` takes a threshold in this order."""

CRASHED = (
    "the analysis stopped unexpectedly (its process ended, for example for lack of memory); "
    "the file was not analysed"
)


@dataclass(frozen=True, slots=True)
class FileResult:
    """One file's outcome: what the table and the exit code need, and its JSON object as text.

    Workers serialise the JSON themselves, so the main process only writes text and the
    large result objects never cross between processes.
    """

    path: str
    verdict: str | None
    """None when the file could not be analysed."""
    json_text: str
    package: str | None = None
    families: tuple[str, ...] = ()
    summary: str = ""
    error: str = ""
    not_checked: tuple[str, ...] = ()
    problems: int = 0
    """Parts that could not be read or do not verify (listed in the JSON object)."""


_worker: Analyser | None = None


@dataclass(frozen=True, slots=True)
class _Setup:
    """What every worker needs to build its analyser (pickled once per worker)."""

    feed: Feed
    verify_signatures: bool = True


def _init_worker(setup: _Setup) -> None:
    global _worker  # noqa: PLW0603 - one analyser per worker process, built once
    _worker = Analyser(setup.feed, verify_signatures=setup.verify_signatures)


def _analyse(path: str) -> FileResult:
    assert _worker is not None, "worker not initialised"
    try:
        analysis = _worker.analyse_path(Path(path))
    except ApkError as e:
        return error_result(path, error_reason(e))
    except Error as e:
        return error_result(path, e.diagnostics().replace("\n", " "))
    except (MemoryError, RecursionError) as e:
        return error_result(path, f"too large or too deeply nested to analyse ({type(e).__name__})")
    except Exception as e:  # noqa: BLE001 - the batch boundary: one file's failure stays its own
        return error_result(
            path, f"unstalk failed on it ({type(e).__name__}: {e}); please report this bug"
        )
    verdict = analysis.verdict
    return FileResult(
        path=path,
        verdict=verdict.verdict.value,
        json_text=json.dumps(analysis_dict(analysis)),
        package=analysis.profile.manifest.package,
        families=tuple(dict.fromkeys(f.family.name for f in verdict.families)),
        summary=verdict.summary,
        not_checked=analysis.not_checked,
        problems=len(analysis.profile.problems) + len(analysis.profile.signing.problems),
    )


def error_result(path: str, reason: str) -> FileResult:
    """The result of a file that could not be analysed, with the reason in plain words."""
    return FileResult(path, None, json.dumps(error_dict(path, reason)), error=reason)


def collect_apks(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and every ``*.apk`` under the folders given, sorted, without repeats."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                if candidate.suffix.lower() == ".apk" and candidate.is_file():
                    found.setdefault(candidate, None)
        elif path.exists():
            found.setdefault(path, None)
        else:
            raise UsageError(f"{path} does not exist.", advice="Check the path and try again.")
    return list(found)


def _results(files: list[Path], jobs: int, setup: _Setup) -> Iterator[FileResult]:
    if jobs <= 1 or len(files) == 1:
        _init_worker(setup)
        for path in files:
            yield _analyse(str(path))
        return
    pending = files
    while pending:
        finished, failed = yield from _pool_round(pending, min(jobs, len(pending)), setup)
        if failed and not finished:
            # The pool broke before any file finished, so the file that broke it is among the
            # first ones handed out: analyse those alone to find it, then go on with the rest.
            for path in failed[:jobs]:
                _, crashed = yield from _pool_round([path], 1, setup)
                if crashed:
                    yield error_result(str(path), CRASHED)
            failed = failed[jobs:]
        pending = failed


def _pool_round(
    files: list[Path], jobs: int, setup: _Setup
) -> Generator[FileResult, None, tuple[int, list[Path]]]:
    """Analyse ``files`` in a process pool; return how many finished and those a crash stopped.

    A worker that dies (killed for memory, or a crash in a C library) breaks the whole pool
    and every file still waiting in it; those are handed back to be tried again.
    """
    finished, failed = 0, []
    with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(setup,)) as pool:
        futures: dict[Future[FileResult], Path] = {pool.submit(_analyse, str(p)): p for p in files}
        for future in as_completed(futures):
            try:
                result = future.result()
            except BrokenProcessPool:
                failed.append(futures[future])
                continue
            finished += 1
            yield result
    return finished, sorted(failed)


@click.group()
def scan() -> None:
    """Analyse files for stalkerware without running them."""


@scan.command("apk")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="table for people; json (one array, sorted by path) or jsonl (one object per line, "
    "as each file finishes) for tools.",
)
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), help="Write here.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="number of CPUs",
    help="APKs analysed at once.",
)
@click.option(
    "--fail-on",
    type=click.Choice(VERDICT_ORDER[:3]),
    default="stalkerware",
    show_default=True,
    help="Exit 1 when any APK gets this verdict or a more serious one.",
)
@click.option(
    "--feed",
    "feed_path",
    type=click.Path(exists=True, path_type=Path),
    help="Use this feed instead of the one installed.",
)
@click.option(
    "--no-verify",
    is_flag=True,
    help="Do not verify signatures and content digests (faster triage); "
    "each result then says its signatures were not verified.",
)
def scan_apk(
    paths: tuple[Path, ...],
    fmt: str,
    output: TextIO | None,
    jobs: int,
    fail_on: str,
    feed_path: Path | None,
    no_verify: bool,
) -> None:
    """Analyse APK files, and every *.apk under the folders given.

    Each APK gets a verdict against the coalition's criteria: stalkerware (a
    feed lists the app as stalkerware), watchware (a feed lists it as overt
    monitoring), suspicious (not listed, but it can spy, or hides and can
    monitor) or no evidence found by these checks, which never means the app
    is harmless. A file that cannot be analysed is reported as such and the
    others go on.

    Exit codes: 0 nothing at or above --fail-on, 1 found, 2 usage error,
    3 some files could not be analysed (and nothing at or above --fail-on).
    """
    files = collect_apks(paths)
    if not files:
        raise UsageError(
            "No APK found in the paths given.", advice="Folders are searched for *.apk."
        )
    # Loaded once, here: a feed that cannot be read stops the scan with its own message
    # instead of failing in every worker.
    feed = load_feed_path(feed_path) if feed_path else settings.feed_store().load()
    out = output or sys.stdout
    results = _run(files, jobs, _Setup(feed, verify_signatures=not no_verify), fmt, out)
    if fmt == "json":
        ordered = sorted(results, key=lambda r: r.path)
        out.write("[\n" + ",\n".join(r.json_text for r in ordered) + "\n]\n")
    elif fmt == "table":
        print_table(results, out)
    sys.exit(exit_code(results, fail_on))


def _run(files: list[Path], jobs: int, setup: _Setup, fmt: str, out: TextIO) -> list[FileResult]:
    results: list[FileResult] = []
    progress = Progress(
        TextColumn("Analysing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=len(files) < 2,
    )
    with progress:
        task = progress.add_task("apk", total=len(files))
        for result in _results(files, jobs, setup):
            results.append(result)
            if fmt == "jsonl":
                out.write(result.json_text + "\n")
                out.flush()
            progress.advance(task)
    return results


def exit_code(results: list[FileResult], fail_on: str) -> int:
    serious = VERDICT_ORDER[: VERDICT_ORDER.index(fail_on) + 1]
    if any(r.verdict in serious for r in results):
        return 1
    if any(r.verdict is None for r in results):
        return 3
    return 0


# The table ------------------------------------------------------------------------------------


def print_table(results: list[FileResult], out: TextIO) -> None:
    """One short row per file, then one paragraph per file that needs attention, then totals.

    The rows fit 80 columns (file name, verdict, package, families); the reasons, which are
    sentences, go below the table where they can wrap freely.
    """
    console = Console(file=out, highlight=False)
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    ordered = sorted(results, key=lambda r: (rank.get(r.verdict or "", -1), r.path))
    names = display_names(r.path for r in ordered)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for header in ("file", "verdict", "package", "families"):
        table.add_column(header, overflow="fold")
    for r in ordered:
        verdict = r.verdict.replace("_", " ") if r.verdict else "not analysed"
        table.add_row(names[r.path], verdict, r.package or "-", ", ".join(r.families) or "-")
    console.print(table)
    console.print()
    for r in ordered:
        detail = f"could not be analysed: {r.error}" if r.verdict is None else r.summary
        if r.verdict != "no_evidence":
            console.print(f"{names[r.path]}: {detail}", markup=False)
            console.print()
    for line in _totals(results):
        console.print(line, markup=False)


def display_names(paths: Iterable[str]) -> dict[str, str]:
    """File names, with as many parent folders as it takes to tell same-named files apart."""
    names: dict[str, str] = {}
    remaining = list(dict.fromkeys(paths))
    depth = 1
    while remaining:
        labels = {p: str(PurePath(*PurePath(p).parts[-depth:])) for p in remaining}
        counts = Counter(labels.values())
        names.update(
            (p, label)
            for p, label in labels.items()
            if counts[label] == 1 or depth >= len(PurePath(p).parts)
        )
        remaining = [p for p in remaining if p not in names]
        depth += 1
    return names


def _totals(results: list[FileResult]) -> list[str]:
    counts = Counter(r.verdict for r in results)
    parts = [f"{counts[v]} {v.replace('_', ' ')}" for v in VERDICT_ORDER if counts[v]]
    if counts[None]:
        parts.append(f"{counts[None]} could not be analysed")
    lines = [f"{len(results)} file(s): {', '.join(parts)}."]
    not_checked = sorted({note for r in results for note in r.not_checked})
    lines.extend(f"Not checked: {note}" for note in not_checked)
    damaged = sum(1 for r in results if r.problems)
    if damaged:
        lines.append(
            f"{damaged} file(s) have parts that could not be read or do not verify (a damaged "
            "signature, unreadable code); the JSON output lists them under 'problems'."
        )
    if counts["no_evidence"]:
        lines.append(
            "'no evidence' means these checks found nothing they know; it does not mean an app "
            "is safe."
        )
    return lines
