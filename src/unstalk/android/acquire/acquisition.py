"""Run the read-only plan against one phone and write an acquisition folder.

The folder holds each command's output untouched (one file per command, its
error output beside it when there is any), ``acquisition.json`` (device, tool
and feed versions, UTC times, every command with its exit code and hash) and
``SHA256SUMS`` over every other file, in the format ``sha256sum -c`` checks.

Files are written as soon as each command returns, so when the phone goes away
mid-way what was collected stays on disk, hashed, and marked incomplete.

acquisition.json (``format_version`` 1) has: ``format``, ``format_version``,
``tool`` (unstalk and adb versions), ``feed`` (the indicator feed in use: format,
source, version, retrieval time, files with SHA-256), ``options``, ``complete``
and ``stopped_because`` (why it ended early, else null), ``device`` (serial,
adb's model and product, and model, manufacturer, Android version, SDK, security
patch and build fingerprint from getprop), ``started_utc`` / ``finished_utc``,
``commands`` (each with ``argv``, ``output``, ``exit_code`` (null when the phone
went away during it), ``normal_exit``, ``duration_s``, ``sha256``, ``size`` and,
when there was error output, ``stderr_output`` / ``stderr_sha256``) and ``apks``
(``package``, ``remote_path``, ``file``, ``sha256``, ``size``, or ``error``).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from unstalk import __version__
from unstalk.android.acquire.adb import Adb, DeviceEntry, DeviceLostError, RunResult
from unstalk.android.acquire.plan import (
    GETPROP_OUTPUT,
    PLAN,
    PM_PATH_TIMEOUT,
    PULL_TIMEOUT,
    THIRD_PARTY_OUTPUT,
    PlanStep,
    is_package_name,
)
from unstalk.errors import UsageError
from unstalk.feed.model import Provenance

METADATA_FILE = "acquisition.json"
MANIFEST_FILE = "SHA256SUMS"
APKS_DIR = "apks"
FORMAT = "unstalk-android-acquisition"
FORMAT_VERSION = 1

_PROPS = {
    "model": "ro.product.model",
    "manufacturer": "ro.product.manufacturer",
    "android_version": "ro.build.version.release",
    "sdk": "ro.build.version.sdk",
    "security_patch": "ro.build.version.security_patch",
    "build_fingerprint": "ro.build.fingerprint",
}
_PROP_LINE = re.compile(r"^\[([^\]]+)\]: \[(.*)\]$", re.MULTILINE)
_APK_NAME = re.compile(r"[A-Za-z0-9_.+-]+\.apk")


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """How far the acquisition is: ``done`` of ``total`` steps, and what runs next."""

    done: int
    total: int
    label: str


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True, slots=True)
class AcquisitionResult:
    """A finished acquisition, for the summary the CLI prints."""

    folder: Path
    serial: str
    model: str | None
    android_version: str | None
    outputs: int
    """Command outputs written (APK pulls not counted)."""
    apks: int
    failed: tuple[str, ...]
    """Output files whose command exited with an error (kept, and recorded)."""


@dataclass
class _Record:
    """What is being written, kept in memory until acquisition.json is written."""

    folder: Path
    device: dict[str, object]
    started: datetime
    commands: list[dict[str, object]] = field(default_factory=list)
    apks: list[dict[str, object]] = field(default_factory=list)


def check_folder(out: Path) -> None:
    """Refuse an ``out`` that is a file or already holds files (never mix two acquisitions)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file, not a folder.", advice="Give a new folder name.")
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(
            f"{out} is not empty.",
            advice="Give a new or empty folder, so files of two acquisitions never mix.",
        )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    # "xb": an acquisition never overwrites a file it already wrote.
    with path.open("xb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def _device_facts(entry: DeviceEntry, getprop: bytes) -> dict[str, object]:
    props = dict(_PROP_LINE.findall(getprop.decode("utf-8", "replace")))
    facts: dict[str, object] = {"serial": entry.serial, "adb_model": entry.model}
    facts["adb_product"] = entry.product
    for key, prop in _PROPS.items():
        facts[key] = props.get(prop) or None
    return facts


def _run_step(adb: Adb, record: _Record, serial: str, step: PlanStep) -> RunResult:
    argv = adb.shell_argv(serial, step.command)
    began = time.monotonic()
    entry: dict[str, object] = {"argv": argv, "output": step.output}
    try:
        result = adb.shell(serial, step.command, step.timeout)
    except DeviceLostError as e:
        entry.update(exit_code=None, duration_s=round(time.monotonic() - began, 3), error=e.reason)
        record.commands.append(entry)
        raise
    entry["exit_code"] = result.exit_code
    entry["normal_exit"] = result.exit_code in step.normal_exit_codes
    entry["duration_s"] = round(time.monotonic() - began, 3)
    entry["sha256"] = _write(record.folder, step.output, result.stdout)
    entry["size"] = len(result.stdout)
    if result.stderr:
        entry["stderr_output"] = step.stderr_output
        entry["stderr_sha256"] = _write(record.folder, step.stderr_output, result.stderr)
    record.commands.append(entry)
    return result


def third_party_packages(listing: bytes) -> list[str]:
    """Package names from ``pm list packages -3`` (``package:NAME`` lines), well-formed only."""
    names = []
    for line in listing.decode("utf-8", "replace").splitlines():
        name = line.strip().removeprefix("package:")
        if line.startswith("package:") and is_package_name(name):
            names.append(name)
    return sorted(set(names))


def _apk_paths(pm_path: bytes) -> list[str]:
    paths = []
    for line in pm_path.decode("utf-8", "replace").splitlines():
        path = line.strip().removeprefix("package:")
        if line.startswith("package:") and path.startswith("/") and ".." not in path:
            paths.append(path)
    return paths


def _pull_package(adb: Adb, record: _Record, serial: str, package: str) -> None:
    folder = f"{APKS_DIR}/{package}"
    step = PlanStep(f"{folder}/pm_path.txt", ("pm", "path", package), PM_PATH_TIMEOUT, package)
    listing = _run_step(adb, record, serial, step)
    for remote in _apk_paths(listing.stdout):
        name = remote.rsplit("/", 1)[-1]
        entry: dict[str, object] = {"package": package, "remote_path": remote}
        record.apks.append(entry)
        local = record.folder / folder / name
        if not _APK_NAME.fullmatch(name) or local.exists():
            entry["error"] = "not pulled: unexpected or repeated file name"
            continue
        began = time.monotonic()
        result = adb.pull(serial, remote, local, PULL_TIMEOUT)
        entry.update(
            argv=[adb.program, "-s", serial, "pull", remote, str(local)],
            exit_code=result.exit_code,
            duration_s=round(time.monotonic() - began, 3),
        )
        if result.exit_code == 0 and local.is_file():
            entry.update(file=f"{folder}/{name}", sha256=sha256_file(local))
            entry["size"] = local.stat().st_size
        else:
            entry["error"] = result.stderr.decode("utf-8", "replace").strip() or "not pulled"


def _feed_facts(feed: Provenance | None) -> dict[str, object] | None:
    if feed is None:
        return None
    return {
        "format": feed.format,
        "source": feed.source,
        "version": feed.version,
        "retrieved": _utc(feed.retrieved) if feed.retrieved else None,
        "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in feed.files],
    }


def _finish(record: _Record, metadata: dict[str, object], stopped: str | None) -> None:
    metadata.update(
        complete=stopped is None,
        stopped_because=stopped,
        device=record.device,
        started_utc=_utc(record.started),
        finished_utc=_utc(datetime.now(UTC)),
        commands=record.commands,
        apks=record.apks,
    )
    text = json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"
    _write(record.folder, METADATA_FILE, text.encode())
    write_manifest(record.folder)


def write_manifest(folder: Path) -> None:
    """Write ``SHA256SUMS`` for every file under ``folder`` (``sha256sum -c`` reads it)."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative != MANIFEST_FILE:
            lines.append(f"{sha256_file(path)}  {relative}\n")
    (folder / MANIFEST_FILE).write_text("".join(lines), encoding="utf-8")


def _collected(record: _Record, plan: Sequence[PlanStep]) -> str:
    planned = {step.output for step in plan}
    done = [
        str(c["output"])
        for c in record.commands
        if c.get("exit_code") is not None and c["output"] in planned
    ]
    if not done:
        return "Nothing was collected before that."
    return f"{len(done)} of {len(plan)} outputs were collected before that: {', '.join(done)}."


def acquire(
    adb: Adb,
    out: Path,
    *,
    serial: str | None = None,
    pull_apks: bool = False,
    feed: Provenance | None = None,
    progress: ProgressCallback | None = None,
    plan: Sequence[PlanStep] = PLAN,
) -> AcquisitionResult:
    """Collect ``plan`` from the phone into the new folder ``out``; see the module docstring.

    Raises :class:`DeviceLostError` when the phone goes away mid-way, after
    writing what was collected, marked ``"complete": false``.
    """
    check_folder(out)
    entry = adb.select_device(serial)
    out.mkdir(parents=True, exist_ok=True)
    metadata: dict[str, object] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool": {"name": "unstalk", "version": __version__, "adb": adb.version()},
        "feed": _feed_facts(feed),
        "options": {"pull_apks": pull_apks},
    }
    record = _Record(out, _device_facts(entry, b""), datetime.now(UTC))
    outputs = _collect(adb, record, metadata, entry, plan, progress, pull_apks)
    return AcquisitionResult(
        folder=out,
        serial=entry.serial,
        model=_str_or_none(record.device.get("model")) or (entry.name if entry.model else None),
        android_version=_str_or_none(record.device.get("android_version")),
        outputs=len(outputs),
        apks=sum(1 for a in record.apks if "file" in a),
        failed=tuple(str(c["output"]) for c in record.commands if not c.get("normal_exit")),
    )


def _collect(
    adb: Adb,
    record: _Record,
    metadata: dict[str, object],
    entry: DeviceEntry,
    plan: Sequence[PlanStep],
    progress: ProgressCallback | None,
    pull_apks: bool,
) -> dict[str, bytes]:
    """Run the plan and write acquisition.json and SHA256SUMS however it ends."""
    report = progress or (lambda _event: None)
    try:
        outputs = _run_plan(adb, record, entry, plan, report, pull_apks)
    except DeviceLostError as e:
        _finish(record, metadata, e.reason)
        raise DeviceLostError(
            f"{e.message} {_collected(record, plan)}",
            reason=e.reason,
            advice=(
                f"The incomplete acquisition is kept in {record.folder}, with its hashes, and "
                "marked incomplete in acquisition.json. Check the cable and unlock the phone, "
                "then run the acquisition again into a new, empty folder."
            ),
        ) from e
    except KeyboardInterrupt:
        # Stopped by the person at the keyboard: what was collected still gets its record.
        _finish(record, metadata, "stopped by the user")
        raise
    _finish(record, metadata, None)
    return outputs


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _run_plan(
    adb: Adb,
    record: _Record,
    entry: DeviceEntry,
    plan: Sequence[PlanStep],
    report: ProgressCallback,
    pull_apks: bool,
) -> dict[str, bytes]:
    outputs: dict[str, bytes] = {}
    for done, step in enumerate(plan):
        report(ProgressEvent(done, len(plan), step.label))
        outputs[step.output] = _run_step(adb, record, entry.serial, step).stdout
        if step.output == GETPROP_OUTPUT:
            record.device = _device_facts(entry, outputs[step.output])
    packages = third_party_packages(outputs.get(THIRD_PARTY_OUTPUT, b"")) if pull_apks else []
    total = len(plan) + len(packages)
    for done, package in enumerate(packages, start=len(plan)):
        report(ProgressEvent(done, total, f"APK of {package}"))
        _pull_package(adb, record, entry.serial, package)
    report(ProgressEvent(total, total, "done"))
    return outputs
