"""Loader for Echap's stalkerware-indicators feed.

The feed is four files: ``ioc.yaml`` (stalkerware apps), ``watchware.yaml`` (overt
monitoring apps, same schema), ``samples.csv`` (known samples) and ``rules.yar``
(YARA rules). YAML is read the way Echap's own linter reads it, every scalar as a
string, so ``1.0`` stays ``"1.0"`` and ``no`` stays ``"no"``.

Decisions on the feed's known quirks (each one leaves a :class:`Note`):

- ``c2: ip:`` is read like ``c2: ips:`` (``c2-ip-key``).
- A single string where a list belongs is read as a one-item list (``string-not-list``).
- An app listed in both YAML files keeps both families; their ids differ by type
  (``family-in-two-files``).
- When an entry's ``type`` disagrees with its file, the ``type`` key wins, because
  Echap's own generators filter on ``type``, not on the file (``type-file-mismatch``).
- A package or certificate under two families stays under both (``value-in-two-families``).
- Samples and rules that name no listed family get an implied family (``implied-family``).
- Public AOSP test-key certificates never decide which family a sample belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from unstalk.errors import FeedFormatError
from unstalk.feed.formats._common import NoteTable, check_size
from unstalk.feed.formats._interchange import input_files
from unstalk.feed.formats.echap_files import (
    C2_KEYS,
    CLASSIFY,
    KNOWN_KEYS,
    LIST_KEYS,
    SAMPLES_HEADER,
    TEST_CERTIFICATES,
    YamlEntry,
    load_yaml_entries,
    read_feed_files,
    sample_rows,
)
from unstalk.feed.formats.echap_files import (
    ECHAP_FILES as ECHAP_FILES,  # re-exported: the feed store names the files by it
)
from unstalk.feed.formats.yara_rules import (
    compile_rules,
    read_yara,
    rule_family,
    rule_source,
    yara_module,
)
from unstalk.feed.model import (
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Note,
    NoteLevel,
    Platform,
    Provenance,
    Role,
    Sample,
    family_id,
    normalise_value,
)
from unstalk.feed.values import classify_network, is_hex, squash

_ROLES = dict.fromkeys(("c2.domains", "c2.ips", "c2.ip"), Role.C2) | {
    "websites": Role.WEBSITE,
    "distribution": Role.DISTRIBUTION,
}
_ANDROID_KEYS = ("packages", "certificates", "certificate_organizations", "certificate_cname_re")

_INFO, _WARN = NoteLevel.INFO, NoteLevel.WARNING
_MESSAGES: dict[str, tuple[NoteLevel, str]] = {
    "c2-ip-key": (_INFO, "'c2' uses the key 'ip' instead of 'ips'; read as 'ips'"),
    "string-not-list": (_INFO, "'{key}' is a single value, not a list; read as a list of one"),
    "empty-value": (_INFO, "'{key}' has no value"),
    "duplicate-value": (_INFO, "the same indicator is listed twice; kept once"),
    "implied-family": (_INFO, "{why}; an implied family of that name holds it"),
    "unknown-file": (_INFO, "not one of Echap's feed files; not read"),
    "invalid-value": (_WARN, "{why}; skipped"),
    "unknown-key": (_WARN, "unknown key '{key}'; its values are skipped"),
    "unknown-type": (_WARN, "type '{key}' is neither stalkerware nor watchware; read as {file}"),
    "type-file-mismatch": (_WARN, "type '{key}' in {file}; the type key is followed"),
    "duplicate-key": (_WARN, "key '{key}' is given twice in one mapping; only the last is read"),
    "duplicate-family": (_WARN, "'{key}' is listed twice with the same type; entries merged"),
    "family-in-two-files": (_WARN, "'{key}' is listed both as stalkerware and as watchware"),
    "value-in-two-families": (_WARN, "the {key} is listed under several families: {why}"),
    "yara-unchecked": (_WARN, "yara-python is not installed, so the rules were not compiled"),
}
_note = NoteTable(_MESSAGES)


# Building the feed --------------------------------------------------------------------------


class _State:
    """What a parse has built so far, and the indexes used to attach samples and rules."""

    def __init__(self) -> None:
        self.families: dict[FamilyId, Family] = {}
        self.indicators: list[Indicator] = []
        self.notes: list[Note] = []
        self.seen: set[tuple[IndicatorKind, str, FamilyId, Role | None]] = set()
        self.names: tuple[dict[str, FamilyId], dict[str, FamilyId]] = ({}, {})
        self.squashed: dict[str, FamilyId] = {}
        self.by_value: dict[tuple[IndicatorKind, str], FamilyId] = {}
        self.file_names: dict[str, dict[str, str]] = {}

    def note(
        self, code: str, src: str, *values: str, key: str = "", why: str = "", file: str = ""
    ) -> None:
        self.notes.append(_note(code, src, *values, key=key, why=why, file=file))

    def add(self, indicator: Indicator, src: str) -> None:
        key = (indicator.kind, indicator.value, indicator.family, indicator.role)
        if key in self.seen:
            self.note("duplicate-value", src, indicator.value)
            return
        self.seen.add(key)
        self.indicators.append(indicator)
        if indicator.value not in TEST_CERTIFICATES:
            self.by_value.setdefault((indicator.kind, indicator.value), indicator.family)

    def add_family(self, family: Family, src: str) -> None:
        old = self.families.get(family.id)
        if old is not None:
            self.note("duplicate-family", src, family.name, key=family.name)
            family = replace(
                old,
                aliases=_unique((*old.aliases, family.name, *family.aliases), old.name),
                platforms=tuple(p for p in Platform if p in old.platforms + family.platforms),
                websites=tuple(dict.fromkeys(old.websites + family.websites)),
            )
        self.families[family.id] = family
        for index, name in ((0, family.name), *((1, alias) for alias in family.aliases)):
            self.names[index].setdefault(name.lower(), family.id)
            self.squashed.setdefault(squash(name), family.id)

    def by_name(self, name: str) -> FamilyId | None:
        key = name.lower()
        return self.names[0].get(key) or self.names[1].get(key) or self.squashed.get(squash(name))

    def implied(self, name: str, kind: FamilyType, src: str, why: str) -> FamilyId:
        family = Family(family_id(kind, name), name, kind, implied=True)
        self.note("implied-family", src, name, why=why)
        self.add_family(family, src)
        return family.id


def _unique(names: Iterable[str], own: str) -> tuple[str, ...]:
    """Names without the family's own name, first spelling kept (case-insensitive)."""
    out: dict[str, str] = {own.lower(): own}
    for name in names:
        out.setdefault(name.lower(), name)
    return tuple(out.values())[1:]


