"""Checks and classification of indicator values, shared by the loaders, feed lint and exporters.

They judge a value as a feed file writes it. :mod:`unstalk.feed.detect` reads what a person
pasted and forgives more (brackets, zones, spaces and colons in hashes), which would let
malformed feed values through, so its readers are not used here.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from unstalk.feed.model import IndicatorKind, normalise_domain, normalise_value

Found = tuple[IndicatorKind, str]
"""A value's kind and its normalised spelling."""

_HEX = frozenset("0123456789ABCDEF")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
_GUESS_ORDER = (
    IndicatorKind.URL,
    IndicatorKind.IPV4,
    IndicatorKind.IPV6,
    IndicatorKind.CIDR,
    IndicatorKind.DOMAIN,
)


def is_hex(text: str, *lengths: int) -> bool:
    """True when ``text`` is upper-case hex of one of ``lengths``."""
    return len(text) in lengths and _HEX.issuperset(text)


def is_hostname(host: str, *, dotted: bool = False, strict: bool = False) -> bool:
    """True for a normalised host name: lower-case ASCII labels, not an IP address.

    ``dotted`` asks for two labels or more, as a domain in a feed has; ``strict`` adds Echap's
    linter rule (no ``_``, a top-level domain of two characters or more).
    """
    if not 0 < len(host) <= 253 or not _HOST_CHARS.issuperset(host):
        return False
    labels = host.split(".")
    if (dotted and len(labels) < 2) or labels[-1].isdigit():
        return False
    if strict and ("_" in host or len(labels[-1]) < 2):
        return False
    return all(0 < len(label) <= 63 and "-" not in (label[0], label[-1]) for label in labels)


def compiles(pattern: str) -> bool:
    """True when Python's ``re`` accepts ``pattern``."""
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def read_address(text: str) -> Found | None:
    """An IP address, or with a ``/`` a CIDR range, exactly as written; None for anything else."""
    try:
        if "/" in text:
            return IndicatorKind.CIDR, str(ipaddress.ip_network(text, strict=False))
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return (IndicatorKind.IPV4 if ip.version == 4 else IndicatorKind.IPV6), str(ip)


def classify_network(value: str) -> Found | None:
    """Tell a domain, URL, IP address or CIDR apart by its value; ``None`` when it is none.

    Any ``scheme://`` or ``host/path`` counts as a URL: this sorts what a feed lists under
    network keys, so it keeps what :func:`is_valid_value` would refuse to export.
    """
    text = value.strip()
    if "://" in text:
        return IndicatorKind.URL, text
    if text[:1].isdigit() or ":" in text:
        found = read_address(text)
        if found is not None or ":" in text:
            return found
    if "/" in text:
        return IndicatorKind.URL, text
    host = normalise_domain(text)
    return (IndicatorKind.DOMAIN, host) if is_hostname(host, dotted=True) else None


def is_valid_value(kind: IndicatorKind, value: str) -> bool:
    """True when a normalised network value is well formed for its kind."""
    if kind is IndicatorKind.DOMAIN:
        return is_hostname(value)
    if kind in (IndicatorKind.IPV4, IndicatorKind.IPV6, IndicatorKind.CIDR):
        found = read_address(value)
        return found is not None and found[0] is kind
    if kind is IndicatorKind.URL:
        try:
            parts = urlsplit(value)
            return parts.scheme in {"http", "https"} and bool(parts.hostname)
        except ValueError:  # e.g. an unclosed IPv6 bracket: not a URL we can use
            return False
    return False


def guess_kind(value: str) -> IndicatorKind | None:
    """Tell which network kind a value is (URL, IPv4, IPv6, CIDR or domain), or None."""
    for kind in _GUESS_ORDER:
        if is_valid_value(kind, normalise_value(kind, value)):
            return kind
    return None


def squash(name: str) -> str:
    """Lower-case letters and digits only: how rule names and app names are compared."""
    return "".join(c for c in name.lower() if c.isalnum())
