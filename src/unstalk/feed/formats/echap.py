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

import csv
import hashlib
import importlib
import io
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import ModuleType

import yaml

from unstalk.errors import FeedFormatError
from unstalk.feed.model import (
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    InputFile,
    Note,
    NoteLevel,
    Platform,
    Provenance,
    Role,
    Sample,
    family_id,
    normalise_domain,
    normalise_value,
)

try:
    from yaml import CBaseLoader as _YamlLoader
except ImportError:  # PyYAML built without libyaml: same results, slower
    from yaml import BaseLoader as _YamlLoader  # type: ignore[assignment]

ECHAP_FILES = ("ioc.yaml", "watchware.yaml", "samples.csv", "rules.yar")
MAX_FILE_BYTES = 64 * 1024 * 1024
"""Far above any real Echap file; anything bigger is the wrong file, not a feed."""
SAMPLES_HEADER = ("SHA256", "Package Name", "Certificate", "Version", "App")
TEST_CERTIFICATES: Mapping[str, str] = {
    # Fingerprints of AOSP build/target/product/security/*.x509.pem. Their private keys are
    # public, so anyone can sign with them and they say nothing about who made an app.
    "61ED377E85D386A8DFEE6B864BD85B0BFAA5AF81": "AOSP testkey",
    "A40DA80A59D170CAA950CF15C18C454D47A39B26989D8B640ECD745BA71BF5DC": "AOSP testkey",
    "27196E386B875E76ADF700E7EA84E4C6EEE33DFA": "AOSP platform key",
    "C8A2E9BCCF597C2FB6DC66BEE293FC13F2FC47EC77BC6B2B0D52C11F51192AB8": "AOSP platform key",
    "5B368CFF2DA2686996BC95EAC190EAA4F5630FE5": "AOSP shared key",
    "28BBFE4A7B97E74681DC55C2FBB6CCB8D6C74963733F6AF6AE74D8C3A6E879FD": "AOSP shared key",
    "B79DF4A82E90B57EA76525AB7037AB238A42F5D3": "AOSP media key",
}
LIST_KEYS = (
    "packages",
    "ios_bundles",
    "certificates",
    "certificate_organizations",
    "certificate_cname_re",
    "websites",
    "distribution",
)
C2_KEYS = {"domains": "c2.domains", "ips": "c2.ips", "ip": "c2.ip"}
KNOWN_KEYS = frozenset({"name", "names", "type", "c2", *LIST_KEYS})
_ROLES = dict.fromkeys(("c2.domains", "c2.ips", "c2.ip"), Role.C2) | {
    "websites": Role.WEBSITE,
    "distribution": Role.DISTRIBUTION,
}
_ANDROID_KEYS = ("packages", "certificates", "certificate_organizations", "certificate_cname_re")
_HEX = frozenset("0123456789ABCDEF")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