def _as_list(state: _State, raw: object, key: str, src: str) -> list[str]:
    if isinstance(raw, str):
        if not raw.strip():
            state.note("empty-value", src, key, key=key)
            return []
        state.note("string-not-list", src, raw.strip(), key=key)
        return [raw.strip()]
    if not isinstance(raw, list):
        if raw is not None:
            state.note("invalid-value", src, key, why=f"'{key}' is not a list")
        return []
    out: list[str] = []
    for item in raw:
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
        else:
            why = f"an item of '{key}' is empty or not a plain value"
            state.note("invalid-value", src, repr(item)[:80], why=why)
    return out


def _c2_lists(state: _State, raw: object, src: str) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        if raw not in (None, ""):
            state.note("invalid-value", src, "c2", why="'c2' is not a mapping")
        return {}
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        label = C2_KEYS.get(str(key))
        if label is None:
            state.note("unknown-key", src, f"c2.{key}", key=f"c2.{key}")
            continue
        out[label] = items = _as_list(state, value, label, src)
        if key == "ip" and items:
            state.note("c2-ip-key", src, *items)
    return out


def _required(raw: dict[object, object], key: str, file: str, entry: YamlEntry) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        app = f" '{raw['name']}'" if key != "name" and isinstance(raw.get("name"), str) else ""
        raise FeedFormatError(
            f"the app{app} has no '{key}' given as a single text value",
            source=file,
            location=entry.location,
        )
    return value.strip()


