"""Network endpoints named in an app's strings: URLs, host names and IP addresses.

These end up in reports as places an app may send data to, so a false one costs more than a
missed one. A dex holds tens of thousands of dotted strings that are not hosts: class and
package names (``com.google.android.gms``, ``android.app``), property keys (``user.name``),
file names (``libfoo.so``, ``index.html``) and versions (``1.2.3.4``). The rules:

URLs
    ``scheme://`` then a host, for http(s), ws(s), ftp(s), rtmp, mqtt, tcp, ssl, tls and
    udp. A URL counts when its host is an IP address, ``localhost`` (http, ws, ftp only) or
    ends in a domain with a real TLD: ``https://%s.firebaseio.com`` counts, ``tcp://%s:%d``
    and ``http://javax.xml.XMLConstants/feature`` do not. Trailing punctuation is cut off,
    and JSON's escaped slashes (``http:\\/\\/``) are read as slashes.
Domains
    Every URL host with a real TLD. Outside URLs, a name is a domain only when it is written
    in lower-case ASCII, is bounded by characters that cannot belong to a name (so ``Foo.bar``,
    ``a/b.so``, ``%s.x.com`` and ``x.y.Z`` are not read), ends in a real TLD (listed in
    ``data/tlds.txt``), and:

    - does not start with a Java or Android package root (``com.``, ``org.``, ``android.``,
      ``java.``, ``io.`` ...), a member reference (``this.``) or a MIME tree (``vnd.``),
      unless it is a two-label ``.com`` name such as ``android.com``;
    - does not start with a country code when it has three labels or more and ends in
      something other than com, net or org (``ru.mail.cloud``, ``jp.naver.line.android``);
    - when its TLD is also a file extension or a word programmers use as a name (``so``,
      ``sh``, ``id``, ``in``, ``app``, ``android``, ``name``, ``camera``, ``icu``: every TLD
      of three letters or more but a few web ones such as com, net, org, xyz, online), it
      starts with a host prefix (``www.``, ``api.``, ``cdn.``, ``mail.`` ...), follows an
      ``@`` (an e-mail address) or carries a port.
IP addresses
    Every URL host that is an address. Outside URLs, a dotted quad without leading zeros, not
    inside a longer dotted run, not after a letter or digit; with a port it always counts.
    Without one it does not count when it starts like an ASN.1 object identifier
    (``2.5.29.37``), has a first part of 0 or 255, or sits in a string that speaks of a
    version, build, release or RFC section; nor when it looks like a version (two or more
    zero parts, or every part under 10) in a string that does not speak of a host, server,
    IP or address. IPv6 addresses count inside URLs, or when a whole string is one.

Addresses that are not globally routable (private, loopback, link-local, documentation)
are kept: :attr:`Endpoints.private_ips` lists them, since they still say how an app works.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from unstalk.feed.model import normalise_domain


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where an app's strings say it may connect."""

    urls: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    """Lower case, IDN as punycode, sorted."""
    ips: tuple[str, ...] = ()
    """Canonical spelling, IPv4 before IPv6, in numeric order."""

    @property
    def private_ips(self) -> tuple[str, ...]:
        """The addresses of :attr:`ips` that are not globally routable."""
        return tuple(ip for ip in self.ips if is_private(ip))

    @property
    def public_ips(self) -> tuple[str, ...]:
        return tuple(ip for ip in self.ips if not is_private(ip))


def is_private(ip: str) -> bool:
    """True for an address that is not globally routable (RFC 1918, loopback, test nets ...)."""
    return not ipaddress.ip_address(ip).is_global