_INFO, _WARN = NoteLevel.INFO, NoteLevel.WARNING
_NOTES: dict[str, tuple[NoteLevel, str]] = {
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

Found = tuple[IndicatorKind, str]


# Values -------------------------------------------------------------------------------------


def is_hex(text: str, *lengths: int) -> bool:
    """True when ``text`` is upper-case hex of one of ``lengths``."""
    return len(text) in lengths and _HEX.issuperset(text)


def is_hostname(host: str, *, strict: bool = False) -> bool:
    """True for a dotted DNS name; ``strict`` applies Echap's linter rule (no ``_``, TLD 2+)."""
    if not 3 <= len(host) <= 253 or not _HOST_CHARS.issuperset(host):
        return False
    labels = host.split(".")
    if len(labels) < 2 or labels[-1].isdigit() or (strict and ("_" in host or len(labels[-1]) < 2)):
        return False
    return all(0 < len(label) <= 63 and "-" not in (label[0], label[-1]) for label in labels)


def classify_network(value: str) -> Found | None:
    """Tell a domain, URL, IP address or CIDR apart by its value; ``None`` when it is none."""
    text = value.strip()
    if "://" in text:
        return IndicatorKind.URL, text
    if text[:1].isdigit() or ":" in text:
        try:
            if "/" in text:
                return IndicatorKind.CIDR, str(ipaddress.ip_network(text, strict=False))
            ip = ipaddress.ip_address(text)
        except ValueError:
            if ":" in text:
                return None
        else:
            return (IndicatorKind.IPV4 if ip.version == 4 else IndicatorKind.IPV6), str(ip)
    if "/" in text:
        return IndicatorKind.URL, text
    host = normalise_domain(text)
    return (IndicatorKind.DOMAIN, host) if is_hostname(host) else None


def _certificate(value: str) -> Found | None:
    text = normalise_value(IndicatorKind.CERT_SHA1, value)
    if is_hex(text, 40):
        return IndicatorKind.CERT_SHA1, text
    return (IndicatorKind.CERT_SHA256, text) if is_hex(text, 64) else None


def _regex(value: str) -> Found | None:
    try:
        re.compile(value)
    except re.error:
        return None
    return IndicatorKind.CERT_CNAME_RE, value


def _plain(kind: IndicatorKind) -> Callable[[str], Found | None]:
    return lambda value: (kind, value) if value.isprintable() and " " not in value else None


_CLASSIFY: dict[str, Callable[[str], Found | None]] = dict.fromkeys(
    ("websites", "distribution", *C2_KEYS.values()), classify_network
) | {
    "packages": _plain(IndicatorKind.PACKAGE),
    "ios_bundles": _plain(IndicatorKind.IOS_BUNDLE),
    "certificates": _certificate,
    "certificate_organizations": lambda value: (IndicatorKind.CERT_ORG, value),
    "certificate_cname_re": _regex,
}


def squash(name: str) -> str:
    """Lower-case letters and digits only: how rule names and app names are compared."""
    return "".join(c for c in name.lower() if c.isalnum())


# YAML ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class YamlEntry:
    """One item of a YAML family list, with where it starts in the file."""

    index: int
    line: int
    value: object

    @property
    def location(self) -> str:
        return f"entry {self.index} (line {self.line})"


class _Loader(_YamlLoader):
    """Base loader that also records mapping keys given twice (YAML keeps only the last)."""

    def __init__(self, stream: bytes) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, str]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[str] = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    self.duplicate_keys.append((key.start_mark.line + 1, str(key.value)))
                seen.add(key.value)
        return dict(super().construct_mapping(node, deep))


