"""Suricata 6/7 rules for a feed's network indicators, with SIDs that stay put across releases.

Each active domain gets three rules (DNS query, TLS SNI, HTTP Host) and each active IP address
or CIDR range one ``alert ip`` rule. Domain rules prepend a dot to the inspected name
(``dotprefix``) and look for ``.<domain>`` at its end, so they match the domain and its
subdomains but not a look-alike such as ``notevil.com`` for ``evil.com``.

Rule identity lives in a SID map the caller keeps between runs (:func:`load_sid_map`,
:func:`dump_sid_map`). Each rule has a natural key (``dns|domain|<name>``,
``tls|domain|<name>``, ``http|domain|<name>``, ``ip|<address or range>``) that keeps its SID
for ever; a rule whose text changes keeps its SID and gets the next ``rev``; a new key gets the
next SID above every SID the map ever handed out, so a retired SID is never given to another
rule. The map keeps retired keys, so an indicator that comes back gets its old SID back.

Differences from Echap's generated suricata.rules, on purpose:

- upstream numbers rules by position on every run, so any edit renumbers every rule after it
  and a sensor's suppressions and thresholds end up on the wrong rules;
- upstream's DNS rules pin the content with ``depth`` (its length) and ``endswith``, which is an
  exact match: subdomains of a C2 domain go unseen;
- upstream's IP rules swap the fields (the message names the address, the metadata the app);
- upstream covers the C2 domains and IPs of stalkerware only. We cover every role and
  watchware too, and say the family type and role in ``msg`` and ``metadata``
  (``unstalk_type``, ``unstalk_role``) so operators can turn off what they do not want with
  suricata-update's metadata filters. Watchware rules use classtype ``policy-violation``.

URL indicators get no rule: their host is often a shared service (a code-hosting or storage
site), where a host rule would alert on everyone's traffic, and their path is only visible in
plaintext HTTP.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from unstalk.errors import FeedError, FeedFormatError
from unstalk.feed.formats.lists import check_size, family_of, header_lines
from unstalk.feed.model import TLP, Family, FamilyType, Feed, IndicatorKind, Role

MAX_SID = 2**32 - 1
_MAP_FORMAT = "unstalk-suricata-sid-map"
_MAP_VERSION = 1
_MAP_SOURCE = "Suricata SID map"
_DIGEST = re.compile(r"[0-9a-f]{64}")
_REFERENCE = re.compile(r"[A-Za-z0-9._~/:?#@!$&'()*+,=%-]+")
_HOMEPAGES = {
    "echap": "github.com/AssoEchap/stalkerware-indicators",
    "tinycheck": "github.com/KasperskyLab/TinyCheck",
}
_IP_KINDS = (IndicatorKind.IPV4, IndicatorKind.IPV6, IndicatorKind.CIDR)
_PROTOCOLS = ("dns", "tls", "http")
_WHAT = {
    "dns": "domain in DNS query",
    "tls": "domain in TLS SNI",
    "http": "domain in HTTP Host",
}
_BUFFERS = {
    "dns": ("dns.query", "dotprefix", "{content}", "nocase", "endswith"),
    "tls": (
        "flow:established,to_server",
        "tls.sni",
        "dotprefix",
        "{content}",
        "nocase",
        "endswith",
    ),
    # http.host is lower-cased by Suricata, which refuses nocase on it.
    "http": ("flow:established,to_server", "http.host", "dotprefix", "{content}", "endswith"),
}


@dataclass(frozen=True, slots=True)
class SidEntry:
    """The SID and revision a rule was given, and a digest of its text at that revision."""

    sid: int
    rev: int
    digest: str


@dataclass(frozen=True, slots=True)
class SidMap:
    """Every rule key ever exported, with its SID, kept between runs."""

    rules: Mapping[str, SidEntry] = field(default_factory=dict)
    high_water: int = 0
    """Highest SID ever handed out; new rules get SIDs above it."""


@dataclass(slots=True)
class _Target:
    """What one rule covers: a key, and every family and role that point at its value."""

    key: str
    protocol: str
    kind: IndicatorKind
    value: str
    families: dict[str, Family] = field(default_factory=dict)
    roles: set[Role | None] = field(default_factory=set)
    tlps: set[TLP] = field(default_factory=set)


def _map_error(message: str, location: str = "") -> FeedFormatError:
    return FeedFormatError(
        message,
        source=_MAP_SOURCE,
        location=location,
        advice="Restore the SID map from your last release, or start a new one with care: "
        "new SIDs would differ from the ones your sensors know.",
    )


def _whole(value: object, low: int, high: int = MAX_SID) -> int | None:
    """The value if it is a whole number from low to high (JSON booleans are not), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None


