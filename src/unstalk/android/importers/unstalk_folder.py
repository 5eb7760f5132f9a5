"""unstalk's own acquisition folder (``unstalk android acquire``), or a zip of one.

The folder holds one file per command, ``acquisition.json`` (which commands ran,
with exit codes; see :mod:`unstalk.android.acquire.acquisition`) and
``SHA256SUMS``. An output whose command never ran, was cut off when the phone
went away, or failed without printing anything becomes a ``MISSING`` part that
says which of these happened.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import cast

from unstalk.android.acquire.acquisition import FORMAT, FORMAT_VERSION, MANIFEST_FILE, METADATA_FILE
from unstalk.android.acquire.plan import PLAN
from unstalk.android.importers._archive import (
    JSON_LIMIT,
    Archive,
    NotAnAcquisitionError,
    check_hashes,
    raise_or_keep,
)
from unstalk.android.importers._assemble import (
    Details,
    Found,
    Packages,
    Provenance,
    RootSources,
    Sources,
    absent,
    assemble,
    merge_packages,
    parse,
    parse_settings,
)
from unstalk.android.model import Acquisition, Parsed
from unstalk.android.parsers.packages import (
    PackageSources,
    parse_package_list,
    parse_package_names,
)

FORMAT_NAME = "unstalk"
_MANIFEST_LINE = re.compile(r"\\?(?P<digest>[0-9a-fA-F]{64}) [ *](?P<name>.+)")
_STDERR = {step.output: step.stderr_output for step in PLAN}


def is_unstalk(archive: Archive) -> bool:
    """True when ``archive`` holds an ``acquisition.json`` written by unstalk."""
    if METADATA_FILE not in archive.names():
        return False
    head = archive.read(METADATA_FILE, JSON_LIMIT)[:4096]
    return FORMAT.encode() in head


def load_unstalk(archive: Archive, *, verify: bool = True) -> Acquisition:
    """Every part of an unstalk acquisition, parsed; see the module docstring."""
    raw = archive.read(METADATA_FILE, JSON_LIMIT)
    metadata = _metadata(raw, archive.label)
    reader = _Reader(archive, metadata)
    known = {METADATA_FILE: hashlib.sha256(raw).hexdigest(), **reader.read_all()}
    recorded, bad_lines = _manifest(archive)
    check = check_hashes(archive, recorded or {}, known, verify=verify, manifest=MANIFEST_FILE)
    check.problems[:0] = bad_lines
    check.problems += _metadata_mismatches(metadata, check.hashes)
    if recorded is None:
        check.notes.append(
            f"no {MANIFEST_FILE}: the hashes were computed on import and cannot show whether "
            "a file changed after the acquisition"
        )
    integrity = raise_or_keep(
        check, archive.label, verify=verify, manifest=f"{MANIFEST_FILE} and {METADATA_FILE}"
    )
    origin = Provenance(
        source=archive.label,
        format=FORMAT_NAME,
        apk_files=reader.apk_files(),
        file_hashes=tuple(sorted(check.hashes.items())),
        integrity=integrity,
    )
    return assemble(reader.sources(), reader.build_packages, origin)


def _metadata(raw: bytes, label: str) -> dict[str, object]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise NotAnAcquisitionError(
            f"{label}: {METADATA_FILE} is damaged ({e}).",
            advice="Use the original copy of the acquisition folder.",
        ) from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise NotAnAcquisitionError(
            f'{label}: {METADATA_FILE} was not written by unstalk (expected "format": "{FORMAT}").'
        )
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise NotAnAcquisitionError(
            f"{label}: this acquisition uses format version {version!r}; this unstalk reads "
            f"version {FORMAT_VERSION}.",
            advice="Update unstalk to read acquisitions made by newer versions.",
        )
    return cast(dict[str, object], data)


def _metadata_mismatches(metadata: dict[str, object], hashes: dict[str, str]) -> list[str]:
    """Files whose SHA-256 differs from the one acquisition.json recorded as they were written."""
    recorded: list[tuple[object, object]] = []
    for key in ("commands", "apks"):
        entries = metadata.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                recorded.append((entry.get("output") or entry.get("file"), entry.get("sha256")))
                recorded.append((entry.get("stderr_output"), entry.get("stderr_sha256")))
    problems = []
    for name, digest in recorded:
        if not isinstance(name, str) or not isinstance(digest, str):
            continue
        found = hashes.get(name)
        if found is None:
            problems.append(f"{name} is listed in {METADATA_FILE} but is not in the acquisition")
        elif found != digest.lower():
            problems.append(f"{name} has changed: {METADATA_FILE} records {digest.lower()}")
    return problems


def _manifest(archive: Archive) -> tuple[dict[str, str] | None, list[str]]:
    """SHA256SUMS as {name: digest}, and its lines that are not in ``sha256sum`` form."""
    if MANIFEST_FILE not in archive.names():
        return None, []
    text = archive.read(MANIFEST_FILE, JSON_LIMIT).decode("utf-8", errors="replace")
    recorded: dict[str, str] = {}
    bad: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _MANIFEST_LINE.fullmatch(line)
        if match is None:
            if line.strip():
                bad.append(f"{MANIFEST_FILE} line {number} is not a 'digest  name' line")
            continue
        recorded[match.group("name")] = match.group("digest").lower()
    return recorded, bad


def _utc(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class _Reader:
    """The outputs of one acquisition, read once, with what acquisition.json says of them."""

    def __init__(self, archive: Archive, metadata: dict[str, object]) -> None:
        self._archive = archive
        self._metadata = metadata
        commands = metadata.get("commands")
        self._commands = {
            str(c["output"]): c
            for c in (commands if isinstance(commands, list) else [])
            if isinstance(c, dict) and isinstance(c.get("output"), str)
        }
        self._texts: dict[str, str] = {}

    def read_all(self) -> dict[str, str]:
        """Read every plan output present; return their SHA-256 digests."""
        digests: dict[str, str] = {}
        names = self._archive.names()
        for step in PLAN:
            for name in (step.output, step.stderr_output):
                if name in names:
                    data = self._archive.read(name)
                    digests[name] = hashlib.sha256(data).hexdigest()
                    self._texts[name] = data.decode("utf-8", errors="replace")
        return digests

    def _why_absent(self) -> str:
        stopped = self._metadata.get("stopped_because")
        if self._metadata.get("complete") is False:
            because = f" ({stopped})" if isinstance(stopped, str) and stopped else ""
            return f"the acquisition stopped before this command ran{because}"
        return "this command was not run in this acquisition"

    def found(self, name: str) -> Found:
        command = self._commands.get(name)
        text = self._texts.get(name)
        if command is None:
            if text is not None:
                return Found(name, text, problems=(f"{METADATA_FILE} does not list {name}",))
            return absent(name, self._why_absent())
        if command.get("exit_code") is None:
            error = command.get("error")
            detail = f" ({error})" if isinstance(error, str) and error else ""
            return absent(name, f"the phone went away while this command ran{detail}")
        if text is None:
            return absent(name, f"{name} is listed in {METADATA_FILE} but not in the folder")
        if command.get("normal_exit", True) is not False:
            return Found(name, text)
        failure = self._failure(name, command.get("exit_code"))
        if not text.strip():
            return absent(name, failure)
        return Found(name, text, problems=(failure,))

    def _failure(self, name: str, code: object) -> str:
        stderr = self._texts.get(_STDERR.get(name, ""), "").strip()
        first = stderr.splitlines()[0][:160] if stderr else ""
        said = f": {first!r}" if first else ""
        return f"the command failed on the phone (exit code {code}){said}"

    def sources(self) -> Sources:
        return Sources(
            getprop=self.found("getprop.txt"),
            package_dump=self.found("dumpsys_package.txt"),
            accessibility=self.found("dumpsys_accessibility.txt"),
            device_policy=self.found("dumpsys_device_policy.txt"),
            notification=self.found("dumpsys_notification.txt"),
            appops=self.found("dumpsys_appops.txt"),
            launcher=self.found("launcher_activities.txt"),
            settings=(
                parse_settings(self.found("settings_secure.txt")),
                parse_settings(self.found("settings_system.txt")),
                parse_settings(self.found("settings_global.txt")),
            ),
            root=RootSources(
                source="root_which_su.txt, root_indicators.txt",
                which_su=self.found("root_which_su.txt"),
                ls_stdout=self.found("root_indicators.txt"),
                ls_stderr=self._texts.get("root_indicators.stderr.txt"),
            ),
            dump_time=_utc(self._metadata.get("finished_utc")),
        )

    def build_packages(self, details: Details) -> Packages:
        return merge_packages(
            PackageSources(
                listing=parse(
                    self.found("packages.txt"),
                    lambda text, source: parse_package_list(text, source=source),
                ),
                details=details,
                system=parse(self.found("packages_system.txt"), _names),
                third_party=parse(self.found("packages_third_party.txt"), _names),
                disabled=parse(self.found("packages_disabled.txt"), _names),
            )
        )

    def apk_files(self) -> tuple[tuple[str, str], ...]:
        apks = self._metadata.get("apks")
        found: list[tuple[str, str]] = []
        for entry in apks if isinstance(apks, list) else []:
            if not isinstance(entry, dict):
                continue
            package, file = entry.get("package"), entry.get("file")
            if isinstance(package, str) and isinstance(file, str) and file in self._archive.names():
                found.append((package, file))
        return tuple(found)


def _names(text: str, source: str) -> Parsed[frozenset[str]]:
    return parse_package_names(text, source=source)
