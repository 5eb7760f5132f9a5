"""Allow-lists of hosts and networks known to be benign, such as TinyCheck's ``whitelist.json``.

An allow-list only tempers heuristics (an unknown host contacted at night, a self-signed
certificate); it never hides an indicator hit, which is why the match index takes none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from unstalk.errors import FeedFormatError
from unstalk.feed.detect import (
    IPNetwork,
    NetworkTable,
    host_suffixes,
    lookup_key,
    network_of,
    parse_ip,
)
from unstalk.feed.model import IndicatorKind


class AllowList:
    """Hosts and networks known to be benign, to temper heuristics (never indicator hits).

    See :mod:`unstalk.feed.index` for why :class:`~unstalk.feed.index.FeedIndex` takes none.
    """

    def __init__(self, domains: Iterable[str] = (), networks: Iterable[IPNetwork] = ()) -> None:
        """``domains`` cover their subdomains; ``networks`` cover every address inside."""
        self._domains = frozenset(
            filter(None, (lookup_key(IndicatorKind.DOMAIN, d) for d in domains))
        )
        self._nets = NetworkTable((network, None) for network in networks)

    @classmethod
    def from_tinycheck(cls, data: bytes | str, source: str = "whitelist.json") -> AllowList:
        """Read TinyCheck's ``{"elements": [{"type", "element"}]}`` allow-list.

        Types ``domain``, ``cidr``, ``ip4addr`` and ``ip6addr`` are understood.
        """
        try:
            document = json.loads(data)
        except (ValueError, RecursionError) as e:
            raise FeedFormatError(f"this is not valid JSON ({e})", source=source) from e
        elements = document.get("elements") if isinstance(document, dict) else None
        if not isinstance(elements, list):
            raise FeedFormatError(
                'expected an object with an "elements" list, as TinyCheck writes it', source=source
            )
        domains: list[str] = []
        networks: list[IPNetwork] = []
        for number, element in enumerate(elements):
            kind, value = _allow_element(element)
            network = network_of(value) if kind != "domain" else None
            if kind == "domain":
                domains.append(value)
            elif network is not None:
                networks.append(network)
            else:
                raise FeedFormatError(
                    f"{value!r} is not an IP address or CIDR block" if kind else _ALLOW_SHAPE,
                    source=source,
                    location=f"elements[{number}]",
                )
        return cls(domains, networks)

    def contains_domain(self, host: str) -> bool:
        """True when the host or one of its parent domains is allowed."""
        name = lookup_key(IndicatorKind.DOMAIN, host)
        return name is not None and any(s in self._domains for s in host_suffixes(name))

    def contains_ip(self, address: str) -> bool:
        """True when the address is allowed or lies in an allowed network."""
        parsed = parse_ip(address)
        return parsed is not None and any(True for _ in self._nets.containing(parsed))


_ALLOW_TYPES = frozenset({"domain", "cidr", "ip4addr", "ip6addr"})
_ALLOW_SHAPE = 'each element needs a "type" (domain, cidr, ip4addr or ip6addr) and an "element"'


def _allow_element(element: object) -> tuple[str, str]:
    """The (type, element) of one allow-list entry; an empty type when it is malformed."""
    if isinstance(element, dict):
        kind, value = element.get("type"), element.get("element")
        if isinstance(kind, str) and kind in _ALLOW_TYPES and isinstance(value, str):
            return kind, value
    return "", ""
