"""The checks ``feed lint`` runs on the apps of ioc.yaml and watchware.yaml, and its notes.

Each check is a generator of :class:`Note` over a :class:`LintFeed`, the files as read with no
judgement passed; :mod:`unstalk.feed.lint` gathers them with the checks of samples.csv and
rules.yar and reads the files.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from unstalk.feed.formats._common import NoteTable
from unstalk.feed.formats.echap_files import (
    C2_KEYS,
    KNOWN_KEYS,
    LIST_KEYS,
    TEST_CERTIFICATES,
    YamlEntry,
)
from unstalk.feed.formats.yara_rules import YaraRule
from unstalk.feed.model import IndicatorKind, Note, NoteLevel, normalise_value
from unstalk.feed.values import classify_network, compiles, is_hex, is_hostname, read_address

_E, _W = NoteLevel.ERROR, NoteLevel.WARNING
_MESSAGES: dict[str, tuple[NoteLevel, str]] = {
    "missing-file": (_E, "ioc.yaml is missing: it is the file that lists the stalkerware apps"),
    "unreadable-file": (_E, "{why}"),
    "duplicate-key": (_E, "key '{key}' is given twice in one mapping; YAML keeps only the last"),
    "entry-not-mapping": (_E, "the entry is not a mapping of keys such as name, type, packages"),
    "missing-name": (_E, "the entry has no name"),
    "missing-type": (_E, "the entry has no type (stalkerware or watchware)"),
    "invalid-type": (_E, "type '{key}' is neither stalkerware nor watchware"),
    "type-file-mismatch": (_W, "type '{key}' in {why}, whose apps are of the other type"),
    "unknown-key": (_W, "unknown key '{key}': Echap's tools ignore it, so it is never exported"),
    "c2-ip-key": (
        _W,  # unstalk reads it as 'ips'; the damage is to upstream's own exports
        "c2 uses 'ip' instead of 'ips': Echap's generators read only 'ips', so these "
        "addresses are missing from the hosts, Suricata, TinyCheck and MISP exports",
    ),
    "not-a-list": (_E, "'{key}' must be a list, one '- value' per line"),
    "not-a-mapping": (_E, "'c2' must be a mapping with 'domains' and 'ips'"),
    "invalid-item": (_E, "an item of '{key}' is empty or not a plain value"),
    "empty-value": (_W, "'{key}' is present but empty"),
    "empty-entry": (_W, "the entry lists no package, certificate, site or server to match"),
    "duplicate-in-list": (_W, "'{key}' lists the same value more than once"),
    "invalid-package": (_E, "not an Android package name (dotted parts starting with a letter)"),
    "invalid-bundle-id": (_E, "not an iOS bundle identifier (letters, digits, '-' and dots)"),
    "invalid-certificate": (_E, "not a certificate SHA-1 (40 hex digits) or SHA-256 (64)"),
    "invalid-regex": (_E, "the regular expression in '{key}' does not compile"),
    "invalid-domain": (_E, "'{key}' must hold host names such as example.com"),
    "url-not-domain": (_E, "'{key}' must hold host names, not URLs; host block lists drop it"),
    "url-in-distribution": (_W, "a URL where host names are usual; host block lists skip it"),
    "ip-in-domain-list": (_W, "an IP address in '{key}', which holds host names"),
    "invalid-ip": (_E, "'{key}' must hold single IP addresses, as both upstream linters need"),
    "wrong-case": (_W, "wrong case: Echap writes '{key}' values in {why}"),
    "public-test-certificate": (
        _E,
        "this is the public {why} certificate: anyone can sign an app with it, so it would "
        "flag unrelated apps",
    ),
    "duplicate-name": (_E, "the name '{key}' is used by more than one app in {why}"),
    "family-in-two-files": (_W, "'{key}' is listed both as stalkerware and as watchware"),
    "name-in-two-files": (_W, "the name '{key}' is used in both files: {why}"),
    "value-in-two-families": (_W, "the {key} is listed under different apps: {why}"),
    "bad-row": (_E, "expected {why} columns ({key}), found {count}"),
    "invalid-sha256": (_E, "a sample hash must be 64 hex digits (SHA-256)"),
    "duplicate-sample": (_E, "the sample is listed more than once"),
    "missing-app": (_E, "the App column is empty"),
    "unknown-app": (_E, "App '{key}' is not the name or alias of any listed app"),
    "sample-test-key": (
        _W,
        "{count} sample(s) signed with the public {why} certificate, which says nothing "
        "about who made them",
    ),
    "invalid-yara": (_E, "the rule does not compile: {why}"),
    "duplicate-rule": (_E, "more than one rule is named '{key}'; YARA refuses the file"),
    "rule-without-family": (_W, "no listed app matches the rule name '{key}'"),
}
_CASE = {"certificates": "upper-case hex"}
_GROUPS = dict.fromkeys(("websites", "distribution", "c2.domains"), "domain") | {
    "packages": "package",
    "ios_bundles": "iOS bundle",
    "certificates": "certificate",
    "c2.ips": "IP address",
    "c2.ip": "IP address",
}
_STRICT_GROUPS = ("certificate", "IP address")  # upstream's linter fails on these
_NETWORK = ("websites", "distribution", "c2.domains", "c2.ips", "c2.ip")
_PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")
_BUNDLE = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_EXPECTED_TYPE = {"ioc.yaml": "stalkerware", "watchware.yaml": "watchware"}

note = NoteTable(_MESSAGES)
"""Builds a lint finding: ``note(code, "file:entry", *values, key=..., why=...)``."""


@dataclass(frozen=True, slots=True)
class LintApp:
    """One entry of ioc.yaml or watchware.yaml, with its name when it has one."""

    file: str
    entry: YamlEntry
    data: dict[object, object]
    name: str

    @property
    def src(self) -> str:
        return f"{self.file}:{self.name or self.entry.location}"


@dataclass
class LintFeed:
    """The files under lint as read: apps, samples.csv rows, rules.yar, and reading problems."""

    apps: list[LintApp] = field(default_factory=list)
    samples: list[tuple[int, list[str]]] | None = None
    rules: tuple[tuple[str, ...], list[YaraRule]] | None = None
    notes: list[Note] = field(default_factory=list)


def lint_app(file: str, entry: YamlEntry) -> LintApp:
    """The entry as a :class:`LintApp`; an entry that is not a mapping gets no data and no name."""
    data = entry.value if isinstance(entry.value, dict) else {}
    name = data.get("name")
    return LintApp(file, entry, data, name.strip() if isinstance(name, str) else "")


def _lists(app: LintApp) -> Iterator[tuple[str, object]]:
    """Every list of the entry, keyed as ``packages`` or ``c2.domains``."""
    for key in ("names", *LIST_KEYS):
        if key in app.data:
            yield key, app.data[key]
    c2 = app.data.get("c2")
    if isinstance(c2, dict):
        yield from ((C2_KEYS[k], v) for k, v in c2.items() if k in C2_KEYS)


def items(raw: object) -> list[str]:
    """The plain values of a list (or of a single string), stripped; anything else is skipped."""
    if isinstance(raw, str):
        return [raw.strip()] if raw.strip() else []
    if isinstance(raw, list):
        return [item.strip() for item in raw if isinstance(item, str) and item.strip()]
    return []


def _norm(key: str, value: str) -> str:
    if key == "certificates":
        return normalise_value(IndicatorKind.CERT_SHA1, value)
    if key in _NETWORK:
        found = classify_network(value)
        return found[1] if found else value.lower()
    return value.lower() if key == "names" else value


# Entries ------------------------------------------------------------------------------------


def check_entries(feed: LintFeed) -> Iterator[Note]:
    """Mapping, name, type, known keys, and that the entry lists something to match."""
    for app in feed.apps:
        if not isinstance(app.entry.value, dict):
            yield note("entry-not-mapping", app.src)
            continue
        if not app.name:
            yield note("missing-name", app.src)
        kind = app.data.get("type")
        kind = kind.strip().lower() if isinstance(kind, str) else ""
        if not kind:
            yield note("missing-type", app.src)
        elif kind not in _EXPECTED_TYPE.values():
            yield note("invalid-type", app.src, kind, key=kind)
        elif kind != _EXPECTED_TYPE[app.file]:
            yield note("type-file-mismatch", app.src, kind, app.file, key=kind, why=app.file)
        for key in sorted(map(str, app.data.keys() - KNOWN_KEYS)):
            yield note("unknown-key", app.src, key, key=key)
        yield from _c2_shape(app)
        if not any(items(raw) for key, raw in _lists(app) if key != "names"):
            yield note("empty-entry", app.src)


def _c2_shape(app: LintApp) -> Iterator[Note]:
    c2 = app.data.get("c2")
    if not isinstance(c2, dict):
        if c2 == "":
            yield note("empty-value", app.src, "c2", key="c2")
        elif c2 is not None:
            yield note("not-a-mapping", app.src)
        return
    for key, value in c2.items():
        if key == "ip":
            yield note("c2-ip-key", app.src, *items(value))
        elif key not in C2_KEYS:
            yield note("unknown-key", app.src, f"c2.{key}", key=f"c2.{key}")


def check_lists(feed: LintFeed) -> Iterator[Note]:
    """Lists are lists, not empty, hold plain values, and hold each value once."""
    for app in feed.apps:
        for key, raw in _lists(app):
            if isinstance(raw, list) and raw:
                bad = [repr(item) for item in raw if not isinstance(item, str) or not item.strip()]
                if bad:
                    yield note("invalid-item", app.src, *bad, key=key)
                counts = Counter(_norm(key, value) for value in items(raw))
                dups = [value for value, n in counts.items() if n > 1]
                if dups:
                    yield note("duplicate-in-list", app.src, *dups, key=key)
            elif isinstance(raw, str) and raw.strip():
                yield note("not-a-list", app.src, raw.strip(), key=key)
            elif raw in ("", []):
                yield note("empty-value", app.src, key, key=key)
            else:
                yield note("not-a-list", app.src, key, key=key)


# Values -------------------------------------------------------------------------------------


def _host(url_code: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if "://" in value or "/" in value:
            return url_code
        found = classify_network(value)
        if found and found[0] in (IndicatorKind.IPV4, IndicatorKind.IPV6):
            return "ip-in-domain-list"
        if is_hostname(value, dotted=True, strict=True):
            return None
        return (
            "wrong-case"
            if is_hostname(value.lower(), dotted=True, strict=True)
            else "invalid-domain"
        )

    return check


def _ip(value: str) -> str | None:
    found = read_address(value)
    return None if found and found[0] is not IndicatorKind.CIDR else "invalid-ip"


def _certificate(value: str) -> str | None:
    if is_hex(value, 40, 64):
        return None
    return "wrong-case" if is_hex(value.upper(), 40, 64) else "invalid-certificate"


_VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "packages": lambda v: None if _PACKAGE.fullmatch(v) else "invalid-package",
    "ios_bundles": lambda v: None if _BUNDLE.fullmatch(v) else "invalid-bundle-id",
    "certificates": _certificate,
    "certificate_cname_re": lambda v: None if compiles(v) else "invalid-regex",
    "websites": _host("url-not-domain"),
    "c2.domains": _host("url-not-domain"),
    "distribution": _host("url-in-distribution"),
    "c2.ips": _ip,
    "c2.ip": _ip,
}


def check_values(feed: LintFeed) -> Iterator[Note]:
    """Each value is valid for its kind; no public test certificate is an indicator."""
    for app in feed.apps:
        for key, raw in _lists(app):
            validate = _VALIDATORS.get(key)
            for value in items(raw) if validate else ():
                code = validate(value) if validate else None
                if code:
                    yield note(code, app.src, value, key=key, why=_CASE.get(key, "lower case"))
            for value in items(raw) if key == "certificates" else ():
                label = TEST_CERTIFICATES.get(_norm(key, value))
                if label:
                    yield note("public-test-certificate", app.src, value, why=label)


# Names and values shared between apps -------------------------------------------------------


def check_names(feed: LintFeed) -> Iterator[Note]:
    """A name or alias belongs to one app per file; names in both files are reported."""
    uses: dict[str, dict[str, list[tuple[LintApp, str, bool]]]] = {}
    for app in feed.apps:
        if app.name:
            aliases = items(app.data.get("names"))
            names = [(app.name, True)] + [
                (n, False) for n in aliases if n.lower() != app.name.lower()
            ]
            for name, primary in names:
                uses.setdefault(app.file, {}).setdefault(name.lower(), []).append(
                    (app, name, primary)
                )
    for file, table in uses.items():
        for found in table.values():
            if len({id(app) for app, _, _ in found}) > 1:
                app, name, _ = found[-1]
                yield note("duplicate-name", app.src, name, key=name, why=file)
    stalker, watch = uses.get("ioc.yaml", {}), uses.get("watchware.yaml", {})
    for key in (key for key in watch if key in stalker):
        both = stalker[key] + watch[key]
        name = both[0][1]
        if all(primary for _, _, primary in both):
            yield note("family-in-two-files", both[-1][0].src, name, key=name)
        else:
            why = ", ".join(app.src for app, _, _ in both)
            yield note("name-in-two-files", both[-1][0].src, name, key=name, why=why)


def check_shared_values(feed: LintFeed) -> Iterator[Note]:
    """One package, certificate, host or IP under apps of different names."""
    owners: dict[tuple[str, str], dict[str, tuple[LintApp, set[str]]]] = {}
    for app in feed.apps:
        for key, raw in _lists(app):
            group = _GROUPS.get(key)
            if group is None or not app.name:
                continue
            for value in dict.fromkeys(_norm(key, item) for item in items(raw)):
                by_name = owners.setdefault((group, value), {})
                by_name.setdefault(app.name.lower(), (app, set()))[1].add(app.file)
    for (group, value), by_name in owners.items():
        if len(by_name) < 2:
            continue
        files = Counter(file for _, app_files in by_name.values() for file in app_files)
        strict = group in _STRICT_GROUPS and max(files.values()) > 1
        why = ", ".join(app.src for app, _ in by_name.values())
        first = next(iter(by_name.values()))[0]
        level = _E if strict else _W
        yield note("value-in-two-families", first.src, value, level=level, key=group, why=why)