def _family_type(state: _State, text: str, default: FamilyType, file: str, src: str) -> FamilyType:
    try:
        kind = FamilyType(text.lower())
    except ValueError:
        state.note("unknown-type", src, text, key=text, file=default)
        return default
    if kind is not default:
        state.note("type-file-mismatch", src, text, file, key=text, file=file)
    return kind


def _indicators(
    state: _State, fid: FamilyId, lists: dict[str, list[str]], file: str, src: str
) -> None:
    for key, values in lists.items():
        role, classify = _ROLES.get(key), CLASSIFY[key]
        for value in values:
            found = classify(value)
            if found is None:
                state.note("invalid-value", src, value, why=f"'{value}' is not a valid {key} value")
            else:
                state.add(Indicator(found[0], found[1], fid, role=role, source=file), src)


def _read_entry(state: _State, file: str, default: FamilyType, entry: YamlEntry) -> None:
    raw = entry.value
    if not isinstance(raw, dict):
        raise FeedFormatError(
            "an app entry must be a mapping", source=file, location=entry.location
        )
    name = _required(raw, "name", file, entry)
    src = f"{file}:{name}"
    kind = _family_type(state, _required(raw, "type", file, entry), default, file, src)
    for key in (key for key in raw if key not in KNOWN_KEYS):
        state.note("unknown-key", src, str(key), key=str(key))
    lists = {key: _as_list(state, raw.get(key), key, src) for key in LIST_KEYS if key in raw}
    lists.update(_c2_lists(state, raw.get("c2"), src))
    fid = family_id(kind, name)
    _indicators(state, fid, lists, file, src)
    websites = [classify_network(v) for v in lists.get("websites", ())]
    platforms = tuple(
        platform
        for platform, keys in ((Platform.ANDROID, _ANDROID_KEYS), (Platform.IOS, ("ios_bundles",)))
        if any(lists.get(key) for key in keys)
    )
    aliases = _unique(_as_list(state, raw.get("names"), "names", src), name)
    hosts = tuple(dict.fromkeys(w[1] for w in websites if w))
    state.add_family(Family(fid, name, kind, aliases, platforms, hosts), src)
    state.file_names.setdefault(file, {}).setdefault(name.lower(), name)


def _read_family_file(state: _State, file: str, data: bytes, default: FamilyType) -> None:
    entries, duplicate_keys = load_yaml_entries(file, data)
    for line, key in duplicate_keys:
        state.note("duplicate-key", f"{file}:line {line}", key, key=key)
    for entry in entries:
        _read_entry(state, file, default, entry)


def _cross_file_notes(state: _State) -> None:
    stalker = state.file_names.get("ioc.yaml", {})
    for key, name in state.file_names.get("watchware.yaml", {}).items():
        if key in stalker:
            state.note("family-in-two-files", f"watchware.yaml:{name}", name, key=name)
    owners: dict[tuple[IndicatorKind, str], list[Indicator]] = {}
    for i in state.indicators:
        if i.kind in (IndicatorKind.PACKAGE, IndicatorKind.CERT_SHA1, IndicatorKind.CERT_SHA256):
            owners.setdefault((i.kind, i.value), []).append(i)
    for (kind, value), found in owners.items():
        if len(found) > 1:
            why = ", ".join(i.family for i in found)
            src = f"{found[0].source}:{state.families[found[0].family].name}"
            state.note("value-in-two-families", src, value, key=kind, why=why)


# samples.csv --------------------------------------------------------------------------------