@cache
def tlds() -> frozenset[str]:
    """Every top-level domain of the root zone, lower case, punycode and Unicode spellings."""
    text = (resources.files("unstalk.apk") / "data" / "tlds.txt").read_text("utf-8")
    names = {line.strip() for line in text.splitlines()} - {""}
    names = {name for name in names if not name.startswith("#")}
    unicode_names = set()
    for name in names:
        if name.startswith("xn--"):
            try:
                unicode_names.add(name.encode("ascii").decode("idna"))
            except UnicodeError:
                continue
    return frozenset(names | unicode_names)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PACKAGE_ROOTS = _words(
    "com org net edu gov mil android androidx java javax kotlin kotlinx dalvik sun libcore "
    "junit jdk io okhttp3 okio retrofit2 dagger rx"
)
_WEB_TLDS = _words(
    "com net org info biz edu gov mil int xyz top club vip site online website space fun tech "
    "mobi asia"
)
"""TLDs of three letters or more that are seldom a word in code or a file extension."""
_CODE_WORDS = _words("this self super that vnd prs")
"""First labels of member references (``this.is.it``) and MIME subtypes (``vnd.x.site``)."""
_FORWARD_TLDS = frozenset(("com", "net", "org"))
"""What a name starting with a country code ends in when it is a host (``de.wikipedia.org``)."""
_CLASHING_CC_TLDS = _words("am as by gb id in md mk ms pm ps py rs sh so")
"""Country codes that double as file extensions or identifiers (``.so``, ``user.id``)."""
_HOST_PREFIXES = _words("www www1 www2 www3 api api1 api2 api3 cdn m mail smtp imap pop pop3 ftp")
"""First labels that make a name with an ambiguous TLD a host (``www.spy.app``)."""
_OID_ARCS = ("1.2.", "1.3.", "2.5.", "2.16.", "2.23.")
"""Starts of ASN.1 object identifiers (``2.5.29.37``), common in certificate code."""
_NOT_ADDRESS_WORDS = re.compile(
    r"version|\bver\b|build|release|firmware|sdk|\bv\d|section|\brfc|chapter|§", re.I
)
_ADDRESS_WORDS = re.compile(r"host|server|\bip\b|address|dns|proxy|socket|gateway", re.I)

_URL = re.compile(
    r"\b(?:https?|wss?|ftps?|rtmp[est]?|mqtts?|tcp|ssl|tls|udp)://"
    r"[^\s\"'<>\\^`{|}\x00-\x1f\x7f]+",
    re.I,
)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_BARE_HOST = re.compile(
    r"(?<![\w.\-/\\$%])"
    rf"(?P<host>(?:{_LABEL}\.){{1,126}}(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}}))"
    r"(?P<port>:\d{1,5})?(?![\w\-$]|\.\w)"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(
    rf"(?<![\w.])(?P<ip>{_OCTET}(?:\.{_OCTET}){{3}})(?P<port>:\d{{1,5}})?(?!\w|\.\d)"
)
_IPV6_LINE = re.compile(r"^[0-9A-Fa-f:.]{2,45}$", re.M)
_TRAILING = ".,;:!?'\")]}>"
_VALID_LABEL = re.compile(rf"^(?:{_LABEL}|xn--[a-z0-9-]+)$")
_PLAIN_SCHEMES = ("http", "https", "ws", "wss", "ftp", "ftps")


def find_endpoints(strings: Iterable[str]) -> Endpoints:
    """URLs, domains and IP addresses named in ``strings`` (see the module for the rules)."""
    text = "\n".join(s for s in strings if "." in s or ":" in s).replace("\\/", "/")
    urls: set[str] = set()
    domains: set[str] = set()
    ips: set[str] = set()
    hosts: dict[str, _Host] = {}
    for raw in set(_URL.findall(text)):
        _add_url(raw, urls, domains, ips, hosts)
    for match in _BARE_HOST.finditer(text):
        host = match.group("host")
        email = match.start() > 0 and text[match.start() - 1] == "@"
        if _is_bare_domain(host, strong=email or match.group("port") is not None):
            domains.add(normalise_domain(host))
    for match in _IPV4.finditer(text):
        if match.group("port") or _is_bare_ipv4(match.group("ip"), _line(text, match)):
            ips.add(match.group("ip"))
    for match in _IPV6_LINE.finditer(text):
        if (address := _ipv6(match.group())) is not None:
            ips.add(address)
    return Endpoints(
        urls=tuple(sorted(urls)),
        domains=tuple(sorted(domains)),
        ips=tuple(sorted(ips, key=_ip_order)),
    )


_PLAIN_URL = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*://([a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z][a-z0-9\-]*)"
    r"(?::[0-9]*)?(?=[/?#]|$)"
)