def _load_entry(key: str, raw: object) -> SidEntry:
    location = f"rules[{key!r}]"
    if not isinstance(raw, dict):
        raise _map_error("each rule entry must be an object", location)
    sid, rev, digest = _whole(raw.get("sid"), 1), _whole(raw.get("rev"), 1), raw.get("digest")
    if sid is None:
        raise _map_error(f"sid must be a whole number from 1 to {MAX_SID}", location)
    if rev is None:
        raise _map_error("rev must be a whole number from 1 up", location)
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise _map_error("digest must be 64 lower-case hex digits", location)
    return SidEntry(sid=sid, rev=rev, digest=digest)


def load_sid_map(data: bytes | None) -> SidMap:
    """Read a SID map written by :func:`dump_sid_map`; ``None`` or empty input starts a new one."""
    if data is None or not data.strip():
        return SidMap()
    check_size(data, _MAP_SOURCE)
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise _map_error(f"the file is not valid JSON ({e})") from e
    if not isinstance(doc, dict) or doc.get("format") != _MAP_FORMAT:
        raise _map_error(f'the file is not an unstalk SID map (no "format": {_MAP_FORMAT!r})')
    if doc.get("version") != _MAP_VERSION:
        raise _map_error(f"unsupported SID map version {doc.get('version')!r}", "version")
    rules, high = doc.get("rules"), doc.get("high_water")
    if not isinstance(rules, dict):
        raise _map_error('"rules" must be an object', "rules")
    high_water = _whole(high, 0)
    if high_water is None:
        raise _map_error('"high_water" must be a whole number', "high_water")
    entries = {str(key): _load_entry(str(key), raw) for key, raw in rules.items()}
    owners: dict[int, str] = {}
    for key, entry in entries.items():
        if entry.sid in owners:
            raise _map_error(f"SID {entry.sid} is given to both {owners[entry.sid]!r} and {key!r}")
        owners[entry.sid] = key
    return SidMap(entries, max([high_water, *owners]))


def dump_sid_map(sid_map: SidMap) -> bytes:
    """Write a SID map as JSON, keys sorted, so that it diffs well under version control."""
    doc = {
        "format": _MAP_FORMAT,
        "version": _MAP_VERSION,
        "high_water": sid_map.high_water,
        "rules": {
            key: {"sid": e.sid, "rev": e.rev, "digest": e.digest}
            for key, e in sorted(sid_map.rules.items())
        },
    }
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("ascii")


def escape_content(text: str) -> str:
    """Spell a value for a ``content:"..."`` option: quote, semicolon, backslash escaped."""
    out: list[str] = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '";\\':
            out.append("\\" + char)
        elif char == "|" or not 0x20 <= byte < 0x7F:
            out.append(f"|{byte:02X}|")
        else:
            out.append(char)
    return "".join(out)


def _escape_text(text: str) -> str:
    """Spell free text for ``msg``: one line, quote, semicolon and backslash escaped."""
    line = " ".join(text.split())
    return "".join("\\" + c if c in '";\\' else c for c in line)


def _targets(feed: Feed) -> list[_Target]:
    found: dict[str, _Target] = {}
    for ind in feed.active():
        if ind.kind is IndicatorKind.DOMAIN:
            keys = [(p, f"{p}|domain|{ind.value}") for p in _PROTOCOLS]
        elif ind.kind in _IP_KINDS:
            keys = [("ip", f"ip|{ind.value}")]
        else:
            continue
        family = family_of(feed, ind.family)
        for protocol, key in keys:
            target = found.setdefault(key, _Target(key, protocol, ind.kind, ind.value))
            target.families[family.id] = family
            target.roles.add(ind.role)
            target.tlps.add(ind.tlp)
    order = {p: n for n, p in enumerate((*_PROTOCOLS, "ip"))}
    return sorted(
        found.values(), key=lambda t: (t.kind != IndicatorKind.DOMAIN, t.value, order[t.protocol])
    )


