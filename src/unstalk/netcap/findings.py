"""What the network checks report, and the evidence each finding carries.

A finding points back into the capture (frame number, time, connection, the
host name and how that name was learnt) so a person can find the same packets
in Wireshark, and, for feed matches, to the indicator, its source file and its
family. :class:`SightingTable` folds repeated sightings of one value (an app
calls home thousands of times) into one :class:`Sighting`: the first one in
full, how many there were and until when.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from unstalk.feed.detect import parse_ip
from unstalk.feed.index import Match
from unstalk.feed.model import FamilyId, FamilyType, IndicatorKind, Role
from unstalk.models import Severity
from unstalk.netcap.model import DnsRecord, Flow, FlowKey, HttpRequest, NameSource, TlsHello


class Seen(StrEnum):
    """Where in the traffic a value was seen."""

    DNS_QUERY = "dns-query"
    DNS_ANSWER = "dns-answer"
    TLS_SNI = "tls-sni"
    QUIC_SNI = "quic-sni"
    HTTP_HOST = "http-host"
    HTTP_URL = "http-url"
    CONNECTION = "connection"
    """An endpoint address (and port) of a connection."""


class Check(StrEnum):
    """Which check produced a finding; ``feed-match`` is the indicator lookup."""

    FEED_MATCH = "feed-match"
    CLEARTEXT_HTTP = "cleartext-http"
    TLS_UNUSUAL_PORT = "tls-unusual-port"
    UNUSUAL_PORT = "unusual-port"
    ENCRYPTED_DNS = "encrypted-dns"
    DYNAMIC_DNS = "dynamic-dns"
    SUSPICIOUS_TLD = "suspicious-tld"
    ADDRESS_WITHOUT_NAME = "address-without-name"
    BEACONING = "beaconing"


@dataclass(frozen=True, slots=True)
class Observation:
    """One place in the capture where a value was seen."""

    seen: Seen
    value: str
    """The value as looked up: a host name, an address or a URL."""
    number: int | None
    """Frame number (1-based, as Wireshark counts); for a connection, its first packet's."""
    timestamp: float
    """Seconds since the epoch (UTC)."""
    flow: FlowKey | None = None
    name: str | None = None
    """The host name this traffic went to, when known."""
    name_source: NameSource = NameSource.NONE
    """How that name was learnt (TLS SNI, QUIC SNI, HTTP Host, a DNS answer)."""


@dataclass(frozen=True, slots=True)
class Sighting:
    """Every sighting of one value, folded: the first in full, then how many and until when."""

    first: Observation
    count: int
    last_timestamp: float
    seen_as: tuple[Seen, ...]
    """Each way the value was seen, in the order first met."""


@dataclass(frozen=True, slots=True)
class IndicatorRef:
    """The feed indicator a finding matched, and the family it belongs to."""

    kind: IndicatorKind
    value: str
    role: Role | None
    source: str
    """The feed file (and entry) the indicator was read from."""
    family_id: FamilyId
    family: str
    family_type: FamilyType

    @classmethod
    def of(cls, match: Match) -> IndicatorRef:
        indicator = match.indicator
        return cls(
            kind=indicator.kind,
            value=indicator.value,
            role=indicator.role,
            source=indicator.source,
            family_id=match.family.id,
            family=match.family.name,
            family_type=match.family.type,
        )


@dataclass(frozen=True, slots=True)
class NetworkFinding:
    check: Check
    severity: Severity
    summary: str
    """One plain sentence saying what was seen and why it matters."""
    evidence: Sighting
    indicator: IndicatorRef | None = None
    """The matched indicator (feed matches only): the most severe, most specific one."""
    also: tuple[IndicatorRef, ...] = ()
    """Other indicators of the same family the value matched (a parent domain, another role)."""
    detail: str = ""
    """Numbers behind a heuristic (bytes, ports, intervals), for the expert."""
    allowlisted: bool = False
    """An allow-list lowered this heuristic finding to INFO."""

    @property
    def is_feed_match(self) -> bool:
        return self.check is Check.FEED_MATCH


@dataclass(frozen=True, slots=True)
class Observations:
    """What the extractor found in a capture: the detector's whole input."""

    flows: Sequence[Flow] = ()
    dns: Sequence[DnsRecord] = ()
    tls: Sequence[TlsHello] = ()
    http: Sequence[HttpRequest] = ()


