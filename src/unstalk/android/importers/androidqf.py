"""AndroidQF acquisitions (github.com/mvt-project/androidqf): a folder, or the zip it writes.

The files unstalk reads: ``getprop.txt``; ``dumpsys.txt`` (``dumpsys`` of every
service, cut apart by :mod:`.sections`); ``settings_secure.txt``,
``settings_system.txt``, ``settings_global.txt`` (``cmd settings list``);
``packages.json`` (one object per package and user: ``name``, ``installer``,
``uid``, ``disabled``, ``system``, ``third_party``, ``files`` with each APK's
``path``, ``local_name``, ``sha256`` and ``certificate`` (``Sha256`` ...));
``root_binaries.json`` (what ``which -a`` found for su, magisk ...);
``acquisition.json`` (``androidqf_version``, ``started``, ``completed``) and
``hashes.csv``. The other files (``processes.txt``, ``services.txt``,
``files.json``, logs, ``backup.ab``, ``bugreport.zip``, APKs) are hashed, not parsed.

``hashes.csv`` rows are ``path,sha256``: the zip entry name in the zips AndroidQF
writes, the full path on the computer that made it in older folders. Older
versions go on writing ``command.log`` after hashing, so a changed
``command.log`` is noted, not treated as tampering.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from unstalk.android.importers._archive import (
    JSON_LIMIT,
    TEXT_LIMIT,
    Archive,
    HashCheck,
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
    missing,
    parse_settings,
)
from unstalk.android.importers.sections import ServiceDump, find_service, split_services
from unstalk.android.model import Acquisition, AppPackage, Parsed, ParseStatus
from unstalk.android.parsers.packages import PackageListing, PackageSources

FORMAT_NAME = "androidqf"
METADATA = "acquisition.json"
HASHES = "hashes.csv"
DUMPSYS = "dumpsys.txt"
PACKAGES = "packages.json"
ROOT_BINARIES = "root_binaries.json"
_LOG = "command.log"
GETPROP = "getprop.txt"
_SETTINGS = ("settings_secure.txt", "settings_system.txt", "settings_global.txt")
_READ = (GETPROP, DUMPSYS, *_SETTINGS, PACKAGES, ROOT_BINARIES, METADATA)
"""The files parsed; every other file is only hashed."""
_PACKAGE = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_NOT_ROOT = frozenset({"busybox"})
"""Found by AndroidQF's root check, but shipped on many phones that are not rooted."""


def is_androidqf(archive: Archive) -> bool:
    names = archive.names()
    if METADATA in names and b"androidqf_version" in archive.read(METADATA, JSON_LIMIT)[:4096]:
        return True
    return PACKAGES in names and (DUMPSYS in names or GETPROP in names)


def load_androidqf(archive: Archive, *, verify: bool = True) -> Acquisition:
    """Every part of an AndroidQF acquisition, parsed; see the module docstring."""
    texts: dict[str, str] = {}
    known: dict[str, str] = {}
    for name in _READ:
        if name in archive.names():
            data = archive.read(name, JSON_LIMIT if name.endswith(".json") else TEXT_LIMIT)
            known[name] = hashlib.sha256(data).hexdigest()
            texts[name] = data.decode("utf-8", errors="replace")
    check = _check(archive, known, verify)
    integrity = raise_or_keep(check, archive.label, verify=verify, manifest=HASHES)
    dumps = split_services(texts[DUMPSYS]) if DUMPSYS in texts else None
    listing = _PackagesJson(texts.get(PACKAGES), archive.names())
    which_su, extra = _root_binaries(texts.get(ROOT_BINARIES))
    sources = Sources(
        getprop=_file(texts, GETPROP),
        package_dump=_service(dumps, "package"),
        accessibility=_service(dumps, "accessibility"),
        device_policy=_service(dumps, "device_policy"),
        notification=_service(dumps, "notification"),
        appops=_service(dumps, "appops"),
        launcher=absent("launcher icons", "AndroidQF does not record which apps have an icon"),
        settings=(
            parse_settings(_file(texts, _SETTINGS[0])),
            parse_settings(_file(texts, _SETTINGS[1])),
            parse_settings(_file(texts, _SETTINGS[2])),
        ),
        root=RootSources(
            source=f"{ROOT_BINARIES}, {GETPROP}, {PACKAGES}",
            which_su=which_su,
            ls_stdout=absent("root paths", "AndroidQF does not list the known root paths"),
            extra=extra,
        ),
        dump_time=_dump_time(dumps, texts.get(METADATA)),
    )
    origin = Provenance(
        source=archive.label,
        format=FORMAT_NAME,
        apk_files=tuple(listing.apk_files),
        file_hashes=tuple(sorted(check.hashes.items())),
        integrity=integrity,
    )
    return assemble(sources, listing.build, origin)