def plain_url_host(url: str) -> str | None:
    """The host of a URL whose authority is a plain host name, else None.

    Plain: lower-case ASCII labels ending in a label that starts with a letter (so never
    an IP address), then at most a port; no user, no brackets, no trailing dot. For such
    a URL this is what :func:`urllib.parse.urlsplit` gives as ``hostname`` and what the
    feed index normalises the host to, found without either (thousands of URLs per app).
    """
    found = _PLAIN_URL.match(url)
    return found.group(1) if found else None


def _line(text: str, match: re.Match[str]) -> str:
    """The string (line of ``text``) that holds ``match``."""
    end = text.find("\n", match.end())
    return text[text.rfind("\n", 0, match.start()) + 1 : end if end >= 0 else len(text)]


def _add_url(
    raw: str, urls: set[str], domains: set[str], ips: set[str], hosts: dict[str, _Host]
) -> None:
    url = _strip_trailing(raw)
    host = _url_host(url)
    if host not in hosts:
        hosts[host] = _read_host(host)
    address, domain = hosts[host]
    if address:
        ips.add(address)
    elif domain:
        domains.add(domain)
    elif not (host == "localhost" and url.partition(":")[0].lower() in _PLAIN_SCHEMES):
        return
    urls.add(url)


def _url_host(url: str) -> str:
    """The host of a URL the pattern matched: after ``//`` and any user, before port and path."""
    authority = re.split(r"[/?#]", url.partition("://")[2], maxsplit=1)[0].rpartition("@")[2]
    if authority.startswith("["):
        end = authority.find("]")
        return authority[1:end].lower() if end > 0 else ""
    return authority.partition(":")[0].lower()


_Host = tuple[str | None, str | None]
"""A URL host read as (IP address, domain); both None when it is neither."""


def _read_host(host: str) -> _Host:
    address = _ip_literal(host) if host[:1].isdigit() or ":" in host else None
    return address, None if address else _url_domain(host)


def _strip_trailing(url: str) -> str:
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _url_domain(host: str) -> str | None:
    """The domain a URL host ends in: its labels after the last one that is not a name part.

    ``%s.firebaseio.com`` gives ``firebaseio.com``; IDN labels come out as punycode; a host
    without a real TLD gives None.
    """
    kept: list[str] = []
    for label in reversed(host.rstrip(".").split(".")):
        ascii_label = label if label.isascii() else _punycode(label)
        if ascii_label is None or not _VALID_LABEL.match(ascii_label):
            break
        kept.append(ascii_label)
    if len(kept) < 2 or kept[0] not in tlds():
        return None
    return ".".join(reversed(kept))


def _punycode(label: str) -> str | None:
    try:
        return label.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _is_bare_domain(host: str, *, strong: bool) -> bool:
    labels = host.split(".")
    first, tld = labels[0], labels[-1]
    if tld not in tlds() or len(host) > 253:
        return False
    if first in _PACKAGE_ROOTS or first in _CODE_WORDS:
        return len(labels) == 2 and tld == "com" and first not in _WEB_TLDS
    if len(labels) >= 3 and len(first) == 2 and first in tlds() and tld not in _FORWARD_TLDS:
        return False
    ambiguous = tld in _CLASHING_CC_TLDS or (len(tld) > 2 and tld not in _WEB_TLDS)
    return not ambiguous or strong or (len(labels) >= 3 and first in _HOST_PREFIXES)


def _is_bare_ipv4(ip: str, line: str) -> bool:
    parts = [int(p) for p in ip.split(".")]
    if parts[0] in (0, 255) or ip.startswith(_OID_ARCS):
        return False
    if _NOT_ADDRESS_WORDS.search(line):
        return False
    looks_like_version = parts.count(0) >= 2 or max(parts) < 10
    return not looks_like_version or _ADDRESS_WORDS.search(line) is not None


def _ipv6(text: str) -> str | None:
    if text.count(":") < 2 or len([g for g in text.split(":") if g]) < 3:
        return None
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        return None


def _ip_order(ip: str) -> tuple[int, int]:
    address = ipaddress.ip_address(ip)
    return address.version, int(address)