def check_size(name: str, data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise FeedFormatError(f"{len(data)} bytes is far too large for an Echap file", source=name)


def load_yaml_entries(name: str, data: bytes) -> tuple[list[YamlEntry], list[tuple[int, str]]]:
    """Read a family list; return its entries and the ``(line, key)`` of keys given twice."""
    check_size(name, data)
    loader = _Loader(data)
    try:
        node = loader.get_single_node()
        value = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FeedFormatError(f"not valid YAML: {e.problem}", source=name, location=where) from e
    except yaml.YAMLError as e:
        raise FeedFormatError(f"not valid YAML: {e}", source=name) from e
    finally:
        loader.dispose()
    if node is None:
        raise FeedFormatError("the file is empty", source=name)
    if not isinstance(node, yaml.SequenceNode) or not isinstance(value, list):
        raise FeedFormatError("expected a list of apps at the top of the file", source=name)
    lines = (child.start_mark.line + 1 for child in node.value)
    return [
        YamlEntry(i, n, v) for i, (n, v) in enumerate(zip(lines, value, strict=True), 1)
    ], loader.duplicate_keys


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

    def note(self, code: str, src: str, *values: str, key: str = "", **fields: str) -> None:
        level, text = _NOTES[code]
        self.notes.append(Note(level, code, text.format(key=key, **fields), src, values))

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
        role, classify = _ROLES.get(key), _CLASSIFY[key]
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


def sample_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """Rows of samples.csv after a checked header, each with its line number, cells stripped."""
    check_size("samples.csv", data)
    try:
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        if tuple(cell.strip() for cell in next(reader, [])) != SAMPLES_HEADER:
            why = f"the first line must be {','.join(SAMPLES_HEADER)}"
            raise FeedFormatError(why, source="samples.csv", location="line 1")
        return [(reader.line_num, [c.strip() for c in row]) for row in reader if row]
    except UnicodeDecodeError as e:
        raise FeedFormatError(f"not UTF-8 text: {e}", source="samples.csv") from e
    except csv.Error as e:
        raise FeedFormatError(f"not readable as CSV: {e}", source="samples.csv") from e


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


@dataclass(frozen=True, slots=True)
class YaraRule:
    name: str
    tags: tuple[str, ...]
    text: str
    line: int

    @property
    def location(self) -> str:
        return f"rule '{self.name}' (line {self.line})"


_TOP_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_IMPORT = re.compile(r'(?:import|include)\s+"[^"\n]*"')
_RULE_HEAD = re.compile(r"(?:(?:private|global)\s+)*rule\s+([A-Za-z_]\w*)\s*(?::([\w\s]*))?\{")
_BODY_STOP = re.compile(r'["/{}]')
_STRING_END = re.compile(r'(?:[^"\\\n]|\\.)*"')
_REGEX_END = re.compile(r"(?:[^/\\\n]|\\.)*/")


def _skip_blank(text: str, pos: int) -> int:
    m = _TOP_SKIP.match(text, pos)
    return m.end() if m else pos


def _rule_end(text: str, pos: int) -> int:
    """Index just past the ``}`` closing the body opened at ``pos``; -1 when cut short.

    Strings, regular expressions and comments are skipped whole: their braces do not count.
    """
    depth = 0
    while (m := _BODY_STOP.search(text, pos)) is not None:
        c, pos = m.group(), m.end()
        if c in "{}":
            depth += 1 if c == "{" else -1
            if depth == 0:
                return pos
        elif c == '"' or text[pos : pos + 1] not in ("/", "*"):
            end = (_STRING_END if c == '"' else _REGEX_END).match(text, pos)
            if end is None:
                return -1
            pos = end.end()
        else:
            close = "\n" if text[pos] == "/" else "*/"
            found = text.find(close, pos + 1)
            if found < 0:
                return -1
            pos = found + len(close)
    return -1


def split_yara(text: str) -> tuple[tuple[str, ...], list[YaraRule]]:
    """Split a YARA file into its ``import`` lines and its rules, each with its full text."""
    imports: list[str] = []
    rules: list[YaraRule] = []
    pos, line, counted = _skip_blank(text, 0), 1, 0
    while pos < len(text):
        line, counted = line + text.count("\n", counted, pos), pos
        if m := _IMPORT.match(text, pos):
            imports.append(m.group())
            pos = _skip_blank(text, m.end())
            continue
        head = _RULE_HEAD.match(text, pos)
        if head is None:
            raise FeedFormatError(
                "expected a rule here", source="rules.yar", location=f"line {line}"
            )
        rule = YaraRule(head.group(1), tuple((head.group(2) or "").split()), "", line)
        end = _rule_end(text, head.end() - 1)
        if end < 0:
            raise FeedFormatError(
                "the rule is not closed", source="rules.yar", location=rule.location
            )
        rules.append(replace(rule, text=text[pos:end]))
        pos = _skip_blank(text, end)
    return tuple(imports), rules


def rule_source(rule: YaraRule, imports: tuple[str, ...]) -> str:
    """The rule's text, after the file's imports when it has some, so it compiles on its own."""
    return "\n".join((*imports, rule.text)) if imports else rule.text


def compile_rules(rules: list[YaraRule], sources: list[str], yara: ModuleType) -> None:
    """Compile each rule on its own; FeedFormatError naming the first that fails."""
    try:
        # One namespace per rule: a rule that needs another one fails, as it would alone.
        yara.compile(sources={str(i): source for i, source in enumerate(sources)})
    except yara.Error:
        for rule, source in zip(rules, sources, strict=True):
            try:
                yara.compile(source=source)
            except yara.Error as e:
                why = f"the rule does not compile: {e}"
                raise FeedFormatError(why, source="rules.yar", location=rule.location) from e
        raise


def yara_module() -> ModuleType | None:
    try:
        return importlib.import_module("yara")
    except ImportError:
        return None


def rule_family_keys(rule_name: str) -> Iterator[str]:
    """Squashed spellings under which a rule's family may be listed, best first."""
    for part in (rule_name, rule_name.split("_")[0]):
        key = squash(part)
        yield key
        for digit, word in enumerate(_WORDS):
            key = key.replace(word, str(digit))
        yield key


def _read_rules(state: _State, data: bytes) -> None:
    check_size("rules.yar", data)
    try:
        imports, rules = split_yara(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise FeedFormatError(f"not UTF-8 text: {e}", source="rules.yar") from e
    sources = [rule_source(rule, imports) for rule in rules]
    yara = yara_module()
    if yara is None:
        state.note("yara-unchecked", "rules.yar")
    elif rules:
        compile_rules(rules, sources, yara)
    for rule, source in zip(rules, sources, strict=True):
        src = f"rules.yar:{rule.name}"
        keys = (state.squashed.get(key) for key in rule_family_keys(rule.name))
        fid = next((fid for fid in keys if fid), None) or state.implied(
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
    inputs = tuple(
        InputFile(name, hashlib.sha256(data).hexdigest(), len(data))
        for name, data in sorted(files.items())
    )
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
    try:
        return {name: (path / name).read_bytes() for name in ECHAP_FILES if (path / name).is_file()}
    except OSError as e:
        raise FeedFormatError(f"could not read the feed files: {e}", source=str(path)) from e


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