def _file(texts: dict[str, str], name: str) -> Found:
    if name not in texts:
        return absent(name, f"{name} is not in this AndroidQF acquisition")
    return Found(name, texts[name])


def _service(dumps: tuple[ServiceDump, ...] | None, name: str) -> Found:
    if dumps is None:
        return absent(DUMPSYS, f"{DUMPSYS} is not in this AndroidQF acquisition")
    dump = find_service(dumps, name)
    if dump is None:
        return absent(DUMPSYS, f"{DUMPSYS} has no dump of the {name} service")
    return Found(f"{DUMPSYS}: {dump.label}", dump.text, problems=dump.problems())


def _dump_time(dumps: tuple[ServiceDump, ...] | None, metadata: str | None) -> datetime | None:
    appops = find_service(dumps, "appops") if dumps else None
    if appops is not None and appops.ended_at is not None:
        return datetime.fromisoformat(appops.ended_at)
    try:
        data = json.loads(metadata) if metadata else None
    except (json.JSONDecodeError, RecursionError):
        return None
    for key in ("completed", "started"):
        value = data.get(key) if isinstance(data, dict) else None
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            continue
        # Go writes an unset time as year 1.
        if moment is not None and moment.year > 2000 and moment.tzinfo is not None:
            return moment
    return None


def _check(archive: Archive, known: dict[str, str], verify: bool) -> HashCheck:
    names = archive.names()
    if HASHES not in names:
        check = check_hashes(archive, {}, known, verify=verify, manifest=HASHES)
        check.notes.append(
            f"no {HASHES}: the hashes were computed on import and cannot show whether a file "
            "changed after the acquisition"
        )
        return check
    recorded, bad = _hashes_csv(archive.read(HASHES, JSON_LIMIT), names)
    log_digest = recorded.pop(_LOG, None)
    check = check_hashes(archive, recorded, known, verify=verify, manifest=HASHES)
    check.problems[:0] = bad
    if log_digest is not None and check.hashes.get(_LOG) not in (None, log_digest):
        check.notes.append(
            f"{_LOG} changed after {HASHES} was written (older AndroidQF versions go on "
            "logging after hashing; unstalk does not read it)"
        )
    return check


def _hashes_csv(data: bytes, names: frozenset[str]) -> tuple[dict[str, str], list[str]]:
    recorded: dict[str, str] = {}
    bad: list[str] = []
    rows = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")))
    for number, row in enumerate(rows, 1):
        if not row:
            continue
        if len(row) != 2 or not _SHA256.fullmatch(row[1].strip()):
            bad.append(f"{HASHES} line {number} is not a 'path,sha256' row")
            continue
        name = _resolve(row[0], names)
        if name != HASHES:
            recorded[name] = row[1].strip().lower()
    return recorded, bad


def _resolve(path: str, names: frozenset[str]) -> str:
    """The acquisition file a hashes.csv path names (absolute paths of the acquiring host)."""
    parts = [part for part in path.replace("\\", "/").split("/") if part]
    for start in range(len(parts)):
        candidate = "/".join(parts[start:])
        if candidate in names:
            return candidate
    return "/".join(parts)


def _root_binaries(text: str | None) -> tuple[Found, tuple[str, ...]]:
    if text is None:
        return absent(ROOT_BINARIES, f"{ROOT_BINARIES} is not in this acquisition"), ()
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        return absent(ROOT_BINARIES, f"{ROOT_BINARIES} is damaged ({e})"), ()
    if not isinstance(data, list):
        return absent(ROOT_BINARIES, f"{ROOT_BINARIES} is not a list of paths"), ()
    paths = [
        line.strip()
        for item in data
        if isinstance(item, str)
        for line in item.splitlines()
        if line.strip()
    ]
    which = [p for p in paths if p.endswith("/su") or not p.startswith("/")]
    extra = tuple(
        f"root-path: {p}"
        for p in paths
        if p.startswith("/") and not p.endswith("/su") and p.rsplit("/", 1)[-1] not in _NOT_ROOT
    )
    return Found(ROOT_BINARIES, "\n".join(which)), extra


@dataclass
class _Entry:
    uids: list[int] = field(default_factory=list)
    installer: str | None = None
    apk_path: str | None = None
    system: bool = False
    third_party: bool = False
    disabled: bool = False
    rank: int | None = None
    """The lowest user id seen: the disabled flag is the one of that user (the owner)."""
    certs: list[str] = field(default_factory=list)
    certs_sha1: list[str] = field(default_factory=list)