def _read_samples(state: _State, data: bytes) -> tuple[Sample, ...]:
    samples: list[Sample] = []
    for line, row in sample_rows(data):
        src = f"samples.csv:line {line}"
        if len(row) != len(SAMPLES_HEADER):
            why = f"expected 5 columns, found {len(row)} (is the file cut short?)"
            raise FeedFormatError(why, source="samples.csv", location=f"line {line}")
        sha = normalise_value(IndicatorKind.FILE_SHA256, row[0])
        package, cert = row[1], normalise_value(IndicatorKind.CERT_SHA1, row[2])
        app = row[4]
        fid = (
            (state.by_name(app) if app else None)
            or state.by_value.get((IndicatorKind.PACKAGE, package))
            or state.by_value.get((IndicatorKind.CERT_SHA1, cert))
            or state.implied(app or "Unknown app", FamilyType.STALKERWARE, src, f"App '{app}'")
        )
        samples.append(Sample(sha, app, fid, package or None, cert or None, row[3] or None))
        if is_hex(sha, 64):
            state.add(Indicator(IndicatorKind.FILE_SHA256, sha, fid, source="samples.csv"), src)
        else:
            state.note("invalid-value", src, sha, why="the SHA-256 is not 64 hex digits")
    return tuple(samples)


# rules.yar ----------------------------------------------------------------------------------


def _read_rules(state: _State, data: bytes) -> None:
    check_size(data, "rules.yar")
    imports, rules = read_yara(data)
    sources = [rule_source(rule, imports) for rule in rules]
    yara = yara_module()
    if yara is None:
        state.note("yara-unchecked", "rules.yar")
    elif rules:
        compile_rules(rules, sources, yara)
    for rule, source in zip(rules, sources, strict=True):
        src = f"rules.yar:{rule.name}"
        fid = rule_family(rule.name, state.squashed) or state.implied(
            rule.name,
            FamilyType.WATCHWARE if "watchware" in rule.tags else FamilyType.STALKERWARE,
            src,
            f"no listed app matches the rule name '{rule.name}'",
        )
        state.add(
            Indicator(IndicatorKind.YARA, source, fid, source="rules.yar", name=rule.name), src
        )


# Entry points -------------------------------------------------------------------------------


def parse_echap(
    files: Mapping[str, bytes],
    *,
    source: str,
    version: str | None = None,
    retrieved: datetime | None = None,
) -> Feed:
    """Read Echap's files (keyed by file name; ``ioc.yaml`` is required) into a :class:`Feed`."""
    if "ioc.yaml" not in files:
        raise FeedFormatError(
            "the feed has no ioc.yaml, the file that lists the stalkerware apps",
            source=source,
            advice="Point unstalk at a copy of Echap's stalkerware-indicators folder.",
        )
    state = _State()
    for name in sorted(files.keys() - set(ECHAP_FILES)):
        state.note("unknown-file", name, name)
    family_files = (("ioc.yaml", FamilyType.STALKERWARE), ("watchware.yaml", FamilyType.WATCHWARE))
    for name, kind in family_files:
        if name in files:
            _read_family_file(state, name, files[name], kind)
    _cross_file_notes(state)
    samples = _read_samples(state, files["samples.csv"]) if "samples.csv" in files else ()
    if "rules.yar" in files:
        _read_rules(state, files["rules.yar"])
    inputs = tuple(f for name, data in sorted(files.items()) for f in input_files(data, name))
    return Feed(
        families=tuple(state.families.values()),
        indicators=tuple(state.indicators),
        samples=samples,
        provenance=Provenance("echap", source, version, retrieved, inputs),
        notes=tuple(state.notes),
    )


def read_echap_dir(path: Path) -> dict[str, bytes]:
    """The Echap files present in ``path``, by name (``ioc.yaml`` must be one of them)."""
    if not (path / "ioc.yaml").is_file():
        raise FeedFormatError(
            "this folder has no ioc.yaml, so it is not an Echap feed",
            source=str(path),
            advice="Point unstalk at a copy of Echap's stalkerware-indicators folder.",
        )
    return read_feed_files(path)


def load_echap_dir(
    path: Path,
    *,
    source: str | None = None,
    version: str | None = None,
    retrieved: datetime | None = None,
) -> Feed:
    """Read the Echap files found in a folder; ``source`` defaults to the folder's path."""
    files = read_echap_dir(path)
    return parse_echap(files, source=source or str(path), version=version, retrieved=retrieved)