class SightingTable:
    """Sightings of many values, each folded into one :class:`Sighting`."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: dict[str, tuple[Observation, int, float, tuple[Seen, ...]]] = {}

    def add(self, observation: Observation) -> None:
        row = self._rows.get(observation.value)
        if row is None:
            self._rows[observation.value] = (
                observation,
                1,
                observation.timestamp,
                (observation.seen,),
            )
            return
        first, count, last, seen_as = row
        if observation.seen not in seen_as:
            seen_as = (*seen_as, observation.seen)
        if observation.timestamp < first.timestamp:
            first, last = observation, max(last, first.timestamp)
        self._rows[observation.value] = (
            first,
            count + 1,
            max(last, observation.timestamp),
            seen_as,
        )

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, value: object) -> bool:
        return value in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def get(self, value: str) -> Sighting | None:
        row = self._rows.get(value)
        return None if row is None else Sighting(*row)

    def items(self) -> Iterator[tuple[str, Sighting]]:
        for value, row in self._rows.items():
            yield value, Sighting(*row)


def host_of(name: str) -> str:
    """A name as sightings are keyed: lower case, no trailing dot, no ``:port``."""
    host = name.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


@dataclass(frozen=True, slots=True)
class Sightings:
    """Every name, address and URL a capture showed, each folded into one sighting."""

    names: SightingTable
    """Host names from DNS questions and CNAME answers, TLS/QUIC SNI and HTTP Host."""
    addresses: SightingTable
    """Addresses from DNS answers and from both ends of every connection."""
    urls: SightingTable
    """``http://host/path`` of every cleartext HTTP request."""
    named: dict[str, str]
    """Address -> the first name a DNS answer gave it."""


def collect(observations: Observations) -> Sightings:
    """Fold the observations into sightings of names, addresses and URLs."""
    found = Sightings(SightingTable(), SightingTable(), SightingTable(), {})
    _collect_dns(observations.dns, found)
    for hello in observations.tls:
        if hello.sni:
            seen, source = (
                (Seen.TLS_SNI, NameSource.SNI)
                if hello.quic_version is None
                else (Seen.QUIC_SNI, NameSource.QUIC_SNI)
            )
            name = host_of(hello.sni)
            found.names.add(
                Observation(seen, name, hello.number, hello.timestamp, hello.flow, name, source)
            )
    for request in observations.http:
        _collect_http(request, found)
    for flow in observations.flows:
        for address in (flow.key.server, flow.key.client):
            found.addresses.add(
                Observation(
                    Seen.CONNECTION,
                    address,
                    flow.first_number,
                    flow.first_seen,
                    flow.key,
                    flow.name,
                    flow.name_source,
                )
            )
    return found


def _collect_dns(records: Sequence[DnsRecord], found: Sightings) -> None:
    names, addresses, named = found.names.add, found.addresses.add, found.named
    for record in records:
        name = host_of(record.name)
        if name:
            names(
                Observation(
                    Seen.DNS_QUERY,
                    name,
                    record.number,
                    record.timestamp,
                    None,
                    name,
                    NameSource.DNS,
                )
            )
        for answer in record.answers:
            value = host_of(answer)
            if not value:
                continue
            observation = Observation(
                Seen.DNS_ANSWER, value, record.number, record.timestamp, None, name, NameSource.DNS
            )
            if _is_address(value):
                addresses(observation)
                named.setdefault(value, name)
            else:
                names(observation)


def _collect_http(request: HttpRequest, found: Sightings) -> None:
    path = request.path or "/"
    absolute = path.lower().startswith(("http://", "https://"))
    host = host_of(request.host) if request.host else None
    if host:
        found.names.add(
            Observation(
                Seen.HTTP_HOST,
                host,
                request.number,
                request.timestamp,
                request.flow,
                host,
                NameSource.HTTP_HOST,
            )
        )
    if absolute or request.host:
        url = path if absolute else f"http://{request.host}{path if path[0] == '/' else '/' + path}"
        found.urls.add(
            Observation(
                Seen.HTTP_URL,
                url,
                request.number,
                request.timestamp,
                request.flow,
                host,
                NameSource.HTTP_HOST if host else NameSource.NONE,
            )
        )


def _is_address(value: str) -> bool:
    return parse_ip(value) is not None
