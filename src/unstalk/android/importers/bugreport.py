"""Android bugreport zips (``adb bugreport``, or Settings > Developer options > Bug report).

A bugreport zip (format version 2.0, Android 7 onwards) holds ``version.txt``,
``main_entry.txt`` naming its main text ``bugreport-<device>-<build>-<time>.txt``,
and files under ``FS/``, ``proto/`` ... The main text is dumpstate's output:
a ``== dumpstate: <time>`` header, then ``------ TITLE (command) ------``
sections, among them ``SYSTEM PROPERTIES (getprop)`` and the ``DUMPSYS``
sections holding every service's dump (see :mod:`.sections`).

A bugreport has no ``pm list packages``, ``settings list``, launcher query or
root-file check. Packages come from the package dump alone; settings from the
settings provider's dump (``SECURE SETTINGS (user 0)`` then ``_id:12
name:key pkg:android value:v default:v defaultSystemSet:true`` lines, one per
setting); the launcher list is ``MISSING``; root signs come from the properties
and the installed packages only.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from datetime import datetime

from unstalk.android.importers._archive import (
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
    missing,
)
from unstalk.android.importers.sections import (
    ServiceDump,
    dumpstate_section,
    dumpstate_time,
    find_service,
    split_services,
)
from unstalk.android.model import Acquisition, Parsed, ParseStatus
from unstalk.android.parsers.packages import PackageSources
from unstalk.android.parsers.settings import Table

FORMAT_NAME = "bugreport"
MAIN_ENTRY = "main_entry.txt"
_MAIN_PATTERNS = ("bugreport-*.txt", "bugreport*.txt", "dumpState_*.log")
_NAMESPACES = ("SECURE", "SYSTEM", "GLOBAL")
_PROVIDER_HEADER = re.compile(r"(?P<namespace>[A-Z]+) SETTINGS \(user (?P<user>\d+)\)")
_PROVIDER_LINE = re.compile(
    r"_id:\S+ name:(?P<name>\S+)(?: pkg:\S+)? value:(?P<value>.*?)"
    r"(?: default:.* defaultSystemSet:(?:true|false))?(?: tag:\S+)?"
)
_PROBLEM_LIMIT = 20


def main_entry(archive: Archive) -> str | None:
    """The name of the dumpstate text in a bugreport, ``None`` if it is not a bugreport."""
    names = archive.names()
    if MAIN_ENTRY in names:
        named = archive.read(MAIN_ENTRY, 4096).decode("utf-8", errors="replace").strip()
        if named in names:
            return named
    top = sorted(name for name in names if "/" not in name)
    for pattern in _MAIN_PATTERNS:
        matching = fnmatch.filter(top, pattern)
        if matching:
            return matching[0]
    return None


def load_bugreport(archive: Archive, *, verify: bool = True) -> Acquisition:
    """Every part a bugreport holds, parsed; see the module docstring."""
    entry = main_entry(archive)
    if entry is None:
        raise NotAnAcquisitionError(
            f"{archive.label} has no dumpstate text (main_entry.txt or bugreport-*.txt)."
        )
    data = archive.read(entry)
    text = data.decode("utf-8", errors="replace")
    dumps = split_services(text)
    if dumpstate_time(text) is None and not dumps:
        raise NotAnAcquisitionError(
            f"{archive.label}: {entry} is not dumpstate output (no '== dumpstate:' header and "
            "no 'DUMP OF SERVICE' section).",
        )
    check = check_hashes(
        archive, {}, {entry: hashlib.sha256(data).hexdigest()}, verify=True, manifest=""
    )
    check.notes.append(
        "a bugreport carries no list of hashes: the hashes were computed on import and cannot "
        "show whether a file changed after the bugreport was made"
    )
    integrity = raise_or_keep(check, archive.label, verify=verify, manifest="")
    sources = Sources(
        getprop=_getprop(text, entry),
        package_dump=_service(dumps, entry, "package"),
        accessibility=_service(dumps, entry, "accessibility"),
        device_policy=_service(dumps, entry, "device_policy"),
        notification=_service(dumps, entry, "notification"),
        appops=_service(dumps, entry, "appops"),
        launcher=absent("launcher icons", "a bugreport does not list which apps have an icon"),
        settings=provider_settings(find_service(dumps, "settings"), entry),
        root=RootSources(
            source=f"{entry}: SYSTEM PROPERTIES, DUMP OF SERVICE package",
            which_su=absent("which su", "a bugreport does not look for su"),
            ls_stdout=absent("root paths", "a bugreport does not look for root files"),
        ),
        dump_time=_dump_time(dumps, text),
    )
    origin = Provenance(
        source=archive.label,
        format=FORMAT_NAME,
        file_hashes=tuple(sorted(check.hashes.items())),
        integrity=integrity,
    )
    return assemble(sources, lambda details: _packages(details, entry), origin)


def is_bugreport(archive: Archive) -> bool:
    names = archive.names()
    return main_entry(archive) is not None and (
        MAIN_ENTRY in names or "version.txt" in names or len(names) == 1
    )


def _getprop(text: str, entry: str) -> Found:
    section = dumpstate_section(text, "SYSTEM PROPERTIES")
    source = f"{entry}: SYSTEM PROPERTIES"
    if section is None:
        return absent(source, "the bugreport has no SYSTEM PROPERTIES section")
    problems = () if section.complete else ("the SYSTEM PROPERTIES section has no end line",)
    return Found(source, section.text, problems=problems)


def _service(dumps: tuple[ServiceDump, ...], entry: str, name: str) -> Found:
    dump = find_service(dumps, name)
    if dump is None:
        return absent(f"{entry}: DUMP OF SERVICE {name}", f"the bugreport has no {name} dump")
    return Found(f"{entry}: {dump.label}", dump.text, problems=dump.problems())


def _dump_time(dumps: tuple[ServiceDump, ...], text: str) -> datetime | None:
    appops = find_service(dumps, "appops")
    moment = appops.ended_at if appops is not None and appops.ended_at else dumpstate_time(text)
    return datetime.fromisoformat(moment) if moment else None


def _packages(details: Details, entry: str) -> Packages:
    lists = f"{entry}: pm list packages"
    # One explanation is enough: the three name lists are missing for the same reason.
    absent_list: Parsed[frozenset[str]] = Parsed(lists, ParseStatus.MISSING)
    return merge_packages(
        PackageSources(
            listing=missing(
                lists,
                "a bugreport has no `pm list packages` output: which apps are system, "
                "third-party or disabled is read from the package dump alone",
            ),
            details=details,
            system=absent_list,
            third_party=absent_list,
            disabled=absent_list,
        )
    )


def provider_settings(
    dump: ServiceDump | None, entry: str
) -> tuple[Parsed[Table], Parsed[Table], Parsed[Table]]:
    """The owner's secure, system and global settings from the settings provider's dump."""
    if dump is None:
        reason = "the bugreport has no dump of the settings service"
        gone: Parsed[Table] = missing(f"{entry}: DUMP OF SERVICE settings", reason)
        return gone, gone, gone
    tables: dict[str, list[tuple[str, str]]] = {}
    problems: dict[str, list[str]] = {}
    namespace: str | None = None
    for number, line in enumerate(dump.text.splitlines(), 1):
        header = _PROVIDER_HEADER.fullmatch(line.strip())
        if header is not None:
            wanted = header.group("user") == "0" and header.group("namespace") in _NAMESPACES
            namespace = header.group("namespace") if wanted else None
            if namespace is not None:
                tables.setdefault(namespace, [])
                problems.setdefault(namespace, [])
        elif not line.strip():
            namespace = None  # the settings end at the blank line before their history
        elif namespace is not None and not line.startswith("version:"):
            _setting_line(number, line, tables[namespace], problems[namespace])
    secure, system, global_ = (
        _table(dump, entry, ns, tables.get(ns), problems.get(ns, [])) for ns in _NAMESPACES
    )
    return secure, system, global_


def _setting_line(
    number: int, line: str, table: list[tuple[str, str]], problems: list[str]
) -> None:
    match = _PROVIDER_LINE.fullmatch(line.rstrip("\r"))
    if match is None:
        if len(problems) < _PROBLEM_LIMIT:
            problems.append(f"line {number}: not a setting: {line.strip()[:160]!r}")
        return
    value = match.group("value")
    # `settings list` prints a setting without value as "null"; the dump as "{null}".
    table.append((match.group("name"), "null" if value == "{null}" else value))


def _table(
    dump: ServiceDump,
    entry: str,
    namespace: str,
    rows: list[tuple[str, str]] | None,
    problems: list[str],
) -> Parsed[Table]:
    source = f"{entry}: {dump.label} ({namespace} SETTINGS)"
    if rows is None:
        return Parsed(
            source, ParseStatus.UNPARSED, None, (f"no '{namespace} SETTINGS (user 0)' part",)
        )
    found = (*dump.problems(), *problems)
    status = ParseStatus.PARTIAL if found else ParseStatus.OK
    return Parsed(source, status, tuple(rows), found)
