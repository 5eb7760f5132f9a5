"""What the capability rules read: the dex string index and the app's facts.

Dex string tables can hold hundreds of thousands of strings. :class:`StringIndex`
builds one set per dex file for exact lookups (API names, type descriptors) and
runs a single regular-expression pass over each file for the few substrings the
rules need (view ids, file paths, content URIs): never one scan per rule.
:class:`AppFacts` adds the manifest lookups the rules share, and the endpoints
worth reporting.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

from unstalk.apk.capabilities import (
    Capability,
    CapabilityFinding,
    Confidence,
    Evidence,
    EvidenceKind,
)
from unstalk.apk.endpoints import plain_url_host
from unstalk.apk.model import Component, ComponentKind, DexInfo, Manifest, Sha256, XmlConfig

MANIFEST = "AndroidManifest.xml"
_DELIMITERS = frozenset(".:/")
MAX_URLS = 10_000
UNKNOWN_DEX = "classes*.dex"
"""Source named for dex strings given without the name of their file."""


def _trie_pattern(words: Collection[str]) -> str:
    """A regex matching any of the words, with shared prefixes factored out.

    Python's regex engine tries every alternative at every candidate position;
    a trie-shaped pattern tries one branch per distinct next character, which
    made a 40-needle scan of 6 MB of strings about 3.5 times faster.
    """
    tails: dict[str, list[str]] = {}
    for word in words:
        if word:
            tails.setdefault(word[0], []).append(word[1:])
    branches = [re.escape(char) + _trie_pattern(rest) for char, rest in sorted(tails.items())]
    if not branches:
        return ""
    optional = "" in words
    if len(branches) == 1 and not optional:
        return branches[0]
    return "(?:" + "|".join(branches) + ")" + ("?" if optional else "")


@functools.lru_cache(maxsize=8)
def _compiled(needles: frozenset[str]) -> tuple[re.Pattern[str], Mapping[str, tuple[str, ...]]]:
    """The needles' pattern (compiling it takes longer than a scan), and which needles
    each one holds: the longest needle at a position hides shorter ones inside it.
    """
    if any(_DELIMITERS.isdisjoint(needle) for needle in needles):
        raise ValueError("every needle needs a '.', ':' or '/' to be found")
    inner = {n: tuple(m for m in needles if m != n and m in n) for n in needles}
    return re.compile(_trie_pattern(sorted(needles))), inner


class StringIndex:
    """Dex string tables, indexed once for the rules' exact and substring lookups."""

    def __init__(self, files: Mapping[str, Iterable[str]], needles: Collection[str]) -> None:
        """``needles``: the substrings :meth:`containing` can find, each with ``.``, ``:`` or ``/``.

        Only strings holding one of those characters are scanned, and never type
        descriptors (``Lcom/example/Foo;``): that leaves the literals, a small
        part of a string table, for the one regular-expression pass per file.
        """
        compiled = _compiled(frozenset(needles)) if needles else None
        # A dex table is a tuple already: no copy of it.
        tables = {n: s if isinstance(s, tuple) else list(s) for n, s in files.items()}
        self._sets = {name: frozenset(strings) for name, strings in tables.items()}
        self._found: dict[str, tuple[str, str]] = {}
        self.urls: dict[str, tuple[str, ...]] = {}
        """Literal ``http(s)://`` strings per file, at most :data:`MAX_URLS` each."""
        for name, strings in tables.items():
            literals = [
                s
                for s in strings
                if ("." in s or ":" in s or "/" in s) and not (s[-1:] == ";" and s[:1] in "L[")
            ]
            self.urls[name] = tuple(s for s in literals if s.startswith(("http://", "https://")))[
                :MAX_URLS
            ]
            if compiled is not None:
                self._scan(name, "\n".join(literals), *compiled)

    def _scan(
        self,
        name: str,
        text: str,
        pattern: re.Pattern[str],
        inner: Mapping[str, tuple[str, ...]],
    ) -> None:
        match = pattern.search(text)
        while match is not None:
            needle = match.group()
            if needle not in self._found:
                start = text.rfind("\n", 0, match.start()) + 1
                end = text.find("\n", match.end())
                whole = text[start : end if end >= 0 else len(text)]
                for hit in (needle, *inner[needle]):
                    self._found.setdefault(hit, (name, whole))
            # Go on from the next character: needles may overlap one another.
            match = pattern.search(text, match.start() + 1)

    @classmethod
    def of(
        cls, strings: Iterable[str] | Mapping[str, Iterable[str]], needles: Collection[str]
    ) -> StringIndex:
        """Index strings given per dex file (``{"classes.dex": ...}``) or all together."""
        if isinstance(strings, Mapping):
            return cls(strings, needles)
        return cls({UNKNOWN_DEX: strings}, needles)

    def source(self, string: str) -> str | None:
        """The first dex file holding exactly this string, or None."""
        for name, strings in self._sets.items():
            if string in strings:
                return name
        return None

    def exact(self, *strings: str) -> list[Evidence]:
        """Evidence for each of these strings present exactly in some dex file."""
        # The rules ask for about fifty strings per APK: the look-up is inlined.
        found = []
        for string in strings:
            for name, table in self._sets.items():
                if string in table:
                    found.append(Evidence(EvidenceKind.DEX_STRING, string, name))
                    break
        return found

    def containing(self, *needles: str) -> list[Evidence]:
        """Evidence (the whole dex string) for each needle found inside some dex string.

        Only needles given to the constructor are known; others are never found.
        """
        found = []
        for needle in needles:
            hit = self._found.get(needle)
            if hit is not None:
                found.append(Evidence(EvidenceKind.DEX_STRING, _clip(hit[1]), hit[0]))
        return found


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of a text: long lists of names stay readable."""
    return tuple(text.split())


def permission(name: str) -> str:
    """The full name of a framework permission: ``READ_SMS`` -> ``android.permission.READ_SMS``."""
    return name if "." in name else f"android.permission.{name}"


def _attribute_name(name: str) -> str:
    return name.rpartition("}")[2].rpartition(":")[2]


class AppFacts:
    """The inputs of every rule, with the lookups the rules share."""

    def __init__(self, manifest: Manifest, strings: StringIndex, dex: Sequence[DexInfo]) -> None:
        self.manifest = manifest
        self.strings = strings
        self.dex = tuple(dex)
        self._permissions = manifest.permission_names
        self._configs = {c.path: c for c in manifest.configs}

    def permissions(self, *names: str) -> list[Evidence]:
        """Evidence for each of these permissions the app requests."""
        full = map(permission, names)
        return [
            Evidence(EvidenceKind.PERMISSION, p, MANIFEST) for p in full if p in self._permissions
        ]

    def has_permission(self, name: str) -> bool:
        return permission(name) in self._permissions

    def components(
        self,
        kind: ComponentKind | None = None,
        *,
        permission_name: str | None = None,
        actions: Collection[str] = (),
    ) -> list[Component]:
        """Components of this kind guarded by this permission or answering one of these actions."""
        guard = permission(permission_name) if permission_name else None
        return [
            c
            for c in self.manifest.components
            if (kind is None or c.kind is kind)
            and (
                (guard is not None and c.permission == guard)
                or (bool(actions) and not c.actions.isdisjoint(actions))
            )
        ]

    def with_actions(self, kind: ComponentKind | None, actions: set[str]) -> list[Evidence]:
        """Evidence for each of these actions a component (of this kind) answers."""
        return [
            e for c in self.components(kind, actions=actions) for e in action_evidence(c, actions)
        ]

    def bound(self, guard: str, action: str) -> list[Component]:
        """Services the system binds with this permission (or that answer this action)."""
        return self.components(ComponentKind.SERVICE, permission_name=guard, actions={action})

    def bound_evidence(self, guard: str, action: str) -> list[Evidence]:
        return [component_evidence(c, f"bound by {guard}") for c in self.bound(guard, action)]

    def foreground_services(self, wanted: str | None = None) -> list[Evidence]:
        """Services that run in the foreground (of this type): Android shows a notification."""
        return [
            component_evidence(c, f"foreground service: {c.foreground_service_type}")
            for c in self.manifest.components
            if c.kind is ComponentKind.SERVICE
            and (types := foreground_types(c))
            and (wanted is None or wanted in types)
        ]

    def launcher_entries(self) -> list[Component]:
        """Activities and aliases that put an icon in the app list, enabled or not."""
        return [
            c
            for c in self.manifest.components
            if c.kind in (ComponentKind.ACTIVITY, ComponentKind.ACTIVITY_ALIAS)
            and any(
                "android.intent.action.MAIN" in f.actions and not _LAUNCHER.isdisjoint(f.categories)
                for f in c.intent_filters
            )
        ]

    def accessibility_config(self, guard: str, action: str) -> list[Evidence]:
        """Accessibility-service settings that let a service read the screen or the typing."""
        found = []
        for service in self.bound(guard, action):
            config = self.config(service, "android.accessibilityservice")
            if config is None:
                continue
            for name in ("canRetrieveWindowContent", "canRequestFilterKeyEvents"):
                value = self.config_attribute(config, name)
                if value is not None and value.strip().lower() in _TRUE:
                    found.append(Evidence(EvidenceKind.CONFIG, f"{name}={value}", config.path))
            types = self.config_attribute(config, "accessibilityEventTypes")
            if types is not None and _watches_typing(types):
                text = f"accessibilityEventTypes={types}"
                found.append(Evidence(EvidenceKind.CONFIG, text, config.path))
        return found

    def config(self, component: Component, meta_name: str) -> XmlConfig | None:
        """The XML configuration a component points to with this meta-data name."""
        for meta in component.meta_data:
            if meta.name == meta_name and meta.resource:
                return self._configs.get(meta.resource)
        return None

    def config_attribute(self, config: XmlConfig, name: str) -> str | None:
        for key, value in config.attributes:
            if _attribute_name(key) == name:
                return value
        return None

    def endpoints(self) -> tuple[list[Evidence], list[Evidence]]:
        """Remote endpoints in the code, and those that stand out (IP literals, cleartext URLs).

        They come from the dex parser's :class:`DexInfo`; without any, from the URLs
        among the dex strings.
        """
        seen: dict[str, Evidence] = {}
        standing_out: list[Evidence] = []
        dex = self.dex or tuple(
            DexInfo(name, Sha256(""), 0, urls) for name, urls in self.strings.urls.items()
        )
        for info in dex:
            found = [(u, _host(u)) for u in info.urls] + [(d, d.lower()) for d in info.domains]
            for value, host in [*found, *((ip, ip) for ip in info.ips)]:
                if value in seen or not host or not _remote_host(host):
                    continue
                seen[value] = evidence = Evidence(EvidenceKind.ENDPOINT, value, info.name)
                if host[-1:].isdigit() or ":" in host or value.lower().startswith("http://"):
                    standing_out.append(evidence)
        return list(seen.values()), standing_out


def component_evidence(component: Component, detail: str = "") -> Evidence:
    label = f"{component.kind.value} {component.name}"
    return Evidence(EvidenceKind.COMPONENT, f"{label} ({detail})" if detail else label, MANIFEST)


def action_evidence(component: Component, actions: Collection[str]) -> list[Evidence]:
    return [
        Evidence(EvidenceKind.INTENT_ACTION, f"{action} -> {component.name}", MANIFEST)
        for action in sorted(component.actions & set(actions))
    ]


def foreground_types(component: Component) -> set[str]:
    """A service's foreground types (``location``, ``camera`` ...); empty when it has none."""
    text = (component.foreground_service_type or "").replace(",", "|")
    return {part.strip() for part in text.split("|")} - {"", "none"}


