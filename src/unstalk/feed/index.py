"""The compiled match index: every indicator lookup in O(1) or O(labels).

Build a :class:`FeedIndex` once per feed with :meth:`FeedIndex.build`; every
lookup returns a tuple of :class:`Match` (empty when nothing matched), each
carrying the indicator, its family, the value as it was looked up, and a
:class:`~unstalk.models.Severity` from :func:`severity_of`.

The allow-list rule: an allow-list (:class:`~unstalk.feed.allowlist.AllowList`,
e.g. TinyCheck's ``whitelist.json``) may lower the weight of a *heuristic* (an
unknown host contacted at night, a self-signed certificate) but must never hide
an *indicator* hit. Broad allow-list entries such as ``amazonaws.com`` cover real
stalkerware C2 hosts (``<bucket>.s3.amazonaws.com``). So the index takes no
allow-list at all: callers consult an allow-list only when scoring heuristics.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from unstalk.feed.allowlist import AllowList
from unstalk.feed.detect import (
    IPNetwork,
    NetworkTable,
    host_suffixes,
    lookup_key,
    network_of,
    parse_ip,
    url_parts,
)
from unstalk.feed.model import (
    NETWORK_KINDS,
    Family,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Role,
    Status,
    normalise_domain,
)
from unstalk.models import Severity

__all__ = ["AllowList", "FeedIndex", "Match", "severity_of"]


@dataclass(frozen=True, slots=True)
class Match:
    """One indicator that matched one observed value."""

    indicator: Indicator
    family: Family
    observed: str
    """The value as the caller looked it up (before normalisation), for the evidence trail."""
    severity: Severity

    @property
    def family_type(self) -> FamilyType:
        return self.family.type

    @property
    def kind(self) -> IndicatorKind:
        return self.indicator.kind

    @property
    def role(self) -> Role | None:
        return self.indicator.role


def severity_of(family_type: FamilyType, kind: IndicatorKind, role: Role | None) -> Severity:
    """Return how urgent a hit on an indicator of this family type, kind and role is.

    ==================================================  ========
    stalkerware app identity (package, bundle id,        CRITICAL
    signing certificate, certificate subject, file
    hash, YARA rule) or C2 host/address/URL
    stalkerware distribution host, or network
    indicator whose role the feed does not say           HIGH
    stalkerware vendor website                           MEDIUM
    any watchware indicator                              LOW
    ==================================================  ========

    C2 ranks above website ranks above watchware, strictly: talking to a C2
    server means the app runs on the device; visiting a vendor's site may be
    research; watchware is overt monitoring and never reads as stalkerware.
    """
    if family_type is FamilyType.WATCHWARE:
        return Severity.LOW
    if kind not in NETWORK_KINDS:
        return Severity.CRITICAL
    match role:
        case Role.C2:
            return Severity.CRITICAL
        case Role.DISTRIBUTION | None:
            return Severity.HIGH
        case Role.WEBSITE:
            return Severity.MEDIUM


_Entry = tuple[Indicator, Family, Severity]
_NONE: tuple[Match, ...] = ()
# Last characters that send a name off the fast path: a trailing dot, or an IP literal.
_ODD_ENDS = frozenset("0123456789].")
_MEMO_SIZE = 1 << 16


_NET_KINDS = frozenset({IndicatorKind.IPV4, IndicatorKind.IPV6, IndicatorKind.CIDR})
_FILE = IndicatorKind.FILE_SHA256
_TABLES = {
    IndicatorKind.PACKAGE: "package",
    IndicatorKind.IOS_BUNDLE: "ios_bundle",
    IndicatorKind.CERT_SHA1: "cert",
    IndicatorKind.CERT_SHA256: "cert",
    IndicatorKind.FILE_SHA256: "file",
    IndicatorKind.DOMAIN: "domain",
    IndicatorKind.URL: "url",
    IndicatorKind.CERT_ORG: "cert_org",
    IndicatorKind.YARA: "yara",
}


class FeedIndex:
    """Every lookup a check needs, compiled once from a :class:`Feed`.

    Only active indicators (and the feed's known samples) are indexed;
    :attr:`revoked` is an index of the same shape over revoked indicators, so
    a caller can say "this was an indicator once, it has been withdrawn".
    Values the index cannot read are listed in :attr:`skipped`, never dropped
    silently.
    """

    def __init__(self, feed: Feed, indicators: Iterable[Indicator]) -> None:
        """Use :meth:`build`; this indexes exactly the indicators given."""
        tables: dict[str, dict[str, list[_Entry]]] = {t: {} for t in _TABLES.values()}
        nets: list[tuple[IPNetwork, _Entry]] = []
        self._cname_res: list[tuple[re.Pattern[str], _Entry]] = []
        skipped: list[tuple[Indicator, str]] = []
        for indicator in indicators:
            problem = self._add(feed, indicator, tables, nets)
            if problem:
                skipped.append((indicator, problem))
        self._tables = {t: {k: tuple(v) for k, v in d.items()} for t, d in tables.items()}
        self._domains = self._tables["domain"]
        # The last two labels of every indicator, with the most labels an indicator under
        # them has: most names fail this one lookup, and most hits need one more.
        self._tails: dict[str, int] = {}
        for host in self._domains:
            tail, depth = ".".join(host.rsplit(".", 2)[-2:]), host.count(".") + 1
            self._tails[tail] = max(depth, self._tails.get(tail, 0))
        self._single_label = any("." not in host for host in self._domains)
        self._nets = NetworkTable(nets)
        self._revoked: FeedIndex | None = None
        self.skipped: tuple[tuple[Indicator, str], ...] = tuple(skipped)
        """Indicators the index could not use, each with the reason."""

    @classmethod
    def build(cls, feed: Feed) -> FeedIndex:
        """Index the feed's active indicators and samples (and, apart, its revoked ones).

        A known sample matches by file hash like a FILE_SHA256 indicator does.
        """
        listed = {(i.value.upper(), i.family) for i in feed.active() if i.kind is _FILE}
        samples = (
            Indicator(_FILE, s.sha256, s.family, source="samples", name=s.app)
            for s in feed.samples
            if s.family is not None and (s.sha256.upper(), s.family) not in listed
        )
        index = cls(feed, [*feed.active(), *samples])
        index._revoked = cls(feed, (i for i in feed.indicators if i.status is Status.REVOKED))
        return index

    @property
    def revoked(self) -> FeedIndex:
        """An index over the feed's revoked indicators, with the same lookups."""
        return self._revoked if self._revoked is not None else _EMPTY_INDEX

    def _add(
        self,
        feed: Feed,
        indicator: Indicator,
        tables: dict[str, dict[str, list[_Entry]]],
        nets: list[tuple[IPNetwork, _Entry]],
    ) -> str:
        """Index one indicator; return why it could not be, or an empty string."""
        try:
            family = feed.family(indicator.family)
        except KeyError:
            return f"family {indicator.family!r} is not in the feed"
        entry = (indicator, family, severity_of(family.type, indicator.kind, indicator.role))
        kind, value = indicator.kind, indicator.value
        if kind in _NET_KINDS:
            network = network_of(value)
            if network is None:
                return f"{value!r} is not an IP address or CIDR block"
            nets.append((network, entry))
        elif kind is IndicatorKind.CERT_CNAME_RE:
            try:
                self._cname_res.append((re.compile(value), entry))
            except re.error as e:
                return f"{value!r} is not a valid regular expression ({e})"
        else:
            key = lookup_key(kind, indicator.name or value if kind is IndicatorKind.YARA else value)
            if key is None:
                return f"{value!r} is not a valid {kind.value} value"
            address = parse_ip(key) if kind is IndicatorKind.DOMAIN else None
            if address is not None:
                # Feeds list bare addresses among C2 "domains": they match as addresses.
                nets.append((ipaddress.ip_network(address), entry))
            elif kind is IndicatorKind.DOMAIN and key.rpartition(".")[2].isdigit():
                # No top-level domain is numeric: this is a broken address, and as a
                # name it would match IP literals, which are looked up as addresses.
                return f"{value!r} is neither a host name nor an IP address"
            else:
                tables[_TABLES[kind]].setdefault(key, []).append(entry)
        return ""

    def _exact(self, table: str, key: str, observed: str) -> tuple[Match, ...]:
        entries = self._tables[table].get(key)
        return _matches(entries, observed) if entries else _NONE

    def package(self, name: str) -> tuple[Match, ...]:
        """Android package name, compared without regard to case."""
        return self._exact("package", name.strip().lower(), name)

    def ios_bundle(self, bundle_id: str) -> tuple[Match, ...]:
        """iOS bundle identifier, compared without regard to case."""
        return self._exact("ios_bundle", bundle_id.strip().lower(), bundle_id)

    def cert(self, fingerprint: str) -> tuple[Match, ...]:
        """Signing-certificate SHA-1 or SHA-256 (by length), in any case, with or without colons."""
        key = fingerprint.strip().replace(":", "").replace(" ", "").upper()
        return self._exact("cert", key, fingerprint)

    def file_hash(self, sha256: str) -> tuple[Match, ...]:
        """File SHA-256, against FILE_SHA256 indicators and the feed's known samples."""
        return self._exact("file", sha256.strip().upper(), sha256)

    def yara_rule(self, name: str) -> tuple[Match, ...]:
        """The indicator behind a YARA rule that fired, by rule name."""
        return self._exact("yara", name.strip(), name)

    def cert_subject(self, organization: str | None, common_name: str | None) -> tuple[Match, ...]:
        """Certificate subject: organisation exactly (any case), common name against regexes.

        Feed regexes are applied with :func:`re.search`, as written: Echap's
        patterns carry their own ``^...$`` anchors, and an unanchored pattern
        is meant to match anywhere in the name.
        """
        found: list[Match] = []
        if organization is not None:
            found.extend(self._exact("cert_org", organization.strip().lower(), organization))
        if common_name is not None:
            hits = [entry for pattern, entry in self._cname_res if pattern.search(common_name)]
            found.extend(_matches(hits, common_name))
        return tuple(found)

    def domain(self, host: str) -> tuple[Match, ...]:
        """Host name on label boundaries: ``a.api.example.com`` hits ``api.example.com``.

        Case, a trailing dot and IDN spelling (Unicode or punycode) do not
        matter. An IP literal is looked up as an address, as :meth:`ip` does.
        """
        entries = self._host_entries(host)
        return _matches(entries, host) if entries else _NONE

    def url(self, url: str) -> tuple[Match, ...]:
        """URL indicators for this URL or a parent path, and every hit on its host."""
        parts = url_parts(url)
        if parts is None:
            return _NONE
        host, keys = parts
        urls = self._tables["url"]
        entries = [entry for key in keys for entry in urls.get(key, ())]
        entries.extend(self._host_entries(host))
        return _matches(entries, url) if entries else _NONE

    def ip(self, address: str) -> tuple[Match, ...]:
        """IPv4 or IPv6 address, exactly and inside every CIDR block that holds it."""
        parsed = parse_ip(address)
        if parsed is None:
            return _NONE
        return _matches(list(self._nets.containing(parsed)), address)

    def network(self, cidr: str) -> tuple[Match, ...]:
        """CIDR block: the blocks that hold all of it, then the addresses and blocks inside it."""
        network = network_of(cidr)
        if network is None:
            return _NONE
        entries = dict.fromkeys(self._nets.containing(network.network_address, network.prefixlen))
        entries.update(dict.fromkeys(self._nets.within(network)))
        return _matches(list(entries), cidr)

    def hostnames(self, names: Iterable[str]) -> Iterator[tuple[str, tuple[Match, ...]]]:
        """Look up many host names (or IP literals) as :meth:`domain` does; yield only hits.

        Yields ``(name as given, matches)``. Tuned for throughput (a DNS log
        or capture holds millions of names): plain lower-case ASCII names,
        nearly all of them, take an inlined path; the rest go through
        :meth:`domain`'s full normalisation.
        """
        tails, domains, single_label = self._tails, self._domains, self._single_label
        full_path, matches, odd_ends = self._host_entries, _matches, _ODD_ENDS
        # Names repeat heavily (an app calls home thousands of times), so hits are
        # remembered by the name as given; the memo is bounded to keep memory flat.
        memo: dict[str, tuple[Match, ...]] = {}
        remembered = memo.get
        for name in names:
            hit = remembered(name)
            if hit is not None:
                yield name, hit
                continue
            host = name.strip().lower()
            if single_label or not host.isascii():
                found = full_path(name)
            else:
                cut = host.rfind(".", 0, host.rfind(".")) + 1
                tail = host[cut:]
                depth = tails.get(tail)
                if depth is None:
                    if not (host[-1:] in odd_ends or ":" in host):
                        continue
                    found = full_path(name)
                else:
                    found = domains.get(tail, ())
                    # Indicators deeper under this tail: add longer suffixes, most specific first.
                    while depth > 2 and cut:
                        depth -= 1
                        cut = host.rfind(".", 0, cut - 1) + 1
                        found = domains.get(host[cut:], ()) + found
            if found:
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                hit = memo[name] = matches(found, name)
                yield name, hit

    def _host_entries(self, name: str) -> tuple[_Entry, ...]:
        host = normalise_domain(name)
        if ":" in host or host[-1:] in _ODD_ENDS:
            address = parse_ip(host)
            if address is not None:
                return tuple(self._nets.containing(address))
        dot = host.rfind(".")
        if host[host.rfind(".", 0, dot) + 1 :] not in self._tails and (
            not self._single_label or host[dot + 1 :] not in self._tails
        ):
            return ()
        return tuple(
            entry for suffix in host_suffixes(host) for entry in self._domains.get(suffix, ())
        )


_new = object.__new__
_set_indicator, _set_family, _set_observed, _set_severity = (
    Match.__dict__[field].__set__ for field in ("indicator", "family", "observed", "severity")
)


def _match(indicator: Indicator, family: Family, observed: str, severity: Severity) -> Match:
    # A frozen dataclass's __init__ sets each field through object.__setattr__, which is
    # twice as slow as the slot descriptors; a capture can hold millions of hits.
    match: Match = _new(Match)
    _set_indicator(match, indicator)
    _set_family(match, family)
    _set_observed(match, observed)
    _set_severity(match, severity)
    return match


def _matches(entries: Sequence[_Entry], observed: str) -> tuple[Match, ...]:
    if len(entries) == 1:
        indicator, family, severity = entries[0]
        return (_match(indicator, family, observed, severity),)
    return tuple([_match(indicator, family, observed, sev) for indicator, family, sev in entries])


_EMPTY_INDEX = FeedIndex(Feed(families=(), indicators=()), ())
