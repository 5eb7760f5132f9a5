"""Recognise what kind of value a person typed, and look it up in every way it could match.

``unstalk feed match VALUE`` takes whatever the user pasted: a host name, a URL,
an address, a certificate fingerprint as keytool prints it, a package name.
Some values are genuinely ambiguous (``com.example.app`` is a valid Android
package name and a valid host name), so :func:`detect_kinds` returns every
plausible kind, most likely first, and :func:`lookup` tries them all.

The readers here (:func:`parse_ip`, :func:`network_of`, :func:`url_parts`,
:func:`lookup_key`, :class:`NetworkTable`) are what :mod:`unstalk.feed.index`
is built with, so a value is read the same way whether it comes from a person,
a phone or a feed.
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar
from urllib.parse import urlsplit

from unstalk.feed.model import IndicatorKind, normalise_domain

if TYPE_CHECKING:
    from unstalk.feed.index import FeedIndex, Match

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_T = TypeVar("_T")

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_COLON_HEX = re.compile(r"^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+$")
_JAVA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")
_BUNDLE_ID = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HOST_PORT = re.compile(r"^(?:[^/:\s\[\]]+|\[[^\]\s]+\]):[0-9]{1,5}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# First labels that make a dotted name read as a reversed domain (a package or
# bundle id) rather than a host: the old generic TLDs, which no host name starts
# with, and two-letter country codes. Newer TLDs (app, dev ...) start host names
# too often (app.example.com) to count.
_REVERSED_DOMAIN_FIRST = frozenset({"com", "org", "net", "edu", "gov", "mil"})


def parse_ip(text: str) -> IPAddress | None:
    """Read an IPv4 or IPv6 address, or return None when ``text`` is not one.

    Accepts brackets (``[::1]``) and a zone (``fe80::1%eth0``, dropped: a zone
    names a local interface, not a different host). An IPv4-mapped IPv6
    address (``::ffff:192.0.2.1``) is returned as the IPv4 address it carries,
    so both spellings of one host match the same indicators.
    """
    value = text.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    value = value.partition("%")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_network(text: str) -> IPNetwork | None:
    """Read a CIDR block (host bits set are tolerated), or return None."""
    value = text.strip()
    if "/" not in value:
        return None
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def network_of(text: str) -> IPNetwork | None:
    """Read an address (as a one-address block) or a CIDR block, or return None."""
    address = parse_ip(text)
    return ipaddress.ip_network(address) if address is not None else parse_network(text)


def hex_digest(text: str, length: int) -> str | None:
    """Read a hex digest of ``length`` digits, in any case, with or without colons or spaces.

    Returns the upper-case hex (Echap's spelling), or None when it is not one.
    """
    digits = text.strip().replace(":", "").replace(" ", "").upper()
    return digits if len(digits) == length and _HEX.fullmatch(digits) else None


def lookup_key(kind: IndicatorKind, value: str) -> str | None:
    """The normalised spelling an index keys a value of this kind by; None when it is not one.

    Only for kinds looked up by exact key (not addresses, CIDR blocks or regexes).
    """
    return _KEYS[kind](value)


def _domain_key(value: str) -> str | None:
    return normalise_domain(value.removeprefix("*.")) or None


def _url_key(value: str) -> str | None:
    parts = url_parts(value)
    return parts[1][0] if parts else None


def _text_key(value: str) -> str | None:
    return value.strip().lower() or None


_KEYS: dict[IndicatorKind, Callable[[str], str | None]] = {
    IndicatorKind.PACKAGE: _text_key,
    IndicatorKind.IOS_BUNDLE: _text_key,
    IndicatorKind.CERT_SHA1: lambda value: hex_digest(value, 40),
    IndicatorKind.CERT_SHA256: lambda value: hex_digest(value, 64),
    IndicatorKind.FILE_SHA256: lambda value: hex_digest(value, 64),
    IndicatorKind.DOMAIN: _domain_key,
    IndicatorKind.URL: _url_key,
    IndicatorKind.CERT_ORG: _text_key,
    IndicatorKind.YARA: lambda value: value.strip() or None,
}


def host_suffixes(host: str) -> Iterator[str]:
    """The host and each parent domain, longest first: the label boundaries a rule can sit on."""
    start = 0
    while True:
        yield host[start:]
        start = host.find(".", start) + 1
        if not start:
            return


class NetworkTable(Generic[_T]):
    """Addresses and CIDR blocks, one dict per prefix length present.

    Finding every block that contains an address masks it once per prefix
    length in the table (a handful), so overlapping blocks all match.
    """

    __slots__ = ("_masks", "_spans", "_starts")

    def __init__(self, items: Iterable[tuple[IPNetwork, _T]]) -> None:
        tables: dict[tuple[int, int], dict[int, list[_T]]] = {}
        spans: dict[int, list[tuple[int, int, _T]]] = {4: [], 6: []}
        for network, value in items:
            start = int(network.network_address)
            tables.setdefault((network.version, network.prefixlen), {}).setdefault(
                start, []
            ).append(value)
            spans[network.version].append((start, int(network.broadcast_address), value))
        self._masks: dict[int, list[tuple[int, int, dict[int, list[_T]]]]] = {4: [], 6: []}
        for (version, length), table in sorted(tables.items(), key=lambda kv: -kv[0][1]):
            bits = 32 if version == 4 else 128
            mask = ((1 << length) - 1) << (bits - length)
            self._masks[version].append((length, mask, table))
        self._spans = {v: sorted(s, key=lambda span: span[:2]) for v, s in spans.items()}
        self._starts = {v: [span[0] for span in s] for v, s in self._spans.items()}

    def containing(self, address: IPAddress, longest: int = 128) -> Iterator[_T]:
        """Values of every block holding ``address``, most specific first.

        ``longest`` skips blocks narrower than that prefix length.
        """
        number = int(address)
        for length, mask, table in self._masks[address.version]:
            if length > longest:
                continue
            hit = table.get(number & mask)
            if hit:
                yield from hit

    def within(self, network: IPNetwork) -> Iterator[_T]:
        """Values of every block (or single address) inside ``network``."""
        first, last = int(network.network_address), int(network.broadcast_address)
        spans, starts = self._spans[network.version], self._starts[network.version]
        for start, end, value in spans[bisect_left(starts, first) :]:
            if start > last:
                return
            if end <= last:
                yield value


def url_parts(url: str) -> tuple[str, tuple[str, ...]] | None:
    """Split a URL into its normalised host and the keys it matches URL indicators by.

    The keys drop what does not change which resource is meant: the scheme
    (feeds list the same download under http and https), user name and
    password, the fragment, default ports, a trailing slash, and host case.
    The first key keeps the query; the following ones walk up the path one
    segment at a time, so a download under a listed repository or folder
    still matches it. Returns None when the text has no host.
    """
    text = url.strip()
    try:
        parts = urlsplit(text if _SCHEME.match(text) or text.startswith("//") else f"//{text}")
        port = parts.port
    except ValueError:
        return None
    hostname = parts.hostname
    if not hostname:
        return None
    address = parse_ip(hostname)
    host = normalise_domain(hostname) if address is None else address.compressed
    named = host if address is None or address.version == 4 else f"[{host}]"
    authority = named if port in (None, 80, 443) else f"{named}:{port}"
    segments = [s for s in parts.path.split("/") if s]
    keys = [f"{authority}/{'/'.join(segments[:n])}" for n in range(len(segments), -1, -1)]
    if parts.query:
        keys.insert(0, f"{keys[0]}?{parts.query}")
    return host, tuple(keys)


def detect_kinds(value: str) -> tuple[IndicatorKind, ...]:
    """Return the kinds of indicator ``value`` could be, most likely first.

    An empty tuple means the value cannot be any indicator kind. Ambiguous
    values get several kinds: a 64-digit hex string is a file SHA-256 or a
    certificate SHA-256; a dotted name such as ``com.example.app`` is a
    package, an iOS bundle id or a host name.
    """
    text = value.strip()
    if not text:
        return ()
    if _SCHEME.match(text):
        return (IndicatorKind.URL,)
    address = parse_ip(text)
    if address is not None:
        return (IndicatorKind.IPV4 if address.version == 4 else IndicatorKind.IPV6,)
    if parse_network(text) is not None:
        return (IndicatorKind.CIDR,)
    for rule in (_hash_kinds, _url_like_kinds, _dotted_name_kinds):
        kinds = rule(text)
        if kinds is not None:
            return kinds
    return _free_text_kinds(text)


def _hash_kinds(text: str) -> tuple[IndicatorKind, ...] | None:
    colons = _COLON_HEX.fullmatch(text) is not None
    if not colons and _HEX.fullmatch(text) is None:
        return None
    digits = len(text.replace(":", ""))
    if digits == 40:
        return (IndicatorKind.CERT_SHA1,)
    if digits == 64 and colons:
        # keytool and openssl print certificate fingerprints with colons;
        # file hashes are written without them.
        return (IndicatorKind.CERT_SHA256, IndicatorKind.FILE_SHA256)
    if digits == 64:
        return (IndicatorKind.FILE_SHA256, IndicatorKind.CERT_SHA256)
    # Another digest (MD5, SHA-512 ...): no feed indexes it, so it is nothing we can look up.
    return () if digits >= 32 or colons else None


def _url_like_kinds(text: str) -> tuple[IndicatorKind, ...] | None:
    """A host with a path or a port but no scheme, as feeds and logs often write them."""
    if _HOST_PORT.match(text):
        return (IndicatorKind.URL,)
    host, slash, _ = text.partition("/")
    if slash and host and _host_kinds(host):
        return (IndicatorKind.URL,)
    return None


def _host_kinds(text: str) -> bool:
    if text.endswith(".."):
        return False
    host = normalise_domain(text)
    labels = host.split(".")
    return (
        len(labels) > 1
        and not labels[-1].isdigit()
        and all(_HOST_LABEL.match(label) for label in labels)
    )


def _dotted_name_kinds(text: str) -> tuple[IndicatorKind, ...] | None:
    is_host = _host_kinds(text)
    if not text.isascii() or text.endswith("."):
        return (IndicatorKind.DOMAIN,) if is_host else None
    app_kinds: tuple[IndicatorKind, ...] = ()
    if _JAVA_NAME.match(text):
        app_kinds += (IndicatorKind.PACKAGE,)
    if _BUNDLE_ID.match(text):
        app_kinds += (IndicatorKind.IOS_BUNDLE,)
    if not is_host:
        return app_kinds or None
    first = text.split(".", 1)[0].lower()
    if first in _REVERSED_DOMAIN_FIRST or (len(first) == 2 and first.isalpha()):
        return (*app_kinds, IndicatorKind.DOMAIN)
    return (IndicatorKind.DOMAIN, *app_kinds)


def _free_text_kinds(text: str) -> tuple[IndicatorKind, ...]:
    """Anything else may be a certificate's organisation or common name, or a YARA rule name."""
    kinds = (IndicatorKind.CERT_ORG, IndicatorKind.CERT_CNAME_RE)
    if _IDENTIFIER.match(text):
        return (*kinds, IndicatorKind.YARA)
    return kinds


def lookup(index: FeedIndex, value: str) -> tuple[Match, ...]:
    """Look ``value`` up as every kind it could be; each indicator appears once."""
    found: dict[object, Match] = {}
    for kind in detect_kinds(value):
        for match in _LOOKUPS[kind](index, value.strip()):
            found.setdefault(match.indicator, match)
    return tuple(found.values())


_LOOKUPS: dict[IndicatorKind, Callable[[FeedIndex, str], tuple[Match, ...]]] = {
    IndicatorKind.PACKAGE: lambda index, v: index.package(v),
    IndicatorKind.IOS_BUNDLE: lambda index, v: index.ios_bundle(v),
    IndicatorKind.CERT_SHA1: lambda index, v: index.cert(v),
    IndicatorKind.CERT_SHA256: lambda index, v: index.cert(v),
    IndicatorKind.FILE_SHA256: lambda index, v: index.file_hash(v.replace(":", "")),
    IndicatorKind.DOMAIN: lambda index, v: index.domain(v),
    IndicatorKind.IPV4: lambda index, v: index.ip(v),
    IndicatorKind.IPV6: lambda index, v: index.ip(v),
    IndicatorKind.CIDR: lambda index, v: index.network(v),
    IndicatorKind.URL: lambda index, v: index.url(v),
    IndicatorKind.CERT_ORG: lambda index, v: index.cert_subject(v, None),
    IndicatorKind.CERT_CNAME_RE: lambda index, v: index.cert_subject(None, v),
    IndicatorKind.YARA: lambda index, v: index.yara_rule(v),
}