def _reference(feed: Feed) -> str | None:
    prov = feed.provenance
    if prov is None:
        return None
    url = re.sub(r"^https?://", "", prov.source)
    if url != prov.source and _REFERENCE.fullmatch(url):
        return url
    return _HOMEPAGES.get(prov.format)


def _msg(target: _Target, label: str) -> str:
    names = ", ".join(sorted((f.name for f in target.families.values()), key=str.casefold))
    roles = "/".join(sorted(r.value for r in target.roles if r is not None))
    if target.protocol == "ip":
        what = "IP range" if target.kind is IndicatorKind.CIDR else "IP address"
    else:
        what = _WHAT[target.protocol]
    fanged = target.value.replace(".", "[.]")
    words = " ".join(w for w in ("UNSTALK", label, names, roles, what) if w)
    return f"{words} ({fanged})"


def _metadata(target: _Target, label: str) -> str:
    items = [f"unstalk_type {label.lower()}"]
    items += sorted(
        f"unstalk_family {fid.partition('/')[2] or 'unnamed'}" for fid in target.families
    )
    items += sorted(f"unstalk_role {r.value}" for r in target.roles if r is not None)
    strictest = max(target.tlps, key=list(TLP).index)
    items.append(f"tlp {strictest.value}")
    return ", ".join(items)


def _body(target: _Target, reference: str | None) -> str:
    """The rule without its sid and rev: what the digest covers."""
    stalkerware = any(f.type is FamilyType.STALKERWARE for f in target.families.values())
    label = "STALKERWARE" if stalkerware else "WATCHWARE"
    options = [f'msg:"{_escape_text(_msg(target, label))}"']
    if target.protocol == "ip":
        header = f"alert ip $HOME_NET any -> [{target.value}] any"
    else:
        header = f"alert {target.protocol} $HOME_NET any -> any any"
        content = f'content:".{escape_content(target.value)}"'
        options += [content if o == "{content}" else o for o in _BUFFERS[target.protocol]]
    if reference is not None:
        options.append(f"reference:url,{reference}")
    options.append(f"classtype:{'targeted-activity' if stalkerware else 'policy-violation'}")
    options.append(f"metadata:{_metadata(target, label)}")
    return f"{header} ({'; '.join(options)};"


def _assign(keys: list[tuple[str, str]], old: SidMap, sid_base: int) -> SidMap:
    rules = dict(old.rules)
    high = max([old.high_water, sid_base - 1, *(e.sid for e in rules.values())])
    for key, body in keys:
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        entry = rules.get(key)
        if entry is None:
            high += 1
            if high > MAX_SID:
                raise FeedError(f"no Suricata SID is left above {MAX_SID - 1} for new rules")
            rules[key] = SidEntry(high, 1, digest)
        elif entry.digest != digest:
            rules[key] = SidEntry(entry.sid, entry.rev + 1, digest)
    return SidMap(rules, high)


def export_suricata(
    feed: Feed, sid_map: SidMap, *, sid_base: int = 1_000_000
) -> tuple[bytes, SidMap]:
    """Write Suricata rules for the feed's active network indicators, and the updated SID map.

    Keep the returned map and pass it to the next export so every rule keeps its SID.
    """
    if not 0 < sid_base <= MAX_SID:
        raise FeedError(f"the first SID must be from 1 to {MAX_SID}, not {sid_base}")
    reference = _reference(feed)
    bodies = [(t.key, _body(t, reference)) for t in _targets(feed)]
    new_map = _assign(bodies, sid_map, sid_base)
    rules = sorted(
        (
            new_map.rules[key].sid,
            f"{body} sid:{new_map.rules[key].sid}; rev:{new_map.rules[key].rev};)",
        )
        for key, body in bodies
    )
    title = "unstalk Suricata rules (Suricata 6 or later) for stalkerware and watchware indicators"
    lines = [*header_lines(feed, title, len(rules), "rules"), *(rule for _, rule in rules)]
    return ("\n".join(lines) + "\n").encode("utf-8"), new_map