class _PackagesJson:
    """packages.json as the package lists ``build_app_packages`` merges with the dump."""

    def __init__(self, text: str | None, names: frozenset[str]) -> None:
        self._names = names
        self._entries: dict[str, _Entry] = {}
        self._problems: list[str] = []
        self.apk_files: list[tuple[str, str]] = []
        self._error = self._load(text)

    def _load(self, text: str | None) -> str | None:
        if text is None:
            return f"{PACKAGES} is not in this AndroidQF acquisition"
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as e:
            return f"{PACKAGES} is damaged ({e})"
        if not isinstance(data, list):
            return f"{PACKAGES} is not a list of packages"
        for index, item in enumerate(data):
            if not isinstance(item, dict) or not _PACKAGE.fullmatch(str(item.get("name", ""))):
                self._problems.append(f"entry {index} is not a package with a valid name")
                continue
            self._add(str(item["name"]), item)
        return None if self._entries else f"{PACKAGES} lists no package"

    def _add(self, name: str, item: dict[str, object]) -> None:
        entry = self._entries.setdefault(name, _Entry())
        user = item.get("user_id")
        rank = user if isinstance(user, int) else 0
        uid = item.get("uid")
        if isinstance(uid, int) and not isinstance(uid, bool) and uid > 0 and uid not in entry.uids:
            entry.uids.append(uid)
        installer = item.get("installer")
        if isinstance(installer, str) and installer not in ("", "null") and not entry.installer:
            entry.installer = installer
        entry.system |= item.get("system") is True
        entry.third_party |= item.get("third_party") is True
        if entry.rank is None or rank < entry.rank:
            entry.rank, entry.disabled = rank, item.get("disabled") is True
        files = item.get("files")
        for file in files if isinstance(files, list) else []:
            if isinstance(file, dict):
                self._file(name, entry, file)

    def _file(self, name: str, entry: _Entry, file: dict[str, object]) -> None:
        path, local = file.get("path"), file.get("local_name")
        if isinstance(path, str) and path.startswith("/") and entry.apk_path is None:
            entry.apk_path = path
        if isinstance(local, str) and local:
            inside = _resolve(local, self._names)
            if inside in self._names and (name, inside) not in self.apk_files:
                self.apk_files.append((name, inside))
        cert = file.get("certificate")
        if isinstance(cert, dict):
            _keep_digest(entry.certs, cert.get("Sha256"), _SHA256)
            # Feeds such as Echap list signing certificates by SHA-1 only.
            _keep_digest(entry.certs_sha1, cert.get("Sha1"), _SHA1)

    def _names_part(self, label: str, flag: str) -> Parsed[frozenset[str]]:
        if self._error is not None:
            return missing(f"{PACKAGES} ({label})", self._error)
        chosen = frozenset(n for n, e in self._entries.items() if getattr(e, flag))
        if flag != "disabled" and not any(
            e.system or e.third_party for e in self._entries.values()
        ):
            # AndroidQF leaves every flag false when `pm list packages -s/-3` failed.
            return missing(f"{PACKAGES} ({label})", f"{PACKAGES} does not say which are {label}")
        return Parsed(f"{PACKAGES} ({label})", ParseStatus.OK, chosen)

    def build(self, details: Details) -> Packages:
        if self._error is not None:
            listing: Parsed[tuple[PackageListing, ...]] = missing(PACKAGES, self._error)
        else:
            status = ParseStatus.PARTIAL if self._problems else ParseStatus.OK
            value = tuple(
                PackageListing(n, e.apk_path, None, e.installer, tuple(e.uids))
                for n, e in self._entries.items()
            )
            listing = Parsed(PACKAGES, status, value, tuple(self._problems[:20]))
        apps = merge_packages(
            PackageSources(
                listing=listing,
                details=details,
                system=self._names_part("system apps", "system"),
                third_party=self._names_part("third-party apps", "third_party"),
                disabled=self._names_part("disabled apps", "disabled"),
            )
        )
        if apps.value is None:
            return apps
        signed = tuple(self._with_certificates(app) for app in apps.value)
        return Parsed(apps.source, apps.status, signed, apps.problems)

    def _with_certificates(self, app: AppPackage) -> AppPackage:
        entry = self._entries.get(app.name)
        if entry is None or not (entry.certs or entry.certs_sha1):
            return app
        return replace(app, cert_sha256=tuple(entry.certs), cert_sha1=tuple(entry.certs_sha1))


def _keep_digest(kept: list[str], digest: object, shape: re.Pattern[str]) -> None:
    if isinstance(digest, str) and shape.fullmatch(digest) and digest.lower() not in kept:
        kept.append(digest.lower())
