"""``feed lint``: find problems in Echap's feed files before they reach users.

It runs the checks of Echap's own linter (``scripts/linter.py``, run by the upstream CI on
ioc.yaml and samples.csv): every app has a name, names are not reused, packages,
certificates and websites are lists, certificates are hex SHA-1s, websites and C2 domains
are host names, C2 IPs parse, no certificate or IP is given to two apps, and every sample
has a well-formed unique SHA-256, a well-formed certificate and an App that is a listed
name. The Rust linter that upstream CI also runs needs every ``c2.ips`` value to be a
single address. On top of those: unknown keys (which upstream tools silently ignore),
duplicates within a list and across files, packages shared by apps, public AOSP test-key
certificates listed as indicators, values invalid for their kind, empty entries, and
YARA rules that do not compile or match no listed app.

Every finding is a :class:`Note` with a stable ``code``, ``source`` ``"file:entry name"``
and the offending ``values``.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from unstalk.errors import FeedFormatError
from unstalk.feed.formats.echap import (
    C2_KEYS,
    ECHAP_FILES,
    KNOWN_KEYS,
    LIST_KEYS,
    SAMPLES_HEADER,
    TEST_CERTIFICATES,
    YamlEntry,
    YaraRule,
    classify_network,
    is_hex,
    is_hostname,
    load_yaml_entries,
    rule_family_keys,
    rule_source,
    sample_rows,
    split_yara,
    squash,
    yara_module,
)
from unstalk.feed.model import IndicatorKind, Note, NoteLevel, normalise_value

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
_CASE = {"certificates": "upper-case hex", "samples.csv": "lower-case hex"}
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


def _note(
    code: str, src: str, *values: str, level: NoteLevel | None = None, **fields: object
) -> Note:
    default, text = _MESSAGES[code]
    return Note(level or default, code, text.format(**fields), src, values)


@dataclass(frozen=True, slots=True)
class _App:
    file: str
    entry: YamlEntry
    data: dict[object, object]
    name: str

    @property
    def src(self) -> str:
        return f"{self.file}:{self.name or self.entry.location}"


@dataclass
class _Feed:
    apps: list[_App] = field(default_factory=list)
    samples: list[tuple[int, list[str]]] | None = None
    rules: tuple[tuple[str, ...], list[YaraRule]] | None = None
    notes: list[Note] = field(default_factory=list)


def _app(file: str, entry: YamlEntry) -> _App:
    data = entry.value if isinstance(entry.value, dict) else {}
    name = data.get("name")
    return _App(file, entry, data, name.strip() if isinstance(name, str) else "")


def _lists(app: _App) -> Iterator[tuple[str, object]]:
    """Every list of the entry, keyed as ``packages`` or ``c2.domains``."""
    for key in ("names", *LIST_KEYS):
        if key in app.data:
            yield key, app.data[key]
    c2 = app.data.get("c2")
    if isinstance(c2, dict):
        yield from ((C2_KEYS[k], v) for k, v in c2.items() if k in C2_KEYS)


def _items(raw: object) -> list[str]:
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


def check_entries(feed: _Feed) -> Iterator[Note]:
    """Mapping, name, type, known keys, and that the entry lists something to match."""
    for app in feed.apps:
        if not isinstance(app.entry.value, dict):
            yield _note("entry-not-mapping", app.src)
            continue
        if not app.name:
            yield _note("missing-name", app.src)
        kind = app.data.get("type")
        kind = kind.strip().lower() if isinstance(kind, str) else ""
        if not kind:
            yield _note("missing-type", app.src)
        elif kind not in _EXPECTED_TYPE.values():
            yield _note("invalid-type", app.src, kind, key=kind)
        elif kind != _EXPECTED_TYPE[app.file]:
            yield _note("type-file-mismatch", app.src, kind, app.file, key=kind, why=app.file)
        for key in sorted(map(str, app.data.keys() - KNOWN_KEYS)):
            yield _note("unknown-key", app.src, key, key=key)
        yield from _c2_shape(app)
        if not any(_items(raw) for key, raw in _lists(app) if key != "names"):
            yield _note("empty-entry", app.src)


def _c2_shape(app: _App) -> Iterator[Note]:
    c2 = app.data.get("c2")
    if not isinstance(c2, dict):
        if c2 == "":
            yield _note("empty-value", app.src, "c2", key="c2")
        elif c2 is not None:
            yield _note("not-a-mapping", app.src)
        return
    for key, value in c2.items():
        if key == "ip":
            yield _note("c2-ip-key", app.src, *_items(value))
        elif key not in C2_KEYS:
            yield _note("unknown-key", app.src, f"c2.{key}", key=f"c2.{key}")


def check_lists(feed: _Feed) -> Iterator[Note]:
    """Lists are lists, not empty, hold plain values, and hold each value once."""
    for app in feed.apps:
        for key, raw in _lists(app):
            if isinstance(raw, list) and raw:
                bad = [repr(item) for item in raw if not isinstance(item, str) or not item.strip()]
                if bad:
                    yield _note("invalid-item", app.src, *bad, key=key)
                counts = Counter(_norm(key, value) for value in _items(raw))
                dups = [value for value, n in counts.items() if n > 1]
                if dups:
                    yield _note("duplicate-in-list", app.src, *dups, key=key)
            elif isinstance(raw, str) and raw.strip():
                yield _note("not-a-list", app.src, raw.strip(), key=key)
            elif raw in ("", []):
                yield _note("empty-value", app.src, key, key=key)
            else:
                yield _note("not-a-list", app.src, key, key=key)


# Values -------------------------------------------------------------------------------------


def _host(url_code: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if "://" in value or "/" in value:
            return url_code
        found = classify_network(value)
        if found and found[0] in (IndicatorKind.IPV4, IndicatorKind.IPV6):
            return "ip-in-domain-list"
        if is_hostname(value, strict=True):
            return None
        return "wrong-case" if is_hostname(value.lower(), strict=True) else "invalid-domain"

    return check


def _ip(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "invalid-ip"
    return None


def _regex(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error:
        return "invalid-regex"
    return None


def _certificate(value: str) -> str | None:
    if is_hex(value, 40, 64):
        return None
    return "wrong-case" if is_hex(value.upper(), 40, 64) else "invalid-certificate"


_VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "packages": lambda v: None if _PACKAGE.fullmatch(v) else "invalid-package",
    "ios_bundles": lambda v: None if _BUNDLE.fullmatch(v) else "invalid-bundle-id",
    "certificates": _certificate,
    "certificate_cname_re": _regex,
    "websites": _host("url-not-domain"),
    "c2.domains": _host("url-not-domain"),
    "distribution": _host("url-in-distribution"),
    "c2.ips": _ip,
    "c2.ip": _ip,
}


def check_values(feed: _Feed) -> Iterator[Note]:
    """Each value is valid for its kind; no public test certificate is an indicator."""
    for app in feed.apps:
        for key, raw in _lists(app):
            validate = _VALIDATORS.get(key)
            for value in _items(raw) if validate else ():
                code = validate(value) if validate else None
                if code:
                    yield _note(code, app.src, value, key=key, why=_CASE.get(key, "lower case"))
            for value in _items(raw) if key == "certificates" else ():
                label = TEST_CERTIFICATES.get(_norm(key, value))
                if label:
                    yield _note("public-test-certificate", app.src, value, why=label)


# Names and values shared between apps -------------------------------------------------------


def check_names(feed: _Feed) -> Iterator[Note]:
    """A name or alias belongs to one app per file; names in both files are reported."""
    uses: dict[str, dict[str, list[tuple[_App, str, bool]]]] = {}
    for app in feed.apps:
        if app.name:
            aliases = _items(app.data.get("names"))
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
                yield _note("duplicate-name", app.src, name, key=name, why=file)
    stalker, watch = uses.get("ioc.yaml", {}), uses.get("watchware.yaml", {})
    for key in (key for key in watch if key in stalker):
        both = stalker[key] + watch[key]
        name = both[0][1]
        if all(primary for _, _, primary in both):
            yield _note("family-in-two-files", both[-1][0].src, name, key=name)
        else:
            why = ", ".join(app.src for app, _, _ in both)
            yield _note("name-in-two-files", both[-1][0].src, name, key=name, why=why)


def check_shared_values(feed: _Feed) -> Iterator[Note]:
    """One package, certificate, host or IP under apps of different names."""
    owners: dict[tuple[str, str], dict[str, tuple[_App, set[str]]]] = {}
    for app in feed.apps:
        for key, raw in _lists(app):
            group = _GROUPS.get(key)
            if group is None or not app.name:
                continue
            for value in dict.fromkeys(_norm(key, item) for item in _items(raw)):
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
        yield _note("value-in-two-families", first.src, value, level=level, key=group, why=why)


# samples.csv and rules.yar ------------------------------------------------------------------


def check_samples(feed: _Feed) -> Iterator[Note]:
    """Hash, certificate and App of each sample, as Echap's linter checks them."""
    known = {n.lower() for app in feed.apps for n in (app.name, *_items(app.data.get("names")))}
    seen: set[str] = set()
    signed: dict[str, list[str]] = {}
    for line, row in feed.samples or ():
        src = f"samples.csv:line {line}"
        if len(row) != len(SAMPLES_HEADER):
            yield _note("bad-row", src, *row, key=",".join(SAMPLES_HEADER), why=5, count=len(row))
            continue
        sha, _, cert, _, app = row
        yield from _sample_hash(src, sha, seen)
        if cert and not is_hex(cert, 40):
            code = "wrong-case" if is_hex(cert.upper(), 40) else "invalid-certificate"
            yield _note(code, src, cert, key="Certificate", why="upper-case hex")
        if cert.upper() in TEST_CERTIFICATES:
            signed.setdefault(cert.upper(), []).append(sha)
        if not app:
            yield _note("missing-app", src, sha)
        elif app.lower() not in known:
            yield _note("unknown-app", src, app, key=app)
    for cert, hashes in signed.items():
        why = TEST_CERTIFICATES[cert]
        yield _note("sample-test-key", "samples.csv", cert, *hashes, count=len(hashes), why=why)