def finding(
    capability: Capability, confidence: Confidence, *groups: Iterable[Evidence], note: str = ""
) -> CapabilityFinding:
    """A finding with the evidence of every group, each item once, in order."""
    evidence = tuple(dict.fromkeys(e for group in groups for e in group))
    return CapabilityFinding(capability, confidence, evidence, note)


def graded(
    capability: Capability,
    base: list[Evidence],
    medium: list[Evidence],
    high: list[Evidence] | None = None,
) -> Iterator[CapabilityFinding]:
    """LOW on ``base`` alone, MEDIUM with ``medium`` too, HIGH when ``high`` is also present."""
    if base:
        if medium and high:
            yield finding(capability, Confidence.HIGH, base, medium, high)
        else:
            yield finding(capability, Confidence.MEDIUM if medium else Confidence.LOW, base, medium)


_NOISE_HOSTS = frozenset(
    words("""
        schemas.android.com www.w3.org w3.org xmlpull.org ns.adobe.com xml.org xml.apache.org
        www.apache.org apache.org purl.org schemas.xmlsoap.org schemas.microsoft.com
        json-schema.org localhost example.com www.example.com example.org www.example.org
    """)
)
"""Hosts named by XML namespaces and library documentation, not places data is sent."""
# X.500 object identifiers in crypto libraries read like IPv4 addresses, and a
# local-network address (a router's page) is no place to send data away to.
_IGNORED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("2.5.4.0/24", "2.5.29.0/24", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_ULA = ipaddress.ip_network("fc00::/7")


def _remote_ip(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    if address.is_loopback or address.is_unspecified or address.is_link_local:
        return False
    local = address.version == 6 and (address.is_site_local or address in _ULA)
    return not (local or address.is_multicast or any(address in n for n in _IGNORED_NETWORKS))


def _host(url: str) -> str:
    plain = plain_url_host(url)
    if plain is not None:
        return plain
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _remote_host(host: str) -> bool:
    if host[-1:].isdigit() or ":" in host:
        return _remote_ip(host)
    return "." in host and host not in _NOISE_HOSTS


_LAUNCHER = {"android.intent.category.LAUNCHER", "android.intent.category.LEANBACK_LAUNCHER"}
_TYPE_VIEW_TEXT_CHANGED = 0x10
_TRUE = frozenset({"true", "1", "-1", "0xffffffff"})
"""Binary XML stores true as -1 (0xffffffff); decoders print it in several ways."""


def _watches_typing(event_types: str) -> bool:
    try:
        return bool(int(event_types.strip(), 0) & _TYPE_VIEW_TEXT_CHANGED)
    except ValueError:
        names = {name.strip() for name in event_types.split("|")}
        return not names.isdisjoint({"typeViewTextChanged", "typeAllMask"})


_SYSTEM_WORDS = frozenset(
    words("""
        android google play system service services update updates updater software sync
        settings framework core process wifi wi fi security device battery
    """)
)
_SYSTEM_ANCHORS = _SYSTEM_WORDS - {"device", "battery", "security", "core", "software"}
_PLATFORM_PREFIXES = words("""
    android. com.android. com.google.android. com.samsung. com.sec. com.huawei. com.miui.
    com.xiaomi. com.oneplus. com.coloros. com.oppo. com.motorola. com.lge. com.sonymobile.
""")


def system_like_label(label: str) -> bool:
    """True for a label made only of system words: ``System Update``, ``Google Services``."""
    tokens = "".join(ch if ch.isalnum() else " " for ch in label.casefold()).split()
    return bool(tokens) and set(tokens) <= _SYSTEM_WORDS and not _SYSTEM_ANCHORS.isdisjoint(tokens)


def platform_package(package: str) -> bool:
    """True for a package name in the namespace of Android or a phone maker."""
    return package == "android" or package.startswith(_PLATFORM_PREFIXES)