def _sample_hash(src: str, sha: str, seen: set[str]) -> Iterator[Note]:
    if not is_hex(sha.upper(), 64):
        yield _note("invalid-sha256", src, sha)
    elif sha != sha.lower():
        yield _note("wrong-case", src, sha, key="SHA256", why=_CASE["samples.csv"])
    if sha.lower() in seen:
        yield _note("duplicate-sample", src, sha)
    seen.add(sha.lower())


def check_rules(feed: _Feed) -> Iterator[Note]:
    """Each rule compiles on its own, has a unique name and matches a listed app."""
    if feed.rules is None:
        return
    imports, rules = feed.rules
    yara = yara_module()
    names = Counter(rule.name for rule in rules)
    families = {squash(n) for app in feed.apps for n in (app.name, *_items(app.data.get("names")))}
    for rule in rules:
        src = f"rules.yar:{rule.name}"
        if yara is not None:
            try:
                yara.compile(source=rule_source(rule, imports))
            except yara.Error as e:
                yield _note("invalid-yara", src, rule.name, why=str(e))
        if names.pop(rule.name, 1) > 1:
            yield _note("duplicate-rule", src, rule.name, key=rule.name)
        if not families.intersection(rule_family_keys(rule.name)):
            yield _note("rule-without-family", src, rule.name, key=rule.name)


CHECKS = (
    check_entries,
    check_lists,
    check_values,
    check_names,
    check_shared_values,
    check_samples,
    check_rules,
)


# Entry points -------------------------------------------------------------------------------


def _read_file(feed: _Feed, name: str, data: bytes) -> None:
    if name == "samples.csv":
        feed.samples = sample_rows(data)
    elif name == "rules.yar":
        try:
            feed.rules = split_yara(data.decode("utf-8-sig"))
        except UnicodeDecodeError as e:
            raise FeedFormatError(f"not UTF-8 text: {e}", source=name) from e
    else:
        entries, duplicate_keys = load_yaml_entries(name, data)
        feed.apps += [_app(name, entry) for entry in entries]
        for line, key in duplicate_keys:
            feed.notes.append(_note("duplicate-key", f"{name}:line {line}", key, key=key))


def _read(files: Mapping[str, bytes]) -> _Feed:
    feed = _Feed()
    if "ioc.yaml" not in files:
        feed.notes.append(_note("missing-file", "ioc.yaml", "ioc.yaml"))
    for name in ECHAP_FILES:
        try:
            if name in files:
                _read_file(feed, name, files[name])
        except FeedFormatError as e:
            feed.notes.append(_note("unreadable-file", name, why=str(e)))
    return feed


def lint_echap(files: Mapping[str, bytes]) -> list[Note]:
    """Check Echap's files (keyed by file name) and return every finding, errors and warnings."""
    feed = _read(files)
    return feed.notes + [note for check in CHECKS for note in check(feed)]


def lint_echap_dir(path: Path) -> list[Note]:
    """Check the Echap files found in a folder."""
    if not path.is_dir():
        raise FeedFormatError("not a folder", source=str(path))
    try:
        files = {
            name: (path / name).read_bytes() for name in ECHAP_FILES if (path / name).is_file()
        }
    except OSError as e:
        raise FeedFormatError(f"could not read the feed files: {e}", source=str(path)) from e
    return lint_echap(files)
